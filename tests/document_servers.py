"""Test helpers for the document tests: a feed server that can also stream hostile bodies, a
runtime with small document caps, and the text an announcement shows."""

from __future__ import annotations

import contextlib
import io
import threading
import time
from collections.abc import Callable
from datetime import date
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
from reportlab.pdfgen import canvas

from bot.config import Config, SlackConfig, SourceConfig
from bot.demo.server import FeedServer
from bot.document.limits import DocumentLimits
from bot.runtime import Runtime, build_runtime
from bot.slack.notifier import SlackNotifier
from bot.status import print_status
from tests.helpers import at
from tests.rvr_feed import RvrFeed

T0 = at("2025-01-10T09:00:00+01:00")
TODAY = date(2025, 1, 10)
CHANNEL = "C0123456789"

# Small caps so the hostile cases are quick; a normal document stays far below every one.
SMALL = DocumentLimits(
    max_bytes=1024 * 1024,
    download_seconds=3.0,
    memory_bytes=768 * 1024 * 1024,
    cpu_seconds=30,
    read_seconds=10.0,
    max_pages=200,
)

Stream = Callable[[BaseHTTPRequestHandler, threading.Event], None]


class StreamingServer(FeedServer):
    """FeedServer plus `streams`: paths answered by a function writing to the socket itself."""

    def __init__(self) -> None:
        super().__init__()
        self.streams: dict[str, Stream] = {}
        self.stopping = threading.Event()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        stream = self.streams.get(handler.path)
        if stream is None:
            super()._handle(handler)
            return
        with self._lock:
            self.requests.append(handler.path)
        # The client hanging up (OSError) is what the caps are for.
        with contextlib.suppress(OSError):
            stream(handler, self.stopping)

    def stop(self) -> None:
        self.stopping.set()
        super().stop()


def endless(handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
    """A PDF header and then data as fast as the client takes it, without an end."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/pdf")
    handler.end_headers()
    handler.wfile.write(b"%PDF-1.4\n")
    block = b"0" * 65536
    for _ in range(100_000):  # ~6 GB: a bound for the test server, not for the bot
        if stop.is_set():
            return
        handler.wfile.write(block)


def trickle(handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
    """One byte per second: never silent long enough for a read timeout."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/pdf")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    for byte in b"%PDF-1.4\n" + b"0" * 600:
        if stop.wait(1.0):
            return
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()


def text_pdf(lines: list[str]) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    y = 800
    for line in lines:
        c.drawString(60, y, line)
        y -= 16
    c.save()
    return buf.getvalue()


def anfrage_text(n: int) -> str:
    """Feed text long enough to be used instead of the PDF (>= 200 letters)."""
    return (
        "Fraktionsanfrage Fraktion Die Linke\n\n"
        f"Sehr geehrte Damen und Herren, wir bitten um die Beantwortung der Anfrage {n}.\n\n"
        f"1. Wie viele Bäume wurden im Bezirk {n} im vergangenen Jahr gepflanzt?\n"
        f"2. Welche Mittel stehen dafür im Haushalt des Jahres {2025 + n} bereit?\n"
        "3. Wie werden die Bürgerinnen und Bürger an der Auswahl der Standorte beteiligt?\n"
    )


def add_anfrage(rvr: RvrFeed, num: int, *, text: str | None = None, **file: Any) -> str:
    """An Anfrage dated the day before TODAY; `file` overrides fields of its mainFile."""
    pid = rvr.add_paper(
        num, f"14/{num}", f"Anfrage {num}", "Fraktionsanfrage", "2025-01-09", text=text
    )
    rvr.papers[-1]["mainFile"].update(file)
    return pid


def make_rt(
    db_url: str,
    system_url: str,
    slack_url: str,
    *,
    limits: DocumentLimits = SMALL,
    document_hosts: tuple[str, ...] = (),
    feed_hosts: tuple[str, ...] = (),
) -> Runtime:
    config = Config(
        database_url=db_url,
        sources=(
            SourceConfig(
                name="rvr",
                url=system_url,
                requests_per_second=0,
                timeout_seconds=5,
                document_hosts=document_hosts,
                feed_hosts=feed_hosts,
            ),
        ),
        slack=SlackConfig(channel=CHANNEL, api_url=slack_url, bot_token="xoxb-test-token"),
    )
    notifier = SlackNotifier("xoxb-test-token", slack_url, timeout=5)
    http = httpx.Client(timeout=5, trust_env=False)
    return build_runtime(
        config,
        notifier=notifier,
        http=http,
        pace_seconds=0,
        retry_backoff_seconds=0.01,
        document_limits=limits,
    )


def status_text(rt: Runtime, now: Any = T0) -> str:
    out = io.StringIO()
    print_status(rt, now, out)
    return out.getvalue()


def announced_ids(posts: list[dict[str, Any]]) -> list[str]:
    return [
        str(p["metadata"]["event_payload"]["key"]).removeprefix("announce:")
        for p in posts
        if str(p["metadata"]["event_payload"]["key"]).startswith("announce:")
    ]


def post_text(post: dict[str, Any]) -> str:
    parts = [post.get("text", "")]
    for b in post.get("blocks", []):
        if "text" in b:
            parts.append(b["text"]["text"])
        parts += [f["text"] for f in b.get("fields", [])]
        parts += [e.get("text", "") for e in b.get("elements", [])]
    return "\n".join(parts)


def wait_for(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()
