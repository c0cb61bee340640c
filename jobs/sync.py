"""Sync one OParl source into the store: organizations, meetings, papers (in that order, so a
paper's committee and session are known when it is announced)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import SourceConfig
from bot.errors import FeedError
from bot.feed.client import MAX_PAGES, OParlClient, Page, format_since
from bot.feed.parse import parse_body, parse_meeting, parse_organization, parse_paper
from bot.store.db import transaction
from bot.store.feed_store import (
    AnnouncePolicy,
    SaveStats,
    refresh_planner_stats,
    save_body,
    save_meetings,
    save_organizations,
    save_papers,
)
from bot.store.schema import ListState, MeetingRow, OrganizationRow, PaperRow, Source

log = logging.getLogger(__name__)

# A watermark is taken before the fetch and moved back a little: clocks of council servers
# drift, and an object saved during our fetch must show up next time.
WATERMARK_MARGIN = timedelta(minutes=10)


@dataclass
class SyncReport:
    source: str
    ok: bool = True
    error: str | None = None
    papers: SaveStats = field(default_factory=SaveStats)
    meetings: SaveStats = field(default_factory=SaveStats)
    organizations: int = 0
    requests: int = 0


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
    with transaction(factory) as session:
        state = session.get(Source, source.name)
        if state is None:
            state = Source(name=source.name, system_url=source.url, first_sync_done=False)
            session.add(state)
        state.system_url = source.url
        state.last_attempt_at = now
        first_sync = not state.first_sync_done
    policy = AnnouncePolicy(first_sync=first_sync, now=now, max_age_days=announce_max_age_days)
    try:
        system = client.get_object(source.url)
        body_list = system.get("body")
        if not isinstance(body_list, str):
            raise FeedError(f"{source.url}: not an OParl System (no body list)")
        for page in client.pages(body_list):
            for raw_body in page.items:
                if raw_body.get("deleted"):
                    continue
                _sync_body(
                    client,
                    factory,
                    source.name,
                    parse_body(raw_body),
                    policy,
                    report,
                    clock,
                    progress,
                )
    except FeedError as e:
        report.ok = False
        report.error = str(e)
    report.requests = client.requests - requests_before
    with transaction(factory) as session:
        state = session.get(Source, source.name)
        assert state is not None
        if report.ok:
            state.first_sync_done = True
            state.last_success_at = now
        else:
            state.last_error = report.error
            state.last_error_at = now
    return report


def _sync_body(
    client: OParlClient,
    factory: sessionmaker[Session],
    source: str,
    body: Any,
    policy: AnnouncePolicy,
    report: SyncReport,
    clock: Callable[[], datetime],
    progress: Progress | None = None,
) -> None:
    with transaction(factory) as session:
        save_body(session, source, body)

    def orgs(session: Session, items: list[dict[str, Any]]) -> int:
        parsed = _parse_all(items, parse_organization)
        report.organizations += len(parsed)
        return save_organizations(session, source, parsed)

    def meetings(session: Session, items: list[dict[str, Any]]) -> int:
        stats = save_meetings(session, source, _parse_all(items, parse_meeting))
        _add(report.meetings, stats)
        return stats.fresh

    def papers(session: Session, items: list[dict[str, Any]]) -> int:
        stats = save_papers(session, source, _parse_all(items, parse_paper), policy)
        _add(report.papers, stats)
        return stats.fresh

    for url, save, model in (
        (body.organization_list, orgs, OrganizationRow),
        (body.meeting_list, meetings, MeetingRow),
        (body.paper_list, papers, PaperRow),
    ):
        if url:
            unknown = partial(_count_unknown, factory, model)
            seen = partial(progress, model.__tablename__) if progress else None
            _sync_list(client, factory, source, url, save, unknown, clock, policy.now, seen)


def _count_unknown(factory: sessionmaker[Session], model: Any, page: Page) -> int:
    """How many objects of `page` the store has never seen."""
    ids = {str(i["id"]) for i in page.items}
    if not ids:
        return 0
    with factory() as session:
        known = set(session.scalars(select(model.id).where(model.id.in_(ids))).all())
    return len(ids - known)


# Saves one batch of raw list items; returns how many ids were not stored before.
SaveFn = Callable[[Session, list[dict[str, Any]]], int]
# Told of each page read: (table name of the list, "papers" etc., the page).
Progress = Callable[[str, Page], None]

# A full read commits every BATCH_OBJECTS objects (or BATCH_SECONDS after the first page of a
# batch, so a slow server does not hold a transaction open): fewer, larger transactions are
# what makes a 100k-paper first sync fast. A new Anfrage and its "to be announced" mark are
# still committed together.
BATCH_OBJECTS = 500
BATCH_SECONDS = 2.0
# Lists whose server ignores `modified_since` are read from the end on every poll, and in full
# once a day (to see edits and deletions of old objects, which the tail does not show).
TAIL = "tail"
TAIL_FULL_EVERY = timedelta(days=1)
# A filtered answer holding objects this much older than the watermark ignored the filter
# (the slack covers servers whose clocks or offsets are off by a few hours).
IGNORED_FILTER_SLACK = timedelta(days=1)


@dataclass
class _Read:
    count: int = 0
    pages: int = 0
    full: bool = False
    # Distinct `modified` days seen on a full read (tracking stops at two).
    days: set[str] = field(default_factory=set)


class _Batch:
    def __init__(
        self,
        factory: sessionmaker[Session],
        save: SaveFn,
        read: _Read,
        seen: Callable[[Page], None] | None = None,
    ) -> None:
        self.seen = seen
        self.factory = factory
        self.save = save
        self.read = read
        self.items: list[dict[str, Any]] = []
        self.since = 0.0
        self.flushes = 0

    def add(self, page: Page) -> None:
        if not self.items:
            self.since = time.monotonic()
        self.items.extend(page.items)
        self.read.count += len(page.items)
        self.read.pages += 1
        if self.seen:
            self.seen(page)
        if len(self.read.days) < 2:
            for raw in page.items:
                modified = raw.get("modified")
                if isinstance(modified, str):
                    self.read.days.add(modified[:10])
        if len(self.items) >= BATCH_OBJECTS or time.monotonic() - self.since >= BATCH_SECONDS:
            self.flush()

    def flush(self) -> int:
        if not self.items:
            return 0
        with transaction(self.factory) as session:
            fresh = self.save(session, self.items)
        self.items = []
        self.flushes += 1
        if self.read.full and self.flushes >= 2 and self.flushes & (self.flushes - 1) == 0:
            # Batch 2, 4, 8, … of a full read: planner statistics grow with the tables
            # (PostgreSQL; see docs/benchmarks.md for what happens without).
            with transaction(self.factory) as session:
                refresh_planner_stats(session)
        return fresh

    def save_page(self, page: Page) -> int:
        """Save one page on its own (tail reads decide page by page whether to go on)."""
        self.flush()
        self.items = list(page.items)
        self.read.count += len(page.items)
        self.read.pages += 1
        if self.seen:
            self.seen(page)
        return self.flush()


def _sync_list(
    client: OParlClient,
    factory: sessionmaker[Session],
    source: str,
    url: str,
    save: SaveFn,
    unknown: Callable[[Page], int],
    clock: Callable[[], datetime],
    now: datetime,
    seen: Callable[[Page], None] | None = None,
) -> None:
    started = clock()
    with factory() as session:
        state = session.get(ListState, url)
        watermark = state.watermark if state else None
        mode = state.mode if state else None
        full_at = state.full_sync_at if state else None
    read = _Read()
    batch = _Batch(factory, save, read, seen)
    tail_is_stale = full_at is None or now - full_at >= TAIL_FULL_EVERY
    if watermark is None or (mode == TAIL and tail_is_stale):
        read.full = True
        for page in client.pages(url):
            batch.add(page)
        batch.flush()
    elif mode == TAIL:
        _read_tail(client, url, None, batch, unknown)
    else:
        pages = client.pages(url, {"modified_since": format_since(watermark)})
        for page in pages:
            if read.pages == 0 and _ignores_filter(page, watermark):
                log.info("%s ignores modified_since: reading it from the end from now on", url)
                pages.close()
                mode = TAIL
                _read_tail(client, url, page, batch, unknown)
                break
            batch.add(page)
        batch.flush()
    if read.full and read.pages >= 2 and len(read.days) <= 1:
        # Every object "modified" on one day (more! rubin: today; ALLRIS 4: 2000-01-01): the
        # stamps say nothing, so `modified_since` cannot be trusted either.
        if mode != TAIL:
            log.info("%s: all objects carry one modified date; reading it from the end", url)
        mode = TAIL
    # Only a list read to its end moves the watermark; a failure above leaves it where it was.
    with transaction(factory) as session:
        state = session.get(ListState, url)
        if state is None:
            state = ListState(url=url, source=source)
            session.add(state)
        state.watermark = started - WATERMARK_MARGIN
        state.last_count = read.count
        state.mode = mode
        if read.full:
            state.full_sync_at = now


def _ignores_filter(page: Page, watermark: datetime) -> bool:
    limit = watermark - IGNORED_FILTER_SLACK
    for raw in page.items:
        modified = raw.get("modified")
        if not isinstance(modified, str):
            continue
        try:
            moment = datetime.fromisoformat(modified)
        except ValueError:
            continue
        if moment.tzinfo is not None and moment < limit:
            return True
    return False


def _read_tail(
    client: OParlClient,
    url: str,
    first: Page | None,
    batch: _Batch,
    unknown: Callable[[Page], int],
) -> None:
    """Incremental read of a list whose server ignores `modified_since`: new objects are at the
    end (oldest first, like more! rubin and ALLRIS 4), so read `links.last` and walk back along
    `links.prev` until a page holds only known ids. Nothing new costs two requests: the first
    page (for `links.last`) and the last. Should the first page itself hold unknown ids (a
    newest-first list), walk forward along `links.next` instead, until a page is all known.

    The pages found are saved oldest first, after the walk: what a crash leaves unsaved is
    always the newest part, which the next walk finds again (saving while walking back would
    leave a gap behind a saved newer page that stops the next walk early)."""
    page = first or client.page(url)
    if page is None:
        return
    found = [page] if unknown(page) else []
    if found and page.links.get("next"):
        direction, following = "next", page.links.get("next")
    else:
        direction, following = "prev", page.links.get("last")
    seen = {page.url, url, page.links.get("self", page.url)}
    while following and following not in seen and len(seen) < MAX_PAGES:
        seen.add(following)
        page = client.page(following)
        if page is None or not unknown(page):
            break
        seen.add(page.links.get("self", following))
        found.append(page)
        following = page.links.get(direction)
    # Either walk found the newest page first (a first page holding new objects is either the
    # only page or the start of a newest-first list): save in reverse, oldest first.
    for page in reversed(found):
        batch.save_page(page)


def _parse_all(items: list[dict[str, Any]], parse: Callable[[dict[str, Any]], Any]) -> list[Any]:
    out = []
    for raw in items:
        try:
            out.append(parse(raw))
        except (KeyError, TypeError, ValueError) as e:
            log.warning("skipping unreadable object %s: %s", raw.get("id"), e)
    return out


def _add(total: SaveStats, part: SaveStats) -> None:
    total.new += part.new
    total.changed += part.changed
    total.unchanged += part.unchanged
    total.deleted += part.deleted
    total.new_anfragen += part.new_anfragen
