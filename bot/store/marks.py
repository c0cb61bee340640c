"""Poll marks (table `poll_marks`, migration 0008): what the steps after a sync still owe.

The search index refresh and the answer matching look at every stored paper. After a poll that
stored nothing and read no document they have nothing to do, as long as the poll before them
finished them: `post_sync` says so. It is set to "pending" (committed) before a poll's sync
writes anything and to "done" only after those steps finished, so a poll that crashed in
between leaves "pending" and the next poll runs them in full. A database without the row (new,
or migrated from before) counts as "pending".
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.store.db import transaction
from bot.store.schema import PollMark

POST_SYNC = "post_sync"
PENDING = "pending"
DONE = "done"


def post_sync_owed(factory: sessionmaker[Session]) -> bool:
    """True when the last poll did not finish its steps after the sync (or none ever ran)."""
    with factory() as session:
        return mark_value(session, POST_SYNC) != DONE


def set_post_sync(factory: sessionmaker[Session], value: str, now: datetime) -> None:
    with transaction(factory) as session:
        put_mark(session, POST_SYNC, value, now)


def mark_value(session: Session, name: str) -> str | None:
    mark = session.get(PollMark, name)
    return mark.value if mark is not None else None


def put_mark(session: Session, name: str, value: str, now: datetime) -> None:
    """Set a mark inside the caller's transaction (with the data it speaks for)."""
    mark = session.get(PollMark, name)
    if mark is None:
        session.add(PollMark(name=name, value=value, updated_at=now))
    elif mark.value != value:
        mark.value = value
        mark.updated_at = now
