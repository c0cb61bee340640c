"""Direct messages to the people following one Anfrage (`/anfrage folgen`), next to the thread
replies of jobs/lifecycle.py and built from the same event list (`paper_events`).

After every sync, for each follow:
- the events the Anfrage had when the user started following (the follow's snapshot) are
  recorded once as already told (key `{paper}|followed|{follow id}` marks that), so only
  later events are sent;
- every event not in the outbox yet for that user becomes one `dm` row (kind, user, key
  unique: exactly once per user and event, across restarts and crashes).

At send time the message is built from the store (`render_dm`); a follow ended before then
drops it. An Anfrage need not be announced anywhere to be followed.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from bot.slack import lifecycle_blocks as lb
from bot.slack import personal_texts as pt
from bot.slack import texts
from bot.slack.blocks import MAX_TEXT, Block, context, or_unknown, section
from bot.slack.escape import Mrkdwn, bold, clip, fill, link, mrkdwn, ours
from bot.store.calendar import record_meeting_versions
from bot.store.db import transaction
from bot.store.deliveries import Claimed, enqueue
from bot.store.follows import (
    DM_KIND,
    FollowRow,
    all_follows,
    current_snapshot,
    is_following,
)
from bot.store.lifecycle import (
    OutboxRow,
    appearances,
    drop_pending,
    record_as_sent,
    rows_for_papers,
)
from bot.store.schema import AnswerLink, PaperRow
from jobs.deliver import Rendered
from jobs.lifecycle import Event, _meeting_line, paper_events

log = logging.getLogger(__name__)


def overdue_event(
    paper_id: str, *, deadline: date | None, answered: bool, now: datetime, tz: ZoneInfo
) -> Event | None:
    """The hook for answer deadlines (issue 13): once a deadline has passed without an answer,
    one event. No deadline is known yet, so callers pass None until `[deadlines]` exists."""
    if deadline is None or answered or now.astimezone(tz).date() <= deadline:
        return None
    return Event(f"{paper_id}|overdue|{deadline.isoformat()}", {"type": "overdue"})


def _events(
    f: FollowRow,
    deleted: bool,
    apps: Sequence[Any],
    answer: str | None,
    now: datetime,
    tz: ZoneInfo,
) -> list[Event]:
    events = paper_events(f.paper_id, deleted=deleted, apps=apps, answer=answer, now=now, tz=tz)
    overdue = overdue_event(f.paper_id, deadline=None, answered=bool(answer), now=now, tz=tz)
    return events + ([overdue] if overdue else [])


def queue_follow_dms(factory: sessionmaker[Session], *, now: datetime, tz: ZoneInfo) -> int:
    """Queue one direct message per follower and new event. Returns how many were queued."""
    with factory() as session:
        follows = all_follows(session)
        if not follows:
            return 0
        pids = sorted({f.paper_id for f in follows})
        state = {pid: current_snapshot(session, pid) for pid in pids}
        mine: dict[tuple[str, str], list[OutboxRow]] = defaultdict(list)
        for r in rows_for_papers(session, (DM_KIND,), pids):
            mine[(r.channel, str(r.paper_id))].append(r)
    queued = 0
    with transaction(factory) as session:
        for f in follows:
            current = state.get(f.paper_id)
            if current is None:
                continue  # a paper the store does not know (any more): nothing to tell
            events = _events(f, current.deleted, current.apps, current.answer, now, tz)
            queued += _queue(session, f, events, mine[(f.user, f.paper_id)], now, tz)
    if queued:
        log.info("queued %d direct messages to followers", queued)
    return queued


def _queue(
    session: Session,
    f: FollowRow,
    current: list[Event],
    mine: list[OutboxRow],
    now: datetime,
    tz: ZoneInfo,
) -> int:
    told = {r.key: r for r in mine}
    marker = f"{f.paper_id}|followed|{f.id}"

    def remember(key: str, payload: dict[str, Any], reason: str) -> None:
        record_as_sent(
            session,
            kind=DM_KIND,
            channel=f.user,
            key=key,
            now=now,
            paper_id=f.paper_id,
            payload=payload,
            reason=reason,
        )
        told.setdefault(key, OutboxRow(0, DM_KIND, f.user, key, f.paper_id, "sent", payload))

    if marker not in told:
        # What the Anfrage had when the user started following is not news to them.
        snap = f.snapshot
        before = (
            _events(f, snap.deleted, snap.apps, snap.answer, f.created_at, tz) if snap else []
        )
        for ev in before:
            if ev.key not in told:
                remember(ev.key, ev.payload, "known when followed")
        remember(marker, {}, "baseline")
    added = 0
    for ev in current:
        if ev.key in told:
            continue
        payload = dict(ev.payload)
        if payload["type"] == "agenda":
            prefix = f"{f.paper_id}|agenda|{payload['meeting_id']}|"
            earlier = sorted((r for r in told.values() if r.key.startswith(prefix)), key=_row_id)
            if earlier:
                payload["moved_from"] = earlier[-1].payload.get("start")
                drop_pending(
                    session,
                    kind=DM_KIND,
                    channel=f.user,
                    keys=[r.key for r in earlier if r.status == "pending"],
                )
        if ev.tell:
            added += int(
                enqueue(
                    session,
                    kind=DM_KIND,
                    channel=f.user,
                    key=ev.key,
                    now=now,
                    paper_id=f.paper_id,
                    payload=payload,
                )
            )
        else:
            remember(ev.key, payload, "already past")
    return added


def _row_id(r: OutboxRow) -> int:
    return r.id or 1 << 62  # rows remembered in this run are the newest


def after_sync(factory: sessionmaker[Session], *, now: datetime, tz: ZoneInfo) -> None:
    """The poll's hook for issue 14: calendar sequences of moved meetings, follower DMs."""
    with transaction(factory) as session:
        moved = record_meeting_versions(session, now=now)
    if moved:
        log.info("%d meetings moved (calendar SEQUENCE raised)", moved)
    queue_follow_dms(factory, now=now, tz=tz)


# -- rendering at send time ---------------------------------------------------------------------


def _event_line(
    session: Session, paper: PaperRow, payload: dict[str, Any], tz: ZoneInfo
) -> Mrkdwn | None:
    kind = payload.get("type")
    if kind == "deleted":
        return ours(texts.EVENT_DELETED) if paper.deleted else None
    if kind == "answer":
        found = session.get(AnswerLink, paper.id)
        if found is None:
            return None
        answer = session.get(PaperRow, found.answer_paper_id) if found.answer_paper_id else None
        return lb.answered_line(
            answered_on=found.answered_on,
            filed_on=paper.date,
            url=found.url,
            answer_ref=(answer.ref_norm or answer.reference) if answer else None,
        )
    if kind == "overdue":
        return None  # deadlines arrive with issue 13; nothing can be overdue before that
    mid = payload.get("meeting_id")
    app = next(
        (a for a in appearances(session, [paper.id]).get(paper.id, []) if a.meeting_id == mid),
        None,
    )
    return _meeting_line(kind, payload, app, tz)


def dm_message(
    reference: str | None, subject: str | None, web: str | None, line: Mrkdwn
) -> tuple[str, list[Block]]:
    """A direct message about one event. `line` is escaped mrkdwn (lifecycle_blocks)."""
    ref = or_unknown(mrkdwn(reference))
    title = fill(
        pt.DM_TITLE, ref=link(web, ref), subject=clip(or_unknown(mrkdwn(subject)), 300)
    )
    blocks: list[Block] = [
        section(fill("{title}\n{line}", title=bold(title), line=line)),
        context(fill(pt.DM_FOOTER, ref=ref)),
    ]
    return clip(fill(pt.DM_FALLBACK, ref=ref, event=line), MAX_TEXT), blocks


def render_dm(
    session: Session, item: Claimed, *, now: datetime, tz: ZoneInfo
) -> Rendered | None:
    if not is_following(session, item.channel, item.paper_id or ""):
        return None  # unfollowed before it was sent
    paper = session.get(PaperRow, item.paper_id or "")
    if paper is None:
        return None
    line = _event_line(session, paper, item.payload, tz)
    if line is None:
        return None  # the store no longer says so (superseded before it was sent)
    text, blocks = dm_message(paper.ref_norm or paper.reference, paper.name, paper.web, line)
    return Rendered(text=text, blocks=blocks)
