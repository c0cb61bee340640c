"""Bulk `INSERT ... ON CONFLICT DO UPDATE` for SQLite and PostgreSQL.

One statement per table and column set, compiled once, executed as driver SQL
(`exec_driver_sql`: the driver's `executemany`) with plain tuples (SQLite) or dicts (psycopg 3,
which pipelines them): SQLAlchemy's per-row parameter processing cost more than the database
work itself on a first sync (see docs/benchmarks.md, section 7). The column types' bind
processors (dates, JSON) are applied here exactly as SQLAlchemy applies them. A row set whose
statement needs more than the given columns (Python-side column defaults) goes through
SQLAlchemy as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Boolean, Dialect, Executable, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

Processor = Callable[[Any], Any] | None


def dialect_insert(session: Session) -> Any:
    """The `insert` construct with ON CONFLICT support for the session's database."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


@dataclass(frozen=True)
class _Prepared:
    statement: Executable
    # None: the compiled statement wants more than the given columns (defaults): SQLAlchemy.
    sql: str | None
    # Parameter order (positional drivers) or names (named ones), with each one's processor.
    keys: tuple[str, ...]
    processors: tuple[Processor, ...]
    positional: bool


_PREPARED: dict[tuple[str, Table, tuple[str, ...], tuple[str, ...], bool], _Prepared] = {}


def upsert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    keep: Sequence[str] = (),
) -> None:
    """Insert rows, updating every column on conflict except the key and `keep` columns.
    Every row must have the same keys."""
    _execute(session, table, rows, tuple(keep), conflict=True)


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """A plain bulk INSERT through the same driver path (every row with the same keys)."""
    _execute(session, table, rows, (), conflict=False)


def _execute(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keep: tuple[str, ...],
    *,
    conflict: bool,
) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect
    prepared = _prepare(dialect, table, tuple(rows[0]), keep, conflict)
    if prepared.sql is None:
        session.execute(prepared.statement, list(rows))
        return
    params = _parameters(prepared, rows)
    # Pending ORM changes first, as `session.execute` would (rows may refer to them); then the
    # SQL as the driver takes it, on the session's connection (its transaction, and
    # SQLAlchemy's error wrapping and handling of a lost connection).
    session.flush()
    session.connection().exec_driver_sql(prepared.sql, params)


def _parameters(prepared: _Prepared, rows: Sequence[dict[str, Any]]) -> list[Any]:
    """Rows → driver parameters; only the few columns with a processor are converted."""
    keys = prepared.keys
    convert = [(i, p) for i, p in enumerate(prepared.processors) if p is not None]
    get = itemgetter(*keys)
    single = len(keys) == 1
    out: list[Any] = []
    # The last value converted per column: a batch repeats its `now` in every row.
    last: list[tuple[Any, Any]] = [(_NOTHING, None)] * len(keys)
    for row in rows:
        values = [get(row)] if single else list(get(row))
        for i, process in convert:
            value = values[i]
            seen, done = last[i]
            if value is not seen:
                done = process(value)
                last[i] = (value, done)
            values[i] = done
        out.append(tuple(values) if prepared.positional else dict(zip(keys, values, strict=True)))
    return out


_NOTHING = object()


def _prepare(
    dialect: Dialect,
    table: Table,
    columns: tuple[str, ...],
    keep: tuple[str, ...],
    conflict: bool,
) -> _Prepared:
    key = (dialect.name, table, columns, keep, conflict)
    found = _PREPARED.get(key)
    if found is not None:
        return found
    stmt = _statement(dialect.name, table, columns, keep) if conflict else table.insert()
    compiled = stmt.compile(dialect=dialect, column_keys=list(columns))  # type: ignore[attr-defined]
    positional = bool(compiled.positional)
    keys = tuple(compiled.positiontup or ()) if positional else tuple(compiled.binds)
    processors = dict(compiled._bind_processors)  # noqa: SLF001 - the types' own conversions
    if dialect.name == "sqlite":
        # sqlite3 stores a Python bool as the integer SQLAlchemy's processor would make of it.
        for column in columns:
            if isinstance(table.c[column].type, Boolean):
                processors.pop(column, None)
    plain = set(keys) == set(columns) and len(keys) == len(columns)
    prepared = _Prepared(
        statement=stmt,
        sql=str(compiled) if plain else None,
        keys=keys,
        processors=tuple(processors.get(k) for k in keys),
        positional=positional,
    )
    _PREPARED[key] = prepared
    return prepared


def _statement(
    dialect: str, table: Table, columns: tuple[str, ...], keep: tuple[str, ...]
) -> Executable:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    keys = [c.name for c in table.primary_key.columns]
    stmt = insert(table)
    update = {c: stmt.excluded[c] for c in columns if c not in keys and c not in keep}
    if update:
        return stmt.on_conflict_do_update(index_elements=keys, set_=update)
    return stmt.on_conflict_do_nothing(index_elements=keys)
