"""Feed quarantine and per-list progress: what an operator sees in `anfragebot status`.

A quarantined object is retried after 1 h, 6 h, then every 24 h; it leaves the quarantine as
soon as a read of it (on its page or on its own) stores it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.store.schema import FeedQuarantine, ListState

RETRY_AFTER = (timedelta(hours=1), timedelta(hours=6), timedelta(hours=24))
MAX_REASON = 500


def _key(object_id: str) -> str:
    return hashlib.sha256(object_id.encode("utf-8", "replace")).hexdigest()


def retry_delay(attempts: int) -> timedelta:
    """1 h after the first failure, 6 h after the second, 24 h after every later one."""
    return RETRY_AFTER[min(max(attempts, 1), len(RETRY_AFTER)) - 1]


def _printable(text: str, limit: int) -> str:
    text = text.replace("\x00", "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quarantine(
    session: Session,
    *,
    source: str,
    kind: str,
    object_id: str,
    reason: str,
    now: datetime,
    retried: bool = False,
) -> None:
    """Record (or update) a quarantined object. `retried`: this failure was a scheduled retry,
    so the next one moves further out; a failure seen again on a page keeps its schedule."""
    reason = _printable(reason, MAX_REASON)
    row = session.scalars(
        select(FeedQuarantine).where(
            FeedQuarantine.kind == kind, FeedQuarantine.key == _key(object_id)
        )
    ).first()
    if row is None:
        session.add(
            FeedQuarantine(
                source=source,
                kind=kind,
                key=_key(object_id),
                object_id=object_id.replace("\x00", ""),
                reason=reason,
                attempts=1,
                first_seen_at=now,
                last_attempt_at=now,
                next_retry_at=now + retry_delay(1),
            )
        )
        return
    row.reason = reason
    row.last_attempt_at = now
    if retried or row.next_retry_at is None or row.next_retry_at <= now:
        row.attempts += 1
        row.next_retry_at = now + retry_delay(row.attempts)


def release(session: Session, kind: str, object_ids: Iterable[str]) -> int:
    """Objects stored after all: out of the quarantine. Returns how many rows left."""
    keys = [_key(i) for i in object_ids]
    if not keys:
        return 0
    result = session.execute(
        delete(FeedQuarantine).where(FeedQuarantine.kind == kind, FeedQuarantine.key.in_(keys))
    )
    return int(getattr(result, "rowcount", 0) or 0)


def release_pages(session: Session, source: str, list_url: str) -> None:
    """A list read to its end: none of its pages is broken any more."""
    session.execute(
        delete(FeedQuarantine).where(
            FeedQuarantine.source == source,
            FeedQuarantine.kind == "page",
            FeedQuarantine.object_id.startswith(list_url, autoescape=True),
        )
    )


def due(session: Session, source: str, now: datetime, limit: int = 20) -> list[FeedQuarantine]:
    """Quarantined objects whose retry time has come (oldest retry time first)."""
    return list(
        session.scalars(
            select(FeedQuarantine)
            .where(
                FeedQuarantine.source == source,
                FeedQuarantine.kind != "page",
                FeedQuarantine.next_retry_at <= now,
            )
            .order_by(FeedQuarantine.next_retry_at)
            .limit(limit)
        ).all()
    )


def quarantined(session: Session, limit: int = 50) -> list[FeedQuarantine]:
    return list(
        session.scalars(
            select(FeedQuarantine)
            .order_by(FeedQuarantine.source, FeedQuarantine.kind, FeedQuarantine.first_seen_at)
            .limit(limit)
        ).all()
    )


def quarantine_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(FeedQuarantine)) or 0)


@dataclass(frozen=True)
class ListProgress:
    """Per OParl list: the last complete read, where an unfinished read resumes, last error."""

    source: str
    url: str
    last_complete_at: datetime | None
    resume_url: str | None
    last_error: str | None
    last_error_at: datetime | None


def list_progress(session: Session) -> list[ListProgress]:
    rows = session.scalars(select(ListState).order_by(ListState.source, ListState.url)).all()
    return [
        ListProgress(
            source=r.source,
            url=r.url,
            last_complete_at=r.last_complete_at or r.full_sync_at,
            resume_url=r.resume_url,
            last_error=r.last_error,
            last_error_at=r.last_error_at,
        )
        for r in rows
    ]
