"""Answer deadlines (`[deadlines]`). Pure functions: dates in, dates and day counts out."""

from __future__ import annotations

from datetime import date, timedelta

from bot.config import DeadlinesConfig


def deadline_days(paper_type: str | None, config: DeadlinesConfig) -> int:
    """Calendar days for this kind of paper: the per-type override (exact name, any case),
    else `answer_days`. 0 = no deadline."""
    if paper_type:
        wanted = paper_type.strip().casefold()
        for kind, days in config.paper_types:
            if kind.strip().casefold() == wanted:
                return days
    return config.answer_days


def answer_due(
    filed_on: date | None, paper_type: str | None, config: DeadlinesConfig
) -> date | None:
    """The day the answer is due: the Anfrage's date plus the deadline, or None."""
    days = deadline_days(paper_type, config)
    if not days or filed_on is None:
        return None
    return filed_on + timedelta(days=days)


def overdue_days(due: date | None, today: date) -> int:
    """Days past the deadline (0 while not overdue). Due on the 20th: overdue from the 21st."""
    if due is None:
        return 0
    return max(0, (today - due).days)


def within(answered_on: date | None, due: date | None) -> bool | None:
    """Answered on or before the due day? None when there is no deadline or no answer date."""
    if answered_on is None or due is None:
        return None
    return answered_on <= due
