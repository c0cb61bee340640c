"""Bulk `INSERT ... ON CONFLICT DO UPDATE` for SQLite and PostgreSQL: one statement per page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

# SQLite allows 32,766 bound parameters per statement; stay well below for wide tables.
_CHUNK_PARAMS = 30_000


def upsert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    keep: Sequence[str] = (),
) -> None:
    """Insert rows, updating every column on conflict except the key and `keep` columns."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    keys = [c.name for c in table.primary_key.columns]
    columns = list(rows[0].keys())
    per_chunk = max(1, _CHUNK_PARAMS // max(1, len(columns)))
    for start in range(0, len(rows), per_chunk):
        stmt = insert(table).values(list(rows[start : start + per_chunk]))
        update = {c: stmt.excluded[c] for c in columns if c not in keys and c not in keep}
        if update:
            stmt = stmt.on_conflict_do_update(index_elements=keys, set_=update)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=keys)
        session.execute(stmt)
