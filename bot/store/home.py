"""Read model of the App Home: everything one user sees when opening the bot's Home tab.

Read at open time, with a few indexed, limited queries (fast at 100,000 papers): the open
Anfragen, the next sessions with Anfragen on their agenda, the user's follows, the abos.

"Our" open Anfragen: with `[faction]`, the faction's Anfragen (the rule of the "Unsere Anfrage"
marker, `bot.faction.is_ours`, decided once per distinct stored faction text, not per paper),
announced or not; without it, those announced in any channel (the bot's channels are the
faction's). Either way not answered and not deleted. With `[deadlines]` each carries its due day
(`bot.deadlines.answer_due`); the most urgent come first: overdue (longest first), then by due
day, then those without a deadline, oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, exists, false, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.deadlines import answer_due, deadline_days
from bot.faction import NOBODY, Perspective, is_ours, split_factions
from bot.store.calendar import anfragen_on_agenda
from bot.store.follows import Followed, count_follows, followed_by
from bot.store.kinds import Kind, State
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
    deadline: date | None = None  # answer due day (`[deadlines]`); None = no deadline


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
    ours_by_faction: bool = False  # True: the open list is `[faction]`'s, else the announced


def _open_filter() -> list[ColumnElement[bool]]:
    answered = exists().where(AnswerLink.anfrage_id == PaperRow.id)
    return [PaperRow.is_anfrage.is_(True), PaperRow.deleted.is_(False), ~answered]


def _announced() -> ColumnElement[bool]:
    # `IN (subquery)`, not a correlated EXISTS: the announced ids are read once (SQLite
    # materialises them, PostgreSQL hashes them) instead of once per Anfrage.
    return PaperRow.id.in_(
        select(Delivery.paper_id).where(
            Delivery.kind == Kind.ANNOUNCE, Delivery.status == State.SENT
        )
    )


def _in(column: InstrumentedAttribute[str | None], values: set[str | None]) -> ColumnElement[bool]:
    """`column IN values`, where a None among the values means NULL (SQL's IN never matches it)."""
    named = sorted(v for v in values if v is not None)
    parts: list[ColumnElement[bool]] = []
    if named:
        parts.append(column.in_(named))
    if None in values:
        parts.append(column.is_(None))
    return or_(*parts) if parts else false()


def _urgency(item: OpenItem, paper_date: date | None, first_seen: datetime) -> tuple[Any, ...]:
    """The order of the open list, consistent with each group's SQL order below: a deadline
    first (earliest, so overdue ones lead), then the Anfrage's date (none last), first seen."""
    return (
        item.deadline is None,
        item.deadline or date.max,
        paper_date is None,
        paper_date or date.max,
        first_seen,
        item.paper.paper_id,
    )


def open_ours(
    session: Session,
    *,
    tz: ZoneInfo,
    perspective: Perspective = NOBODY,
    limit: int = OPEN_SHOWN,
) -> tuple[list[OpenItem], int]:
    """The `limit` most urgent of our open Anfragen, and how many there are in all.

    One grouped count over the open Anfragen (by faction text and paper type) decides which
    faction texts are ours and which deadline each paper type has; then one ordered, limited
    query per deadline length. The due day is a per-type offset from the date, so within one
    length the order by date is the order by due day, and merging the groups' first `limit`
    rows gives the overall first `limit`.
    """
    where = _open_filter()
    if not perspective.configured:
        where.append(_announced())
    counts = session.execute(
        select(PaperRow.faction, PaperRow.paper_type, func.count())
        .where(*where)
        .group_by(PaperRow.faction, PaperRow.paper_type)
    ).all()
    if perspective.configured:
        mine = {f for f, _, _ in counts if is_ours(split_factions(f), perspective.faction)}
        counts = [row for row in counts if row[0] in mine]
        where.append(_in(PaperRow.faction, set(mine)))
    total = sum(int(n) for _, _, n in counts)
    by_days: dict[int, set[str | None]] = {}
    for _, paper_type, _ in counts:
        by_days.setdefault(deadline_days(paper_type, perspective.deadlines), set()).add(paper_type)
    rows: list[tuple[str, date | None, str | None, datetime]] = []
    for types in by_days.values():
        rows += [
            (str(pid), day, paper_type, first_seen)
            for pid, day, paper_type, first_seen in session.execute(
                select(PaperRow.id, PaperRow.date, PaperRow.paper_type, PaperRow.first_seen_at)
                .where(*where, _in(PaperRow.paper_type, types))
                .order_by(PaperRow.date.asc().nulls_last(), PaperRow.first_seen_at, PaperRow.id)
                .limit(limit)
            ).all()
        ]
    by_id = {b.paper_id: b for b in briefs(session, [r[0] for r in rows])}
    keyed = []
    for pid, day, paper_type, first_seen in rows:
        if pid not in by_id:
            continue
        item = OpenItem(
            by_id[pid],
            day or first_seen.astimezone(tz).date(),
            answer_due(day, paper_type, perspective.deadlines),
        )
        keyed.append((_urgency(item, day, first_seen), item))
    keyed.sort(key=lambda k: k[0])
    return [item for _, item in keyed[:limit]], total


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
    perspective: Perspective = NOBODY,
) -> HomeData:
    open_items, open_total = open_ours(session, tz=tz, perspective=perspective)
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
        ours_by_faction=perspective.configured,
    )
