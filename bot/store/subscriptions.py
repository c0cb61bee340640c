"""Stored channel subscriptions and routing of a paper to channels."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
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


# -- managed by `/anfrage abo`, `abos`, `abo-ende` (issue 4) --------------------------------


@dataclass(frozen=True)
class StoredSubscription:
    id: int
    channel: str
    conditions: tuple[dict[str, Any], ...]
    created_by: str | None
    created_at: datetime


def add_subscription(
    session: Session,
    channel: str,
    conditions: Sequence[Mapping[str, Any]],
    *,
    created_by: str | None,
    now: datetime,
) -> int:
    row = Subscription(
        channel=channel,
        filters={"conditions": [dict(c) for c in conditions]},
        created_by=created_by,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row.id


def list_subscriptions(session: Session, channel: str) -> list[StoredSubscription]:
    rows = session.scalars(
        select(Subscription).where(Subscription.channel == channel).order_by(Subscription.id)
    ).all()
    return [
        StoredSubscription(
            id=r.id,
            channel=r.channel,
            conditions=tuple((r.filters or {}).get("conditions", [])),
            created_by=r.created_by,
            created_at=r.created_at,
        )
        for r in rows
    ]


def remove_subscription(session: Session, channel: str, subscription_id: int) -> bool:
    """Delete one subscription of `channel`; another channel's subscription is never touched."""
    row = session.get(Subscription, subscription_id)
    if row is None or row.channel != channel:
        return False
    session.delete(row)
    return True
