"""`anfragebot run`: APScheduler 3 BackgroundScheduler with an explicit time zone."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Config
from bot.errors import DeliveryError
from bot.runtime import Runtime, build_runtime
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
        log.error("%s failed: %s: %s", name, type(e).__name__, e)


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


def run_forever(config: Config) -> int:
    rt = build_runtime(config)
    leader = Leader(rt.engine)
    scheduler = make_scheduler(rt, leader)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: shutting down", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    # Socket Mode: answer /anfrage next to the scheduler when an app token is set. A refused
    # token ends `run` (ConfigError); an unreachable Slack is retried every minute.
    sockets: list[Any] = []

    def connect_socket() -> None:
        from bot.slack.app import start_socket_mode

        if sockets:
            return
        try:
            sockets.append(start_socket_mode(config, rt.factory))
        except DeliveryError as e:
            log.error("Socket Mode not connected (%s); trying again in a minute", e)

    if config.slack.app_token:
        connect_socket()
        every_minute = IntervalTrigger(minutes=1, timezone=config.reminders.timezone)
        scheduler.add_job(connect_socket, every_minute, id="socket")
    scheduler.start()
    log.info("polling %d source(s) every %g minutes", len(config.sources), config.poll_minutes)
    try:
        stop.wait()
    finally:
        for socket in sockets:
            socket.close()
        scheduler.shutdown(wait=True)
        leader.close()
        rt.close()
    return 0
