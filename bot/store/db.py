"""Engine, sessions and schema migrations (Alembic, run on start)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import BotError, ConfigError
from bot.store.locks import file_lock, set_instance

MIGRATIONS = Path(__file__).parent / "migrations"
# PostgreSQL advisory lock key held while migrating (any fixed 64-bit number of our own).
MIGRATION_LOCK = 0x616E_6672_6167_6501


class StoreError(BotError):
    """The database is unreachable or the schema could not be brought up to date."""


def make_engine(url: str, *, instance: str = "") -> Engine:
    """`instance`: the optional `[database] instance` name, part of every advisory-lock key."""
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise ConfigError(f"database.url: not a database URL: {url!r}") from e
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs: dict[str, Any] = {"future": True}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    else:
        # A lost connection is replaced on its next checkout; an unreachable server fails within
        # seconds instead of hanging the start.
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = {"connect_timeout": 10}
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as e:
        raise ConfigError(f"database.url: unsupported database URL ({e})") from e
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    set_instance(engine, instance)
    return engine


# Checkpoint the WAL into the database file every ~40 MB of log (4 KiB pages) instead of
# SQLite's default 1000 pages (~4 MB). A sync commits once per list page and every commit
# rewrites the index pages it touched; the fewer checkpoints, the fewer times each page is copied
# back and fsynced (storing 50,760 papers one page per commit: 1.5 → 1.2 GB written, a quarter
# less system time). Durability stays what synchronous=NORMAL gives in WAL mode: a commit
# survives a crash of the process; a power loss can take back the commits since the last
# checkpoint (now up to ~40 MB of log) but never leaves a broken database, and since every page
# is committed with its resume point the next poll reads those pages again.
WAL_AUTOCHECKPOINT_PAGES = 10_000
# After a checkpoint the WAL file is reused from its start, but keeps the largest size it ever
# reached (a long read blocks the reset while a big sync writes): cut it back to 64 MiB then.
WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets slash commands read while a poll writes; foreign keys are not used.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
    cur.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT_BYTES}")
    cur.close()


_REVISION = re.compile(r'^(down_revision|revision)\s*=\s*["\']?([\w.-]+|None)["\']?', re.MULTILINE)


@cache
def _head_revision() -> str | None:
    """The newest revision in migrations/versions, read from the files themselves (Alembic's
    own loader costs ~0.3 s of every start). None when it is not one clear head."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict((k, v) for k, v in _REVISION.findall(path.read_text("utf-8")))
        if "revision" not in found:
            return None
        revisions.add(found["revision"])
        parents.add(found.get("down_revision", "None"))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _is_current(engine: Engine) -> bool:
    """True when the database already stands at the newest revision: nothing to migrate."""
    head = _head_revision()
    if head is None:
        return False
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    except SQLAlchemyError:
        return False  # a new database (no version table yet) or not reachable: Alembic decides
    return [r[0] for r in rows] == [head]


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent; safe on every start)."""
    if _is_current(engine):
        return
    from alembic import command
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with _sqlite_migration_lock(engine), engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Replicas starting together: one migrates, the others wait here (the lock ends
                # with the transaction) and then find the schema current.
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except SQLAlchemyError as e:
        # One line: SQLAlchemy appends the statement and a link on further lines.
        reason = (str(e).splitlines() or [type(e).__name__])[0]
        where = engine.url.render_as_string(hide_password=True)
        raise StoreError(f"database {where}: {reason}") from e


@contextmanager
def _sqlite_migration_lock(engine: Engine) -> Iterator[None]:
    """Two processes starting together on one SQLite file (cron's `poll --once` next to `run`)
    migrate one after the other; the second finds the schema current."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    if not Path(database).resolve().parent.is_dir():
        # Not there (yet): opening the database fails just the same, as a StoreError that
        # `run` waits out.
        yield
        return
    with file_lock(f"{database}.migrate.lock"):
        yield


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as session, session.begin():
        yield session
