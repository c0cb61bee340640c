"""Every poll is a process start (issue 15): what a poll imports before it has anything to do
must not include what only a send, a document read or a parse needs."""

from __future__ import annotations

import json
import subprocess
import sys

# Loaded only when used: slack_sdk by the first Web API call, the PDF reader and the Anfrage
# parser by the first document read or parse, importlib.metadata by `--version` (sqlalchemy may
# still load it, so it is not checked here).
DEFERRED = (
    "slack_sdk",
    "slack_bolt",
    "bot.document.anfrage.parse",
    "bot.document.reader",
    "bot.document.sandbox",
    "bot.document.extract",
)


def _loaded_after(code: str) -> set[str]:
    probe = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out))


def test_a_poll_starts_without_slack_sdk_the_reader_or_the_parser() -> None:
    loaded = _loaded_after("import bot.cli, bot.logs, bot.runtime, jobs.poll")
    assert "jobs.poll" in loaded and "bot.classify" in loaded  # the probe ran the imports
    assert not {m for m in loaded if m.split(".")[0] in DEFERRED or m in DEFERRED}


def test_the_deferred_parts_still_load_when_used() -> None:
    loaded = _loaded_after(
        "from bot.document.anfrage import parse_anfrage, vocabulary\n"
        "from bot.slack.notifier import SlackNotifier\n"
        "SlackNotifier('xoxb-test', 'http://127.0.0.1:9/api/').client\n"
        "assert parse_anfrage('1. Wie viele Radwege gibt es?').questions"
    )
    assert {"slack_sdk", "bot.document.anfrage.parse"} <= loaded
