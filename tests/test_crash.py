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
from datetime import UTC, date, datetime
from pathlib import Path

from bot.demo.server import FeedServer
from bot.store.db import make_engine, session_factory, transaction
from bot.store.follows import add_follow
from tests.fake_slack import FakeSlack
from tests.rvr_feed import standard_rvr

EXE = str(Path(sys.executable).with_name("anfragebot"))
KILLS = 24  # kills that must land while the process still had work
MAX_RUNS = 80
ANFRAGEN = 30
NEW_PER_ROUND = 6
FOLLOWER = "UFOL"  # follows the first ANFRAGEN Anfragen; their answers come as DMs
ANSWERS_PER_ROUND = 2


def _now() -> datetime:
    return datetime(2025, 1, 10, 8, 0, tzinfo=UTC)


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
    answered = 0

    def more_anfragen() -> None:
        # New Anfragen keep arriving, so every run has syncing and posting to be killed in.
        nonlocal added, answered
        # ... and answers to followed ones: a thread reply in the channel plus one DM each.
        for _ in range(ANSWERS_PER_ROUND if answered < ANFRAGEN else 0):
            rvr.add_paper(
                5000 + answered,
                f"14/{5000 + answered}",
                f"Beantwortung der Anfrage 14/{3000 + answered}",
                "Beantwortung einer Anfrage",
                "2025-01-09",
            )
            answered += 1
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
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    with transaction(session_factory(engine)) as session:
        for i in range(ANFRAGEN):
            assert add_follow(session, FOLLOWER, f"{rvr.body}/paper/{3000 + i}", now=_now())
    engine.dispose()
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
    # The direct messages to the follower: one per answer, like the channel's messages.
    dms = Counter(m["metadata"]["event_payload"]["key"] for m in slack.stored(f"D{FOLLOWER}"))
    expected_dms = {
        f"dm:{rvr.body}/paper/{3000 + i}|answer|{rvr.body}/paper/{5000 + i}"
        for i in range(answered)
    }
    assert answered >= 10
    assert not {k: n for k, n in dms.items() if n > 1}
    assert set(dms) == expected_dms
    duplicates = {k: n for k, n in keys.items() if n > 1}
    lost = expected - set(keys)
    print(
        f"crash test (seed {seed}): {KILLS} runs, {killed_with_work_left} killed mid-run, "
        f"{len(keys)} announced, {len(lost)} lost, {len(duplicates)} duplicates, "
        f"{len(slack.calls_to('conversations.history'))} reconcile look-ups, "
        f"{len(dms)} DMs"
    )
    assert killed_with_work_left >= KILLS
    assert not lost
    assert not duplicates
    assert {k for k in keys if k.startswith("announce:")} == expected
    # Every answer also got its one thread reply in the channel.
    replies = {k for k in keys if k.startswith("event:") and "|answer|" in k}
    assert len(replies) == answered
