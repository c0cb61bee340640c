"""One line per event, built at send time from what the store says then: the body of a thread
reply (bot/outbox/threads.py) and of a direct message (bot/outbox/dms.py).

Every function returns escaped mrkdwn, or None when the store no longer says so (the meeting
moved again, the Anfrage was answered meanwhile): the row is then dropped, not sent.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.deadlines import overdue_days
from bot.outbox.events import iso
from bot.outbox.kinds import EventType
from bot.slack import lifecycle_blocks as lb
from bot.slack import texts
from bot.slack.blocks import fmt_date
from bot.slack.escape import Mrkdwn, fill, link, ours
from bot.store.events import EventPaper, interim_brief, is_answered
from bot.store.lifecycle import Appearance, appearances


def appearance_on(session: Session, paper_id: str, meeting_id: object) -> Appearance | None:
    """The paper's appearance on that meeting, as stored now."""
    found = appearances(session, [paper_id]).get(paper_id, [])
    return next((a for a in found if a.meeting_id == meeting_id), None)


def meeting_line(
    kind: object, payload: dict[str, Any], app: Appearance | None, tz: ZoneInfo
) -> Mrkdwn | None:
    """On the agenda (or moved), cancelled, or discussed with a result."""
    if app is None:
        return None
    if kind == EventType.CANCELLED:
        if not (app.cancelled or app.deleted):
            return None
        return lb.cancelled_line(
            app.committee, app.start, tz, deleted=app.deleted and not app.cancelled
        )
    if app.cancelled or app.deleted or app.start is None:
        return None
    if kind == EventType.AGENDA:
        if iso(app.start) != payload.get("start"):
            return None
        return lb.agenda_line(
            app.committee, app.start, app.top, tz, moved=bool(payload.get("moved_from"))
        )
    if kind == EventType.RESULT and app.result:
        return lb.result_line(app.committee, app.start, app.top, app.result, tz)
    return None


def deleted_line(paper: EventPaper) -> Mrkdwn | None:
    return ours(texts.EVENT_DELETED) if paper.deleted else None


def overdue_line(
    session: Session, paper: EventPaper, payload: dict[str, Any], today: date
) -> Mrkdwn | None:
    """Nothing when answered, deleted, or (a clock moved back) not overdue."""
    if paper.deleted or is_answered(session, paper.id):
        return None
    try:
        due = date.fromisoformat(str(payload.get("due")))
    except ValueError:
        return None
    late = overdue_days(due, today)
    if not late:
        return None
    return fill(texts.EVENT_OVERDUE, date=fmt_date(due), days=_days(late))


def _days(n: int) -> Mrkdwn:
    return ours(texts.OVERDUE_DAY) if n == 1 else fill(texts.OVERDUE_DAYS, n=n)


def interim_line(session: Session, payload: dict[str, Any], today: date) -> Mrkdwn | None:
    found = interim_brief(session, payload)
    if found is None:
        return None
    return fill(
        texts.EVENT_INTERIM,
        date=fmt_date(found.day or today),
        link=link(found.url, ours(texts.EVENT_INTERIM_LABEL)),
    )
