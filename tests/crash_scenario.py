"""The crash scenario, shared by `tests/test_crash.py` (one seed) and `bench/soak_crash.py`
(20 seeds): `anfragebot poll --once` is started again and again as a real process against an
RVR-like feed that gains new Anfragen before every start, and killed with SIGKILL at a random
moment; then it is allowed to finish. Every Anfrage must end up announced exactly once.

A follower (`/anfrage folgen`) follows the first Anfragen; answers to them arrive round by round,
so the direct messages (outbox kind `dm`) face the same kills as the channel's messages and must
each arrive exactly once too."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from bot.demo.server import FeedServer
from bot.store.db import make_engine, session_factory, transaction
from bot.store.follows import add_follow
from tests.fake_slack import FakeSlack
from tests.rvr_feed import standard_rvr

EXE = str(Path(sys.executable).with_name("anfragebot"))
CHANNEL = "C0123456789"
KILLS = 24  # kills that must land while the process still had work
MAX_RUNS = 80
ANFRAGEN = 30
NEW_PER_ROUND = 6
DEFAULT_SEED = 20250110
FOLLOWER = "UFOL"  # follows the first ANFRAGEN Anfragen; their answers come as DMs
ANSWERS_PER_ROUND = 2
# The clean runs at the end. Two: the first must finish everything, the second must find
# nothing to do (the test checks that it posts nothing).
FINAL_RUNS = 2


@dataclass
class CrashResult:
    seed: int
    runs: int
    killed: int
    expected: set[str]
    announced: Counter[str]
    reconciles: int
    # Messages posted by the very last clean run (must be none).
    posted_by_last_run: int
    stderr: list[str] = field(default_factory=list)
    # Direct messages to the follower, and the thread replies announcing the same answers.
    dms: Counter[str] = field(default_factory=Counter)
    expected_dms: set[str] = field(default_factory=set)
    replies: Counter[str] = field(default_factory=Counter)

    @property
    def lost(self) -> set[str]:
        return (self.expected - set(self.announced)) | (self.expected_dms - set(self.dms))

    @property
    def duplicates(self) -> dict[str, int]:
        every = self.announced + self.dms + self.replies
        return {k: n for k, n in every.items() if n > 1}

    @property
    def unexpected(self) -> set[str]:
        return (set(self.announced) - self.expected) | (set(self.dms) - self.expected_dms)

    def summary(self) -> str:
        return (
            f"crash test (seed {self.seed}): {self.runs} runs, {self.killed} killed mid-run, "
            f"{len(self.announced)} announced, {len(self.lost)} lost, "
            f"{len(self.duplicates)} duplicates, {self.reconciles} reconcile look-ups, "
            f"{len(self.dms)} of {len(self.expected_dms)} direct messages"
        )


def run_crash_scenario(
    workdir: Path,
    feed: FeedServer,
    slack: FakeSlack,
    *,
    seed: int = DEFAULT_SEED,
    kills: int = KILLS,
    exe: str = EXE,
    kill_window: tuple[float, float] = (0.3, 1.0),
) -> CrashResult:
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
    config = workdir / "config.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{workdir / "bot.db"}"\n'
        f'[[sources]]\nname = "rvr"\nurl = "{rvr.system_url}"\nrequests_per_second = 0\n'
        f'[slack]\nchannel = "{CHANNEL}"\npace_seconds = 0.02\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(SLACK_BOT_TOKEN="xoxb-crash-test", SLACK_API_URL=slack.base_url)
    # Every run acts at the same moment: nothing may depend on time passing (no retry delay,
    # no patience for unread documents) for the bot to catch up after the kills.
    args = [exe, "--config", str(config), "poll", "--once", "--now", "2025-01-10T09:00:00"]
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
    subprocess.run(args, env=env, capture_output=True, timeout=300, check=True)
    follow(workdir / "bot.db", [f"{rvr.body}/paper/{3000 + i}" for i in range(ANFRAGEN)])
    more_anfragen()
    started = time.monotonic()
    subprocess.run(args, env=env, capture_output=True, timeout=300, check=True)
    run_seconds = time.monotonic() - started

    killed = runs = 0
    while killed < kills and runs < MAX_RUNS:
        runs += 1
        more_anfragen()
        # Anywhere from start-up to the last post: the later half is syncing and delivering.
        delay = rng.uniform(*kill_window) * run_seconds
        started = time.monotonic()
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            killed += 1
            proc.wait(timeout=60)
        else:
            # It finished first: the machine got faster since calibrating (load from others
            # comes and goes). Aim the next kills by what a whole run takes now, so enough of
            # them land mid-run within MAX_RUNS whatever the load does.
            run_seconds = time.monotonic() - started

    stderr: list[str] = []
    posted_before = 0
    for _ in range(FINAL_RUNS):
        posted_before = len(slack.posts())
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
        stderr.append(done.stderr)
        if done.returncode != 0:
            raise AssertionError(f"clean run failed ({done.returncode}): {done.stderr[-2000:]}")
    posted_by_last_run = len(slack.posts()) - posted_before

    keys = Counter(m["metadata"]["event_payload"]["key"] for m in slack.stored(CHANNEL))
    announced = Counter({k: n for k, n in keys.items() if k.startswith("announce:")})
    expected = {f"announce:{rvr.body}/paper/{3000 + i}" for i in range(added)}
    expected.add(f"announce:{rvr.body}/paper/1923")
    dms = Counter(m["metadata"]["event_payload"]["key"] for m in slack.stored(f"D{FOLLOWER}"))
    expected_dms = {
        f"dm:{rvr.body}/paper/{3000 + i}|answer|{rvr.body}/paper/{5000 + i}"
        for i in range(answered)
    }
    return CrashResult(
        dms=dms,
        expected_dms=expected_dms,
        replies=Counter({k: n for k, n in keys.items() if not k.startswith("announce:")}),
        seed=seed,
        runs=runs,
        killed=killed,
        expected=expected,
        announced=announced,
        reconciles=len(slack.calls_to("conversations.history")),
        posted_by_last_run=posted_by_last_run,
        stderr=stderr,
    )


def follow(database: Path, paper_ids: list[str]) -> None:
    """`/anfrage folgen` for each paper by FOLLOWER, written the way the command writes it."""
    engine = make_engine(f"sqlite:///{database}")
    try:
        with transaction(session_factory(engine)) as session:
            for paper_id in paper_ids:
                add_follow(
                    session, FOLLOWER, paper_id, now=datetime(2025, 1, 10, 8, 0, tzinfo=UTC)
                )
    finally:
        engine.dispose()
