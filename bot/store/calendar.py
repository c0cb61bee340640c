"""Read model of the calendar feed, and the per-meeting SEQUENCE for iCalendar.

`record_meeting_versions` runs after every sync: it compares each meeting's start/end with the
last ones seen (table `meeting_versions`) and raises the sequence when they changed, so calendar
apps replace a moved session instead of keeping the old time. One indexed join, whatever the
number of papers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.store.batches import chunks
from bot.store.labels import is_placeholder_meeting, meeting_labels
from bot.store.lifecycle import on_meetings
from bot.store.lookup import PaperBrief, briefs
from bot.store.schema import Delivery, MeetingRow, MeetingVersion, PaperRow
from bot.store.upsert import dialect_insert

MAX_EVENTS = 2000


def record_meeting_versions(session: Session, *, now: datetime) -> int:
    """New meetings start at sequence 0; a changed start or end raises it by one. Returns how
    many meetings moved."""
    rows = session.execute(
        select(MeetingRow.id, MeetingRow.start, MeetingRow.end, MeetingVersion.meeting_id)
        .outerjoin(MeetingVersion, MeetingVersion.meeting_id == MeetingRow.id)
        .where(
            or_(
                MeetingVersion.meeting_id.is_(None),
                MeetingVersion.start.is_distinct_from(MeetingRow.start),
                MeetingVersion.end.is_distinct_from(MeetingRow.end),
            )
        )
    ).all()
    fresh = [
        {"meeting_id": i, "start": s, "end": e, "sequence": 0, "changed_at": now}
        for i, s, e, known in rows
        if known is None
    ]
    if fresh:
        insert = dialect_insert(session)
        for part in chunks(fresh):
            session.execute(
                insert(MeetingVersion).on_conflict_do_nothing(index_elements=["meeting_id"]),
                list(part),
            )
    moved = [(i, s, e) for i, s, e, known in rows if known is not None]
    for meeting_id, start, end in moved:
        session.execute(
            update(MeetingVersion)
            .where(MeetingVersion.meeting_id == meeting_id)
            .values(start=start, end=end, sequence=MeetingVersion.sequence + 1, changed_at=now)
        )
    return len(moved)


def _top_order(top: str | None) -> tuple[int, str]:
    digits = "".join(c for c in (top or "").split(".")[0] if c.isdigit())
    return (int(digits) if digits else 1 << 30, top or "")


def anfragen_on_agenda(
    session: Session, meeting_ids: list[str]
) -> dict[str, list[tuple[PaperBrief, str | None]]]:
    """Per meeting: the (not deleted) Anfragen on its agenda with their TOP, in TOP order.
    Indexed look-ups in chunks (bot/store/lifecycle.on_meetings), whatever the store's size."""
    if not meeting_ids:
        return {}
    found = on_meetings(session, meeting_ids)
    anfragen: set[str] = set()
    ids = sorted(found)
    for part in chunks(ids):
        anfragen.update(
            str(i)
            for i in session.scalars(
                select(PaperRow.id).where(
                    PaperRow.id.in_(part),
                    PaperRow.is_anfrage.is_(True),
                    PaperRow.deleted.is_(False),
                )
            )
        )
    by_id = {
        b.paper_id: b for part in chunks(sorted(anfragen)) for b in briefs(session, list(part))
    }
    out: dict[str, list[tuple[PaperBrief, str | None]]] = {}
    for paper_id in ids:
        if paper_id not in by_id:
            continue
        for a in found[paper_id]:
            out.setdefault(a.meeting_id, []).append((by_id[paper_id], a.top))
    for items in out.values():
        items.sort(key=lambda pt: (_top_order(pt[1]), pt[0].reference or ""))
    return out


@dataclass(frozen=True)
class AgendaAnfrage:
    reference: str | None
    subject: str | None
    top: str | None


@dataclass(frozen=True)
class CalendarSession:
    meeting_id: str
    committee: str | None
    name: str | None
    start: datetime
    end: datetime | None
    location: str | None
    web: str | None
    cancelled: bool
    sequence: int
    modified: datetime | None
    anfragen: tuple[AgendaAnfrage, ...]


def _announced_in(session: Session, channel: str, paper_ids: list[str]) -> set[str]:
    found: set[str] = set()
    for part in chunks(paper_ids):
        found.update(
            str(p)
            for p in session.scalars(
                select(Delivery.paper_id).where(
                    Delivery.kind == "announce",
                    Delivery.channel == channel,
                    Delivery.status == "sent",
                    Delivery.paper_id.in_(part),
                )
            )
        )
    return found


def calendar_sessions(
    session: Session,
    *,
    since: datetime,
    tz: ZoneInfo,
    committee: str | None = None,
    channel: str | None = None,
) -> list[CalendarSession]:
    """Sessions starting at `since` or later, cancelled and removed ones included (a calendar
    app must learn that they are off). With `committee`: every session of the committees whose
    name contains it; else with `channel`: the sessions with an Anfrage announced in that
    channel on their agenda; else every session."""
    meetings = list(
        session.scalars(
            select(MeetingRow)
            .where(MeetingRow.start >= since)
            .order_by(MeetingRow.start, MeetingRow.id)
            .limit(MAX_EVENTS)
        ).all()
    )
    meetings = [
        m
        for m in meetings
        if m.start and not is_placeholder_meeting(m.name, m.start, m.start.astimezone(tz).date())
    ]
    labels = meeting_labels(session, meetings)
    if committee:
        wanted = committee.casefold().strip()
        meetings = [
            m for m in meetings if wanted in f"{labels.get(m.id) or ''} {m.name or ''}".casefold()
        ]
    agenda = anfragen_on_agenda(session, [m.id for m in meetings])
    if channel and not committee:
        papers = sorted({b.paper_id for items in agenda.values() for b, _ in items})
        ours = _announced_in(session, channel, papers)
        meetings = [m for m in meetings if any(b.paper_id in ours for b, _ in agenda.get(m.id, []))]
    sequences: dict[str, int] = {}
    for part in chunks([m.id for m in meetings]):
        sequences.update(
            dict(
                session.execute(
                    select(MeetingVersion.meeting_id, MeetingVersion.sequence).where(
                        MeetingVersion.meeting_id.in_(part)
                    )
                ).all()
            )
        )
    out = []
    for m in meetings:
        assert m.start is not None
        out.append(
            CalendarSession(
                meeting_id=m.id,
                committee=labels.get(m.id),
                name=m.name,
                start=m.start,
                end=m.end,
                location=m.location,
                web=m.web,
                cancelled=bool(m.cancelled or m.deleted),
                sequence=int(sequences.get(m.id, 0)),
                modified=m.modified,
                anfragen=tuple(
                    AgendaAnfrage(b.reference, b.subject, top) for b, top in agenda.get(m.id, [])
                ),
            )
        )
    return out
