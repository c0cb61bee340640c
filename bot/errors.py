"""One exception tree for the whole bot.

Each boundary (feed, document, store, Slack, config) translates foreign exceptions into one of
these with ``raise ... from e`` so callers can log a one-line reason and go on.
"""

from __future__ import annotations


class BotError(Exception):
    """Base of every error the bot raises on purpose."""


class ConfigError(BotError):
    """The configuration is missing or invalid; the message names the key."""


class FeedError(BotError):
    """The council server answered badly (HTTP error, invalid JSON, OParl error object)."""

    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        # True for answers no retry changes (404, 410, 403): stop asking for this URL.
        self.permanent = permanent


class DocumentError(BotError):
    """A document could not be read (not a PDF, encrypted, no text layer, too large)."""


class DeliveryError(BotError):
    """Slack refused or failed a message."""

    def __init__(self, reason: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after
