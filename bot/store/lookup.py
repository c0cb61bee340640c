"""Read queries behind the `/anfrage` commands. Each returns plain values, never rows."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bot.classify import compact_reference, normalize_reference
from bot.faction import clean_subject
from bot.store.kinds import Kind, State
from bot.store.labels import is_placeholder_meeting, meeting_labels
from bot.store.schema import (
    AgendaItemRow,
    AnswerLink,
    ConsultationRow,
    Delivery,
    MeetingRow,
    PaperRow,
)
from bot.store.search import current_term, nearby_references, papers_by_number, split_reference
from bot.timezone import FEED_ZONE

_BARE_NUMBER = re.compile(r"^[0-9]{1,6}$")
_PREFIX = re.compile(r"^(drucksachen?|drucksachennummer|drs|ds|nr|vorlage)\b\.?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class PaperBrief:
    paper_id: str
    reference: str | None
    subject: str | None
    paper_type: str | None
    date: date | None
    web: str | None
    source: str
    faction: str | None = None  # as stored: "Fraktion A, Fraktion B"


@dataclass(frozen=True)
class RefLookup:
    """What a reference query found: the papers (0, 1 or several) and, if none, close matches."""

    query: str
    paper_ids: tuple[str, ...]
    suggestions: tuple[PaperBrief, ...] = ()


def clean_reference_query(text: str) -> str:
    """`Drucksache 14 / 1923` → `14/1923` (the form stored in `papers.ref_norm`)."""
    text = _PREFIX.sub("", " ".join(text.split()))
    return normalize_reference(text) or ""


def briefs(session: Session, paper_ids: list[str]) -> list[PaperBrief]:
    if not paper_ids:
        return []
    rows = {
        p.id: p for p in session.scalars(select(PaperRow).where(PaperRow.id.in_(paper_ids))).all()
    }
    return [
        PaperBrief(
            paper_id=p.id,
            reference=p.ref_norm or p.reference,
            subject=clean_subject(p.name),
            paper_type=p.paper_type,
            date=p.date,
            web=p.web,
            source=p.source,
            faction=p.faction,
        )
        for i in paper_ids
        if (p := rows.get(i)) is not None
    ]


def _live(ids: list[str], session: Session) -> list[str]:
    """Prefer papers that are not deleted; show deleted ones only if nothing else matches."""
    if len(ids) <= 1:
        return ids
    deleted = set(
        session.scalars(select(PaperRow.id).where(PaperRow.id.in_(ids), PaperRow.deleted)).all()
    )
    live = [i for i in ids if i not in deleted]
    return live or ids


def find_reference(session: Session, text: str) -> RefLookup:
    """`14/1923`, `14 / 1923`, `141923`, or a bare `1923` (unique in the current Wahlperiode)."""
    query = clean_reference_query(text)
    if not query:
        return RefLookup(text, ())
    ids = list(
        session.scalars(
            select(PaperRow.id).where(PaperRow.ref_norm == query).order_by(PaperRow.id).limit(20)
        ).all()
    )
    if not ids and _BARE_NUMBER.match(query):
        # A bare running number means the current Wahlperiode: `1923` → `14/1923`.
        term = current_term(session)
        if term is not None:
            ids = papers_by_number(session, term, int(query))
    compact = compact_reference(query)
    if not ids and compact and len(compact) >= 5:
        # Digits only, as RVR prints some numbers: `141923` finds `14/1923`.
        ids = list(
            session.scalars(
                select(PaperRow.id)
                .where(PaperRow.ref_compact == compact)
                .order_by(PaperRow.id)
                .limit(20)
            ).all()
        )
    if ids:
        return RefLookup(query, tuple(_live(ids, session)))
    return RefLookup(query, (), tuple(close_matches(session, query)))


def close_matches(session: Session, query: str, n: int = 5) -> list[PaperBrief]:
    """References similar to `query` (difflib), looked for among a small indexed neighbourhood
    so this stays fast with 100,000 papers."""
    candidates: dict[str, str] = {}
    term, number = split_reference(query)
    if term is None and _BARE_NUMBER.match(query):
        term, number = current_term(session), int(query)
    if term is not None and number is not None:
        for ref, paper_id in nearby_references(session, term, number, span=100):
            candidates.setdefault(ref, paper_id)
    head = query[:3]
    if head and not candidates:
        # Some other numbering scheme (`VO/2023/0123`): references sharing the first characters.
        rows = session.execute(
            select(PaperRow.ref_norm, PaperRow.id)
            .where(PaperRow.ref_norm >= head, PaperRow.ref_norm < head + "\uffff")
            .limit(500)
        ).all()
        for other, other_id in rows:
            if other:
                candidates.setdefault(str(other), str(other_id))
    best = difflib.get_close_matches(query, list(candidates), n=n, cutoff=0.6)
    return briefs(session, [candidates[b] for b in best])


# -- sessions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UpcomingSession:
    meeting_id: str
    name: str | None
    committee: str | None
    start: datetime
    location: str | None
    web: str | None
    anfragen: tuple[tuple[PaperBrief, str | None], ...]  # (paper, agenda item number)


def upcoming_sessions(
    session: Session,
    now: datetime,
    committee: str | None = None,
    *,
    limit: int = 10,
    scan: int = 500,
) -> list[UpcomingSession]:
    """Meetings from `now` on (not cancelled, not deleted), with the Anfragen on their agenda.

    Without `committee`, only meetings with at least one Anfrage are listed; with it, every
    meeting of a committee whose name contains it (case-insensitive).
    """
    meetings = session.scalars(
        select(MeetingRow)
        .where(
            MeetingRow.start >= now,
            MeetingRow.cancelled.is_(False),
            MeetingRow.deleted.is_(False),
        )
        .order_by(MeetingRow.start, MeetingRow.id)
        .limit(scan)
    ).all()
    if not meetings:
        return []
    labels = meeting_labels(session, meetings)
    wanted = committee.casefold().strip() if committee else None
    chosen = []
    for m in meetings:
        if m.start and is_placeholder_meeting(
            m.name, m.start, m.start.astimezone(FEED_ZONE).date()
        ):
            continue  # ALLRIS "Sammeldatum" on 31 December: no real session
        label = labels.get(m.id)
        if wanted and wanted not in f"{label or ''} {m.name or ''}".casefold():
            continue
        chosen.append((m, label))
    meeting_ids = [m.id for m, _ in chosen]
    agenda = _anfragen_on_agenda(session, meeting_ids) if meeting_ids else {}
    out = []
    for m, label in chosen:
        items = agenda.get(m.id, [])
        if not wanted and not items:
            continue
        assert m.start is not None
        out.append(
            UpcomingSession(
                meeting_id=m.id,
                name=m.name,
                committee=label,
                start=m.start,
                location=m.location,
                web=m.web,
                anfragen=tuple(items),
            )
        )
        if len(out) >= limit:
            break
    return out


def _anfragen_on_agenda(
    session: Session, meeting_ids: list[str]
) -> dict[str, list[tuple[PaperBrief, str | None]]]:
    """Per meeting: the Anfragen consulted there (consultation.meeting_id, or an agenda item
    pointing at the consultation), with the agenda item number."""
    rows = session.execute(
        select(
            ConsultationRow.paper_id,
            AgendaItemRow.meeting_id,
            ConsultationRow.meeting_id,
            AgendaItemRow.number,
            AgendaItemRow.position,
        )
        .select_from(ConsultationRow)
        .outerjoin(
            AgendaItemRow,
            or_(
                AgendaItemRow.id == ConsultationRow.agenda_item_id,
                AgendaItemRow.consultation_id == ConsultationRow.id,
            ),
        )
        .join(PaperRow, PaperRow.id == ConsultationRow.paper_id)
        .where(
            PaperRow.is_anfrage.is_(True),
            PaperRow.deleted.is_(False),
            or_(
                ConsultationRow.meeting_id.in_(meeting_ids),
                AgendaItemRow.meeting_id.in_(meeting_ids),
            ),
        )
    ).all()
    found: dict[str, dict[str, tuple[str | None, int]]] = {}
    for paper_id, item_meeting, cons_meeting, number, position in rows:
        meeting = item_meeting if item_meeting in meeting_ids else cons_meeting
        if meeting not in meeting_ids:
            continue
        found.setdefault(meeting, {}).setdefault(paper_id, (number, position or 0))
    paper_ids = [p for per in found.values() for p in per]
    by_id = {b.paper_id: b for b in briefs(session, list(dict.fromkeys(paper_ids)))}
    out: dict[str, list[tuple[PaperBrief, str | None]]] = {}
    for meeting, per in found.items():
        ordered = sorted(per.items(), key=lambda kv: (kv[1][1], kv[0]))
        out[meeting] = [(by_id[p], num) for p, (num, _) in ordered if p in by_id]
    return out


# -- open Anfragen -------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenAnfrage:
    paper: PaperBrief
    since: date  # the Anfrage's date, else when the bot first saw it


def open_anfragen(
    session: Session, channel: str, *, tz: ZoneInfo, limit: int = 200
) -> tuple[list[OpenAnfrage], int]:
    """Anfragen announced in `channel` (delivery sent) without an answer, oldest first.

    Returns (the first `limit`, how many there are in all).
    """
    base = (
        select(PaperRow.id, PaperRow.date, PaperRow.first_seen_at)
        .join(Delivery, and_(Delivery.paper_id == PaperRow.id))
        .outerjoin(AnswerLink, AnswerLink.anfrage_id == PaperRow.id)
        .where(
            Delivery.kind == Kind.ANNOUNCE,
            Delivery.channel == channel,
            Delivery.status == State.SENT,
            AnswerLink.anfrage_id.is_(None),
            PaperRow.deleted.is_(False),
        )
    )
    rows = session.execute(base).all()
    seen: dict[str, date] = {}
    for paper_id, day, first_seen in rows:
        # An undated paper counts from the day we first saw it, in the users' time zone.
        seen.setdefault(paper_id, day or first_seen.astimezone(tz).date())
    ordered = sorted(seen.items(), key=lambda kv: (kv[1], kv[0]))
    page = ordered[:limit]
    by_id = {b.paper_id: b for b in briefs(session, [p for p, _ in page])}
    return [OpenAnfrage(by_id[p], d) for p, d in page if p in by_id], len(ordered)
