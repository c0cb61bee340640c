"""Reminders before committee sessions: which are due, one outbox row per (meeting, lead time,
channel), and the message built at send time from the store.

Reminder key: `{meeting_id}|{lead}|{start UTC ISO}` per channel. The start time is part of the
key, so a moved meeting gets a fresh reminder for its new date, and each (meeting, lead time,
channel) is reminded once: the unique constraint of the outbox enforces it. Before queueing,
jobs/remind.py reads each due meeting afresh from the feed (`FreshRead`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from bot.config import RemindersConfig
from bot.faction import NOBODY, Perspective, clean_subject
from bot.outbox.kinds import Kind
from bot.outbox.message import Rendered
from bot.slack import lifecycle_blocks as lb
from bot.slack import texts
from bot.slack.blocks import MAX_BLOCKS, owner_of
from bot.store.db import transaction
from bot.store.deliveries import Claimed, enqueue
from bot.store.events import deleted_flags, paper_brief
from bot.store.events import meeting as stored_meeting
from bot.store.labels import is_placeholder_meeting, meeting_label
from bot.store.lifecycle import (
    on_meetings,
    queued_keys,
    tracked,
    upcoming_meetings,
)

MORNING = time(8, 0)
MORNING_LABEL = "morning"


def lead_label(lead: timedelta) -> str:
    """`2d`, `12h`, `30m`: the config syntax, stable across restarts (part of the key)."""
    minutes = int(lead.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def slots(start: datetime, config: RemindersConfig) -> list[tuple[str, datetime]]:
    """(label, moment) of every reminder for a meeting starting at `start`."""
    out = [(lead_label(lead), start - lead) for lead in config.lead_times]
    if config.morning_of:
        local = start.astimezone(config.timezone)
        morning = datetime.combine(local.date(), MORNING, tzinfo=config.timezone)
        if morning < local:  # a session before 8:00 has no "morning of"
            out.append((MORNING_LABEL, morning.astimezone(UTC)))
    return out


def due_slot(start: datetime, now: datetime, config: RemindersConfig) -> str | None:
    """The reminder due at `now`: the latest slot that has begun, while the session has not.

    When several are due at once (the bot was down, or a meeting was put on the agenda late),
    only the latest is sent: "in two days" and "in a week" together would be noise.
    """
    if not now < start:
        return None
    begun = [(moment, label) for label, moment in slots(start, config) if moment <= now]
    return max(begun)[1] if begun else None


def reminder_key(meeting_id: str, label: str, start: datetime) -> str:
    return f"{meeting_id}|{label}|{start.astimezone(UTC).isoformat()}"


@dataclass(frozen=True)
class DueReminder:
    """A reminder due at `now` by what the store says, not yet queued in `channels`."""

    meeting_id: str
    source: str
    label: str
    start: datetime
    # When its slot began ("2 days before"): the fresh-read grace counts from here.
    moment: datetime
    channels: tuple[str, ...]

    @property
    def key(self) -> str:
        return reminder_key(self.meeting_id, self.label, self.start)


def plan_reminders(
    session: Session, *, now: datetime, config: RemindersConfig
) -> list[DueReminder]:
    """Every (meeting, lead time) due at `now` with channels that have not got it yet."""
    horizon = max([*config.lead_times, timedelta(days=1)])
    meetings = [
        m
        for m in upcoming_meetings(session, after=now, until=now + horizon)
        if m.start
        and not is_placeholder_meeting(
            m.name, m.start, m.start.astimezone(config.timezone).date()
        )
    ]
    due = {m.id: (m, due_slot(m.start, now, config)) for m in meetings if m.start}
    due = {mid: (m, label) for mid, (m, label) in due.items() if label}
    if not due:
        return []
    by_paper = on_meetings(session, list(due))
    gone = {pid for pid, deleted in deleted_flags(session, list(by_paper)).items() if deleted}
    by_paper = {pid: apps for pid, apps in by_paper.items() if pid not in gone}
    channels: dict[str, set[str]] = {}
    for t in tracked(session, sent_only=True, paper_ids=list(by_paper)):
        for a in by_paper[t.paper_id]:
            channels.setdefault(a.meeting_id, set()).add(t.channel)
    out: list[DueReminder] = []
    for mid, (meeting, label) in due.items():
        assert meeting.start is not None and label is not None
        moment = dict(slots(meeting.start, config))[label]
        out.append(
            DueReminder(
                mid,
                meeting.source,
                label,
                meeting.start,
                moment,
                tuple(sorted(channels.get(mid, ()))),
            )
        )
    queued = queued_keys(session, Kind.REMINDER, [d.key for d in out])
    out = [
        replace(d, channels=tuple(c for c in d.channels if (c, d.key) not in queued)) for d in out
    ]
    return [d for d in out if d.channels]


def enqueue_reminders(
    factory: sessionmaker[Session],
    *,
    now: datetime,
    config: RemindersConfig,
    verdicts: Mapping[str, FreshRead] | None = None,
) -> int:
    """One reminder row per due (meeting, lead time, channel); returns rows added.

    With `verdicts` (the fresh reads of this run), only meetings read fresh just now, or
    whose read failed past its grace, are queued; the others wait for the next run."""
    added = 0
    with transaction(factory) as session:
        for due in plan_reminders(session, now=now, config=config):
            verdict = verdicts.get(due.meeting_id) if verdicts is not None else None
            if verdicts is not None and verdict is None:
                continue
            payload: dict[str, Any] = {
                "meeting_id": due.meeting_id,
                "start": due.start.astimezone(UTC).isoformat(),
                "lead": due.label,
            }
            if verdict is not None and not verdict.fresh:
                payload["stand"] = verdict.stand.isoformat() if verdict.stand else None
            for channel in due.channels:
                added += enqueue(
                    session,
                    kind=Kind.REMINDER,
                    channel=channel,
                    key=due.key,
                    now=now,
                    payload=payload,
                )
    return added


# -- fresh reads ------------------------------------------------------------------------------

# A reminder whose fresh read keeps failing waits at most this long after its due time (and
# never past this long before the session), then goes out with the stored data and says when
# they were read.
FRESH_READ_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class FreshRead:
    """The outcome for one meeting in this run: read just now (`fresh`), or not readable and
    past its grace, so send with the stored data as of `stand`."""

    fresh: bool
    stand: datetime | None = None
    changed: bool = False


def fresh_deadline(due: DueReminder) -> datetime:
    """Until when a failing fresh read holds the reminder back."""
    latest = min(due.moment + FRESH_READ_GRACE, due.start - FRESH_READ_GRACE)
    return max(due.moment, latest)


def render_reminder(
    session: Session,
    item: Claimed,
    *,
    now: datetime,
    tz: ZoneInfo,
    perspective: Perspective = NOBODY,
) -> Rendered | None:
    """Re-read the meeting: cancelled, deleted, moved or over means nothing to send."""
    found = stored_meeting(session, str(item.payload.get("meeting_id")))
    if found is None or found.cancelled or found.deleted or found.start is None:
        return None
    if found.start.astimezone(UTC).isoformat() != item.payload.get("start"):
        return None  # moved: the reminder for the new date has its own row
    if now >= found.start:
        return None
    apps = on_meetings(session, [found.id])
    in_channel = {
        t.paper_id
        for t in tracked(session, sent_only=True, paper_ids=list(apps))
        if t.channel == item.channel
    }
    entries: list[lb.AgendaEntry] = []
    for pid in sorted(in_channel):
        paper = paper_brief(session, pid)
        if paper is None or paper.deleted:
            continue
        app = apps[pid][0]
        entries.append(
            lb.AgendaEntry(
                paper.label,
                clean_subject(paper.name),
                app.top,
                paper.web,
                owner=owner_of(paper.faction, perspective),
            )
        )
    if not entries:
        return None
    entries.sort(key=lambda e: (_top_order(e.top), e.reference or ""))
    text, blocks = lb.reminder(
        committee=meeting_label(session, found),
        start=found.start,
        location=found.location,
        meeting_web=found.web,
        entries=entries,
        tz=tz,
    )
    if "stand" in item.payload:
        text, blocks = _with_stand(text, blocks, item.payload.get("stand"), tz)
    return Rendered(text=text, blocks=blocks)


def stand_line(stand: object, tz: ZoneInfo) -> str:
    """`Stand der Sitzungsdaten: 03.02.2025 10:00` (local time), for a reminder sent without
    a fresh read."""
    try:
        moment = datetime.fromisoformat(str(stand))
    except ValueError:
        return texts.STAND_LINE.format(when=texts.STAND_UNKNOWN)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return texts.STAND_LINE.format(when=moment.astimezone(tz).strftime("%d.%m.%Y %H:%M"))


def _with_stand(
    text: str, blocks: list[dict[str, Any]], stand: object, tz: ZoneInfo
) -> tuple[str, list[dict[str, Any]]]:
    # Our own words and digits only: nothing from the council to escape. Right under the
    # date, so nobody reads the date without it; the block limit still holds.
    line = stand_line(stand, tz)
    note = {"type": "context", "elements": [{"type": "mrkdwn", "text": line}]}
    out = [*blocks[:2], note, *blocks[2:]]
    if len(out) > MAX_BLOCKS:
        del out[-2]  # drop the last section of Anfragen, keep the RIS link
    return f"{text}\n{line}", out


def _top_order(top: str | None) -> tuple[int, ...]:
    """`Ö 3.10` after `Ö 3.9`: compare the numbers in a TOP, not the text."""
    return tuple(int(n) for n in re.findall(r"\d+", top or "")) or (10**6,)
