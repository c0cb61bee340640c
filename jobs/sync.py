"""Sync one OParl source into the store: papers, meetings, organizations — each list on its
own, papers first, so a failure in one list never keeps another from being read. Everything is
read before anything is announced (jobs/poll.py routes after the sync), so a paper's committee
and session are known when it is announced.

Under feed faults (issue 10): every page saved stays saved, and its list's resume point is
written in the same transaction, so the next poll reads on from there; an object that cannot be
parsed or stored is quarantined with its reason (bot/store/quarantine.py) and retried later,
while everything else goes on."""

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
from bot.feed.client import MAX_PAGES, FeedGaveUp, OParlClient, Page, format_since
from bot.feed.parse import (
    parse_body,
    parse_datetime,
    parse_meeting,
    parse_organization,
    parse_paper,
)
from bot.feed.quirks import TOO_DEEP
from bot.store import quarantine as qstore
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
from bot.store.meeting_links import Candidate, find_in_store, resolve_candidates, save_alias
from bot.store.schema import ListState, MeetingRow, OrganizationRow, PaperRow, Source

Parse = Callable[[dict[str, Any]], Any]

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
        bodies = [raw for page in client.pages(body_list) for raw in page.items]
    except FeedError as e:
        _fail(report, str(e))
        bodies = []
        fallback = known_lists(factory, source.name)
        if fallback:
            log.warning("source %s: reading the %d known lists anyway", source.name, len(fallback))
            _sync_lists(client, factory, source.name, fallback, policy, report, clock, progress)
    report.papers_complete = bool(bodies) and report.ok
    for raw_body in bodies:
        if raw_body.get("deleted"):
            continue
        try:
            body = parse_body(raw_body)
        except Exception as e:  # noqa: BLE001 - one bad body must not stop the others
            _fail(report, f"body {str(raw_body.get('id'))[:200]}: {type(e).__name__}: {e}")
            report.papers_complete = False
            continue
        _sync_body(client, factory, source.name, body, policy, report, clock, progress)
    report.requests = client.requests - requests_before
    with transaction(factory) as session:
        state = session.get(Source, source.name)
        assert state is not None
        if report.papers_complete:
            # The first sync is over once every paper has been seen (announce_max_age_days
            # applied to them): a failing meeting list must not keep it going for ever.
            state.first_sync_done = True
        if report.ok:
            state.last_success_at = now
        else:
            state.last_error = report.error
            state.last_error_at = now
    return report


def _fail(report: SyncReport, reason: str) -> None:
    report.ok = False
    report.error = reason if report.error is None else f"{report.error}; {reason}"


def _sync_body(
    client: OParlClient,
    factory: sessionmaker[Session],
    source: str,
    body: Any,
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


def known_lists(factory: sessionmaker[Session], source: str) -> list[tuple[str, str]]:
    """The lists read before, from the store: a poll whose System or Body request fails still
    reads them (a flaky entry point must not hold back every list behind it)."""
    with factory() as session:
        rows = session.execute(
            select(ListState.kind, ListState.url).where(
                ListState.source == source, ListState.kind.is_not(None)
            )
        ).all()
    order = {"paper": 0, "meeting": 1, "organization": 2}
    found = [(str(k), str(u)) for k, u in rows if k in order]
    return sorted(found, key=lambda item: order[item[0]])


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

    def orgs(session: Session, items: list[dict[str, Any]]) -> int:
        parsed = _parse_all(session, source, "organization", items, parse_organization, now)
        report.organizations += len(parsed)
        return save_organizations(session, source, parsed)

    def meetings(session: Session, items: list[dict[str, Any]]) -> int:
        parsed = _parse_all(session, source, "meeting", items, parse_meeting, now)
        stats = save_meetings(session, source, parsed)
        _add(report.meetings, stats)
        return stats.fresh

    def papers(session: Session, items: list[dict[str, Any]]) -> int:
        parsed = _parse_all(session, source, "paper", items, parse_paper, now)
        stats = save_papers(session, source, parsed, policy)
        _add(report.papers, stats)
        return stats.fresh

    saves: dict[str, SaveFn] = {"paper": papers, "meeting": meetings, "organization": orgs}
    models: dict[str, Any] = {
        "paper": PaperRow,
        "meeting": MeetingRow,
        "organization": OrganizationRow,
    }
    # Papers first: a failing meeting or organization list never delays an announcement.
    for kind, url in sorted(lists, key=lambda item: list(saves).index(item[0])):
        model = models[kind]
        unknown = partial(_count_unknown, factory, model)
        keep: Callable[[Page], bool] = partial(_has_upcoming, now) if kind == "meeting" else _never
        seen = partial(progress, model.__tablename__) if progress else None
        target = _ListTarget(source, kind, url, saves[kind], unknown, keep, seen)
        before = _resume_point(factory, url)
        error = _guarded(partial(_sync_list, client, factory, target, clock, now))
        if error and _resume_point(factory, url) not in (None, before):
            # It failed after saving progress: the server works now and then. One more go
            # from the new resume point in this poll (bounded: once per list and poll).
            log.info("%s list %s: reading on from the resume point once more", kind, url)
            error = _guarded(partial(_sync_list, client, factory, target, clock, now))
        if error:
            _fail(report, f"{kind} list {url}: {error}")
            _record_list_error(factory, source, kind, url, error, now)
            if kind == "paper":
                report.papers_complete = False
    for what, step in (
        ("quarantine retry", lambda: _retry_quarantined(client, factory, source, saves, now)),
        ("meeting links", lambda: _resolve_meeting_links(client, factory, source, now)),
    ):
        error = _guarded(step)
        if error:
            log.warning("source %s: %s failed: %s", source, what, error)


def _resume_point(factory: sessionmaker[Session], url: str) -> str | None:
    with factory() as session:
        state = session.get(ListState, url)
        return state.resume_url if state else None


def _never(page: Page) -> bool:
    return False


def _guarded(step: Callable[[], object]) -> str | None:
    """Run one independent step; any failure becomes a one-line reason (never a traceback:
    one list, one object or one lookup must not end the poll)."""
    try:
        step()
    except FeedError as e:
        return str(e)
    except Exception as e:  # noqa: BLE001 - see docstring
        log.error("unexpected %s: %s", type(e).__name__, str(e)[:500])
        return f"{type(e).__name__}: {str(e)[:500]}"
    return None


def _record_list_error(
    factory: sessionmaker[Session], source: str, kind: str, url: str, error: str, now: datetime
) -> None:
    with transaction(factory) as session:
        state = _state(session, source, url, kind)
        state.last_error = error[:2000]
        state.last_error_at = now


def _state(session: Session, source: str, url: str, kind: str | None = None) -> ListState:
    state = session.get(ListState, url)
    if state is None:
        state = ListState(url=url, source=source, last_count=0)
        session.add(state)
    if kind:
        state.kind = kind
    return state


def _has_upcoming(now: datetime, page: Page) -> bool:
    """A meeting page holding sessions still to come is read again on every poll, so a move or
    a cancellation is noticed even where nothing marks it (one fixed `modified`)."""
    for raw in page.items:
        try:
            start = parse_datetime(raw.get("start"))
        except ValueError:
            continue
        if start is not None and start >= now - timedelta(days=1):
            return True
    return False


@dataclass(frozen=True)
class _ListTarget:
    source: str
    kind: str
    url: str
    save: SaveFn
    unknown: Callable[[Page], int]
    # Pages worth reading on a tail walk even when every id on them is known.
    keep: Callable[[Page], bool]
    # Told of every page read (progress of a long first sync), if anyone listens.
    seen: Callable[[Page], None] | None = None


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
    """Collects pages and saves them; every save also writes the list's progress (the next
    page to read, the last page reached) in the same transaction as the data."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        target: _ListTarget,
        read: _Read,
        *,
        now: datetime,
        started: datetime,
    ) -> None:
        self.factory = factory
        self.target = target
        self.save = target.save
        self.read = read
        self.now = now
        self.started = started
        self.items: list[dict[str, Any]] = []
        self.since = 0.0
        self.flushes = 0
        # Progress of what `items` holds: the page after it (None: the end) and the last page.
        self.next_url: str | None = None
        self.last_url: str | None = None
        self.track_resume = True
        self.set_tail = True

    def add(self, page: Page) -> None:
        if not self.items:
            self.since = time.monotonic()
        self.items.extend(page.items)
        self.read.count += len(page.items)
        self.read.pages += 1
        if self.target.seen:
            self.target.seen(page)
        self.next_url = page.links.get("next")
        self.last_url = page.url
        if len(self.read.days) < 2:
            for raw in page.items:
                modified = raw.get("modified")
                if isinstance(modified, str):
                    self.read.days.add(modified[:10])
        if len(self.items) >= BATCH_OBJECTS or time.monotonic() - self.since >= BATCH_SECONDS:
            self.flush()

    def flush(self) -> int:
        if not self.items and self.last_url is None:
            return 0
        items, self.items = self.items, []
        try:
            with transaction(self.factory) as session:
                fresh = self.save(session, items) if items else 0
                self._progress(session)
        except Exception as e:  # noqa: BLE001 - isolate the object that fails, keep the rest
            log.warning(
                "%s list %s: saving %d objects failed (%s: %s); saving one by one",
                self.target.kind,
                self.target.url,
                len(items),
                type(e).__name__,
                str(e)[:200],
            )
            fresh = self._save_one_by_one(items)
        self.last_url = None
        self.flushes += 1
        if self.read.full and self.flushes >= 2 and self.flushes & (self.flushes - 1) == 0:
            # Batch 2, 4, 8, … of a full read: planner statistics grow with the tables
            # (PostgreSQL; see docs/benchmarks.md for what happens without).
            with transaction(self.factory) as session:
                refresh_planner_stats(session)
        return fresh

    def _progress(self, session: Session) -> None:
        if self.last_url is None:
            return
        state = _state(session, self.target.source, self.target.url, self.target.kind)
        if self.set_tail:
            state.tail_url = self.last_url
        if self.track_resume:
            state.resume_url = self.next_url
            state.resume_started_at = self.started if self.next_url else None

    def _save_one_by_one(self, items: list[dict[str, Any]]) -> int:
        fresh = 0
        for raw in items:
            try:
                with transaction(self.factory) as session:
                    fresh += self.save(session, [raw])
            except Exception as e:  # noqa: BLE001 - this object is the poison pill
                reason = f"cannot be stored: {type(e).__name__}: {_first_line(e)}"
                with transaction(self.factory) as session:
                    _quarantine_raw(
                        session, self.target.source, self.target.kind, raw, reason, self.now
                    )
        with transaction(self.factory) as session:
            self._progress(session)
        return fresh

    def save_page(self, page: Page) -> int:
        """Save one page on its own (tail reads decide page by page whether to go on)."""
        self.flush()
        self.items = list(page.items)
        self.read.count += len(page.items)
        self.read.pages += 1
        if self.target.seen:
            self.target.seen(page)
        self.last_url = page.url
        return self.flush()


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0][:300] if text else ""


def _sync_list(
    client: OParlClient,
    factory: sessionmaker[Session],
    target: _ListTarget,
    clock: Callable[[], datetime],
    now: datetime,
) -> None:
    url = target.url
    started = clock()
    with factory() as session:
        state = session.get(ListState, url)
        watermark = state.watermark if state else None
        mode = state.mode if state else None
        full_at = state.full_sync_at if state else None
        resume_url = state.resume_url if state else None
        resume_started = state.resume_started_at if state else None
        tail_url = state.tail_url if state else None
    read = _Read()
    tail_is_stale = full_at is None or now - full_at >= TAIL_FULL_EVERY
    if resume_url:
        # An earlier read stopped here: read on. It keeps the start time it had, so the
        # watermark it sets covers what changed while it was interrupted.
        read.full = "modified_since=" not in resume_url
        started = resume_started or started
        batch = _Batch(factory, target, read, now=now, started=started)
        log.info("%s: resuming at %s", url, resume_url)
        try:
            _read_pages(client.pages(url, start_url=resume_url), batch)
        except FeedError as e:
            if e.permanent and read.pages == 0:
                # The page to resume at is gone (404): start over on the next poll.
                with transaction(factory) as session:
                    state = _state(session, target.source, url)
                    state.resume_url = None
                    state.resume_started_at = None
            if mode == TAIL:
                # A daily full read stuck at a broken page must not hide new papers at the
                # end of the list: read the tail as on any other poll.
                tail = _Batch(factory, target, _Read(), now=now, started=started)
                tail.track_resume = False
                _guarded(partial(_read_tail, client, url, None, tail, target, tail_url))
            raise
    elif watermark is None or (mode == TAIL and tail_is_stale):
        read.full = True
        batch = _Batch(factory, target, read, now=now, started=started)
        _read_pages(client.pages(url), batch)
    elif mode == TAIL:
        batch = _Batch(factory, target, read, now=now, started=started)
        batch.track_resume = False
        _read_tail(client, url, None, batch, target, tail_url)
    else:
        batch = _Batch(factory, target, read, now=now, started=started)
        pages = client.pages(url, {"modified_since": format_since(watermark)})
        try:
            for page in pages:
                if read.pages == 0 and _ignores_filter(page, watermark):
                    log.info("%s ignores modified_since: reading it from the end from now on", url)
                    pages.close()
                    mode = TAIL
                    batch.track_resume = False
                    _read_tail(client, url, page, batch, target, tail_url)
                    break
                batch.add(page)
        finally:
            batch.flush()
    # A resumed read began on a later page: the list has more than one page.
    if read.full and (read.pages >= 2 or resume_url) and len(read.days) <= 1:
        # Every object "modified" on one day (more! rubin: today; ALLRIS 4: 2000-01-01): the
        # stamps say nothing, so `modified_since` cannot be trusted either.
        if mode != TAIL:
            log.info("%s: all objects carry one modified date; reading it from the end", url)
        mode = TAIL
    # Only a list read to its end moves the watermark; a failure above leaves it where it was.
    with transaction(factory) as session:
        state = _state(session, target.source, url, target.kind)
        state.watermark = started - WATERMARK_MARGIN
        state.last_count = read.count
        state.mode = mode
        state.resume_url = None
        state.resume_started_at = None
        state.last_complete_at = now
        state.last_error = None
        state.last_error_at = None
        if read.full:
            state.full_sync_at = now
        qstore.release_pages(session, target.source, url)


def _read_pages(pages: Any, batch: _Batch) -> None:
    """Save pages as they come; on a failure, what was read is saved before the error
    propagates, with the failing page as the resume point. A page whose body cannot be
    decoded after all retries is also quarantined, so `status` names it."""
    try:
        for page in pages:
            batch.add(page)
    except FeedGaveUp as e:
        batch.flush()
        if e.bad_content:
            with transaction(batch.factory) as session:
                qstore.quarantine(
                    session,
                    source=batch.target.source,
                    kind="page",
                    object_id=e.url,
                    reason=str(e),
                    now=batch.now,
                )
        raise
    finally:
        batch.flush()


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
    target: _ListTarget,
    tail_url: str | None,
) -> None:
    """Incremental read of a list whose server ignores `modified_since`: new objects are at the
    end (oldest first, like more! rubin and ALLRIS 4), so read `links.last` and walk back along
    `links.prev` until a page holds only known ids. Nothing new costs two requests: the first
    page (for `links.last`) and the last. Should the first page itself hold unknown ids (a
    newest-first list), walk forward along `links.next` instead, until a page is all known.
    Without `links.last`, read on from the last page reached before (`tail_url`) along
    `links.next` to the end: a new paper is seen on the next poll, not the next full read.

    The pages found are saved oldest first, after the walk: what a crash leaves unsaved is
    always the newest part, which the next walk finds again (saving while walking back would
    leave a gap behind a saved newer page that stops the next walk early)."""
    page = first or client.page(url)
    if page is None:
        return
    unknown = target.unknown
    found = [page] if unknown(page) else []
    also = [] if found else [page]  # pages of known objects, read on the way
    if found and page.links.get("next"):
        direction, following = "next", page.links.get("next")
    elif page.links.get("last"):
        direction, following = "prev", page.links.get("last")
    else:
        _read_forward(client, page, batch, tail_url)
        return
    seen = {page.url, url, page.links.get("self", page.url)}
    while following and following not in seen and len(seen) < MAX_PAGES:
        seen.add(following)
        page = client.page(following)
        if page is None:
            break
        seen.add(page.links.get("self", following))
        if unknown(page):
            found.append(page)
        else:
            also.append(page)
            if not target.keep(page):  # upcoming meetings: walk on, they may have changed
                break
        following = page.links.get(direction)
    # Either walk found the newest page first (a first page holding new objects is either the
    # only page or the start of a newest-first list): save in reverse, oldest first.
    batch.set_tail = False  # `tail_url` is for lists without `links.last`
    for page in reversed(found):
        batch.save_page(page)
    if target.kind == "meeting":
        # Known meetings are compared by content: a move or cancellation shows only here.
        for page in also:
            batch.save_page(page)


def _read_forward(client: OParlClient, first: Page, batch: _Batch, tail_url: str | None) -> None:
    """A list without `links.last`: from the last page reached before to the end. Pages are
    oldest first, so saving while walking forward leaves no gap behind."""
    batch.save_page(first)
    following = tail_url if tail_url and tail_url != first.url else first.links.get("next")
    seen = {first.url}
    while following and following not in seen and len(seen) < MAX_PAGES:
        seen.add(following)
        page = client.page(following, allow_404=True)
        if page is None:
            # The list shrank below the page we remembered: the daily full read catches up.
            log.info("%s: remembered page %s is gone", batch.target.url, following)
            return
        batch.save_page(page)
        following = page.links.get("next")


def _parse_all(
    session: Session,
    source: str,
    kind: str,
    items: list[dict[str, Any]],
    parse: Parse,
    now: datetime,
) -> list[Any]:
    """Parse what can be parsed; quarantine the rest with its reason (any exception: a date
    out of range, an id too long to store, a value nested too deep, a bug in a parser)."""
    out = []
    for raw in items:
        reason = raw.get(TOO_DEEP)
        if not reason:
            try:
                out.append(parse(raw))
                continue
            except Exception as e:  # noqa: BLE001 - one object must never stop a page
                reason = f"{type(e).__name__}: {_first_line(e)}"
        _quarantine_raw(session, source, kind, raw, str(reason), now)
    if out:
        qstore.release(session, kind, [o.id for o in out])
    return out


def _quarantine_raw(
    session: Session, source: str, kind: str, raw: dict[str, Any], reason: str, now: datetime
) -> None:
    oid = raw.get("id")
    oid_text = oid if isinstance(oid, str) else repr(oid)[:200]
    log.warning("quarantined %s %s: %s", kind, oid_text[:200], reason)
    qstore.quarantine(session, source=source, kind=kind, object_id=oid_text, reason=reason, now=now)


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
                save(session, [raw])
        except Exception as e:  # noqa: BLE001 - still broken: retry later
            with transaction(factory) as session:
                qstore.quarantine(
                    session,
                    source=source,
                    kind=kind,
                    object_id=oid,
                    reason=f"{type(e).__name__}: {_first_line(e)}",
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
        candidates = resolve_candidates(session, source, now)
    for cand in candidates:
        found = cand.found
        if found is None:
            found = _fetch_meeting(client, factory, source, cand.meeting_id, now)
        if found is None and cand.agenda_item_id:
            item = client.get_object_or_none(cand.agenda_item_id)
            meeting = item.get("meeting") if item else None
            if isinstance(meeting, str) and meeting != cand.meeting_id:
                found = _fetch_meeting(client, factory, source, meeting, now)
        if found is None and cand.organization_ids:
            found = _via_organization(client, factory, source, cand, now)
        with transaction(factory) as session:
            save_alias(session, source, cand.meeting_id, found, now)
        if found:
            log.info("meeting %s found as %s", cand.meeting_id[:200], found[:200])


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
        meeting_list = org.get("meeting") if org else None
        if not isinstance(meeting_list, str):
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
    with factory() as session:
        if session.get(MeetingRow, url) is not None:
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
