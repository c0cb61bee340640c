"""Read-only queries for the operator: `status`, `check`, `poll --dry-run` and the no-token poll.

Nothing here writes; `scratch` lets a dry run do a poll's routing for real inside one
transaction that is rolled back, so it shows exactly what would be sent and keeps nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.store.db import make_engine
from bot.store.deliveries import Claimed
from bot.store.kinds import AnnounceState, State
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
        if status == State.SENT and has_ts:
            sent += n
        elif status == State.SENT:
            skipped += n
        elif status in (State.PENDING, State.SENDING):
            waiting += n
        elif status == State.PARKED:
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
            .where(Delivery.status.in_((State.PENDING, State.SENDING)))
        )
        or 0
    )


def due_deliveries(session: Session, now: datetime) -> list[Claimed]:
    """What the next delivery run would send, without claiming anything (`poll --dry-run`)."""
    rows = session.scalars(
        select(Delivery)
        .where(Delivery.status.in_((State.PENDING, State.SENDING)), Delivery.next_attempt_at <= now)
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


def held_back(session: Session, source: str, seen_at: datetime) -> int:
    """Anfragen first seen at `seen_at` that the first-sync age limit keeps silent."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(PaperRow)
            .where(
                PaperRow.source == source,
                PaperRow.announce_state == AnnounceState.SILENT,
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


@contextmanager
def scratch(database_url: str) -> Iterator[sessionmaker[Session]]:
    """A session factory whose every commit is a savepoint of one outer transaction that is
    rolled back at the end: jobs run against it as usual, and nothing they write survives."""
    engine = make_engine(database_url)
    if engine.dialect.name == "sqlite":
        # pysqlite manages transactions itself and breaks SAVEPOINT; let SQLAlchemy do it.
        event.listen(engine, "connect", _sqlite_no_autobegin)
        event.listen(engine, "begin", _sqlite_begin)
    try:
        with engine.connect() as conn:
            outer = conn.begin()
            try:
                yield sessionmaker(
                    bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
                )
            finally:
                outer.rollback()
    finally:
        engine.dispose()


def _sqlite_no_autobegin(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN")
