"""Read-only queries for the operator: `status`, `check`, `poll --dry-run` and the no-token poll.

Nothing here writes; the delivery state is only ever changed by bot/store/deliveries.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.deliveries import Claimed
from bot.store.schema import Delivery, ListState, PaperRow, Source, Subscription


@dataclass(frozen=True)
class DeliveryCounts:
    sent: int = 0  # Slack accepted the message (it has a `ts`)
    skipped: int = 0  # recorded as told without posting (first sync, already shown elsewhere)
    waiting: int = 0  # pending or being sent
    parked: int = 0


def delivery_counts(session: Session) -> DeliveryCounts:
    """"gesendet" must mean "Slack has it": rows recorded as sent without a post (a first
    sync's events, baselines) have no `ts` and count as skipped (issue 11)."""
    posted = Delivery.ts.is_not(None)
    rows = session.execute(
        select(Delivery.status, posted, func.count()).group_by(Delivery.status, posted)
    ).all()
    sent = skipped = waiting = parked = 0
    for status, has_ts, n in rows:
        if status == "sent" and has_ts:
            sent += n
        elif status == "sent":
            skipped += n
        elif status in ("pending", "sending"):
            waiting += n
        elif status == "parked":
            parked += n
    return DeliveryCounts(sent=sent, skipped=skipped, waiting=waiting, parked=parked)


def known_sources(session: Session) -> dict[str, Source]:
    return {s.name: s for s in session.scalars(select(Source)).all()}


def waiting_deliveries(session: Session) -> int:
    """Rows not sent yet (pending or interrupted while sending)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.status.in_(("pending", "sending")))
        )
        or 0
    )


def due_deliveries(session: Session, now: datetime) -> list[Claimed]:
    """What the next delivery run would send, without claiming anything (`poll --dry-run`)."""
    rows = session.scalars(
        select(Delivery)
        .where(Delivery.status.in_(("pending", "sending")), Delivery.next_attempt_at <= now)
        .order_by(Delivery.id)
    ).all()
    return [
        Claimed(
            id=r.id,
            kind=r.kind,
            channel=r.channel,
            key=r.key,
            paper_id=r.paper_id,
            payload=dict(r.payload or {}),
            attempts=r.attempts,
            created_at=r.created_at,
            last_error=r.last_error,
        )
        for r in rows
    ]


def unrouted_anfragen(session: Session) -> list[str]:
    """Anfragen waiting to be routed to channels (announce_state pending), oldest first."""
    return list(
        session.scalars(
            select(PaperRow.id)
            .where(PaperRow.announce_state == "pending")
            .order_by(PaperRow.date, PaperRow.id)
        ).all()
    )


def has_delivery(session: Session, kind: str, channel: str, key: str) -> bool:
    found = session.scalar(
        select(Delivery.id).where(
            Delivery.kind == kind, Delivery.channel == channel, Delivery.key == key
        )
    )
    return found is not None


def held_back(session: Session, source: str, seen_at: datetime) -> int:
    """Anfragen first seen at `seen_at` that the first-sync age limit keeps silent."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(PaperRow)
            .where(
                PaperRow.source == source,
                PaperRow.announce_state == "silent",
                PaperRow.first_seen_at == seen_at,
            )
        )
        or 0
    )


def list_modes(session: Session, source: str) -> dict[str, str | None]:
    """Per list URL of `source`: how it is read (None: `modified_since`; "tail": from the end,
    because the server ignores the filter or stamps every object with one date)."""
    rows = session.execute(
        select(ListState.url, ListState.mode).where(ListState.source == source)
    ).all()
    return {str(url): mode for url, mode in rows}


def subscribed_channels(session: Session) -> list[str]:
    return sorted(set(session.scalars(select(Subscription.channel)).all()))
