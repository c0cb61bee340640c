"""The store's fast write path writes exactly what SQLAlchemy writes.

Dates, times and JSON lists are compared as SQL sees them (string comparisons in SQL depend on
the stored text), and whole rows written through `upsert_tuples` against rows written by
SQLAlchemy's own INSERT, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Date, DateTime, insert, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from bot.store.db import make_engine, migrate, session_factory, transaction
from bot.store.schema import ConsultationRow, PaperRow, UTCDateTime
from bot.store.upsert import bind_converter, rows_by_id, sqlite_date, sqlite_json, upsert_tuples

DIALECT = sqlite.dialect()
ZONES = [
    UTC,
    timezone(timedelta(hours=2)),
    timezone(timedelta(hours=-9, minutes=-30)),
    timezone(timedelta(hours=5, minutes=45, seconds=10, microseconds=7)),
    ZoneInfo("Europe/Berlin"),
    ZoneInfo("America/St_Johns"),
]


def _sqlalchemy_datetime(value: Any) -> Any:
    """What SQLAlchemy wrote before: the decorator's naive UTC, then SQLite's DATETIME text."""
    naive = UTCDateTime().process_bind_param(value, DIALECT)
    text = DateTime().dialect_impl(DIALECT).bind_processor(DIALECT)
    assert text is not None
    return text(naive)


def _datetimes() -> list[datetime]:
    rnd = random.Random(15)
    values = [
        datetime(2021, 9, 6, tzinfo=UTC),
        datetime(2021, 3, 28, 1, 59, 59, 999_999, tzinfo=ZoneInfo("Europe/Berlin")),
        datetime(2021, 10, 31, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Berlin")),
        datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2000, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),  # a day back in UTC
    ]
    for _ in range(5000):
        moment = datetime(1900, 1, 1, tzinfo=UTC) + timedelta(
            seconds=rnd.randrange(0, 200 * 365 * 86400),
            microseconds=rnd.choice([0, 0, rnd.randrange(1_000_000)]),
        )
        values.append(moment.astimezone(rnd.choice(ZONES)))
    return values


def test_datetime_text_is_sqlalchemys_byte_for_byte() -> None:
    fast = UTCDateTime().bind_processor(DIALECT)
    assert fast is not None
    values = _datetimes()
    assert [fast(v) for v in values] == [_sqlalchemy_datetime(v) for v in values]
    assert fast(None) is None
    assert fast(datetime(2021, 1, 2, 3, 4, 5, tzinfo=ZONES[1])) == "2021-01-02 01:04:05.000000"
    with pytest.raises(ValueError, match="naive datetime"):
        fast(datetime(2021, 1, 1))


def test_date_text_is_sqlalchemys_byte_for_byte() -> None:
    slow = Date().dialect_impl(DIALECT).bind_processor(DIALECT)
    assert slow is not None
    rnd = random.Random(4)
    values: list[Any] = [date(1, 1, 1), date(999, 2, 3), date(9999, 12, 31), None]
    values += [date.fromordinal(rnd.randrange(1, 3_652_059)) for _ in range(3000)]
    values += [datetime(2021, 5, 6, 7, 8, 9, 10)]  # a datetime: the date part only
    assert [sqlite_date(v) for v in values] == [slow(v) for v in values]
    assert sqlite_date(datetime(2021, 5, 6, 7, 8)) == "2021-05-06"


def test_json_is_json_dumps_and_the_cache_never_mixes_values_up() -> None:
    values: list[Any] = [
        None,
        (),
        [],
        ("a",),
        ["a"],
        ("ä", 'quote " and \\ back'),
        (1,),
        (True,),
        [1.0],
        ("1",),
        {"k": [1, None]},
        ["x", ["nested"]],
    ]
    for _ in range(2):  # the second round answers from the cache
        for v in values:
            assert sqlite_json(v) == json.dumps(v), v
    assert sqlite_json(None) == "null"  # JSON null, as SQLAlchemy writes it (not SQL NULL)


def _paper_row(i: int, rnd: random.Random) -> dict[str, Any]:
    zone = rnd.choice(ZONES)
    moment = datetime(2015, 1, 1, tzinfo=UTC) + timedelta(seconds=rnd.randrange(10**8))
    return {
        "id": f"https://ris.example/paper/{i}",
        "source": "s",
        "body_id": None if i % 3 else "https://ris.example/body/1",
        "reference": f"14/{i}",
        "ref_norm": f"14/{i}",
        "ref_compact": f"14{i}",
        "name": f"Anfrage Nr. {i} — Ölspur" if i % 5 else None,
        "paper_type": "Anfrage",
        "date": None if i % 7 == 0 else moment.date(),
        "web": None,
        "created": moment.astimezone(zone),
        "modified": None if i % 4 == 0 else (moment + timedelta(microseconds=i)).astimezone(zone),
        "deleted": i % 11 == 0,
        "originator_organization_ids": [f"o{i % 3}"] if i % 2 else [],
        "related_paper_ids": [],
        "is_anfrage": bool(i % 2),
        "is_answer": False,
        "faction": "SPD" if i % 2 else None,
        "under_direction_of": None,
        "announce_state": "pending" if i % 9 == 0 else None,
        "first_seen_at": datetime(2021, 9, 6, tzinfo=UTC),
        "updated_at": datetime(2021, 9, 6, tzinfo=UTC),
    }


def _dump(url: str, table: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        return conn.execute(f"SELECT rowid, * FROM {table} ORDER BY rowid").fetchall()


def test_upsert_tuples_stores_what_sqlalchemy_stores(tmp_path: Any) -> None:
    """The same rows through SQLAlchemy's INSERT and through the driver path (columns in
    another order than the table's, lists as tuples): the SQLite files hold the same values."""
    rnd = random.Random(7)
    rows = [_paper_row(i, rnd) for i in range(300)]
    urls = [f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"]
    factories = []
    for url in urls:
        engine = make_engine(url)
        migrate(engine)
        factories.append(session_factory(engine))
    with transaction(factories[0]) as session:
        session.execute(insert(PaperRow), rows)
    columns = tuple(reversed(rows[0]))
    as_tuples = [
        tuple(tuple(v) if isinstance(v, list) else v for v in (r[c] for c in columns)) for r in rows
    ]
    with transaction(factories[1]) as session:
        upsert_tuples(session, PaperRow.__table__, columns, as_tuples)  # type: ignore[arg-type]
    assert _dump(urls[0], "papers") == _dump(urls[1], "papers")
    assert len(_dump(urls[1], "papers")) == 300


def test_upsert_tuples_and_rows_by_id_on_both_databases(db_url: str) -> None:
    """Columns in any order, an update on conflict keeping `keep`, and the stored form of a
    time compared by `bind_converter`: on SQLite and on PostgreSQL."""
    engine = make_engine(db_url)
    migrate(engine)
    factory = session_factory(engine)
    table = ConsultationRow.__table__
    columns = ("position", "organization_ids", "id", "paper_id", "authoritative", "role")
    with transaction(factory) as session:
        upsert_tuples(session, table, columns, [(3, ("o1", "o2"), "c1", "p1", True, "x")])  # type: ignore[arg-type]
        upsert_tuples(
            session,
            table,  # type: ignore[arg-type]
            columns,
            [(4, (), "c1", "p2", None, "y"), (0, ("o1", "o2"), "c2", "p1", False, None)],
            keep=("role",),
        )
    with factory() as session:
        got = {
            c.id: (c.paper_id, c.organization_ids, c.role, c.authoritative, c.position)
            for c in session.scalars(select(ConsultationRow))
        }
    assert got == {
        "c1": ("p2", [], "x", None, 4),
        "c2": ("p1", ["o1", "o2"], None, False, 0),
    }
    moment = datetime(2021, 3, 4, 5, 6, 7, 891, tzinfo=ZoneInfo("Europe/Berlin"))
    row = _paper_row(1, random.Random(1)) | {"modified": moment}
    with transaction(factory) as session:
        session.execute(insert(PaperRow), [row])
    with factory() as session:
        _compare_stored(session, row["id"], moment)


def _compare_stored(session: Session, paper_id: str, moment: datetime) -> None:
    papers = PaperRow.__table__
    [(pid, stored, deleted)] = rows_by_id(
        session,
        papers,  # type: ignore[arg-type]
        ("id", "modified", "deleted"),
        [paper_id, "missing"],
    )
    convert = bind_converter(session, papers, "modified")  # type: ignore[arg-type]
    assert (pid, bool(deleted)) == (paper_id, False)
    assert stored == convert(moment.astimezone(UTC))  # the same instant, another zone
    assert stored != convert(moment + timedelta(microseconds=1))
