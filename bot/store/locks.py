"""Process-wide exclusive sections across everything that shares one database.

Delivery must never run twice at once: `poll --once` and `remind --once` from cron, a manual
poll next to `run`, or a replica that has just lost its leadership could otherwise claim each
other's rows. PostgreSQL: a session advisory lock (`pg_try_advisory_lock`) held on a connection
of its own for the duration. SQLite: an exclusive `flock` on a file next to the database.
Neither waits: whoever finds the section taken skips this round.

A PostgreSQL session can end under us (idle_session_timeout, failover, pg_terminate_backend),
and its advisory lock with it. `Section.check()` notices that before each irreversible step,
takes the lock again when it is free, and counts how often it had to (`regained`), so the
caller can treat work claimed under the lost lock as possibly done by someone else.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

# libpq: notice a dead peer within ~15 s instead of the kernel's two hours.
KEEPALIVE_ARGS: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 15_000,
    "connect_timeout": 10,
}

# The optional `[database] instance` name per engine: part of every lock key of that engine.
_INSTANCES: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def set_instance(engine: Engine, instance: str) -> None:
    """Record the install's `[database] instance` name for the lock keys of `engine`."""
    _INSTANCES[engine] = instance


def instance_of(engine: Engine) -> str:
    return _INSTANCES.get(engine, "")


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


def lock_engine(engine: Engine) -> Engine:
    """An engine for lock connections: outside the application's pool (nothing else may borrow
    or recycle a connection that holds a lock), with keepalives, in autocommit."""
    return create_engine(
        engine.url,
        poolclass=NullPool,
        connect_args=KEEPALIVE_ARGS,
        isolation_level="AUTOCOMMIT",
    )


def try_lock(conn: Connection, key: int) -> bool:
    """Take the session advisory lock `key` on `conn` if it is free; never waits."""
    return bool(conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())


def ping(conn: Connection) -> None:
    """A round trip on `conn`: raises SQLAlchemyError when the connection (and with it every
    session lock it held) is gone."""
    conn.execute(text("SELECT 1"))


def _first_line(e: BaseException) -> str:
    return (str(e).splitlines() or [type(e).__name__])[0]


class Section:
    """A held exclusive section. `check()` before each step that must not run twice."""

    def __init__(self, engine: Engine | None, name: str, instance: str) -> None:
        self.name = name
        self.instance = instance
        self._engine = engine  # None: a section that cannot be lost (flock, in-memory)
        self._conn: Connection | None = None
        self._key: int | None = None
        self._mutex = threading.Lock()
        self.regained = 0  # how often the lock was lost and taken again

    def acquire(self) -> bool:
        """Take the lock on a fresh connection; False when another session holds it."""
        if self._engine is None:
            return True
        try:
            conn = self._engine.connect()
        except SQLAlchemyError as e:
            log.warning("cannot connect to take the %s lock: %s", self.name, _first_line(e))
            return False
        try:
            if self._key is None:
                self._key = scoped_key(conn, self.name, self.instance)
            got = try_lock(conn, self._key)
        except SQLAlchemyError as e:
            log.warning("cannot take the %s lock: %s", self.name, _first_line(e))
            got = False
        if got:
            self._conn = conn
        else:
            with contextlib.suppress(SQLAlchemyError):
                conn.close()
        return got

    def check(self) -> bool:
        """Is the section still ours? A lost lock is taken again when it is free."""
        if self._engine is None:
            return True
        with self._mutex:
            if self._conn is not None:
                try:
                    ping(self._conn)
                    return True
                except SQLAlchemyError as e:
                    log.warning(
                        "the %s lock was lost with its connection: %s", self.name, _first_line(e)
                    )
                    self._drop()
            if self.acquire():
                self.regained += 1
                log.warning("took the %s lock again after losing it", self.name)
                return True
            return False

    @property
    def pid(self) -> int | None:
        """The PostgreSQL backend holding the lock (for operators and tests)."""
        if self._conn is None:
            return None
        return int(self._conn.execute(text("SELECT pg_backend_pid()")).scalar_one())

    def release(self) -> None:
        with self._mutex:
            conn = self._conn
            if conn is not None and self._key is not None:
                # On a dead connection the lock is gone already: nothing to give back.
                with contextlib.suppress(SQLAlchemyError):
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
            self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                conn.close()


@contextmanager
def hold(engine: Engine, name: str) -> Iterator[Section | None]:
    """Yields the held section `name`, or None when another process holds it."""
    if engine.dialect.name == "postgresql":
        own = lock_engine(engine)
        section = Section(own, name, instance_of(engine))
        try:
            if not section.acquire():
                yield None
                return
            try:
                yield section
            finally:
                section.release()
        finally:
            own.dispose()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield Section(None, name, "")  # an in-memory database lives in one process only
        return
    with _flock(f"{database}.{name}.lock", wait=False) as got:
        yield Section(None, name, "") if got else None


@contextmanager
def exclusive(engine: Engine, name: str) -> Iterator[bool]:
    """Yields True when this process holds the section `name`, False when another one does."""
    with hold(engine, name) as section:
        yield section is not None


@contextmanager
def _flock(path: str, *, wait: bool) -> Iterator[bool]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def file_lock(path: str) -> Iterator[None]:
    """Wait for an exclusive `flock` on `path` (SQLite: processes starting together migrate one
    after the other instead of failing)."""
    with _flock(path, wait=True):
        yield
