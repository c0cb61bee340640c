"""What one document may cost: download size and time, memory, CPU time, pages, wall clock.

The defaults are generous for real council documents (an Anfrage has a few pages, an attachment
rarely more than a few hundred) and small enough that a hostile document cannot take the bot
down. Tests pass smaller values through the runtime (`build_runtime(document_limits=...)`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DocumentLimits:
    # Download: the body is streamed and stopped at either cap; the time cap is for the whole
    # download including redirects, not per read (a server sending one byte every few seconds
    # never trips a read timeout).
    max_bytes: int = 50 * 1024 * 1024
    download_seconds: float = 60.0
    max_redirects: int = 5
    # Reading (in a child process): address space, CPU seconds, pages, and a wall clock.
    memory_bytes: int = 1024 * 1024 * 1024
    cpu_seconds: int = 60
    read_seconds: float = 90.0
    max_pages: int = 1000
    # All documents of one source in one poll: after this, the rest wait for the next poll,
    # so a server full of slow documents delays the poll by minutes, not hours.
    poll_seconds: float = 300.0
