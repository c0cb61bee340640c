"""The App Home tab: `app_home_opened` → `views.publish`, in Socket Mode and HTTP mode alike.

`home_view` is pure (data in, a Slack view out); all council text goes through the same
escaping as every message, and the view keeps Slack's limit of 100 blocks: each list is cut
with a "… und N weitere" line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.slack import personal_texts as pt
from bot.slack import texts
from bot.slack.blocks import Block, clip, context, escape, fmt_date, header, link, pack, section
from bot.slack.parse import format_conditions
from bot.store.home import HomeData, OpenItem, load_home
from bot.store.lookup import UpcomingSession

log = logging.getLogger(__name__)

MAX_VIEW_BLOCKS = 100  # Slack's limit for a Home tab view
ITEMS_PER_SESSION = 10
WEEKDAYS = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")


def _days(n: int) -> str:
    if n <= 0:
        return pt.DAYS_ZERO
    return pt.DAYS_ONE if n == 1 else pt.DAYS.format(n=n)


def order_open(items: Sequence[OpenItem], today: date) -> list[OpenItem]:
    """Overdue first (longest overdue first), then by deadline, then oldest first."""

    def key(i: OpenItem) -> tuple[int, date, date, str]:
        overdue = i.deadline is not None and i.deadline < today
        return (0 if overdue else 1, i.deadline or date.max, i.since, i.paper.paper_id)

    return sorted(items, key=key)


def open_line(item: OpenItem, today: date) -> str:
    if item.deadline is not None and item.deadline < today:
        age = pt.HOME_OPEN_OVERDUE.format(days=_days((today - item.deadline).days))
    elif item.deadline is not None:
        age = pt.HOME_OPEN_DUE.format(date=fmt_date(item.deadline))
    else:
        age = pt.HOME_OPEN_AGE.format(
            date=fmt_date(item.since), days=_days((today - item.since).days)
        )
    return pt.HOME_OPEN_LINE.format(
        ref=escape(item.paper.reference) or texts.UNKNOWN,
        age=age,
        subject=link(item.paper.web, clip(item.paper.subject or texts.UNKNOWN, 200)),
    )


def _when(start: datetime, tz: ZoneInfo) -> str:
    local = start.astimezone(tz)
    when = f"{WEEKDAYS[local.weekday()]} {local:%d.%m.%Y}"
    if local.hour or local.minute:
        when += f" {local:%H:%M} Uhr"
    return when


def session_lines(s: UpcomingSession, tz: ZoneInfo) -> list[str]:
    label = s.committee or s.name or texts.UNKNOWN
    lines = [pt.HOME_SESSION_LINE.format(when=_when(s.start, tz), committee=link(s.web, label))]
    for paper, top in s.anfragen[:ITEMS_PER_SESSION]:
        lines.append(
            pt.HOME_SESSION_ITEM.format(
                top=f"TOP {escape(top)}: " if top else "",
                ref=link(paper.web, paper.reference or texts.UNKNOWN),
                subject=escape(clip(paper.subject or texts.UNKNOWN, 200)),
            )
        )
    hidden = len(s.anfragen) - ITEMS_PER_SESSION
    if hidden > 0:
        lines.append(pt.HOME_MORE.format(n=hidden))
    return lines


def _abo_lines(data: HomeData) -> list[str]:
    lines = []
    if data.default_channel:
        lines.append(pt.HOME_ABO_DEFAULT.format(channel=escape(data.default_channel)))
    for s in data.abos:
        text = escape(format_conditions(list(s.conditions))).replace("`", "'")
        conditions = f"`{text}`" if s.conditions else pt.HOME_ABO_ALL
        lines.append(
            pt.HOME_ABO_LINE.format(channel=escape(s.channel), id=s.id, conditions=conditions)
        )
    if data.abos_total > len(data.abos):
        lines.append(pt.HOME_MORE.format(n=data.abos_total - len(data.abos)))
    return lines


def home_view(data: HomeData, *, now: datetime, tz: ZoneInfo) -> dict[str, Any]:
    from bot.slack.commands import followed_line  # the same line as `/anfrage gefolgt`

    today = now.astimezone(tz).date()
    blocks: list[Block] = [
        header(pt.HOME_TITLE),
        context(pt.HOME_UPDATED.format(when=now.astimezone(tz).strftime("%d.%m.%Y %H:%M"))),
    ]
    # Our open Anfragen.
    blocks += [{"type": "divider"}, header(pt.HOME_OPEN.format(n=data.open_total))]
    if data.open_items:
        lines = [open_line(i, today) for i in order_open(data.open_items, today)]
        if data.open_total > len(data.open_items):
            lines.append(pt.HOME_MORE.format(n=data.open_total - len(data.open_items)))
        blocks.append(context(pt.HOME_OPEN_SCOPE))
        blocks += [section(c) for c in pack(lines)]
    else:
        blocks.append(section(pt.HOME_OPEN_NONE))
    # The next sessions with Anfragen on their agenda.
    blocks += [{"type": "divider"}, header(pt.HOME_SESSIONS)]
    if data.sessions:
        for s in data.sessions:
            blocks += [section(c) for c in pack(session_lines(s, tz))]
    else:
        blocks.append(section(pt.HOME_SESSIONS_NONE))
    # What this user follows.
    blocks += [{"type": "divider"}, header(pt.HOME_FOLLOWS)]
    if data.follows:
        lines = [followed_line(f) for f in data.follows]
        if data.follows_total > len(data.follows):
            lines.append(pt.HOME_MORE.format(n=data.follows_total - len(data.follows)))
        blocks += [section(c) for c in pack(lines)]
    else:
        blocks.append(section(pt.HOME_FOLLOWS_NONE))
    # The channels' abos.
    blocks += [{"type": "divider"}, header(pt.HOME_ABOS)]
    abo_lines = _abo_lines(data)
    blocks += [section(c) for c in pack(abo_lines)] if abo_lines else [section(pt.HOME_ABOS_NONE)]
    return {"type": "home", "blocks": fit(blocks)}


def fit(blocks: list[Block], limit: int = MAX_VIEW_BLOCKS) -> list[Block]:
    """Slack refuses a view over `limit` blocks: keep the first ones and say what is missing."""
    if len(blocks) <= limit:
        return blocks
    hidden = len(blocks) - (limit - 1)
    return blocks[: limit - 1] + [context(pt.HOME_MORE.format(n=hidden))]


def error_view() -> dict[str, Any]:
    return {"type": "home", "blocks": [header(pt.HOME_TITLE), section(pt.HOME_ERROR)]}


def build_home(
    factory: sessionmaker[Session],
    user: str,
    *,
    now: datetime,
    tz: ZoneInfo,
    default_channel: str | None,
) -> dict[str, Any]:
    try:
        with factory() as session:
            data = load_home(session, user, now=now, tz=tz, default_channel=default_channel)
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
) -> None:
    """`app_home_opened` (bot event, manifest) → `views.publish` for that user."""

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab fires the same event
        user = str(event.get("user") or "")
        if not user:
            return
        view = build_home(factory, user, now=clock(), tz=tz, default_channel=default_channel)
        try:
            client.views_publish(user_id=user, view=view)
        except Exception as e:  # noqa: BLE001 - logged; the next opening tries again
            log.error("views.publish for %s failed: %s", user, e)
