"""Logging: one line per event, tokens redacted whatever a library puts into a message."""

from __future__ import annotations

import logging
import sys
from datetime import datetime

from bot.slack.redact import redact


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message).replace("\n", " ⏎ ")
        if clean != message:
            record.msg, record.args = clean, None
        return True


class ZonedFormatter(logging.Formatter):
    """ISO 8601 times with the UTC offset (`2025-01-10T09:00:01.123+01:00`): a log read on
    another machine, or next to Slack's and the council server's times, is unambiguous."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        moment = datetime.fromtimestamp(record.created).astimezone()
        return moment.isoformat(timespec="milliseconds")


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(ZonedFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    noisy_libraries = ("httpx", "httpcore", "alembic", "apscheduler.executors", "slack_sdk")
    for noisy in (*noisy_libraries, "slack_bolt"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
