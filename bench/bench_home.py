"""Benchmark the App Home view and the calendar feed on 100,000 papers.

Fills a fresh SQLite file (and PostgreSQL when reachable) through the store's bulk upsert: papers
(a third of them Anfragen, from five factions, one of them ours), announcements of 20,000 of
them, 5,000 answers, 3,000 meetings with Anfragen on their agendas, follows and abos. Then times
`bot.slack.home.build_home` (what `app_home_opened` renders before `views.publish`) with and
without `[faction]`/`[deadlines]`, and `GET /calendar/<token>.ics` of the all-sessions token
through `bot.ical.CalendarFeed` (2,000 sessions): cold (a new event cache per fetch: a server's
first fetch, or every session changed) and warm (a calendar app's repeat fetch). Prints p50/p99
per database and the load average. Target: well under Slack's 3 s for the Home view.

    .venv/bin/python bench/bench_home.py [--papers 100000] [--runs 30] [--no-postgres]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import DeadlinesConfig, FactionConfig  # noqa: E402
from bot.faction import NOBODY, Perspective  # noqa: E402
from bot.ical import CalendarFeed  # noqa: E402
from bot.slack.home import build_home  # noqa: E402
from bot.store.calendar_tokens import ALL_SESSIONS, token_for  # noqa: E402
from bot.store.db import make_engine, migrate, session_factory, transaction  # noqa: E402
from bot.store.schema import (  # noqa: E402
    AgendaItemRow,
    AnswerLink,
    ConsultationRow,
    Delivery,
    Follow,
    MeetingRow,
    OrganizationRow,
    PaperRow,
    Subscription,
)
from bot.store.upsert import upsert  # noqa: E402

PG_URL = os.environ.get(
    "ANFRAGEBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
B = "https://ris.example/oparl/body/1"
FACTIONS = ("Fraktion Die Linke", "SPD-Fraktion", "CDU-Fraktion", "Fraktion GRÜNE", "FDP")
OURS = Perspective(
    faction=FactionConfig(name="Die Linke"),
    deadlines=DeadlinesConfig(answer_days=28, paper_types=(("Große Anfrage", 56),)),
)


def fill(url: str, papers: int) -> None:
    engine = make_engine(url)
    migrate(engine)
    factory = session_factory(engine)
    with transaction(factory) as s:
        upsert(
            s,
            OrganizationRow.__table__,  # type: ignore[arg-type]
            [{"id": f"{B}/org/{i}", "source": "b", "name": f"Ausschuss {i}"} for i in range(40)],
        )
    rows = []
    for i in range(papers):
        rows.append(
            {
                "id": f"{B}/paper/{i}",
                "source": "b",
                "reference": f"14/{i}",
                "ref_norm": f"14/{i}",
                "ref_compact": f"14{i}",
                "name": f"Anfrage zu Thema {i} <Radweg> & Emscher",
                "paper_type": (
                    ("Große Anfrage" if i % 7 == 0 else "Anfrage")
                    if i % 3 == 0
                    else "Beschlussvorlage"
                ),
                "faction": FACTIONS[(i // 3) % len(FACTIONS)] if i % 3 == 0 else None,
                "date": date(2020, 1, 1) + timedelta(days=i % 1900),
                "web": f"https://ris.example/vorgang/{i}",
                "is_anfrage": i % 3 == 0,
                "is_answer": False,
                "deleted": False,
                "first_seen_at": NOW,
                "updated_at": NOW,
            }
        )
    for start in range(0, len(rows), 5000):
        with transaction(factory) as s:
            upsert(s, PaperRow.__table__, rows[start : start + 5000])  # type: ignore[arg-type]
    anfragen = [i for i in range(papers) if i % 3 == 0]
    announced = anfragen[-20000:]
    with transaction(factory) as s:
        s.execute(
            Delivery.__table__.insert(),
            [
                {
                    "kind": "announce",
                    "channel": f"C{i % 5}",
                    "key": f"{B}/paper/{i}",
                    "paper_id": f"{B}/paper/{i}",
                    "payload": {},
                    "status": "sent",
                    "attempts": 1,
                    "created_at": NOW,
                }
                for i in announced
            ],
        )
        s.execute(
            AnswerLink.__table__.insert(),
            [
                {"anfrage_id": f"{B}/paper/{i}", "rule": "title", "linked_at": NOW}
                for i in announced[:5000]
            ],
        )
    meetings = []
    items = []
    consultations = []
    for m in range(3000):
        start = NOW + timedelta(days=(m % 400) - 200, hours=m % 9)
        meetings.append(
            {
                "id": f"{B}/meeting/{m}",
                "source": "b",
                "name": f"Sitzung {m}",
                "start": start,
                "end": start + timedelta(hours=2),
                "location": "Rathaus",
                "cancelled": m % 17 == 0,
                "deleted": False,
                "web": f"https://ris.example/si/{m}",
                "organization_ids": [f"{B}/org/{m % 40}"],
            }
        )
        for k in range(4):
            pid = announced[(m * 4 + k) % len(announced)]
            items.append(
                {
                    "id": f"{B}/item/{m}/{k}",
                    "meeting_id": f"{B}/meeting/{m}",
                    "number": str(k + 1),
                    "name": "TOP",
                    "consultation_id": f"{B}/cons/{m}/{k}",
                    "position": k,
                }
            )
            consultations.append(
                {
                    "id": f"{B}/cons/{m}/{k}",
                    "paper_id": f"{B}/paper/{pid}",
                    "meeting_id": f"{B}/meeting/{m}",
                    "agenda_item_id": f"{B}/item/{m}/{k}",
                    "organization_ids": [],
                    "position": 0,
                }
            )
    with transaction(factory) as s:
        upsert(s, MeetingRow.__table__, meetings)  # type: ignore[arg-type]
        upsert(s, AgendaItemRow.__table__, items)  # type: ignore[arg-type]
        upsert(s, ConsultationRow.__table__, consultations)  # type: ignore[arg-type]
        s.execute(
            Follow.__table__.insert(),
            [
                {"user_id": "U1", "paper_id": f"{B}/paper/{i}", "created_at": NOW}
                for i in announced[:200]
            ],
        )
        s.execute(
            Subscription.__table__.insert(),
            [
                {"channel": f"C{i}", "filters": {"conditions": []}, "created_at": NOW}
                for i in range(50)
            ],
        )
    engine.dispose()


def timed(url: str, runs: int) -> dict[str, list[float]]:
    engine = make_engine(url)
    factory = session_factory(engine)
    with transaction(factory) as s:
        token = token_for(s, ALL_SESSIONS, None, user="U1", now=NOW)
    out: dict[str, list[float]] = {
        "App Home, [faction] + [deadlines]": [],
        "App Home, announced (no [faction])": [],
        "calendar, 2,000 sessions, cold": [],
        "calendar, 2,000 sessions, warm (cached)": [],
    }
    warm = CalendarFeed(factory, tz=TZ, clock=lambda: NOW)
    warm(token)
    for _ in range(runs):
        for name, perspective in (
            ("App Home, [faction] + [deadlines]", OURS),
            ("App Home, announced (no [faction])", NOBODY),
        ):
            t0 = time.perf_counter()
            view = build_home(
                factory, "U1", now=NOW, tz=TZ, default_channel="C0", perspective=perspective
            )
            out[name].append(time.perf_counter() - t0)
            assert len(view["blocks"]) <= 100 and "Offene Anfragen" in str(view), view
        cold = CalendarFeed(factory, tz=TZ, clock=lambda: NOW)
        t0 = time.perf_counter()
        body = cold(token)
        out["calendar, 2,000 sessions, cold"].append(time.perf_counter() - t0)
        assert body is not None and body.count(b"BEGIN:VEVENT") > 1000
        t0 = time.perf_counter()
        again = warm(token)
        out["calendar, 2,000 sessions, warm (cached)"].append(time.perf_counter() - t0)
        assert again == warm(token) and again is not None and len(again) > 100_000
    engine.dispose()
    return out


def pg_url() -> tuple[str, str] | None:
    try:
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        dsn = PG_URL.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        return f"{PG_URL}?options=-csearch_path%3D{schema}", schema
    except Exception:  # noqa: BLE001 - no PostgreSQL: SQLite only
        return None


def drop_schema(schema: str) -> None:
    import psycopg

    dsn = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--no-sqlite", action="store_true")
    args = ap.parse_args()
    schemas = []
    with tempfile.TemporaryDirectory() as tmp:
        urls = {} if args.no_sqlite else {"SQLite": f"sqlite:///{tmp}/home.db"}
        if not args.no_postgres and (pg := pg_url()):
            urls["PostgreSQL"] = pg[0]
            schemas.append(pg[1])
        try:
            print("| database | what | papers | p50 ms | p99 ms |\n|---|---|---|---|---|")
            for name, url in urls.items():
                fill(url, args.papers)
                for what, times in timed(url, args.runs).items():
                    times.sort()
                    p50 = statistics.median(times) * 1000
                    p99 = times[min(len(times) - 1, int(len(times) * 0.99))] * 1000
                    print(f"| {name} | {what} | {args.papers:,} | {p50:.0f} | {p99:.0f} |")
                print(f"load average after {name}: {os.getloadavg()}", flush=True)
        finally:
            for schema in schemas:
                drop_schema(schema)


if __name__ == "__main__":
    main()
