"""The delivery worker: send what the outbox holds, paced per channel, channels in parallel (one
thread each), never twice. Messages are built by a `Render` (bot/outbox/render.py)."""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session, sessionmaker

from bot.errors import DeliveryError
from bot.outbox.kinds import Kind
from bot.outbox.message import NOT_READY_DELAY, NotReady, Render, Rendered
from bot.slack.notifier import MessageGone, Notifier, Posted
from bot.store.db import transaction
from bot.store.deliveries import (
    RATE_LIMITED,
    Claimed,
    claim,
    mark_dropped,
    mark_parked,
    mark_retry,
    mark_sent,
    release_interrupted,
    still_claimed,
    unclaim,
)
from bot.store.locks import Section, hold

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
# A Retry-After up to this long is waited out within the run (per channel, others go on); a
# longer one holds the whole channel until then (see bot/store/deliveries.py, claim).
MAX_IN_RUN_WAIT = 30.0
MAX_IN_RUN_RETRIES = 3
# How far before a row's creation (in Slack's time) the history look-up searches for its key:
# covers a local clock stepped or skewed by up to this much against the moment of enqueueing.
RECONCILE_MARGIN = 3600.0


CounterName = Literal["sent", "retried", "parked", "reconciled", "skipped", "gone"]


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    parked: int = 0
    reconciled: int = 0
    skipped: int = 0
    gone: int = 0  # edits of messages that no longer exist: closed, not retried
    errors: list[str] = field(default_factory=list)
    # The channel workers of one run count into one report at once.
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    def count(self, name: CounterName, n: int = 1, *, error: str | None = None) -> None:
        """Add `n` to the counter `name` (and note `error`), safe from any worker thread."""
        with self._lock:
            setattr(self, name, getattr(self, name) + n)
            if error is not None:
                self.errors.append(error)


def message_key(item: Claimed) -> str:
    """The tag carried in message metadata, unique per delivery row."""
    return f"{item.kind}:{item.key}"


def deliver_pending(
    factory: sessionmaker[Session],
    notifier: Notifier,
    render: Render,
    *,
    now: datetime,
    pace_seconds: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    max_workers: int = 8,
) -> DeliveryReport:
    """Send what is due. Only one process delivers at a time (cron's `poll --once` next to
    `remind --once`, a manual run next to `run`, replicas): the others skip this round."""
    with hold(factory.kw["bind"], "deliver") as lock:
        if lock is None:
            log.info("another process is delivering right now; skipping this round")
            return DeliveryReport()
        run = _Run(factory, notifier, render, now, pace_seconds, sleep, lock)
        return run.all(max_workers)


@dataclass
class _Run:
    factory: sessionmaker[Session]
    notifier: Notifier
    render: Render
    now: datetime
    pace_seconds: float
    sleep: Callable[[float], None]
    lock: Section
    report: DeliveryReport = field(default_factory=DeliveryReport)
    started: float = field(default_factory=time.monotonic)

    def all(self, max_workers: int) -> DeliveryReport:
        # We hold the delivery lock, so a row still `sending` belongs to a run that died (or
        # lost its lock: it re-checks each row before sending, see `still_claimed`).
        with transaction(self.factory) as session:
            interrupted = release_interrupted(session, self.now)
        if interrupted:
            log.warning(
                "%d deliveries were interrupted while sending; checking Slack first", interrupted
            )
        by_channel: dict[str, list[Claimed]] = defaultdict(list)
        for item in claim(self.factory, self.now):
            by_channel[item.channel].append(item)
        if by_channel:
            workers = max(1, min(max_workers, len(by_channel)))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="deliver") as pool:
                list(pool.map(self.channel, by_channel.values()))
        return self.report

    def channel(self, items: list[Claimed]) -> None:
        """One channel's rows, oldest first (so one history look-up reaches back for all)."""
        history = HistoryCache(self.notifier, self.now)
        regained = self.lock.regained
        for i, item in enumerate(items):
            if i and self.pace_seconds > 0:
                self.sleep(self.pace_seconds)  # Slack allows about one message per second
            if not self.lock.check():
                # Another process delivers now; it takes our rows for interrupted and looks for
                # them in Slack before sending. We must not send anything more.
                log.info("%s: stopping, the delivery lock is held elsewhere", item.channel)
                return
            if self.lock.regained != regained:
                # Rows claimed under a lost lock: someone may have sent them meanwhile.
                history, regained = HistoryCache(self.notifier, self.now), self.lock.regained
            suspect = self.lock.regained > 0
            limited = self.one(item, history, suspect)
            for _ in range(MAX_IN_RUN_RETRIES):
                if limited is None or (limited.retry_after or 0) > MAX_IN_RUN_WAIT:
                    break
                # Rate limited with a short Retry-After: wait for this channel only, then retry.
                self.sleep(limited.retry_after or 1.0)
                limited = self.one(item, history, suspect)
            if limited is not None:
                self.hold_channel(item, items[i + 1 :], limited)
                return

    def hold_channel(self, item: Claimed, rest: list[Claimed], e: DeliveryError) -> None:
        """Still rate-limited: this row waits out Retry-After (which holds the whole channel,
        also against later runs) and the rest of the channel goes back untouched."""
        elapsed = timedelta(seconds=time.monotonic() - self.started)
        until = self.now + elapsed + timedelta(seconds=e.retry_after or 60)
        with transaction(self.factory) as session:
            unclaim(session, [c.id for c in rest], at=until)
            mark_retry(session, item.id, error=f"{RATE_LIMITED}{e.reason}", at=until)
        self.report.count("retried", error=e.reason)
        log.warning(
            "channel %s rate limited by Slack: %d deliveries wait %ss (%s)",
            item.channel,
            len(rest) + 1,
            int((until - self.now).total_seconds()),
            e.reason,
        )

    def one(self, item: Claimed, history: HistoryCache, suspect: bool) -> DeliveryError | None:
        """Send one row. Returns the error when Slack rate-limited it (the caller waits or
        holds the channel), else None (sent, parked, dropped or rescheduled)."""
        report = self.report
        try:
            try:
                with self.factory() as session:
                    rendered = self.render(session, item)
            except NotReady as e:
                with transaction(self.factory) as session:
                    mark_retry(
                        session, item.id, error=f"not ready: {e}", at=self.now + NOT_READY_DELAY
                    )
                report.count("skipped")
                return None
            if rendered is None:
                with transaction(self.factory) as session:
                    # Outdated by now (meeting cancelled, paper gone): nothing to send.
                    mark_dropped(session, item.id, reason="outdated before it was sent")
                report.count("skipped")
                return None
            item = direct_message_channel(self.notifier, item)
            check = suspect or _may_have_posted(item)
            outcome = self.send_fenced(item, rendered, history if check else None)
            if outcome is None:
                report.count("skipped")
                log.info("delivery %s: taken over by another run, not sent", message_key(item))
            elif outcome:
                report.count("reconciled")
                report.count("sent")
            else:
                report.count("sent")
        except MessageGone as e:
            with transaction(self.factory) as session:
                mark_dropped(session, item.id, reason=f"message gone: {e.reason}")
            report.count("gone")
            log.warning("delivery %s to %s closed: %s", message_key(item), item.channel, e.reason)
        except DeliveryError as e:
            if e.retry_after is not None:
                return e
            _record_failure(self.factory, item, e, self.now, report)
        except Exception as e:  # noqa: BLE001 - one bad row must not stop its channel
            log.exception("delivery %s to %s failed unexpectedly", message_key(item), item.channel)
            error = DeliveryError(f"{type(e).__name__}: {e}")
            _record_failure(self.factory, item, error, self.now, report)
        return None

    def send_fenced(
        self, item: Claimed, rendered: Rendered, history: HistoryCache | None
    ) -> bool | None:
        """Post (or find, or edit) and record the outcome while the row is provably ours.

        Returns None when the row is no longer ours (not sent), True when found in Slack's
        history (reconciled), False when posted or edited now.
        """
        with self.factory() as session:
            session.begin()
            try:
                if not still_claimed(session, item):
                    session.rollback()
                    return None
                if session.get_bind().dialect.name != "postgresql":
                    # SQLite: the delivery lock is a flock that cannot be lost; holding a write
                    # transaction over an HTTP call would only block other processes.
                    session.commit()
                posted = history.find(item, rendered.thread_ts) if history else None
                found = posted is not None
                if posted is None:
                    posted = self.send(item, rendered)
                mark_sent(
                    session, item.id, ts=posted.ts, thread_ts=rendered.thread_ts, now=self.now
                )
                session.commit()
                return found
            except BaseException:
                session.rollback()
                raise

    def send(self, item: Claimed, rendered: Rendered) -> Posted:
        if rendered.update_ts:
            self.notifier.update(item.channel, rendered.update_ts, rendered.text, rendered.blocks)
            return Posted(channel=item.channel, ts=rendered.update_ts)
        return self.notifier.post(
            item.channel,
            rendered.text,
            rendered.blocks,
            key=message_key(item),
            thread_ts=rendered.thread_ts,
            broadcast=rendered.broadcast,
        )


def direct_message_channel(notifier: Notifier, item: Claimed) -> Claimed:
    """A direct message's row names the user; Slack wants the DM channel (conversations.open).
    The row keeps the user, so pacing and uniqueness stay per user."""
    if item.kind != Kind.DM:
        return item
    return replace(item, channel=notifier.open_dm(item.channel))


def _may_have_posted(item: Claimed) -> bool:
    """Could an earlier attempt have reached the channel? Only a post that Slack itself
    refused with 429, or a row that was not ready, certainly did not. A rate-limited history
    look-up proves nothing, so such a row is checked again."""
    certainly_not = (f"{RATE_LIMITED}chat.postMessage", "not ready")
    return item.attempts > 1 and not (item.last_error or "").startswith(certainly_not)


class HistoryCache:
    """One history look-up per channel (or thread) and run, however many rows need checking."""

    def __init__(self, notifier: Notifier, now: datetime) -> None:
        self.notifier = notifier
        self.now = now
        self.seen: dict[tuple[str, str | None], tuple[float, dict[str, Posted]]] = {}

    def find(self, item: Claimed, thread_ts: str | None) -> Posted | None:
        # The row's age by our clock (a difference: a clock that is off cancels out), applied
        # to Slack's newest ts, plus a margin for a clock stepped in between.
        within = max(0.0, (self.now - item.created_at).total_seconds()) + RECONCILE_MARGIN
        where = (item.channel, thread_ts)
        cached = self.seen.get(where)
        if cached is None or (thread_ts is None and cached[0] < within):
            keys = self.notifier.posted_keys(item.channel, within=within, thread_ts=thread_ts)
            cached = self.seen[where] = (within, keys)
        return cached[1].get(message_key(item))


def _record_failure(
    factory: sessionmaker[Session],
    item: Claimed,
    e: DeliveryError,
    now: datetime,
    report: DeliveryReport,
) -> None:
    with transaction(factory) as session:
        if e.permanent:
            mark_parked(session, item.id, reason=e.reason)
            report.count("parked")
            log.error("delivery %s to %s parked: %s", message_key(item), item.channel, e.reason)
            return
        if e.retry_after is not None:
            delay = timedelta(seconds=e.retry_after)
            error = f"{RATE_LIMITED}{e.reason}"
        else:
            delay = min(timedelta(seconds=30 * 2 ** min(item.attempts - 1, 10)), MAX_BACKOFF)
            error = e.reason
        mark_retry(session, item.id, error=error, at=now + delay)
        report.count("retried", error=e.reason)
        log.warning(
            "delivery %s to %s failed, retrying in %ss: %s",
            message_key(item),
            item.channel,
            int(delay.total_seconds()),
            e.reason,
        )
