"""Benchmark `/anfrage REF` and `/anfrage suche TEXT` on 100,000 papers.

Fills a fresh SQLite file (and PostgreSQL when reachable) with synthetic but realistic papers
through the store's bulk upsert, builds the search index the way the poll does, then times
`bot.slack.commands.answer()` — the function behind Slack and `anfragebot lookup` — and prints a
markdown table of p50/p99 per database and command. Target: p99 < 50 ms.

    .venv/bin/python bench/bench_lookup.py [--papers 100000] [--queries 300] [--no-postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.classify import compact_reference, normalize_reference  # noqa: E402
from bot.slack.commands import answer  # noqa: E402
from bot.store.db import make_engine, migrate, session_factory, transaction  # noqa: E402
from bot.store.schema import DocumentRow, FileRow, PaperRow  # noqa: E402
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


def fill(url: str, n: int) -> float:
    engine = make_engine(url)
    migrate(engine)
    factory = session_factory(engine)
    rng = random.Random(42)
    started = time.perf_counter()
    papers, files, docs = paper_rows(n, rng)
    step = 5000
    for lo in range(0, n, step):
        with transaction(factory) as session:
            upsert(session, PaperRow.__table__, papers[lo : lo + step])  # type: ignore[arg-type]
            upsert(session, FileRow.__table__, files[lo : lo + step])  # type: ignore[arg-type]
            upsert(session, DocumentRow.__table__, docs[lo : lo + step])  # type: ignore[arg-type]
            reindex_papers(session, [p["id"] for p in papers[lo : lo + step]], now=NOW)
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
            reply = answer(session, text, "CBENCH", "UBENCH", NOW, TZ)
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
    engine.dispose()
    samples.pop("warmup")
    return samples


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
            for label, values in measure(url, args.papers, args.queries).items():
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
