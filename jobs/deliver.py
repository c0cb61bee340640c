"""Send what the outbox holds: paced per channel, channels in parallel, never twice."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.errors import DeliveryError
from bot.slack.notifier import Notifier, Posted
from bot.store.db import transaction
from bot.store.deliveries import (
    Claimed,
    claim,
    mark_dropped,
    mark_parked,
    mark_retry,
    mark_sent,
    release_interrupted,
    unclaim,
)
from bot.store.follows import DM_KIND
from bot.store.locks import exclusive

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
# A Retry-After up to this long is waited out within the run (per channel, others go on).
MAX_IN_RUN_WAIT = 30.0
MAX_IN_RUN_RETRIES = 3
RATE_LIMITED = "rate limited: "


@dataclass(frozen=True)
class Rendered:
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    # Set for an edit of an earlier message (chat.update) instead of a new post.
    update_ts: str | None = None


class NotReady(Exception):  # noqa: N818 - a signal, not an error
    """Raised by a renderer when the message cannot be built yet (e.g. a thread reply whose
    parent message has not been posted): the row is retried shortly, not parked."""


# A renderer returns the message, None when there is nothing to send any more (the row is
# parked with that reason), or raises NotReady.
Render = Callable[[Session, Claimed], Rendered | None]
NOT_READY_DELAY = timedelta(seconds=30)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    parked: int = 0
    reconciled: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


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
    with exclusive(factory.kw["bind"], "deliver") as mine:
        if not mine:
            log.info("another process is delivering right now; skipping this round")
            return DeliveryReport()
        return _deliver_all(factory, notifier, render, now, pace_seconds, sleep, max_workers)


def _deliver_all(
    factory: sessionmaker[Session],
    notifier: Notifier,
    render: Render,
    now: datetime,
    pace_seconds: float,
    sleep: Callable[[float], None],
    max_workers: int,
) -> DeliveryReport:
    # We hold the delivery lock, so a row still `sending` belongs to a run that died.
    with transaction(factory) as session:
        interrupted = release_interrupted(session, now)
    if interrupted:
        log.warning(
            "%d deliveries were interrupted while sending; checking Slack first", interrupted
        )
    items = claim(factory, now)
    by_channel: dict[str, list[Claimed]] = defaultdict(list)
    for item in items:
        by_channel[item.channel].append(item)
    report = DeliveryReport()
    if not by_channel:
        return report

    def run(channel_items: list[Claimed]) -> None:
        # Oldest rows first, so the history look-up reaches back far enough for all of them.
        history = HistoryCache(notifier)
        for i, item in enumerate(channel_items):
            if i and pace_seconds > 0:
                sleep(pace_seconds)  # Slack allows about one message per second per channel
            limited = _deliver_one(factory, notifier, render, item, now, report, history)
            for _ in range(MAX_IN_RUN_RETRIES):
                if limited is None or limited.retry_after is None:
                    break
                # Rate limited with a short Retry-After: wait for this channel only, then retry.
                sleep(limited.retry_after)
                limited = _deliver_one(factory, notifier, render, item, now, report, history)
            if limited is not None:
                # Still limited: give the rest of this channel back untouched for a later run.
                with transaction(factory) as session:
                    unclaim(
                        session,
                        [c.id for c in channel_items[i + 1 :]],
                        at=now + timedelta(seconds=limited.retry_after or 60),
                    )
                _record_failure(factory, item, limited, now, report)
                return

    workers = max(1, min(max_workers, len(by_channel)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="deliver") as pool:
        list(pool.map(run, by_channel.values()))
    return report


def _deliver_one(
    factory: sessionmaker[Session],
    notifier: Notifier,
    render: Render,
    item: Claimed,
    now: datetime,
    report: DeliveryReport,
    history: HistoryCache,
) -> DeliveryError | None:
    """Send one row. Returns the error when Slack rate-limited it briefly (the caller waits
    and retries in this run), else None (sent, parked, dropped or rescheduled)."""
    try:
        try:
            with factory() as session:
                rendered = render(session, item)
        except NotReady as e:
            with transaction(factory) as session:
                mark_retry(session, item.id, error=f"not ready: {e}", at=now + NOT_READY_DELAY)
            report.skipped += 1
            return None
        if rendered is None:
            with transaction(factory) as session:
                # Outdated by now (meeting cancelled, paper gone): not an error, nothing to send.
                mark_dropped(session, item.id, reason="outdated before it was sent")
            report.skipped += 1
            return None
        item = direct_message_channel(notifier, item)
        posted = history.find(item, rendered.thread_ts) if _may_have_posted(item) else None
        if posted is not None:
            report.reconciled += 1
        elif rendered.update_ts:
            notifier.update(item.channel, rendered.update_ts, rendered.text, rendered.blocks)
            posted = Posted(channel=item.channel, ts=rendered.update_ts)
        else:
            posted = notifier.post(
                item.channel,
                rendered.text,
                rendered.blocks,
                key=message_key(item),
                thread_ts=rendered.thread_ts,
            )
        with transaction(factory) as session:
            mark_sent(session, item.id, ts=posted.ts, thread_ts=rendered.thread_ts, now=now)
        report.sent += 1
    except DeliveryError as e:
        if e.retry_after is not None and e.retry_after <= MAX_IN_RUN_WAIT:
            return e
        _record_failure(factory, item, e, now, report)
    except Exception as e:  # noqa: BLE001 - one bad row must not stop its channel
        log.exception("delivery %s to %s failed unexpectedly", message_key(item), item.channel)
        _record_failure(factory, item, DeliveryError(f"{type(e).__name__}: {e}"), now, report)
    return None


def direct_message_channel(notifier: Notifier, item: Claimed) -> Claimed:
    """A direct message's row names the user; Slack wants the DM channel (conversations.open).
    The row keeps the user, so pacing and uniqueness stay per user."""
    if item.kind != DM_KIND:
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

    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier
        self.seen: dict[tuple[str, str | None], dict[str, Posted]] = {}

    def find(self, item: Claimed, thread_ts: str | None) -> Posted | None:
        where = (item.channel, thread_ts)
        if where not in self.seen:
            oldest = item.created_at.timestamp() - 60
            self.seen[where] = self.notifier.posted_keys(item.channel, oldest, thread_ts=thread_ts)
        return self.seen[where].get(message_key(item))


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
            report.parked += 1
            log.error("delivery %s to %s parked: %s", message_key(item), item.channel, e.reason)
            return
        if e.retry_after is not None:
            delay = timedelta(seconds=e.retry_after)
            error = f"{RATE_LIMITED}{e.reason}"
        else:
            delay = min(timedelta(seconds=30 * 2 ** min(item.attempts - 1, 10)), MAX_BACKOFF)
            error = e.reason
        mark_retry(session, item.id, error=error, at=now + delay)
        report.retried += 1
        report.errors.append(e.reason)
        log.warning(
            "delivery %s to %s failed, retrying in %ss: %s",
            message_key(item),
            item.channel,
            int(delay.total_seconds()),
            e.reason,
        )
