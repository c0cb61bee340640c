"""Calendar subscription tokens: one unguessable token per channel and committee filter."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.schema import CalendarToken
from bot.store.upsert import dialect_insert

# What `secrets.token_urlsafe` produces; anything else is not looked up at all.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")


# The "channel" of tokens handed out in direct messages: a DM has no abos and no announcements,
# so its calendar is every session (or one committee's). Not a Slack id (those are [A-Z0-9]).
ALL_SESSIONS = "*"


@dataclass(frozen=True)
class CalendarScope:
    """What a token grants: the calendar of this channel, optionally of one committee."""

    channel: str
    committee: str | None


def token_for(
    session: Session, channel: str, committee: str | None, *, user: str | None, now: datetime
) -> str:
    """The channel's token for `committee` (None = all), created on first use."""
    name = (committee or "").strip()[:200]
    insert = dialect_insert(session)
    session.execute(
        insert(CalendarToken)
        .values(
            token=secrets.token_urlsafe(24),
            channel=channel,
            committee=name,
            created_by=user,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["channel", "committee"])
    )
    return str(
        session.scalars(
            select(CalendarToken.token).where(
                CalendarToken.channel == channel, CalendarToken.committee == name
            )
        ).one()
    )


def scope_of(session: Session, token: str) -> CalendarScope | None:
    """The scope a token grants, or None for an unknown (or malformed) token."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    row = session.get(CalendarToken, token)
    if row is None:
        return None
    return CalendarScope(channel=row.channel, committee=row.committee or None)
