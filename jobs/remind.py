"""Reminders before committee sessions and the weekly digest of open Anfragen.

`remind_once` runs no sync. For every reminder due at `now` it first reads that meeting's own
object from the feed (one request per meeting, `read_fresh`) and writes it back to the store:
councils cancel and move sessions without touching `modified`, and the last poll may be an hour
old. Cancelled → no reminder; moved → none now, one when the new date is due; either way the
lifecycle's thread notes follow (`detect_events`). A failing read is tried again on the next
run; from `FRESH_READ_GRACE` after the due time the reminder goes out with the stored data and a
"Stand der Sitzungsdaten" line. Messages are built at send time from the store
(jobs/render.py → `render_reminder` / `render_digest`).

Reminder key: `{meeting_id}|{lead}|{start UTC ISO}` per channel. The start time is part of the
key, so a moved meeting gets a fresh reminder for its new date, and each (meeting, lead time,
channel) is reminded once: the unique constraint of the outbox enforces it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import DigestConfig, RemindersConfig, SourceConfig
from bot.deadlines import answer_due, overdue_days
from bot.domain import Meeting
from bot.errors import FeedError
from bot.faction import NOBODY, Perspective, clean_subject
from bot.feed.client import OParlClient
from bot.feed.parse import parse_meeting
from bot.slack import lifecycle_blocks as lb
from bot.slack.blocks import MAX_BLOCKS, owner_of
from bot.store.db import transaction
from bot.store.deliveries import Claimed, enqueue
from bot.store.labels import is_placeholder_meeting, meeting_label
from bot.store.lifecycle import (
    announce_channels,
    data_as_of,
    on_meetings,
    queued_keys,
    save_fresh_meeting,
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
    queued = queued_keys(session, "reminder", [d.key for d in out])
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
                    kind="reminder",
                    channel=channel,
                    key=due.key,
                    now=now,
                    payload=payload,
                )
    return added


# -- fresh reads -----------------------------------------------------------------------------

# A reminder whose fresh read keeps failing waits at most this long after its due time (and
# never past this long before the session), then goes out with the stored data and says when
# they were read.
FRESH_READ_GRACE = timedelta(hours=1)
STAND_LINE = "Stand der Sitzungsdaten: {when}"
STAND_UNKNOWN = "unbekannt"


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


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        port = None
    return parts.scheme, parts.hostname, port


def read_meeting(client: OParlClient, source: SourceConfig, meeting_id: str) -> Meeting:
    """One request for the meeting's own object. The id comes from the feed: it is fetched only
    over http(s) from the origin (scheme, host, port) of the source's System URL."""
    wanted, allowed = _origin(meeting_id), _origin(source.url)
    if wanted[0] not in ("http", "https") or wanted != allowed:
        raise FeedError(f"{meeting_id}: not on the council's host {allowed[1]}")
    raw = client.get_object(meeting_id)
    meeting = parse_meeting(raw)
    if meeting.id != meeting_id:
        raise FeedError(f"{meeting_id}: the server answered with another object ({meeting.id})")
    if meeting.start is None and not (meeting.cancelled or meeting.deleted):
        raise FeedError(f"{meeting_id}: the object has no start")
    return meeting


def read_fresh(rt: Runtime, due: Sequence[DueReminder], now: datetime) -> dict[str, FreshRead]:
    """Read each due meeting's object from the feed (one request per meeting; the client's
    bounded retries included) and write it back, so the lifecycle and the reminder see it.
    A meeting that cannot be read or stored counts as not read."""
    sources = {s.name: s for s in rt.config.sources}
    out: dict[str, FreshRead] = {}
    for d in {d.meeting_id: d for d in due}.values():
        source = sources.get(d.source)
        try:
            if source is None:
                raise FeedError(f"source {d.source!r} is no longer configured")
            meeting = read_meeting(rt.client_for(source), source, d.meeting_id)
            with transaction(rt.factory) as session:
                changed = save_fresh_meeting(session, d.source, meeting)
        except Exception as e:  # noqa: BLE001 - one unreadable meeting never stops the others
            reason = f"{type(e).__name__}: {e}" if not isinstance(e, FeedError) else str(e)
            deadline = fresh_deadline(d)
            if now < deadline:
                log.warning(
                    "reminder for %s held back: fresh read failed (%s); trying again until %s",
                    d.meeting_id,
                    reason,
                    deadline.isoformat(),
                )
                continue
            with rt.factory() as session:
                stand = data_as_of(session, d.source)
            log.warning(
                "reminder for %s sent with stored data as of %s: fresh read failed (%s)",
                d.meeting_id,
                stand.isoformat() if stand else "unknown",
                reason,
            )
            out[d.meeting_id] = FreshRead(fresh=False, stand=stand)
            continue
        if changed:
            log.info("meeting %s changed without notice in the feed (fresh read)", d.meeting_id)
        out[d.meeting_id] = FreshRead(fresh=True, changed=changed)
    return out


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
        committee=meeting_label(session, meeting),
        start=meeting.start,
        location=meeting.location,
        meeting_web=meeting.web,
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
        return STAND_LINE.format(when=STAND_UNKNOWN)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return STAND_LINE.format(when=moment.astimezone(tz).strftime("%d.%m.%Y %H:%M"))


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
    fresh_reads: int = 0
    overdue: int = 0
    delivery: DeliveryReport | None = None


def remind_once(rt: Runtime, now: datetime) -> RemindReport:
    """`anfragebot remind --once` and the scheduler's remind job: read each due meeting afresh,
    enqueue what is still due, send."""
    from jobs.lifecycle import detect_events  # here: jobs.lifecycle imports this module
    from jobs.overdue import enqueue_overdue
    from jobs.poll import deliver  # here, not above: jobs.poll imports the lifecycle renderers

    report = RemindReport()
    config = rt.config
    with rt.factory() as session:
        due = plan_reminders(session, now=now, config=config.reminders)
    verdicts = read_fresh(rt, due, now)
    report.fresh_reads = sum(1 for v in verdicts.values() if v.fresh)
    if any(v.changed for v in verdicts.values()):
        # Cancelled or moved: one note in each thread of an Anfrage on its agenda (the keys of
        # the lifecycle's events make sure a later poll does not repeat them).
        detect_events(rt.factory, now=now, tz=config.reminders.timezone)
    report.reminders = enqueue_reminders(
        rt.factory, now=now, config=config.reminders, verdicts=verdicts
    )
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
