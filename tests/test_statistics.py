"""`statistik` figures against a small data set computed by hand (SQLite and PostgreSQL), the
Slack table, and `anfragebot lookup statistik` printing the same."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from bot.cli import main
from bot.config import DeadlinesConfig
from bot.faction import Perspective
from bot.slack.commands import answer
from bot.store.db import make_engine, migrate, session_factory, transaction
from bot.store.schema import AnswerLink, OrganizationRow, PaperRow
from bot.store.statistics import GroupStats, StatsFilter, statistics
from tests.slack.conftest import TZ, blocks_text

DEADLINES = DeadlinesConfig(answer_days=21, paper_types=(("Große Anfrage", 42),))
TODAY = date(2025, 3, 1)
NOW = datetime(2025, 3, 1, 9, tzinfo=UTC)
LINKE = "Fraktion Die Linke"
SPD = "SPD-Fraktion"
SCHULE = "org/schule"
KAEMMEREI = "org/kaemmerei"

# (key, faction, department, date, type, answered on, deleted, is Anfrage)
PAPERS = [
    ("A", LINKE, SCHULE, date(2025, 1, 1), "Anfrage", date(2025, 1, 11), False, True),  # 10 d
    ("B", LINKE, SCHULE, date(2025, 1, 1), "Anfrage", date(2025, 1, 31), False, True),  # 30 d late
    ("C", LINKE, KAEMMEREI, date(2025, 1, 10), "Große Anfrage", date(2025, 2, 19), False, True),
    ("D", LINKE, KAEMMEREI, date(2025, 2, 20), "Anfrage", None, False, True),  # open, 9 days
    ("E", SPD, SCHULE, date(2025, 1, 5), "Anfrage", None, False, True),  # open, overdue
    ("F", SPD, None, date(2025, 1, 20), "Große Anfrage", None, False, True),  # open, 40 <= 42
    ("G", SPD, KAEMMEREI, date(2025, 1, 2), "Anfrage", date(2025, 1, 7), False, True),  # 5 d
    ("H", LINKE, SCHULE, date(2025, 1, 1), "Anfrage", None, True, True),  # deleted: not counted
    ("I", LINKE, SCHULE, date(2025, 1, 1), "Beschlussvorlage", None, False, False),  # no Anfrage
    ("J", LINKE, SCHULE, date(2024, 6, 1), "Anfrage", date(2024, 6, 11), False, True),  # 10 d
]


def fill(session: Session) -> None:
    session.add(OrganizationRow(id=SCHULE, source="t", name="Amt für Schule"))
    session.add(OrganizationRow(id=KAEMMEREI, source="t", name="Kämmerei"))
    for key, faction, dept, day, kind, answered, deleted, anfrage in PAPERS:
        session.add(
            PaperRow(
                id=f"paper/{key}",
                source="t",
                reference=f"1/{key}",
                name=f"Anfrage {key}",
                paper_type=kind,
                date=day,
                faction=faction,
                under_direction_of=dept,
                deleted=deleted,
                is_anfrage=anfrage,
                first_seen_at=NOW,
                updated_at=NOW,
            )
        )
        if answered:
            session.add(
                AnswerLink(
                    anfrage_id=f"paper/{key}", rule="test", answered_on=answered, linked_at=NOW
                )
            )


@pytest.fixture
def factory(db_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(db_url)
    migrate(engine)
    factory = session_factory(engine)
    with transaction(factory) as session:
        fill(session)
    yield factory
    engine.dispose()


def g(name, n, answered, median, p90, within, with_deadline, still_open, overdue):  # type: ignore[no-untyped-def]
    return GroupStats(name, n, answered, median, p90, within, with_deadline, still_open, overdue)


def test_figures_per_faction_and_department(factory) -> None:  # type: ignore[no-untyped-def]
    with factory() as session:
        stats = statistics(session, today=TODAY, deadlines=DEADLINES)
    # Die Linke: A 10, B 30 (late), C 40 (Große Anfrage, 42: in time), J 10; D open.
    # SPD: G 5; E open and overdue (55 > 21); F open, 40 days of 42: not overdue.
    assert stats.factions == [
        g(LINKE, 5, 4, 20.0, 40, 3, 4, 1, 0),
        g(SPD, 3, 1, 5.0, 5, 1, 1, 2, 1),
    ]
    assert stats.departments == [
        g("Amt für Schule", 4, 3, 10.0, 30, 2, 3, 1, 1),
        g("Kämmerei", 3, 2, 22.5, 40, 2, 2, 1, 0),
        g(None, 1, 0, None, None, 0, 0, 1, 0),
    ]
    assert stats.total == 8
    assert stats.factions[0].within_share == 0.75


def test_filters(factory) -> None:  # type: ignore[no-untyped-def]
    with factory() as session:
        since = statistics(
            session, today=TODAY, deadlines=DEADLINES, where=StatsFilter(since=date(2025, 1, 1))
        )
        linke = statistics(
            session, today=TODAY, deadlines=DEADLINES, where=StatsFilter(faction="linke")
        )
        schule = statistics(
            session, today=TODAY, deadlines=DEADLINES, where=StatsFilter(department="schule")
        )
        none = statistics(session, today=TODAY, deadlines=DeadlinesConfig())
    assert since.factions[0] == g(LINKE, 4, 3, 30.0, 40, 2, 3, 1, 0)
    assert [f.name for f in linke.factions] == [LINKE]
    assert [(d.name, d.anfragen) for d in linke.departments] == [
        ("Amt für Schule", 3),
        ("Kämmerei", 2),
    ]
    assert [(f.name, f.anfragen, f.overdue) for f in schule.factions] == [
        (LINKE, 3, 0),
        (SPD, 1, 1),
    ]
    # Without deadlines nothing is within or overdue; the days are still counted.
    assert none.factions[0] == g(LINKE, 5, 4, 20.0, 40, 0, 0, 1, 0)


def test_statistik_command_and_lookup_print_the_table(
    factory, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        reply = answer(
            session,
            'statistik fraktion:"Die Linke"',
            "C1",
            "U1",
            NOW,
            TZ,
            perspective=Perspective(deadlines=DEADLINES),
        )
    text = blocks_text(reply.blocks)
    assert reply.text == "Statistik: 5 Anfragen"
    assert "Auswahl: fraktion: Die Linke" in text
    row = next(line for line in text.splitlines() if line.startswith(LINKE))
    assert row.removesuffix("```").split()[-8:] == ["5", "4", "20", "40", "75", "%", "1", "0"]
    assert text.count("```") == 4  # two closed code blocks
    with transaction(factory) as session:
        bad = answer(session, "statistik seit:gestern", "C1", "U1", NOW, TZ)
    assert "seit:2025-01-01" in bad.text

    config = tmp_path / "config.toml"
    config.write_text(
        '[deadlines]\nanswer_days = 21\n[deadlines.paper_types]\n"Große Anfrage" = 42\n'
    )
    monkeypatch.setenv("DATABASE_URL", db_url)
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(
            [
                "--config",
                str(config),
                "lookup",
                "--now",
                "2025-03-01T10:00",
                "statistik",
                "amt:Schule",
            ]
        )
    assert code == 0
    printed = out.getvalue()
    assert "Statistik: 4 Anfragen" in printed
    spd = next(line for line in printed.splitlines() if line.startswith(SPD))
    assert spd.removesuffix("```").split()[1:] == ["1", "0", "–", "–", "–", "1", "1"]


def test_a_paper_type_deadline_matches_as_the_rest_of_the_bot_matches_it(factory) -> None:  # type: ignore[no-untyped-def]
    # `deadline_days` compares types Unicode-casefolded ("ß" = "ss"), as the Home tab and the
    # overdue notices do; the statistics must give "Große Anfrage" the same 42 days.
    shouted = DeadlinesConfig(answer_days=21, paper_types=(("GROSSE ANFRAGE", 42),))
    with factory() as session:
        assert statistics(session, today=TODAY, deadlines=shouted) == statistics(
            session, today=TODAY, deadlines=DEADLINES
        )
