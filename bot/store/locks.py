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

from sqlalchemy import Connection, Engine, text


def _key(name: str) -> int:
    return int.from_bytes(
        hashlib.sha256(f"anfragebot:{name}".encode()).digest()[:8], "big", signed=True
    )


def scoped_key(conn: Connection, name: str, instance: str = "") -> int:
    """An advisory-lock key for `name` in this database and schema (and install `instance`).

    Advisory locks live in one namespace per server: a fixed key would make two installs (two
    databases, two schemas, two test runs) on one server wait for each other.
    """
    row = conn.execute(text("SELECT current_database(), current_schema()")).one()
    return _key(f"{row[0]}/{row[1]}/{instance}/{name}")


@contextmanager
def exclusive(engine: Engine, name: str) -> Iterator[bool]:
    """Yields True when this process holds the section `name`, False when another one does."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            key = scoped_key(conn, name)
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
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
