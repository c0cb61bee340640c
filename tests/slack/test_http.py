"""HTTP mode end to end: a real `anfragebot serve` process, signed requests, the fake Slack
receiving the answers on its response_url; and `anfragebot lookup` printing the same."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.cli import main
from bot.demo.server import FeedServer
from bot.slack.notifier import render_text
from tests.fake_slack import FakeSlack
from tests.paths import ROOT
from tests.slack.conftest import CHANNEL, NOW, blocks_text, fill_store, share_click

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW_ISO = NOW.isoformat()


@dataclass
class Served:
    port: int
    proc: subprocess.Popen[str]
    slack: FakeSlack
    db_url: str
    env: dict[str, str]

    def post(
        self, body: bytes, headers: dict[str, str], path: str = "/slack/events"
    ) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("POST", path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def signed(
        self, body: bytes, *, timestamp: int | None = None, secret: str = SECRET
    ) -> tuple[int, bytes]:
        return self.post(body, sign(body, timestamp=timestamp, secret=secret))

    def command(self, text: str, *, channel: str = CHANNEL, user: str = "U1") -> dict[str, Any]:
        """Send `/anfrage text`; returns what the app sent to the response_url."""
        before = len(self.slack.responses)
        body = urlencode(
            {
                "token": "legacy",
                "team_id": "T1",
                "team_domain": "rvr",
                "channel_id": channel,
                "channel_name": "anfragen",
                "user_id": user,
                "user_name": "ute",
                "command": "/anfrage",
                "text": text,
                "api_app_id": "A1",
                "response_url": self.slack.response_url,
                "trigger_id": "1.2.3",
            }
        ).encode()
        status, _ = self.signed(body)
        assert status == 200
        return self.wait_responses(before + 1)[-1]

    def wait_responses(self, count: int) -> list[dict[str, Any]]:
        deadline = time.monotonic() + 15
        while len(self.slack.responses) < count:
            assert time.monotonic() < deadline, "no answer on the response_url"
            assert self.proc.poll() is None, "serve died"
            time.sleep(0.02)
        return list(self.slack.responses)


def sign(body: bytes, *, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def _env(slack: FakeSlack, db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper()}
    env.update(
        SLACK_API_URL=slack.base_url,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SECRET,
        DATABASE_URL=db_url,
        NO_PROXY="127.0.0.1,localhost",
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    env.update(extra)
    return env


def no_settings_config(cwd: Path) -> None:
    """`serve` needs a config file (issue 11); these tests take everything from the environment."""
    (cwd / "config.toml").write_text("# settings come from the environment\n", encoding="utf-8")


def start_serve(env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen[str], int]:
    no_settings_config(cwd)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", "0", "--now", NOW_ISO],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("listening on"):
        proc.kill()
        _, err = proc.communicate(timeout=10)
        pytest.fail(f"serve did not start: {line!r} {err[-2000:]}")
    port = int(line.rsplit(":", 1)[1].split("/", 1)[0])
    return proc, port


@pytest.fixture
def served(sqlite_url: str, feed: FeedServer, slack: FakeSlack, tmp_path: Path) -> Iterator[Served]:
    fill_store(sqlite_url, feed, slack)
    env = _env(slack, sqlite_url)
    proc, port = start_serve(env, tmp_path)
    try:
        yield Served(port, proc, slack, sqlite_url, env)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def lookup(
    served: Served, query: str, monkeypatch: pytest.MonkeyPatch, channel: str = CHANNEL
) -> str:
    for key in ("SLACK_API_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "DATABASE_URL"):
        monkeypatch.setenv(key, served.env[key])
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["lookup", "--channel", channel, "--now", NOW_ISO, *query.split()]) == 0
    return out.getvalue()


COMMANDS = [
    "14/1923",
    "14 / 1923",
    "141923",
    "1923",
    "14/1932",
    "suche Integrationszentren",
    "search radwegen",
    "sitzungen",
    "sitzungen Kultur",
    "offen",
    "abos",
    "hilfe",
    "",
    "kaputt!",
]


def test_every_command_answers_over_signed_http_as_lookup_prints(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    for text in COMMANDS:
        response = served.command(text)
        assert response["response_type"] == "ephemeral", text
        assert response["text"], text
        assert len(response["blocks"]) <= 50
        printed = lookup(served, text, monkeypatch)
        assert printed.strip() == render_text(response["blocks"]).strip(), text

    detail = blocks_text(served.command("14/1923")["blocks"])
    for expected in (
        "Drucksache 14/1923",
        "Zusammenarbeit der Kommunalen Integrationszentren",
        "Fraktion Die Linke",
        "06.01.2025",
        "Ausschuss für Kultur, Sport und Vielfalt",
        "TOP 12",
        "auf der Tagesordnung am 06.02.2025",
        "Ist der RVR hieran beteiligt?",
        "/vorgang/1923",
        "/files/1923.pdf",
        "Im Kanal teilen",
    ):
        assert expected in detail, expected
    assert "Meinten Sie" in blocks_text(served.command("14/1932")["blocks"])
    assert "14/1950" in blocks_text(served.command("suche Radweg")["blocks"])
    assert "TOP 12" in blocks_text(served.command("sitzungen")["blocks"])
    open_text = blocks_text(served.command("offen")["blocks"])
    assert "14/1923" in open_text and "seit 4 Tagen" in open_text


def test_subscriptions_over_http(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    made = blocks_text(
        served.command('abo fraktion:"Die Linke" !gremium:"Haupt" text:Radweg', channel="CABO")[
            "blocks"
        ]
    )
    assert "Abo 1 angelegt" in made
    listed = blocks_text(served.command("abos", channel="CABO")["blocks"])
    assert '*1* · `fraktion:"Die Linke" !gremium:"Haupt" text:"Radweg"`' in listed
    assert lookup(served, "abos", monkeypatch, channel="CABO").count("fraktion:") == 1
    # Another channel can neither see nor end it.
    assert "keine eigenen Abos" in blocks_text(served.command("abos", channel="COTHER")["blocks"])
    assert "gibt es in diesem Kanal nicht" in blocks_text(
        served.command("abo-ende 1", channel="COTHER")["blocks"]
    )
    assert "Abo 1 beendet" in blocks_text(served.command("abo-ende 1", channel="CABO")["blocks"])
    assert "Unbekannte Angabe" in blocks_text(
        served.command("abo partei:SPD", channel="CABO")["blocks"]
    )


def test_share_button_posts_in_channel(served: Served) -> None:
    ephemeral = served.command("14/1923")
    payload = share_click(ephemeral, served.slack.response_url)
    before = len(served.slack.responses)
    status, _ = served.signed(urlencode({"payload": json.dumps(payload)}).encode())
    assert status == 200
    shared, deleted = served.wait_responses(before + 2)[-2:]
    assert shared["response_type"] == "in_channel"
    text = blocks_text(shared["blocks"])
    assert "Drucksache 14/1923" in text and "<@U7>" in text and "Im Kanal teilen" not in text
    assert deleted.get("delete_original") is True


def test_unsigned_stale_and_forged_requests_get_401(served: Served) -> None:
    body = urlencode(
        {
            "command": "/anfrage",
            "text": "14/1923",
            "response_url": served.slack.response_url,
            "channel_id": CHANNEL,
            "user_id": "U1",
        }
    ).encode()
    assert served.post(body, {"Content-Type": "application/x-www-form-urlencoded"})[0] == 401
    assert served.signed(body, timestamp=int(time.time()) - 6 * 60)[0] == 401
    assert served.signed(body, secret="wrong-secret")[0] == 401
    headers = sign(body)
    headers["X-Slack-Request-Timestamp"] = "not-a-number"
    assert served.post(body, headers)[0] == 401
    time.sleep(0.3)
    assert served.slack.responses == []  # none of them was answered


def test_oversized_and_malformed_requests_do_not_break_the_server(served: Served) -> None:
    big = b"x" * 1_000_001
    assert served.post(big, sign(big))[0] == 413
    assert served.post(b"{}", {"Content-Length": "abc"})[0] == 400
    assert served.post(b"", {}, path="/other")[0] == 404
    garbage = b"\xff\xfe\x00payload=%7Bnot json"
    status, _ = served.signed(garbage)
    assert status in (400, 401, 404, 500)
    # A raw request without Content-Length.
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    conn.putrequest("POST", "/slack/events")
    conn.endheaders()
    assert conn.getresponse().status == 411
    conn.close()
    # Still alive and answering.
    assert "Drucksache 14/1923" in blocks_text(served.command("14/1923")["blocks"])
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    conn.request("GET", "/healthz")
    assert conn.getresponse().status == 200
    conn.close()


def test_serve_without_signing_secret_is_a_clear_startup_error(
    sqlite_url: str, slack: FakeSlack, tmp_path: Path
) -> None:
    env = _env(slack, sqlite_url)
    env.pop("SLACK_SIGNING_SECRET")
    no_settings_config(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", "--port", "0"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip().splitlines()[-1].startswith("anfragebot: SLACK_SIGNING_SECRET: not set")
    )
    assert "Traceback" not in done.stderr


def test_a_taken_port_is_one_clear_line_not_a_traceback() -> None:
    import socket

    from bot.errors import ConfigError
    from bot.slack.server import serve

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}: "):
            serve(None, "127.0.0.1", port, io.StringIO())  # type: ignore[arg-type]
