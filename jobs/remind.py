"""`remind --once` and the scheduler's remind job: reminders before committee sessions, the
weekly digest, overdue notices, then send.

`remind_once` runs no sync. For every reminder due at `now` it first reads that meeting's own
object from the feed (one request per meeting, `read_fresh`) and writes it back to the store:
councils cancel and move sessions without touching `modified`, and the last poll may be an hour
old. Cancelled → no reminder; moved → none now, one when the new date is due; either way the
lifecycle's thread notes follow (`detect_events`). A failing read is tried again on the next
run; from `FRESH_READ_GRACE` after the due time the reminder goes out with the stored data and a
"Stand der Sitzungsdaten" line. What is due and how it reads: bot/outbox/reminders.py, digest.py.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.config import SourceConfig
from bot.domain import Meeting
from bot.errors import FeedError
from bot.feed.client import FeedRefused, OParlClient
from bot.feed.parse import parse_meeting
from bot.outbox.digest import enqueue_digest
from bot.outbox.events import detect_events
from bot.outbox.overdue import enqueue_overdue
from bot.outbox.reminders import (
    DueReminder,
    FreshRead,
    enqueue_reminders,
    fresh_deadline,
    plan_reminders,
)
from bot.outbox.send import DeliveryReport
from bot.runtime import Runtime, feed_policy
from bot.store.db import transaction
from bot.store.lifecycle import data_as_of, save_fresh_meeting
from jobs.poll import deliver

log = logging.getLogger(__name__)


def read_meeting(client: OParlClient, source: SourceConfig, meeting_id: str) -> Meeting:
    """One request for the meeting's own object. The id comes from the feed: the source's
    client refuses it (FeedRefused, no request) unless it is on the origin of the source's
    System URL or a `feed_hosts` entry (bot/netpolicy.py); checked here too, whatever client
    is passed."""
    policy = feed_policy(source)
    if not policy.allows(meeting_id):
        raise FeedRefused(meeting_id, policy)
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
