"""Incremental polls of oldest-first lists whose server ignores `modified_since` (more! rubin,
ALLRIS 4): read from `links.last` backwards, at most two requests per list when nothing changed."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from bot.config import SourceConfig
from bot.demo.server import FeedReply as Reply
from bot.demo.server import FeedServer
from bot.feed.client import OParlClient
from bot.store.db import make_engine, migrate, session_factory
from bot.store.schema import ListState, PaperRow
from jobs.sync import SyncReport, sync_source
from tests.rvr_feed import RvrFeed

T0 = datetime(2025, 1, 10, 8, 0, tzinfo=UTC)


class Allris4Feed(RvrFeed):
    def stamp(self) -> str:
        return "2000-01-01T00:00:00+01:00"


class DatedFeed(RvrFeed):
    """Real, varied `modified` stamps, but a server that ignores the filter."""

    def obj(self, kind: str, oid: str, **fields: object) -> dict[str, object]:
        num = int(oid.rsplit("/", 1)[1])
        stamp = (datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=num)).isoformat()
        return {**super().obj(kind, oid, **fields), "created": stamp, "modified": stamp}


class NaiveDatedFeed(RvrFeed):
    """Varied stamps without an offset (local time, as many ALLRIS and SD.NET servers send
    them), and a server that ignores the filter."""

    def obj(self, kind: str, oid: str, **fields: object) -> dict[str, object]:
        num = int(oid.rsplit("/", 1)[1])
        stamp = (datetime(2020, 1, 1) + timedelta(days=num)).isoformat()
        return {**super().obj(kind, oid, **fields), "created": stamp, "modified": stamp}


def _feed(cls: type[RvrFeed], base: str, papers: int = 10) -> RvrFeed:
    feed = cls(base=base, today=date(2025, 1, 10), page_size=3)
    org = feed.add_org(10, "Verkehrsausschuss")
    feed.add_meeting(501, org, "2025-02-06T15:00:00+01:00")
    for n in range(papers):
        add_paper(feed, 100 + n)
    return feed


def add_paper(feed: RvrFeed, num: int) -> None:
    feed.add_paper(num, f"14/{num}", f"Vorlage {num}", "Beschlussvorlage", "2024-12-01")


def _sync(
    server: FeedServer, feed: RvrFeed, url: str, now: datetime
) -> tuple[SyncReport, list[str]]:
    engine = make_engine(url)
    migrate(engine)
    before = len(server.requests)
    with httpx.Client(trust_env=False, timeout=5) as http:
        report = sync_source(
            OParlClient(http, requests_per_second=0),
            session_factory(engine),
            SourceConfig(name="rvr", url=feed.system_url, requests_per_second=0),
            now=now,
            announce_max_age_days=14,
            clock=lambda: now,
        )
    engine.dispose()
    assert report.ok, report.error
    return report, server.requests[before:]


def _paper_requests(requests: list[str]) -> list[str]:
    return [r for r in requests if "/paper" in r]


def _count(url: str) -> int:
    engine = make_engine(url)
    with session_factory(engine)() as s:
        n = s.scalar(select(func.count()).select_from(PaperRow)) or 0
    engine.dispose()
    return n


def test_rubin_like_list_is_read_from_the_end(feed: FeedServer, sqlite_url: str) -> None:
    rvr = _feed(RvrFeed, feed.base_url)  # 10 papers, 3 per page: 4 pages
    feed.routes.update(rvr.routes())
    first, _ = _sync(feed, rvr, sqlite_url, T0)
    assert first.papers.new == 10

    idle, requests = _sync(feed, rvr, sqlite_url, T0 + timedelta(minutes=15))
    # The first page (for links.last) and the last page: nothing new, stop.
    assert _paper_requests(requests) == ["/oparl/body/1/paper", "/oparl/body/1/paper?page=4"]
    assert idle.papers.new == 0

    for num in (200, 201, 202, 203):  # page 4 fills up, page 5 appears
        add_paper(rvr, num)
    feed.routes.update(rvr.routes())
    again, requests = _sync(feed, rvr, sqlite_url, T0 + timedelta(minutes=30))
    assert again.papers.new == 4
    assert _paper_requests(requests) == [
        "/oparl/body/1/paper",
        "/oparl/body/1/paper?page=5",
        "/oparl/body/1/paper?page=4",
        "/oparl/body/1/paper?page=3",
    ]
    assert _count(sqlite_url) == 14


def test_allris4_filter_returning_nothing_still_finds_new_papers(
    feed: FeedServer, sqlite_url: str
) -> None:
    rvr = _feed(Allris4Feed, feed.base_url)
    feed.routes.update(rvr.routes())
    empty = json.dumps({"data": [], "links": {}}).encode()
    feed.hook = lambda path: Reply(body=empty) if "modified_since=" in path else None
    _sync(feed, rvr, sqlite_url, T0)
    add_paper(rvr, 300)
    feed.routes.update(rvr.routes())
    report, requests = _sync(feed, rvr, sqlite_url, T0 + timedelta(minutes=15))
    assert report.papers.new == 1
    assert len(_paper_requests(requests)) <= 3
    assert not any("modified_since=" in r for r in _paper_requests(requests))


@pytest.mark.parametrize("cls", [DatedFeed, NaiveDatedFeed], ids=["offset", "naive"])
def test_filter_ignored_is_detected_on_a_filtered_answer(
    feed: FeedServer, sqlite_url: str, cls: type[RvrFeed]
) -> None:
    rvr = _feed(cls, feed.base_url)
    feed.routes.update(rvr.routes())  # FeedServer ignores the query: the filter is ignored
    _sync(feed, rvr, sqlite_url, T0)
    engine = make_engine(sqlite_url)
    with session_factory(engine)() as s:
        assert s.get(ListState, rvr.body + "/paper").mode is None  # type: ignore[union-attr]
    _report, requests = _sync(feed, rvr, sqlite_url, T0 + timedelta(minutes=15))
    # The filtered answer held old objects: switch to the tail instead of reading all 4 pages.
    assert len(_paper_requests(requests)) == 2
    with session_factory(engine)() as s:
        assert s.get(ListState, rvr.body + "/paper").mode == "tail"  # type: ignore[union-attr]
    engine.dispose()
    _report, requests = _sync(feed, rvr, sqlite_url, T0 + timedelta(minutes=30))
    assert len(_paper_requests(requests)) == 2
    assert not any("modified_since=" in r for r in _paper_requests(requests))


def test_tail_lists_are_read_in_full_once_a_day(feed: FeedServer, sqlite_url: str) -> None:
    rvr = _feed(RvrFeed, feed.base_url)
    feed.routes.update(rvr.routes())
    _sync(feed, rvr, sqlite_url, T0)
    _report, requests = _sync(feed, rvr, sqlite_url, T0 + timedelta(days=1, minutes=1))
    assert len(_paper_requests(requests)) == 4


def test_a_walk_back_cut_short_leaves_no_gap(feed: FeedServer, sqlite_url: str) -> None:
    """The walk from `links.last` fails half way (server error, or the process is killed):
    nothing newer than what is missing may be stored, or the next walk would stop at it and
    the missing papers would wait for the daily full read."""
    rvr = _feed(RvrFeed, feed.base_url, papers=9)  # 3 full pages
    feed.routes.update(rvr.routes())
    _sync(feed, rvr, sqlite_url, T0)
    for num in range(200, 206):  # two new pages: 4 and 5
        add_paper(rvr, num)
    feed.routes.update(rvr.routes())
    feed.hook = lambda path: Reply(status=404) if path.endswith("paper?page=4") else None
    engine = make_engine(sqlite_url)
    with httpx.Client(trust_env=False, timeout=5) as http:
        broken = sync_source(
            OParlClient(http, requests_per_second=0, max_retries=0),
            session_factory(engine),
            SourceConfig(name="rvr", url=rvr.system_url, requests_per_second=0),
            now=T0 + timedelta(minutes=15),
            announce_max_age_days=14,
            clock=lambda: T0 + timedelta(minutes=15),
        )
    engine.dispose()
    assert not broken.ok
    assert _count(sqlite_url) == 9  # page 5 was read but not stored ahead of page 4
    feed.hook = None
    again, _ = _sync(feed, rvr, sqlite_url, T0 + timedelta(minutes=30))
    assert again.papers.new == 6 and _count(sqlite_url) == 15
