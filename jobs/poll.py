"""One poll: sync every source, read new documents, route and deliver. Used by `poll --once`
and by the scheduler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from bot.config import DeadlinesConfig, SourceConfig
from bot.document.download import download, make_policy
from bot.faction import perspective_of
from bot.feed.client import OParlClient
from bot.outbox.dms import queue_follow_dms
from bot.outbox.events import detect_events
from bot.outbox.message import Render, Rendered
from bot.outbox.overdue import enqueue_interims
from bot.outbox.routing import route_pending
from bot.outbox.send import DeliveryReport, deliver_pending
from bot.runtime import Runtime
from bot.store.calendar import record_meeting_versions
from bot.store.db import transaction
from bot.store.deliveries import Claimed
from bot.store.locks import exclusive
from bot.store.marks import DONE, PENDING, post_sync_owed, set_post_sync
from bot.store.overview import held_back, waiting_deliveries
from bot.store.search import refresh_search_index
from jobs.answer_documents import read_answer_documents
from jobs.answers import Link, link_answers
from jobs.documents import Fetch, read_documents, sandboxed_reader
from jobs.progress import SyncProgress
from jobs.sync import SyncReport, sync_source

log = logging.getLogger(__name__)


@dataclass
class PollReport:
    sources: list[SyncReport] = field(default_factory=list)
    documents: int = 0
    routed: int = 0
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    # Another process was syncing: this one synced nothing (and no source failed).
    sync_skipped: bool = False


def sync_all(rt: Runtime, now: datetime, *, route: bool = True) -> PollReport:
    """Sync every source, read documents, index, route. One process at a time: cron's
    `poll --once` next to `run` would otherwise store the same objects twice at once (unique
    constraint errors); the one that finds a sync running leaves it to that one.
    `route=False` (`poll --dry-run`): store what the feed says, but add no deliveries."""
    with exclusive(rt.engine, "sync") as mine:
        if not mine:
            log.info("another process is syncing right now; skipping the sync this round")
            return PollReport(sync_skipped=True)
        return _sync_all(rt, now, route=route)


def _changed(report: PollReport) -> bool:
    """Did this poll store or read anything the search index or the answer matching read?
    A failed source may have stored part of its objects: it counts as changed."""
    return report.documents > 0 or any(
        not r.ok or r.papers.new or r.papers.changed or r.papers.deleted for r in report.sources
    )


def _sync_all(rt: Runtime, now: datetime, *, route: bool) -> PollReport:
    report = PollReport()
    # Steps after the sync that read every paper run only when something changed, or when the
    # poll before did not finish them (bot/store/marks.py): "pending" is committed first.
    owed = post_sync_owed(rt.factory)
    if not owed:
        set_post_sync(rt.factory, PENDING, now)
    fetchers: dict[str, Fetch] = {}
    for source in rt.config.sources:
        client = rt.client_for(source)
        progress = SyncProgress(source.name)
        result = sync_source(
            client,
            rt.factory,
            source,
            now=now,
            announce_max_age_days=rt.config.slack.announce_max_age_days,
            progress=progress.page,
        )
        progress.done()
        report.sources.append(result)
        if result.ok:
            p = result.papers
            log.info(
                "source %s: %d new, %d changed, %d deleted papers (%d new Anfragen); %d requests",
                source.name,
                p.new,
                p.changed,
                p.deleted,
                p.new_anfragen,
                result.requests,
            )
        else:
            log.error("source %s failed: %s", source.name, result.error)
        log_held_back(rt, source.name, now)

        fetchers[source.name] = document_fetcher(rt, source, client)
        report.documents += read_documents(
            rt.factory,
            source.name,
            fetchers[source.name],
            now=now,
            read=sandboxed_reader(rt.document_limits),
            seconds=rt.document_limits.poll_seconds,
        )
    full = owed or _changed(report)
    if full:
        # `/anfrage suche` and the bare-number lookup read this index (issue 4).
        refresh_search_index(rt.factory, now=now)
    if not route:
        return report  # the answer matching stays owed ("pending") for the next real poll
    report.routed = route_pending(rt.factory, default_channel=rt.config.slack.channel, now=now)
    # Answers, agenda changes, cancellations → thread replies and parent updates (issue 5).
    follow_up(
        rt.factory,
        now=now,
        tz=rt.config.reminders.timezone,
        answers=full,
        read_answers=lambda: read_answer_documents(
            rt.factory,
            fetchers,
            now=now,
            read=sandboxed_reader(rt.document_limits),
            seconds=rt.document_limits.poll_seconds,
        ),
    )
    # Calendar SEQUENCE of moved meetings, direct messages to followers (issue 14).
    after_sync(rt.factory, now=now, tz=rt.config.reminders.timezone, deadlines=rt.config.deadlines)
    set_post_sync(rt.factory, DONE, now)
    return report


def document_fetcher(rt: Runtime, source: SourceConfig, client: OParlClient) -> Fetch:
    """Documents only from the council (bot/document/download.py), at the source's pace."""
    policy = make_policy(source.url, source.document_hosts)

    def fetch(url: str) -> bytes:
        return download(
            rt.http, url, policy, rt.document_limits, before_request=client.throttle.wait
        )

    return fetch


def deliver(rt: Runtime, now: datetime) -> DeliveryReport:
    if rt.notifier is None:
        # No SLACK_BOT_TOKEN: send nothing and mark nothing sent (issue 11).
        log_no_token(rt, now)
        return DeliveryReport()
    return deliver_pending(
        rt.factory, rt.notifier, renderer(rt, now), now=now, pace_seconds=rt.pace_seconds
    )


def renderer(rt: Runtime, now: datetime) -> Render:
    """How the poll renders every message (the dry run previews with the same one); the
    renderers are loaded at the first message, not at every poll's start."""
    made: list[Render] = []

    def render(session: Session, item: Claimed) -> Rendered | None:
        if not made:
            # Lazy: the renderers' modules cost every poll's start-up; an idle poll renders none.
            from bot.outbox.render import make_renderer

            made.append(
                make_renderer(
                    now=now, tz=rt.config.reminders.timezone, perspective=perspective_of(rt.config)
                )
            )
        return made[0](session, item)

    return render


def log_no_token(rt: Runtime, now: datetime) -> None:
    with rt.factory() as session:
        waiting = waiting_deliveries(session)
    log.warning(
        "SLACK_BOT_TOKEN is not set: nothing sent, %d deliveries stay pending for the first run "
        "with the token (preview: anfragebot poll --once --dry-run)",
        waiting,
    )


def log_held_back(rt: Runtime, source: str, now: datetime) -> None:
    """The first sync announces only recent Anfragen; say how many older ones stay silent."""
    with rt.factory() as session:
        n = held_back(session, source, now)
    if n:
        log.info(
            "source %s: %d Anfragen older than announce_max_age_days (%d) held back, not announced",
            source,
            n,
            rt.config.slack.announce_max_age_days,
        )


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
    jobs/answer_documents.py), then queue replies and parent updates for what changed
    (bot/outbox/events.py) and interim replies (bot/outbox/overdue.py).

    `answers=False`: no paper or file changed since the last matching finished, so it would
    find nothing new; it reads every paper, so it is skipped then."""
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


def after_sync(
    factory: sessionmaker[Session],
    *,
    now: datetime,
    tz: ZoneInfo,
    deadlines: DeadlinesConfig | None = None,
) -> None:
    """The poll's hook for issue 14: calendar sequences of moved meetings, follower DMs."""
    with transaction(factory) as session:
        moved = record_meeting_versions(session, now=now)
    if moved:
        log.info("%d meetings moved (calendar SEQUENCE raised)", moved)
    queue_follow_dms(factory, now=now, tz=tz, deadlines=deadlines)


def poll_once(rt: Runtime, now: datetime) -> PollReport:
    report = sync_all(rt, now)
    report.delivery = deliver(rt, now)
    d = report.delivery
    log.info(
        "delivered %d, retrying %d, parked %d, reconciled %d",
        *(d.sent, d.retried, d.parked, d.reconciled),
    )
    return report
