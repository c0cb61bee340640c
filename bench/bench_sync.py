"""Full sync of the real Hürtgenwald crawl, and of the same body multiplied to ~100k papers,
from a local HTTP server into SQLite and PostgreSQL; against the floor: the same pages fetched
by a bare keep-alive httpx loop with json.loads, nothing stored.

Each measurement runs in its own process (so its peak RSS is its own); the feed server runs in
this process.

    .venv/bin/python bench/bench_sync.py [--sizes 10000,50000,100000] [--repeat 3] [--no-pg]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    ROOT,
    huertgenwald_routes,
    keepalive_server,
    md_table,
    peak_rss_mb,
    pg_schema,
    postgres_version,
)

# -- workers (run in a child process) ---------------------------------------------------------


def _floor(system_url: str) -> dict[str, Any]:
    import httpx

    pages = 0
    objects = 0
    t0 = time.perf_counter()
    with httpx.Client(trust_env=False, timeout=30) as http:

        def get(url: str) -> Any:
            nonlocal pages
            pages += 1
            return json.loads(http.get(url).content)

        system = get(system_url)
        url: str | None = system["body"]
        bodies = []
        while url:
            page = get(url)
            bodies += page["data"]
            url = page.get("links", {}).get("next")
        for body in bodies:
            for key in ("organization", "meeting", "paper"):
                url = body.get(key)
                while url:
                    page = get(url)
                    objects += len(page["data"])
                    url = page.get("links", {}).get("next")
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "requests": pages, "objects": objects, "peak_rss_mb": peak_rss_mb()}


def _sync(system_url: str, db_url: str, profile: str | None) -> dict[str, Any]:
    from datetime import UTC, datetime

    import httpx

    from bot.config import SourceConfig
    from bot.feed.client import OParlClient
    from bot.store.db import make_engine, migrate, session_factory
    from jobs.sync import sync_source

    engine = make_engine(db_url)
    migrate(engine)
    factory = session_factory(engine)
    source = SourceConfig(name="bench", url=system_url, requests_per_second=0)
    with httpx.Client(trust_env=False, timeout=30) as http:
        client = OParlClient(http, requests_per_second=0)
        now = datetime(2021, 9, 6, 10, 0, tzinfo=UTC)
        rss_before = peak_rss_mb()
        prof = None
        if profile:
            import cProfile

            prof = cProfile.Profile()
            prof.enable()
        t0 = time.perf_counter()
        report = sync_source(client, factory, source, now=now, announce_max_age_days=14)
        seconds = time.perf_counter() - t0
        if prof is not None:
            prof.disable()
            prof.dump_stats(profile)
    engine.dispose()
    if not report.ok:
        raise SystemExit(f"sync failed: {report.error}")
    return {
        "seconds": seconds,
        "requests": report.requests,
        "papers": report.papers.new + report.papers.deleted,
        "meetings": report.meetings.new + report.meetings.deleted,
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_sync_mb": rss_before,
    }


def _child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# -- orchestration ----------------------------------------------------------------------------


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return min(runs, key=lambda r: float(r["seconds"]))


def measure(
    papers: int | None, *, repeat: int, pg: bool, tmp: Path, profile: str | None = None
) -> dict[str, Any]:
    server = keepalive_server().start()
    try:
        routes, count = huertgenwald_routes(server.base_url, papers)
        server.routes.update(routes)
        from tests import huertgenwald

        system = huertgenwald.system_url(server.base_url)
        result: dict[str, Any] = {"papers": count, "pages": 0}
        _child(["floor", system])  # warm-up: page cache, imports
        result["floor"] = _best([_child(["floor", system]) for _ in range(repeat)])
        sqlite_runs = []
        for i in range(repeat):
            db = tmp / f"sync-{count}-{i}.db"
            sqlite_runs.append(_child(["sync", system, f"sqlite:///{db}"]))
            db.unlink()
        result["sqlite"] = _best(sqlite_runs)
        if profile:
            # An extra run under cProfile (slower), never one of the timed runs.
            db = tmp / f"sync-{count}-profile.db"
            _child(["sync", system, f"sqlite:///{db}", profile])
            db.unlink()
        if pg:
            pg_runs = []
            for _ in range(repeat):
                with pg_schema() as url:
                    pg_runs.append(_child(["sync", system, url]))
            result["postgresql"] = _best(pg_runs)
        result["pages"] = result["floor"]["requests"]
        return result
    finally:
        server.stop()


def report(huert: dict[str, Any], scaled: list[dict[str, Any]]) -> str:
    lines = ["### 1. Full sync of the real Hürtgenwald crawl", ""]
    f = huert["floor"]
    lines.append(
        f"{huert['papers']:,} papers, 367 meetings, {f['requests']} requests (pages). "
        "Floor = the same pages fetched by a bare keep-alive httpx loop + `json.loads`, "
        "nothing stored. Best of the runs; each run in a fresh process and a fresh database."
    )
    lines.append("")
    rows = [
        ["floor (fetch + json.loads)", f"{f['seconds']:.2f}", "1.00×", f"{f['peak_rss_mb']:.0f}"]
    ]
    for db in ("sqlite", "postgresql"):
        if db in huert:
            r = huert[db]
            rows.append(
                [
                    f"`sync_source` → {db}",
                    f"{r['seconds']:.2f}",
                    f"{r['seconds'] / f['seconds']:.2f}×",
                    f"{r['peak_rss_mb']:.0f}",
                ]
            )
    lines.append(md_table(["run", "seconds", "vs floor", "peak RSS MB"], rows))
    lines.append("")
    if scaled:
        lines += ["### 2. Scaling: the same body multiplied to ~100k papers", ""]
        lines.append(
            "The paper list repeated under new ids (papers, files, consultations), 25 per page; "
            "meetings and organizations as recorded. Peak RSS = VmHWM of the syncing process."
        )
        lines.append("")
        rows = []
        base = scaled[0]
        for s in scaled:
            f = s["floor"]
            for db in ("sqlite", "postgresql"):
                if db not in s:
                    continue
                r = s[db]
                us = r["seconds"] / s["papers"] * 1e6
                base_us = base[db]["seconds"] / base["papers"] * 1e6 if db in base else us
                rows.append(
                    [
                        f"{s['papers']:,}",
                        s["pages"],
                        db,
                        f"{f['seconds']:.2f}",
                        f"{r['seconds']:.2f}",
                        f"{r['seconds'] / f['seconds']:.2f}×",
                        f"{us:.0f}",
                        f"{us / base_us:.2f}",
                        f"{r['peak_rss_mb']:.0f}",
                    ]
                )
        lines.append(
            md_table(
                [
                    "papers",
                    "pages",
                    "db",
                    "floor s",
                    "sync s",
                    "vs floor",
                    "µs per paper",
                    "µs per paper vs smallest",
                    "peak RSS MB",
                ],
                rows,
            )
        )
        lines.append("")
    return "\n".join(lines)


def profile_summary(path: str, top: int = 14) -> str:
    """Where the time of a full sync goes: own time per function, grouped by area."""
    import pstats

    stats = pstats.Stats(path)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())
    areas: dict[str, float] = {}
    for (filename, _line, func), (_cc, _nc, tt, _ct, _callers) in raw.items():
        areas[_area(filename, func)] = areas.get(_area(filename, func), 0.0) + tt
    lines = [
        "Own time by area (cProfile of the largest SQLite sync; profiling inflates the "
        "Python share):",
        "",
    ]
    lines.append(
        md_table(
            ["area", "share"],
            [[a, f"{t / total:.0%}"] for a, t in sorted(areas.items(), key=lambda x: -x[1])],
        )
    )
    lines += ["", "Top functions by own time:", "", "```"]
    ranked = sorted(raw.items(), key=lambda kv: -kv[1][2])[:top]
    for (filename, line, func), (_cc, nc, tt, ct, _callers) in ranked:
        short = _short_path(filename)
        lines.append(f"{tt:7.2f}s own {ct:7.2f}s cum {nc:>9} calls  {short}:{line}({func})")
    lines += ["```", ""]
    return "\n".join(lines)


def _short_path(filename: str) -> str:
    """Paths relative to the repository or the Python installation: no machine paths in docs."""
    repo = str(Path(__file__).resolve().parents[1]) + "/"
    if "site-packages/" in filename:
        return filename.split("site-packages/")[-1]
    if filename.startswith(repo):
        return filename[len(repo) :]
    for prefix in (sys.base_prefix, sys.prefix):
        if filename.startswith(prefix):
            return "<python>" + filename[len(prefix) :]
    return filename


def _area(filename: str, func: str) -> str:
    if "sqlite3" in func or "sqlite3" in filename or "'commit' of" in func:
        return "SQLite (C library: inserts, indexes, commit)"
    if "sqlalchemy" in filename:
        return "SQLAlchemy (statement execution, parameter processing)"
    if "bot/feed/parse" in filename or "bot/feed/quirks" in filename or "bot/domain" in filename:
        return "parsing OParl JSON into domain objects (bot/feed/parse, quirks)"
    if "bot/classify" in filename:
        return "classification (Anfrage?, faction, reference)"
    if "bot/store" in filename or "jobs/" in filename:
        return "store mapping (bot/store/feed_store, jobs/sync)"
    if "json" in filename or "httpx" in filename or "httpcore" in filename or "socket" in func:
        return "HTTP + JSON decoding (the floor's work)"
    if "h11" in filename or "ssl" in filename:
        return "HTTP + JSON decoding (the floor's work)"
    return "other (interpreter, stdlib)"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", nargs="+")
    ap.add_argument("--sizes", default="10000,50000,100000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scale-repeat", type=int, default=1)
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument(
        "--scale-pg", action="store_true", help="also sync the scaled feeds into PostgreSQL"
    )
    ap.add_argument("--profile", help="cProfile output of the largest SQLite sync")
    ap.add_argument("--json", help="write raw results here")
    args = ap.parse_args()
    if args.worker:
        kind, *rest = args.worker
        if kind == "floor":
            out = _floor(rest[0])
        else:
            out = _sync(rest[0], rest[1], rest[2] if len(rest) > 2 else None)
        print(json.dumps(out))
        return 0
    pg = not args.no_pg and postgres_version() is not None
    sizes = [int(s) for s in args.sizes.split(",") if s]
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        huert = measure(None, repeat=args.repeat, pg=pg, tmp=tmp)
        scaled = [
            measure(
                n,
                repeat=args.scale_repeat,
                pg=pg and args.scale_pg,
                tmp=tmp,
                profile=args.profile if n == max(sizes) else None,
            )
            for n in sizes
        ]
    if args.json:
        Path(args.json).write_text(json.dumps({"huertgenwald": huert, "scaled": scaled}, indent=1))
    print(report(huert, scaled))
    if args.profile:
        print(profile_summary(args.profile))
    return 0


if __name__ == "__main__":
    sys.exit(main())
