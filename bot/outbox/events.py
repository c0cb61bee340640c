"""Follow each announced Anfrage: thread replies for its events, the parent updated in place.

Called after every sync (`detect_events`, from `follow_up` in jobs/poll.py). It compares what
the store says now with what the outbox already holds for the Anfrage in each channel — the
outbox rows are the memory — and queues one row per new event (rendered at send time by
bot/outbox/threads.py):

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
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from bot.outbox.kinds import EventType, Kind, State
from bot.store.answer_pairing import pairing_keys
from bot.store.db import transaction
from bot.store.deliveries import enqueue
from bot.store.events import answer_keys, deleted_flags
from bot.store.labels import is_placeholder_meeting
from bot.store.lifecycle import (
    Appearance,
    OutboxRow,
    appearances,
    drop_pending,
    record_as_sent,
    rows_for_papers,
    tracked,
)


def _hash(text: str, n: int = 12) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def iso(moment: datetime) -> str:
    """The form a start time has in event keys and payloads."""
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
        out.append(Event(f"{paper_id}|deleted", {"type": EventType.DELETED}))
    else:
        for a in apps:
            local = a.start.astimezone(tz).date() if a.start else None
            if is_placeholder_meeting(a.meeting_name, a.start, local):
                continue
            mid = a.meeting_id
            if a.cancelled or a.deleted:
                out.append(
                    Event(
                        f"{paper_id}|cancelled|{mid}",
                        {"type": EventType.CANCELLED, "meeting_id": mid},
                    )
                )
                continue
            if a.start:
                out.append(
                    Event(
                        f"{paper_id}|agenda|{mid}|{iso(a.start)}",
                        {"type": EventType.AGENDA, "meeting_id": mid, "start": iso(a.start)},
                        tell=a.start > now and not a.result,
                    )
                )
            if a.result:
                out.append(
                    Event(
                        f"{paper_id}|result|{mid}|{_hash(a.result)}",
                        {"type": EventType.RESULT, "meeting_id": mid},
                    )
                )
    if answer:
        out.append(Event(f"{paper_id}|answer|{answer}", {"type": EventType.ANSWER}))
        if pairing:
            # Never a reply of its own: it changes the state, so the parent shows the excerpts
            # (also when the answer document could only be read after the reply went out).
            out.append(
                Event(
                    f"{paper_id}|answer-read|{pairing}", {"type": EventType.ANSWER_READ}, tell=False
                )
            )
    return out


def state_hash(events: Sequence[Event]) -> str:
    return _hash("\n".join(sorted(e.key for e in events)), 16)


def overdue_event(
    paper_id: str, *, deadline: date | None, answered: bool, now: datetime, tz: ZoneInfo
) -> Event | None:
    """Once the answer deadline (`[deadlines]`, issue 13) has passed without an answer, one
    event (its key names the deadline, so a changed deadline is told once more). Followers get
    it as a direct message (bot/outbox/dms.py); channels get bot/outbox/overdue.py's notice."""
    if deadline is None or answered or now.astimezone(tz).date() <= deadline:
        return None
    return Event(
        f"{paper_id}|overdue|{deadline.isoformat()}",
        {"type": EventType.OVERDUE, "due": deadline.isoformat()},
    )


def detect_events(
    factory: sessionmaker[Session], *, now: datetime, tz: ZoneInfo
) -> tuple[int, int]:
    with factory() as session:
        rows = tracked(session, sent_only=False)
        pids = sorted({t.paper_id for t in rows})
        if not pids:
            return 0, 0
        deleted = deleted_flags(session, pids)
        apps = appearances(session, pids)
        links = answer_keys(session)
        paired = pairing_keys(session, pids)
        existing: dict[tuple[str, str], list[OutboxRow]] = defaultdict(list)
        for r in rows_for_papers(session, (Kind.EVENT, Kind.UPDATE), pids):
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
    told = {r.key: r for r in mine if r.kind == Kind.EVENT}
    marker = f"{paper_id}|tracked"

    def tell(key: str, payload: dict[str, Any]) -> int:
        return int(
            enqueue(
                session,
                kind=Kind.EVENT,
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
            kind=Kind.EVENT,
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
            if ev.payload["type"] == EventType.ANSWER:
                added += tell(ev.key, ev.payload)
            else:
                remember(ev.key, ev.payload, "shown in announcement")
        return added, 0
    added = 0
    for ev in current:
        if ev.key in told:
            continue
        payload = dict(ev.payload)
        if payload["type"] == EventType.AGENDA:
            prefix = f"{paper_id}|agenda|{payload['meeting_id']}|"
            before = [r for r in mine if r.kind == Kind.EVENT and r.key.startswith(prefix)]
            if before:
                payload["moved_from"] = before[-1].payload.get("start")
                drop_pending(
                    session,
                    kind=Kind.EVENT,
                    channel=channel,
                    keys=[r.key for r in before if r.status == State.PENDING],
                )
        if ev.tell:
            added += tell(ev.key, payload)
        else:
            remember(ev.key, payload, _silent_reason(payload))
    update_rows = [r for r in mine if r.kind == Kind.UPDATE]
    last = update_rows[-1].payload.get("hash") if update_rows else told[marker].payload.get("hash")
    if last == state:
        return added, 0
    drop_pending(
        session,
        kind=Kind.UPDATE,
        channel=channel,
        keys=[r.key for r in update_rows if r.status == State.PENDING],
    )
    queued = enqueue(
        session,
        kind=Kind.UPDATE,
        channel=channel,
        key=f"{paper_id}|{state}|{len(update_rows)}",
        now=now,
        paper_id=paper_id,
        payload={"hash": state},
    )
    return added, int(queued)


def _silent_reason(payload: dict[str, Any]) -> str:
    return "shown in the parent" if payload["type"] == EventType.ANSWER_READ else "already past"
