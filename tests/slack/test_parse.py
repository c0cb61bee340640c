"""The `/anfrage` grammar, and a fuzz test: every input gets a reply, none raises."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.demo.server import FeedServer
from bot.slack.parse import (
    VERBS,
    AboSyntaxError,
    format_conditions,
    parse_command,
    parse_conditions,
    parse_subscription_id,
)
from bot.store.db import make_engine, session_factory
from tests.conftest import postgres_url
from tests.fake_slack import FakeSlack
from tests.slack.conftest import Store, fill_store


@pytest.mark.parametrize(
    ("text", "verb", "arg"),
    [
        ("", "help", ""),
        ("   ", "help", ""),
        ("hilfe", "help", ""),
        ("HELP", "help", ""),
        ("14/1923", "lookup", "14/1923"),
        ("14 / 1923", "lookup", "14 / 1923"),
        ("141923", "lookup", "141923"),
        ("1923", "lookup", "1923"),
        ("Drucksache 14/1923", "lookup", "Drucksache 14/1923"),
        ("suche Radweg  Emscher", "search", "Radweg Emscher"),
        ("search radweg", "search", "radweg"),
        ("abo fraktion:x", "subscribe", "fraktion:x"),
        ("subscribe text:y", "subscribe", "text:y"),
        ("abos", "subscriptions", ""),
        ("abo-ende 3", "unsubscribe", "3"),
        ("unsubscribe 3", "unsubscribe", "3"),
        ("sitzungen Verkehrsausschuss", "sessions", "Verkehrsausschuss"),
        ("offen", "open", ""),
        ("open", "open", ""),
    ],
)
def test_commands(text: str, verb: str, arg: str) -> None:
    command = parse_command(text)
    assert (command.verb, command.arg) == (verb, arg)


def test_unknown_input_is_help() -> None:
    command = parse_command("wie spät ist es")
    assert command.verb == "help" and command.unknown


def test_abo_grammar() -> None:
    assert parse_conditions(
        'fraktion:"Die Linke" gremium:"Verkehrsausschuss" art:Anfrage text:"Radweg" !fraktion:"CDU"'
    ) == [
        {"field": "fraktion", "value": "Die Linke", "negate": False},
        {"field": "gremium", "value": "Verkehrsausschuss", "negate": False},
        {"field": "art", "value": "Anfrage", "negate": False},
        {"field": "text", "value": "Radweg", "negate": False},
        {"field": "fraktion", "value": "CDU", "negate": True},
    ]
    # Typographic quotes as Slack clients send them, English keys, `! key`.
    assert parse_conditions("fraktion:„Die Linke“ committee:“Haupt ausschuss” ! type:'Antrag'") == [
        {"field": "fraktion", "value": "Die Linke", "negate": False},
        {"field": "gremium", "value": "Haupt ausschuss", "negate": False},
        {"field": "art", "value": "Antrag", "negate": True},
    ]
    assert parse_conditions("") == []


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("partei:SPD", "Unbekannte Angabe `partei:`"),
        ("Radweg", "`schlüssel:wert`"),
        ('text:"offen', "schließende Anführungszeichen"),
        ("text:", "fehlt der Wert"),
        ("text:" + "x" * 300, "zu lang"),
        (" ".join(["text:a"] * 11), "Höchstens 10"),
        ("<!channel>:x", "&lt;!channel&gt;"),
    ],
)
def test_abo_errors_are_german_hints(text: str, hint: str) -> None:
    with pytest.raises(AboSyntaxError) as e:
        parse_conditions(text)
    assert hint in str(e.value)
    assert "<!channel>" not in str(e.value)


def test_format_round_trips() -> None:
    conditions = parse_conditions('!gremium:"Ausschuss für Kultur, Sport" text:Rad')
    assert parse_conditions(format_conditions(conditions)) == conditions


def test_subscription_ids() -> None:
    assert parse_subscription_id("3") == 3
    assert parse_subscription_id("#12") == 12
    for bad in ("", "x", "-1", "²", "1" * 20, "3 4"):
        assert parse_subscription_id(bad) is None


@given(st.text(max_size=300))
def test_parsers_never_raise_anything_but_syntax_errors(text: str) -> None:
    command = parse_command(text)
    # A known verb (fuzzing finds "FOLLOWING", "Kalender" …) or a lookup of what is left.
    assert command.verb in {*VERBS.values(), "lookup"}
    try:
        conditions = parse_conditions(text)
    except AboSyntaxError as e:
        assert str(e)
    else:
        assert parse_conditions(format_conditions(conditions)) == [
            {**c, "value": " ".join(str(c["value"]).replace('"', "'").split())} for c in conditions
        ]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    if request.param == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('fuzz')) / 'bot.db'}"
    else:
        url = postgres_url()
    slack = FakeSlack()
    try:
        with FeedServer() as feed:
            fill_store(url, feed, slack)
            engine = make_engine(url)
            yield Store(url, feed.base_url, session_factory(engine))
            engine.dispose()
    finally:
        slack.stop()


VERB_PREFIXES = st.sampled_from(
    ["", "suche ", "abo ", "abo-ende ", "sitzungen ", "offen ", "abos ", "14/", "1923 ", "hilfe "]
)
NASTY = st.text(
    alphabet=st.sampled_from(list("abc 19/2-:!\"„“'*()<>&@#%_\\\x00\u200b\ufeffäß")), max_size=80
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(prefix=VERB_PREFIXES, rest=st.one_of(st.text(max_size=200), NASTY))
def test_every_input_gets_a_reply(fuzz_store: Store, prefix: str, rest: str) -> None:
    reply = fuzz_store.ask(prefix + rest)
    assert reply.text
    assert 0 < len(reply.blocks) <= 50
