"""Overdue answers and interim replies: thread replies under the announcement (issue 13).

| kind  | key                          | message                                         |
|-------|------------------------------|-------------------------------------------------|
| event | `{paper}|overdue`            | reply: the answer is überfällig (once, ever)    |
| event | `{paper}|interim|{id}`       | reply: an interim reply, not yet the answer     |

The overdue key holds no date: whatever the clock says on a later run (or after it was moved),
the outbox's unique (kind, channel, key) lets the notice be queued once per channel. It is
queued by `remind --once` / `run` (jobs/remind.py) and rendered at send time
(bot/outbox/threads.py, bot/outbox/lines.py), when an Anfrage answered in the meantime gets
nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from bot.config import DeadlinesConfig
from bot.deadlines import answer_due, overdue_days
from bot.outbox.kinds import EventType, Kind
from bot.store.db import transaction
from bot.store.deliveries import enqueue
from bot.store.events import announced_unanswered, find_interims
from bot.store.lifecycle import tracked

log = logging.getLogger(__name__)


def overdue_key(paper_id: str) -> str:
    return f"{paper_id}|overdue"


def enqueue_overdue(
    factory: sessionmaker[Session], *, now: datetime, tz: ZoneInfo, deadlines: DeadlinesConfig
) -> int:
    """One overdue notice per channel the Anfrage was announced in; returns rows added."""
    if not deadlines.answer_days and not any(d for _, d in deadlines.paper_types):
        return 0
    today = now.astimezone(tz).date()
    added = 0
    with transaction(factory) as session:
        for channel, paper_id, filed_on, paper_type in announced_unanswered(session):
            due = answer_due(filed_on, paper_type, deadlines)
            if due is None or not overdue_days(due, today):
                continue
            added += enqueue(
                session,
                kind=Kind.EVENT,
                channel=channel,
                key=overdue_key(paper_id),
                now=now,
                paper_id=paper_id,
                payload={"type": EventType.OVERDUE, "due": due.isoformat()},
            )
    if added:
        log.info("queued %d overdue notice(s)", added)
    return added


def enqueue_interims(factory: sessionmaker[Session], *, now: datetime) -> int:
    """One reply per interim reply and channel the Anfrage was announced in."""
    added = 0
    with transaction(factory) as session:
        rows = tracked(session, sent_only=False)
        channels: dict[str, list[str]] = {}
        for t in rows:
            channels.setdefault(t.paper_id, []).append(t.channel)
        for anfrage_id, kind, interim_id in find_interims(session, sorted(channels)):
            for channel in channels[anfrage_id]:
                added += enqueue(
                    session,
                    kind=Kind.EVENT,
                    channel=channel,
                    key=f"{anfrage_id}|interim|{interim_id}",
                    now=now,
                    paper_id=anfrage_id,
                    payload={"type": EventType.INTERIM, kind: interim_id},
                )
    return added
