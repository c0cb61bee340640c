"""The App Home's open list with `[faction]` and `[deadlines]` (issue 14 on issue 13): the
faction's Anfragen whether announced or not, overdue first with their due day, escaped; without
`[faction]` the announced ones as before; the grouped, limited queries pick the same first N as
sorting everything would."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.config import DeadlinesConfig, FactionConfig
from bot.deadlines import answer_due
from bot.faction import Perspective, is_ours, split_factions
from bot.slack.home import MAX_VIEW_BLOCKS, home_view
from bot.store.db import make_engine, migrate, session_factory, transaction
from bot.store.deliveries import enqueue
from bot.store.home import load_home, open_ours
from bot.store.schema import AnswerLink, PaperRow
from tests.slack.conftest import blocks_text

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2025, 1, 10, 8, 0, tzinfo=UTC)
HOSTILE = "Radweg <!channel> & <https://evil.example|klick> \u202eumgedreht"
LINKE = Perspective(
    faction=FactionConfig(name="Die Linke"),
    deadlines=DeadlinesConfig(answer_days=30, paper_types=(("Große Anfrage", 90),)),
)
B = "https://ris.example/paper"


def paper(
    n: int,
    subject: str,
    *,
    faction: str | None,
    day: date | None,
    kind: str | None = "Anfrage",
    deleted: bool = False,
    first_seen: datetime = NOW,
) -> PaperRow:
    return PaperRow(
        id=f"{B}/{n}",
        source="rvr",
        reference=f"14/{n}",
        ref_norm=f"14/{n}",
        ref_compact=f"14{n}",
        name=subject,
        paper_type=kind,
        date=day,
        web=f"https://ris.example/vorgang/{n}",
        is_anfrage=True,
        deleted=deleted,
        faction=faction,
        announce_state="routed",
        first_seen_at=first_seen,
        updated_at=first_seen,
    )


def announce(session: Session, n: int) -> None:
    pid = f"{B}/{n}"
    enqueue(
        session, kind="announce", channel="C1", key=pid, now=NOW, paper_id=pid, already_told=True
    )


def test_home_lists_the_factions_open_anfragen_overdue_first(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate(engine)
        factory = session_factory(engine)
        with transaction(factory) as s:
            # Ours, announced nowhere, due 31.12.2024: overdue for 10 days on 10.01.2025.
            s.add(
                paper(
                    1, f"Überfällig {HOSTILE}", faction="Fraktion Die Linke", day=date(2024, 12, 1)
                )
            )
            # Ours (joint, any case), due 04.02.2025.
            s.add(
                paper(
                    2, "Gemeinsam", faction="FRAKTION DIE LINKE, SPD-Fraktion", day=date(2025, 1, 5)
                )
            )
            # Ours, older, but a Große Anfrage (90 days): due 30.01.2025, before no. 2.
            s.add(
                paper(3, "Groß", faction="Die Linke", day=date(2024, 11, 1), kind="Große Anfrage")
            )
            # Ours without a date: no deadline, last.
            s.add(paper(4, "Ohne Datum", faction="Die Linke", day=None))
            # Not ours (announced), answered, deleted: never in the faction's list.
            s.add(paper(5, "CDU fragt", faction="CDU-Fraktion", day=date(2024, 10, 1)))
            s.add(paper(6, "Beantwortet", faction="Die Linke", day=date(2024, 10, 1)))
            s.add(paper(7, "Gelöscht", faction="Die Linke", day=date(2024, 10, 1), deleted=True))
            s.add(AnswerLink(anfrage_id=f"{B}/6", rule="title", linked_at=NOW))
        with transaction(factory) as s:
            announce(s, 5)
            announce(s, 6)
        with factory() as s:
            data = load_home(s, "U1", now=NOW, tz=TZ, perspective=LINKE)
            plain = load_home(s, "U1", now=NOW, tz=TZ)
        assert data.open_total == 4
        assert [i.paper.reference for i in data.open_items] == ["14/1", "14/3", "14/2", "14/4"]
        assert [i.deadline for i in data.open_items] == [
            date(2024, 12, 31),
            date(2025, 1, 30),
            date(2025, 2, 4),
            None,
        ]
        view = home_view(data, now=NOW, tz=TZ)
        assert len(view["blocks"]) <= MAX_VIEW_BLOCKS
        text = blocks_text(view["blocks"])
        assert "Offene Anfragen (4)" in text and "unserer Fraktion" in text
        lines = [line for line in text.splitlines() if line.startswith("*14/")]
        assert lines[0].startswith("*14/1* · *überfällig* seit 10 Tagen · ")
        assert lines[1].startswith("*14/3* · fällig bis 30.01.2025")
        assert lines[2].startswith("*14/2* · fällig bis 04.02.2025")
        assert "CDU fragt" not in text and "Beantwortet" not in text and "Gelöscht" not in text
        assert "<!channel>" not in text and "&lt;!channel&gt;" in text
        assert "<https://evil.example" not in text and "\u202e" not in text
        # Without `[faction]`: the announced, unanswered ones, as before issue 13.
        assert plain.open_total == 1 and plain.open_items[0].paper.reference == "14/5"
        assert plain.open_items[0].deadline is None
        assert "unserer Fraktion" not in blocks_text(home_view(plain, now=NOW, tz=TZ)["blocks"])
    finally:
        engine.dispose()


def test_grouped_limited_queries_pick_what_sorting_everything_would(db_url: str) -> None:
    rnd = random.Random(14)
    kinds = ["Anfrage", "Große Anfrage", "Kleine Anfrage", None]
    perspective = Perspective(
        faction=FactionConfig(name="Linke", aliases=("Grüne",)),
        deadlines=DeadlinesConfig(
            answer_days=21, paper_types=(("große anfrage", 60), ("Kleine Anfrage", 0))
        ),
    )
    factions = ["Die Linke", "GRÜNE", "CDU", "SPD, Linke", None, ""]
    engine = make_engine(db_url)
    try:
        migrate(engine)
        factory = session_factory(engine)
        rows = []
        with transaction(factory) as s:
            for n in range(120):
                day = (
                    None
                    if rnd.random() < 0.15
                    else date(2024, 1, 1) + timedelta(rnd.randrange(400))
                )
                seen = NOW - timedelta(hours=rnd.randrange(5000))
                row = paper(
                    n,
                    f"Thema {n}",
                    faction=rnd.choice(factions),
                    day=day,
                    kind=rnd.choice(kinds),
                    first_seen=seen,
                )
                rows.append((n, row.faction, day, row.paper_type, seen))
                s.add(row)
        mine = [r for r in rows if is_ours(split_factions(r[1]), perspective.faction)]

        def key(r: tuple[int, str | None, date | None, str | None, datetime]) -> tuple[object, ...]:
            due = answer_due(r[2], r[3], perspective.deadlines)
            return (
                due is None,
                due or date.max,
                r[2] is None,
                r[2] or date.max,
                r[4],
                f"{B}/{r[0]}",
            )

        expected = [f"14/{r[0]}" for r in sorted(mine, key=key)]
        with factory() as s:
            for limit in (1, 7, 40, 200):
                items, total = open_ours(s, tz=TZ, perspective=perspective, limit=limit)
                assert total == len(mine)
                assert [i.paper.reference for i in items] == expected[:limit]
    finally:
        engine.dispose()
