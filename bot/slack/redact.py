"""`redact`: Slack tokens out of any text. Its own module, free of slack_sdk: logging imports it
at the start of every process, most of which (an idle poll) never talk to Slack."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"xox[abposr]-[\w-]+|xapp-[\w-]+")


def redact(text: str) -> str:
    """Tokens must never reach a log line or an error message."""
    return _TOKEN.sub("[redacted]", text)
