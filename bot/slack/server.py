"""`anfragebot serve`: Slack's HTTP mode on a small threaded stdlib server.

`POST /slack/events` goes to Bolt, which verifies the signature (missing, wrong or older than
five minutes → 401). Before Bolt sees anything, this server rejects what Slack never sends:
bodies over 1 MB (413), no or bad Content-Length (411/400), other paths (404), and — once the
signature is known good — bodies Bolt cannot read (an interactive `payload=` that is not a JSON
object, a button click without its action, a slash command without `command` or
`response_url`: 400). A slash command mentioning the word "payload" is made readable for Bolt
(see `bolt_readable`). It answers 500 rather than dying when a handler breaks. `GET /healthz` is
for load balancers.

One thread per connection and a listen backlog of `REQUEST_QUEUE_SIZE`: Slack sends bursts (a
channel full of people trying `/anfrage` at once), and the stdlib default backlog of 5 made the
kernel reset connections at 32 concurrent requests.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import signal
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any, TextIO
from urllib.parse import parse_qsl

from slack_bolt import App, BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.errors import ConfigError

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# `GET /calendar/<token>.ics`: the calendar feed (bot/ical.py); None = unknown token → 404.
CALENDAR_PATH = re.compile(r"/calendar/([A-Za-z0-9_-]{1,100})\.ics")
CalendarSource = Callable[[str], bytes | None]
MAX_BODY = 1_000_000
READ_TIMEOUT_SECONDS = 10
# A refused body is read and dropped up to this size (see `_Handler._drain`).
DRAIN_LIMIT = 8 * MAX_BODY
DRAIN_SECONDS = 10.0  # overall, not per read: a client starved on a busy host must not be cut
# listen(2) backlog; the kernel caps it at net.core.somaxconn.
REQUEST_QUEUE_SIZE = 256


class SlackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = REQUEST_QUEUE_SIZE

    def __init__(
        self,
        address: tuple[str, int],
        app: App,
        max_body: int = MAX_BODY,
        signing_secret: str | None = None,
        calendar: CalendarSource | None = None,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self.calendar = calendar
        super().__init__(address, _Handler)

    def signed(self, body: bytes, headers: dict[str, str | Sequence[str]]) -> bool:
        """Slack's signature over the raw body, checked before the body is parsed (Bolt checks
        it again): unsigned requests get 401 whatever they hold. No secret given: True."""
        if self.verifier is None:
            return True
        stamp = headers.get("x-slack-request-timestamp")
        signature = headers.get("x-slack-signature")
        if not isinstance(stamp, list) or not isinstance(signature, list):
            return False
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return False  # Slack signs UTF-8; Bolt could not verify this body either
        return self.verifier.is_valid(body=text, timestamp=stamp[0], signature=signature[0])

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def bolt_readable(
        self, text: str, headers: dict[str, str | Sequence[str]], content_type: str | None
    ) -> tuple[str, dict[str, str | Sequence[str]]]:
        """Work around Bolt reading every form body that contains the word "payload" as an
        interactive payload (and then finding none): `/anfrage suche payload` went unanswered.

        In such a slash command the word is percent-encoded (`%70ayload` reads back as
        "payload") and the body re-signed with its own timestamp. Called only after the
        original signature was checked.
        """
        if self.verifier is None or _is_json(text, content_type) or "payload" not in text:
            return text, headers
        if "payload" in dict(parse_qsl(text, keep_blank_values=True)):
            return text, headers
        stamp = headers.get("x-slack-request-timestamp")
        if not isinstance(stamp, list):
            return text, headers
        rewritten = text.replace("payload", "%70ayload")
        signature = self.verifier.generate_signature(timestamp=stamp[0], body=rewritten)
        return rewritten, {**headers, "x-slack-signature": [signature or ""]}


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

    def _drain(self, length: int) -> None:
        """Read and drop a body we refused before reading it, up to `DRAIN_LIMIT` bytes.

        A client sends its whole body before it reads the answer; closing the socket with that
        body unread makes the kernel reset the connection, and the client sees a broken pipe
        instead of our 413.
        """
        remaining = min(length, DRAIN_LIMIT)
        deadline = time.monotonic() + DRAIN_SECONDS
        try:
            while remaining > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.connection.settimeout(left)
                chunk = self.rfile.read(min(65536, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
        except OSError:
            pass

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
        # A validator, so a calendar app's repeat fetch of an unchanged feed is a 304 without
        # the body ("no-cache" = revalidate every time, never serve a stale copy).
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        if etag in (self.headers.get("If-None-Match") or "").replace(" ", "").split(","):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            return
        headers = {
            "Content-Type": "text/calendar; charset=utf-8",
            "Cache-Control": "no-cache",
            "ETag": etag,
        }
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
            self._drain(length)
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
        text = body.decode("utf-8", errors="replace")
        if not self.server.signed(body, headers):
            self._send(401, b"invalid request")  # what Bolt answers, before it parses anything
            return
        problem = malformed(text, self.headers.get("Content-Type"))
        if problem:
            log.info("rejected a malformed request: %s", problem)
            self._send(400, f"bad request: {problem}".encode())
            return
        text, headers = self.server.bolt_readable(text, headers, self.headers.get("Content-Type"))
        try:
            request = BoltRequest(body=text, query=query, headers=headers)
            response = self.server.app.dispatch(request)
        except Exception:  # noqa: BLE001 - one bad request must not stop the server
            log.exception("request to %s failed", EVENTS_PATH)
            self._send(500, b"internal error")
            return
        out_headers = {
            k: ", ".join(v) for k, v in response.headers.items() if k.lower() != "content-length"
        }
        self._send(response.status, (response.body or "").encode("utf-8"), out_headers)


def malformed(body: str, content_type: str | None) -> str | None:
    """Why Bolt could not handle this body (a short reason), or None when it looks like Slack's.

    Mirrors how Bolt reads a body (`slack_bolt.request.internals.parse_body`): JSON when the
    content type says so or the body starts with `{`, else a form whose `payload` field, when
    present, is JSON.
    """
    if not body:
        return "empty body"
    if _is_json(body, content_type):
        return _json_object(body, "body")[1]
    form = dict(parse_qsl(body, keep_blank_values=True))
    if "payload" in form:
        payload, problem = _json_object(form["payload"], "payload")
        return problem or _interactive_problem(payload)
    if "command" in form:
        missing = [k for k in ("command", "response_url") if not form.get(k)]
        return f"slash command without {', '.join(missing)}" if missing else None
    if "ssl_check" in form:
        return None
    return "neither a slash command nor an interactive payload"


def _is_json(body: str, content_type: str | None) -> bool:
    """Bolt's rule: JSON when the content type says so or the body starts with `{`."""
    return (content_type or "").split(";")[0].strip() == "application/json" or body.startswith("{")


def _json_object(raw: str, what: str) -> tuple[dict[str, Any], str | None]:
    try:
        value = json.loads(raw)
    except ValueError:
        return {}, f"{what} is not JSON"
    if not isinstance(value, dict):
        return {}, f"{what} is not a JSON object"
    return value, None


def _interactive_problem(payload: dict[str, Any]) -> str | None:
    kind = payload.get("type")
    if not isinstance(kind, str) or not kind:
        return "payload without type"
    if kind != "block_actions":
        return None  # other kinds have no handler here; Bolt answers them itself
    actions = payload.get("actions")
    if not isinstance(actions, list) or not actions:
        return "block_actions without actions"
    if not all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions):
        return "block_actions with an action without action_id"
    user = payload.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        return "block_actions without user"
    if not isinstance(payload.get("response_url"), str):
        return "block_actions without response_url"
    return None


def serve(
    app: App,
    host: str,
    port: int,
    out: TextIO,
    *,
    max_body: int = MAX_BODY,
    signing_secret: str | None = None,
    calendar: CalendarSource | None = None,
) -> int:
    """Serve until SIGTERM/SIGINT. Prints the address (with the real port when `port` is 0)."""
    try:
        server = SlackHTTPServer((host, port), app, max_body, signing_secret, calendar)
    except OSError as e:  # port taken, host unknown: one line, not a traceback
        raise ConfigError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
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
