"""HTTP mode under load and against malformed bodies: a real `anfragebot serve` process.

32 clients at once send 200 signed slash commands: every connection gets its HTTP 200 (none is
reset) and every command its answer on the response_url. Malformed interactive payloads and
slash commands get 400 once signed, 401 when not, and the server keeps answering.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

from tests.slack.conftest import CHANNEL, blocks_text, share_click
from tests.slack.test_http import Served
from tests.slack.test_http import served as served  # noqa: F401 - the fixture

REQUESTS = 200
CONCURRENT = 32


def command_body(server: Served, text: str, n: int) -> bytes:
    return urlencode(
        {
            "token": "legacy",
            "team_id": "T1",
            "channel_id": CHANNEL,
            "user_id": f"U{n}",
            "command": "/anfrage",
            "text": text,
            "api_app_id": "A1",
            "response_url": server.slack.response_url,
            "trigger_id": f"1.2.{n}",
        }
    ).encode()


def test_32_concurrent_slash_commands_are_all_answered(served: Served) -> None:  # noqa: F811
    texts = ["14/1923", "sitzungen", "hilfe", "offen"]
    bodies = [command_body(served, texts[n % len(texts)], n) for n in range(REQUESTS)]

    def send(body: bytes) -> int | str:
        try:
            return served.signed(body)[0]
        except OSError as e:  # a reset or refused connection is the failure we look for
            return f"{type(e).__name__}: {e}"

    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        results = list(pool.map(send, bodies))
    failures = [r for r in results if r != 200]
    assert failures == [], f"{len(failures)} of {REQUESTS} not answered 200: {failures[:5]}"

    deadline = time.monotonic() + 180  # the busy test machine; typically a few seconds
    while len(served.slack.responses) < REQUESTS:
        assert time.monotonic() < deadline, f"{len(served.slack.responses)} answers only"
        assert served.proc.poll() is None, "serve died"
        time.sleep(0.05)
    time.sleep(0.3)
    responses = served.slack.responses
    assert len(responses) == REQUESTS  # each command answered exactly once
    details = [r for r in responses if "Drucksache 14/1923" in blocks_text(r["blocks"])]
    assert len(details) == REQUESTS // len(texts)


def form(**fields: str) -> bytes:
    return urlencode(fields).encode()


def test_malformed_payloads_get_400_and_the_server_goes_on(served: Served) -> None:  # noqa: F811
    good_click = share_click(served.command("14/1923"), served.slack.response_url)
    before = len(served.slack.responses)

    def without(key: str) -> dict[str, object]:
        return {k: v for k, v in good_click.items() if k != key}

    malformed = {
        "payload not JSON": form(payload="{not json"),
        "payload empty": form(payload=""),
        "payload a list": form(payload="[1, 2]"),
        "payload a string": form(payload='"block_actions"'),
        "payload without type": form(payload=json.dumps(without("type"))),
        "no actions": form(payload=json.dumps(without("actions"))),
        "empty actions": form(payload=json.dumps({**good_click, "actions": []})),
        "action without id": form(payload=json.dumps({**good_click, "actions": [{"value": "x"}]})),
        "actions not a list": form(payload=json.dumps({**good_click, "actions": "x"})),
        "no user": form(payload=json.dumps(without("user"))),
        "no response_url": form(payload=json.dumps(without("response_url"))),
        "JSON body broken": b'{"type": "event_callback", ',
        "JSON body a list": b"[]",
        "command without response_url": form(command="/anfrage", text="14/1923"),
    }
    for name, body in malformed.items():
        status, answer = served.signed(body)
        assert status == 400, (name, status, answer)
        assert answer.startswith(b"bad request"), name
        # Unsigned, the same body is refused as unsigned: no hint about its shape.
        status, _ = served.post(body, {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 401, name

    time.sleep(0.3)
    assert len(served.slack.responses) == before  # none of them reached a handler
    # The well-formed click still works, and so do commands.
    status, _ = served.signed(form(payload=json.dumps(good_click)))
    assert status == 200
    shared = served.wait_responses(before + 2)[-2]
    assert shared["response_type"] == "in_channel"
    assert "Drucksache 14/1923" in blocks_text(served.command("14/1923")["blocks"])


def test_a_command_mentioning_payload_is_answered(served: Served) -> None:  # noqa: F811
    """Bolt takes any form body containing the word "payload" for an interactive one; the
    server hides the word (and re-signs) so such a command is answered like any other."""
    found = blocks_text(served.command("suche payload")["blocks"])
    assert "Nichts gefunden zu „payload“" in found
    made = blocks_text(served.command("abo text:payload", channel="CPAY")["blocks"])
    assert 'Abo 1 angelegt: neue Anfragen mit `text:"payload"`' in made
