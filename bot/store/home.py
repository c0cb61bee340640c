"""Read model of the App Home: everything one user sees when opening the bot's Home tab.

Read at open time, with a few indexed, limited queries (fast at 100,000 papers): the open
Anfragen, the next sessions with Anfragen on their agenda, the user's follows, the abos.

"Our" Anfragen: until a `[faction]` setting exists (issue 13), the open Anfragen are those
announced in any channel (the bot's channels are the faction's) and not answered yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from bot.store.calendar import anfragen_on_agenda
from bot.store.follows import Followed, count_follows, followed_by
from bot.store.labels import is_placeholder_meeting, meeting_labels
from bot.store.lookup import PaperBrief, UpcomingSession, briefs
from bot.store.schema import AnswerLink, Delivery, MeetingRow, PaperRow, Subscription
from bot.store.subscriptions import StoredSubscription

OPEN_SHOWN = 40
SESSIONS_SHOWN = 6
SESSIONS_SCANNED = 200  # upcoming meetings looked at for Anfragen on their agenda
SESSIONS_BATCH = 20
FOLLOWS_SHOWN = 30
ABOS_SHOWN = 30


@dataclass(frozen=True)
class OpenItem:
    paper: PaperBrief
    since: date  # the Anfrage's date, else the day the bot first saw it
    deadline: date | None = None  # answer deadline (issue 13); None = no deadline known


@dataclass(frozen=True)
class HomeData:
    user: str
    open_items: list[OpenItem]
    open_total: int
    sessions: list[UpcomingSession]
    follows: list[Followed]
    follows_total: int
    abos: list[StoredSubscription]
    abos_total: int
    default_channel: str | None = None


def _open_filter() -> list[ColumnElement[bool]]:
    # `IN (subquery)`, not a correlated EXISTS: the announced ids are read once (SQLite
    # materialises them, PostgreSQL hashes them) instead of once per Anfrage.
    announced = PaperRow.id.in_(
        select(Delivery.paper_id).where(Delivery.kind == "announce", Delivery.status == "sent")
    )
    answered = exists().where(AnswerLink.anfrage_id == PaperRow.id)
    return [PaperRow.is_anfrage.is_(True), PaperRow.deleted.is_(False), announced, ~answered]


def open_announced(
    session: Session, *, tz: ZoneInfo, limit: int = OPEN_SHOWN
) -> tuple[list[OpenItem], int]:
    """The oldest `limit` open announced Anfragen, and how many there are in all."""
    where = _open_filter()
    total = int(session.scalar(select(func.count()).select_from(PaperRow).where(*where)) or 0)
    rows = session.execute(
        select(PaperRow.id, PaperRow.date, PaperRow.first_seen_at)
        .where(*where)
        .order_by(PaperRow.date.asc().nulls_last(), PaperRow.first_seen_at, PaperRow.id)
        .limit(limit)
    ).all()
    by_id = {b.paper_id: b for b in briefs(session, [r[0] for r in rows])}
    items = [
        OpenItem(by_id[pid], day or first_seen.astimezone(tz).date())
        for pid, day, first_seen in rows
        if pid in by_id
    ]
    return items, total


def next_sessions(
    session: Session, *, now: datetime, tz: ZoneInfo, limit: int = SESSIONS_SHOWN
) -> list[UpcomingSession]:
    """The next sessions (not cancelled, no placeholders) with Anfragen on their agenda."""
    meetings = [
        m
        for m in session.scalars(
            select(MeetingRow)
            .where(
                MeetingRow.start >= now,
                MeetingRow.cancelled.is_(False),
                MeetingRow.deleted.is_(False),
            )
            .order_by(MeetingRow.start, MeetingRow.id)
            .limit(SESSIONS_SCANNED)
        ).all()
        if m.start and not is_placeholder_meeting(m.name, m.start, m.start.astimezone(tz).date())
    ]
    out: list[UpcomingSession] = []
    # In small batches: usually the first few meetings already have enough Anfragen.
    for i in range(0, len(meetings), SESSIONS_BATCH):
        batch = meetings[i : i + SESSIONS_BATCH]
        agenda = anfragen_on_agenda(session, [m.id for m in batch])
        labels = meeting_labels(session, [m for m in batch if m.id in agenda])
        for m in batch:
            if m.id not in agenda or m.start is None:
                continue
            out.append(
                UpcomingSession(
                    meeting_id=m.id,
                    name=m.name,
                    committee=labels.get(m.id),
                    start=m.start,
                    location=m.location,
                    web=m.web,
                    anfragen=tuple(agenda[m.id]),
                )
            )
            if len(out) >= limit:
                return out
    return out


def _abos(session: Session, limit: int) -> tuple[list[StoredSubscription], int]:
    total = int(session.scalar(select(func.count()).select_from(Subscription)) or 0)
    rows = session.scalars(
        select(Subscription).order_by(Subscription.channel, Subscription.id).limit(limit)
    ).all()
    return [
        StoredSubscription(
            id=r.id,
            channel=r.channel,
            conditions=tuple((r.filters or {}).get("conditions", [])),
            created_by=r.created_by,
            created_at=r.created_at,
        )
        for r in rows
    ], total


def load_home(
    session: Session,
    user: str,
    *,
    now: datetime,
    tz: ZoneInfo,
    default_channel: str | None = None,
) -> HomeData:
    open_items, open_total = open_announced(session, tz=tz)
    abos, abos_total = _abos(session, ABOS_SHOWN)
    return HomeData(
        user=user,
        open_items=open_items,
        open_total=open_total,
        sessions=next_sessions(session, now=now, tz=tz),
        follows=followed_by(session, user, limit=FOLLOWS_SHOWN),
        follows_total=count_follows(session, user),
        abos=abos,
        abos_total=abos_total,
        default_channel=default_channel,
    )
