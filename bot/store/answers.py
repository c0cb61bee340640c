"""What finding the administration's answers reads from the store (jobs/answers.py matches).

Only the columns the rules read: this runs after every poll that changed something. The open
Anfragen come first (indexed), then the other papers are streamed in batches, so the caller can
keep only those that could answer one and memory stays flat in the number of papers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from bot.store.batches import chunks
from bot.store.documents import MAIN_FIRST
from bot.store.schema import AnswerLink, FileRow, PaperRow


class PaperFacts(NamedTuple):
    """A paper as the answer rules see it. A named tuple, not a dataclass: one is built for
    every paper of a council after each poll, and a tuple is built several times faster."""

    id: str
    source: str
    reference: str | None
    name: str | None
    paper_type: str | None
    date: date | None
    web: str | None
    is_anfrage: bool
    is_answer: bool
    related: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileFacts:
    id: str
    paper_id: str
    role: str
    name: str | None
    url: str | None
    position: int


_FACT_COLUMNS = (
    PaperRow.id,
    PaperRow.source,
    PaperRow.ref_norm,
    PaperRow.name,
    PaperRow.paper_type,
    PaperRow.date,
    PaperRow.web,
    PaperRow.is_anfrage,
    PaperRow.is_answer,
    PaperRow.related_paper_ids,
)


def _facts(p: Row[Any]) -> PaperFacts:
    related = p.related_paper_ids
    return PaperFacts(
        p.id,
        p.source,
        p.ref_norm,
        p.name,
        p.paper_type,
        p.date,
        p.web,
        bool(p.is_anfrage),
        bool(p.is_answer),
        tuple(map(str, related)) if related else (),
    )


def unanswered_anfragen(session: Session) -> list[PaperFacts]:
    """Every live Anfrage without a recorded answer link."""
    linked = set(session.scalars(select(AnswerLink.anfrage_id)).all())
    rows = session.execute(
        select(*_FACT_COLUMNS).where(PaperRow.deleted.is_(False), PaperRow.is_anfrage)
    )
    return [_facts(p) for p in rows if p.id not in linked]


def answer_paper_ids(session: Session) -> set[str]:
    """Papers already recorded as some Anfrage's answer (each answers one Anfrage only)."""
    return {i for i in session.scalars(select(AnswerLink.answer_paper_id)).all() if i is not None}


def other_papers(session: Session) -> Iterator[PaperFacts]:
    """Every live paper that is not an Anfrage, streamed in batches: consume it inside the
    session."""
    rows = session.execute(
        select(*_FACT_COLUMNS).where(PaperRow.deleted.is_(False), PaperRow.is_anfrage.is_(False)),
        execution_options={"yield_per": 2000},
    )
    for p in rows:
        yield _facts(p)


def own_files(session: Session, paper_ids: Sequence[str]) -> dict[str, list[FileFacts]]:
    """The files of each paper (an answer may be a later file on the Anfrage's own paper),
    the paper's own document first (the one main-file rule, `documents.MAIN_FIRST`)."""
    files: dict[str, list[FileFacts]] = {}
    for part in chunks(list(paper_ids)):
        query = select(FileRow).where(FileRow.paper_id.in_(part))
        for f in session.scalars(query.order_by(FileRow.paper_id, *MAIN_FIRST)):
            files.setdefault(f.paper_id, []).append(
                FileFacts(
                    f.id, f.paper_id, f.role, f.name, f.access_url or f.download_url, f.position
                )
            )
    return files
