"""Store access for `/anfrage folgen`: who follows which Anfrage, and what they knew then.

A follow keeps a *snapshot* of the Anfrage as the store knew it at the moment of `folgen` (its
meetings, answer and deletion), so only events after that moment reach the user as direct
messages. The direct messages are outbox rows of kind `dm` whose channel is the user id (the
DM channel is opened when sending); the unique (kind, channel, key) constraint makes them
exactly-once per user and event, like every channel message.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.store.kinds import Kind, State
from bot.store.lifecycle import Appearance, appearances, chunks
from bot.store.schema import AnswerLink, Delivery, Follow, PaperRow

MAX_FOLLOWS_PER_USER = 200


@dataclass(frozen=True)
class Snapshot:
    """The inputs of the Anfrage's event list at one moment (see bot/outbox/events.paper_events)."""

    deleted: bool
    apps: tuple[Appearance, ...]
    answer: str | None


@dataclass(frozen=True)
class FollowRow:
    id: int
    user: str
    paper_id: str
    snapshot: Snapshot | None
    created_at: datetime


@dataclass(frozen=True)
class Followed:
    """One followed Anfrage as `/anfrage gefolgt` and the App Home show it."""

    paper_id: str
    reference: str | None
    subject: str | None
    web: str | None
    date: dt.date | None
    answered_on: dt.date | None
    deleted: bool
    since: datetime


def current_snapshot(session: Session, paper_id: str) -> Snapshot | None:
    paper = session.get(PaperRow, paper_id)
    if paper is None:
        return None
    link = session.get(AnswerLink, paper_id)
    answer = (link.answer_paper_id or link.answer_file_id) if link else None
    apps = appearances(session, [paper_id]).get(paper_id, [])
    return Snapshot(deleted=bool(paper.deleted), apps=tuple(apps), answer=answer)


def _dump(snapshot: Snapshot) -> dict[str, Any]:
    apps = []
    for a in snapshot.apps:
        item = asdict(a)
        item["start"] = a.start.isoformat() if a.start else None
        apps.append(item)
    return {"deleted": snapshot.deleted, "answer": snapshot.answer, "apps": apps}


def _load(data: dict[str, Any] | None) -> Snapshot | None:
    if not data:
        return None
    apps = []
    for item in data.get("apps") or []:
        start = item.get("start")
        apps.append(
            Appearance(**{**item, "start": datetime.fromisoformat(start) if start else None})
        )
    return Snapshot(
        deleted=bool(data.get("deleted")), apps=tuple(apps), answer=data.get("answer") or None
    )


def add_follow(session: Session, user: str, paper_id: str, *, now: datetime) -> bool:
    """Follow `paper_id`; False when the user already follows it (nothing changes then)."""
    exists = session.scalars(
        select(Follow.id).where(Follow.user_id == user, Follow.paper_id == paper_id)
    ).first()
    if exists is not None:
        return False
    snapshot = current_snapshot(session, paper_id)
    session.add(
        Follow(
            user_id=user,
            paper_id=paper_id,
            snapshot=_dump(snapshot) if snapshot else None,
            created_at=now,
        )
    )
    session.flush()
    return True


def count_follows(session: Session, user: str) -> int:
    return int(
        session.scalar(select(func.count()).select_from(Follow).where(Follow.user_id == user)) or 0
    )


def remove_follow(session: Session, user: str, paper_id: str) -> bool:
    """Stop following; direct messages not sent yet are withdrawn in the same transaction."""
    row = session.scalars(
        select(Follow).where(Follow.user_id == user, Follow.paper_id == paper_id)
    ).first()
    if row is None:
        return False
    session.delete(row)
    session.execute(
        delete(Delivery).where(
            Delivery.kind == Kind.DM,
            Delivery.channel == user,
            Delivery.paper_id == paper_id,
            Delivery.status == State.PENDING,
        )
    )
    return True


def is_following(session: Session, user: str, paper_id: str) -> bool:
    return (
        session.scalars(
            select(Follow.id).where(Follow.user_id == user, Follow.paper_id == paper_id)
        ).first()
        is not None
    )


def all_follows(session: Session) -> list[FollowRow]:
    rows = session.scalars(select(Follow).order_by(Follow.id)).all()
    return [FollowRow(r.id, r.user_id, r.paper_id, _load(r.snapshot), r.created_at) for r in rows]


def followed_by(
    session: Session, user: str, *, limit: int = MAX_FOLLOWS_PER_USER
) -> list[Followed]:
    rows = session.execute(
        select(Follow.created_at, PaperRow, AnswerLink.answered_on)
        .join(PaperRow, PaperRow.id == Follow.paper_id)
        .outerjoin(AnswerLink, AnswerLink.anfrage_id == Follow.paper_id)
        .where(Follow.user_id == user)
        .order_by(Follow.id)
        .limit(limit)
    ).all()
    return [
        Followed(
            paper_id=p.id,
            reference=p.ref_norm or p.reference,
            subject=p.name,
            web=p.web,
            date=p.date,
            answered_on=answered,
            deleted=bool(p.deleted),
            since=since,
        )
        for since, p, answered in rows
    ]


def dates_and_types(
    session: Session, paper_ids: list[str]
) -> dict[str, tuple[dt.date | None, str | None]]:
    """Each paper's date and type (what its answer deadline is computed from)."""
    found: dict[str, tuple[dt.date | None, str | None]] = {}
    for part in chunks(paper_ids):
        rows = session.execute(
            select(PaperRow.id, PaperRow.date, PaperRow.paper_type).where(PaperRow.id.in_(part))
        )
        for pid, filed_on, paper_type in rows:
            found[pid] = (filed_on, paper_type)
    return found
