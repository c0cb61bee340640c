"""Route new Anfragen to channels (one `announce` row each) once their document has been read."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.outbox.kinds import Kind
from bot.store.db import transaction
from bot.store.deliveries import enqueue
from bot.store.events import mark_routed, pending_announcements, routable_source
from bot.store.subscriptions import channels_for
from bot.store.views import load_anfrage

log = logging.getLogger(__name__)

# Announce without the questions rather than not at all when the document stays unreadable.
DOCUMENT_PATIENCE = timedelta(hours=2)


def route_pending(
    factory: sessionmaker[Session], *, default_channel: str | None, now: datetime
) -> int:
    """Turn pending papers into one delivery per matching channel; returns deliveries added."""
    added = 0
    with factory() as session:
        ids = pending_announcements(session)
    for paper_id in ids:
        with transaction(factory) as session:
            source = routable_source(session, paper_id, now=now, patience=DOCUMENT_PATIENCE)
            if source is None:
                continue
            view = load_anfrage(session, paper_id)
            if view is None:
                continue
            for channel in channels_for(session, view, source, default_channel):
                added += enqueue(
                    session,
                    kind=Kind.ANNOUNCE,
                    channel=channel,
                    key=paper_id,
                    paper_id=paper_id,
                    now=now,
                )
            mark_routed(session, paper_id)
    return added
