"""A fake Slack Web API: a real HTTP server on 127.0.0.1 (port 0) that records every call.

It answers the methods the bot uses, keeps posted messages per channel (with metadata, so
conversations.history can be used to reconcile), and can be told to fail in the ways Slack
does: 429 with Retry-After, 500, an error code, or a connection dropped after accepting.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Fault:
    """One injected failure for the next call of `method`."""

    method: str
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    drop_after_accept: bool = False
    # How many calls it hits (None: every call until removed from `faults`).
    times: int | None = 1
    # Only calls for this channel (None: any channel).
    channel: str | None = None


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    # Seconds between accepting a message and answering: a process killed in this window has
    # posted without learning the `ts` (the window the outbox must reconcile).
    post_delay: float = 0.0
    # What `apps.connections.open` hands out: the ws:// URL of a fake Socket Mode endpoint.
    socket_url: str | None = None
    # Slack's clock for message `ts` (seconds since the epoch). None: 1700000001, 1700000002, …
    clock: Callable[[], float] | None = None
    # Channels the bot has not been invited to (`conversations.info` says is_member: false).
    not_member: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._last_ts = 0.0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                fake._handle(self)

            def do_GET(self) -> None:  # noqa: N802
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/api/"

    @property
    def response_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/response/hook"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- queries for tests ---------------------------------------------------------------

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                c.args
                for c in self.calls
                if c.method == "chat.postMessage"
                and (channel is None or c.args.get("channel") == channel)
            ]

    def announcements(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Posts that announce a new Anfrage (not thread replies or reminders)."""
        return [
            p
            for p in self.posts(channel)
            if str(
                ((p.get("metadata") or {}).get("event_payload") or {}).get("key", "")
            ).startswith("announce:")
        ]

    def stored(self, channel: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.messages.get(channel, []))

    def published_views(self, user: str | None = None) -> list[dict[str, Any]]:
        """What `views.publish` got (the App Home), optionally for one user."""
        return [
            c.args
            for c in self.calls_to("views.publish")
            if user is None or c.args.get("user_id") == user
        ]

    def dms(self, user: str) -> list[dict[str, Any]]:
        """Messages posted into the DM channel that conversations.open gave for `user`."""
        return self.posts(f"D{user}")

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    # -- server --------------------------------------------------------------------------

    def _read_args(self, handler: BaseHTTPRequestHandler) -> dict[str, Any]:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        ctype = handler.headers.get("Content-Type") or ""
        if "json" in ctype and raw:
            return dict(json.loads(raw))
        args: dict[str, Any] = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        for key in ("blocks", "metadata"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0]
        args = self._read_args(handler)
        if path.startswith("/response/"):
            with self._lock:
                self.responses.append(args)
            self._send(handler, 200, {"ok": True})
            return
        method = path.rsplit("/", 1)[-1]
        with self._lock:
            self.calls.append(Call(method, args, dict(handler.headers.items())))
            fault = next(
                (
                    f
                    for f in self.faults
                    if f.method == method and f.channel in (None, args.get("channel"))
                ),
                None,
            )
            if fault and fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
        if fault and fault.drop_after_accept:
            self._accept(method, args)
            handler.close_connection = True
            handler.connection.shutdown(2)
            return
        if fault and fault.status != 200:
            headers = (
                {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            )
            error = "ratelimited" if fault.status == 429 else "internal_error"
            self._send(handler, fault.status, {"ok": False, "error": error}, headers)
            return
        if fault and fault.error:
            self._send(handler, 200, {"ok": False, "error": fault.error})
            return
        result = self._accept(method, args)
        if method == "chat.postMessage" and self.post_delay:
            threading.Event().wait(self.post_delay)
        # The client may have died after Slack accepted: exactly the crash case.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._send(handler, 200, result)

    def _accept(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if method == "auth.test":
                return {
                    "ok": True,
                    "user_id": "UBOT",
                    "bot_id": "BBOT",
                    "team_id": "T1",
                    "user": "anfragebot",
                }
            if method == "apps.connections.open":
                if self.socket_url is None:
                    return {"ok": False, "error": "socket_url_not_set"}
                return {"ok": True, "url": self.socket_url}
            if method == "chat.postMessage":
                ts = self._next_ts()
                msg = {
                    "ts": ts,
                    "text": args.get("text"),
                    "blocks": args.get("blocks"),
                    "metadata": args.get("metadata"),
                    "thread_ts": args.get("thread_ts"),
                }
                self.messages.setdefault(str(args.get("channel")), []).append(msg)
                return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": msg}
            if method == "chat.update":
                for msg in self.messages.get(str(args.get("channel")), []):
                    if msg["ts"] == args.get("ts"):
                        msg.update(text=args.get("text"), blocks=args.get("blocks"))
                        return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
                return {"ok": False, "error": "message_not_found"}
            if method == "conversations.history":
                msgs = [
                    m
                    for m in self.messages.get(str(args.get("channel")), [])
                    if (not m.get("thread_ts") or m["thread_ts"] == m["ts"])
                    and float(m["ts"]) > float(args.get("oldest") or 0)
                ]
                return self._page(list(reversed(msgs)), args)
            if method == "conversations.info":
                channel = str(args.get("channel"))
                if not channel.startswith(("C", "G")):
                    return {"ok": False, "error": "channel_not_found"}
                member = channel not in self.not_member
                return {
                    "ok": True,
                    "channel": {"id": channel, "name": channel.lower(), "is_member": member},
                }
            if method == "conversations.open":
                # One DM channel per user, named after the user (Slack: `D…`).
                return {"ok": True, "channel": {"id": f"D{args.get('users')}"}}
            if method == "views.publish":
                view = args.get("view")
                if isinstance(view, str):
                    view = json.loads(view)
                return {"ok": True, "view": {"id": "V1", "type": "home", **(view or {})}}
            if method == "conversations.replies":
                msgs = [m for m in self.messages.get(str(args.get("channel")), [])]
                return {"ok": True, "messages": msgs, "has_more": False}
            return {"ok": True}

    def _next_ts(self) -> str:
        if self.clock is None:
            return f"{1700000000 + next(self._ts)}.000100"
        self._last_ts = max(self.clock(), self._last_ts + 0.000001)
        return f"{self._last_ts:.6f}"

    @staticmethod
    def _page(msgs: list[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
        """Slack's paging: `limit` messages, then a cursor to the rest."""
        start = int(args.get("cursor") or 0)
        limit = int(args.get("limit") or 100)
        page = msgs[start : start + limit]
        more = start + limit < len(msgs)
        meta = {"next_cursor": str(start + limit) if more else ""}
        return {"ok": True, "messages": page, "has_more": more, "response_metadata": meta}

    def delete_message(self, channel: str, ts: str) -> None:
        """Someone deleted a message in Slack."""
        with self._lock:
            self.messages[channel] = [m for m in self.messages.get(channel, []) if m["ts"] != ts]

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler,
        status: int,
        payload: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        body = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            handler.send_header(k, v)
        handler.end_headers()
        handler.wfile.write(body)
