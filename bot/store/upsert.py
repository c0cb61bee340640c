"""Bulk `INSERT ... ON CONFLICT DO UPDATE` for SQLite and PostgreSQL, and look-ups by id.

One statement per table and column set, compiled once, executed as driver SQL
(`exec_driver_sql`: the driver's `executemany`) with plain tuples (SQLite) or dicts (psycopg 3,
which pipelines them): SQLAlchemy's per-row parameter processing cost more than the database
work itself on a first sync (see docs/benchmarks.md, section 7). Rows come as dicts (`upsert`)
or, cheaper, as tuples in a given column order (`upsert_tuples`). The column types' bind
processors (dates, JSON) are applied here, column by column, with the very results SQLAlchemy's
own processors give (on SQLite a few of them by faster equivalents, tests/test_upsert_fast.py
proves them byte for byte). A row set whose statement needs more than the given columns
(Python-side column defaults) goes through SQLAlchemy as before.
"""

from __future__ import annotations

import json
from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Dialect, Executable, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.store.batches import chunks

Processor = Callable[[Any], Any] | None


def dialect_insert(session: Session) -> Any:
    """The `insert` construct with ON CONFLICT support for the session's database."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


@dataclass(frozen=True)
class _Prepared:
    statement: Executable
    # None: the compiled statement wants more than the given columns (defaults): SQLAlchemy.
    sql: str | None
    # Parameter order (positional drivers) or names (named ones).
    keys: tuple[str, ...]
    # Index into the given columns of each key (None: the same order).
    order: tuple[int, ...] | None
    # (index into the given columns, processor) of the columns that need one.
    convert: tuple[tuple[int, Callable[[Any], Any]], ...]
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
    if rows:
        columns = tuple(rows[0])
        _execute(session, table, columns, _tuples(columns, rows), tuple(keep), conflict=True)


def upsert_tuples(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    keep: Sequence[str] = (),
) -> None:
    """`upsert` with each row a tuple of the values of `columns`, in that order."""
    _execute(session, table, tuple(columns), rows, tuple(keep), conflict=True)


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """A plain bulk INSERT through the same driver path (every row with the same keys)."""
    if rows:
        columns = tuple(rows[0])
        _execute(session, table, columns, _tuples(columns, rows), (), conflict=False)


def insert_tuples(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """`insert_rows` with each row a tuple of the values of `columns`, in that order."""
    _execute(session, table, tuple(columns), rows, (), conflict=False)


def _tuples(columns: tuple[str, ...], rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    if len(columns) == 1:
        return [(row[columns[0]],) for row in rows]
    get = itemgetter(*columns)
    return [get(row) for row in rows]


def _execute(
    session: Session,
    table: Table,
    columns: tuple[str, ...],
    rows: Sequence[tuple[Any, ...]],
    keep: tuple[str, ...],
    *,
    conflict: bool,
) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect
    prepared = _prepare(dialect, table, columns, keep, conflict)
    if prepared.sql is None:
        session.execute(prepared.statement, [dict(zip(columns, r, strict=True)) for r in rows])
        return
    params = _parameters(prepared, rows)
    # Pending ORM changes first, as `session.execute` would (rows may refer to them); then the
    # SQL as the driver takes it, on the session's connection (its transaction, and
    # SQLAlchemy's error wrapping and handling of a lost connection).
    session.flush()
    session.connection().exec_driver_sql(prepared.sql, params)


def _parameters(prepared: _Prepared, rows: Sequence[tuple[Any, ...]]) -> Sequence[Any]:
    """Rows → driver parameters, column by column; only the few columns with a processor
    are converted."""
    if not prepared.convert and prepared.order is None and prepared.positional:
        return rows
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
    for i, process in prepared.convert:
        columns[i] = _converted(columns[i], process)
    if prepared.order is not None:
        columns = [columns[i] for i in prepared.order]
    if prepared.positional:
        return list(zip(*columns, strict=True))
    keys = prepared.keys
    return [dict(zip(keys, values, strict=True)) for values in zip(*columns, strict=True)]


_NOTHING = object()


def _converted(values: Sequence[Any], process: Callable[[Any], Any]) -> list[Any]:
    """`process` of every value; a value repeated from the row before is converted once (a
    batch repeats its `now` in every row)."""
    out = []
    last: Any = _NOTHING
    done = None
    for value in values:
        if value is not last:
            done = process(value)
            last = value
        out.append(done)
    return out


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
        for column in columns:
            fast = _sqlite_processor(dialect, table.c[column].type)
            if fast is not _KEEP:
                processors.pop(column, None)
                if fast is not None:
                    processors[column] = fast
    plain = set(keys) == set(columns) and len(keys) == len(columns)
    order = tuple(columns.index(k) for k in keys) if plain else None
    prepared = _Prepared(
        statement=stmt,
        sql=str(compiled) if plain else None,
        keys=keys,
        order=None if order == tuple(range(len(columns))) else order,
        convert=tuple(
            (i, p) for i, c in enumerate(columns) if (p := processors.get(c)) is not None
        ),
        positional=positional,
    )
    _PREPARED[key] = prepared
    return prepared


_KEEP: Any = object()


def _sqlite_processor(dialect: Dialect, type_: Any) -> Any:
    """A faster processor giving exactly what SQLAlchemy's gives on SQLite (None: no
    conversion needed), or _KEEP for SQLAlchemy's own."""
    if isinstance(type_, Boolean):
        # sqlite3 stores a Python bool as the integer SQLAlchemy's processor would make of it.
        return None
    if type(type_) is Date:
        return sqlite_date
    serializer = getattr(dialect, "_json_serializer", None)
    if type(type_) is JSON and not type_.none_as_null and serializer is None:
        return sqlite_json
    return _KEEP


_SQLITE_DATE = sqlite.DATE()  # type: ignore[no-untyped-call]


def sqlite_date(value: Any) -> Any:
    """SQLite's DATE storage format, `%(year)04d-%(month)02d-%(day)02d`: `date.isoformat()`
    for a plain date (None and anything else go SQLAlchemy's way: a datetime's isoformat
    has a time)."""
    if type(value) is date:
        return value.isoformat()
    return _sqlite_date_processor(value)


_sqlite_date_processor: Callable[[Any], Any] = _SQLITE_DATE.bind_processor(sqlite.dialect())  # type: ignore[assignment]

# Encoded lists of ids (organization ids repeat on every paper and consultation).
_JSON_CACHE: dict[tuple[str, ...], str] = {}
_JSON_CACHE_MAX = 10_000


def sqlite_json(value: Any) -> str:
    """`json.dumps` (what SQLAlchemy's JSON type writes on SQLite, None as `null`),
    remembered for tuples and lists of strings."""
    kind = type(value)
    if (kind is not tuple and kind is not list) or not all(type(v) is str for v in value):
        return json.dumps(value)
    key = tuple(value)
    found = _JSON_CACHE.get(key)
    if found is None:
        found = json.dumps(value)
        if len(_JSON_CACHE) >= _JSON_CACHE_MAX:
            _JSON_CACHE.clear()
        _JSON_CACHE[key] = found
    return found


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


def bind_converter(session: Session, table: Table, column: str) -> Callable[[Any], Any]:
    """What `upsert` makes of a value of this column before the driver sees it: compared with
    what `rows_by_id` returns, it tells whether a stored value equals a new one."""
    dialect = session.get_bind().dialect
    type_ = table.c[column].type
    process: Any = _sqlite_processor(dialect, type_) if dialect.name == "sqlite" else _KEEP
    if process is _KEEP:
        process = type_.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else _same


def _same(value: Any) -> Any:
    return value


def rows_by_id(
    session: Session,
    table: Table,
    columns: Sequence[str],
    ids: Sequence[str],
    *,
    key: str = "id",
    typed: bool = False,
) -> list[Any]:
    """`SELECT columns FROM table WHERE key IN ids` as driver SQL, in batches: the values as
    the driver returns them (dates as stored, e.g. text on SQLite), or with `typed` as
    SQLAlchemy reads them (its result processors), as named tuples."""
    if not ids:
        return []
    if typed:
        raw = rows_by_id(session, table, columns, ids, key=key)
        return _typed(session, table, tuple(columns), raw)
    dialect = session.get_bind().dialect
    quote = dialect.identifier_preparer.quote
    select = f"SELECT {', '.join(map(quote, columns))} FROM {quote(table.name)} WHERE {quote(key)}"
    connection = session.connection()
    out: list[tuple[Any, ...]] = []
    if dialect.name == "postgresql":
        sql = f"{select} = ANY(%s)"
        for part in chunks(ids, 5000):
            out.extend(connection.exec_driver_sql(sql, (list(part),)).all())
        return out
    for part in chunks(ids):
        sql = f"{select} IN ({', '.join('?' * len(part))})"
        out.extend(connection.exec_driver_sql(sql, tuple(part)).all())
    return out


_ROW_TYPES: dict[tuple[str, Table, tuple[str, ...]], tuple[Any, tuple[Any, ...]]] = {}


def _typed(
    session: Session, table: Table, columns: tuple[str, ...], rows: list[Any]
) -> list[Any]:
    dialect = session.get_bind().dialect
    found = _ROW_TYPES.get((dialect.name, table, columns))
    if found is None:
        processors = tuple(
            table.c[c].type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
        )
        found = (namedtuple(f"{table.name}_row", columns), processors)  # noqa: PYI024
        _ROW_TYPES[(dialect.name, table, columns)] = found
    make: Any = found[0]
    processors = found[1]
    if not any(processors):
        return [make._make(r) for r in rows]
    return [
        make._make([v if p is None else p(v) for p, v in zip(processors, r, strict=True)])
        for r in rows
    ]
