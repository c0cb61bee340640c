"""Read model of the calendar feed, and the per-meeting SEQUENCE for iCalendar.

`record_meeting_versions` runs after every sync: it compares each meeting's start/end with the
last ones seen (table `meeting_versions`) and raises the sequence when they changed, so calendar
apps replace a moved session instead of keeping the old time. One indexed join, whatever the
number of papers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.faction import clean_subject
from bot.store.batches import chunks
from bot.store.kinds import Kind, State
from bot.store.labels import is_placeholder_meeting, meeting_labels
from bot.store.lifecycle import on_meetings
from bot.store.lookup import PaperBrief, briefs
from bot.store.schema import (
    AgendaItemRow,
    ConsultationRow,
    Delivery,
    MeetingRow,
    MeetingVersion,
    PaperRow,
)
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
    faction: str | None = None  # as stored ("A, B"): lets the feed mark ours
    paper_id: str = ""


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
                    Delivery.kind == Kind.ANNOUNCE,
                    Delivery.channel == channel,
                    Delivery.status == State.SENT,
                    Delivery.paper_id.in_(part),
                )
            )
        )
    return found


# -- the feed's read model: column tuples, not ORM objects ---------------------------------------
# A calendar app fetches the whole feed every few hours; 2,000 sessions with 8,000 agenda entries
# loaded as ORM objects (and every paper column) cost seconds. These queries read only the columns
# the feed shows, executed on the connection (the ORM's result processing alone cost a third).


@dataclass(frozen=True)
class _Meeting:
    id: str
    name: str | None
    start: datetime
    end: datetime | None
    location: str | None
    web: str | None
    cancelled: bool
    modified: datetime | None
    organization_ids: list[Any]
    sequence: int


def _meetings_from(session: Session, since: datetime, tz: ZoneInfo) -> list[_Meeting]:
    rows = (
        session.connection()
        .execute(
            select(
                MeetingRow.id,
                MeetingRow.name,
                MeetingRow.start,
                MeetingRow.end,
                MeetingRow.location,
                MeetingRow.web,
                MeetingRow.cancelled,
                MeetingRow.deleted,
                MeetingRow.modified,
                MeetingRow.organization_ids,
                MeetingVersion.sequence,
            )
            .outerjoin(MeetingVersion, MeetingVersion.meeting_id == MeetingRow.id)
            .where(MeetingRow.start >= since)
            .order_by(MeetingRow.start, MeetingRow.id)
            .limit(MAX_EVENTS)
        )
        .all()
    )
    return [
        _Meeting(
            id=str(r[0]),
            name=r[1],
            start=r[2],
            end=r[3],
            location=r[4],
            web=r[5],
            cancelled=bool(r[6] or r[7]),
            modified=r[8],
            organization_ids=list(r[9] or []),
            sequence=int(r[10] or 0),
        )
        for r in rows
        if r[2] is not None and not is_placeholder_meeting(r[1], r[2], r[2].astimezone(tz).date())
    ]


_Consultation = tuple[str, str | None, str | None, int, AgendaAnfrage | None]


def _agenda(
    session: Session, since: datetime, until: datetime, wanted: set[str]
) -> dict[str, list[AgendaAnfrage]]:
    """Per wanted meeting (all starting between `since` and `until`): the Anfragen (not
    deleted) on its agenda with their TOP, in TOP order.

    Resolved as `bot.store.lifecycle.on_meetings` does (a consultation names the meeting, or an
    agenda item of the meeting names the consultation, or the consultation names the agenda
    item; the first consultation per paper and meeting), but as three joins over the meetings'
    time window with the papers' columns alongside, not chunks of IN look-ups: the agenda-item
    link has no index, and an IN list per chunk scanned the consultations once per chunk.
    """
    window = (MeetingRow.start >= since, MeetingRow.start <= until)
    items: dict[str, tuple[str, str | None, str | None]] = {}  # id → (meeting, TOP, cons.)
    for i, m, n, c in (
        session.connection()
        .execute(
            select(
                AgendaItemRow.id,
                AgendaItemRow.meeting_id,
                AgendaItemRow.number,
                AgendaItemRow.consultation_id,
            )
            .join(MeetingRow, MeetingRow.id == AgendaItemRow.meeting_id)
            .where(*window)
        )
        .all()
    ):
        items[str(i)] = (str(m), n, c)
    consultations: dict[str, _Consultation] = {}
    papers: dict[str, AgendaAnfrage | None] = {}
    columns = (
        ConsultationRow.id,
        ConsultationRow.paper_id,
        ConsultationRow.meeting_id,
        ConsultationRow.agenda_item_id,
        ConsultationRow.position,
        PaperRow.ref_norm,
        PaperRow.reference,
        PaperRow.name,
        PaperRow.faction,
        PaperRow.is_anfrage,
        PaperRow.deleted,
    )
    base = select(*columns).join(PaperRow, PaperRow.id == ConsultationRow.paper_id)
    # Through an agenda item: only the consultations the first query cannot have found (most
    # feeds link all three ways, and reading every consultation three times was the bulk).
    elsewhere = or_(
        ConsultationRow.meeting_id.is_(None), ConsultationRow.meeting_id != AgendaItemRow.meeting_id
    )
    by_item = base.join(AgendaItemRow, AgendaItemRow.id == ConsultationRow.agenda_item_id)
    named = base.join(AgendaItemRow, AgendaItemRow.consultation_id == ConsultationRow.id)
    for query in (
        base.join(MeetingRow, MeetingRow.id == ConsultationRow.meeting_id).where(*window),
        by_item.join(MeetingRow, MeetingRow.id == AgendaItemRow.meeting_id).where(
            *window, elsewhere
        ),
        named.join(MeetingRow, MeetingRow.id == AgendaItemRow.meeting_id).where(*window, elsewhere),
    ):
        for cid, pid, mid, aid, pos, norm, ref, name, faction, anfrage, gone in (
            session.connection().execute(query).all()
        ):
            if cid in consultations:
                continue
            if pid not in papers:
                papers[pid] = (
                    AgendaAnfrage(norm or ref, clean_subject(name), None, faction, str(pid))
                    if anfrage and not gone
                    else None
                )
            consultations[str(cid)] = (str(pid), mid, aid, int(pos or 0), papers[pid])
    # Agenda items outside the window that a consultation points at (rare: inconsistent feeds).
    # (A consultation of this window named only by an item outside it keeps no TOP.)
    missing = sorted({c[2] for c in consultations.values() if c[2] and c[2] not in items})
    for part in chunks(missing):
        for i, m, n, c in (
            session.connection()
            .execute(
                select(
                    AgendaItemRow.id,
                    AgendaItemRow.meeting_id,
                    AgendaItemRow.number,
                    AgendaItemRow.consultation_id,
                ).where(AgendaItemRow.id.in_(part))
            )
            .all()
        ):
            items[str(i)] = (str(m), n, c)
    by_consultation: dict[str, str] = {}
    for item_id, (_, _, cons) in items.items():
        if cons:
            by_consultation.setdefault(cons, item_id)
    out: dict[str, list[AgendaAnfrage]] = {}
    seen: set[tuple[str, str]] = set()
    for cons_id, (paper_id, meeting, item_ref, _, paper) in sorted(
        consultations.items(), key=lambda kv: (kv[1][0], kv[1][3], kv[0])
    ):
        resolved = item_ref if item_ref in items else by_consultation.get(cons_id)
        item = items.get(resolved or "")
        meeting_id = meeting or (item[0] if item else None)
        if meeting_id is None or meeting_id not in wanted or (paper_id, meeting_id) in seen:
            continue
        seen.add((paper_id, meeting_id))
        if paper is not None:
            top = item[1] if item else None
            out.setdefault(meeting_id, []).append(dataclasses.replace(paper, top=top))
    for found in out.values():
        found.sort(key=lambda a: (_top_order(a.top), a.reference or ""))
    return out


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
    meetings = _meetings_from(session, since, tz)
    labels = meeting_labels(session, meetings)
    if committee:
        wanted = committee.casefold().strip()
        meetings = [
            m for m in meetings if wanted in f"{labels.get(m.id) or ''} {m.name or ''}".casefold()
        ]
    agenda = (
        _agenda(session, meetings[0].start, meetings[-1].start, {m.id for m in meetings})
        if meetings
        else {}
    )
    if channel and not committee:
        papers = sorted({a.paper_id for found in agenda.values() for a in found})
        ours = _announced_in(session, channel, papers)
        meetings = [m for m in meetings if any(a.paper_id in ours for a in agenda.get(m.id, []))]
    return [
        CalendarSession(
            meeting_id=m.id,
            committee=labels.get(m.id),
            name=m.name,
            start=m.start,
            end=m.end,
            location=m.location,
            web=m.web,
            cancelled=m.cancelled,
            sequence=m.sequence,
            modified=m.modified,
            anfragen=tuple(agenda.get(m.id, [])),
        )
        for m in meetings
    ]
