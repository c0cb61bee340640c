"""`/anfrage statistik`: punctuality per faction and per department, computed in SQL.

Counts, "answered within the deadline" and "overdue now" are GROUP BY aggregates on SQLite and
PostgreSQL alike. The median and the 90th percentile of the days to answer are taken from the
day counts per group, which the database returns sorted (one small integer per answered
Anfrage: no paper objects are loaded), because SQLite has no percentile function.

Days to answer = `answer_links.answered_on` − `papers.date` (calendar days). The deadline of a
paper is `[deadlines.paper_types]` for its type (exact name, ASCII case ignored), else
`[deadlines] answer_days`; 0 = none.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Date, Integer, and_, case, cast, func, literal, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from bot.config import DeadlinesConfig
from bot.deadlines import deadline_days
from bot.store.schema import AnswerLink, OrganizationRow, PaperRow


@dataclass(frozen=True)
class StatsFilter:
    faction: str | None = None
    department: str | None = None
    since: date | None = None


@dataclass(frozen=True)
class GroupStats:
    name: str | None  # None: the feed does not say
    anfragen: int
    answered: int
    median_days: float | None
    p90_days: int | None
    within: int  # answered within the deadline
    with_deadline: int  # answered Anfragen that had a deadline
    open: int
    overdue: int

    @property
    def within_share(self) -> float | None:
        return self.within / self.with_deadline if self.with_deadline else None


@dataclass(frozen=True)
class Statistics:
    factions: list[GroupStats]
    departments: list[GroupStats]
    total: int


def _days_between(later: Any, earlier: Any, dialect: str) -> ColumnElement[int]:
    if dialect == "postgresql":
        return cast(later - earlier, Integer)
    return cast(func.julianday(later) - func.julianday(earlier), Integer)


def _deadline(session: Session, deadlines: DeadlinesConfig) -> ColumnElement[int]:
    """Each paper's deadline in days. Which stored type gets which deadline is decided by
    `deadline_days` (Unicode casefold; SQLite's lower() folds ASCII only), once per type."""
    default = literal(deadlines.answer_days, Integer)
    if not deadlines.paper_types:
        return default
    types = session.scalars(
        select(PaperRow.paper_type)
        .where(PaperRow.is_anfrage, PaperRow.paper_type.is_not(None))
        .distinct()
    ).all()
    special = {
        t: deadline_days(t, deadlines)
        for t in types
        if deadline_days(t, deadlines) != deadlines.answer_days
    }
    return case(special, value=PaperRow.paper_type, else_=default) if special else default


def percentile(ordered: Sequence[int], p: float) -> int | None:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    if not ordered:
        return None
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def median(ordered: Sequence[int]) -> float | None:
    n = len(ordered)
    if not n:
        return None
    mid = n // 2
    return float(ordered[mid]) if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def statistics(
    session: Session,
    *,
    today: date,
    deadlines: DeadlinesConfig,
    where: StatsFilter = StatsFilter(),
) -> Statistics:
    dialect = session.get_bind().dialect.name
    dept = aliased(OrganizationRow)
    answered = AnswerLink.anfrage_id.is_not(None)
    deadline = _deadline(session, deadlines)
    days = _days_between(AnswerLink.answered_on, PaperRow.date, dialect)
    age = _days_between(literal(today, Date), PaperRow.date, dialect)
    conditions: list[ColumnElement[bool]] = [
        PaperRow.is_anfrage.is_(True),
        PaperRow.deleted.is_(False),
    ]
    if where.since:
        conditions.append(PaperRow.date >= where.since)
    if where.faction:
        conditions.append(PaperRow.faction.ilike(f"%{_like(where.faction)}%", escape="\\"))
    if where.department:
        conditions.append(dept.name.ilike(f"%{_like(where.department)}%", escape="\\"))

    def base(*columns: Any) -> Any:
        return (
            select(*columns)
            .select_from(PaperRow)
            .outerjoin(AnswerLink, AnswerLink.anfrage_id == PaperRow.id)
            .outerjoin(dept, dept.id == PaperRow.under_direction_of)
            .where(*conditions)
        )

    has_deadline = and_(deadline > 0, PaperRow.date.is_not(None))
    aggregates = (
        func.count(),
        func.count(AnswerLink.anfrage_id),
        func.sum(case((and_(answered, has_deadline, days <= deadline), 1), else_=0)),
        func.sum(
            case((and_(answered, has_deadline, AnswerLink.answered_on.is_not(None)), 1), else_=0)
        ),
        func.sum(case((answered, 0), else_=1)),
        func.sum(case((and_(~answered, has_deadline, age > deadline), 1), else_=0)),
    )
    answered_days = and_(answered, AnswerLink.answered_on.is_not(None), PaperRow.date.is_not(None))

    def grouped(key: Any) -> list[GroupStats]:
        counts = session.execute(base(key, *aggregates).group_by(key)).all()
        spread: dict[Any, list[int]] = {}
        ordered = session.execute(base(key, days).where(answered_days).order_by(key, days)).all()
        for group, n in ordered:
            spread.setdefault(group, []).append(int(n))
        out = []
        for group, n, done, within, with_deadline, still_open, late in counts:
            values = spread.get(group, [])
            out.append(
                GroupStats(
                    name=group,
                    anfragen=int(n),
                    answered=int(done),
                    median_days=median(values),
                    p90_days=percentile(values, 90),
                    within=int(within or 0),
                    with_deadline=int(with_deadline or 0),
                    open=int(still_open or 0),
                    overdue=int(late or 0),
                )
            )
        out.sort(key=lambda g: (-g.anfragen, g.name or "\uffff"))
        return out

    factions = grouped(PaperRow.faction)
    departments = grouped(dept.name)
    return Statistics(factions, departments, sum(g.anfragen for g in factions))


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
