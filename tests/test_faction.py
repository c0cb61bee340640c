"""Pure parts of issue 13: `[faction]`/`[deadlines]` config, our-faction matching, clean
subjects, deadline arithmetic, the statistik arguments and table, `amt:` matching."""

from __future__ import annotations

from datetime import date

import pytest

from bot.config import DeadlinesConfig, FactionConfig, config_from_dict
from bot.deadlines import answer_due, deadline_days, overdue_days, within
from bot.domain import AnfrageView
from bot.errors import ConfigError
from bot.faction import Perspective, clean_subject, decorate, is_ours
from bot.slack.blocks import owner_of
from bot.slack.parse import parse_conditions
from bot.slack.statistics import StatsSyntaxError, parse_statistics, table
from bot.store.statistics import GroupStats, median, percentile
from bot.subscriptions import matches

LINKE = FactionConfig(name="Fraktion Die Linke", aliases=("Die Linke",))


def view(**fields: object) -> AnfrageView:
    base: dict[str, object] = dict(
        paper_id="p1",
        reference="14/1",
        subject="Radwege",
        paper_type="Anfrage",
        date=date(2025, 1, 6),
        factions=(),
        questions=(),
        sessions=(),
        web=None,
        document_url=None,
    )
    base.update(fields)
    return AnfrageView(**base)  # type: ignore[arg-type]


def test_faction_and_deadlines_config_read_and_checked() -> None:
    config = config_from_dict(
        {
            "faction": {"name": "Fraktion Die Linke", "aliases": ["Die Linke", "Linke"]},
            "deadlines": {"answer_days": 21, "paper_types": {"Große Anfrage": 42}},
        },
        {},
    )
    assert config.faction == FactionConfig("Fraktion Die Linke", ("Die Linke", "Linke"))
    assert config.deadlines == DeadlinesConfig(21, (("Große Anfrage", 42),))
    empty = config_from_dict({}, {})
    assert empty.faction.names == () and empty.deadlines.answer_days == 0
    for bad in (
        {"faction": {"name": 3}},
        {"faction": {"aliases": ["Linke"]}},
        {"faction": {"name": "X", "aliases": "Linke"}},
        {"deadlines": {"answer_days": -1}},
        {"deadlines": {"answer_days": True}},
        {"deadlines": {"paper_types": {"Große Anfrage": "42"}}},
        {"deadlines": {"paper_types": 42}},
    ):
        with pytest.raises(ConfigError):
            config_from_dict(bad, {})


def test_ours_matches_like_the_fraktion_abo_key_joint_anfragen_included() -> None:
    assert is_ours(("Fraktion Die Linke",), LINKE)
    assert is_ours(("DIE LINKE",), LINKE)
    assert is_ours(("SPD-Fraktion", "Fraktion Die Linke"), LINKE)  # joint Anfrage
    assert not is_ours(("SPD-Fraktion",), LINKE)
    assert not is_ours((), LINKE)
    assert not is_ours(("Fraktion Die Linke",), FactionConfig())
    # The same rule as `fraktion:` abos.
    for factions in (("Fraktion Die Linke",), ("SPD-Fraktion",), ("SPD-Fraktion", "Die Linke")):
        abo = [{"field": "fraktion", "value": "Die Linke", "negate": False}]
        assert matches(abo, view(factions=factions)) == is_ours(
            factions, FactionConfig("Die Linke")
        )


def test_owner_mark_only_with_a_faction_configured() -> None:
    perspective = Perspective(faction=LINKE)
    assert owner_of("Fraktion Die Linke, SPD-Fraktion", perspective) == "*Unsere Anfrage* · "
    assert owner_of("SPD-Fraktion", perspective) == "(SPD-Fraktion) "
    assert owner_of("Fraktion <!channel>", perspective) == "(Fraktion &lt;!channel&gt;) "
    assert owner_of(None, perspective) == ""
    assert owner_of("SPD-Fraktion", Perspective()) == ""


def test_clean_subjects() -> None:
    cases = {
        "Radwege im Emscherpark (Fraktionsanfrage der Fraktion Die Linke)": (
            "Radwege im Emscherpark"
        ),
        "Fraktionsanfrage SPD-Fraktion: Busse in Bottrop": "Busse in Bottrop",
        "Anfrage der FWV-Fraktion vom 20.05.2026; hier: Sachstandsberichte wichtiger Themen": (
            "Sachstandsberichte wichtiger Themen"
        ),
        "Unterstützung der DLRG (Interfraktionelle Anfrage)": "Unterstützung der DLRG",
        "Fraktion Die Linke: Sozialticket": "Sozialticket",
        "Große Anfrage der Fraktion BÜNDNIS 90/DIE GRÜNEN: Klimaschutz": "Klimaschutz",
        # Not decorations: kept as they are.
        "Anfrage zur Emscher": "Anfrage zur Emscher",
        "Anfrage Radweg: Planung": "Anfrage Radweg: Planung",
        "Haushalt 2025 (Entwurf)": "Haushalt 2025 (Entwurf)",
    }
    for name, expected in cases.items():
        assert clean_subject(name) == expected, name
    assert clean_subject("X (Anfrage der SPD-Fraktion)", "Der  Betreff") == "Der Betreff"
    assert clean_subject(None) is None
    assert clean_subject("(Fraktionsanfrage der Fraktion Die Linke)") == (
        "(Fraktionsanfrage der Fraktion Die Linke)"
    )


def test_deadline_computation() -> None:
    config = DeadlinesConfig(21, (("Große Anfrage", 42),))
    assert deadline_days("Anfrage", config) == 21
    assert deadline_days("große anfrage", config) == 42
    assert answer_due(date(2025, 1, 6), "Fraktionsanfrage", config) == date(2025, 1, 27)
    assert answer_due(date(2025, 1, 6), "Große Anfrage", config) == date(2025, 2, 17)
    assert answer_due(date(2025, 2, 20), "Anfrage", config) == date(2025, 3, 13)  # calendar days
    assert answer_due(None, "Anfrage", config) is None
    assert answer_due(date(2025, 1, 6), "Anfrage", DeadlinesConfig()) is None
    assert answer_due(date(2025, 1, 6), "Anfrage", DeadlinesConfig(0, (("Anfrage", 0),))) is None
    assert overdue_days(date(2025, 1, 27), date(2025, 1, 27)) == 0
    assert overdue_days(date(2025, 1, 27), date(2025, 1, 28)) == 1
    assert overdue_days(None, date(2025, 1, 28)) == 0
    assert within(date(2025, 1, 27), date(2025, 1, 27)) is True
    assert within(date(2025, 1, 28), date(2025, 1, 27)) is False
    assert within(None, date(2025, 1, 27)) is None
    decorated = decorate(
        view(factions=("Fraktion Die Linke",)), Perspective(faction=LINKE, deadlines=config)
    )
    assert decorated.ours and decorated.deadline == date(2025, 1, 27)


def test_amt_abo_key() -> None:
    conditions = parse_conditions('amt:"Amt für Schule"')
    assert conditions == [{"field": "amt", "value": "Amt für Schule", "negate": False}]
    assert matches(conditions, view(department="Amt für Schule und Bildung"))
    assert not matches(conditions, view(department="Kämmerei"))
    assert not matches(conditions, view())
    assert matches(parse_conditions("!amt:Kämmerei"), view(department="Schulamt"))


def test_statistik_arguments() -> None:
    where = parse_statistics('fraktion:"Die Linke" amt:Schulamt seit:2025-01-01')
    assert (where.faction, where.department, where.since) == (
        "Die Linke",
        "Schulamt",
        date(2025, 1, 1),
    )
    assert parse_statistics("").faction is None
    for bad in ("seit:gestern", "farbe:rot", "Linke", "!fraktion:SPD"):
        with pytest.raises(StatsSyntaxError):
            parse_statistics(bad)


def test_percentiles_and_median() -> None:
    assert median([]) is None and percentile([], 90) is None
    assert median([5]) == 5 and median([2, 4]) == 3 and median([1, 2, 10]) == 2
    values = list(range(1, 11))  # 1..10
    assert percentile(values, 90) == 9 and percentile(values, 50) == 5
    assert percentile([3, 7], 90) == 7


def test_statistik_table_escapes_names_and_keeps_the_code_block_closed() -> None:
    group = GroupStats(
        name="Fraktion ```<!channel>``` & *Co*",
        anfragen=3,
        answered=2,
        median_days=12.5,
        p90_days=20,
        within=1,
        with_deadline=2,
        open=1,
        overdue=1,
    )
    sections = table("Fraktion", [group], deadlines=True)
    text = "\n".join(sections)
    assert text.count("```") == 2  # one block: the name's backticks were replaced
    assert "<!channel>" not in text and "&lt;!channel" in text
    row = text.splitlines()[1]
    assert row.removesuffix("```").split()[-8:] == ["3", "2", "12,5", "20", "50", "%", "1", "1"]


def test_a_word_merely_starting_with_fraktion_is_no_faction_prefix() -> None:
    # "Fraktionsbüros" names no faction: the subject before the colon is the subject itself.
    name = "Anfrage zur Ausstattung der Fraktionsbüros: Kosten"
    assert clean_subject(name) == name
    assert clean_subject("Anfrage der Gruppen X und Y: Kosten") == "Kosten"
    assert clean_subject("Große Anfrage der Fraktionen A und B: Klima") == "Klima"
