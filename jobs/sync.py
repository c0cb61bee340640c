"""Sync one OParl source into the store: papers, meetings, organizations — each list on its
own, papers first, so a failure in one list never keeps another from being read. Everything is
read before anything is announced (jobs/poll.py routes after the sync), so a paper's committee
and session are known when it is announced.

Under feed faults (issue 10): every page saved stays saved, and its list's resume point is
written in the same transaction, so the next poll reads on from there; an object that cannot be
parsed or stored is quarantined with its reason (bot/store/quarantine.py) and retried later,
while everything else goes on.

Where the parts live: reading one list page by page (full, filtered, tail walk) in
jobs/sync_list.py; raw JSON → typed objects and the vendor quirks in bot/feed; what a sync
remembers between polls (watermarks, resume points, first sync done) in bot/store/sync_state.py;
the writes in bot/store/feed_store.py. This module only orchestrates."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.config import SourceConfig
from bot.domain import Body
from bot.errors import FeedError
from bot.feed.client import FeedRefused, OParlClient, Page
from bot.feed.parse import (
    body_list_url,
    first_line,
    has_upcoming,
    meeting_link,
    parse_bodies,
    parse_items,
    parse_meeting,
)
from bot.feed.reader import PARSERS
from bot.store import quarantine as qstore
from bot.store import sync_state
from bot.store.db import transaction
from bot.store.feed_store import (
    AnnouncePolicy,
    SaveStats,
    save_body,
    save_meetings,
    save_organizations,
    save_papers,
)
from bot.store.meeting_links import (
    Candidate,
    find_in_store,
    links_done,
    links_owed,
    owe_links,
    resolve_pass,
    save_alias,
)
from jobs.sync_list import ListTarget, Progress, SaveFn, guarded, quarantine_object, sync_list

log = logging.getLogger(__name__)


@dataclass
class SyncReport:
    source: str
    ok: bool = True
    error: str | None = None
    papers: SaveStats = field(default_factory=SaveStats)
    meetings: SaveStats = field(default_factory=SaveStats)
    organizations: int = 0
    requests: int = 0
    # Every paper list read to its end (meetings or organizations may still have failed).
    papers_complete: bool = False


def _wall_clock() -> datetime:
    return datetime.now(UTC)


def sync_source(
    client: OParlClient,
    factory: sessionmaker[Session],
    source: SourceConfig,
    *,
    now: datetime,
    announce_max_age_days: int,
    clock: Callable[[], datetime] = _wall_clock,
    progress: Progress | None = None,
) -> SyncReport:
    """Fetch everything new from one source. Never raises for feed trouble: returns the reason.
    `progress` is told of every list page read (jobs/progress.py shows a long first sync)."""
    report = SyncReport(source=source.name)
    requests_before = client.requests
    first_sync = sync_state.begin_source(factory, source.name, source.url, now)
    policy = AnnouncePolicy(first_sync=first_sync, now=now, max_age_days=announce_max_age_days)
    try:
        system = client.get_object(source.url)
        body_list = body_list_url(system, source.url)
        bodies = [raw for page in client.pages(body_list) for raw in page.items]
    except FeedError as e:
        _fail(report, str(e))
        bodies = []
        fallback = sync_state.known_lists(factory, source.name)
        if fallback:
            log.warning("source %s: reading the %d known lists anyway", source.name, len(fallback))
            _sync_lists(client, factory, source.name, fallback, policy, report, clock, progress)
    report.papers_complete = bool(bodies) and report.ok
    for body in parse_bodies(bodies):
        if isinstance(body, str):
            _fail(report, body)
            report.papers_complete = False
            continue
        _sync_body(client, factory, source.name, body, policy, report, clock, progress)
    report.requests = client.requests - requests_before
    sync_state.end_source(
        factory,
        source.name,
        now,
        papers_complete=report.papers_complete,
        error=None if report.ok else report.error,
    )
    return report


def _fail(report: SyncReport, reason: str) -> None:
    report.ok = False
    report.error = reason if report.error is None else f"{report.error}; {reason}"


def _sync_body(
    client: OParlClient,
    factory: sessionmaker[Session],
    source: str,
    body: Body,
    policy: AnnouncePolicy,
    report: SyncReport,
    clock: Callable[[], datetime],
    progress: Progress | None,
) -> None:
    with transaction(factory) as session:
        save_body(session, source, body)
    lists = [
        ("paper", body.paper_list),
        ("meeting", body.meeting_list),
        ("organization", body.organization_list),
    ]
    found = [(k, u) for k, u in lists if u]
    _sync_lists(client, factory, source, found, policy, report, clock, progress)


def _sync_lists(
    client: OParlClient,
    factory: sessionmaker[Session],
    source: str,
    lists: list[tuple[str, str]],
    policy: AnnouncePolicy,
    report: SyncReport,
    clock: Callable[[], datetime],
    progress: Progress | None,
) -> None:
    now = policy.now

    # Each gets the parsed objects of a batch (jobs/sync_list.py quarantines the rest).
    def orgs(session: Session, parsed: list[Any]) -> int:
        report.organizations += len(parsed)
        return save_organizations(session, source, parsed)

    def meetings(session: Session, parsed: list[Any]) -> int:
        stats = save_meetings(session, source, parsed)
        _add(report.meetings, stats)
        return stats.fresh

    def papers(session: Session, parsed: list[Any]) -> int:
        stats = save_papers(session, source, parsed, policy)
        if stats.new or stats.changed:
            owe_links(session, source, now)
        _add(report.papers, stats)
        return stats.fresh

    saves: dict[str, SaveFn] = {"paper": papers, "meeting": meetings, "organization": orgs}
    # Papers first: a failing meeting or organization list never delays an announcement.
    for kind, url in sorted(lists, key=lambda item: sync_state.LIST_KINDS.index(item[0])):
        target = ListTarget(
            source,
            kind,
            url,
            saves[kind],
            unknown=partial(_count_unknown, factory, kind),
            keep=partial(_has_upcoming, now) if kind == "meeting" else _never,
            seen=partial(progress, sync_state.table_of(kind)) if progress else None,
        )
        before = sync_state.resume_point(factory, url)
        error = guarded(partial(sync_list, client, factory, target, clock, now))
        if error and sync_state.resume_point(factory, url) not in (None, before):
            # It failed after saving progress: the server works now and then. One more go
            # from the new resume point in this poll (bounded: once per list and poll).
            log.info("%s list %s: reading on from the resume point once more", kind, url)
            error = guarded(partial(sync_list, client, factory, target, clock, now))
        if error:
            _fail(report, f"{kind} list {url}: {error}")
            sync_state.record_list_error(factory, source, kind, url, error, now)
            if kind == "paper":
                report.papers_complete = False
    for what, step in (
        ("quarantine retry", lambda: _retry_quarantined(client, factory, source, saves, now)),
        ("meeting links", lambda: _resolve_meeting_links(client, factory, source, now)),
    ):
        error = guarded(step)
        if error:
            log.warning("source %s: %s failed: %s", source, what, error)


def _never(page: Page) -> bool:
    return False


def _has_upcoming(now: datetime, page: Page) -> bool:
    """A meeting page holding sessions still to come is read again on every poll, so a move or
    a cancellation is noticed even where nothing marks it (one fixed `modified`)."""
    return has_upcoming(page.items, now)


def _count_unknown(factory: sessionmaker[Session], kind: str, page: Page) -> int:
    """How many objects of `page` the store has never seen."""
    return sync_state.count_unknown(factory, kind, page.ids())


def _parse_all(
    session: Session,
    source: str,
    kind: str,
    items: list[dict[str, Any]],
    parse: Callable[[dict[str, Any]], Any],
    now: datetime,
) -> list[Any]:
    """Parse what can be parsed; quarantine the rest with its reason."""
    parsed, rejected = parse_items(items, parse)
    for r in rejected:
        quarantine_object(session, source, kind, r.object_id, r.reason, now)
    if parsed:
        qstore.release(session, kind, [o.id for o in parsed])
    return parsed


def _retry_quarantined(
    client: OParlClient,
    factory: sessionmaker[Session],
    source: str,
    saves: dict[str, SaveFn],
    now: datetime,
) -> None:
    """Quarantined objects whose time has come: read each on its own (ids are URLs)."""
    with factory() as session:
        rows = [(r.kind, r.object_id) for r in qstore.due(session, source, now)]
    for kind, oid in rows:
        save = saves.get(kind)
        if save is None or not oid.startswith(("http://", "https://")):
            with transaction(factory) as session:
                qstore.quarantine(
                    session,
                    source=source,
                    kind=kind,
                    object_id=oid,
                    reason="no retry possible",
                    now=now,
                    retried=True,
                )
            continue
        try:
            raw = client.get_object_or_none(oid)
            if raw is None:
                with transaction(factory) as session:
                    qstore.release(session, kind, [oid])
                log.info("quarantined %s %s is gone (404): released", kind, oid[:200])
                continue
            with transaction(factory) as session:
                parsed = _parse_all(session, source, kind, [raw], PARSERS[kind], now)
                if parsed:
                    save(session, parsed)
        except Exception as e:  # noqa: BLE001 - still broken: retry later
            with transaction(factory) as session:
                qstore.quarantine(
                    session,
                    source=source,
                    kind=kind,
                    object_id=oid,
                    reason=f"{type(e).__name__}: {first_line(e)}",
                    now=now,
                    retried=True,
                )
            continue
        with factory() as session:
            still = any(r.object_id == oid for r in qstore.due(session, source, now))
        if still:
            # save() quarantined it again (on the same key): move its retry further out.
            with transaction(factory) as session:
                qstore.quarantine(
                    session,
                    source=source,
                    kind=kind,
                    object_id=oid,
                    reason="still unreadable",
                    now=now,
                    retried=True,
                )


def _resolve_meeting_links(
    client: OParlClient, factory: sessionmaker[Session], source: str, now: datetime
) -> None:
    """Consultations whose meeting is unknown: find the meeting another way (see
    bot/store/meeting_links.py), fetching the meeting or agenda item only when the store
    alone cannot tell."""
    with factory() as session:
        if not links_owed(session, source, now):
            return
        candidates, more = resolve_pass(session, source, now)
    for cand in candidates:
        found = _resolve(client, factory, source, cand, now)
        with transaction(factory) as session:
            save_alias(session, source, cand.meeting_id, found, now)
        if found:
            log.info("meeting %s found as %s", cand.meeting_id[:200], found[:200])
    with transaction(factory) as session:
        links_done(session, source, more=more, now=now)


def _resolve(
    client: OParlClient,
    factory: sessionmaker[Session],
    source: str,
    cand: Candidate,
    now: datetime,
) -> str | None:
    """The meeting of one candidate: its own id, then its agenda item, then the committee's
    meeting list. A URL the source's policy refuses (FeedRefused, logged by the client, no
    request made) ends only that way of looking: one hostile id never stops the others."""
    found = cand.found
    if found is None:
        found = _unless_refused(
            partial(_fetch_meeting, client, factory, source, cand.meeting_id, now)
        )
    if found is None and cand.agenda_item_id:
        found = _unless_refused(partial(_via_agenda_item, client, factory, source, cand, now))
    if found is None and cand.organization_ids:
        found = _unless_refused(partial(_via_organization, client, factory, source, cand, now))
    return found


def _unless_refused(step: Callable[[], str | None]) -> str | None:
    try:
        return step()
    except FeedRefused:
        return None


def _via_agenda_item(
    client: OParlClient,
    factory: sessionmaker[Session],
    source: str,
    cand: Candidate,
    now: datetime,
) -> str | None:
    assert cand.agenda_item_id is not None
    item = client.get_object_or_none(cand.agenda_item_id)
    meeting = meeting_link(item)
    if meeting is not None and meeting != cand.meeting_id:
        return _fetch_meeting(client, factory, source, meeting, now)
    return None


# Pages of an organization's meeting list read per unresolved meeting id (newest are often at
# the end, but a committee has a few dozen sessions per term: a few pages cover them).
ORGANIZATION_MEETING_PAGES = 5


def _via_organization(
    client: OParlClient,
    factory: sessionmaker[Session],
    source: str,
    cand: Candidate,
    now: datetime,
) -> str | None:
    """The committee's own meeting list (`Organization.meeting`): store what it holds, then
    look for an agenda item naming the consultation again."""
    for org_id in cand.organization_ids[:2]:
        org = client.get_object_or_none(org_id)
        meeting_list = meeting_link(org)
        if meeting_list is None:
            continue
        for n, page in enumerate(client.pages(meeting_list)):
            with transaction(factory) as session:
                parsed = _parse_all(session, source, "meeting", page.items, parse_meeting, now)
                save_meetings(session, source, parsed)
            with factory() as session:
                found = find_in_store(session, cand)
            if found or n + 1 >= ORGANIZATION_MEETING_PAGES:
                return found
    return None


def _fetch_meeting(
    client: OParlClient, factory: sessionmaker[Session], source: str, url: str, now: datetime
) -> str | None:
    """Read one meeting by its URL and store it; its id as stored, or None for a 404."""
    if sync_state.meeting_stored(factory, url):
        return url
    raw = client.get_object_or_none(url)
    if raw is None:
        return None
    with transaction(factory) as session:
        parsed = _parse_all(session, source, "meeting", [raw], parse_meeting, now)
        if not parsed:
            return None
        save_meetings(session, source, parsed)
    return str(parsed[0].id)


def _add(total: SaveStats, part: SaveStats) -> None:
    total.new += part.new
    total.changed += part.changed
    total.unchanged += part.unchanged
    total.deleted += part.deleted
    total.new_anfragen += part.new_anfragen
