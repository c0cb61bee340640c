"""Sync one OParl source into the store: organizations, meetings, papers (in that order, so a
paper's committee and session are known when it is announced)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.config import SourceConfig
from bot.errors import FeedError
from bot.feed.client import OParlClient, format_since
from bot.feed.parse import parse_body, parse_meeting, parse_organization, parse_paper
from bot.store.db import transaction
from bot.store.feed_store import (
    AnnouncePolicy,
    SaveStats,
    save_body,
    save_meetings,
    save_organizations,
    save_papers,
)
from bot.store.schema import ListState, Source

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
) -> SyncReport:
    """Fetch everything new from one source. Never raises for feed trouble: returns the reason."""
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
                    client, factory, source.name, parse_body(raw_body), policy, report, clock
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
) -> None:
    with transaction(factory) as session:
        save_body(session, source, body)

    def orgs(session: Session, items: list[dict[str, Any]]) -> None:
        parsed = _parse_all(items, parse_organization)
        save_organizations(session, source, parsed)
        report.organizations += len(parsed)

    def meetings(session: Session, items: list[dict[str, Any]]) -> None:
        _add(report.meetings, save_meetings(session, source, _parse_all(items, parse_meeting)))

    def papers(session: Session, items: list[dict[str, Any]]) -> None:
        _add(report.papers, save_papers(session, source, _parse_all(items, parse_paper), policy))

    for url, save in (
        (body.organization_list, orgs),
        (body.meeting_list, meetings),
        (body.paper_list, papers),
    ):
        if url:
            _sync_list(client, factory, source, url, save, clock)


def _sync_list(
    client: OParlClient,
    factory: sessionmaker[Session],
    source: str,
    url: str,
    save: Callable[[Session, list[dict[str, Any]]], None],
    clock: Callable[[], datetime],
) -> None:
    started = clock()
    with factory() as session:
        state = session.get(ListState, url)
        watermark = state.watermark if state else None
    params = {"modified_since": format_since(watermark)} if watermark else None
    count = 0
    for page in client.pages(url, params):
        with transaction(factory) as session:
            save(session, page.items)
        count += len(page.items)
    # Only a list read to its end moves the watermark; a failure above leaves it where it was.
    with transaction(factory) as session:
        state = session.get(ListState, url)
        if state is None:
            state = ListState(url=url, source=source)
            session.add(state)
        state.watermark = started - WATERMARK_MARGIN
        state.last_count = count


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
