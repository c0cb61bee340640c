"""Bulk `INSERT ... ON CONFLICT DO UPDATE` for SQLite and PostgreSQL.

One cached statement executed with many parameter sets (DB-API `executemany`): SQLAlchemy
compiles it once per table and column set, sqlite3 runs it in C, psycopg 3 pipelines it. A
multi-row `VALUES (...), (...)` statement would be compiled afresh for every page, which cost
more than the database work itself (see docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Executable, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_insert(session: Session) -> Any:
    """The `insert` construct with ON CONFLICT support for the session's database."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def upsert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    keep: Sequence[str] = (),
) -> None:
    """Insert rows, updating every column on conflict except the key and `keep` columns.
    Every row must have the same keys."""
    if not rows:
        return
    stmt = _statement(session.get_bind().dialect.name, table, tuple(rows[0]), tuple(keep))
    session.execute(stmt, list(rows))


@lru_cache(maxsize=256)
def _statement(
    dialect: str, table: Table, columns: tuple[str, ...], keep: tuple[str, ...]
) -> Executable:
    # Building `excluded` proxies is costly: one statement object per table and column set.
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    keys = [c.name for c in table.primary_key.columns]
    stmt = insert(table)
    update = {c: stmt.excluded[c] for c in columns if c not in keys and c not in keep}
    if update:
        return stmt.on_conflict_do_update(index_elements=keys, set_=update)
    return stmt.on_conflict_do_nothing(index_elements=keys)
