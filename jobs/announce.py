"""Route new Anfragen to channels (outbox rows) once their document has been read."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.store.db import transaction
from bot.store.deliveries import enqueue
from bot.store.documents import document_settled
from bot.store.schema import PaperRow
from bot.store.subscriptions import channels_for
from bot.store.views import load_anfrage

log = logging.getLogger(__name__)

# Announce without the questions rather than not at all when the document stays unreadable.
DOCUMENT_PATIENCE = timedelta(hours=2)


def _document_settled(session: Session, paper: PaperRow, now: datetime) -> bool:
    if document_settled(session, paper.id):
        # Read, or tried and quarantined/refused (retried later with backoff): either way the
        # announcement goes out now, with the feed's data if the document gave nothing.
        return True
    return now - paper.first_seen_at > DOCUMENT_PATIENCE


def route_pending(
    factory: sessionmaker[Session], *, default_channel: str | None, now: datetime
) -> int:
    """Turn pending papers into one delivery per matching channel; returns deliveries added."""
    added = 0
    with factory() as session:
        ids = session.scalars(
            select(PaperRow.id)
            .where(PaperRow.announce_state == "pending")
            .order_by(PaperRow.date, PaperRow.id)
        ).all()
    for paper_id in ids:
        with transaction(factory) as session:
            paper = session.get(PaperRow, paper_id)
            if paper is None or paper.announce_state != "pending":
                continue
            if not _document_settled(session, paper, now):
                continue
            view = load_anfrage(session, paper_id)
            if view is None:
                continue
            for channel in channels_for(session, view, paper.source, default_channel):
                added += enqueue(
                    session,
                    kind="announce",
                    channel=channel,
                    key=paper_id,
                    paper_id=paper_id,
                    now=now,
                )
            paper.announce_state = "routed"
    return added
