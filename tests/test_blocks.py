"""Hostile council text against the Block Kit formatter: escaped, trimmed to Slack's limits."""

from __future__ import annotations

import json
import logging
import re
from datetime import date
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import AnfrageView, SessionInfo
from bot.logs import RedactFilter
from bot.slack.blocks import MAX_BLOCKS, announcement, escape
from bot.slack.notifier import SlackNotifier, redact
from tests.helpers import at

TZ = ZoneInfo("Europe/Berlin")
NOW = at("2025-01-10T09:00:00+01:00")


def view(**kw: object) -> AnfrageView:
    base: dict[str, object] = dict(
        paper_id="p",
        reference="14/1923",
        subject="Betreff",
        paper_type="Fraktionsanfrage",
        date=date(2025, 1, 6),
        factions=("Fraktion Die Linke",),
        questions=(),
        sessions=(),
        web="https://ris.example/vorgang/1",
        document_url="https://ris.example/1.pdf",
    )
    base.update(kw)
    return AnfrageView(**base)  # type: ignore[arg-type]


def check_limits(text: str, blocks: list[dict]) -> None:
    assert text and len(text) <= 3000
    assert len(blocks) <= MAX_BLOCKS
    for b in blocks:
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= 150
        if b["type"] == "section":
            if "text" in b:
                assert len(b["text"]["text"]) <= 3000
            for f in b.get("fields", []):
                assert len(f["text"]) <= 2000
            assert len(b.get("fields", [])) <= 10
        if b["type"] == "context":
            assert len(b["elements"]) <= 10


def mrkdwn(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_mentions_links_and_entities_are_escaped() -> None:
    hostile = "<!channel> <!here> <@U123> <https://evil.example|Klick> & Co"
    text, blocks = announcement(
        view(
            subject=hostile,
            factions=(hostile,),
            questions=(("1", hostile, (hostile,)),),
            sessions=(
                SessionInfo(committee=hostile, role=hostile, start=None, agenda_number="<x>"),
            ),
        ),
        now=NOW,
        tz=TZ,
    )
    everything = text + mrkdwn(blocks)
    for raw in ("<!channel>", "<!here>", "<@U123>", "<https://evil.example"):
        assert raw not in everything
    assert "&lt;!channel&gt;" in everything and "&amp; Co" in everything


def test_zero_width_and_bidi_characters_are_removed() -> None:
    sneaky = "Rad\u200bweg \u202eegaflpS\u202c\u2066x\u2069\ufeff"
    assert escape(sneaky) == "Radweg egaflpSx"


def test_huge_title_and_hundred_questions_fit_slack_limits() -> None:
    questions = tuple((str(i), "Warum " + "sehr " * 200 + "?", ("a" * 500,)) for i in range(1, 101))
    text, blocks = announcement(
        view(
            subject="X" * 10_000,
            reference="1" * 400,
            questions=questions,
            sessions=tuple(
                SessionInfo(committee="A" * 5000, role=None, start=NOW, agenda_number="1")
                for _ in range(30)
            ),
        ),
        now=NOW,
        tz=TZ,
    )
    check_limits(text, blocks)
    body = mrkdwn(blocks)
    assert "weitere Fragen" in body and "https://ris.example/1.pdf" in body  # cut with a link


@settings(max_examples=150, deadline=None)
@given(
    subject=st.text(max_size=5000),
    faction=st.text(max_size=300),
    qtexts=st.lists(st.text(max_size=800), max_size=60),
    url=st.text(max_size=200),
)
def test_any_council_text_stays_within_limits(
    subject: str, faction: str, qtexts: list[str], url: str
) -> None:
    text, blocks = announcement(
        view(
            subject=subject,
            factions=(faction,),
            web=url,
            document_url="https://x/" + url,
            questions=tuple((str(i), q, (q[:50],)) for i, q in enumerate(qtexts, 1)),
        ),
        now=NOW,
        tz=TZ,
    )
    check_limits(text, blocks)
    own_links = re.compile(r"<https?://[^|<>]+\|[^<>]*>")
    for b in blocks:
        texts = [b["text"]["text"]] if "text" in b and b["type"] != "header" else []
        texts += [f["text"] for f in b.get("fields", [])]
        texts += [e["text"] for e in b.get("elements", [])]
        for t in texts:
            # Once our own links are taken out, no `<` or `>` may remain: council text cannot
            # open a mention, a channel ping or a link.
            rest = own_links.sub("", t)
            assert "<" not in rest and ">" not in rest


def test_tokens_never_reach_logs_or_errors(caplog: object) -> None:
    assert (
        redact("failed with xoxb-123-abc and xapp-1-XYZ") == "failed with [redacted] and [redacted]"
    )
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "token %s leaked", ("xoxb-9-secret",), None
    )
    RedactFilter().filter(record)
    assert "xoxb-9-secret" not in record.getMessage()
    notifier = SlackNotifier("xoxb-do-not-leak", "http://127.0.0.1:9/api/", timeout=1)
    try:
        notifier.post("C1", "t", [], key="k")
    except Exception as e:  # noqa: BLE001
        assert "xoxb-do-not-leak" not in str(e) and "xoxb-do-not-leak" not in repr(e)
    else:
        raise AssertionError("posting to a closed port must fail")
