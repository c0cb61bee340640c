"""Crash test: `anfragebot poll --once` is killed with SIGKILL at random moments, again and
again, then allowed to finish. Every Anfrage must end up announced exactly once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

from bot.demo.server import FeedServer
from tests.fake_slack import FakeSlack
from tests.rvr_feed import standard_rvr

EXE = str(Path(sys.executable).with_name("anfragebot"))
KILLS = 24  # kills that must land while the process still had work
MAX_RUNS = 80
ANFRAGEN = 30
NEW_PER_ROUND = 6


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(
    tmp_path: Path, feed: FeedServer, slack: FakeSlack
) -> None:
    rvr = standard_rvr(feed.base_url, date(2025, 1, 10))
    for i in range(ANFRAGEN):
        rvr.add_paper(
            3000 + i,
            f"14/{3000 + i}",
            f"Anfrage {i}",
            "Fraktionsanfrage",
            "2025-01-09",
            text=f"Fraktionsanfrage Fraktion Die Linke\n\n1. Frage {i}?\n",
        )
    rvr.page_size = 5
    feed.routes.update(rvr.routes())
    slack.post_delay = 0.03
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "bot.db"}"\n'
        f'[[sources]]\nname = "rvr"\nurl = "{rvr.system_url}"\nrequests_per_second = 0\n'
        '[slack]\nchannel = "C0123456789"\npace_seconds = 0.02\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(SLACK_BOT_TOKEN="xoxb-crash-test", SLACK_API_URL=slack.base_url)
    args = [EXE, "--config", str(config), "poll", "--once", "--now", "2025-01-10T09:00:00"]

    seed = int(os.environ.get("CRASH_SEED", "20250110"))
    rng = random.Random(seed)
    added = ANFRAGEN

    def more_anfragen() -> None:
        # New Anfragen keep arriving, so every run has syncing and posting to be killed in.
        nonlocal added
        for _ in range(NEW_PER_ROUND):
            rvr.add_paper(
                3000 + added,
                f"14/{3000 + added}",
                f"Anfrage {added}",
                "Anfrage",
                "2025-01-09",
                text=f"Anfrage der SPD-Fraktion\n\n1. Frage {added}?\n",
            )
            added += 1
        feed.routes.update(rvr.routes())

    # Calibrate: how long does one run with a round's worth of work take on this machine now?
    subprocess.run(args, env=env, capture_output=True, timeout=120, check=True)
    more_anfragen()
    started = time.monotonic()
    subprocess.run(args, env=env, capture_output=True, timeout=120, check=True)
    run_seconds = time.monotonic() - started

    killed_with_work_left = runs = 0
    while killed_with_work_left < KILLS and runs < MAX_RUNS:
        runs += 1
        more_anfragen()
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Anywhere from start-up to the last post: the later half is syncing and delivering.
        time.sleep(rng.uniform(0.3, 1.0) * run_seconds)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed_with_work_left += 1
        proc.wait(timeout=30)

    # Let it finish (twice: the second run must find nothing to do).
    for _ in range(2):
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr

    keys = Counter(m["metadata"]["event_payload"]["key"] for m in slack.stored("C0123456789"))
    expected = {f"announce:{rvr.body}/paper/{3000 + i}" for i in range(added)}
    expected.add(f"announce:{rvr.body}/paper/1923")
    duplicates = {k: n for k, n in keys.items() if n > 1}
    lost = expected - set(keys)
    print(
        f"crash test (seed {seed}): {KILLS} runs, {killed_with_work_left} killed mid-run, "
        f"{len(keys)} announced, {len(lost)} lost, {len(duplicates)} duplicates, "
        f"{len(slack.calls_to('conversations.history'))} reconcile look-ups"
    )
    assert killed_with_work_left >= KILLS
    assert not lost
    assert not duplicates
    assert set(keys) == expected
