"""Visible long work: a first sync of a big council reads for minutes (issue 11).

`SyncProgress.page` is handed to `sync_source` as its `progress` callback. Short syncs show
nothing; after a few quiet seconds a terminal gets a progress bar on stderr, redrawn in place,
and anything else (cron, systemd, a log file) gets one log line every few seconds: pages,
objects, rate and, when the server sends `pagination.totalElements`, an estimate.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from bot.feed.client import Page

log = logging.getLogger(__name__)

# Nothing is shown for syncs shorter than this; then one update every EVERY_SECONDS.
QUIET_SECONDS = 3.0
EVERY_SECONDS = 5.0
BAR_WIDTH = 24


@dataclass
class _List:
    pages: int = 0
    objects: int = 0
    total: int | None = None


@dataclass
class SyncProgress:
    source: str
    clock: Callable[[], float] = time.monotonic
    stream: TextIO | None = None  # None: sys.stderr at the time of writing
    terminal: bool | None = None  # None: ask the stream
    lists: dict[str, _List] = field(default_factory=dict)
    current: str = ""
    shown: bool = False

    def __post_init__(self) -> None:
        self.started = self.clock()
        self.last_shown = self.started

    # -- the callback ------------------------------------------------------------------------

    def page(self, kind: str, page: Page) -> None:
        entry = self.lists.setdefault(kind, _List())
        entry.pages += 1
        entry.objects += page.size
        if page.total is not None:
            entry.total = max(page.total, entry.objects)
        self.current = kind
        now = self.clock()
        if now - self.started < QUIET_SECONDS:
            return
        if self.shown and now - self.last_shown < EVERY_SECONDS:
            return
        self.last_shown = now
        self._show(now)

    def done(self) -> None:
        """End of the source's sync: close the bar or log the total, if anything was shown."""
        if not self.shown:
            return
        elapsed = self.clock() - self.started
        pages = sum(e.pages for e in self.lists.values())
        objects = sum(e.objects for e in self.lists.values())
        summary = (
            f"source {self.source}: read {pages} pages, {objects:,} objects in {_duration(elapsed)}"
        )
        if self._on_terminal():
            self._write(f"\r\x1b[2K{summary}\n")
        else:
            log.info("%s", summary)

    # -- rendering ---------------------------------------------------------------------------

    def line(self, now: float) -> str:
        """`source rvr: papers: 12 pages, 3,400 of 10,000 objects, 150/s, about 44 s left`."""
        entry = self.lists.get(self.current, _List())
        elapsed = max(now - self.started, 1e-6)
        objects = sum(e.objects for e in self.lists.values())
        rate = objects / elapsed
        of = f" of {entry.total:,}" if entry.total else ""
        text = (
            f"source {self.source}: {self.current}: {entry.pages} pages, "
            f"{entry.objects:,}{of} objects, {rate:,.0f}/s"
        )
        if entry.total and rate > 0:
            text += f", about {_duration((entry.total - entry.objects) / rate)} left"
        return text

    def _show(self, now: float) -> None:
        self.shown = True
        text = self.line(now)
        if not self._on_terminal():
            log.info("%s", text)
            return
        entry = self.lists.get(self.current, _List())
        bar = ""
        if entry.total:
            filled = min(BAR_WIDTH, BAR_WIDTH * entry.objects // max(entry.total, 1))
            bar = "[" + "#" * filled + "." * (BAR_WIDTH - filled) + "] "
        self._write(f"\r\x1b[2K{bar}{text}")

    def _on_terminal(self) -> bool:
        if self.terminal is not None:
            return self.terminal
        isatty = getattr(self._stream(), "isatty", None)
        return bool(isatty and isatty())

    def _stream(self) -> TextIO:
        return self.stream or sys.stderr

    def _write(self, text: str) -> None:
        stream = self._stream()
        stream.write(text)
        stream.flush()


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
