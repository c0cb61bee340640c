"""Logging: one line per event, tokens redacted whatever a library puts into a message."""

from __future__ import annotations

import logging
import sys

from bot.slack.notifier import redact


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message).replace("\n", " ⏎ ")
        if clean != message:
            record.msg, record.args = clean, None
        return True


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    noisy_libraries = ("httpx", "httpcore", "alembic", "apscheduler.executors", "slack_sdk")
    for noisy in (*noisy_libraries, "slack_bolt"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
