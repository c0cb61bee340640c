"""A long first sync shows progress: a bar on a terminal, a log line every few seconds
otherwise (issue 11, item 9)."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

from bot.config import SourceConfig
from bot.demo.server import FeedReply as Reply
from bot.demo.server import FeedServer
from bot.feed.client import OParlClient, Page
from bot.store.db import make_engine, migrate, session_factory
from jobs.progress import EVERY_SECONDS, QUIET_SECONDS, SyncProgress
from jobs.sync import sync_source
from tests.helpers import at
from tests.rvr_feed import standard_rvr
from tests.test_cli import run, write_config


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def page(n: int, total: int | None) -> Page:
    return Page(url="u", items=[{"id": str(i)} for i in range(n)], links={}, total=total)


def test_short_syncs_show_nothing() -> None:
    clock, out = Clock(), io.StringIO()
    progress = SyncProgress("rvr", clock=clock, stream=out, terminal=True)
    for _ in range(5):
        clock.now += 0.1
        progress.page("papers", page(100, 10_000))
    progress.done()
    assert out.getvalue() == ""


def test_terminal_gets_a_bar_redrawn_in_place_with_rate_and_estimate() -> None:
    clock, out = Clock(), io.StringIO()
    progress = SyncProgress("rvr", clock=clock, stream=out, terminal=True)
    for _ in range(10):  # 100 objects per second of the fake clock
        clock.now += 1.0
        progress.page("papers", page(100, 10_000))
    progress.done()
    text = out.getvalue()
    frames = [f for f in text.split("\r\x1b[2K") if f]
    assert len(frames) >= 2  # at least one redraw and the closing summary
    assert frames[0].startswith("[")  # the bar, filled to the share read
    shown = r"papers: \d+ pages, [\d,]+ of 10,000 objects, 100/s, about \d+ min left"
    assert re.search(shown, text)
    assert frames[-1] == "source rvr: read 10 pages, 1,000 objects in 10 s\n"


def test_without_a_terminal_one_log_line_every_few_seconds(caplog: object) -> None:
    import logging

    import pytest

    assert isinstance(caplog, pytest.LogCaptureFixture)
    caplog.set_level(logging.INFO, logger="jobs.progress")
    clock = Clock()
    progress = SyncProgress("rvr", clock=clock, stream=io.StringIO(), terminal=False)
    seconds = 30
    for _ in range(seconds):
        clock.now += 1.0
        progress.page("papers", page(50, None))
    progress.done()
    lines = [r.getMessage() for r in caplog.records]
    updates = [line for line in lines if "papers:" in line]
    # First after QUIET_SECONDS, then every EVERY_SECONDS.
    assert len(updates) == 1 + int((seconds - QUIET_SECONDS) // EVERY_SECONDS)
    assert all("of" not in u.split("pages,")[1] and "left" not in u for u in updates)
    assert lines[-1] == "source rvr: read 30 pages, 1,500 objects in 30 s"


def test_sync_source_reports_every_page_it_reads(tmp_path: Path, feed: FeedServer) -> None:
    rvr = standard_rvr(feed.base_url, date(2025, 1, 10))
    for i in range(7):
        rvr.add_paper(4000 + i, f"14/{4000 + i}", f"Vorlage {i}", "Beschlussvorlage", "2025-01-08")
    feed.routes.update(rvr.routes())
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    migrate(engine)
    seen: list[tuple[str, int, int | None]] = []
    import httpx

    with httpx.Client(timeout=5, trust_env=False) as http:
        report = sync_source(
            OParlClient(http, requests_per_second=0),
            session_factory(engine),
            SourceConfig(name="rvr", url=rvr.system_url, requests_per_second=0),
            now=at("2025-01-10T09:00:00+01:00"),
            announce_max_age_days=14,
            progress=lambda kind, p: seen.append((kind, len(p.items), p.total)),
        )
    engine.dispose()
    assert report.ok, report.error
    papers = [s for s in seen if s[0] == "papers"]
    assert sum(n for _, n, _ in papers) == len(rvr.papers) == 11
    assert len(papers) == 6  # page_size 2
    assert {total for _, _, total in papers} == {11}
    assert sum(n for kind, n, _ in seen if kind == "meetings") == len(rvr.meetings)
    assert sum(n for kind, n, _ in seen if kind == "organizations") == len(rvr.organizations)


def test_a_slow_first_sync_logs_progress_through_the_command(
    tmp_path: Path, feed: FeedServer
) -> None:
    rvr = standard_rvr(feed.base_url, date(2025, 1, 10))
    for i in range(16):
        rvr.add_paper(4000 + i, f"14/{4000 + i}", f"Vorlage {i}", "Beschlussvorlage", "2025-01-08")
    feed.routes.update(rvr.routes())

    def slow_papers(path: str) -> Reply | None:
        # Every paper page takes at least half a second: 10 pages, well over QUIET_SECONDS.
        if path.startswith("/oparl/body/1/paper"):
            return Reply(body=feed.routes[path], delay=0.5)
        return None

    feed.hook = slow_papers
    cfg = write_config(
        tmp_path,
        f'[database]\nurl = "sqlite:///{tmp_path / "x.db"}"\n'
        f'[[sources]]\nname = "rvr"\nurl = "{rvr.system_url}"\nrequests_per_second = 0\n',
    )
    result = run(["--config", str(cfg), "poll", "--once", "--now", "2025-01-10T09:00:00"])
    assert result.returncode == 0, result.stderr
    progress = [line for line in result.stderr.splitlines() if "jobs.progress" in line]
    assert progress, result.stderr
    line = r"source rvr: papers: \d+ pages, \d+ of 20 objects, [\d.]+/s, about \d+ (s|min) left"
    assert re.search(line, progress[0]), progress
    assert re.search(r"source rvr: read \d+ pages, \d+ objects in \d+ s$", progress[-1])
