"""Full-text search over papers: subject, questions and document text.

One row per paper in `search_documents` (created by migration 0002), indexed per dialect:
SQLite FTS5 (external content, kept in sync by triggers; German inflection approximated by
prefix matching on lightly stemmed terms) or PostgreSQL `to_tsvector('german', …)` with a GIN
index (real German stemming).

`reindex_papers(session, ids)` rebuilds the rows of some papers; `refresh_search_index(factory,
now)` finds every paper changed (or whose document was read) since it was last indexed and
reindexes it, in batches. The poll calls the latter after reading documents. Rows are only
rewritten when their content changed, because more! rubin marks every paper as modified daily.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    delete,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from bot.store.db import transaction
from bot.store.marks import PENDING, mark_value, put_mark
from bot.store.schema import DocumentRow, FileRow, PaperRow, PollMark, UTCDateTime
from bot.store.upsert import insert_rows, rows_by_id

# The table lives outside `Base.metadata`: its full-text parts are dialect specific SQL that
# only the migration knows how to create.
metadata = MetaData()
search_documents = Table(
    "search_documents",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("paper_id", String(1000), nullable=False, unique=True),
    Column("source", String(100), nullable=False),
    Column("date", Date),
    Column("reference", Text),
    Column("ref_term", Integer),
    Column("ref_number", Integer),
    Column("subject", Text),
    Column("body", Text),
    Column("content_hash", String(64), nullable=False),
    Column("indexed_at", UTCDateTime(), nullable=False),
)

# PostgreSQL refuses tsvectors over 1 MB; the first pages of a document carry the questions.
MAX_BODY_CHARS = 200_000
# A subject is a line or two; a hostile 5 MB "name" must not fail the index (the paper keeps
# its full name in `papers.name`).
MAX_SUBJECT_CHARS = 2_000
BATCH = 500
_REF = re.compile(r"^(\d{1,4})/(\d{1,7})$")
_WORD = re.compile(r"\w+", re.UNICODE)
# Common German inflection endings, longest first. Stripped from SQLite query terms, which are
# then matched as prefixes: `Radwegen` → `radweg*` finds Radweg, Radwege, Radwegenetz.
_ENDINGS = ("ern", "en", "er", "es", "em", "e", "n", "s")
MAX_QUERY_TERMS = 8
# Row id = day ordinal << DAY_SHIFT | arrival number that day (up to a million papers a day).
DAY_SHIFT = 20


def split_reference(ref_norm: str | None) -> tuple[int | None, int | None]:
    """`14/1923` → (14, 1923): Wahlperiode and running number; other forms → (None, None)."""
    m = _REF.match(ref_norm or "")
    if not m:
        return None, None
    return int(m.group(1)), int(m.group(2))


# What the index reads of a paper and of its document file: plain rows through the driver, not
# ORM objects nor SQLAlchemy statements (a first sync indexes every paper; building ORM objects
# was a third of that, compiling `IN (...)` statements another sixth).
_PAPERS: Table = PaperRow.__table__  # type: ignore[assignment]
_FILES: Table = FileRow.__table__  # type: ignore[assignment]
_PAPER_FIELDS = (
    "id",
    "source",
    "date",
    "ref_norm",
    "reference",
    "name",
    "paper_type",
    "faction",
    "deleted",
)


def _main_files(session: Session, paper_ids: Sequence[str]) -> dict[str, Any]:
    """The document of each paper by the rule of bot.store.documents.main_files (MAIN_FIRST:
    role descending, "main" before "aux", then position; the first in the feed's order)."""
    rows = rows_by_id(
        session,
        _FILES,
        ("paper_id", "id", "text", "role", "position"),
        paper_ids,
        key="paper_id",
        typed=True,
    )
    rows.sort(key=lambda r: (r.paper_id, r.position))
    rows.sort(key=lambda r: (r.paper_id, r.role), reverse=True)  # stable: positions stay ordered
    out: dict[str, Any] = {}
    for row in rows:
        out.setdefault(row.paper_id, row)
    return out


def _any_document(session: Session) -> bool:
    """False before the first document was read (a first sync): no look-up per batch then."""
    return session.scalar(select(DocumentRow.file_id).limit(1)) is not None


def _questions_text(parsed: dict[str, Any] | None) -> str:
    if not parsed:
        return ""
    lines = []
    for q in parsed.get("questions") or []:
        if isinstance(q, dict):
            lines.append(str(q.get("text") or ""))
            lines.extend(str(i) for i in q.get("items") or ())
    return "\n".join(lines)


def _content(paper: Any, file: Any | None, doc: DocumentRow | None) -> dict[str, Any]:
    """`paper` and `file`: rows with the columns of _PAPER_COLUMNS and _FILE_COLUMNS."""
    parsed = doc.parsed if doc is not None and doc.status == "ok" else None
    document_text = (doc.text if doc is not None else None) or (file.text if file else None) or ""
    body = "\n".join(
        part
        for part in (
            paper.paper_type or "",
            paper.faction or "",
            _questions_text(parsed),
            document_text,
        )
        if part
    )[:MAX_BODY_CHARS]
    term, number = split_reference(paper.ref_norm)
    values: dict[str, Any] = {
        "paper_id": paper.id,
        "source": paper.source,
        "date": paper.date,
        "reference": paper.ref_norm or paper.reference,
        "ref_term": term,
        "ref_number": number,
        "subject": (paper.name or "")[:MAX_SUBJECT_CHARS].replace("\x00", "") or None,
        # NUL bytes are legal in Python strings but not in PostgreSQL text.
        "body": body.replace("\x00", ""),
    }
    digest = hashlib.sha256(repr(sorted(values.items())).encode()).hexdigest()
    values["content_hash"] = digest
    return values


def reindex_papers(
    session: Session,
    paper_ids: Iterable[str],
    *,
    now: datetime | None = None,
    next_ids: dict[int, int] | None = None,
) -> int:
    """Bring the search rows of these papers up to date (deleted or missing papers are removed).

    Returns how many rows were written or removed. Runs in the caller's transaction.
    `next_ids`: row ids already handed out per day, kept by a caller that reindexes many
    batches in a row (saves one `max(id)` query per day and batch).
    """
    moment = now or datetime.now(UTC)
    ids = list(dict.fromkeys(paper_ids))
    written = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        papers = {p.id: p for p in rows_by_id(session, _PAPERS, _PAPER_FIELDS, chunk, typed=True)}
        files = _main_files(session, chunk)
        docs = (
            {
                d.file_id: d
                for d in session.scalars(
                    select(DocumentRow).where(
                        DocumentRow.file_id.in_([f.id for f in files.values()])
                    )
                )
            }
            if files and _any_document(session)
            else {}
        )
        existing = {
            row.paper_id: (row.content_hash, row.date)
            for row in rows_by_id(
                session,
                search_documents,
                ("paper_id", "content_hash", "date"),
                chunk,
                key="paper_id",
                typed=True,
            )
        }
        moved = [
            pid
            for pid, (_, day) in existing.items()
            if pid in papers and not papers[pid].deleted and papers[pid].date != day
        ]
        gone = [i for i in chunk if i in existing and (i not in papers or papers[i].deleted)]
        if gone or moved:
            # A changed date changes the row id (ids sort by date): delete, then insert anew.
            session.execute(
                delete(search_documents).where(search_documents.c.paper_id.in_(gone + moved))
            )
            written += len(gone)
        new_rows = []
        touched = []
        for paper_id, paper in papers.items():
            if paper.deleted:
                continue
            file = files.get(paper_id)
            values = _content(paper, file, docs.get(file.id) if file else None)
            values["indexed_at"] = moment
            if paper_id not in existing or paper_id in moved:
                new_rows.append(values)
            elif existing[paper_id][0] != values["content_hash"]:
                session.execute(
                    update(search_documents)
                    .where(search_documents.c.paper_id == paper_id)
                    .values(**{k: v for k, v in values.items() if k != "paper_id"})
                )
                written += 1
            else:
                touched.append(paper_id)
        if new_rows:
            _assign_ids(session, new_rows, next_ids)
            # FTS5 flushes its pending terms whenever a rowid is not above the last one
            # written: in rowid order a batch is one flush, not one per row.
            new_rows.sort(key=lambda row: int(row["id"]))
            insert_rows(session, search_documents, new_rows)
            written += len(new_rows)
        if touched:
            session.execute(
                update(search_documents)
                .where(search_documents.c.paper_id.in_(touched))
                .values(indexed_at=moment)
            )
    return written


def _day_key(day: date | None) -> int:
    return (day.toordinal() if day else 1) << DAY_SHIFT


def _assign_ids(
    session: Session, rows: list[dict[str, Any]], next_low: dict[int, int] | None = None
) -> None:
    """Row ids that sort like (date, arrival): `ORDER BY id DESC` is "newest first", which
    FTS5 and a backwards primary-key scan answer without sorting all matches."""
    if next_low is None:
        next_low = {}
    for row in rows:
        key = _day_key(row["date"])
        if key not in next_low:
            top = session.scalar(
                select(func.max(search_documents.c.id)).where(
                    search_documents.c.id >= key, search_documents.c.id < key + (1 << DAY_SHIFT)
                )
            )
            next_low[key] = (int(top) - key + 1) if top is not None else 0
        row["id"] = key + next_low[key]
        next_low[key] += 1


def stale_paper_ids(session: Session, limit: int, *, after: str | None = None) -> list[str]:
    """Papers not indexed yet, changed since, deleted since, or whose document was read since.

    `after`: only papers whose id sorts after it (in id order), so a caller walking the table
    in batches continues where it stopped instead of scanning the indexed part again; the
    papers whose document was read come once that walk is through (`after` is None)."""
    s = search_documents
    changed = (
        select(PaperRow.id)
        .outerjoin(s, s.c.paper_id == PaperRow.id)
        .where(
            or_(
                and_(s.c.id.is_(None), PaperRow.deleted.is_(False)),
                and_(
                    s.c.id.is_not(None),
                    or_(PaperRow.deleted.is_(True), PaperRow.updated_at > s.c.indexed_at),
                ),
            )
        )
        .order_by(PaperRow.id)
        .limit(limit)
    )
    if after is not None:
        changed = changed.where(PaperRow.id > after)
    ids = list(session.scalars(changed).all())
    if len(ids) < limit and after is None:
        read = (
            select(DocumentRow.paper_id)
            .join(s, s.c.paper_id == DocumentRow.paper_id)
            .where(DocumentRow.read_at > s.c.indexed_at)
            .limit(limit - len(ids))
        )
        ids += [i for i in session.scalars(read).all() if i not in ids]
    return ids


def refresh_search_index(
    factory: sessionmaker[Session], *, now: datetime, batch: int = 2000
) -> int:
    """Reindex every stale paper, one transaction per batch; returns rows written.

    First a walk through the papers in id order (each batch continues after the last id of
    the one before: linear, not one scan of the whole table per batch), then whatever is still
    stale (documents read) until nothing is. A first build on SQLite runs in bulk (below)."""
    bulk = _begin_bulk(factory, now)
    total = _refresh(factory, now=now, batch=batch)
    if bulk:
        _end_bulk(factory)
    return total


# While this poll mark exists, the FTS5 triggers stand still (migration 0011).
BULK_MARK = "search_bulk"


def _begin_bulk(factory: sessionmaker[Session], now: datetime) -> bool:
    """SQLite, empty index (a first build) or a bulk build left unfinished: rows are inserted
    without the FTS5 triggers and `search_fts` is rebuilt from them at the end, in one
    statement (about three times cheaper than a trigger insert per row). The mark is committed
    before the first row, so a build interrupted anywhere is finished by the next refresh."""
    with transaction(factory) as session:
        if session.get_bind().dialect.name != "sqlite":
            return False
        if mark_value(session, BULK_MARK) is not None:
            return True
        empty = session.scalar(select(search_documents.c.id).limit(1)) is None
        if not empty:
            return False
        put_mark(session, BULK_MARK, PENDING, now)
        return True


def _end_bulk(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        session.execute(text("INSERT INTO search_fts(search_fts) VALUES('rebuild')"))
        session.execute(delete(PollMark).where(PollMark.name == BULK_MARK))


def _refresh(factory: sessionmaker[Session], *, now: datetime, batch: int) -> int:
    total = 0
    seen: set[str] = set()
    next_ids: dict[int, int] = {}
    cursor = ""  # every id sorts after ""
    while True:
        with transaction(factory) as session:
            found = stale_paper_ids(session, batch, after=cursor)
            if not found:
                break
            cursor = found[-1]
            # No `seen` here: the cursor never returns, and a set of every id would grow
            # with the table on a first sync.
            total += reindex_papers(session, found, now=now, next_ids=next_ids)
    while True:
        with transaction(factory) as session:
            ids = [i for i in stale_paper_ids(session, batch) if i not in seen]
            if not ids:
                return total
            seen.update(ids)
            total += reindex_papers(session, ids, now=now, next_ids=next_ids)


# -- queries -------------------------------------------------------------------------------


def _stem(word: str) -> str:
    word = word.casefold()
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[: -len(ending)]
    return word


def fts5_query(text_: str) -> str | None:
    """User text → a safe FTS5 expression: every word required, as a quoted prefix."""
    words = _WORD.findall(text_)[:MAX_QUERY_TERMS]
    terms = [_stem(w).replace('"', "") for w in words]
    terms = [t for t in terms if t]
    if not terms:
        return None
    return " ".join(f'"{t}"*' for t in terms)


def search(session: Session, query: str, *, limit: int = 10) -> list[str]:
    """Paper ids matching every word of `query`, newest first."""
    s = search_documents
    if session.get_bind().dialect.name == "postgresql":
        words = " ".join(_WORD.findall(query)[:MAX_QUERY_TERMS])
        if not words:
            return []
        stmt = (
            select(s.c.paper_id)
            .where(text("search_documents.tsv @@ plainto_tsquery('german', :q)"))
            .order_by(s.c.id.desc())
            .limit(limit)
        )
        return list(session.scalars(stmt, {"q": words}).all())
    expr = fts5_query(query)
    if expr is None:
        return []
    # FTS5 walks its index backwards by rowid (= date order) and stops after `limit` hits.
    rowids = list(
        session.scalars(
            text(
                "SELECT rowid FROM search_fts WHERE search_fts MATCH :q"
                " ORDER BY rowid DESC LIMIT :n"
            ),
            {"q": expr, "n": limit},
        ).all()
    )
    if not rowids:
        return []
    by_id = dict(session.execute(select(s.c.id, s.c.paper_id).where(s.c.id.in_(rowids))).all())
    return [by_id[r] for r in rowids if r in by_id]


def current_term(session: Session) -> int | None:
    """The highest Wahlperiode among stored `NN/NNNN` references (index lookup)."""
    value = session.scalar(select(func.max(search_documents.c.ref_term)))
    return int(value) if value is not None else None


def papers_by_number(session: Session, term: int, number: int) -> list[str]:
    s = search_documents
    return list(
        session.scalars(
            select(s.c.paper_id).where(s.c.ref_term == term, s.c.ref_number == number).limit(20)
        ).all()
    )


def nearby_references(
    session: Session, term: int, number: int, span: int = 200
) -> list[tuple[str, str]]:
    """(reference, paper id) of papers numbered near `term/number`, for "did you mean"."""
    s = search_documents
    rows = session.execute(
        select(s.c.reference, s.c.paper_id)
        .where(s.c.ref_term == term, s.c.ref_number.between(number - span, number + span))
        .limit(2 * span + 1)
    ).all()
    return [(str(r), str(p)) for r, p in rows if r]
