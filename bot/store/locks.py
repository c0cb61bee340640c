"""Process-wide exclusive sections across everything that shares one database.

Delivery must never run twice at once: `poll --once` and `remind --once` from cron, a manual
poll next to `run`, or a replica that has just lost its leadership could otherwise claim each
other's rows. PostgreSQL: a session advisory lock (`pg_try_advisory_lock`) held on one pooled
connection for the duration. SQLite: an exclusive `flock` on a file next to the database.
Neither waits: whoever finds the section taken skips this round.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text


def _key(name: str) -> int:
    return int.from_bytes(
        hashlib.sha256(f"anfragebot:{name}".encode()).digest()[:8], "big", signed=True
    )


@contextmanager
def exclusive(engine: Engine, name: str) -> Iterator[bool]:
    """Yields True when this process holds the section `name`, False when another one does."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _key(name)}).scalar()
            )
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _key(name)})
                    conn.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield True  # an in-memory database lives in one process only
        return
    fd = os.open(f"{database}.{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
