"""What a renderer hands the sender: one Slack message, or a signal to try later."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.store.deliveries import Claimed


@dataclass(frozen=True)
class Rendered:
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    # Set for an edit of an earlier message (chat.update) instead of a new post.
    update_ts: str | None = None
    # A thread reply also shown in the channel (`reply_broadcast`): the answer to an Anfrage.
    broadcast: bool = False


class NotReady(Exception):  # noqa: N818 - a signal, not an error
    """Raised by a renderer when the message cannot be built yet (e.g. a thread reply whose
    parent message has not been posted): the row is retried shortly, not parked."""


# A renderer returns the message, None when there is nothing to send any more (the row is
# dropped with that reason), or raises NotReady.
Render = Callable[[Session, Claimed], Rendered | None]
NOT_READY_DELAY = timedelta(seconds=30)
