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
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from bot.document.download import DocumentFetchError
from bot.document.limits import DocumentLimits
from bot.errors import FeedError
from bot.store.db import transaction
from bot.store.documents import (
    FileVersion,
    Reading,
    main_file_version,
    papers_to_read,
    record_reading,
)

log = logging.getLogger(__name__)

# After the n-th failed attempt at a version, wait RETRY_AFTER[n-1]; after the last, give up
# (a new version of the file in the feed starts again).
RETRY_AFTER = (timedelta(hours=1), timedelta(hours=6), timedelta(hours=24))

Fetch = Callable[[str], bytes]
if TYPE_CHECKING:
    from bot.document.reader import DocumentResult

Read = Callable[[bytes | None, str | None, str | None], "DocumentResult"]


def sandboxed_reader(limits: DocumentLimits) -> Read:
    def read(data: bytes | None, feed_text: str | None, mime: str | None) -> DocumentResult:
        # Lazy: the reader and the parser behind it cost every poll's start-up; most read nothing.
        from bot.document.sandbox import read_sandboxed

        return read_sandboxed(data, feed_text, mime, limits)

    return read


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
        paper_ids = papers_to_read(session, source, budget, now)
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
            snap = main_file_version(session, paper_id, now)
        if snap is None or snap.settled:
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
    snap: FileVersion,
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
    reading = Reading(
        status=status,
        error=error,
        pages=result.pages,
        text=result.text,
        parsed=result.parsed.to_json_dict() if result.parsed else None,
        attempts=attempts,
        problem=problem,
        next_attempt_at=retry_at,
    )
    found = result.parsed.factions if result.parsed and set_faction else ()
    with transaction(factory) as session:
        record_reading(session, paper_id, snap, reading, now, factions=found)


def _usable(text: str | None) -> bool:
    return bool(text) and sum(c.isalpha() for c in text or "") >= 200
