"""Leader election for replicas sharing one PostgreSQL database.

Several `anfragebot run` processes may share a database (for availability, or because the
HTTP endpoint runs in each). The scheduled jobs (poll, deliver, remind) must run in one of them
at a time: the outbox tolerates a crash, not two senders. The leader is whoever holds a
session-level PostgreSQL advisory lock, taken with `pg_try_advisory_lock` on a connection of
its own. PostgreSQL releases the lock when that connection ends, so when the leader dies (or
its host or network does: TCP keepalives and a user timeout notice within ~15 s) another
replica takes the lock at its next scheduled run, within one interval.

SQLite is one file on one machine: there is one process, and it is always the leader.
"""

from __future__ import annotations

import contextlib
import logging
import threading

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.store.locks import KEEPALIVE_ARGS, instance_of, lock_engine, ping, scoped_key, try_lock

log = logging.getLogger(__name__)

# The lock's name; its 64-bit key is derived per database and schema (`scoped_key`), so two
# installs on one server never share a leader.
LOCK_NAME = "scheduler"

__all__ = ["KEEPALIVE_ARGS", "LOCK_NAME", "Leader"]


class Leader:
    """`is_leader()` before each scheduled job; cheap when the answer does not change."""

    def __init__(self, engine: Engine, *, key: int | None = None) -> None:
        self.key = key
        self.instance = instance_of(engine)
        self.postgres = engine.dialect.name == "postgresql"
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._engine: Engine | None = None
        if self.postgres:
            # A pool of one, outside the application's pool: the lock lives as long as this
            # connection, and nothing else may ever borrow (or recycle) it.
            self._engine = lock_engine(engine)
        self.leading = not self.postgres

    def is_leader(self) -> bool:
        if not self.postgres:
            return True
        with self._lock:
            if self._conn is not None and self._alive(self._conn):
                return True
            was_leading = self.leading
            self.leading = self._acquire()
            if self.leading and not was_leading:
                log.info("this replica is now the leader: it runs the scheduled jobs")
            elif self.leading:
                log.info("took the leader lock again on a new connection")
            elif was_leading and not self.leading:
                log.warning("lost the leader lock: another replica runs the scheduled jobs")
            return self.leading

    def _alive(self, conn: Connection) -> bool:
        """Our lock connection still works (and so still holds the lock)."""
        try:
            ping(conn)
            return True
        except SQLAlchemyError as e:
            log.warning("leader lock connection lost: %s", str(e).splitlines()[0])
            self._drop()
            return False

    def _acquire(self) -> bool:
        assert self._engine is not None
        try:
            if self._conn is None:
                self._conn = self._engine.connect()
            if self.key is None:
                self.key = scoped_key(self._conn, LOCK_NAME, self.instance)
            got = try_lock(self._conn, self.key)
        except SQLAlchemyError as e:
            log.warning("cannot ask for the leader lock: %s", str(e).splitlines()[0])
            self._drop()
            return False
        if not got:
            # Keep no idle connection while following: the next attempt opens a fresh one.
            self._drop()
        return bool(got)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                conn.close()

    def close(self) -> None:
        """Give the lock up (closing the connection releases it): a replica takes over at its
        next run instead of when our connection times out."""
        with self._lock:
            self._drop()
            self.leading = not self.postgres
            if self._engine is not None:
                self._engine.dispose()
