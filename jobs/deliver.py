"""Send what the outbox holds: paced per channel, channels in parallel, never twice."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.errors import DeliveryError
from bot.slack.notifier import Notifier, Posted
from bot.store.db import transaction
from bot.store.deliveries import Claimed, claim, mark_parked, mark_retry, mark_sent, release_stale

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
STALE_SENDING = timedelta(minutes=5)


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
    with transaction(factory) as session:
        release_stale(session, now, STALE_SENDING)
    items = claim(factory, now)
    by_channel: dict[str, list[Claimed]] = defaultdict(list)
    for item in items:
        by_channel[item.channel].append(item)
    report = DeliveryReport()
    if not by_channel:
        return report

    def run(channel_items: list[Claimed]) -> None:
        for i, item in enumerate(channel_items):
            if i and pace_seconds > 0:
                sleep(pace_seconds)  # Slack allows about one message per second per channel
            _deliver_one(factory, notifier, render, item, now, report)

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
) -> None:
    try:
        try:
            with factory() as session:
                rendered = render(session, item)
        except NotReady as e:
            with transaction(factory) as session:
                mark_retry(session, item.id, error=f"not ready: {e}", at=now + NOT_READY_DELAY)
            report.skipped += 1
            return
        if rendered is None:
            with transaction(factory) as session:
                mark_parked(session, item.id, reason="nothing to send (object no longer in store)")
            report.skipped += 1
            return
        posted = _reconcile(notifier, item) if _may_have_posted(item) else None
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
        _record_failure(factory, item, e, now, report)


def _may_have_posted(item: Claimed) -> bool:
    # A rate-limited or refused attempt never reached the channel; anything else might have.
    return item.attempts > 1 and not (item.last_error or "").startswith(
        ("rate limited", "not ready")
    )


def _reconcile(notifier: Notifier, item: Claimed) -> Posted | None:
    oldest = item.created_at.timestamp() - 60
    return notifier.find_posted(item.channel, message_key(item), oldest)


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
            error = f"rate limited: {e.reason}"
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
