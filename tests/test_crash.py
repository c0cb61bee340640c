"""Crash test: `anfragebot poll --once` is killed with SIGKILL at random moments, again and
again, then allowed to finish. Every Anfrage must end up announced exactly once.

The scenario lives in tests/crash_scenario.py; `bench/soak_crash.py` runs it with 20 seeds.
"""

from __future__ import annotations

import os
from pathlib import Path

from bot.demo.server import FeedServer
from tests.crash_scenario import DEFAULT_SEED, KILLS, run_crash_scenario
from tests.fake_slack import FakeSlack


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(
    tmp_path: Path, feed: FeedServer, slack: FakeSlack
) -> None:
    seed = int(os.environ.get("CRASH_SEED", str(DEFAULT_SEED)))
    result = run_crash_scenario(tmp_path, feed, slack, seed=seed)
    print(result.summary())
    assert result.killed >= KILLS
    assert not result.lost
    assert not result.duplicates
    assert not result.unexpected
    # The follower's direct messages: one per answer, like the channel's messages.
    assert len(result.expected_dms) >= 10 and set(result.dms) == result.expected_dms
    # The first clean run finished everything: the second found nothing to post.
    assert result.posted_by_last_run == 0
