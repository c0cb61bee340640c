"""Store queries for following an Anfrage after its announcement (reminders, thread replies,
answer links, digest).

The outbox is the memory: an Anfrage is *tracked* in a channel once an `announce` delivery for it
exists there, and every lifecycle message is a delivery row whose key is unique per event, so the
unique constraint on (kind, channel, key) makes "never twice" automatic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.domain import Meeting
from bot.store.batches import chunks as chunks  # re-exported: callers import it from here
from bot.store.deliveries import enqueue
from bot.store.feed_store import save_meetings
from bot.store.kinds import Kind, State
from bot.store.labels import committee_label, organization_names
from bot.store.schema import (
    AgendaItemRow,
    AnswerLink,
    ConsultationRow,
    Delivery,
    MeetingRow,
    Source,
)
from bot.store.upsert import dialect_insert


@dataclass(frozen=True)
class Tracked:
    """An Anfrage announced (or about to be) in one channel; `ts` is the parent message."""

    paper_id: str
    channel: str
    status: str
    ts: str | None


def tracked(
    session: Session, *, sent_only: bool, paper_ids: Sequence[str] | None = None
) -> list[Tracked]:
    query = select(Delivery.paper_id, Delivery.channel, Delivery.status, Delivery.ts).where(
        Delivery.kind == Kind.ANNOUNCE, Delivery.paper_id.is_not(None)
    )
    if sent_only:
        query = query.where(Delivery.status == State.SENT)
    else:
        query = query.where(Delivery.status != State.PARKED)
    out: list[Tracked] = []
    if paper_ids is None:
        rows: Iterable[Any] = session.execute(query.order_by(Delivery.id)).all()
        out = [Tracked(str(p), c, s, t) for p, c, s, t in rows]
    else:
        for part in chunks(list(paper_ids)):
            rows = session.execute(query.where(Delivery.paper_id.in_(part))).all()
            out += [Tracked(str(p), c, s, t) for p, c, s, t in rows]
    return out


@dataclass(frozen=True)
class Appearance:
    """An Anfrage on a meeting's agenda, as the store knows it now."""

    paper_id: str
    meeting_id: str
    committee: str | None
    meeting_name: str | None
    start: datetime | None
    location: str | None
    web: str | None
    cancelled: bool
    deleted: bool
    top: str | None
    result: str | None


def appearances(session: Session, paper_ids: Sequence[str]) -> dict[str, list[Appearance]]:
    """Every meeting each paper is on: through `consultation.meeting`, or through an agenda
    item that names the consultation (`consultation.agendaItem` / `agendaItem.consultation`)."""
    consultations: list[ConsultationRow] = []
    for part in chunks(list(paper_ids)):
        consultations += session.scalars(
            select(ConsultationRow)
            .where(ConsultationRow.paper_id.in_(part))
            .order_by(ConsultationRow.paper_id, ConsultationRow.position)
        ).all()
    return _assemble(session, consultations)


def on_meetings(session: Session, meeting_ids: Sequence[str]) -> dict[str, list[Appearance]]:
    """The reverse: every paper on the agenda of these meetings, by paper id."""
    items: list[AgendaItemRow] = []
    consultations: list[ConsultationRow] = []
    for part in chunks(list(meeting_ids)):
        items += session.scalars(
            select(AgendaItemRow).where(AgendaItemRow.meeting_id.in_(part))
        ).all()
        consultations += session.scalars(
            select(ConsultationRow).where(ConsultationRow.meeting_id.in_(part))
        ).all()
    by_item = [i.id for i in items]
    by_cons = [i.consultation_id for i in items if i.consultation_id]
    for part in chunks(by_item):
        consultations += session.scalars(
            select(ConsultationRow).where(ConsultationRow.agenda_item_id.in_(part))
        ).all()
    for part in chunks(by_cons):
        consultations += session.scalars(
            select(ConsultationRow).where(ConsultationRow.id.in_(part))
        ).all()
    unique = {c.id: c for c in consultations}
    wanted = set(meeting_ids)
    found = _assemble(session, sorted(unique.values(), key=lambda c: (c.paper_id, c.position)))
    return {
        pid: [a for a in apps if a.meeting_id in wanted]
        for pid, apps in found.items()
        if any(a.meeting_id in wanted for a in apps)
    }


def _assemble(
    session: Session, consultations: Sequence[ConsultationRow]
) -> dict[str, list[Appearance]]:
    item_ids = [c.agenda_item_id for c in consultations if c.agenda_item_id]
    cons_ids = [c.id for c in consultations]
    items: dict[str, AgendaItemRow] = {}
    for part in chunks(item_ids):
        items.update(
            {
                a.id: a
                for a in session.scalars(select(AgendaItemRow).where(AgendaItemRow.id.in_(part)))
            }
        )
    by_consultation: dict[str, AgendaItemRow] = {}
    for part in chunks(cons_ids):
        for a in session.scalars(
            select(AgendaItemRow).where(AgendaItemRow.consultation_id.in_(part))
        ):
            by_consultation.setdefault(str(a.consultation_id), a)
    resolved: list[tuple[ConsultationRow, AgendaItemRow | None, str]] = []
    for c in consultations:
        item = items.get(c.agenda_item_id or "") or by_consultation.get(c.id)
        meeting_id = c.meeting_id or (item.meeting_id if item else None)
        if meeting_id:
            resolved.append((c, item, meeting_id))
    meetings: dict[str, MeetingRow] = {}
    for part in chunks(sorted({m for _, _, m in resolved})):
        meetings.update(
            {m.id: m for m in session.scalars(select(MeetingRow).where(MeetingRow.id.in_(part)))}
        )
    org_ids = {o for c, _, _ in resolved for o in c.organization_ids or []}
    org_ids |= {o for m in meetings.values() for o in m.organization_ids or []}
    names = organization_names(session, org_ids)
    out: dict[str, list[Appearance]] = {}
    for c, item, meeting_id in resolved:
        meeting = meetings.get(meeting_id)
        if meeting is None:
            continue  # a meeting the feed never delivered: nothing to tell
        if any(a.meeting_id == meeting_id for a in out.get(c.paper_id, [])):
            continue
        committee = committee_label(
            names, c.organization_ids or [], meeting.name, meeting.organization_ids or []
        )
        out.setdefault(c.paper_id, []).append(
            Appearance(
                paper_id=c.paper_id,
                meeting_id=meeting_id,
                committee=committee,
                meeting_name=meeting.name,
                start=meeting.start,
                location=meeting.location,
                web=meeting.web,
                cancelled=bool(meeting.cancelled),
                deleted=bool(meeting.deleted),
                top=item.number if item else None,
                result=item.result if item else None,
            )
        )
    return out


def upcoming_meetings(session: Session, *, after: datetime, until: datetime) -> list[MeetingRow]:
    return list(
        session.scalars(
            select(MeetingRow)
            .where(
                MeetingRow.start > after,
                MeetingRow.start <= until,
                MeetingRow.cancelled.is_(False),
                MeetingRow.deleted.is_(False),
            )
            .order_by(MeetingRow.start, MeetingRow.id)
        ).all()
    )


# -- fresh reads of a meeting before its reminder ----------------------------------------------


def _meeting_content(row: MeetingRow | None, items: Sequence[AgendaItemRow]) -> tuple[Any, ...]:
    """What a reminder and the thread notes depend on; `modified` is deliberately left out
    (more! rubin and ALLRIS 4 give every object one date, whatever changes)."""
    if row is None:
        return ()
    agenda = tuple(
        (i.id, i.number, i.name, i.result, i.consultation_id)
        for i in sorted(items, key=lambda i: (i.position, i.id))
    )
    return (
        row.start,
        row.end,
        bool(row.cancelled),
        bool(row.deleted),
        row.location,
        row.name,
        tuple(row.organization_ids or []),
        agenda,
    )


def _stored_content(session: Session, meeting_id: str) -> tuple[Any, ...]:
    row = session.get(MeetingRow, meeting_id)
    items = session.scalars(
        select(AgendaItemRow).where(AgendaItemRow.meeting_id == meeting_id)
    ).all()
    return _meeting_content(row, items)


def save_fresh_meeting(session: Session, source: str, meeting: Meeting) -> bool:
    """Write a meeting just read from the feed over the stored one, whatever its `modified`
    says; returns True when its content changed (start, end, cancelled, deleted, location,
    name, committees, agenda). A deleted meeting keeps its stored fields, flagged deleted.
    The write is the sync's own (`feed_store.save_meetings`): one definition of a stored
    meeting, content hash included."""
    before = _stored_content(session, meeting.id)
    if meeting.deleted and session.get(MeetingRow, meeting.id) is None:
        return False  # nothing stored to flag (the sync would keep a tombstone)
    save_meetings(session, source, [meeting], rewrite=True)
    session.expire_all()
    return _stored_content(session, meeting.id) != before


def data_as_of(session: Session, source: str) -> datetime | None:
    """When the stored data of a source were last read: its last complete poll (or, before
    any, its last attempt)."""
    state = session.get(Source, source)
    if state is None:
        return None
    return state.last_success_at or state.last_attempt_at


def queued_keys(session: Session, kind: str, keys: Sequence[str]) -> set[tuple[str, str]]:
    """(channel, key) of the outbox rows of `kind` with one of these keys, in any status."""
    found: set[tuple[str, str]] = set()
    for part in chunks(sorted(set(keys))):
        rows = session.execute(
            select(Delivery.channel, Delivery.key).where(
                Delivery.kind == kind, Delivery.key.in_(part)
            )
        ).all()
        found |= {(c, k) for c, k in rows}
    return found


# -- outbox rows of the lifecycle kinds ---------------------------------------------------------


@dataclass(frozen=True)
class OutboxRow:
    id: int
    kind: str
    channel: str
    key: str
    paper_id: str | None
    status: str
    payload: dict[str, Any]


def rows_for_papers(
    session: Session, kinds: Sequence[str], paper_ids: Sequence[str]
) -> list[OutboxRow]:
    out: list[OutboxRow] = []
    for part in chunks(list(paper_ids)):
        for d in session.scalars(
            select(Delivery)
            .where(Delivery.kind.in_(list(kinds)), Delivery.paper_id.in_(part))
            .order_by(Delivery.id)
        ):
            out.append(
                OutboxRow(
                    d.id, d.kind, d.channel, d.key, d.paper_id, d.status, dict(d.payload or {})
                )
            )
    out.sort(key=lambda r: r.id)
    return out


def record_as_sent(
    session: Session,
    *,
    kind: str,
    channel: str,
    key: str,
    now: datetime,
    paper_id: str | None,
    payload: dict[str, Any],
    reason: str,
) -> bool:
    """Remember an event as already told without posting it (the announcement showed it)."""
    return enqueue(
        session,
        kind=kind,
        channel=channel,
        key=key,
        now=now,
        paper_id=paper_id,
        payload={**payload, "silent": reason},
        already_told=True,
    )


def drop_pending(session: Session, *, kind: str, channel: str, keys: Sequence[str]) -> int:
    """Withdraw messages not sent yet that a newer event superseded (a meeting moved again)."""
    if not keys:
        return 0
    result = session.execute(
        delete(Delivery).where(
            Delivery.kind == kind,
            Delivery.channel == channel,
            Delivery.status == State.PENDING,
            Delivery.key.in_(list(keys)),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def parent_message(session: Session, channel: str, paper_id: str) -> Delivery | None:
    return session.scalars(
        select(Delivery).where(
            Delivery.kind == Kind.ANNOUNCE, Delivery.channel == channel, Delivery.key == paper_id
        )
    ).first()


# -- answer links --------------------------------------------------------------------------------


def save_answer_link(
    session: Session,
    *,
    anfrage_id: str,
    answer_paper_id: str | None,
    answer_file_id: str | None,
    rule: str,
    answered_on: date | None,
    url: str | None,
    now: datetime,
) -> bool:
    """First link wins: a later, weaker guess never replaces a recorded one."""
    insert = dialect_insert(session)
    stmt = (
        insert(AnswerLink)
        .values(
            anfrage_id=anfrage_id,
            answer_paper_id=answer_paper_id,
            answer_file_id=answer_file_id,
            rule=rule,
            answered_on=answered_on,
            url=url,
            linked_at=now,
        )
        .on_conflict_do_nothing(index_elements=["anfrage_id"])
    )
    return bool(getattr(session.execute(stmt), "rowcount", 0))


def announce_channels(session: Session) -> list[str]:
    rows = session.scalars(
        select(Delivery.channel)
        .where(Delivery.kind == Kind.ANNOUNCE, Delivery.status == State.SENT)
        .distinct()
    ).all()
    return sorted(rows)
