"""`anfragebot run`: APScheduler 3 BackgroundScheduler with an explicit time zone."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Config
from bot.runtime import Runtime, build_runtime
from jobs.poll import poll_once
from jobs.remind import remind_once

log = logging.getLogger(__name__)

REMIND_MINUTES = 5
# Poll and remind both deliver from the outbox: one at a time, so two senders never race on
# SQLite (where a concurrent claim fails with "database is locked").
_ONE_AT_A_TIME = threading.Lock()


def _guarded(name: str, job: object, rt: Runtime) -> None:
    """A failing run is logged in one line and retried on the next interval, never fatal."""
    try:
        with _ONE_AT_A_TIME:
            job(rt, datetime.now(UTC))  # type: ignore[operator]
    except Exception as e:  # noqa: BLE001 - the scheduler must outlive any single failure
        log.error("%s failed: %s: %s", name, type(e).__name__, e)


def make_scheduler(rt: Runtime) -> BackgroundScheduler:
    tz = rt.config.reminders.timezone
    scheduler = BackgroundScheduler(timezone=tz)
    scheduler.add_job(
        _guarded,
        IntervalTrigger(minutes=rt.config.poll_minutes, timezone=tz),
        args=("poll", poll_once, rt),
        id="poll",
        next_run_time=datetime.now(tz),
        # APScheduler drops runs later than 1 s by default; a busy machine must not skip polls.
        misfire_grace_time=rt.config.poll_minutes * 60,
        coalesce=True,
        max_instances=1,
    )
    # Reminders are kept in our own tables, not in an APScheduler job store: this job looks
    # every few minutes for what is due (and for the weekly digest).
    scheduler.add_job(
        _guarded,
        IntervalTrigger(minutes=REMIND_MINUTES, timezone=tz),
        args=("remind", remind_once, rt),
        id="remind",
        misfire_grace_time=REMIND_MINUTES * 60,
        coalesce=True,
        max_instances=1,
    )
    return scheduler


def run_forever(config: Config) -> int:
    rt = build_runtime(config)
    scheduler = make_scheduler(rt)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: shutting down", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    # Socket Mode (issue 4): answer /anfrage next to the scheduler when an app token is set.
    socket = None
    if config.slack.app_token:
        from bot.slack.app import start_socket_mode

        socket = start_socket_mode(config, rt.factory)
    scheduler.start()
    log.info("polling %d source(s) every %d minutes", len(config.sources), config.poll_minutes)
    try:
        stop.wait()
    finally:
        if socket is not None:
            socket.close()
        scheduler.shutdown(wait=True)
        rt.close()
    return 0
