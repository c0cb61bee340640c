"""Stored channel subscriptions and routing of a paper to channels."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import AnfrageView
from bot.store.schema import Subscription
from bot.subscriptions import any_matches


def channels_for(
    session: Session, view: AnfrageView, source: str, default_channel: str | None
) -> list[str]:
    """The configured default channel (a subscription to everything) plus every channel with a
    matching subscription; each channel once."""
    by_channel: dict[str, list[list[dict[str, Any]]]] = defaultdict(list)
    for sub in session.scalars(select(Subscription)).all():
        by_channel[sub.channel].append(list((sub.filters or {}).get("conditions", [])))
    channels = [default_channel] if default_channel else []
    channels += [c for c, subs in sorted(by_channel.items()) if any_matches(subs, view)]
    return list(dict.fromkeys(channels))
