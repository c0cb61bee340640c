"""`anfragebot serve`: Slack's HTTP mode on a small threaded stdlib server.

`POST /slack/events` goes to Bolt, which verifies the signature (missing, wrong or older than
five minutes → 401). Before Bolt sees anything, this server rejects what Slack never sends:
bodies over 1 MB (413), no or bad Content-Length (411/400), other paths (404), and it answers
500 rather than dying when a handler breaks. `GET /healthz` is for load balancers.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any, TextIO

from slack_bolt import App, BoltRequest

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# `GET /calendar/<token>.ics`: the calendar feed (bot/ical.py); None = unknown token → 404.
CALENDAR_PATH = re.compile(r"/calendar/([A-Za-z0-9_-]{1,100})\.ics")
CalendarSource = Callable[[str], bytes | None]
MAX_BODY = 1_000_000
READ_TIMEOUT_SECONDS = 10


class SlackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        app: App,
        max_body: int = MAX_BODY,
        calendar: CalendarSource | None = None,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.calendar = calendar
        super().__init__(address, _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    server: SlackHTTPServer
    protocol_version = "HTTP/1.1"
    timeout = READ_TIMEOUT_SECONDS  # a client that stops sending must not hold a thread

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        headers = dict(headers or {})
        headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        if status >= 400:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0]
        feed = CALENDAR_PATH.fullmatch(path)
        if path == "/healthz":
            self._send(200, b"ok")
        elif feed and self.server.calendar is not None:
            self._send_calendar(feed.group(1))
        else:
            self._send(404, b"not found")

    def _send_calendar(self, token: str) -> None:
        """No Slack signature here (calendar apps cannot sign): the token is the secret, and
        an unknown one learns nothing but 404."""
        assert self.server.calendar is not None
        try:
            body = self.server.calendar(token)
        except Exception:  # noqa: BLE001 - one bad request must not stop the server
            log.exception("calendar feed failed")
            self._send(500, b"internal error")
            return
        if body is None:
            self._send(404, b"not found")
            return
        headers = {"Content-Type": "text/calendar; charset=utf-8", "Cache-Control": "no-cache"}
        self._send(200, body, headers)

    def do_POST(self) -> None:  # noqa: N802
        path, _, query = self.path.partition("?")
        if path != EVENTS_PATH:
            self._send(404, b"not found")
            return
        if self.headers.get("Transfer-Encoding"):
            self._send(411, b"Content-Length required")
            return
        raw_length = self.headers.get("Content-Length")
        if raw_length is None:
            self._send(411, b"Content-Length required")
            return
        try:
            length = int(raw_length)
        except ValueError:
            self._send(400, b"bad Content-Length")
            return
        if length < 0:
            self._send(400, b"bad Content-Length")
            return
        if length > self.server.max_body:
            self._send(413, b"request too large")
            return
        stamp = self.headers.get("X-Slack-Request-Timestamp")
        if stamp is not None and not re.fullmatch(r"\s*[0-9]{1,12}\s*", stamp):
            # Bolt would raise on a timestamp that is not a number: that is a bad signature.
            self._send(401, b"invalid request")
            return
        try:
            body = self.rfile.read(length)
        except OSError:
            self.close_connection = True
            return
        if len(body) != length:
            self._send(400, b"incomplete body")
            return
        grouped: dict[str, list[str]] = {}
        for key, value in self.headers.items():
            grouped.setdefault(key.lower(), []).append(value)
        headers: dict[str, str | Sequence[str]] = dict(grouped)
        try:
            request = BoltRequest(
                body=body.decode("utf-8", errors="replace"), query=query, headers=headers
            )
            response = self.server.app.dispatch(request)
        except Exception:  # noqa: BLE001 - one bad request must not stop the server
            log.exception("request to %s failed", EVENTS_PATH)
            self._send(500, b"internal error")
            return
        out_headers = {
            k: ", ".join(v) for k, v in response.headers.items() if k.lower() != "content-length"
        }
        self._send(response.status, (response.body or "").encode("utf-8"), out_headers)


def serve(
    app: App,
    host: str,
    port: int,
    out: TextIO,
    *,
    max_body: int = MAX_BODY,
    calendar: CalendarSource | None = None,
) -> int:
    """Serve until SIGTERM/SIGINT. Prints the address (with the real port when `port` is 0)."""
    server = SlackHTTPServer((host, port), app, max_body, calendar)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    thread = threading.Thread(target=server.serve_forever, name="slack-http", daemon=True)
    thread.start()
    print(f"listening on http://{host}:{server.port}{EVENTS_PATH}", file=out, flush=True)
    log.info("HTTP mode: listening on %s:%d%s", host, server.port, EVENTS_PATH)
    try:
        stop.wait()
    finally:
        server.shutdown()
        server.server_close()
    return 0
