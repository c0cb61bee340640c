"""The whole process, as a user runs it: `anfragebot --config X poll --once`, first against an
empty database (the first poll of a council) and right after that again (an idle poll: nothing
changed). The feed is the real Hürtgenwald crawl multiplied to N papers (bench_sync's feed),
served on 127.0.0.1 by this process; SD.NET's behaviour for a filtered list with nothing new
(404) is kept, so the idle poll costs one request per list.

Baseline, in the same run: the fetch floor (bench_sync's bare keep-alive httpx loop, GET every
page + json.loads, nothing stored). Wall time is measured around the child process (start to
exit, interpreter start-up and imports included); peak RSS is the child's own `ru_maxrss`
(os.wait4). The load average is recorded next to each figure: the machine may be shared.

`--user-venv DIR` runs the poll from a venv made the way the README's user install makes it
(`python3 -m venv DIR && DIR/bin/pip install -q .` from this repository, or from `--code`: no dev
extras, so none of the packages that only the tests and linters bring, e.g. rich/click/pygments
that httpx would import for its CLI). DIR is created if it has no `bin/anfragebot`; it is a
copy, not an editable install: delete it (or pass a new DIR) after changing the code.
`--idle-runs N` runs the idle poll N times and reports the run with the median CPU time.

    .venv/bin/python bench/bench_process.py [--sizes 10000,50000,101520] [--no-pg]
        [--quick] [--profile DIR] [--json FILE] [--user-venv DIR] [--idle-runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_sync  # noqa: E402
from common import (  # noqa: E402
    ROOT,
    huertgenwald_routes,
    keepalive_server,
    md_table,
    pg_schema,
    postgres_version,
)

from bot.demo.server import FeedReply as Reply  # noqa: E402

# The poll's `now`: the crawl's own day, so the first poll announces the recent Anfragen (and
# reads their documents) as a user's first poll would.
FIRST = "2021-09-06T10:00:00+00:00"
IDLE = "2021-09-06T10:15:00+00:00"


# `--idle-runs N`: how many idle polls to run (the median by CPU time is reported).
IDLE_RUNS = 1

# `--user-venv DIR`: the venv whose `anfragebot` is measured (None: this interpreter's venv).
USER_VENV: Path | None = None


def console_script() -> Path:
    """The installed `anfragebot`: the user venv's, else the one next to this interpreter."""
    if USER_VENV is not None:
        return USER_VENV / "bin" / "anfragebot"
    return Path(sys.executable).parent / "anfragebot"


def make_user_venv(venv: Path, source: Path) -> None:
    """The README's user install into `venv` (no dev extras), unless it is there already."""
    if (venv / "bin" / "anfragebot").exists():
        return
    print(f"creating {venv}: python3 -m venv + pip install -q {source}", file=sys.stderr)
    subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(source)], check=True)


def write_config(path: Path, system_url: str, db_url: str) -> None:
    path.write_text(
        f"""log_level = "INFO"
[database]
url = {json.dumps(db_url)}
[[sources]]
name = "bench"
url = {json.dumps(system_url)}
requests_per_second = 0
[slack]
channel = "C0BENCH"
announce_max_age_days = 14
pace_seconds = 0
""",
        encoding="utf-8",
    )


@dataclass
class Run:
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float  # user + system time of the child: less at the mercy of other load
    load: float  # 1-minute load average when the run started
    exit_code: int
    log_tail: str


# A small launcher between this process and the measured one: on Linux a child's `ru_maxrss`
# starts at the high-water mark of the process it was forked from (kept across exec), and this
# process holds the whole multiplied feed. The launcher is small, so the figure is the child's.
_LAUNCHER = """
import json, os, sys, time
out, argv = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(argv[0], argv)
_pid, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - t0
with open(out, "w") as f:
    json.dump({"seconds": seconds, "maxrss_kb": usage.ru_maxrss,
               "cpu_seconds": usage.ru_utime + usage.ru_stime,
               "exit": os.waitstatus_to_exitcode(status)}, f)
"""


# `--code DIR`: run the poll from another source tree (e.g. the code before a change), with the
# same interpreter and packages.
CODE: Path | None = None


def run_child(argv: list[str], log: Path, env: dict[str, str] | None = None) -> Run:
    """Run `argv` to its exit; wall time (fork to exit) and the child's own peak RSS."""
    load = os.getloadavg()[0]
    stats = log.with_suffix(".json")
    with log.open("wb") as err:
        subprocess.run(
            [sys.executable, "-S", "-c", _LAUNCHER, str(stats), *argv],
            cwd=CODE or ROOT,
            stdout=subprocess.DEVNULL,
            stderr=err,
            check=False,
            env={**(env or os.environ), **({"PYTHONPATH": str(CODE)} if CODE else {})},
        )
    measured = json.loads(stats.read_text())
    tail = "\n".join(log.read_text("utf-8", "replace").strip().splitlines()[-6:])
    return Run(
        measured["seconds"],
        measured["maxrss_kb"] / 1024,
        measured["cpu_seconds"],
        load,
        int(measured["exit"]),
        tail,
    )


def slack_env(slack: Any) -> dict[str, str]:
    """A bot token and the local fake Slack (tests/fake_slack.py): the production code path."""
    return {**os.environ, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_API_URL": slack.base_url}


def poll(
    config: Path, now: str, log: Path, env: dict[str, str], profile: Path | None = None
) -> Run:
    if profile is None:
        argv = [str(console_script())]
    else:
        # The same entry point under cProfile (slower: never one of the timed runs).
        argv = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "bot.cli"]
    run = run_child([*argv, "--config", str(config), "poll", "--once", "--now", now], log, env)
    if run.exit_code != 0:
        raise SystemExit(f"poll --once failed (exit {run.exit_code}):\n{run.log_tail}")
    return run


def _sdnet_hook(path: str) -> Reply | None:
    # SD.NET answers 404 for a filtered list with nothing new (see bench_poll.py).
    return Reply(status=404) if "modified_since=" in path else None


def _count(db_url: str, table: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def measure_db(
    config_dir: Path,
    system: str,
    db_url: str,
    server: Any,
    env: dict[str, str],
    profile_dir: Path | None,
    tag: str,
) -> dict[str, Any]:
    config = config_dir / f"{tag}.toml"
    write_config(config, system, db_url)
    server.hook = None
    first = poll(config, FIRST, config_dir / f"{tag}-first.log", env)
    server.hook = _sdnet_hook
    # `--idle-runs N`: the idle poll N times on the same database; the run with the median CPU
    # time is reported (a single run on a shared machine is noisy), all of them under "idle_runs".
    idles = [poll(config, IDLE, config_dir / f"{tag}-idle.log", env) for _ in range(IDLE_RUNS)]
    idle = sorted(idles, key=lambda r: r.cpu_seconds)[len(idles) // 2]
    out: dict[str, Any] = {
        "first": first.__dict__,
        "idle": idle.__dict__,
        "idle_runs": [r.__dict__ for r in idles],
        "papers_stored": _count(db_url, "papers"),
        "search_rows": _count(db_url, "search_documents"),
    }
    if profile_dir is not None:
        # A third and fourth run under cProfile, on the same database: idle, then the first
        # poll again into a fresh database (below, by the caller).
        prof = profile_dir / f"{tag}-idle.prof"
        poll(config, IDLE, config_dir / f"{tag}-idle-prof.log", env, profile=prof)
        out["idle_profile"] = str(prof)
    return out


def measure(
    papers: int,
    *,
    pg: bool,
    tmp: Path,
    profile_dir: Path | None,
    keep: Path | None = None,
    floor_only: bool = False,
    sqlite: bool = True,
) -> dict[str, Any]:
    from tests.fake_slack import FakeSlack

    server = keepalive_server().start()
    slack = FakeSlack()
    env = slack_env(slack)
    try:
        routes, count = huertgenwald_routes(server.base_url, papers)
        server.routes.update(routes)
        from tests import huertgenwald

        system = huertgenwald.system_url(server.base_url)
        result: dict[str, Any] = {"papers": count}
        bench_sync._child(["floor", system])  # warm-up: page cache, imports
        floor_t0 = time.perf_counter()
        result["floor"] = bench_sync._child(["floor", system])
        result["floor"]["process_seconds"] = time.perf_counter() - floor_t0
        result["floor"]["load"] = os.getloadavg()[0]
        # The floor's CPU time as a whole process, like the poll's: on a busy machine the CPU
        # ratio holds where wall times do not.
        floor_proc = run_child(
            [sys.executable, str(Path(bench_sync.__file__).resolve()), "--worker", "floor", system],
            tmp / f"floor-{count}.log",
        )
        result["floor"]["process_cpu_seconds"] = floor_proc.cpu_seconds
        if floor_only:
            return result
        if sqlite:
            db = tmp / f"process-{count}.db"
            result["sqlite"] = measure_db(
                tmp, system, f"sqlite:///{db}", server, env, profile_dir, f"sqlite-{count}"
            )
            result["sqlite"]["announced"] = len(slack.announcements())
            if keep is not None:
                db.rename(keep / db.name)
            else:
                db.unlink()
            if profile_dir is not None:
                server.hook = None
                db = tmp / f"process-{count}-prof.db"
                config = tmp / f"prof-{count}.toml"
                write_config(config, system, f"sqlite:///{db}")
                prof = profile_dir / f"sqlite-{count}-first.prof"
                poll(config, FIRST, tmp / f"prof-{count}.log", env, profile=prof)
                result["sqlite"]["first_profile"] = str(prof)
                db.unlink()
        if pg:
            with pg_schema() as url:
                result["postgresql"] = measure_db(
                    tmp, system, url, server, env, None, f"postgresql-{count}"
                )
        return result
    finally:
        server.stop()
        slack.stop()


def report(results: list[dict[str, Any]]) -> str:
    lines = [
        "### 7. The whole process: `poll --once`, first and idle",
        "",
        "`anfragebot --config X poll --once` run as its own process (start-up and imports "
        "included) against the Hürtgenwald crawl multiplied to N papers on 127.0.0.1; first "
        "into an empty database, then an idle poll right after (nothing changed; SD.NET's 404 "
        "for an empty filtered list). Floor = bench_sync's fetch loop in the same run (GET "
        "every page + `json.loads`, nothing stored). Peak RSS = the child's own `ru_maxrss`; "
        "CPU = its user + system time, less at the mercy of other load than wall time; the "
        "floor's CPU is its loop run as a whole process too (both leave out the feed server). "
        "Load = 1-minute load average when the run started (2 cores).",
        "",
    ]
    rows = []
    base_idle: dict[str, tuple[float, float]] = {}
    for r in results:
        f = r["floor"]
        for db in ("sqlite", "postgresql"):
            if db not in r:
                continue
            first, idle = r[db]["first"], r[db]["idle"]
            base_idle.setdefault(db, (idle["seconds"], idle["cpu_seconds"]))
            pg_vs = ""
            if db == "postgresql" and "sqlite" in r:
                pg_vs = f"{first['seconds'] / r['sqlite']['first']['seconds']:.2f}×"
            rows.append(
                [
                    f"{r['papers']:,}",
                    db,
                    f"{f['seconds']:.2f} ({f['process_cpu_seconds']:.2f})",
                    f"{first['seconds']:.2f} ({first['cpu_seconds']:.2f})",
                    f"{first['seconds'] / f['seconds']:.1f}× "
                    f"({first['cpu_seconds'] / f['process_cpu_seconds']:.1f}×)",
                    pg_vs,
                    f"{first['peak_rss_mb']:.0f}",
                    f"{idle['seconds']:.2f} ({idle['cpu_seconds']:.2f})",
                    f"{idle['seconds'] / base_idle[db][0]:.2f}× "
                    f"({idle['cpu_seconds'] / base_idle[db][1]:.2f}×)",
                    f"{idle['peak_rss_mb']:.0f}",
                    f"{first['load']:.1f} / {idle['load']:.1f}",
                ]
            )
    lines.append(
        md_table(
            [
                "papers",
                "db",
                "floor s (CPU s)",
                "first poll s (CPU s)",
                "vs floor (CPU)",
                "vs SQLite",
                "first: peak RSS MB",
                "idle poll s (CPU s)",
                "idle vs smallest (CPU)",
                "idle: peak RSS MB",
                "load first / idle",
            ],
            rows,
        )
    )
    lines.append("")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,50000,101520")
    ap.add_argument("--quick", action="store_true", help="small sizes: check that it all runs")
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--profile", help="directory for cProfile output of the largest size")
    ap.add_argument("--json", help="write raw results here")
    ap.add_argument("--keep", help="keep the SQLite databases (after the idle poll) here")
    ap.add_argument("--floor-only", action="store_true", help="only the floor (no polls)")
    ap.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    ap.add_argument("--code", help="run `anfragebot` from this source tree instead (baselines)")
    ap.add_argument(
        "--user-venv",
        help="run `anfragebot` from this venv, made (if missing) with the README's user install",
    )
    ap.add_argument("--idle-runs", type=int, default=1, help="idle polls to run (median)")
    args = ap.parse_args()
    global CODE, USER_VENV, IDLE_RUNS
    IDLE_RUNS = max(1, args.idle_runs)
    CODE = Path(args.code).resolve() if args.code else None
    if args.user_venv:
        USER_VENV = Path(args.user_venv).resolve()
        make_user_venv(USER_VENV, CODE or ROOT)
        CODE = None  # the venv holds its own copy of the code: no PYTHONPATH over it
    if not console_script().exists():
        raise SystemExit(f"{console_script()} not found: pip install -e . into this venv")
    pg = not args.no_pg and postgres_version() is not None
    sizes = [3000, 6000] if args.quick else [int(s) for s in args.sizes.split(",") if s]
    results = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for n in sizes:
            prof = Path(args.profile) if args.profile and n == max(sizes) else None
            if prof is not None:
                prof.mkdir(parents=True, exist_ok=True)
            keep = Path(args.keep) if args.keep else None
            if keep is not None:
                keep.mkdir(parents=True, exist_ok=True)
            results.append(
                measure(
                    n,
                    pg=pg,
                    tmp=tmp,
                    profile_dir=prof,
                    keep=keep,
                    floor_only=args.floor_only,
                    sqlite=not args.no_sqlite,
                )
            )
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results}, indent=1))
    if not args.floor_only:
        print(report(results))
    for r in results:
        for key in ("first_profile", "idle_profile"):
            path = r.get("sqlite", {}).get(key)
            if path:
                print(f"#### Profile: {key.split('_')[0]} poll, {r['papers']:,} papers, SQLite\n")
                print(bench_sync.profile_summary(path, top=20))
    return 0


if __name__ == "__main__":
    sys.exit(main())
