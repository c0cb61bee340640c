"""Reading one OParl list into the store, page by page, in one of three ways: a full read, an
incremental read filtered by `modified_since`, or a tail walk for servers that ignore the
filter (bot/feed/quirks.py). Every saved batch writes the list's progress (resume point, last
page reached) in its own transaction (bot/store/sync_state.py), so a crash or a failing page
leaves a resume point that matches what was stored; an object that cannot be stored is
quarantined on its own and the rest of its batch is kept."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.errors import FeedError
from bot.feed.client import MAX_PAGES, FeedGaveUp, OParlClient, Page, Parsed, format_since
from bot.feed.parse import Rejected, first_line
from bot.feed.quirks import ignores_modified_since
from bot.feed.reader import PARSERS, full_read, parse_objects
from bot.store import quarantine as qstore
from bot.store import sync_state
from bot.store.db import transaction
from bot.store.feed_store import refresh_planner_stats

log = logging.getLogger(__name__)

# A watermark is taken before the fetch and moved back a little: clocks of council servers
# drift, and an object saved during our fetch must show up next time.
WATERMARK_MARGIN = timedelta(minutes=10)


def guarded(step: Callable[[], object]) -> str | None:
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


# Saves one batch of parsed objects (bot/domain.py); returns how many ids were not stored before.
SaveFn = Callable[[Session, list[Any]], int]
# Told of each page read: (table name of the list, "papers" etc., the page).
Progress = Callable[[str, Page], None]


@dataclass(frozen=True)
class ListTarget:
    source: str
    kind: str
    url: str
    save: SaveFn
    unknown: Callable[[Page], int]
    # Pages worth reading on a tail walk even when every id on them is known.
    keep: Callable[[Page], bool]
    # Told of every page read (progress of a long first sync), if anyone listens.
    seen: Callable[[Page], None] | None = None


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
        target: ListTarget,
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
        self.parse = PARSERS[target.kind]
        # What the batch holds: parsed objects, and the objects that could not be parsed.
        self.objects: list[Any] = []
        self.rejected: list[Rejected] = []
        self.since = 0.0
        self.flushes = 0
        # Progress of what `items` holds: the page after it (None: the end) and the last page.
        self.next_url: str | None = None
        self.last_url: str | None = None
        self.track_resume = True
        self.set_tail = True

    def _take(self, page: Page) -> None:
        """The page's objects into the batch (parsed here unless the page reader did)."""
        parsed: Parsed = page.parsed or parse_objects(page, self.parse)
        self.objects.extend(parsed.objects)
        self.rejected.extend(parsed.rejected)
        self.read.count += parsed.size
        self.read.pages += 1
        if len(self.read.days) < 2:
            self.read.days.update(parsed.days)
        if self.target.seen:
            self.target.seen(page)

    def add(self, page: Page) -> None:
        if not self.objects and not self.rejected:
            self.since = time.monotonic()
        self._take(page)
        self.next_url = page.links.get("next")
        self.last_url = page.url
        if (
            len(self.objects) + len(self.rejected) >= BATCH_OBJECTS
            or time.monotonic() - self.since >= BATCH_SECONDS
        ):
            self.flush()

    def _store(self, session: Session, objects: list[Any], rejected: list[Rejected]) -> int:
        """Quarantine what could not be parsed, release what now could, save the objects."""
        for r in rejected:
            quarantine_object(
                session, self.target.source, self.target.kind, r.object_id, r.reason, self.now
            )
        if not objects:
            return 0
        qstore.release(session, self.target.kind, [o.id for o in objects])
        return self.save(session, objects)

    def flush(self) -> int:
        if not self.objects and not self.rejected and self.last_url is None:
            return 0
        objects, self.objects = self.objects, []
        rejected, self.rejected = self.rejected, []
        try:
            with transaction(self.factory) as session:
                fresh = self._store(session, objects, rejected)
                self._progress(session)
        except Exception as e:  # noqa: BLE001 - isolate the object that fails, keep the rest
            log.warning(
                "%s list %s: saving %d objects failed (%s: %s); saving one by one",
                self.target.kind,
                self.target.url,
                len(objects),
                type(e).__name__,
                str(e)[:200],
            )
            fresh = self._save_one_by_one(objects, rejected)
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
        sync_state.save_progress(
            session,
            self.target.source,
            self.target.url,
            self.target.kind,
            tail_url=self.last_url if self.set_tail else None,
            resume=(self.next_url, self.started) if self.track_resume else None,
        )

    def _save_one_by_one(self, objects: list[Any], rejected: list[Rejected]) -> int:
        fresh = 0
        with transaction(self.factory) as session:
            self._store(session, [], rejected)
        for obj in objects:
            try:
                with transaction(self.factory) as session:
                    fresh += self._store(session, [obj], [])
            except Exception as e:  # noqa: BLE001 - this object is the poison pill
                reason = f"cannot be stored: {type(e).__name__}: {first_line(e)}"
                with transaction(self.factory) as session:
                    quarantine_object(
                        session, self.target.source, self.target.kind, obj.id, reason, self.now
                    )
        with transaction(self.factory) as session:
            self._progress(session)
        return fresh

    def save_page(self, page: Page) -> int:
        """Save one page on its own (tail reads decide page by page whether to go on)."""
        self.flush()
        self._take(page)
        self.last_url = page.url
        return self.flush()


def sync_list(
    client: OParlClient,
    factory: sessionmaker[Session],
    target: ListTarget,
    clock: Callable[[], datetime],
    now: datetime,
) -> None:
    url = target.url
    started = clock()
    state = sync_state.list_snapshot(factory, url)
    watermark, mode, full_at = state.watermark, state.mode, state.full_sync_at
    resume_url, resume_started, tail_url = state.resume_url, state.resume_started_at, state.tail_url
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
            _read_pages(full_read(client, url, target.kind, start_url=resume_url), batch)
        except FeedError as e:
            if e.permanent and read.pages == 0:
                # The page to resume at is gone (404): start over on the next poll.
                sync_state.forget_resume_point(factory, target.source, url)
            if mode == TAIL:
                # A daily full read stuck at a broken page must not hide new papers at the
                # end of the list: read the tail as on any other poll.
                tail = _Batch(factory, target, _Read(), now=now, started=started)
                tail.track_resume = False
                guarded(partial(_read_tail, client, url, None, tail, target, tail_url))
            raise
    elif watermark is None or (mode == TAIL and tail_is_stale):
        read.full = True
        batch = _Batch(factory, target, read, now=now, started=started)
        _read_pages(full_read(client, url, target.kind), batch)
    elif mode == TAIL:
        batch = _Batch(factory, target, read, now=now, started=started)
        batch.track_resume = False
        _read_tail(client, url, None, batch, target, tail_url)
    else:
        batch = _Batch(factory, target, read, now=now, started=started)
        pages = client.pages(url, {"modified_since": format_since(watermark)})
        try:
            for page in pages:
                if read.pages == 0 and ignores_modified_since(page.items, watermark):
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
    sync_state.finish_list(
        factory,
        target.source,
        url,
        target.kind,
        watermark=started - WATERMARK_MARGIN,
        count=read.count,
        mode=mode,
        full=read.full,
        now=now,
    )


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


def _read_tail(
    client: OParlClient,
    url: str,
    first: Page | None,
    batch: _Batch,
    target: ListTarget,
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


def quarantine_object(
    session: Session, source: str, kind: str, object_id: str, reason: str, now: datetime
) -> None:
    log.warning("quarantined %s %s: %s", kind, object_id[:200], reason)
    qstore.quarantine(
        session, source=source, kind=kind, object_id=object_id, reason=reason, now=now
    )
