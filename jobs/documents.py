"""Read each Anfrage's document once per version: feed text or PDF → questions, faction...

A document that cannot be fetched (refused origin, HTTP error, size or time cap) or read (the
sandbox's memory, CPU, page or time limit, a broken PDF) is quarantined: recorded with its
reason and tried again after 1 h, 6 h and 24 h. It never blocks the other documents, and it
never holds back the announcement: a recorded attempt settles the document for
`bot.outbox.routing`, which then announces with what the feed says.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from bot.document.download import DocumentFetchError
from bot.document.limits import DocumentLimits
from bot.document.reader import DocumentResult
from bot.document.sandbox import read_sandboxed
from bot.errors import FeedError
from bot.store.db import transaction
from bot.store.schema import DocumentRow, FileRow, PaperRow
from bot.store.views import main_file

log = logging.getLogger(__name__)

# Rows written before migration 0006 have no `next_attempt_at`: they are retried (as before)
# while they have fewer attempts than this. New rows that are given up have more.
MAX_ATTEMPTS = 3
# After the n-th failed attempt at a version, wait RETRY_AFTER[n-1]; after the last, give up
# (a new version of the file in the feed starts again).
RETRY_AFTER = (timedelta(hours=1), timedelta(hours=6), timedelta(hours=24))

Fetch = Callable[[str], bytes]
Read = Callable[[bytes | None, str | None, str | None], DocumentResult]


def sandboxed_reader(limits: DocumentLimits) -> Read:
    def read(data: bytes | None, feed_text: str | None, mime: str | None) -> DocumentResult:
        return read_sandboxed(data, feed_text, mime, limits)

    return read


def _candidates(session: Session, source: str, budget: int, now: datetime) -> list[str]:
    """Every Anfrage waiting for its announcement, then up to `budget` of the newest others
    whose document was not read.

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
    query = (
        select(PaperRow.id)
        # Only the Anfrage's own document (position 0: `mainFile`, else the first auxiliary
        # file, as in views.main_file); attachments such as answers are not read here.
        .join(FileRow, and_(FileRow.paper_id == PaperRow.id, FileRow.position == 0))
        .outerjoin(DocumentRow, DocumentRow.file_id == FileRow.id)
        .where(
            PaperRow.source == source,
            PaperRow.is_anfrage.is_(True),
            PaperRow.deleted.is_(False),
            or_(stale, due, legacy),
        )
    )
    pending = session.scalars(
        query.where(PaperRow.announce_state == "pending").order_by(PaperRow.date, PaperRow.id)
    ).all()
    others = session.scalars(
        query.where(or_(PaperRow.announce_state.is_(None), PaperRow.announce_state != "pending"))
        .order_by(PaperRow.date.desc())
        .limit(budget * 3)
    ).all()
    return list(dict.fromkeys([*pending, *list(dict.fromkeys(others))[:budget]]))


@dataclass(frozen=True)
class _Snapshot:
    file_id: str
    version_key: str
    feed_text: str | None
    mime: str | None
    url: str | None
    previous_key: str | None
    previous_attempts: int
    due: bool  # the previous attempt at this version failed and its retry time has come


def _snapshot(session: Session, paper_id: str, now: datetime) -> _Snapshot | None:
    file = main_file(session, paper_id)
    if file is None:
        return None
    return snapshot_of(session, file, now)


def snapshot_of(session: Session, file: FileRow, now: datetime) -> _Snapshot:
    """What reading `file` needs, and how its previous attempt went (also for answer files)."""
    previous = session.get(DocumentRow, file.id)
    due = previous is not None and (
        (previous.next_attempt_at is not None and previous.next_attempt_at <= now)
        or (previous.status == "error" and previous.problem is None)
    )
    return _Snapshot(
        file.id,
        file.version_key,
        file.text,
        file.mime_type,
        file.access_url or file.download_url,
        previous.version_key if previous else None,
        previous.attempts if previous else 0,
        due,
    )


def read_documents(
    factory: sessionmaker[Session],
    source: str,
    fetch: Fetch,
    *,
    now: datetime,
    budget: int = 50,
    read: Read | None = None,
    seconds: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Read the documents of Anfragen waiting for their announcement, and up to `budget` others,
    for at most `seconds` (None: no limit); returns how many were read (successfully or not).
    The rest are read on the next poll.

    `read` defaults to the sandbox with default limits (bot/document/sandbox.py)."""
    read = read or sandboxed_reader(DocumentLimits())
    with factory() as session:
        paper_ids = _candidates(session, source, budget, now)
    done = 0
    stop_at = clock() + seconds if seconds is not None else None
    for paper_id in paper_ids:
        if stop_at is not None and clock() > stop_at:
            log.warning(
                "documents of %s: %g s spent, %d left for the next poll",
                source,
                seconds,
                len(paper_ids) - paper_ids.index(paper_id),
            )
            break
        with factory() as session:
            snap = _snapshot(session, paper_id, now)
        if snap is None or (snap.previous_key == snap.version_key and not snap.due):
            continue
        try:
            read_one(factory, paper_id, snap, fetch, read, now)
        except Exception as e:  # noqa: BLE001 - one document never stops the others
            log.error("document of %s: %s: %s", paper_id, type(e).__name__, e)
            continue
        done += 1
    return done


def read_one(
    factory: sessionmaker[Session],
    paper_id: str,
    snap: _Snapshot,
    fetch: Fetch,
    read: Read,
    now: datetime,
    *,
    set_faction: bool = True,
) -> None:
    """Fetch and read one file version and record the result (or its quarantine).
    `set_faction=False` for answer documents: the faction they name is not the paper's."""
    data: bytes | None = None
    problem: str | None = None
    fetch_error: str | None = None
    if not _usable(snap.feed_text) and snap.url:
        try:
            data = fetch(snap.url)
        except DocumentFetchError as e:
            fetch_error, problem = e.reason, ("refused" if e.refused else "download")
        except FeedError as e:
            fetch_error, problem = str(e), "download"
    result = read(data, snap.feed_text, snap.mime)
    status, error = result.status, result.error
    if fetch_error:
        error = fetch_error
        if result.parsed is None:
            status = "error"
    elif status == "error":
        problem = "read"
    attempts = (snap.previous_attempts if snap.previous_key == snap.version_key else 0) + 1
    retry_at = None
    if problem is not None:
        retry_at = now + RETRY_AFTER[attempts - 1] if attempts <= len(RETRY_AFTER) else None
        log.warning(
            "document %s of %s quarantined (%s): %s; %s",
            snap.url,
            paper_id,
            problem,
            error,
            f"retry at {retry_at.isoformat()}" if retry_at else "giving up on this version",
        )
    with transaction(factory) as session:
        row = session.get(DocumentRow, snap.file_id) or DocumentRow(file_id=snap.file_id)
        row.paper_id = paper_id
        row.version_key = snap.version_key
        row.status = status
        row.error = error
        row.pages = result.pages
        row.text = result.text
        row.parsed = result.parsed.to_json_dict() if result.parsed else None
        # Given up: more attempts than MAX_ATTEMPTS, so the pre-0006 retry rule stays off.
        row.attempts = attempts if retry_at or problem is None else max(attempts, MAX_ATTEMPTS)
        row.read_at = now
        row.problem = problem
        row.next_attempt_at = retry_at
        session.add(row)
        paper = session.get(PaperRow, paper_id)
        found = result.parsed.factions if result.parsed else ()
        if set_faction and paper is not None and not paper.faction and found:
            paper.faction = ", ".join(found)


def _usable(text: str | None) -> bool:
    return bool(text) and sum(c.isalpha() for c in text or "") >= 200
