"""Save what the feed delivered. One call per list page, inside the caller's transaction, so a
new Anfrage and its "to be announced" mark are committed together (the outbox guarantee)."""

from __future__ import annotations

import hashlib
from collections.abc import Container, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, select, text, update
from sqlalchemy.orm import Session

from bot.classify import (
    compact_reference,
    factions_from_text,
    is_anfrage,
    is_answer_type,
    normalize_reference,
)
from bot.domain import Body, FileRef, Meeting, Organization, Paper
from bot.store.kinds import AnnounceState
from bot.store.labels import organization_names
from bot.store.schema import (
    AgendaItemRow,
    BodyRow,
    ConsultationRow,
    FileRow,
    MeetingAlias,
    MeetingRow,
    OrganizationRow,
    PaperRow,
)
from bot.store.upsert import bind_converter, rows_by_id, upsert, upsert_tuples


@dataclass(frozen=True)
class AnnouncePolicy:
    """First sync of a source: announce only recent Anfragen; afterwards every new one."""

    first_sync: bool
    now: datetime
    max_age_days: int

    def wants(self, paper: Paper) -> bool:
        if not self.first_sync:
            return True
        dated: date | None = paper.date or (paper.created.date() if paper.created else None)
        if dated is None:
            return False
        return dated >= (self.now - timedelta(days=self.max_age_days)).date()


@dataclass
class SaveStats:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    new_anfragen: int = 0
    # Ids not stored before (new objects and tombstones of objects never seen): an incremental
    # read of an oldest-first list stops at the first page without any.
    fresh: int = 0


# Tables a sync fills; on PostgreSQL their planner statistics must keep up with a big first
# sync, or the per-batch `id IN (...)` look-ups turn into sequential scans (quadratic time).
_SYNCED_TABLES = ("papers", "files", "consultations", "meetings", "agenda_items", "organizations")


def refresh_planner_stats(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE " + ", ".join(_SYNCED_TABLES)))


def save_body(session: Session, source: str, body: Body) -> None:
    upsert(
        session,
        BodyRow.__table__,  # type: ignore[arg-type]
        [{"id": body.id, "source": source, "name": body.name, "short_name": body.short_name}],
    )


def save_organizations(session: Session, source: str, orgs: Sequence[Organization]) -> int:
    """Returns how many of the ids were not stored before."""
    known = set(
        session.scalars(
            select(OrganizationRow.id).where(OrganizationRow.id.in_([o.id for o in orgs]))
        )
    )
    rows: dict[str, dict[str, Any]] = {
        o.id: {
            "id": o.id,
            "source": source,
            "body_id": o.body_id,
            "name": o.name,
            "short_name": o.short_name,
            "organization_type": o.organization_type,
            "classification": o.classification,
            "deleted": o.deleted,
        }
        for o in orgs
    }
    deleted_only = [r for r in rows.values() if r["deleted"] and r["name"] is None]
    upsert(session, OrganizationRow.__table__, [r for r in rows.values() if r not in deleted_only])  # type: ignore[arg-type]
    _mark_deleted(session, OrganizationRow, [r["id"] for r in deleted_only])
    # Tombstones without data are not stored, so they never count as unseen.
    return sum(1 for i, r in rows.items() if i not in known and r not in deleted_only)


def _mark_deleted(session: Session, model: Any, ids: Sequence[str]) -> None:
    """Deleted objects often arrive without data (SD.NET): flag what we have, keep its fields."""
    if ids:
        session.execute(update(model).where(model.id.in_(ids)).values(deleted=True))


def save_meetings(
    session: Session, source: str, meetings: Sequence[Meeting], *, rewrite: bool = False
) -> SaveStats:
    """`rewrite`: write every meeting even where the stored content hash says unchanged (a
    fresh read before a reminder trusts the feed, not the stored state)."""
    stats = SaveStats()
    by_id = {m.id: m for m in meetings}
    stored = rows_by_id(session, _MEETINGS, ("id", "content_hash"), list(by_id))
    known: dict[str, str | None] = {mid: digest for mid, digest in stored}
    hashes = {m.id: meeting_hash(m) for m in by_id.values()}
    gone = [m.id for m in by_id.values() if m.deleted]
    _mark_deleted(session, MeetingRow, [i for i in gone if i in known])
    upsert(
        session,
        MeetingRow.__table__,  # type: ignore[arg-type]
        [{"id": i, "source": source, "deleted": True} for i in gone if i not in known],
    )
    stats.deleted = len(gone)
    stats.fresh = sum(1 for i in by_id if i not in known)
    # By content, never by `modified`: RVR-like feeds stamp every object with one fixed date,
    # and a cancelled or moved session must still reach the follow-up (bot/outbox/events.py).
    changed = [
        m
        for m in by_id.values()
        if not m.deleted and (rewrite or m.id not in known or known[m.id] != hashes[m.id])
    ]
    stats.new = sum(1 for m in changed if m.id not in known)
    stats.changed = len(changed) - stats.new
    stats.unchanged = len(by_id) - len(changed) - len(gone)
    upsert_tuples(
        session,
        _MEETINGS,
        _MEETING_COLUMNS,
        [
            (
                m.id,
                source,
                m.body_id,
                m.name,
                m.start,
                m.end,
                m.location,
                m.cancelled,
                False,
                m.web,
                m.modified,
                m.organization_ids,
                hashes[m.id],
            )
            for m in changed
        ],
    )
    # Only a meeting we already had can have agenda items to replace.
    ids = [m.id for m in changed if m.id in known]
    if ids:
        session.execute(delete(AgendaItemRow).where(AgendaItemRow.meeting_id.in_(ids)))
    items: dict[str, tuple[Any, ...]] = {}
    for m in changed:
        for a in m.agenda_items:
            items[a.id] = (a.id, m.id, a.number, a.name, a.result, a.consultation_id, a.order)
    upsert_tuples(session, _AGENDA_ITEMS, _AGENDA_COLUMNS, list(items.values()))
    return stats


_MEETINGS: Table = MeetingRow.__table__  # type: ignore[assignment]
_AGENDA_ITEMS: Table = AgendaItemRow.__table__  # type: ignore[assignment]
_MEETING_COLUMNS = (
    "id",
    "source",
    "body_id",
    "name",
    "start",
    "end",
    "location",
    "cancelled",
    "deleted",
    "web",
    "modified",
    "organization_ids",
    "content_hash",
)
_AGENDA_COLUMNS = ("id", "meeting_id", "number", "name", "result", "consultation_id", "position")


def meeting_hash(m: Meeting) -> str:
    """What reminders and thread notes depend on: start, end, cancelled, location, name,
    committees, and the agenda items in their order."""
    parts: list[object] = [
        m.name,
        m.start.isoformat() if m.start else None,
        m.end.isoformat() if m.end else None,
        m.cancelled,
        m.location,
        m.web,
        list(m.organization_ids),
        [(a.id, a.number, a.name, a.result, a.consultation_id, a.order) for a in m.agenda_items],
    ]
    return hashlib.sha256(repr(parts).encode("utf-8", "replace")).hexdigest()


# `papers.ref_norm` / `ref_compact` are indexed String(200): a longer "reference" is no
# reference to look up; the full text stays in `papers.reference`.
MAX_REF = 200


def _fits(value: str | None, limit: int = MAX_REF) -> str | None:
    return value if value is None or len(value) <= limit else None


def _faction(paper: Paper, org_names: dict[str, str]) -> str | None:
    names = [org_names[i] for i in paper.originator_organization_ids if org_names.get(i)]
    if names:
        return ", ".join(names)
    found = factions_from_text(paper.name)
    return ", ".join(found) if found else None


# The columns save_papers writes, in the order of its row tuples.
_PAPER_COLUMNS = (
    "id",
    "source",
    "body_id",
    "reference",
    "ref_norm",
    "ref_compact",
    "name",
    "paper_type",
    "date",
    "web",
    "created",
    "modified",
    "deleted",
    "originator_organization_ids",
    "related_paper_ids",
    "is_anfrage",
    "is_answer",
    "faction",
    "under_direction_of",
    "announce_state",
    "first_seen_at",
    "updated_at",
)
_CONSULTATION_COLUMNS = (
    "id",
    "paper_id",
    "meeting_id",
    "agenda_item_id",
    "organization_ids",
    "role",
    "authoritative",
    "position",
)
_FILE_COLUMNS = (
    "id",
    "paper_id",
    "role",
    "name",
    "mime_type",
    "access_url",
    "download_url",
    "text",
    "version_key",
    "position",
)
_PAPERS: Table = PaperRow.__table__  # type: ignore[assignment]
_FILES: Table = FileRow.__table__  # type: ignore[assignment]
_CONSULTATIONS: Table = ConsultationRow.__table__  # type: ignore[assignment]


def save_papers(
    session: Session, source: str, papers: Sequence[Paper], policy: AnnouncePolicy
) -> SaveStats:
    stats = SaveStats()
    by_id = {p.id: p for p in papers}
    # Stored values as the driver returns them: `modified` is compared in its stored form.
    known = {
        pid: (modified, deleted)
        for pid, modified, deleted in rows_by_id(
            session, _PAPERS, ("id", "modified", "deleted"), list(by_id)
        )
    }
    stored = bind_converter(session, _PAPERS, "modified")
    gone = [p for p in by_id.values() if p.deleted]
    stats.deleted = len(gone)
    stats.fresh = sum(1 for i in by_id if i not in known)
    _mark_deleted(session, PaperRow, [p.id for p in gone if p.id in known])
    # A tombstone for a deleted paper we never saw: it counts, and is never announced.
    upsert(
        session,
        _PAPERS,
        [
            {
                "id": p.id,
                "source": source,
                "deleted": True,
                "first_seen_at": policy.now,
                "updated_at": policy.now,
            }
            for p in gone
            if p.id not in known
        ],
    )
    changed = [
        p
        for p in by_id.values()
        if not p.deleted
        and (
            p.id not in known
            or known[p.id][1]
            or p.modified is None
            or known[p.id][0] != stored(p.modified)
        )
    ]
    stats.unchanged = len(by_id) - len(changed) - len(gone)
    org_ids = {o for p in changed for o in p.originator_organization_ids}
    org_names = organization_names(session, org_ids) if org_ids else {}
    now = policy.now
    rows = []
    for p in changed:
        new = p.id not in known
        anfrage = is_anfrage(p.paper_type, p.name)
        stats.new += new
        if new and anfrage:
            stats.new_anfragen += 1
        # Lists go in as tuples: JSON encodes them alike.
        rows.append(
            (
                p.id,
                source,
                p.body_id,
                p.reference,
                _fits(normalize_reference(p.reference)),
                _fits(compact_reference(p.reference)),
                p.name,
                p.paper_type,
                p.date,
                p.web,
                p.created,
                p.modified,
                False,
                p.originator_organization_ids,
                tuple(
                    dict.fromkeys(
                        p.related_paper_ids + p.superordinated_paper_ids + p.subordinated_paper_ids
                    )
                ),
                anfrage,
                is_answer_type(p.paper_type, p.name),
                _faction(p, org_names),
                (p.under_direction_of_ids or (None,))[0],
                (
                    (AnnounceState.PENDING if policy.wants(p) else AnnounceState.SILENT)
                    if new and anfrage
                    else None
                ),
                now,
                now,
            )
        )
    stats.changed = len(changed) - stats.new
    # first_seen_at and announce_state belong to us, not to the feed: never overwrite them.
    upsert_tuples(session, _PAPERS, _PAPER_COLUMNS, rows, keep=("first_seen_at", "announce_state"))
    _save_children(session, changed, known)
    return stats


def _save_children(session: Session, papers: Sequence[Paper], known: Container[str]) -> None:
    if not papers:
        return
    # Only a paper we already had can have consultations and files to replace.
    ids = [p.id for p in papers if p.id in known]
    if ids:
        session.execute(delete(ConsultationRow).where(ConsultationRow.paper_id.in_(ids)))
        session.execute(delete(FileRow).where(FileRow.paper_id.in_(ids)))
    # By id; a later consultation with the same id replaces the earlier one (in its place),
    # the first file with an id is the one kept.
    consultations: dict[str, tuple[Any, ...]] = {}
    files: dict[str, tuple[Any, ...]] = {}
    meeting_ids = [c.meeting_id for p in papers for c in p.consultations if c.meeting_id]
    aliases = meeting_aliases(session, meeting_ids) if meeting_ids else {}
    for p in papers:
        pid = p.id
        for i, c in enumerate(p.consultations):
            cid = c.id or f"{pid}#consultation-{i}"
            meeting = c.meeting_id
            consultations[cid] = (
                cid,
                pid,
                # A meeting id that answers 404 is stored as the meeting found for it.
                aliases.get(meeting, meeting) if meeting else meeting,
                c.agenda_item_id,
                c.organization_ids,
                c.role,
                c.authoritative,
                i,
            )
        position = 0
        if p.main_file is not None:
            _add_file(files, pid, "main", p.main_file, position)
            position = 1
        for f in p.auxiliary_files:
            _add_file(files, pid, "aux", f, position)
            position += 1
    upsert_tuples(session, _CONSULTATIONS, _CONSULTATION_COLUMNS, list(consultations.values()))
    upsert_tuples(session, _FILES, _FILE_COLUMNS, list(files.values()))


def _add_file(
    files: dict[str, tuple[Any, ...]], paper_id: str, role: str, f: FileRef, position: int
) -> None:
    if f.id not in files:
        files[f.id] = (
            f.id,
            paper_id,
            role,
            f.name,
            f.mime_type,
            f.access_url,
            f.download_url,
            f.text,
            f.version_key,
            position,
        )


def meeting_aliases(session: Session, ids: Sequence[str]) -> dict[str, str]:
    """Resolved aliases among `ids` (consultation meeting ids that answer 404)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(MeetingAlias.alias_id, MeetingAlias.meeting_id).where(
            MeetingAlias.alias_id.in_(wanted), MeetingAlias.meeting_id.is_not(None)
        )
    ).all()
    return {a: m for a, m in rows if m}
