"""Thread replies under an announcement and edits of the announcement itself (kinds `event` and
`update`, queued by bot/outbox/events.py and overdue.py), rendered at send time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.deadlines import answer_due
from bot.faction import NOBODY, Perspective, decorate
from bot.outbox.kinds import EventType, State
from bot.outbox.lines import (
    appearance_on,
    deleted_line,
    interim_line,
    meeting_line,
    overdue_line,
)
from bot.outbox.message import NotReady, Rendered
from bot.slack import blocks as announce_blocks
from bot.slack import lifecycle_blocks as lb
from bot.slack.answer_blocks import answer_sections, excerpt_lines
from bot.slack.escape import Mrkdwn
from bot.store.answer_pairing import pairing_of
from bot.store.deliveries import Claimed
from bot.store.events import answer_brief, paper_brief
from bot.store.lifecycle import parent_message
from bot.store.views import load_anfrage


def _parent_ts(session: Session, item: Claimed) -> str | None:
    """The announcement's ts; None when it will never exist (parked); NotReady while pending."""
    parent = parent_message(session, item.channel, item.paper_id or "")
    if parent is None or parent.status == State.PARKED:
        return None
    if parent.status != State.SENT or not parent.ts:
        raise NotReady("announcement not posted yet")
    return parent.ts


def render_event(
    session: Session,
    item: Claimed,
    *,
    now: datetime,
    tz: ZoneInfo,
    perspective: Perspective = NOBODY,
) -> Rendered | None:
    parent_ts = _parent_ts(session, item)
    paper = paper_brief(session, item.paper_id or "")
    if parent_ts is None or paper is None:
        return None
    kind = item.payload.get("type")
    line: Mrkdwn | None = None
    today = now.astimezone(tz).date()
    if kind == EventType.OVERDUE:
        line = overdue_line(session, paper, item.payload, today)
    elif kind == EventType.INTERIM:
        line = interim_line(session, item.payload, today)
    elif kind == EventType.DELETED:
        line = deleted_line(paper)
    elif kind == EventType.ANSWER:
        answer = answer_brief(session, paper.id)
        if answer is not None:
            line = lb.answered_line(
                answered_on=answer.answered_on,
                filed_on=paper.date,
                url=answer.document_url,
                answer_ref=answer.answer_ref,
                due=answer_due(paper.date, paper.paper_type, perspective.deadlines),
            )
            # The answer is news for everyone in the channel, not only for the thread.
            text, blocks = lb.thread_reply(paper.label, line)
            blocks += _answer_excerpt_blocks(session, paper.id, answer.url, len(blocks))
            return Rendered(text=text, blocks=blocks, thread_ts=parent_ts, broadcast=True)
    else:
        app = appearance_on(session, paper.id, item.payload.get("meeting_id"))
        line = meeting_line(kind, item.payload, app, tz)
    if line is None:
        return None  # the store no longer says so (superseded before it was sent)
    text, blocks = lb.thread_reply(paper.label, line)
    return Rendered(text=text, blocks=blocks, thread_ts=parent_ts)


def _answer_excerpt_blocks(
    session: Session, paper_id: str, url: str | None, used: int
) -> list[announce_blocks.Block]:
    """The answer's excerpts per question (issue 16), when its document was read and paired."""
    pairing = pairing_of(session, paper_id)
    if pairing is None:
        return []
    return answer_sections(
        excerpt_lines(pairing),
        url,
        answered_by=pairing.answered_by,
        room=announce_blocks.MAX_BLOCKS - used,
    )


def render_update(
    session: Session,
    item: Claimed,
    *,
    now: datetime,
    tz: ZoneInfo,
    perspective: Perspective = NOBODY,
) -> Rendered | None:
    parent_ts = _parent_ts(session, item)
    view = load_anfrage(session, item.paper_id or "")
    if parent_ts is None or view is None:
        return None
    text, blocks = announce_blocks.announcement(decorate(view, perspective), now=now, tz=tz)
    return Rendered(text=text, blocks=blocks, update_ts=parent_ts)
