"""Fault soak (issue 10): an RVR-like feed (oldest first, one fixed `modified` date, 10 per
page, 16 pages of papers) where a fixed fraction of all requests fails at random — 500/503,
OParl error objects and HTML maintenance pages with HTTP 200, connection resets, answers too
slow for the client's timeout — in combination, several seeds. Every Anfrage is announced
exactly once within a few polls, and no poll raises or logs a traceback.

The polls run the real pipeline (`poll_once`: sync, documents, routing, delivery to the fake
Slack server); only the client's timeout and backoff are small (passed in, not patched)."""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from bot.demo.server import FeedReply as Reply
from bot.demo.server import FeedServer
from jobs.poll import poll_once
from tests.fake_slack import FakeSlack
from tests.helpers import at, make_config, make_runtime
from tests.rvr_feed import RVR_TEXT, RvrFeed

T0 = at("2025-01-10T09:00:00+01:00")
CHANNEL = "C0123456789"
PAPERS = 160  # 16 pages of 10
TIMEOUT = 1.0

ERROR_OBJECTS = [
    b'{"type": "https://schema.oparl.org/1.0/Error", "message": "Zeit\\u00fcberschreitung'
    b' bei der Abfrage"}',
    b'{"type": "https://schema.oparl.org/1.0/Error",'
    b' "message": "Die Datenbankverbindung konnte nicht hergestellt werden"}',
    b'{"message": "OParl is not active."}',
]
FAULTS: list[Reply] = [
    Reply(status=500, body=b"Internal Server Error", content_type="text/plain"),
    Reply(status=503, body=b"", headers={"Retry-After": "0"}),
    *(Reply(body=b) for b in ERROR_OBJECTS),
    Reply(body=b"<!DOCTYPE html><html><h1>Wartungsarbeiten</h1></html>", content_type="text/html"),
    Reply(reset=True),
    Reply(body=b"{}", delay=TIMEOUT + 0.3),  # too slow: the client times out
]


class NextOnlyFeed(RvrFeed):
    """The same feed with `links.next` only (no `last`, `prev`, `first`)."""

    def _list(self, path: str, items: list[dict[str, Any]]) -> dict[str, bytes]:
        out = {}
        for key, body in super()._list(path, items).items():
            page = json.loads(body)
            page["links"] = {k: v for k, v in page["links"].items() if k == "next"}
            out[key] = json.dumps(page).encode()
        return out


def soak_feed(base: str, shape: type[RvrFeed] = RvrFeed) -> tuple[RvrFeed, set[str]]:
    feed = shape(base=base, today=date(2025, 1, 10), page_size=10)
    org = feed.add_org(10, "Ausschuss für Kultur, Sport und Vielfalt")
    for n in range(12):
        feed.add_org(20 + n, f"Ausschuss {n}")
    for n in range(25):
        feed.add_meeting(500 + n, org, f"2025-02-{1 + n % 27:02d}T15:00:00+01:00")
    anfragen = set()
    for n in range(PAPERS):
        num = 3000 + n
        if n % 4 == 0:
            pid = feed.add_paper(
                num,
                f"14/{num}",
                f"Anfrage Nummer {n}",
                "Fraktionsanfrage",
                "2025-01-08",
                text=RVR_TEXT,
            )
            anfragen.add(f"announce:{pid}")
        else:
            feed.add_paper(num, f"14/{num}", f"Vorlage {n}", "Beschlussvorlage", "2024-12-01")
    return feed, anfragen


def faulty(rate: float, seed: int) -> Callable[[str], Reply | None]:
    rng = random.Random(seed)
    lock = threading.Lock()

    def hook(path: str) -> Reply | None:
        with lock:
            if rng.random() >= rate:
                return None
            return rng.choice(FAULTS)

    return hook


def posted(slack: FakeSlack) -> list[str]:
    return [m["metadata"]["event_payload"]["key"] for m in slack.stored(CHANNEL)]


def soak(
    rate: float,
    seed: int,
    polls: int,
    url: str,
    slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
    shape: type[RvrFeed] = RvrFeed,
    reader_after: int | None = None,
) -> int:
    """Returns after how many polls every Anfrage was announced (fails if not within `polls`).
    `reader_after`: full reads go on in the page reader process after that many pages."""
    with FeedServer() as server:
        feed, expected = soak_feed(server.base_url, shape)
        server.routes.update(feed.routes())
        server.hook = faulty(rate, seed)
        config = make_config(url, feed.system_url, slack_url=slack.base_url)
        # The page reader builds its client from the source's settings: the same timeout.
        source = replace(config.sources[0], timeout_seconds=TIMEOUT)
        rt = make_runtime(replace(config, sources=(source,)))
        rt.http.timeout = httpx.Timeout(TIMEOUT)
        rt.reader_after_pages = reader_after
        done_after = 0
        try:
            with caplog.at_level(logging.INFO):
                for n in range(1, polls + 1):
                    poll_once(rt, T0 + timedelta(minutes=15 * n))  # must not raise
                    keys = posted(slack)
                    assert len(keys) == len(set(keys)), f"posted twice (seed {seed}, poll {n})"
                    if set(keys) == expected:
                        done_after = n
                        break
                # One more poll after convergence: nothing is posted again.
                server.hook = faulty(rate, seed + 1000)
                poll_once(rt, T0 + timedelta(minutes=15 * (polls + 1)))
        finally:
            rt.close()
    keys = posted(slack)
    missing = expected - set(keys)
    assert not missing, f"seed {seed}: {len(missing)} of {len(expected)} not announced"
    assert sorted(keys) == sorted(expected), f"seed {seed}: posted twice"
    assert done_after, f"seed {seed}: not within {polls} polls"
    tracebacks = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert not tracebacks, tracebacks[0].getMessage()
    return done_after


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_30_percent_faults_converge_within_3_polls(
    seed: int, sqlite_url: str, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    soak(0.30, seed, 3, sqlite_url, slack, caplog)


@pytest.mark.parametrize("seed", [11, 12])
def test_60_percent_faults_converge_within_8_polls(
    seed: int, sqlite_url: str, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    soak(0.60, seed, 8, sqlite_url, slack, caplog)


def test_soak_on_postgresql(
    pg_url: str, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    soak(0.30, 7, 3, pg_url, slack, caplog)


def test_30_percent_faults_on_a_list_without_last_link(
    sqlite_url: str, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    soak(0.30, 5, 3, sqlite_url, slack, caplog, NextOnlyFeed)


# The same soak with every full read handed to the page reader process after its first page
# (bot/feed/reader.py): faults then hit the reader's requests, and what it sends is stored.
@pytest.mark.parametrize("seed", [1, 2])
def test_30_percent_faults_with_the_page_reader(
    seed: int, sqlite_url: str, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    soak(0.30, seed, 3, sqlite_url, slack, caplog, reader_after=1)


def test_60_percent_faults_with_the_page_reader(
    sqlite_url: str, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    soak(0.60, 11, 8, sqlite_url, slack, caplog, reader_after=1)


def test_soak_with_the_page_reader_on_postgresql(
    pg_url: str, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    soak(0.30, 7, 3, pg_url, slack, caplog, reader_after=1)
