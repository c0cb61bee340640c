"""The delivery outbox: enqueue in the transaction that decided to send, claim, record outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.store.kinds import State
from bot.store.schema import Delivery
from bot.store.upsert import dialect_insert

# `last_error` of a row Slack rate-limited. While such a row waits for its Retry-After, nothing
# else is sent to its channel either (claim skips the channel).
RATE_LIMITED = "rate limited: "


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    channel: str
    key: str
    paper_id: str | None
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    last_error: str | None


def enqueue(
    session: Session,
    *,
    kind: str,
    channel: str,
    key: str,
    now: datetime,
    paper_id: str | None = None,
    payload: dict[str, Any] | None = None,
    already_told: bool = False,
) -> bool:
    """Add a delivery unless one with the same (kind, channel, key) exists. True if added.

    `already_told` records the message as sent without sending it (what it would say is shown
    elsewhere already), so it is never sent later either.
    """
    insert = dialect_insert(session)
    stmt = (
        insert(Delivery)
        .values(
            kind=kind,
            channel=channel,
            key=key,
            paper_id=paper_id,
            payload=payload or {},
            status=State.SENT if already_told else State.PENDING,
            attempts=0,
            next_attempt_at=None if already_told else now,
            created_at=now,
            sent_at=now if already_told else None,
        )
        .on_conflict_do_nothing(index_elements=["kind", "channel", "key"])
    )
    result = session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


def claim(factory: sessionmaker[Session], now: datetime, limit: int = 500) -> list[Claimed]:
    """Move due pending rows to `sending`. On PostgreSQL concurrent claimers skip each other."""
    with factory() as session, session.begin():
        held = (
            select(Delivery.channel)
            .where(
                Delivery.status == State.PENDING,
                Delivery.next_attempt_at > now,
                Delivery.last_error.startswith(RATE_LIMITED, autoescape=True),
            )
            .distinct()
        )
        query = (
            select(Delivery)
            .where(
                Delivery.status == State.PENDING,
                Delivery.next_attempt_at <= now,
                Delivery.channel.not_in(held),
            )
            .order_by(Delivery.id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = session.scalars(query).all()
        claimed = []
        for row in rows:
            row.status = State.SENDING
            row.claimed_at = now
            row.attempts += 1
            claimed.append(
                Claimed(
                    id=row.id,
                    kind=row.kind,
                    channel=row.channel,
                    key=row.key,
                    paper_id=row.paper_id,
                    payload=dict(row.payload or {}),
                    attempts=row.attempts,
                    created_at=row.created_at,
                    last_error=row.last_error,
                )
            )
        return claimed


def still_claimed(session: Session, item: Claimed) -> bool:
    """Is this row still ours to send? Call it in the transaction that will record the outcome.

    Our claim raised `attempts` to `item.attempts` and set `sending`. If our delivery lock was
    lost meanwhile, another run may have taken the row back (pending) or claimed it again
    (attempts + 1): then we must not send it. On PostgreSQL the row stays locked until our
    transaction ends, so such a run waits until our outcome is recorded instead of looking for
    the message in Slack while we are still posting it.
    """
    query = select(Delivery.status, Delivery.attempts).where(Delivery.id == item.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.execute(query).one_or_none()
    return row is not None and row.status == State.SENDING and row.attempts == item.attempts


def mark_sent(
    session: Session, delivery_id: int, *, ts: str, thread_ts: str | None, now: datetime
) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(status=State.SENT, ts=ts, thread_ts=thread_ts, sent_at=now, last_error=None)
    )


def mark_retry(session: Session, delivery_id: int, *, error: str, at: datetime) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(status=State.PENDING, next_attempt_at=at, last_error=error[:1000])
    )


def mark_dropped(session: Session, delivery_id: int, *, reason: str) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(status=State.DROPPED, last_error=reason[:1000])
    )


def mark_parked(session: Session, delivery_id: int, *, reason: str) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(status=State.PARKED, last_error=reason[:1000])
    )


def unclaim(session: Session, delivery_ids: list[int], *, at: datetime) -> None:
    """Give claimed rows back untried (their attempt does not count)."""
    if delivery_ids:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(delivery_ids), Delivery.status == State.SENDING)
            .values(status=State.PENDING, next_attempt_at=at, attempts=Delivery.attempts - 1)
        )


def requeue_parked(session: Session, now: datetime, channel: str | None = None) -> int:
    """Parked rows (a permanent Slack error, fixed since: bot invited, token renewed) go back to
    pending. Their attempt count stays, so the sender checks the channel before posting."""
    query = update(Delivery).where(Delivery.status == State.PARKED)
    if channel:
        query = query.where(Delivery.channel == channel)
    result = session.execute(query.values(status=State.PENDING, next_attempt_at=now))
    return int(getattr(result, "rowcount", 0) or 0)


def release_interrupted(session: Session, now: datetime) -> int:
    """Rows left `sending` by a killed process go back to pending.

    Delivery runs never overlap (one scheduler job; the leader lock across replicas), so any
    row still `sending` when a run starts was interrupted. Its attempt counter is already
    raised, so the sender looks for it in the channel before posting it again.
    """
    result = session.execute(
        update(Delivery)
        .where(Delivery.status == State.SENDING)
        .values(status=State.PENDING, next_attempt_at=now, last_error="interrupted while sending")
    )
    return int(getattr(result, "rowcount", 0) or 0)
