"""Read model of the calendar feed, and the per-meeting SEQUENCE for iCalendar.

`record_meeting_versions` runs after every sync: it compares each meeting's start/end with the
last ones seen (table `meeting_versions`) and raises the sequence when they changed, so calendar
apps replace a moved session instead of keeping the old time. One indexed join, whatever the
number of papers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.faction import clean_subject
from bot.store.lifecycle import chunks, is_placeholder, on_meetings
from bot.store.lookup import PaperBrief, briefs
from bot.store.schema import (
    AgendaItemRow,
    ConsultationRow,
    Delivery,
    MeetingRow,
    MeetingVersion,
    OrganizationRow,
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


class _HasOrganizations(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def organization_ids(self) -> list[Any]: ...


def committee_labels(session: Session, meetings: Sequence[_HasOrganizations]) -> dict[str, str]:
    """The committee names of each meeting (its organizations), where the store has them."""
    ids = sorted({o for m in meetings for o in m.organization_ids or []})
    names: dict[str, str] = {}
    for part in chunks(ids):
        rows = session.execute(
            select(OrganizationRow.id, OrganizationRow.name).where(OrganizationRow.id.in_(part))
        ).all()
        names.update({str(i): str(n) for i, n in rows if n})
    return {
        m.id: label
        for m in meetings
        if (label := ", ".join(names[o] for o in m.organization_ids or [] if o in names))
    }


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


# -- the feed's read model: column tuples, not ORM objects ---------------------------------------
# A calendar app fetches the whole feed every few hours; 2,000 sessions with 8,000 agenda entries
# loaded as ORM objects (and every paper column) cost seconds. These queries read only the columns
# the feed shows, in chunks of indexed IN look-ups.


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
    rows = session.execute(
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
    ).all()
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
        if r[2] is not None and not is_placeholder(r[1], r[2], r[2].astimezone(tz).date())
    ]


def agenda_tops(
    session: Session, meeting_ids: Sequence[str]
) -> dict[str, list[tuple[str, str | None]]]:
    """Per meeting: (paper id, TOP) of every paper on its agenda, resolved as
    `bot.store.lifecycle.on_meetings` does (a consultation names the meeting, or an agenda item
    of the meeting names the consultation, or the consultation names the agenda item), first
    consultation per paper and meeting."""
    wanted = set(meeting_ids)
    items: dict[str, tuple[str, str | None, str | None]] = {}  # id → (meeting, number, cons.)
    consultations: dict[str, tuple[str, str | None, str | None, int]] = {}
    item_cols = (
        AgendaItemRow.id,
        AgendaItemRow.meeting_id,
        AgendaItemRow.number,
        AgendaItemRow.consultation_id,
    )
    cons_cols = (
        ConsultationRow.id,
        ConsultationRow.paper_id,
        ConsultationRow.meeting_id,
        ConsultationRow.agenda_item_id,
        ConsultationRow.position,
    )

    def add_items(where: Any) -> None:
        for i, m, n, c in session.execute(select(*item_cols).where(where)).all():
            items[str(i)] = (str(m), n, c)

    def add_consultations(where: Any) -> None:
        for i, p, m, a, pos in session.execute(select(*cons_cols).where(where)).all():
            consultations[str(i)] = (str(p), m, a, int(pos or 0))

    for part in chunks(list(meeting_ids)):
        add_items(AgendaItemRow.meeting_id.in_(part))
        add_consultations(ConsultationRow.meeting_id.in_(part))
    in_window = list(items)
    for part in chunks(in_window):
        add_consultations(ConsultationRow.agenda_item_id.in_(part))
    named = sorted({c for _, _, c in items.values() if c} - set(consultations))
    for part in chunks(named):
        add_consultations(ConsultationRow.id.in_(part))
    # Agenda items outside the window that a consultation points at (rare: inconsistent feeds).
    # (A consultation of this window named only by an item outside it keeps no TOP.)
    missing = sorted({a for _, _, a, _ in consultations.values() if a and a not in items})
    for part in chunks(missing):
        add_items(AgendaItemRow.id.in_(part))
    by_consultation: dict[str, str] = {}
    for item_id, (_, _, cons) in items.items():
        if cons:
            by_consultation.setdefault(cons, item_id)
    out: dict[str, list[tuple[str, str | None]]] = {}
    seen: set[tuple[str, str]] = set()
    ordered = sorted(consultations.items(), key=lambda kv: (kv[1][0], kv[1][3], kv[0]))
    for cons_id, (paper_id, meeting, item_ref, _) in ordered:
        resolved = item_ref if item_ref in items else by_consultation.get(cons_id)
        item = items.get(resolved or "")
        meeting_id = meeting or (item[0] if item else None)
        if meeting_id is None or meeting_id not in wanted or (paper_id, meeting_id) in seen:
            continue
        seen.add((paper_id, meeting_id))
        out.setdefault(meeting_id, []).append((paper_id, item[1] if item else None))
    return out


def _agenda_anfragen(session: Session, paper_ids: list[str]) -> dict[str, AgendaAnfrage]:
    """The Anfragen (not deleted) among these papers: reference and clean subject, no TOP."""
    out: dict[str, AgendaAnfrage] = {}
    for part in chunks(paper_ids):
        # By primary key only, the flags checked here: with `is_anfrage` in the WHERE clause
        # SQLite's planner walks that index instead (15x slower at 100,000 papers).
        rows = session.execute(
            select(
                PaperRow.id,
                PaperRow.ref_norm,
                PaperRow.reference,
                PaperRow.name,
                PaperRow.faction,
                PaperRow.is_anfrage,
                PaperRow.deleted,
            ).where(PaperRow.id.in_(part))
        ).all()
        for pid, norm, ref, name, faction, is_anfrage, deleted in rows:
            if is_anfrage and not deleted:
                out[str(pid)] = AgendaAnfrage(norm or ref, clean_subject(name), None, faction)
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
    labels = committee_labels(session, meetings)
    if committee:
        wanted = committee.casefold().strip()
        meetings = [
            m for m in meetings if wanted in f"{labels.get(m.id, '')} {m.name or ''}".casefold()
        ]
    tops = agenda_tops(session, [m.id for m in meetings])
    anfragen = _agenda_anfragen(session, sorted({p for ts in tops.values() for p, _ in ts}))
    agenda: dict[str, list[tuple[str, AgendaAnfrage]]] = {}
    for meeting_id, entries in tops.items():
        found = [
            (pid, dataclasses.replace(anfragen[pid], top=top))
            for pid, top in entries
            if pid in anfragen
        ]
        found.sort(key=lambda pa: (_top_order(pa[1].top), pa[1].reference or ""))
        agenda[meeting_id] = found
    if channel and not committee:
        papers = sorted({pid for items in agenda.values() for pid, _ in items})
        ours = _announced_in(session, channel, papers)
        meetings = [m for m in meetings if any(p in ours for p, _ in agenda.get(m.id, []))]
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
            anfragen=tuple(a for _, a in agenda.get(m.id, [])),
        )
        for m in meetings
    ]
