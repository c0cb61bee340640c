"""Socket Mode end to end: a real `anfragebot run` process with SLACK_APP_TOKEN connects to a
fake Socket Mode endpoint (a real WebSocket server on 127.0.0.1), gets `/anfrage` envelopes
over the socket, acks each by envelope_id and answers on the fake Slack's response_url.

The way in is Slack's: `apps.connections.open` on the (fake) Web API with the xapp token hands
out the ws:// URL; the endpoint says `hello`, the client pings, the server pongs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from bot.demo.server import FeedServer
from tests.fake_slack import FakeSlack
from tests.paths import ROOT
from tests.slack.conftest import CHANNEL, blocks_text, fill_store, share_click

APP_TOKEN = "xapp-test"
SUBJECT = "Zusammenarbeit der Kommunalen Integrationszentren im Ruhrgebiet"
ACK_SECONDS = 5.0  # Slack wants the ack within 3 s; a little slack for a busy CI machine
ANSWER_SECONDS = 15.0
CONNECT_SECONDS = 30.0  # process start, migrations, auth.test, apps.connections.open, handshake


class FakeSocketMode:
    """Slack's Socket Mode endpoint: accepts WebSocket connections on /link, greets each with
    `hello`, lets the test push envelopes, and records every message the client sends."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.connections: list[ServerConnection] = []
        self.closed: list[ServerConnection] = []
        self.received: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self._server: Server = serve(self._handle, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link"

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)

    def _handle(self, ws: ServerConnection) -> None:
        path = ws.request.path if ws.request is not None else ""
        with self._cond:
            self.paths.append(path)
        if path.split("?", 1)[0] != "/link":
            ws.close(1008, "unknown path")
            return
        with self._cond:
            self.connections.append(ws)
            self._cond.notify_all()
        ws.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": len(self.connections),
                    "debug_info": {"host": "fake-socket-mode", "approximate_connection_time": 3600},
                    "connection_info": {"app_id": "A1"},
                }
            )
        )
        try:
            for message in ws:
                data = json.loads(message)
                with self._cond:
                    self.received.append(data)
                    self._cond.notify_all()
        except ConnectionClosed:
            pass  # the builtin client closes the TCP socket without a close frame
        finally:
            with self._cond:
                self.closed.append(ws)
                self._cond.notify_all()

    def wait_for(self, what: str, check: Callable[[], bool], timeout: float) -> None:
        with self._cond:
            if not self._cond.wait_for(check, timeout=timeout):
                raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")

    def connection(self, timeout: float = CONNECT_SECONDS) -> ServerConnection:
        self.wait_for("the bot to connect", lambda: bool(self.connections), timeout)
        return self.connections[-1]

    def send(self, envelope: dict[str, Any]) -> None:
        self.connection().send(json.dumps(envelope))

    def ack(self, envelope_id: str, timeout: float = ACK_SECONDS) -> dict[str, Any]:
        def found() -> bool:
            return any(m.get("envelope_id") == envelope_id for m in self.received)

        self.wait_for(f"the ack of envelope {envelope_id}", found, timeout)
        with self._cond:
            return next(m for m in self.received if m.get("envelope_id") == envelope_id)


@dataclass
class Bot:
    proc: subprocess.Popen[bytes]
    log: Path
    slack: FakeSlack
    socket: FakeSocketMode

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]

    def envelope(self, kind: str, payload: dict[str, Any]) -> tuple[str, float]:
        envelope_id = str(uuid.uuid4())
        self.socket.send(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "accepts_response_payload": True,
                "payload": payload,
            }
        )
        return envelope_id, time.monotonic()

    def command(self, text: str) -> tuple[dict[str, Any], float, dict[str, Any]]:
        """`/anfrage text` over the socket: (the ack, seconds until it came, the answer)."""
        before = len(self.slack.responses)
        envelope_id, sent = self.envelope(
            "slash_commands",
            {
                "token": "legacy",
                "team_id": "T1",
                "team_domain": "rvr",
                "channel_id": CHANNEL,
                "channel_name": "anfragen",
                "user_id": "U1",
                "user_name": "ute",
                "command": "/anfrage",
                "text": text,
                "api_app_id": "A1",
                "is_enterprise_install": "false",
                "response_url": self.slack.response_url,
                "trigger_id": "1.2.3",
            },
        )
        ack = self.acked(envelope_id)
        elapsed = time.monotonic() - sent
        return ack, elapsed, self.responses(before + 1)[-1]

    def acked(self, envelope_id: str) -> dict[str, Any]:
        try:
            return self.socket.ack(envelope_id)
        except AssertionError as e:
            raise AssertionError(f"{e}\n--- anfragebot run ---\n{self.output()}") from None

    def responses(self, count: int) -> list[dict[str, Any]]:
        deadline = time.monotonic() + ANSWER_SECONDS
        while len(self.slack.responses) < count:
            assert self.proc.poll() is None, f"anfragebot run died:\n{self.output()}"
            assert time.monotonic() < deadline, f"no answer on the response_url:\n{self.output()}"
            time.sleep(0.02)
        return list(self.slack.responses)


@pytest.fixture
def bot(sqlite_url: str, feed: FeedServer, slack: FakeSlack, tmp_path: Path) -> Iterator[Bot]:
    fill_store(sqlite_url, feed, slack)
    socket = FakeSocketMode()
    slack.socket_url = socket.url
    # No sources and a long interval: the process only answers; nothing else talks to Slack.
    (tmp_path / "config.toml").write_text(
        f'poll_minutes = 600\nlog_level = "INFO"\n[slack]\nchannel = "{CHANNEL}"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper()}
    env.update(
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_API_URL=slack.base_url,
        DATABASE_URL=sqlite_url,
        NO_PROXY="127.0.0.1,localhost",
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    env.pop("SLACK_SIGNING_SECRET", None)
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "--config", str(tmp_path / "config.toml"), "run"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
    running = Bot(proc, log, slack, socket)
    try:
        try:
            socket.connection()
        except AssertionError as e:
            raise AssertionError(f"{e}\n--- anfragebot run ---\n{running.output()}") from None
        yield running
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        socket.stop()


def test_slash_commands_are_acked_over_the_socket_and_answered(bot: Bot) -> None:
    # The way in: apps.connections.open with the app-level token, then the ws:// URL it gave.
    opened = bot.slack.calls_to("apps.connections.open")
    assert opened and opened[0].headers.get("Authorization") == f"Bearer {APP_TOKEN}"
    assert bot.socket.paths[0].split("?", 1)[0] == "/link"

    ack, elapsed, answer = bot.command("14/1923")
    assert set(ack) == {"envelope_id"}, ack  # a bare ack: the answer goes to response_url
    assert elapsed < ACK_SECONDS
    assert answer["response_type"] == "ephemeral"
    detail = blocks_text(answer["blocks"])
    for expected in ("Drucksache 14/1923", SUBJECT, "Fraktion Die Linke", "Im Kanal teilen"):
        assert expected in detail, expected
    assert "14/1923" in answer["text"]

    ack, _, answer = bot.command("hilfe")
    assert set(ack) == {"envelope_id"}, ack
    assert answer["response_type"] == "ephemeral"
    assert "So funktioniert /anfrage" in answer["text"] + blocks_text(answer["blocks"])

    # Every envelope got exactly one ack, and every ack names an envelope that was sent.
    acks = [m["envelope_id"] for m in bot.socket.received if "envelope_id" in m]
    assert len(acks) == len(set(acks)) == 2


def test_share_button_over_the_socket(bot: Bot) -> None:
    _, _, ephemeral = bot.command("14/1923")
    before = len(bot.slack.responses)
    envelope_id, _ = bot.envelope("interactive", share_click(ephemeral, bot.slack.response_url))
    assert set(bot.acked(envelope_id)) == {"envelope_id"}
    shared, deleted = bot.responses(before + 2)[-2:]
    assert shared["response_type"] == "in_channel"
    text = blocks_text(shared["blocks"])
    assert "Drucksache 14/1923" in text and "<@U7>" in text and "Im Kanal teilen" not in text
    assert deleted.get("delete_original") is True


def test_sigterm_closes_the_socket_and_exits_cleanly(bot: Bot) -> None:
    ws = bot.socket.connection()
    bot.command("hilfe")  # stop a bot that is receiving, not one still starting up
    bot.proc.send_signal(signal.SIGTERM)
    try:
        code = bot.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"run did not stop on SIGTERM:\n{bot.output()}") from None
    assert code == 0, bot.output()
    bot.socket.wait_for("the socket to close", lambda: ws in bot.socket.closed, 5)
    assert "Traceback" not in bot.output()
