"""A small OParl server on 127.0.0.1 serving JSON from memory.

`anfragebot demo` serves the sample feed shipped in this package with it; the tests build on it
to serve recorded real data and to inject faults.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FeedReply:
    """One HTTP answer of the feed server (not a Slack reply: that is bot.slack.commands.Reply)."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] | None = None
    delay: float = 0.0
    # Drop the connection without an answer (TCP reset), as an overloaded server does.
    reset: bool = False


# A hook sees (path with query) and may return a FeedReply to override the stored one.
Hook = Callable[[str], FeedReply | None]


class FeedServer:
    """Serves `routes` (path with query, e.g. `/oparl/body/1/paper?page=2` → bytes)."""

    def __init__(self, routes: dict[str, bytes] | None = None) -> None:
        self.routes: dict[str, bytes] = dict(routes or {})
        self.requests: list[str] = []
        self.hook: Hook | None = None
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server API
                server._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FeedServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reply_for(self, path: str) -> FeedReply:
        if self.hook is not None:
            hooked = self.hook(path)
            if hooked is not None:
                return hooked
        body = self.routes.get(path)
        if body is None and "?" in path:
            # Ignore query parameters the server does not know (like a real, sloppy server).
            body = self.routes.get(path.split("?", 1)[0]) if "page=" not in path else None
        if body is None:
            return FeedReply(status=404, body=b'{"error": "not found"}')
        return FeedReply(body=body)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests.append(handler.path)
        reply = self.reply_for(handler.path)
        if reply.delay:
            threading.Event().wait(reply.delay)
        if reply.reset:
            # SO_LINGER 0: close() sends RST instead of FIN.
            handler.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            handler.close_connection = True
            handler.connection.close()
            return
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", reply.content_type)
            handler.send_header("Content-Length", str(len(reply.body)))
            for k, v in (reply.headers or {}).items():
                handler.send_header(k, v)
            handler.end_headers()
            handler.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass
