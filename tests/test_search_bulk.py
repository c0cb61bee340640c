"""Issue 15: a first build of the search index on SQLite runs in bulk (FTS5 triggers stand
still, `search_fts` is rebuilt at the end; migration 0011, bot/store/search.py). What must hold:
search finds what was built, the triggers work again afterwards, and a bulk build interrupted
before its rebuild is finished by the next refresh."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select, text

from bot.store.db import make_engine, migrate, session_factory, transaction
from bot.store.marks import PENDING, put_mark
from bot.store.schema import PaperRow
from bot.store.search import BULK_MARK, refresh_search_index, reindex_papers, search

NOW = datetime(2025, 1, 10, 8, 0, tzinfo=UTC)


def _papers(factory: object, names: dict[str, str]) -> None:
    with transaction(factory) as session:  # type: ignore[arg-type]
        for i, (pid, name) in enumerate(names.items()):
            session.merge(
                PaperRow(
                    id=pid,
                    source="rvr",
                    reference=f"14/40{i:02d}",
                    ref_norm=f"14/40{i:02d}",
                    name=name,
                    paper_type="Anfrage",
                    date=date(2024, 3, 1 + i),
                    first_seen_at=NOW,
                    updated_at=datetime.now(UTC),
                )
            )


def _mark_rows(factory: object) -> int:
    with factory() as session:  # type: ignore[operator]
        return int(
            session.scalar(
                text("SELECT count(*) FROM poll_marks WHERE name = :n"), {"n": BULK_MARK}
            )
        )


def test_first_build_in_bulk_then_triggers_again(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    factory = session_factory(engine)
    try:
        _papers(factory, {"p1": "Radverkehr am Rhein", "p2": "Schulbau in Essen"})
        assert refresh_search_index(factory, now=NOW) == 2
        assert _mark_rows(factory) == 0
        with factory() as session:
            assert search(session, "Radverkehr") == ["p1"]
            assert search(session, "Schulbau") == ["p2"]
        # Afterwards every change goes through the triggers as before.
        _papers(factory, {"p1": "Busverkehr am Rhein", "p2": "Schulbau in Essen"})
        _papers(factory, {"p3": "Radwege im Ruhrgebiet"})
        refresh_search_index(factory, now=datetime.now(UTC))
        with factory() as session:
            assert search(session, "Busverkehr") == ["p1"]
            assert search(session, "Radverkehr") == []
            assert search(session, "Radwege") == ["p3"]
            check = session.execute(
                text("INSERT INTO search_fts(search_fts) VALUES('integrity-check')")
            )
            assert check is not None
    finally:
        engine.dispose()


def test_a_bulk_build_cut_off_before_its_rebuild_is_finished_next_time(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    factory = session_factory(engine)
    try:
        _papers(factory, {"p1": "Radverkehr am Rhein", "p2": "Schulbau in Essen"})
        # A build that stored its rows and died before the rebuild: the mark is still there.
        with transaction(factory) as session:
            put_mark(session, BULK_MARK, PENDING, NOW)
        with transaction(factory) as session:
            reindex_papers(session, ["p1", "p2"], now=NOW)
        with factory() as session:
            assert search(session, "Radverkehr") == []  # not in the FTS index yet
        _papers(factory, {"p1": "Busverkehr am Rhein"})  # changed meanwhile
        refresh_search_index(factory, now=datetime.now(UTC))
        assert _mark_rows(factory) == 0
        with factory() as session:
            assert search(session, "Busverkehr") == ["p1"]
            assert search(session, "Schulbau") == ["p2"]
            assert search(session, "Radverkehr") == []
            session.execute(text("INSERT INTO search_fts(search_fts) VALUES('integrity-check')"))
    finally:
        engine.dispose()


def test_rows_read_through_the_driver_use_the_documents_main_file_rule(db_url: str) -> None:
    """The index reads papers and files as plain driver rows: the document is still the one
    bot.store.documents.main_file names (mainFile, else the first auxiliary file by position),
    and a second pass over unchanged papers rewrites nothing. SQLite and PostgreSQL."""
    from bot.store.documents import main_file
    from bot.store.schema import FileRow
    from bot.store.search import search_documents

    engine = make_engine(db_url)
    migrate(engine)
    factory = session_factory(engine)
    layouts = {
        "p1": [("p1-main", "main", 0), ("p1-a", "aux", 1), ("p1-b", "aux", 2)],
        "p2": [("p2-c", "aux", 2), ("p2-a", "aux", 0), ("p2-b", "aux", 1)],
        "p3": [],
        "p4": [("p4-b", "aux", 3), ("p4-main", "main", 4)],
    }
    try:
        _papers(factory, {pid: f"Anfrage {pid}" for pid in layouts})
        with transaction(factory) as session:
            for pid, files in layouts.items():
                for fid, role, position in files:
                    session.add(
                        FileRow(
                            id=fid,
                            paper_id=pid,
                            role=role,
                            position=position,
                            text=f"Volltext {fid.replace('-', '')}",
                            version_key=fid,
                        )
                    )
        assert refresh_search_index(factory, now=NOW) == 4
        with factory() as session:
            bodies = dict(
                session.execute(
                    select(search_documents.c.paper_id, search_documents.c.body)
                ).all()
            )
            for pid in layouts:
                file = main_file(session, pid)
                expected = f"Volltext {file.id.replace('-', '')}" if file else None
                assert (expected or "") in bodies[pid]
                for fid, _, _ in layouts[pid]:
                    if file is None or fid != file.id:
                        assert f"Volltext {fid.replace('-', '')}" not in bodies[pid]
            firsts = [main_file(session, p) for p in ("p1", "p2", "p4")]
            assert [f.id for f in firsts if f] == ["p1-main", "p2-a", "p4-main"]
        with transaction(factory) as session:
            assert reindex_papers(session, list(layouts), now=NOW) == 0
    finally:
        engine.dispose()
