"""`anfragebot run` and `poll --once` as real processes, through start-up trouble and hiccups
(issue 11, items 6 and 7): a refused app token, a database that comes up late, the delivery
lock's session terminated mid-delivery, `run` next to cron's `poll --once` on one SQLite file.
Every wait has a generous deadline and polls for the outcome: a busy machine makes it slower,
not flaky."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text

from bot.demo.server import FeedServer
from bot.store.locks import scoped_key
from tests.conftest import PG_URL, postgres_url
from tests.fake_slack import FakeSlack, Fault
from tests.rvr_feed import RvrFeed, standard_rvr

EXE = str(Path(sys.executable).with_name("anfragebot"))
CHANNEL = "C0RESILIENT"


def _feed(server: FeedServer, n: int) -> RvrFeed:
    rvr = standard_rvr(server.base_url, date(2025, 1, 10))
    for i in range(n):
        _add(rvr, i)
    rvr.page_size = 5
    server.routes.update(rvr.routes())
    return rvr


def _add(rvr: RvrFeed, i: int) -> None:
    rvr.add_paper(
        4000 + i,
        f"14/{4000 + i}",
        f"Anfrage {i} zur Emscher",
        "Fraktionsanfrage",
        "2025-01-09",
        text=f"Fraktionsanfrage Fraktion Die Linke\n\n1. Frage {i}?\n",
    )


def _expected(rvr: RvrFeed) -> set[str]:
    return {p["id"] for p in rvr.papers if p.get("paperType") in ("Fraktionsanfrage", "Anfrage")}


def _config(
    tmp_path: Path, rvr: RvrFeed, *, db: str | None = None, poll_minutes: float = 0.03, pace=0.0
) -> Path:
    path = tmp_path / "config.toml"
    database = f'[database]\nurl = "{db}"\n' if db else ""
    path.write_text(
        f"poll_minutes = {poll_minutes}\n"
        'log_level = "INFO"\n'
        f"{database}"
        f'[[sources]]\nname = "rvr"\nurl = "{rvr.system_url}"\nrequests_per_second = 0\n'
        "timeout_seconds = 5\n"
        f'[slack]\nchannel = "{CHANNEL}"\nannounce_max_age_days = 3650\npace_seconds = {pace}\n',
        encoding="utf-8",
    )
    return path


def _env(slack: FakeSlack, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.lower().endswith("_proxy") and not k.startswith(("SLACK_", "DATABASE_URL"))
    }
    env.update(SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=slack.base_url, NO_PROXY="127.0.0.1")
    env.update(extra)
    return env


def _announced(slack: FakeSlack) -> Counter[str]:
    keys: Counter[str] = Counter()
    for message in slack.stored(CHANNEL):
        key = str(((message.get("metadata") or {}).get("event_payload") or {}).get("key") or "")
        if key.startswith("announce:"):
            keys[key.removeprefix("announce:")] += 1
    return keys


def _wait(what: str, check: Callable[[], bool], timeout: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}\n{tail}")


class Processes:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, config: Path, args: list[str], env: dict[str, str]) -> Path:
        log = self.tmp_path / f"{name}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [EXE, "--config", str(config), *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.tmp_path,
            )
        self.procs.append(proc)
        return log

    def stop_all(self) -> list[int | None]:
        codes = []
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            codes.append(proc.returncode)
        return codes


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    procs = Processes(tmp_path)
    yield procs
    procs.stop_all()


# -- a refused app token -------------------------------------------------------------------------


@pytest.mark.parametrize("error", ["not_allowed", "invalid_auth"])
def test_refused_app_token_run_keeps_polling_and_delivering(
    error: str, tmp_path: Path, feed: FeedServer, slack: FakeSlack, processes: Processes
) -> None:
    rvr = _feed(feed, 3)
    slack.faults.append(Fault("apps.connections.open", error=error, times=None))
    config = _config(tmp_path, rvr, db=f"sqlite:///{tmp_path / 'bot.db'}")
    log = processes.start("run", config, ["run"], _env(slack, SLACK_APP_TOKEN="xapp-refused"))
    _wait("all announcements", lambda: set(_announced(slack)) >= _expected(rvr), 60, log)
    # New Anfragen keep coming: the process goes on polling and delivering.
    _add(rvr, 3)
    feed.routes.update(rvr.routes())
    _wait("the new announcement", lambda: set(_announced(slack)) >= _expected(rvr), 60, log)
    assert processes.procs[0].poll() is None, log.read_text()
    assert processes.stop_all() == [0]
    output = log.read_text()
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if "Socket Mode" in line]
    assert len(lines) == 1, output
    assert error in lines[0] and "SLACK_APP_TOKEN" in lines[0]
    assert "xapp-refused" not in output
    assert max(_announced(slack).values()) == 1


def test_socket_mode_is_retried_until_slack_accepts(
    sqlite_url: str, feed: FeedServer, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """The keeper behind `run`: refused → one line; refused again → no new line; accepted later
    → connected over a real WebSocket."""
    from datetime import UTC, datetime

    from bot.config import Config, SlackConfig
    from bot.runtime import build_runtime
    from jobs.scheduler import SocketModeKeeper
    from tests.slack.test_socket_mode import FakeSocketMode

    config = Config(
        database_url=sqlite_url,
        slack=SlackConfig(
            channel=CHANNEL, api_url=slack.base_url, bot_token="xoxb-test", app_token="xapp-t"
        ),
    )
    fault = Fault("apps.connections.open", error="not_allowed", times=None)
    slack.faults.append(fault)
    rt = build_runtime(config, pace_seconds=0)
    endpoint = FakeSocketMode()
    keeper = SocketModeKeeper(config, rt)
    try:
        keeper.tick()
        keeper.next_try = datetime.now(UTC)  # as if the back-off had passed
        keeper.tick()
        assert keeper.handler is None
        refused = [r for r in caplog.records if "Socket Mode not connected" in r.getMessage()]
        assert len(refused) == 1 and refused[0].exc_info is None
        assert len(slack.calls_to("apps.connections.open")) == 2
        slack.faults.remove(fault)
        slack.socket_url = endpoint.url
        keeper.tick()
        assert keeper.handler is None  # too early: back-off
        keeper.next_try = datetime.now(UTC)
        keeper.tick()
        assert keeper.handler is not None
        endpoint.connection()
    finally:
        keeper.close()
        endpoint.stop()
        rt.close()


# -- the database is not reachable at start --------------------------------------------------------


class LateProxy:
    """A TCP proxy to PostgreSQL on a port reserved now and served only from `start()`: the
    database "comes up" when the test says so."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.server: socket.socket | None = None
        self.stopping = threading.Event()

    def start(self) -> None:
        self.server = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        self.server.settimeout(0.2)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        assert self.server is not None
        while not self.stopping.is_set():
            try:
                client, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        self.stopping.set()
        if self.server is not None:
            self.server.close()


@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
def test_run_waits_for_a_database_that_comes_up_later(
    database: str, tmp_path: Path, feed: FeedServer, slack: FakeSlack, processes: Processes
) -> None:
    rvr = _feed(feed, 3)
    proxy: LateProxy | None = None
    if database == "postgresql":
        from sqlalchemy.engine import make_url

        url = make_url(postgres_url())
        proxy = LateProxy((url.host or "127.0.0.1", url.port or 5432))
        db = url.set(port=proxy.port).render_as_string(hide_password=False)
    else:
        later = tmp_path / "mounted-later"
        db = f"sqlite:///{later / 'bot.db'}"
    config = _config(tmp_path, rvr)
    env = _env(slack, DATABASE_URL=db)
    log = processes.start("run", config, ["run"], env)
    try:
        _wait("a line about the database", lambda: "database not reachable" in log.read_text(),
              60, log)
        time.sleep(1.5)  # a retry or two while the database is still down
        assert processes.procs[0].poll() is None, log.read_text()
        assert slack.posts() == []
        if proxy is not None:
            proxy.start()
        else:
            later.mkdir()
        _wait("all announcements", lambda: set(_announced(slack)) >= _expected(rvr), 90, log)
        assert processes.stop_all() == [0]
    finally:
        if proxy is not None:
            proxy.stop()
    output = log.read_text()
    assert "Traceback" not in output
    waiting = [line for line in output.splitlines() if "database not reachable" in line]
    assert waiting and all(len(line) < 400 for line in waiting)
    assert max(_announced(slack).values()) == 1


def test_a_bad_database_url_still_exits_2_under_run(
    tmp_path: Path, feed: FeedServer, slack: FakeSlack
) -> None:
    """Waiting is for a database that is not up yet; a URL no waiting can fix is a
    configuration error (exit 2, and systemd's RestartPreventExitStatus=2 applies)."""
    rvr = _feed(feed, 0)
    config = _config(tmp_path, rvr)
    env = _env(slack, DATABASE_URL="nosuchdb://x")
    done = subprocess.run(
        [EXE, "--config", str(config), "run"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "database.url" in done.stderr and "Traceback" not in done.stderr


# -- the delivery lock's session is terminated mid-delivery ---------------------------------------


def test_terminated_lock_session_then_second_poll_posts_nothing_twice(
    tmp_path: Path, feed: FeedServer, slack: FakeSlack, processes: Processes
) -> None:
    rvr = _feed(feed, 16)  # 18 announcements with 14/1800 and 14/1923
    db = postgres_url()
    slack.post_delay = 0.25  # a delivery run of several seconds, to be cut in the middle
    config = _config(tmp_path, rvr)
    env = _env(slack, DATABASE_URL=db)
    args = ["poll", "--once", "--now", "2025-01-10T09:00:00"]
    first = processes.start("first", config, args, env)
    _wait("three posts", lambda: len(slack.posts()) >= 3, 60, first)
    engine = create_engine(db)
    with engine.connect() as conn:
        key = scoped_key(conn, "deliver")
        pids = conn.execute(
            text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND ((classid::bigint << 32) | objid::bigint) = :k"
            ),
            {"k": key},
        ).scalars().all()
    engine.dispose()
    assert len(pids) == 1, "the first poll holds the delivery lock"
    dsn = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as pg:
        pg.execute("SELECT pg_terminate_backend(%s)", (pids[0],))
    posted_at_kill = len(slack.posts())
    second = processes.start("second", config, args, env)
    for proc in processes.procs:
        proc.wait(timeout=120)
    assert posted_at_kill < len(_expected(rvr)), "the kill came after the last post"
    assert [p.returncode for p in processes.procs] == [0, 0], first.read_text()
    for log in (first, second):
        assert "Traceback" not in log.read_text(), log.read_text()
    third = subprocess.run(
        [EXE, "--config", str(config), *args], env=env, capture_output=True, timeout=120
    )
    assert third.returncode == 0
    announced = _announced(slack)
    assert set(announced) == _expected(rvr)
    assert max(announced.values()) == 1, {k: n for k, n in announced.items() if n > 1}


# -- SQLite: several processes on one file ------------------------------------------------


def test_two_polls_starting_together_on_a_new_sqlite_file(
    tmp_path: Path, feed: FeedServer, slack: FakeSlack
) -> None:
    rvr = _feed(feed, 4)
    for attempt in range(3):
        where = tmp_path / f"try{attempt}"
        where.mkdir()
        config = _config(where, rvr, db=f"sqlite:///{where / 'bot.db'}")
        args = [EXE, "--config", str(config), "poll", "--once", "--now", "2025-01-10T09:00:00"]
        env = _env(slack)
        procs = [
            subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=120)[0].decode() for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outputs
        assert not any("Traceback" in out for out in outputs), outputs


def test_run_next_to_cron_polls_on_sqlite(
    tmp_path: Path, feed: FeedServer, slack: FakeSlack, processes: Processes
) -> None:
    """`run` polls every 2 s while cron-like `poll --once` runs start again and again on the same
    file, with new Anfragen arriving: every process succeeds, every Anfrage is posted once."""
    rvr = _feed(feed, 6)
    config = _config(tmp_path, rvr, db=f"sqlite:///{tmp_path / 'bot.db'}", poll_minutes=0.03)
    env = _env(slack)
    slack.post_delay = 0.05  # deliveries long enough to overlap
    run_log = processes.start("run", config, ["run"], env)
    outputs = []
    for round_ in range(5):
        for i in range(3):
            _add(rvr, 100 + 3 * round_ + i)
        feed.routes.update(rvr.routes())
        cron = [
            subprocess.Popen(
                [EXE, "--config", str(config), "poll", "--once"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)  # two cron entries firing at the same minute, next to `run`
        ]
        for proc in cron:
            outputs.append(proc.communicate(timeout=120)[1])
            assert proc.returncode == 0, outputs[-1]
    # The processes did overlap (else this test proves nothing): one found the other busy.
    assert any("another process is" in out for out in outputs), outputs
    _wait("every announcement", lambda: set(_announced(slack)) >= _expected(rvr), 90, run_log)
    time.sleep(2.5)  # one more scheduled poll
    assert processes.stop_all() == [0]
    run_output = run_log.read_text()
    for output in [*outputs, run_output]:
        assert "Traceback" not in output, output
        assert "IntegrityError" not in output and "database is locked" not in output, output
        assert " failed: " not in output, output
    announced = _announced(slack)
    assert set(announced) == _expected(rvr)
    assert max(announced.values()) == 1
