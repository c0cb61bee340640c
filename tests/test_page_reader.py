"""The page reader process (bot/feed/reader.py, issue 15): a long full read goes on in a second
process that fetches and parses while this one stores. What it stores must be exactly what a
read in one process stores, under faults at rates (tests/test_fault_soak.py runs with it too),
and a reader that dies mid-way loses nothing: the read resumes where the store stopped."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bot.demo.server import FeedReply as Reply
from bot.demo.server import FeedServer
from jobs.poll import poll_once
from tests.fake_slack import FakeSlack
from tests.helpers import at, make_config, make_runtime
from tests.rvr_feed import RVR_TEXT, RvrFeed

T0 = at("2025-01-10T09:00:00+01:00")
CHANNEL = "C0123456789"

# Everything the sync writes, in a stable order (timestamps are the poll's `now`: equal too).
TABLES = {
    "papers": "id",
    "files": "id",
    "consultations": "id",
    "meetings": "id",
    "agenda_items": "id",
    "organizations": "id",
    "feed_quarantine": "object_id",
    "search_documents": "paper_id",
}


def feed_of(base: str, papers: int = 120) -> RvrFeed:
    feed = RvrFeed(base=base, today=date(2025, 1, 10), page_size=10)
    org = feed.add_org(10, "Ausschuss für Kultur, Sport und Vielfalt")
    for n in range(30):
        feed.add_meeting(500 + n, org, f"2025-02-{1 + n % 27:02d}T15:00:00+01:00")
    for n in range(papers):
        num = 3000 + n
        if n % 4 == 0:
            feed.add_paper(
                num, f"14/{num}", f"Anfrage {n}", "Fraktionsanfrage", "2025-01-08", text=RVR_TEXT
            )
        else:
            feed.add_paper(num, f"14/{num}", f"Vorlage {n}", "Beschlussvorlage", "2024-12-01")
    return feed


def dump(url: str, base: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every synced table, row by row, with the server's address taken out of the ids."""
    engine = create_engine(url)
    out: dict[str, list[tuple[Any, ...]]] = {}
    try:
        with engine.connect() as conn:
            for table, key in TABLES.items():
                result = conn.execute(text(f"SELECT * FROM {table} ORDER BY {key}"))
                columns, rows = list(result.keys()), result.all()
                out[table] = [
                    tuple(
                        str(v).replace(base, "") if isinstance(v, str) else v
                        for c, v in zip(columns, row, strict=True)
                        # Hashes cover the ids, which hold each run's own server address.
                        if c not in ("content_hash", "key")
                        and (c not in ("id", "indexed_at") or table != "search_documents")
                    )
                    for row in rows
                ]
    finally:
        engine.dispose()
    return out


def run_polls(
    db_url: str,
    slack: FakeSlack,
    reader_after: int | None,
    *,
    hook: Any = None,
    polls: int = 1,
) -> tuple[dict[str, list[tuple[Any, ...]]], list[str]]:
    with FeedServer() as server:
        feed = feed_of(server.base_url)
        server.routes.update(feed.routes())
        server.hook = hook
        rt = make_runtime(make_config(db_url, feed.system_url, slack_url=slack.base_url))
        rt.reader_after_pages = reader_after
        try:
            for n in range(polls):
                poll_once(rt, T0 + timedelta(minutes=15 * n))
        finally:
            rt.close()
        keys = [
            m["metadata"]["event_payload"]["key"].replace(server.base_url, "")
            for m in slack.stored(CHANNEL)
        ]
        return dump(db_url, server.base_url), keys


def test_the_reader_stores_exactly_what_one_process_stores(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="bot.feed.reader"):
        one_slack, two_slack = FakeSlack(), FakeSlack()
        try:
            one, one_keys = run_polls(f"sqlite:///{tmp_path / 'one.db'}", one_slack, None)
            two, two_keys = run_polls(f"sqlite:///{tmp_path / 'two.db'}", two_slack, 1)
        finally:
            one_slack.stop()
            two_slack.stop()
    handed_over = [r for r in caplog.records if "are read by process" in r.getMessage()]
    # The paper list (12 pages) and the meeting list (3 pages) went on in a reader.
    assert len(handed_over) == 2, [r.getMessage() for r in handed_over]
    assert len(one["papers"]) == 120
    assert one == two
    assert sorted(one_keys) == sorted(two_keys)
    assert len(one_keys) == 30


def _kill_readers() -> int:
    killed = 0
    for child in multiprocessing.active_children():
        if child.name == "anfragebot-pages" and child.pid:
            os.kill(child.pid, signal.SIGKILL)
            killed += 1
    return killed


def test_a_reader_killed_mid_read_loses_nothing(
    tmp_path: Any, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    lock = threading.Lock()
    kills: list[int] = []

    def hook(path: str) -> Reply | None:
        # The reader asks for page 6 of the papers: kill it (once) before it can answer.
        with lock:
            if "paper" in path and "page=6" in path and not kills:
                kills.append(_kill_readers())
        return None

    url = f"sqlite:///{tmp_path / 'bot.db'}"
    with caplog.at_level(logging.INFO):
        state, keys = run_polls(url, slack, 1, hook=hook)
    assert kills == [1]
    stopped = [r for r in caplog.records if "page reader process stopped" in r.getMessage()]
    assert stopped, "the parent did not notice the reader's death"
    # The same poll read on from the resume point (once per list and poll): all is stored.
    assert len(state["papers"]) == 120
    assert len(keys) == len(set(keys)) == 30


def test_a_page_the_reader_cannot_decode_is_quarantined_as_in_one_process(
    tmp_path: Any,
) -> None:
    def hook(path: str) -> Reply | None:
        if "paper" in path and "page=7" in path:
            return Reply(body=b"<html>Wartung</html>", content_type="text/html")
        return None

    results = []
    for name, after in (("one", None), ("two", 2)):
        fake = FakeSlack()
        try:
            results.append(run_polls(f"sqlite:///{tmp_path / name}.db", fake, after, hook=hook))
        finally:
            fake.stop()
    (one, _), (two, _) = results
    assert one == two
    pages = [row for row in one["feed_quarantine"] if "page=7" in str(row)]
    assert pages, one["feed_quarantine"]
    # Pages 1–6 are stored; page 7 and what follows wait for the next poll.
    assert len(one["papers"]) == 60


def test_reader_settings_follow_the_source(tmp_path: Any) -> None:
    """The reader's client is built from the same settings as the poll's (ClientSpec)."""
    config = make_config(f"sqlite:///{tmp_path / 'x.db'}", "http://127.0.0.1:9/oparl")
    source = replace(config.sources[0], timeout_seconds=7, requests_per_second=3)
    rt = make_runtime(replace(config, sources=(source,)))
    try:
        client = rt.client_for(source)
        assert client.spec is not None
        assert client.spec.timeout_seconds == 7
        assert client.spec.requests_per_second == 3
        assert client.spec.max_retries == client.max_retries
        assert client.spec.deadline_seconds == client.deadline_seconds
        assert client.spec.policy == client.policy is not None
        assert client.reader_after_pages == rt.reader_after_pages
    finally:
        rt.close()


def test_killing_the_poll_while_its_reader_reads_loses_nothing_and_leaves_no_reader(
    tmp_path: Any, slack: FakeSlack
) -> None:
    """`anfragebot poll --once` as a real process, on a paper list long enough for the page
    reader (45 pages of 5), killed with SIGKILL while the reader is at work: the reader stops
    by itself (its pipe closes), and the next poll stores and announces everything once."""
    exe = str(Path(sys.executable).with_name("anfragebot"))
    requests: list[str] = []
    proc: list[subprocess.Popen[bytes]] = []
    lock = threading.Lock()

    def hook(path: str) -> Reply | None:
        with lock:
            if "/paper" in path:
                requests.append(path)
                # Page 25: 20 read in the poll itself, then the reader's fifth.
                if len(requests) == 25 and proc:
                    proc[0].send_signal(signal.SIGKILL)
        return None

    with FeedServer() as server:
        feed = RvrFeed(base=server.base_url, today=date(2025, 1, 10), page_size=5)
        for n in range(225):
            kind = "Fraktionsanfrage" if n % 9 == 0 else "Beschlussvorlage"
            feed.add_paper(3000 + n, f"14/{3000 + n}", f"Papier {n}", kind, "2025-01-08")
        server.routes.update(feed.routes())
        server.hook = hook
        config = tmp_path / "config.toml"
        config.write_text(
            f'[database]\nurl = "sqlite:///{tmp_path / "bot.db"}"\n'
            f'[[sources]]\nname = "rvr"\nurl = "{feed.system_url}"\nrequests_per_second = 0\n'
            f'[slack]\nchannel = "{CHANNEL}"\npace_seconds = 0\n',
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
        env.update(SLACK_BOT_TOKEN="xoxb-reader-test", SLACK_API_URL=slack.base_url)
        args = [exe, "--config", str(config), "poll", "--once", "--now", "2025-01-10T09:00:00"]
        proc.append(subprocess.Popen(args, env=env, stderr=subprocess.PIPE))
        _, err = proc[0].communicate(timeout=120)
        assert proc[0].returncode == -signal.SIGKILL, err.decode()[-2000:]
        with lock:
            at_kill = len(requests)
        time.sleep(3)
        with lock:
            after = len(requests) - at_kill
        # The reader may finish the request it was making, then finds its pipe closed.
        assert after <= 2, f"the orphaned reader went on reading ({after} more requests)"
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        engine = create_engine(f"sqlite:///{tmp_path / 'bot.db'}")
        try:
            with engine.connect() as conn:
                stored = conn.execute(text("SELECT count(*) FROM papers")).scalar_one()
        finally:
            engine.dispose()
        assert stored == 225
        keys = [m["metadata"]["event_payload"]["key"] for m in slack.stored(CHANNEL)]
        assert len(keys) == len(set(keys)) == 25


def test_a_reader_started_for_a_list_that_ends_before_the_hand_over_is_stopped(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Hand-over after 40 pages: the reader starts at page 10 (ready in time), the paper
    list ends at page 12. Nothing is read twice or lost, and no reader is left running."""
    with caplog.at_level(logging.DEBUG, logger="bot.feed.reader"):
        one_slack, two_slack = FakeSlack(), FakeSlack()
        try:
            one, _ = run_polls(f"sqlite:///{tmp_path / 'one.db'}", one_slack, None)
            two, _ = run_polls(f"sqlite:///{tmp_path / 'two.db'}", two_slack, 40)
        finally:
            one_slack.stop()
            two_slack.stop()
    messages = [r.getMessage() for r in caplog.records]
    assert [m for m in messages if "page reader process" in m and "started" in m]
    assert not [m for m in messages if "are read by process" in m]
    assert not [c for c in multiprocessing.active_children() if c.name == "anfragebot-pages"]
    assert one == two
