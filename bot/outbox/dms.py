"""Direct messages to the people following one Anfrage (`/anfrage folgen`), next to the thread
replies of bot/outbox/events.py and built from the same event list (`paper_events`).

After every sync, for each follow:
- the events the Anfrage had when the user started following (the follow's snapshot, and
  being overdue at that moment) are recorded once as already told (key
  `{paper}|followed|{follow id}` marks that), so only later events are sent;
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

from bot.config import DeadlinesConfig
from bot.deadlines import answer_due
from bot.outbox.events import Event, overdue_event, paper_events
from bot.outbox.kinds import EventType, Kind, State
from bot.outbox.lines import appearance_on, deleted_line, meeting_line, overdue_line
from bot.outbox.message import Rendered
from bot.slack import lifecycle_blocks as lb
from bot.slack import personal_texts as pt
from bot.slack.blocks import MAX_TEXT, Block, context, or_unknown, section
from bot.slack.escape import Mrkdwn, bold, clip, fill, link, mrkdwn
from bot.store.db import transaction
from bot.store.deliveries import Claimed, enqueue
from bot.store.events import EventPaper, answer_brief, paper_brief
from bot.store.follows import (
    FollowRow,
    all_follows,
    current_snapshot,
    dates_and_types,
    is_following,
)
from bot.store.lifecycle import OutboxRow, drop_pending, record_as_sent, rows_for_papers

log = logging.getLogger(__name__)


def _events(
    f: FollowRow,
    deleted: bool,
    apps: Sequence[Any],
    answer: str | None,
    now: datetime,
    tz: ZoneInfo,
    deadline: date | None = None,
) -> list[Event]:
    events = paper_events(f.paper_id, deleted=deleted, apps=apps, answer=answer, now=now, tz=tz)
    overdue = overdue_event(f.paper_id, deadline=deadline, answered=bool(answer), now=now, tz=tz)
    return events + ([overdue] if overdue else [])


def queue_follow_dms(
    factory: sessionmaker[Session],
    *,
    now: datetime,
    tz: ZoneInfo,
    deadlines: DeadlinesConfig | None = None,
) -> int:
    """Queue one direct message per follower and new event. Returns how many were queued."""
    with factory() as session:
        follows = all_follows(session)
        if not follows:
            return 0
        pids = sorted({f.paper_id for f in follows})
        state = {pid: current_snapshot(session, pid) for pid in pids}
        due = _deadlines(session, pids, deadlines) if deadlines else {}
        mine: dict[tuple[str, str], list[OutboxRow]] = defaultdict(list)
        for r in rows_for_papers(session, (Kind.DM,), pids):
            mine[(r.channel, str(r.paper_id))].append(r)
    queued = 0
    with transaction(factory) as session:
        for f in follows:
            current = state.get(f.paper_id)
            if current is None:
                continue  # a paper the store does not know (any more): nothing to tell
            deadline = due.get(f.paper_id)
            events = _events(f, current.deleted, current.apps, current.answer, now, tz, deadline)
            queued += _queue(session, f, events, mine[(f.user, f.paper_id)], now, tz, deadline)
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
    deadline: date | None = None,
) -> int:
    told = {r.key: r for r in mine}
    marker = f"{f.paper_id}|followed|{f.id}"

    def remember(key: str, payload: dict[str, Any], reason: str) -> None:
        record_as_sent(
            session,
            kind=Kind.DM,
            channel=f.user,
            key=key,
            now=now,
            paper_id=f.paper_id,
            payload=payload,
            reason=reason,
        )
        told.setdefault(key, OutboxRow(0, Kind.DM, f.user, key, f.paper_id, State.SENT, payload))

    if marker not in told:
        # What the Anfrage had when the user started following is not news to them: also
        # being overdue then (the deadline as configured now, at the moment of `folgen`).
        snap = f.snapshot
        before = (
            _events(f, snap.deleted, snap.apps, snap.answer, f.created_at, tz, deadline)
            if snap
            else []
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
        if payload["type"] == EventType.AGENDA:
            prefix = f"{f.paper_id}|agenda|{payload['meeting_id']}|"
            earlier = sorted((r for r in told.values() if r.key.startswith(prefix)), key=_row_id)
            if earlier:
                payload["moved_from"] = earlier[-1].payload.get("start")
                drop_pending(
                    session,
                    kind=Kind.DM,
                    channel=f.user,
                    keys=[r.key for r in earlier if r.status == State.PENDING],
                )
        if ev.tell:
            added += int(
                enqueue(
                    session,
                    kind=Kind.DM,
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


def _deadlines(
    session: Session, paper_ids: list[str], deadlines: DeadlinesConfig
) -> dict[str, date]:
    """The answer deadline of each followed paper that has one."""
    found: dict[str, date] = {}
    for pid, (filed_on, paper_type) in dates_and_types(session, paper_ids).items():
        due = answer_due(filed_on, paper_type, deadlines)
        if due is not None:
            found[pid] = due
    return found


# -- rendering at send time ---------------------------------------------------------------------


def _event_line(
    session: Session, paper: EventPaper, payload: dict[str, Any], now: datetime, tz: ZoneInfo
) -> Mrkdwn | None:
    kind = payload.get("type")
    if kind == EventType.DELETED:
        return deleted_line(paper)
    if kind == EventType.ANSWER:
        found = answer_brief(session, paper.id)
        if found is None:
            return None
        return lb.answered_line(
            answered_on=found.answered_on,
            filed_on=paper.date,
            url=found.url,
            answer_ref=found.answer_ref,
        )
    if kind == EventType.OVERDUE:
        # The same line, and the same "not when answered meanwhile", as the channel notice.
        return overdue_line(session, paper, payload, now.astimezone(tz).date())
    app = appearance_on(session, paper.id, payload.get("meeting_id"))
    return meeting_line(kind, payload, app, tz)


def dm_message(
    reference: str | None, subject: str | None, web: str | None, line: Mrkdwn
) -> tuple[str, list[Block]]:
    """A direct message about one event. `line` is escaped mrkdwn (lifecycle_blocks)."""
    ref = or_unknown(mrkdwn(reference))
    title = fill(pt.DM_TITLE, ref=link(web, ref), subject=clip(or_unknown(mrkdwn(subject)), 300))
    blocks: list[Block] = [
        section(fill("{title}\n{line}", title=bold(title), line=line)),
        context(fill(pt.DM_FOOTER, ref=ref)),
    ]
    return clip(fill(pt.DM_FALLBACK, ref=ref, event=line), MAX_TEXT), blocks


def render_dm(session: Session, item: Claimed, *, now: datetime, tz: ZoneInfo) -> Rendered | None:
    if not is_following(session, item.channel, item.paper_id or ""):
        return None  # unfollowed before it was sent
    paper = paper_brief(session, item.paper_id or "")
    if paper is None:
        return None
    line = _event_line(session, paper, item.payload, now, tz)
    if line is None:
        return None  # the store no longer says so (superseded before it was sent)
    text, blocks = dm_message(paper.label, paper.name, paper.web, line)
    return Rendered(text=text, blocks=blocks)
