"""Read model of `anfragebot status`: counts, parked deliveries and documents in quarantine.

bot/status.py only formats what these return (sources, delivery counts and the feed's
quarantine come from bot/store/overview.py and bot/store/quarantine.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.store.kinds import State
from bot.store.schema import Delivery, DocumentRow, FileRow, PaperRow


@dataclass(frozen=True)
class PaperCounts:
    papers: int
    anfragen: int


def paper_counts(session: Session) -> PaperCounts:
    papers = session.scalar(select(func.count()).select_from(PaperRow)) or 0
    anfragen = (
        session.scalar(
            select(func.count()).select_from(PaperRow).where(PaperRow.is_anfrage.is_(True))
        )
        or 0
    )
    return PaperCounts(int(papers), int(anfragen))


@dataclass(frozen=True)
class ParkedDelivery:
    kind: str
    key: str
    channel: str
    last_error: str | None


def parked_deliveries(session: Session) -> list[ParkedDelivery]:
    """Deliveries Slack refused for good, oldest first (`anfragebot requeue` sends them again)."""
    rows = session.scalars(
        select(Delivery).where(Delivery.status == State.PARKED).order_by(Delivery.id)
    ).all()
    return [ParkedDelivery(d.kind, d.key, d.channel, d.last_error) for d in rows]


@dataclass(frozen=True)
class DocumentProblem:
    """A document in quarantine (refused, not downloaded, not read)."""

    paper_id: str
    reference: str | None
    problem: str | None  # refused | download | read; None: an error before migration 0006
    attempts: int
    next_attempt_at: datetime | None
    error: str | None
    where: str  # the file's URL, else its id


def document_problems(session: Session, limit: int) -> tuple[int, list[DocumentProblem]]:
    """(how many documents are in quarantine, the `limit` newest attempts among them)."""
    problem = or_(DocumentRow.problem.is_not(None), DocumentRow.status == "error")
    total = session.scalar(select(func.count()).select_from(DocumentRow).where(problem)) or 0
    if not total:
        return 0, []
    rows = session.execute(
        select(DocumentRow, PaperRow.reference, FileRow.access_url, FileRow.download_url)
        .outerjoin(PaperRow, PaperRow.id == DocumentRow.paper_id)
        .outerjoin(FileRow, FileRow.id == DocumentRow.file_id)
        .where(problem)
        .order_by(DocumentRow.read_at.desc(), DocumentRow.file_id)
        .limit(limit)
    ).all()
    return int(total), [
        DocumentProblem(
            paper_id=doc.paper_id,
            reference=reference,
            problem=doc.problem,
            attempts=doc.attempts,
            next_attempt_at=doc.next_attempt_at,
            error=doc.error,
            where=access_url or download_url or doc.file_id,
        )
        for doc, reference, access_url, download_url in rows
    ]
