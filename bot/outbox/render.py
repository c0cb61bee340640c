"""Turn an outbox row into a Slack message, from what the store holds at sending time.

One renderer per message kind (`RENDERERS`): adding a kind means adding it to
bot/store/kinds.py and one entry here (tests/test_outbox_render.py checks that every kind has
exactly one).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.errors import DeliveryError
from bot.faction import NOBODY, Perspective, decorate
from bot.outbox.digest import render_digest
from bot.outbox.dms import render_dm
from bot.outbox.kinds import Kind
from bot.outbox.message import Render, Rendered
from bot.outbox.reminders import render_reminder
from bot.outbox.threads import render_event, render_update
from bot.slack import blocks
from bot.store.deliveries import Claimed
from bot.store.views import load_anfrage


class Renderer(Protocol):
    def __call__(
        self,
        session: Session,
        item: Claimed,
        *,
        now: datetime,
        tz: ZoneInfo,
        perspective: Perspective,
    ) -> Rendered | None: ...


def render_announcement(
    session: Session,
    item: Claimed,
    *,
    now: datetime,
    tz: ZoneInfo,
    perspective: Perspective = NOBODY,
) -> Rendered | None:
    if not item.paper_id:
        return None
    view = load_anfrage(session, item.paper_id)
    if view is None:
        return None
    text, bl = blocks.announcement(decorate(view, perspective), now=now, tz=tz)
    return Rendered(text=text, blocks=bl)


def _dm(
    session: Session,
    item: Claimed,
    *,
    now: datetime,
    tz: ZoneInfo,
    perspective: Perspective = NOBODY,
) -> Rendered | None:
    # A direct message is about the reader, not the faction: no perspective.
    return render_dm(session, item, now=now, tz=tz)


RENDERERS: Mapping[Kind, Renderer] = MappingProxyType(
    {
        Kind.ANNOUNCE: render_announcement,
        Kind.EVENT: render_event,
        Kind.UPDATE: render_update,
        Kind.REMINDER: render_reminder,
        Kind.DIGEST: render_digest,
        Kind.DM: _dm,
    }
)


class UnknownKind(DeliveryError):
    """A row of a kind this version cannot render (written by a newer version, or by hand):
    parked with this reason, so it is neither lost nor retried forever; `anfragebot requeue`
    sends it once a version that knows the kind runs."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"unknown message kind {kind!r}: no renderer", permanent=True)


def renderer_for(kind: str) -> Renderer:
    try:
        return RENDERERS[Kind(kind)]
    except ValueError:
        raise UnknownKind(kind) from None


def make_renderer(*, now: datetime, tz: ZoneInfo, perspective: Perspective = NOBODY) -> Render:
    """The `Render` the sender calls for each row (bot/outbox/send.py)."""

    def render(session: Session, item: Claimed) -> Rendered | None:
        return renderer_for(item.kind)(session, item, now=now, tz=tz, perspective=perspective)

    return render
