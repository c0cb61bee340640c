"""Consultations whose meeting id answers 404 (more! rubin: a paper's consultation points to
`…/meetings/ni_12` while the meeting list holds `…/meetings/12`): find the meeting another way
and remember the mapping, so the announcement still carries committee and session date.

The store answers first (an agenda item of a known meeting naming the consultation or its
agenda item; the same id without its letter prefix); jobs/sync.py then reads the meeting and
the agenda item from the feed for what is left.

Looking for candidates means scanning the consultations of a source, so it is done only when
there may be any (a poll mark per source, bot/store/marks.py): after a save that stored new or
changed papers (`owe_links`, in that save's transaction), while the last pass hit its budget,
or when an id looked for before is due again. An idle poll does not read the consultations.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session

from bot.store.marks import DONE, PENDING, mark_value, put_mark
from bot.store.schema import AgendaItemRow, ConsultationRow, MeetingAlias, MeetingRow, PaperRow

# Per poll: an unresolvable id is looked for again after RETRY_AFTER.
BUDGET = 20
RETRY_AFTER = timedelta(hours=6)
_PREFIXED = re.compile(r"^(.*/)[A-Za-z]+_(\d+)$")


@dataclass(frozen=True)
class Candidate:
    meeting_id: str
    agenda_item_id: str | None
    # Found in the store already (no request needed).
    found: str | None
    consultation_id: str = ""
    organization_ids: tuple[str, ...] = ()


def resolve_pass(session: Session, source: str, now: datetime) -> tuple[list[Candidate], bool]:
    """Up to BUDGET meeting ids to look for, and whether more may be waiting beyond them."""
    known_meeting = exists().where(MeetingRow.id == ConsultationRow.meeting_id)
    waiting = exists().where(
        MeetingAlias.alias_id == ConsultationRow.meeting_id,
        or_(MeetingAlias.next_try_at.is_(None), MeetingAlias.next_try_at > now),
    )
    rows = session.execute(
        select(
            ConsultationRow.meeting_id,
            ConsultationRow.id,
            ConsultationRow.agenda_item_id,
            ConsultationRow.organization_ids,
        )
        .join(PaperRow, PaperRow.id == ConsultationRow.paper_id)
        .where(
            PaperRow.source == source,
            ConsultationRow.meeting_id.is_not(None),
            ~known_meeting,
            ~waiting,
        )
        .limit(BUDGET * 5)
    ).all()
    out: dict[str, Candidate] = {}
    for meeting_id, consultation_id, agenda_item_id, org_ids in rows:
        if meeting_id is None or meeting_id in out or len(out) >= BUDGET:
            continue
        found = _from_store(session, meeting_id, consultation_id, agenda_item_id)
        orgs = tuple(str(o) for o in org_ids or () if isinstance(o, str))
        out[meeting_id] = Candidate(meeting_id, agenda_item_id, found, consultation_id, orgs)
    return list(out.values()), len(rows) >= BUDGET * 5 or len(out) >= BUDGET


def _mark_name(source: str) -> str:
    # Mark names are at most 100 characters; source names may be as long.
    return "meeting_links:" + hashlib.sha256(source.encode("utf-8")).hexdigest()[:32]


def owe_links(session: Session, source: str, now: datetime) -> None:
    """Papers of `source` were stored or changed (in this transaction): the next pass looks."""
    put_mark(session, _mark_name(source), PENDING, now)


def links_owed(session: Session, source: str, now: datetime) -> bool:
    """Is a pass worth its scan: papers stored since the last complete pass (or none ever ran),
    or a meeting id looked for before due again?"""
    if mark_value(session, _mark_name(source)) != DONE:
        return True
    due = session.scalar(
        select(MeetingAlias.alias_id)
        .where(MeetingAlias.source == source, MeetingAlias.next_try_at <= now)
        .limit(1)
    )
    return due is not None


def links_done(session: Session, source: str, *, more: bool, now: datetime) -> None:
    """After a pass: done, unless it used its whole budget (more may be waiting)."""
    put_mark(session, _mark_name(source), PENDING if more else DONE, now)


def find_in_store(session: Session, cand: Candidate) -> str | None:
    """Look again (after more meetings were read, e.g. an organization's own list)."""
    return _from_store(session, cand.meeting_id, cand.consultation_id, cand.agenda_item_id)


def _from_store(
    session: Session, meeting_id: str, consultation_id: str, agenda_item_id: str | None
) -> str | None:
    """The agenda item's meeting, else the same id without a letter prefix (`ni_12` → `12`)."""
    conditions = [AgendaItemRow.consultation_id == consultation_id]
    if agenda_item_id:
        conditions.append(AgendaItemRow.id == agenda_item_id)
    via_item = session.scalar(
        select(AgendaItemRow.meeting_id)
        .join(MeetingRow, and_(MeetingRow.id == AgendaItemRow.meeting_id))
        .where(or_(*conditions))
        .limit(1)
    )
    if via_item:
        return str(via_item)
    m = _PREFIXED.match(meeting_id)
    if m:
        plain = m.group(1) + m.group(2)
        if session.get(MeetingRow, plain) is not None:
            return plain
    return None


def save_alias(
    session: Session, source: str, alias_id: str, meeting_id: str | None, now: datetime
) -> None:
    """Remember the mapping and point the consultations at the meeting found (papers saved
    later are mapped on save, bot/store/feed_store.py)."""
    row = session.get(MeetingAlias, alias_id)
    if row is None:
        row = MeetingAlias(alias_id=alias_id, source=source, checked_at=now)
        session.add(row)
    row.checked_at = now
    row.meeting_id = meeting_id if meeting_id != alias_id else None
    row.next_try_at = None if row.meeting_id else now + RETRY_AFTER
    if row.meeting_id:
        session.execute(
            update(ConsultationRow)
            .where(ConsultationRow.meeting_id == alias_id)
            .values(meeting_id=row.meeting_id)
        )
