"""Reminders before committee sessions and the weekly digest of open Anfragen.

`remind_once` syncs nothing: it enqueues what is due at `now` and delivers. Messages are built
at send time from the store (jobs/render.py → `render_reminder` / `render_digest`), so a
meeting cancelled or moved after the row was queued is never announced with stale data.

Reminder key: `{meeting_id}|{lead}|{start UTC ISO}` per channel. The start time is part of the
key, so a moved meeting gets a fresh reminder for its new date, and each (meeting, lead time,
channel) is reminded once: the unique constraint of the outbox enforces it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import DigestConfig, RemindersConfig
from bot.deadlines import answer_due, overdue_days
from bot.faction import NOBODY, Perspective, clean_subject
from bot.slack import lifecycle_blocks as lb
from bot.slack.blocks import owner_of
from bot.store.db import transaction
from bot.store.deliveries import Claimed, enqueue
from bot.store.lifecycle import (
    announce_channels,
    committee_name,
    is_placeholder,
    on_meetings,
    tracked,
    upcoming_meetings,
)
from bot.store.lookup import open_anfragen
from bot.store.schema import MeetingRow, PaperRow
from jobs.deliver import Rendered

if TYPE_CHECKING:
    from bot.runtime import Runtime
    from jobs.deliver import DeliveryReport

log = logging.getLogger(__name__)

MORNING = time(8, 0)
MORNING_LABEL = "morning"
# The digest lists at most this many Anfragen (a Slack message has 50 blocks anyway).
DIGEST_MAX = 200


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


def enqueue_reminders(
    factory: sessionmaker[Session], *, now: datetime, config: RemindersConfig
) -> int:
    """One reminder row per due (meeting, lead time, channel); returns rows added."""
    horizon = max([*config.lead_times, timedelta(days=1)])
    added = 0
    with transaction(factory) as session:
        meetings = [
            m
            for m in upcoming_meetings(session, after=now, until=now + horizon)
            if m.start
            and not is_placeholder(m.name, m.start, m.start.astimezone(config.timezone).date())
        ]
        due = {m.id: (m, due_slot(m.start, now, config)) for m in meetings if m.start}
        due = {mid: (m, label) for mid, (m, label) in due.items() if label}
        if not due:
            return 0
        by_paper = on_meetings(session, list(due))
        gone = (
            set(
                session.scalars(
                    select(PaperRow.id).where(PaperRow.id.in_(list(by_paper)), PaperRow.deleted)
                ).all()
            )
            if by_paper
            else set()
        )
        by_paper = {pid: apps for pid, apps in by_paper.items() if pid not in gone}
        channels: dict[str, set[str]] = {}
        for t in tracked(session, sent_only=True, paper_ids=list(by_paper)):
            for a in by_paper[t.paper_id]:
                channels.setdefault(a.meeting_id, set()).add(t.channel)
        for mid, (meeting, label) in due.items():
            assert meeting.start is not None and label is not None
            for channel in sorted(channels.get(mid, ())):
                added += enqueue(
                    session,
                    kind="reminder",
                    channel=channel,
                    key=reminder_key(mid, label, meeting.start),
                    now=now,
                    payload={
                        "meeting_id": mid,
                        "start": meeting.start.astimezone(UTC).isoformat(),
                        "lead": label,
                    },
                )
    return added


def render_reminder(
    session: Session,
    item: Claimed,
    *,
    now: datetime,
    tz: ZoneInfo,
    perspective: Perspective = NOBODY,
) -> Rendered | None:
    """Re-read the meeting: cancelled, deleted, moved or over means nothing to send."""
    meeting = session.get(MeetingRow, str(item.payload.get("meeting_id")))
    if meeting is None or meeting.cancelled or meeting.deleted or meeting.start is None:
        return None
    if meeting.start.astimezone(UTC).isoformat() != item.payload.get("start"):
        return None  # moved: the reminder for the new date has its own row
    if now >= meeting.start:
        return None
    apps = on_meetings(session, [meeting.id])
    in_channel = {
        t.paper_id
        for t in tracked(session, sent_only=True, paper_ids=list(apps))
        if t.channel == item.channel
    }
    entries: list[lb.AgendaEntry] = []
    for pid in sorted(in_channel):
        paper = session.get(PaperRow, pid)
        if paper is None or paper.deleted:
            continue
        app = apps[pid][0]
        entries.append(
            lb.AgendaEntry(
                paper.ref_norm or paper.reference,
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
        committee=committee_name(session, meeting),
        start=meeting.start,
        location=meeting.location,
        meeting_web=meeting.web,
        entries=entries,
        tz=tz,
    )
    return Rendered(text=text, blocks=blocks)


def _top_order(top: str | None) -> tuple[int, ...]:
    """`Ö 3.10` after `Ö 3.9`: compare the numbers in a TOP, not the text."""
    return tuple(int(n) for n in re.findall(r"\d+", top or "")) or (10**6,)


# -- weekly digest -------------------------------------------------------------------------------


def digest_key(now: datetime, tz: ZoneInfo) -> str:
    year, week, _ = now.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


def digest_due(now: datetime, config: DigestConfig, tz: ZoneInfo) -> bool:
    """On the configured weekday, from the configured hour until midnight."""
    local = now.astimezone(tz)
    return config.enabled and local.isoweekday() == config.weekday and local.hour >= config.hour


def enqueue_digest(
    factory: sessionmaker[Session],
    *,
    now: datetime,
    config: DigestConfig,
    tz: ZoneInfo,
    default_channel: str | None,
) -> int:
    if not digest_due(now, config, tz):
        return 0
    key = digest_key(now, tz)
    added = 0
    with transaction(factory) as session:
        channels = announce_channels(session)
        if default_channel and default_channel not in channels:
            channels.append(default_channel)
        for channel in channels:
            if open_anfragen(session, channel, tz=tz, limit=1)[1]:
                added += enqueue(
                    session, kind="digest", channel=channel, key=key, now=now, payload={"week": key}
                )
    return added


def render_digest(
    session: Session,
    item: Claimed,
    *,
    now: datetime,
    tz: ZoneInfo,
    perspective: Perspective = NOBODY,
) -> Rendered | None:
    today = now.astimezone(tz).date()
    entries = []
    for o in open_anfragen(session, item.channel, tz=tz, limit=DIGEST_MAX)[0]:
        p = o.paper
        due = answer_due(p.date, p.paper_type, perspective.deadlines)
        entries.append(
            lb.DigestEntry(
                p.reference,
                clean_subject(p.subject),
                p.date,
                max(0, (today - o.since).days),
                p.web,
                owner=owner_of(p.faction, perspective),
                due=due,
                overdue=overdue_days(due, today),
            )
        )
    if not entries:
        return None  # everything was answered since the digest was queued: nothing to say
    # Overdue first (longest overdue on top), then the oldest.
    entries.sort(key=lambda e: (-e.overdue, -e.days_open))
    week = str(item.payload.get("week") or item.key)
    text, blocks = lb.digest(week.split("-W")[-1], entries)
    return Rendered(text=text, blocks=blocks)


# -- the job -------------------------------------------------------------------------------------


@dataclass
class RemindReport:
    reminders: int = 0
    digests: int = 0
    overdue: int = 0
    delivery: DeliveryReport | None = None


def remind_once(rt: Runtime, now: datetime) -> RemindReport:
    """`anfragebot remind --once` and the scheduler's remind job: enqueue what is due, send."""
    from jobs.overdue import enqueue_overdue
    from jobs.poll import deliver  # here, not above: jobs.poll imports the lifecycle renderers

    report = RemindReport()
    config = rt.config
    report.reminders = enqueue_reminders(rt.factory, now=now, config=config.reminders)
    report.digests = enqueue_digest(
        rt.factory,
        now=now,
        config=config.digest,
        tz=config.reminders.timezone,
        default_channel=config.slack.channel,
    )
    report.overdue = enqueue_overdue(
        rt.factory, now=now, tz=config.reminders.timezone, deadlines=config.deadlines
    )
    report.delivery = deliver(rt, now)
    if report.reminders or report.digests:
        log.info("queued %d reminder(s), %d digest(s)", report.reminders, report.digests)
    return report
