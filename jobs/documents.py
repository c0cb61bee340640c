"""Read each Anfrage's document once per version: feed text or PDF → questions, faction..."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from bot.document.reader import read_document
from bot.errors import FeedError
from bot.store.db import transaction
from bot.store.schema import DocumentRow, FileRow, PaperRow
from bot.store.views import main_file

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3

Fetch = Callable[[str], bytes]


def _candidates(session: Session, source: str, budget: int) -> list[str]:
    """Every Anfrage waiting for its announcement, then up to `budget` of the newest others
    whose document was not read.

    The budget bounds only the backfill: an announcement waits for its document, so capping
    the waiting ones too left a backlog after an outage (or after runs killed mid-way) for
    later polls, and a poll that ran to completion had not announced what it had found."""
    stale = or_(DocumentRow.file_id.is_(None), DocumentRow.version_key != FileRow.version_key)
    retry = and_(DocumentRow.status == "error", DocumentRow.attempts < MAX_ATTEMPTS)
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
            or_(stale, retry),
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


def read_documents(
    factory: sessionmaker[Session], source: str, fetch: Fetch, *, now: datetime, budget: int = 50
) -> int:
    """Read the documents of Anfragen waiting for their announcement, and up to `budget` others;
    returns how many were read (successfully or not)."""
    with factory() as session:
        paper_ids = _candidates(session, source, budget)
    done = 0
    for paper_id in paper_ids:
        with factory() as session:
            file = main_file(session, paper_id)
            if file is None:
                continue
            previous = session.get(DocumentRow, file.id)
            snapshot = (
                file.id,
                file.version_key,
                file.text,
                file.mime_type,
                file.access_url or file.download_url,
            )
        file_id, version_key, feed_text, mime, url = snapshot
        if (
            previous is not None
            and previous.version_key == version_key
            and previous.status != "error"
        ):
            continue
        data: bytes | None = None
        fetch_error = None
        gone = False
        if not _usable(feed_text) and url:
            try:
                data = fetch(url)
            except FeedError as e:
                fetch_error, gone = str(e), e.permanent
        result = read_document(data, feed_text, mime)
        status, error = result.status, result.error
        if fetch_error and result.parsed is None:
            status, error = "error", fetch_error
        attempts = (
            previous.attempts if previous and previous.version_key == version_key else 0
        ) + 1
        if gone:
            attempts = MAX_ATTEMPTS  # 404 and friends: asking again will not help
        if status == "error":
            log.warning(
                "document %s of %s: %s (%s)",
                url,
                paper_id,
                error,
                "giving up" if attempts >= MAX_ATTEMPTS else f"attempt {attempts}",
            )
        with transaction(factory) as session:
            row = session.get(DocumentRow, file_id) or DocumentRow(file_id=file_id)
            row.paper_id = paper_id
            row.version_key = version_key
            row.status = status
            row.error = error
            row.pages = result.pages
            row.text = result.text
            row.parsed = result.parsed.to_json_dict() if result.parsed else None
            row.attempts = attempts
            row.read_at = now
            session.add(row)
            paper = session.get(PaperRow, paper_id)
            if paper is not None and not paper.faction and result.parsed and result.parsed.factions:
                paper.faction = ", ".join(result.parsed.factions)
        done += 1
    return done


def _usable(text: str | None) -> bool:
    return bool(text) and sum(c.isalpha() for c in text or "") >= 200
