"""A long full read of a list in two processes: a page reader process fetches, decodes and
parses the pages while this one stores them (two cores; the GIL keeps a thread from helping).

The first pages are read here as usual (`client.reader_after_pages`); only a list that goes on
beyond a quarter of them starts a reader (so a poll that reads a page or two never does), and
only one that goes on beyond all of them is handed over. The reader starts at the next page's
URL with a client built from the same settings (`ClientSpec`), sends each page parsed
(`Page.parsed`: objects, rejected objects, `modified` days; the raw JSON stays there) and its
own log records, and ends with the number of requests it made. A pipe holds about a page, so
the reader runs at most a page or two ahead: memory stays flat, and what this process has not
stored yet is never more than that.

Failures keep their meaning: the reader's FeedGaveUp or FeedError is raised here again at the
same point of the page sequence, so a resume point is saved exactly as for a read done in
this process. A reader that dies (killed, out of memory) ends the read with a FeedError; the
next poll resumes. When this process stops reading (an error while storing, or it is killed)
the reader is terminated, or finds its pipe closed and exits.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
from collections.abc import Callable, Generator
from multiprocessing.connection import Connection
from typing import Any

from bot.errors import FeedError
from bot.feed.client import ClientSpec, FeedGaveUp, OParlClient, Page, Parsed
from bot.feed.parse import parse_items, parse_meeting, parse_organization, parse_paper
from bot.feed.quirks import note_modified_days

log = logging.getLogger(__name__)

# What each list holds, by the kind names the sync uses.
PARSERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "paper": parse_paper,
    "meeting": parse_meeting,
    "organization": parse_organization,
}

# A child started with "spawn" imports only what it needs and inherits no threads or locks
# (`run` has scheduler and Slack threads; forking those is unsafe).
_CONTEXT = multiprocessing.get_context("spawn")
# How long to wait for a terminated reader to go.
_JOIN_SECONDS = 5.0


def parse_objects(page: Page, parse: Callable[[dict[str, Any]], Any]) -> Parsed:
    """A raw page's objects parsed (a page read in this process; the reader does the same)."""
    objects, rejected = parse_items(page.items, parse)
    days: set[str] = set()
    note_modified_days(page.items, days)
    return Parsed(objects, rejected, frozenset(days), len(page.items))


def full_read(
    client: OParlClient, url: str, kind: str, *, start_url: str | None = None
) -> Generator[Page, None, None]:
    """Every page of a list from `start_url` (or its start) on, following `links.next`; after
    `client.reader_after_pages` pages the rest comes parsed from a page reader process. The
    process is started a few pages earlier, so its start-up (an interpreter and the feed
    modules) overlaps with the pages read here; a list that ends before the hand-over just
    stops it."""
    spec, after = client.spec, client.reader_after_pages
    pages = client.pages(url, start_url=start_url)
    reader: _Reader | None = None
    try:
        for read, page in enumerate(pages, start=1):
            yield page
            following = page.links.get("next")
            if spec is None or after is None or not following:
                continue
            if reader is None and read >= max(1, after // 4):
                reader = _Reader(spec, url, kind)
            if reader is not None and read >= after:
                pages.close()
                yield from reader.pages(client, following)
                return
    finally:
        if reader is not None:
            reader.stop()


class _Reader:
    """One page reader process: started, then told where to begin (or to stop)."""

    def __init__(self, spec: ClientSpec, url: str, kind: str) -> None:
        self.url = url
        self.conn, there = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(
            target=_read,
            args=(spec, url, kind, there, logging.getLogger().getEffectiveLevel()),
            name="anfragebot-pages",
            daemon=True,
        )
        self.process.start()
        there.close()  # the reader holds its end: EOF here means it is gone
        log.debug("%s: page reader process %s started", url, self.process.pid)

    def pages(self, client: OParlClient, start_url: str) -> Generator[Page, None, None]:
        """The pages from `start_url` on, as the reader sends them; its failures raised here."""
        log.debug(
            "%s: pages from %s on are read by process %s", self.url, start_url, self.process.pid
        )
        with contextlib.suppress(OSError):  # it is gone already: recv below says so
            self.conn.send(start_url)
        while True:
            try:
                tag, payload, requests = self.conn.recv()
            except EOFError:
                self.process.join(_JOIN_SECONDS)
                reason = (
                    f"{self.url}: the page reader process stopped "
                    f"(exit code {self.process.exitcode})"
                )
                log.warning("%s; what was stored stays, the read resumes from there", reason)
                raise FeedError(reason) from None
            client.requests += requests
            if tag == "page":
                yield payload
            elif tag == "log":
                logger = logging.getLogger(payload.name)
                if logger.isEnabledFor(payload.levelno):
                    logger.handle(payload)
            elif tag == "end":
                return
            elif tag == "gave up":
                reason, failed_url, bad_content = payload
                raise FeedGaveUp(reason, url=failed_url, bad_content=bad_content)
            elif tag == "feed error":
                reason, permanent = payload
                raise FeedError(reason, permanent=permanent)
            else:
                raise FeedError(f"{self.url}: page reader failed: {payload}")

    def stop(self) -> None:
        """Closing the pipe ends a reader that waits or sends; one that fetches is terminated."""
        self.conn.close()
        self.process.join(0.5)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(_JOIN_SECONDS)


class _PipeHandler(logging.Handler):
    """Sends the reader's log records to the storing process, which logs them as its own."""

    def __init__(self, conn: Connection) -> None:
        super().__init__()
        self.conn = conn

    def emit(self, record: logging.LogRecord) -> None:
        record.msg = record.getMessage()  # arguments may not pickle; the text does
        record.args = None
        record.exc_info = None
        with contextlib.suppress(OSError):  # the other side is gone: nothing left to tell
            self.conn.send(("log", record, 0))


def _read(spec: ClientSpec, url: str, kind: str, conn: Connection, level: int) -> None:
    """The page reader process: ready before it is needed, it waits for the URL to begin at
    (None or a closed pipe: not needed after all). `level`: the storing process's log level."""
    root = logging.getLogger()
    root.handlers[:] = [_PipeHandler(conn)]
    root.setLevel(level)
    client = OParlClient.from_spec(spec)
    parse = PARSERS[kind]
    sent = 0
    try:
        try:
            start_url = conn.recv()
        except EOFError:
            return
        if not start_url:
            return
        try:
            for page in client.pages(url, start_url=start_url):
                parsed = Page(page.url, [], page.links, page.total, parse_objects(page, parse))
                conn.send(("page", parsed, client.requests - sent))
                sent = client.requests
            conn.send(("end", None, client.requests - sent))
        except FeedGaveUp as e:
            conn.send(("gave up", (str(e), e.url, e.bad_content), client.requests - sent))
        except FeedError as e:
            conn.send(("feed error", (str(e), e.permanent), client.requests - sent))
        except (BrokenPipeError, ConnectionResetError):
            return  # the storing process stopped reading
        except Exception as e:  # noqa: BLE001 - reported to the storing process as one line
            conn.send(("failed", f"{type(e).__name__}: {str(e)[:300]}", client.requests - sent))
    except OSError:
        return
    finally:
        client.http.close()
