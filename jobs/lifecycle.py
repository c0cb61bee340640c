"""Follow each announced Anfrage: thread replies for its events, the parent updated in place.

Called after every sync (`follow_up`, from jobs/poll.py). It compares what the store says now
with what the outbox already holds for the Anfrage in each channel — the outbox rows are the
memory — and queues one row per new event:

| kind     | key                                   | message                                   |
|----------|---------------------------------------|-------------------------------------------|
| event    | `{paper}|tracked`                     | none: marks the baseline (see below)      |
| event    | `{paper}|agenda|{meeting}|{start}`    | reply: on the agenda / meeting moved      |
| event    | `{paper}|cancelled|{meeting}`         | reply: meeting cancelled or removed       |
| event    | `{paper}|result|{meeting}|{hash}`     | reply: discussed, with the result         |
| event    | `{paper}|answer|{answer paper/file}`  | reply: answered, link, days it took       |
| event    | `{paper}|answer-read|{pairing hash}`  | none: the answer was read (issue 16); it  |
|          |                                       | changes the state, so the parent updates  |
| event    | `{paper}|deleted`                     | reply: withdrawn or deleted               |
| update   | `{paper}|{state hash}|{n}`            | chat.update of the announcement           |

Baseline: when an Anfrage is first seen as announced, what the announcement itself shows (its
Beratungsfolge, a result, "gelöscht") is recorded as already told, without a reply, so a new
announcement is not followed by replies repeating it. An answer found by then still gets its
reply: the announcement shows "beantwortet am", but not the link.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.deadlines import answer_due
from bot.faction import NOBODY, Perspective, decorate
from bot.slack import blocks as announce_blocks
from bot.slack import lifecycle_blocks as lb
from bot.slack import texts
from bot.slack.answer_blocks import answer_sections, excerpt_lines
from bot.slack.escape import Mrkdwn, ours
from bot.store.answer_pairing import pairing_keys, pairing_of
from bot.store.db import transaction
from bot.store.deliveries import Claimed, enqueue
from bot.store.labels import is_placeholder_meeting
from bot.store.lifecycle import (
    Appearance,
    OutboxRow,
    appearances,
    chunks,
    drop_pending,
    parent_message,
    record_as_sent,
    rows_for_papers,
    tracked,
)
from bot.store.schema import AnswerLink, PaperRow
from bot.store.views import answer_document_url, load_anfrage
from jobs.answers import Link, link_answers
from jobs.deliver import NotReady, Rendered
from jobs.overdue import enqueue_interims, interim_line, overdue_line
from jobs.remind import render_digest, render_reminder

log = logging.getLogger(__name__)

EVENT = "event"
UPDATE = "update"
LIFECYCLE_KINDS = frozenset({EVENT, UPDATE, "reminder", "digest"})


def _hash(text: str, n: int = 12) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


@dataclass(frozen=True)
class Event:
    key: str
    payload: dict[str, Any]
    # False: remember it, but do not post (a meeting already over when we learn of it).
    tell: bool = True


def paper_events(
    paper_id: str,
    *,
    deleted: bool,
    apps: Sequence[Appearance],
    answer: str | None,
    now: datetime,
    tz: ZoneInfo,
    pairing: str | None = None,
) -> list[Event]:
    """Pure: the events that describe the Anfrage's state now. Keys are stable, so comparing
    them with the outbox tells what is new."""
    out: list[Event] = []
    if deleted:
        out.append(Event(f"{paper_id}|deleted", {"type": "deleted"}))
    else:
        for a in apps:
            local = a.start.astimezone(tz).date() if a.start else None
            if is_placeholder_meeting(a.meeting_name, a.start, local):
                continue
            mid = a.meeting_id
            if a.cancelled or a.deleted:
                out.append(
                    Event(f"{paper_id}|cancelled|{mid}", {"type": "cancelled", "meeting_id": mid})
                )
                continue
            if a.start:
                out.append(
                    Event(
                        f"{paper_id}|agenda|{mid}|{_iso(a.start)}",
                        {"type": "agenda", "meeting_id": mid, "start": _iso(a.start)},
                        tell=a.start > now and not a.result,
                    )
                )
            if a.result:
                out.append(
                    Event(
                        f"{paper_id}|result|{mid}|{_hash(a.result)}",
                        {"type": "result", "meeting_id": mid},
                    )
                )
    if answer:
        out.append(Event(f"{paper_id}|answer|{answer}", {"type": "answer"}))
        if pairing:
            # Never a reply of its own: it changes the state, so the parent shows the excerpts
            # (also when the answer document could only be read after the reply went out).
            out.append(
                Event(f"{paper_id}|answer-read|{pairing}", {"type": "answer_read"}, tell=False)
            )
    return out


def state_hash(events: Sequence[Event]) -> str:
    return _hash("\n".join(sorted(e.key for e in events)), 16)


@dataclass
class FollowUpReport:
    answers: list[Link] = field(default_factory=list)
    events: int = 0
    updates: int = 0


def follow_up(
    factory: sessionmaker[Session],
    *,
    now: datetime,
    tz: ZoneInfo,
    answers: bool = True,
    read_answers: Callable[[], object] | None = None,
) -> FollowUpReport:
    """After a sync: link new answers, read their documents (`read_answers`, see
    jobs/answer_documents.py), then queue replies and parent updates for what changed.

    `answers=False`: no paper or file changed since the last matching finished (jobs/poll.py),
    so it would find nothing new; it reads every paper, so it is skipped then."""
    report = FollowUpReport()
    if answers:
        report.answers = link_answers(factory, now=now, tz=tz)
    if read_answers is not None:
        read_answers()
    report.events, report.updates = detect_events(factory, now=now, tz=tz)
    report.events += enqueue_interims(factory, now=now)
    if report.events or report.updates:
        log.info("queued %d thread replies, %d status updates", report.events, report.updates)
    return report


def detect_events(
    factory: sessionmaker[Session], *, now: datetime, tz: ZoneInfo
) -> tuple[int, int]:
    with factory() as session:
        rows = tracked(session, sent_only=False)
        pids = sorted({t.paper_id for t in rows})
        if not pids:
            return 0, 0
        deleted: dict[str, bool] = {}
        for part in chunks(pids):
            found = session.execute(
                select(PaperRow.id, PaperRow.deleted).where(PaperRow.id.in_(part))
            ).all()
            deleted.update({pid: bool(gone) for pid, gone in found})
        apps = appearances(session, pids)
        links = {
            a: p or f
            for a, p, f in session.execute(
                select(AnswerLink.anfrage_id, AnswerLink.answer_paper_id, AnswerLink.answer_file_id)
            ).all()
        }
        paired = pairing_keys(session, pids)
        existing: dict[tuple[str, str], list[OutboxRow]] = defaultdict(list)
        for r in rows_for_papers(session, (EVENT, UPDATE), pids):
            existing[(str(r.paper_id), r.channel)].append(r)
    events = updates = 0
    with transaction(factory) as session:
        for t in rows:
            if t.paper_id not in deleted:
                continue
            current = paper_events(
                t.paper_id,
                deleted=bool(deleted[t.paper_id]),
                apps=apps.get(t.paper_id, []),
                answer=links.get(t.paper_id),
                now=now,
                tz=tz,
                pairing=paired.get(t.paper_id),
            )
            e, u = _queue(
                session, t.paper_id, t.channel, current, existing[(t.paper_id, t.channel)], now
            )
            events += e
            updates += u
    return events, updates


def _queue(
    session: Session,
    paper_id: str,
    channel: str,
    current: list[Event],
    mine: list[OutboxRow],
    now: datetime,
) -> tuple[int, int]:
    state = state_hash(current)
    told = {r.key: r for r in mine if r.kind == EVENT}
    marker = f"{paper_id}|tracked"

    def tell(key: str, payload: dict[str, Any]) -> int:
        return int(
            enqueue(
                session,
                kind=EVENT,
                channel=channel,
                key=key,
                now=now,
                paper_id=paper_id,
                payload=payload,
            )
        )

    def remember(key: str, payload: dict[str, Any], reason: str) -> None:
        record_as_sent(
            session,
            kind=EVENT,
            channel=channel,
            key=key,
            now=now,
            paper_id=paper_id,
            payload=payload,
            reason=reason,
        )

    if marker not in told:
        remember(marker, {"hash": state}, "baseline")
        added = 0
        for ev in current:
            if ev.payload["type"] == "answer":
                added += tell(ev.key, ev.payload)
            else:
                remember(ev.key, ev.payload, "shown in announcement")
        return added, 0
    added = 0
    for ev in current:
        if ev.key in told:
            continue
        payload = dict(ev.payload)
        if payload["type"] == "agenda":
            prefix = f"{paper_id}|agenda|{payload['meeting_id']}|"
            before = [r for r in mine if r.kind == EVENT and r.key.startswith(prefix)]
            if before:
                payload["moved_from"] = before[-1].payload.get("start")
                drop_pending(
                    session,
                    kind=EVENT,
                    channel=channel,
                    keys=[r.key for r in before if r.status == "pending"],
                )
        if ev.tell:
            added += tell(ev.key, payload)
        else:
            remember(ev.key, payload, _silent_reason(payload))
    update_rows = [r for r in mine if r.kind == UPDATE]
    last = update_rows[-1].payload.get("hash") if update_rows else told[marker].payload.get("hash")
    if last == state:
        return added, 0
    drop_pending(
        session,
        kind=UPDATE,
        channel=channel,
        keys=[r.key for r in update_rows if r.status == "pending"],
    )
    queued = enqueue(
        session,
        kind=UPDATE,
        channel=channel,
        key=f"{paper_id}|{state}|{len(update_rows)}",
        now=now,
        paper_id=paper_id,
        payload={"hash": state},
    )
    return added, int(queued)


def _silent_reason(payload: dict[str, Any]) -> str:
    return "shown in the parent" if payload["type"] == "answer_read" else "already past"


# -- rendering at send time ---------------------------------------------------------------------


def _parent_ts(session: Session, item: Claimed) -> str | None:
    """The announcement's ts; None when it will never exist (parked); NotReady while pending."""
    parent = parent_message(session, item.channel, item.paper_id or "")
    if parent is None or parent.status == "parked":
        return None
    if parent.status != "sent" or not parent.ts:
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
    paper = session.get(PaperRow, item.paper_id or "")
    if parent_ts is None or paper is None:
        return None
    kind = item.payload.get("type")
    line: Mrkdwn | None = None
    today = now.astimezone(tz).date()
    if kind == "overdue":
        line = overdue_line(session, paper, item.payload, today)
    elif kind == "interim":
        line = interim_line(session, item.payload, today)
    elif kind == "deleted":
        line = ours(texts.EVENT_DELETED) if paper.deleted else None
    elif kind == "answer":
        link = session.get(AnswerLink, paper.id)
        if link is not None:
            answer = session.get(PaperRow, link.answer_paper_id) if link.answer_paper_id else None
            line = lb.answered_line(
                answered_on=link.answered_on,
                filed_on=paper.date,
                url=link.url or answer_document_url(session, link),
                answer_ref=(answer.ref_norm or answer.reference) if answer else None,
                due=answer_due(paper.date, paper.paper_type, perspective.deadlines),
            )
            # The answer is news for everyone in the channel, not only for the thread.
            text, blocks = lb.thread_reply(paper.ref_norm or paper.reference, line)
            blocks += _answer_excerpt_blocks(session, paper.id, len(blocks))
            return Rendered(text=text, blocks=blocks, thread_ts=parent_ts, broadcast=True)
    else:
        mid = item.payload.get("meeting_id")
        app = next(
            (a for a in appearances(session, [paper.id]).get(paper.id, []) if a.meeting_id == mid),
            None,
        )
        line = _meeting_line(kind, item.payload, app, tz)
    if line is None:
        return None  # the store no longer says so (superseded before it was sent)
    text, blocks = lb.thread_reply(paper.ref_norm or paper.reference, line)
    return Rendered(text=text, blocks=blocks, thread_ts=parent_ts)


def _answer_excerpt_blocks(
    session: Session, paper_id: str, used: int
) -> list[announce_blocks.Block]:
    """The answer's excerpts per question (issue 16), when its document was read and paired."""
    link = session.get(AnswerLink, paper_id)
    pairing = pairing_of(session, paper_id)
    if pairing is None:
        return []
    return answer_sections(
        excerpt_lines(pairing),
        link.url if link else None,
        answered_by=pairing.answered_by,
        room=announce_blocks.MAX_BLOCKS - used,
    )


def _meeting_line(
    kind: object, payload: dict[str, Any], app: Appearance | None, tz: ZoneInfo
) -> Mrkdwn | None:
    if app is None:
        return None
    if kind == "cancelled":
        if not (app.cancelled or app.deleted):
            return None
        return lb.cancelled_line(
            app.committee, app.start, tz, deleted=app.deleted and not app.cancelled
        )
    if app.cancelled or app.deleted or app.start is None:
        return None
    if kind == "agenda":
        if _iso(app.start) != payload.get("start"):
            return None
        return lb.agenda_line(
            app.committee, app.start, app.top, tz, moved=bool(payload.get("moved_from"))
        )
    if kind == "result" and app.result:
        return lb.result_line(app.committee, app.start, app.top, app.result, tz)
    return None


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


def render_lifecycle(
    session: Session,
    item: Claimed,
    *,
    now: datetime,
    tz: ZoneInfo,
    perspective: Perspective = NOBODY,
) -> Rendered | None:
    """Dispatch for jobs/render.py: every lifecycle kind is built from the store at send time."""
    p = perspective
    if item.kind == "reminder":
        return render_reminder(session, item, now=now, tz=tz, perspective=p)
    if item.kind == "digest":
        return render_digest(session, item, now=now, tz=tz, perspective=p)
    if item.kind == EVENT:
        return render_event(session, item, now=now, tz=tz, perspective=p)
    if item.kind == UPDATE:
        return render_update(session, item, now=now, tz=tz, perspective=p)
    return None
