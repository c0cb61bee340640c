"""The Anfrage's document, and the record of reading each version of a file.

One rule says which file is a paper's document (`main_file`, `main_files`): its `mainFile`,
else its first auxiliary file (Somacos SessionNet has no `mainFile`). The announcement, the
search index, the answer pairing, the interim notes and the reader all ask here.

Reading a file is recorded per version in `documents` (jobs/documents.py decides when to read
and how long to wait after a failure); `faction` of a paper is filled from its document when
the feed names none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, or_, select
from sqlalchemy.orm import Session, aliased

from bot.store.batches import chunks
from bot.store.kinds import AnnounceState
from bot.store.schema import DocumentRow, FileRow, PaperRow

# "main" sorts before "aux" descending; then the feed's order.
MAIN_FIRST = (FileRow.role.desc(), FileRow.position)

# Rows written before migration 0006 have no `next_attempt_at`: they are retried (as before)
# while they have fewer attempts than this. Rows given up on since then have more.
MAX_ATTEMPTS = 3


def main_file(session: Session, paper_id: str) -> FileRow | None:
    """The paper's own document: `mainFile`, else the first auxiliary file (Somacos)."""
    return session.scalars(
        select(FileRow).where(FileRow.paper_id == paper_id).order_by(*MAIN_FIRST).limit(1)
    ).first()


def main_files(session: Session, paper_ids: Sequence[str], *columns: Any) -> dict[str, Row[Any]]:
    """`main_file` of many papers at once, by paper id; each row holds `FileRow.paper_id`
    and the `columns` asked for (only those: a file's text can be long)."""
    out: dict[str, Row[Any]] = {}
    for part in chunks(sorted(set(paper_ids))):
        rows = session.execute(
            select(FileRow.paper_id, *columns)
            .where(FileRow.paper_id.in_(part))
            .order_by(FileRow.paper_id, *MAIN_FIRST)
        ).all()
        for row in rows:
            out.setdefault(row.paper_id, row)
    return out


def _read_document(session: Session, paper_id: str) -> DocumentRow | None:
    """The stored reading of the paper's document (any version), if there is one."""
    file = main_file(session, paper_id)
    return session.get(DocumentRow, file.id) if file else None


def parsed_document(session: Session, paper_id: str) -> dict[str, Any] | None:
    """The stored parse of the paper's document when it was read successfully."""
    doc = _read_document(session, paper_id)
    return doc.parsed if doc is not None and doc.status == "ok" else None


def document_settled(session: Session, paper_id: str) -> bool:
    """True when the paper has no document, or its current version was read (or tried and
    quarantined); False while that version is still to be read."""
    file = main_file(session, paper_id)
    if file is None:
        return True
    doc = session.get(DocumentRow, file.id)
    return doc is not None and doc.version_key == file.version_key


# -- reading: what to read next, and the record of each attempt -------------------------------


def papers_to_read(session: Session, source: str, budget: int, now: datetime) -> list[str]:
    """Every Anfrage waiting for its announcement, then up to `budget` of the newest others
    whose document was not read (or whose retry time has come).

    The budget bounds only the backfill: an announcement waits for its document, so capping
    the waiting ones too left a backlog after an outage (or after runs killed mid-way) for
    later polls, and a poll that ran to completion had not announced what it had found."""
    stale = or_(DocumentRow.file_id.is_(None), DocumentRow.version_key != FileRow.version_key)
    due = DocumentRow.next_attempt_at <= now
    legacy = and_(
        DocumentRow.status == "error",
        DocumentRow.next_attempt_at.is_(None),
        DocumentRow.problem.is_(None),
        DocumentRow.attempts < MAX_ATTEMPTS,
    )
    # Only the Anfrage's own document (the `main_file` rule); attachments such as answers are
    # not read here.
    own = aliased(FileRow)
    first = (
        select(own.id)
        .where(own.paper_id == PaperRow.id)
        .order_by(own.role.desc(), own.position)
        .limit(1)
        .correlate(PaperRow)
        .scalar_subquery()
    )
    query = (
        select(PaperRow.id)
        .join(FileRow, and_(FileRow.paper_id == PaperRow.id, FileRow.id == first))
        .outerjoin(DocumentRow, DocumentRow.file_id == FileRow.id)
        .where(
            PaperRow.source == source,
            PaperRow.is_anfrage.is_(True),
            PaperRow.deleted.is_(False),
            or_(stale, due, legacy),
        )
    )
    pending = session.scalars(
        query.where(PaperRow.announce_state == AnnounceState.PENDING).order_by(
            PaperRow.date, PaperRow.id
        )
    ).all()
    others = session.scalars(
        query.where(
            or_(PaperRow.announce_state.is_(None), PaperRow.announce_state != AnnounceState.PENDING)
        )
        .order_by(PaperRow.date.desc())
        .limit(budget * 3)
    ).all()
    return list(dict.fromkeys([*pending, *list(dict.fromkeys(others))[:budget]]))


@dataclass(frozen=True)
class FileVersion:
    """What reading one version of a file needs, and how the previous attempt went."""

    file_id: str
    version_key: str
    feed_text: str | None
    mime: str | None
    url: str | None
    previous_key: str | None
    previous_attempts: int
    due: bool  # the previous attempt at this version failed and its retry time has come

    @property
    def settled(self) -> bool:
        """This version was read (or given up on) and no retry is due."""
        return self.previous_key == self.version_key and not self.due


def _version_of(session: Session, file: FileRow, now: datetime) -> FileVersion:
    previous = session.get(DocumentRow, file.id)
    due = previous is not None and (
        (previous.next_attempt_at is not None and previous.next_attempt_at <= now)
        or (previous.status == "error" and previous.problem is None)
    )
    return FileVersion(
        file.id,
        file.version_key,
        file.text,
        file.mime_type,
        file.access_url or file.download_url,
        previous.version_key if previous else None,
        previous.attempts if previous else 0,
        due,
    )


def main_file_version(session: Session, paper_id: str, now: datetime) -> FileVersion | None:
    """The current version of the paper's document, or None when it has none."""
    file = main_file(session, paper_id)
    return _version_of(session, file, now) if file is not None else None


def file_version(session: Session, file_id: str, now: datetime) -> FileVersion | None:
    """The current version of any file (an answer's), or None when it is gone."""
    file = session.get(FileRow, file_id)
    return _version_of(session, file, now) if file is not None else None


@dataclass(frozen=True)
class Reading:
    """The outcome of one attempt at one file version."""

    status: str  # ok | no_text_layer | error
    error: str | None
    pages: int
    text: str | None
    parsed: dict[str, Any] | None
    attempts: int
    problem: str | None  # refused | download | read, or None
    next_attempt_at: datetime | None  # None after a problem: given up on this version


def record_reading(
    session: Session,
    paper_id: str,
    version: FileVersion,
    reading: Reading,
    now: datetime,
    *,
    factions: Sequence[str] = (),
) -> None:
    """Store the attempt; `factions` found in the document become the paper's faction when
    the paper has none yet (never pass those of an answer: they are not the paper's)."""
    row = session.get(DocumentRow, version.file_id) or DocumentRow(file_id=version.file_id)
    row.paper_id = paper_id
    row.version_key = version.version_key
    row.status = reading.status
    row.error = reading.error
    row.pages = reading.pages
    row.text = reading.text
    row.parsed = reading.parsed
    given_up = reading.problem is not None and reading.next_attempt_at is None
    # Given up: more attempts than MAX_ATTEMPTS, so the pre-0006 retry rule stays off.
    row.attempts = max(reading.attempts, MAX_ATTEMPTS) if given_up else reading.attempts
    row.read_at = now
    row.problem = reading.problem
    row.next_attempt_at = reading.next_attempt_at
    session.add(row)
    paper = session.get(PaperRow, paper_id)
    if factions and paper is not None and not paper.faction:
        paper.faction = ", ".join(factions)
