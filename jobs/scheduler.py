"""`anfragebot run`: APScheduler 3 BackgroundScheduler with an explicit time zone."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Config
from bot.errors import BotError
from bot.runtime import Runtime, build_runtime, open_database
from bot.store.db import StoreError
from jobs.leader import Leader
from jobs.poll import poll_once
from jobs.remind import remind_once

log = logging.getLogger(__name__)

REMIND_MINUTES = 5
# Poll and remind both deliver from the outbox: one at a time, so two senders never race on
# SQLite (where a concurrent claim fails with "database is locked").
_ONE_AT_A_TIME = threading.Lock()


def _guarded(name: str, job: object, rt: Runtime, leader: Leader | None = None) -> None:
    """A failing run is logged in one line and retried on the next interval, never fatal.
    With replicas on PostgreSQL only the leader runs it (jobs/leader.py)."""
    try:
        with _ONE_AT_A_TIME:
            if leader is not None and not leader.is_leader():
                log.debug("%s: skipped, another replica is the leader", name)
                return
            job(rt, datetime.now(UTC))  # type: ignore[operator]
    except Exception as e:  # noqa: BLE001 - the scheduler must outlive any single failure
        # One line: database errors carry the statement and a link on further lines.
        reason = (str(e).splitlines() or [""])[0]
        log.error("%s failed: %s: %s", name, type(e).__name__, reason)


def make_scheduler(rt: Runtime, leader: Leader | None = None) -> BackgroundScheduler:
    tz = rt.config.reminders.timezone
    poll_seconds = rt.config.poll_minutes * 60
    scheduler = BackgroundScheduler(timezone=tz)
    scheduler.add_job(
        _guarded,
        IntervalTrigger(seconds=poll_seconds, timezone=tz),
        args=("poll", poll_once, rt, leader),
        id="poll",
        next_run_time=datetime.now(tz),
        # APScheduler drops runs later than 1 s by default; a busy machine must not skip polls.
        misfire_grace_time=max(1, int(poll_seconds)),
        coalesce=True,
        max_instances=1,
    )
    # Reminders are kept in our own tables, not in an APScheduler job store: this job looks
    # every few minutes for what is due (and for the weekly digest).
    scheduler.add_job(
        _guarded,
        IntervalTrigger(minutes=REMIND_MINUTES, timezone=tz),
        args=("remind", remind_once, rt, leader),
        id="remind",
        misfire_grace_time=REMIND_MINUTES * 60,
        coalesce=True,
        max_instances=1,
    )
    return scheduler


# Waiting for the database at start: 1 s, doubling, at most this long between tries.
DB_WAIT_MAX_SECONDS = 30.0
# Socket Mode refused or unreachable: try again after 1 minute, doubling, at most 15 minutes.
SOCKET_RETRY_MAX = timedelta(minutes=15)


def wait_for_database(config: Config, stop: threading.Event) -> bool:
    """Until the database answers and is migrated (PostgreSQL not up yet after a reboot, a
    SQLite file on a volume mounted later). False when stopped while waiting. A bad URL is a
    ConfigError and ends `run` (exit 2): waiting would not fix it."""
    delay = 1.0
    while not stop.is_set():
        try:
            open_database(config).dispose()
            return True
        except StoreError as e:
            log.warning("database not reachable yet (%s); trying again in %gs", e, delay)
        stop.wait(delay)
        delay = min(delay * 2, DB_WAIT_MAX_SECONDS)
    return False


class SocketModeKeeper:
    """Connects Socket Mode and keeps trying when Slack refuses or is unreachable, without
    ever ending `run`: polling and delivery go on. One log line per distinct failure."""

    def __init__(self, config: Config, rt: Runtime) -> None:
        self.config = config
        self.rt = rt
        self.handler: Any = None
        self.last_error: str | None = None
        self.next_try = datetime.min.replace(tzinfo=UTC)
        self.delay = timedelta(minutes=1)
        self._lock = threading.Lock()

    def tick(self) -> None:
        from bot.slack.app import start_socket_mode

        with self._lock:
            now = datetime.now(UTC)
            if self.handler is not None or now < self.next_try:
                return
            try:
                self.handler = start_socket_mode(self.config, self.rt.factory)
            except BotError as e:
                reason = str(e)
                if reason != self.last_error:
                    log.error(
                        "Socket Mode not connected: %s; /anfrage is not answered until it is "
                        "(trying again in the background)",
                        reason,
                    )
                else:
                    log.debug("Socket Mode still not connected: %s", reason)
                self.last_error = reason
                self.next_try = now + self.delay
                self.delay = min(self.delay * 2, SOCKET_RETRY_MAX)
                return
            if self.last_error is not None:
                log.info("Socket Mode connected after: %s", self.last_error)
            self.last_error = None

    def close(self) -> None:
        with self._lock:
            if self.handler is not None:
                self.handler.close()
                self.handler = None


def run_forever(config: Config) -> int:
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: shutting down", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    rt: Runtime | None = None
    while rt is None:
        if not wait_for_database(config, stop):
            return 0
        try:
            rt = build_runtime(config)
        except StoreError as e:  # gone again right after answering: keep waiting
            log.warning("database not reachable yet (%s)", e)
    leader = Leader(rt.engine)
    scheduler = make_scheduler(rt, leader)
    # Socket Mode: answer /anfrage next to the scheduler when an app token is set.
    socket = SocketModeKeeper(config, rt) if config.slack.app_token else None
    if socket is not None:
        socket.tick()
        every_minute = IntervalTrigger(minutes=1, timezone=config.reminders.timezone)
        scheduler.add_job(socket.tick, every_minute, id="socket")
    scheduler.start()
    log.info("polling %d source(s) every %g minutes", len(config.sources), config.poll_minutes)
    try:
        stop.wait()
    finally:
        if socket is not None:
            socket.close()
        scheduler.shutdown(wait=True)
        leader.close()
        rt.close()
    return 0
