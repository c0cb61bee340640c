"""Turn an outbox row into a Slack message, from what the store holds at sending time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.slack import blocks
from bot.store.deliveries import Claimed
from bot.store.follows import DM_KIND
from bot.store.views import load_anfrage
from jobs.deliver import Rendered
from jobs.follow import render_dm
from jobs.lifecycle import LIFECYCLE_KINDS, render_lifecycle


def make_renderer(*, now: datetime, tz: ZoneInfo):  # type: ignore[no-untyped-def]
    def render(session: Session, item: Claimed) -> Rendered | None:
        if item.kind == "announce" and item.paper_id:
            view = load_anfrage(session, item.paper_id)
            if view is None:
                return None
            text, bl = blocks.announcement(view, now=now, tz=tz)
            return Rendered(text=text, blocks=bl)
        if item.kind in LIFECYCLE_KINDS:
            return render_lifecycle(session, item, now=now, tz=tz)
        if item.kind == DM_KIND:
            return render_dm(session, item, now=now, tz=tz)
        return None

    return render
