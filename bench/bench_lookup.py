"""Benchmark `/anfrage REF`, `/anfrage suche TEXT` and `/anfrage statistik` on 100,000 papers.

Fills a fresh SQLite file (and PostgreSQL when reachable) with synthetic but realistic papers
through the store's bulk upsert, builds the search index the way the poll does, then times
`bot.slack.commands.answer()` — the function behind Slack and `anfragebot lookup` — and prints a
markdown table of p50/p99 per database and command. Target: p99 < 50 ms for lookups and
search; `statistik` (every Anfrage aggregated per faction and department) must answer well
within Slack's 3 s. The papers carry a department (`underDirectionOf`) and about 60 % of the
Anfragen an answer link, so the statistics have real work to do; the whole
`anfragebot lookup statistik` process is timed too (start-up, config, migration check, query).

    .venv/bin/python bench/bench_lookup.py [--papers 100000] [--queries 300] [--no-postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.classify import compact_reference, normalize_reference  # noqa: E402
from bot.config import DeadlinesConfig, FactionConfig  # noqa: E402
from bot.faction import Perspective  # noqa: E402
from bot.slack.commands import answer  # noqa: E402
from bot.store.db import make_engine, migrate, session_factory, transaction  # noqa: E402
from bot.store.schema import (  # noqa: E402
    AnswerLink,
    DocumentRow,
    FileRow,
    OrganizationRow,
    PaperRow,
)
from bot.store.search import reindex_papers  # noqa: E402
from bot.store.upsert import upsert  # noqa: E402

PG_URL = os.environ.get(
    "ANFRAGEBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)

TOPICS = [
    "Radweg",
    "Radschnellweg Ruhr",
    "Emscher",
    "Haushalt",
    "Integrationszentren",
    "Klimaschutz",
    "Grünflächen",
    "Nahverkehr",
    "Schulsanierung",
    "Kita-Plätze",
    "Wohnungsbau",
    "Zeche Zollverein",
    "Landschaftspark",
    "Regionalplan",
    "Gewerbeflächen",
    "Windenergie",
    "Hochwasserschutz",
    "Digitalisierung der Verwaltung",
    "Metropole Ruhr",
    "Tourismus",
    "Kulturhauptstadt",
    "Sportstätten",
    "Freibad",
    "Baumpflanzungen",
    "Lärmschutz",
    "Luftreinhaltung",
    "Fahrradverleih",
    "Barrierefreiheit",
    "Obdachlosigkeit",
    "Energiearmut",
]
TYPES = [
    "Fraktionsanfrage",
    "Anfrage",
    "Beschlussvorlage",
    "Antrag",
    "Mitteilungsvorlage",
    "Beantwortung einer Anfrage",
]
FACTIONS = [
    "Fraktion Die Linke",
    "SPD-Fraktion",
    "CDU-Fraktion",
    "Fraktion BÜNDNIS 90/DIE GRÜNEN",
    "FDP-Fraktion",
    "Fraktion AfD",
]
DEPARTMENTS = [
    "Amt für Schule und Bildung",
    "Kämmerei",
    "Planungsamt",
    "Umweltamt",
    "Sozialamt",
    "Tiefbauamt",
    "Kulturamt",
    "Hauptamt",
]
PERSPECTIVE = Perspective(
    faction=FactionConfig(name="Fraktion Die Linke"),
    deadlines=DeadlinesConfig(answer_days=21, paper_types=(("Fraktionsanfrage", 28),)),
)
VERBS = [
    "Wie bewertet die Verwaltung",
    "Welche Kosten entstehen durch",
    "Wann beginnt",
    "Welche Maßnahmen plant der RVR zu",
    "Wie viele Beschäftigte arbeiten an",
]


def paper_id(i: int) -> str:
    return f"https://ris.example/oparl/body/1/paper/{i}"


def paper_rows(n: int, rng: random.Random) -> tuple[list[dict], list[dict], list[dict]]:
    papers, files, docs = [], [], []
    per_term = n // 6 + 1
    start = date(2015, 1, 1)
    for i in range(n):
        term, number = 10 + i // per_term, 1 + i % per_term
        ref = f"{term}/{number}"
        topic, other = rng.sample(TOPICS, 2)
        kind = rng.choice(TYPES)
        faction = rng.choice(FACTIONS)
        pid = paper_id(i)
        day = start + timedelta(days=int(i * 3650 / n))
        papers.append(
            {
                "id": pid,
                "source": "bench",
                "body_id": "https://ris.example/oparl/body/1",
                "reference": ref,
                "ref_norm": normalize_reference(ref),
                "ref_compact": compact_reference(ref),
                "name": f"{kind} der {faction}: {topic} und {other}",
                "paper_type": kind,
                "date": day,
                "web": f"https://ris.example/vorgang/{i}",
                "created": None,
                "modified": None,
                "deleted": False,
                "originator_organization_ids": [],
                "related_paper_ids": [],
                "is_anfrage": "nfrage" in kind and "Beantwortung" not in kind,
                "is_answer": False,
                "faction": faction,
                "announce_state": None,
                "first_seen_at": NOW,
                "updated_at": NOW,
            }
        )
        fid = f"https://ris.example/oparl/body/1/file/{i}"
        text = "\n".join(
            f"{k}. {rng.choice(VERBS)} {rng.choice(TOPICS)} im Zusammenhang mit {topic}?"
            for k in range(1, rng.randint(2, 6))
        )
        files.append(
            {
                "id": fid,
                "paper_id": pid,
                "role": "main",
                "name": ref,
                "mime_type": "application/pdf",
                "access_url": f"https://ris.example/files/{i}.pdf",
                "download_url": None,
                "text": None,
                "version_key": fid,
                "position": 0,
            }
        )
        questions = [
            {"number": str(k), "text": line.split(". ", 1)[1], "items": []}
            for k, line in enumerate(text.splitlines(), start=1)
        ]
        docs.append(
            {
                "file_id": fid,
                "paper_id": pid,
                "version_key": fid,
                "status": "ok",
                "error": None,
                "pages": 1,
                "text": f"{kind}\n{faction}\n{topic}\n{text}",
                "parsed": {"questions": questions, "factions": [faction]},
                "attempts": 1,
                "read_at": NOW,
            }
        )
    return papers, files, docs


def department_id(k: int) -> str:
    return f"https://ris.example/oparl/body/1/organization/dept-{k}"


def department_rows() -> list[dict]:
    return [
        {"id": department_id(k), "source": "bench", "name": name, "deleted": False}
        for k, name in enumerate(DEPARTMENTS)
    ]


def answer_rows(papers: list[dict], rng: random.Random) -> list[dict]:
    """About 60 % of the Anfragen answered, after 3 to 90 days. Also sets each paper's
    department (a separate generator: the lookup/search data stay as they were)."""
    out = []
    for p in papers:
        p["under_direction_of"] = department_id(rng.randrange(len(DEPARTMENTS)))
        if p["is_anfrage"] and rng.random() < 0.6:
            out.append(
                {
                    "anfrage_id": p["id"],
                    "answer_paper_id": None,
                    "answer_file_id": None,
                    "rule": "bench",
                    "answered_on": p["date"] + timedelta(days=rng.randint(3, 90)),
                    "url": None,
                    "linked_at": NOW,
                }
            )
    return out


def fill(url: str, n: int) -> float:
    engine = make_engine(url)
    migrate(engine)
    factory = session_factory(engine)
    rng = random.Random(42)
    started = time.perf_counter()
    papers, files, docs = paper_rows(n, rng)
    answers = answer_rows(papers, random.Random(13))
    with transaction(factory) as session:
        upsert(session, OrganizationRow.__table__, department_rows())  # type: ignore[arg-type]
    step = 5000
    for lo in range(0, n, step):
        with transaction(factory) as session:
            upsert(session, PaperRow.__table__, papers[lo : lo + step])  # type: ignore[arg-type]
            upsert(session, FileRow.__table__, files[lo : lo + step])  # type: ignore[arg-type]
            upsert(session, DocumentRow.__table__, docs[lo : lo + step])  # type: ignore[arg-type]
            reindex_papers(session, [p["id"] for p in papers[lo : lo + step]], now=NOW)
    for lo in range(0, len(answers), step):
        with transaction(factory) as session:
            upsert(session, AnswerLink.__table__, answers[lo : lo + step])  # type: ignore[arg-type]
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return time.perf_counter() - started


def measure(url: str, n: int, queries: int) -> dict[str, list[float]]:
    engine = make_engine(url)
    factory = session_factory(engine)
    rng = random.Random(7)
    per_term = n // 6 + 1
    last_term = 10 + (n - 1) // per_term
    samples: dict[str, list[float]] = {}

    def run(label: str, text: str) -> None:
        t0 = time.perf_counter()
        with transaction(factory) as session:
            reply = answer(session, text, "CBENCH", "UBENCH", NOW, TZ, perspective=PERSPECTIVE)
        samples.setdefault(label, []).append((time.perf_counter() - t0) * 1000)
        assert reply.blocks

    def baseline(paper_id: str) -> None:
        # The floor of any answer: one transaction reading one paper by primary key.
        t0 = time.perf_counter()
        with transaction(factory) as session:
            session.get(PaperRow, paper_id)
        samples.setdefault(BASELINE, []).append((time.perf_counter() - t0) * 1000)

    for _ in range(5):  # warm the connection pool and caches
        run("warmup", "14/1")
    for _ in range(queries):
        term = rng.randint(10, last_term)
        number = rng.randint(1, per_term - 1)
        baseline(paper_id(rng.randrange(n)))
        run("`/anfrage 14/1923`", f"{term}/{number}")
        run("`/anfrage 14 / 1923`", f"{term} / {number}")
        run("`/anfrage 1923` (bare)", str(rng.randint(1, per_term - 1)))
        run("`/anfrage 99/1` (not found)", f"{term}/{per_term + rng.randint(1, 50)}")
        run("`/anfrage suche WORD`", f"suche {rng.choice(TOPICS).split()[0]}")
        run(
            "`/anfrage suche TWO WORDS`",
            f"suche {rng.choice(TOPICS).split()[0]} {rng.choice(TOPICS).split()[0]}",
        )
    # Each statistik answer aggregates every Anfrage: fewer repetitions.
    for _ in range(max(5, queries // 10)):
        run("`/anfrage statistik`", "statistik")
        run("`/anfrage statistik fraktion:Linke`", "statistik fraktion:Linke")
        run(
            "`/anfrage statistik amt:Schule seit:2020-01-01`",
            "statistik amt:Schule seit:2020-01-01",
        )
    engine.dispose()
    samples.pop("warmup")
    return samples


PROCESS = "whole process: `anfragebot lookup statistik`"
PROCESS_BASE = "whole process: `anfragebot lookup hilfe` (start-up only)"


def measure_process(url: str, runs: int, query: str = "statistik") -> list[float]:
    """`anfragebot lookup statistik` as a new process each time, as a terminal user runs it."""
    exe = Path(sys.executable).with_name("anfragebot")
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.toml"
        config.write_text(
            '[faction]\nname = "Fraktion Die Linke"\n'
            '[deadlines]\nanswer_days = 21\n[deadlines.paper_types]\n"Fraktionsanfrage" = 28\n'
        )
        env = {**os.environ, "DATABASE_URL": url}
        out = []
        for _ in range(runs):
            t0 = time.perf_counter()
            done = subprocess.run(
                [str(exe), "--config", str(config), "lookup", query],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            out.append((time.perf_counter() - t0) * 1000)
            assert ("Statistik:" if query == "statistik" else "/anfrage") in done.stdout
    return out


BASELINE = "baseline: one primary-key read"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def pg_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(
            PG_URL.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3
        ):
            return True
    except Exception:  # noqa: BLE001
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--json", help="also write the rows here (for bench/run_all.py)")
    args = parser.parse_args()

    targets: list[tuple[str, str, str | None]] = []
    tmp = tempfile.TemporaryDirectory()
    targets.append(("SQLite", f"sqlite:///{Path(tmp.name) / 'bench.db'}", None))
    if not args.no_postgres and pg_reachable():
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        import psycopg

        with psycopg.connect(
            PG_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
        ) as c:
            c.execute(f'CREATE SCHEMA "{schema}"')
        sep = "&" if "?" in PG_URL else "?"
        targets.append(("PostgreSQL", f"{PG_URL}{sep}options=-csearch_path%3D{schema}", schema))

    rows = []
    try:
        for name, url, _ in targets:
            seconds = fill(url, args.papers)
            print(
                f"{name}: {args.papers:,} papers stored and indexed in {seconds:.0f} s",
                file=sys.stderr,
            )
            timings = measure(url, args.papers, args.queries)
            timings[PROCESS] = measure_process(url, 5)
            timings[PROCESS_BASE] = measure_process(url, 5, "hilfe")
            for label, values in timings.items():
                rows.append(
                    (
                        name,
                        label,
                        len(values),
                        statistics.median(values),
                        pct(values, 99),
                        max(values),
                    )
                )
    finally:
        for _, _, schema in targets:
            if schema:
                import psycopg

                with psycopg.connect(
                    PG_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
                ) as c:
                    c.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        tmp.cleanup()

    print(f"\n{args.papers:,} papers, answer() end to end incl. transaction; target p99 < 50 ms\n")
    print("| database | command | n | p50 ms | p99 ms | max ms |")
    print("|---|---|---:|---:|---:|---:|")
    for name, label, n, p50, p99, top in rows:
        print(f"| {name} | {label} | {n} | {p50:.1f} | {p99:.1f} | {top:.1f} |")
    if args.json:
        keys = ("database", "command", "n", "p50_ms", "p99_ms", "max_ms")
        Path(args.json).write_text(json.dumps([dict(zip(keys, r, strict=True)) for r in rows]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
