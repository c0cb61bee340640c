"""Two real `anfragebot run` replicas on one PostgreSQL database: one leads (advisory lock), the
leader is killed with SIGKILL mid-run, the other takes over; every Anfrage is announced once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from bot.demo.server import FeedServer
from tests.conftest import postgres_url
from tests.fake_slack import FakeSlack
from tests.rvr_feed import RvrFeed

ANFRAGEBOT = Path(sys.executable).with_name("anfragebot")
LEADER_LINE = "this replica is now the leader"
Start = Callable[[int, dict[str, str]], "subprocess.Popen[bytes]"]


def _feed(base: str) -> RvrFeed:
    feed = RvrFeed(base=base, today=date.today(), page_size=3)
    org = feed.add_org(10, "Ausschuss für Kultur, Sport und Vielfalt")
    feed.add_meeting(501, org, f"{date.today().isoformat()}T15:00:00+01:00")
    for n in range(1, 7):
        _add_anfrage(feed, n)
    return feed


def _add_anfrage(feed: RvrFeed, n: int) -> None:
    feed.add_paper(
        2000 + n,
        f"14/{2000 + n}",
        f"Anfrage Nummer {n} zur Emscher",
        "Fraktionsanfrage",
        date.today().isoformat(),
        text=f"Fraktionsanfrage Fraktion Die Linke\n\n1. Wie steht es um die Frage {n}?\n",
    )


def _wait(what: str, check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _announced(slack: FakeSlack) -> Counter[str]:
    keys: Counter[str] = Counter()
    for post in slack.posts("C0FAILOVER"):
        meta = post.get("metadata") or {}
        key = str((meta.get("event_payload") or {}).get("key") or "")
        if key.startswith("announce:"):
            keys[key.removeprefix("announce:")] += 1
    return keys


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[Start]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(i: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"replica{i}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [str(ANFRAGEBOT), "--config", str(tmp_path / "config.toml"), "run"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
        log.close()
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_leader_dies_follower_takes_over(
    tmp_path: Path,
    replicas: Start,
    slack: FakeSlack,
) -> None:
    started = time.monotonic()
    db = postgres_url()
    with FeedServer() as server:
        feed = _feed(server.base_url)
        server.routes.update(feed.routes())
        (tmp_path / "config.toml").write_text(
            "poll_minutes = 0.03\n"  # 1.8 s: seconds-level intervals for tests
            'log_level = "INFO"\n'
            "[[sources]]\n"
            'name = "rvr"\n'
            f'url = "{feed.system_url}"\n'
            "requests_per_second = 0\n"
            "timeout_seconds = 5\n"
            "[slack]\n"
            'channel = "C0FAILOVER"\n'
            "announce_max_age_days = 3650\n"
            "pace_seconds = 0.4\n",
            encoding="utf-8",
        )
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.lower().endswith("_proxy") and not k.startswith("SLACK_")
        }
        env.update(
            DATABASE_URL=db,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_API_URL=slack.base_url,
            NO_PROXY="127.0.0.1,localhost",
        )
        procs = [replicas(0, env), replicas(1, env)]
        logs = [tmp_path / "replica0.log", tmp_path / "replica1.log"]

        def leaders() -> list[int]:
            return [i for i, p in enumerate(logs) if p.exists() and LEADER_LINE in p.read_text()]

        _wait("a leader", lambda: bool(leaders()), 30)
        # Mid-run: the leader has begun delivering the six announcements (0.4 s apart).
        _wait("the first announcement", lambda: sum(_announced(slack).values()) >= 1, 20)
        first = leaders()
        assert len(first) == 1, "exactly one replica leads"
        leader = first[0]
        procs[leader].send_signal(signal.SIGKILL)
        procs[leader].wait(timeout=5)
        killed_at = len(server.requests)
        before = dict(_announced(slack))
        assert sum(before.values()) < 6, "the kill came after all deliveries: not mid-run"

        # New papers appear while only the follower is alive.
        for n in range(7, 10):
            _add_anfrage(feed, n)
        server.routes.update(feed.routes())

        follower = 1 - leader
        expected = {f"{feed.body}/paper/{2000 + n}" for n in range(1, 10)}
        _wait(
            "every Anfrage announced",
            lambda: set(_announced(slack)) >= expected,
            max(5.0, 55 - (time.monotonic() - started)),
        )
        time.sleep(1.0)  # one more poll and delivery: nothing may be posted twice
        announced = _announced(slack)
        assert set(announced) == expected
        assert all(n == 1 for n in announced.values()), announced
        assert LEADER_LINE in logs[follower].read_text()
        assert procs[follower].poll() is None, logs[follower].read_text()
        # Polling resumed: the follower fetched the paper list after the kill.
        assert any("/paper" in r for r in server.requests[killed_at:])
    assert time.monotonic() - started < 60
