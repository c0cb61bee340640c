"""The App Home tab: `app_home_opened` → `views.publish`, in Socket Mode and HTTP mode alike.

`home_view` is pure (data in, a Slack view out); all council text goes through the same
escaping as every message, and the view keeps Slack's limit of 100 blocks: each list is cut
with a "… und N weitere" line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.faction import NOBODY, Perspective
from bot.slack import personal_texts as pt
from bot.slack.blocks import Block, context, fmt_date, header, or_unknown, pack, section
from bot.slack.escape import (
    Mrkdwn,
    clip,
    fill,
    link,
    mrkdwn,
    ours,
    ours_plain,
)
from bot.slack.parse import format_conditions
from bot.store.home import HomeData, OpenItem, load_home
from bot.store.lookup import UpcomingSession

log = logging.getLogger(__name__)

MAX_VIEW_BLOCKS = 100  # Slack's limit for a Home tab view
ITEMS_PER_SESSION = 10
WEEKDAYS = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")


def _days(n: int) -> Mrkdwn:
    if n <= 0:
        return ours(pt.DAYS_ZERO)
    return ours(pt.DAYS_ONE) if n == 1 else fill(pt.DAYS, n=n)


def open_line(item: OpenItem, today: date) -> Mrkdwn:
    if item.deadline is not None and item.deadline < today:
        age = fill(pt.HOME_OPEN_OVERDUE, days=_days((today - item.deadline).days))
    elif item.deadline is not None:
        age = fill(pt.HOME_OPEN_DUE, date=fmt_date(item.deadline))
    else:
        age = fill(
            pt.HOME_OPEN_AGE, date=fmt_date(item.since), days=_days((today - item.since).days)
        )
    return fill(
        pt.HOME_OPEN_LINE,
        ref=or_unknown(mrkdwn(item.paper.reference)),
        age=age,
        subject=link(item.paper.web, clip(or_unknown(mrkdwn(item.paper.subject)), 200)),
    )


def _when(start: datetime, tz: ZoneInfo) -> Mrkdwn:
    local = start.astimezone(tz)
    when = f"{WEEKDAYS[local.weekday()]} {local:%d.%m.%Y}"
    if local.hour or local.minute:
        when += f" {local:%H:%M} Uhr"
    return ours(when)


def session_lines(s: UpcomingSession, tz: ZoneInfo) -> list[Mrkdwn]:
    label = or_unknown(mrkdwn(s.committee or s.name))
    lines = [fill(pt.HOME_SESSION_LINE, when=_when(s.start, tz), committee=link(s.web, label))]
    for paper, top in s.anfragen[:ITEMS_PER_SESSION]:
        lines.append(
            fill(
                pt.HOME_SESSION_ITEM,
                top=fill("TOP {top}: ", top=mrkdwn(top)) if top else ours(""),
                ref=link(paper.web, or_unknown(mrkdwn(paper.reference))),
                subject=clip(or_unknown(mrkdwn(paper.subject)), 200),
            )
        )
    hidden = len(s.anfragen) - ITEMS_PER_SESSION
    if hidden > 0:
        lines.append(fill(pt.HOME_MORE, n=hidden))
    return lines


def _abo_lines(data: HomeData) -> list[Mrkdwn]:
    lines = []
    if data.default_channel:
        lines.append(fill(pt.HOME_ABO_DEFAULT, channel=channel_mention(data.default_channel)))
    for s in data.abos:
        conditions = (
            fill("`{text}`", text=mrkdwn(format_conditions(list(s.conditions))))
            if s.conditions
            else ours(pt.HOME_ABO_ALL)
        )
        lines.append(
            fill(
                pt.HOME_ABO_LINE,
                channel=channel_mention(s.channel),
                id=s.id,
                conditions=conditions,
            )
        )
    if data.abos_total > len(data.abos):
        lines.append(fill(pt.HOME_MORE, n=data.abos_total - len(data.abos)))
    return lines


_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{1,20}")


def channel_mention(channel: str) -> Mrkdwn:
    """`<#C…>` for a real channel id (stored by us from Slack); anything else escaped."""
    if _CHANNEL_ID.fullmatch(channel):
        return ours(f"<#{channel}>")
    return mrkdwn(channel)


def _section_of(title: str) -> list[Block]:
    return [{"type": "divider"}, header(ours_plain(title))]


def home_view(data: HomeData, *, now: datetime, tz: ZoneInfo) -> dict[str, Any]:
    from bot.slack.commands import followed_line  # the same line as `/anfrage gefolgt`

    today = now.astimezone(tz).date()
    stamp = ours(now.astimezone(tz).strftime("%d.%m.%Y %H:%M"))
    blocks: list[Block] = [
        header(ours_plain(pt.HOME_TITLE)),
        context(fill(pt.HOME_UPDATED, when=stamp)),
    ]
    # Our open Anfragen.
    blocks += _section_of(pt.HOME_OPEN.format(n=data.open_total))
    if data.open_items:
        lines = [open_line(i, today) for i in data.open_items]  # most urgent first (the store)
        if data.open_total > len(data.open_items):
            lines.append(fill(pt.HOME_MORE, n=data.open_total - len(data.open_items)))
        scope = pt.HOME_OPEN_SCOPE_FACTION if data.ours_by_faction else pt.HOME_OPEN_SCOPE
        blocks.append(context(ours(scope)))
        blocks += [section(c) for c in pack(lines)]
    else:
        none = pt.HOME_OPEN_NONE_FACTION if data.ours_by_faction else pt.HOME_OPEN_NONE
        blocks.append(section(ours(none)))
    # The next sessions with Anfragen on their agenda.
    blocks += _section_of(pt.HOME_SESSIONS)
    if data.sessions:
        for s in data.sessions:
            blocks += [section(c) for c in pack(session_lines(s, tz))]
    else:
        blocks.append(section(ours(pt.HOME_SESSIONS_NONE)))
    # What this user follows.
    blocks += _section_of(pt.HOME_FOLLOWS)
    if data.follows:
        follow_lines = [followed_line(f) for f in data.follows]
        if data.follows_total > len(data.follows):
            follow_lines.append(fill(pt.HOME_MORE, n=data.follows_total - len(data.follows)))
        blocks += [section(c) for c in pack(follow_lines)]
    else:
        blocks.append(section(ours(pt.HOME_FOLLOWS_NONE)))
    # The channels' abos.
    blocks += _section_of(pt.HOME_ABOS)
    abo_lines = _abo_lines(data)
    if abo_lines:
        blocks += [section(c) for c in pack(abo_lines)]
    else:
        blocks.append(section(ours(pt.HOME_ABOS_NONE)))
    return {"type": "home", "blocks": fit(blocks)}


def fit(blocks: list[Block], limit: int = MAX_VIEW_BLOCKS) -> list[Block]:
    """Slack refuses a view over `limit` blocks: keep the first ones and say what is missing."""
    if len(blocks) <= limit:
        return blocks
    hidden = len(blocks) - (limit - 1)
    return blocks[: limit - 1] + [context(fill(pt.HOME_MORE, n=hidden))]


def error_view() -> dict[str, Any]:
    return {
        "type": "home",
        "blocks": [header(ours_plain(pt.HOME_TITLE)), section(ours(pt.HOME_ERROR))],
    }


def build_home(
    factory: sessionmaker[Session],
    user: str,
    *,
    now: datetime,
    tz: ZoneInfo,
    default_channel: str | None,
    perspective: Perspective = NOBODY,
) -> dict[str, Any]:
    try:
        with factory() as session:
            data = load_home(
                session,
                user,
                now=now,
                tz=tz,
                default_channel=default_channel,
                perspective=perspective,
            )
        return home_view(data, now=now, tz=tz)
    except Exception:  # noqa: BLE001 - the user gets a view whatever broke
        log.exception("App Home for %s failed", user)
        return error_view()


def register_home(
    app: App,
    factory: sessionmaker[Session],
    *,
    tz: ZoneInfo,
    default_channel: str | None,
    clock: Callable[[], datetime],
    perspective: Perspective = NOBODY,
) -> None:
    """`app_home_opened` (bot event, manifest) → `views.publish` for that user."""

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab fires the same event
        user = str(event.get("user") or "")
        if not user:
            return
        view = build_home(
            factory,
            user,
            now=clock(),
            tz=tz,
            default_channel=default_channel,
            perspective=perspective,
        )
        try:
            client.views_publish(user_id=user, view=view)
        except Exception as e:  # noqa: BLE001 - logged; the next opening tries again
            log.error("views.publish for %s failed: %s", user, e)
