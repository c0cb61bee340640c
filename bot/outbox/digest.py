"""The weekly digest of open Anfragen: one row per channel and week, listed at send time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from bot.config import DigestConfig
from bot.deadlines import answer_due, overdue_days
from bot.faction import NOBODY, Perspective, clean_subject
from bot.outbox.kinds import Kind
from bot.outbox.message import Rendered
from bot.slack import lifecycle_blocks as lb
from bot.slack.blocks import owner_of
from bot.store.db import transaction
from bot.store.deliveries import Claimed, enqueue
from bot.store.lifecycle import announce_channels
from bot.store.lookup import open_anfragen

# The digest lists at most this many Anfragen (a Slack message has 50 blocks anyway).
DIGEST_MAX = 200


def digest_key(now: datetime, tz: ZoneInfo) -> str:
    year, week, _ = now.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


def digest_due(now: datetime, config: DigestConfig, tz: ZoneInfo) -> bool:
    """On the configured weekday, from the configured hour until midnight."""
    local = now.astimezone(tz)
    return config.enabled and local.isoweekday() == config.weekday and local.hour >= config.hour


def enqueue_digest(
    factory: sessionmaker[Session],
    *,
    now: datetime,
    config: DigestConfig,
    tz: ZoneInfo,
    default_channel: str | None,
) -> int:
    if not digest_due(now, config, tz):
        return 0
    key = digest_key(now, tz)
    added = 0
    with transaction(factory) as session:
        channels = announce_channels(session)
        if default_channel and default_channel not in channels:
            channels.append(default_channel)
        for channel in channels:
            if open_anfragen(session, channel, tz=tz, limit=1)[1]:
                added += enqueue(
                    session,
                    kind=Kind.DIGEST,
                    channel=channel,
                    key=key,
                    now=now,
                    payload={"week": key},
                )
    return added


def render_digest(
    session: Session,
    item: Claimed,
    *,
    now: datetime,
    tz: ZoneInfo,
    perspective: Perspective = NOBODY,
) -> Rendered | None:
    today = now.astimezone(tz).date()
    entries = []
    for o in open_anfragen(session, item.channel, tz=tz, limit=DIGEST_MAX)[0]:
        p = o.paper
        due = answer_due(p.date, p.paper_type, perspective.deadlines)
        entries.append(
            lb.DigestEntry(
                p.reference,
                clean_subject(p.subject),
                p.date,
                max(0, (today - o.since).days),
                p.web,
                owner=owner_of(p.faction, perspective),
                due=due,
                overdue=overdue_days(due, today),
            )
        )
    if not entries:
        return None  # everything was answered since the digest was queued: nothing to say
    # Overdue first (longest overdue on top), then the oldest.
    entries.sort(key=lambda e: (-e.overdue, -e.days_open))
    week = str(item.payload.get("week") or item.key)
    text, blocks = lb.digest(week.split("-W")[-1], entries)
    return Rendered(text=text, blocks=blocks)
