"""Crash soak: the crash scenario of `tests/test_crash.py` (tests/crash_scenario.py) with many
seeds. Each seed kills `anfragebot poll --once` with SIGKILL 24 times at random moments while
new Anfragen keep arriving, then lets it finish; it prints lost and duplicate announcements per
seed. Every figure must be 0 (exit code 1 otherwise).

    .venv/bin/python bench/soak_crash.py                   # 20 seeds: 1..20
    .venv/bin/python bench/soak_crash.py --seeds 5 --first 100 --json soak.json

Needs the console script of this checkout (`.venv/bin/anfragebot`, from `pip install -e .`).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402,F401 - puts the checkout on sys.path, keeps proxies off 127.0.0.1

from bot.demo.server import FeedServer  # noqa: E402
from tests.crash_scenario import EXE, KILLS, CrashResult, run_crash_scenario  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402


def soak_one(seed: int, kill_window: tuple[float, float]) -> tuple[CrashResult, float]:
    started = time.monotonic()
    slack = FakeSlack()
    try:
        with tempfile.TemporaryDirectory(prefix="soak-crash-") as tmp, FeedServer() as feed:
            result = run_crash_scenario(Path(tmp), feed, slack, seed=seed, kill_window=kill_window)
    finally:
        slack.stop()
    return result, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=20, help="how many seeds (default 20)")
    parser.add_argument("--first", type=int, default=1, help="first seed (default 1)")
    parser.add_argument(
        "--kill-window",
        type=float,
        nargs=2,
        default=(0.3, 1.0),
        metavar=("FROM", "TO"),
        help="kill after FROM..TO times a calibrated run (default 0.3 1.0, as the test)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if not Path(EXE).exists():
        print(f"soak_crash: {EXE} not found (pip install -e . in this venv)", file=sys.stderr)
        return 2
    window = (args.kill_window[0], args.kill_window[1])
    print(f"crash soak: {args.seeds} seeds from {args.first}, {KILLS} kills each, window {window}")
    print(f"machine: {platform.platform()}, python {platform.python_version()}")
    print(
        f"{'seed':>6} {'runs':>5} {'killed':>6} {'expected':>8} {'lost':>5} {'dup':>4} "
        f"{'reconc':>6} {'secs':>6}"
    )
    rows = []
    bad = 0
    for seed in range(args.first, args.first + args.seeds):
        result, seconds = soak_one(seed, window)
        lost, dup = len(result.lost), len(result.duplicates)
        # The second clean run must find nothing left to post.
        late = result.posted_by_last_run
        bad += bool(lost or dup or result.unexpected or late or result.killed < KILLS)
        print(
            f"{seed:>6} {result.runs:>5} {result.killed:>6} {len(result.expected):>8} "
            f"{lost:>5} {dup:>4} {result.reconciles:>6} {seconds:>6.0f}"
            + (f"  last run posted {late}" if late else ""),
            flush=True,
        )
        rows.append(
            {
                "seed": seed,
                "runs": result.runs,
                "killed": result.killed,
                "expected": len(result.expected),
                "announced": len(result.announced),
                "lost": lost,
                "duplicates": dup,
                "reconcile_lookups": result.reconciles,
                "posted_by_last_run": late,
                "seconds": round(seconds, 1),
            }
        )
    total_lost = sum(r["lost"] for r in rows)
    total_dup = sum(r["duplicates"] for r in rows)
    total = sum(r["expected"] for r in rows)
    print(
        f"total: {len(rows)} seeds, {total} Anfragen expected, {total_lost} lost, "
        f"{total_dup} duplicates; {bad} seed(s) failed"
    )
    if args.json:
        args.json.write_text(json.dumps({"window": window, "seeds": rows}, indent=2) + "\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
