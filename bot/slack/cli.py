"""`anfragebot serve` and `anfragebot lookup`: the slash commands outside Slack's clients."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from sqlalchemy.orm import Session, sessionmaker

from bot.config import Config
from bot.errors import ConfigError
from bot.faction import perspective_of
from bot.runtime import store_sessions
from bot.slack.commands import answer
from bot.slack.notifier import render_text
from bot.store.db import transaction


def run_serve(
    config: Config, host: str, port: int, out: TextIO, *, now: datetime | None = None
) -> int:
    from bot.slack.app import build_app, require_credentials
    from bot.slack.server import serve

    require_credentials(config, http_mode=True)
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port: expected 0..65535, got {port}")
    with store_sessions(config) as factory:
        if now is not None:
            fixed = now
            app = build_app(config, factory, http_mode=True, clock=lambda: fixed)
        else:
            app = build_app(config, factory, http_mode=True)
        return serve(
            app,
            host,
            port,
            out,
            signing_secret=config.slack.signing_secret,
            calendar=calendar_source(config, factory, now),
        )


def calendar_source(
    config: Config, factory: sessionmaker[Session], now: datetime | None
) -> Callable[[str], bytes | None]:
    """`GET /calendar/<token>.ics` for `serve` (issue 14): one event cache per server."""
    from bot.ical import CalendarFeed

    return CalendarFeed(
        factory,
        tz=config.reminders.timezone,
        clock=lambda: now or datetime.now(UTC),
        faction=config.faction,
    )


def run_ical(
    config: Config, committee: str | None, channel: str | None, now: datetime, out: TextIO
) -> int:
    """`anfragebot ical`: the calendar feed on stdout, as `serve` hands it to calendar apps."""
    from bot.ical import calendar_from_store

    with store_sessions(config) as factory, factory() as session:
        body = calendar_from_store(
            session,
            now=now,
            tz=config.reminders.timezone,
            committee=committee,
            channel=channel,
            faction=config.faction,
        )
    out.write(body.decode("utf-8"))
    out.flush()
    return 0


def run_lookup(config: Config, query: str, channel: str | None, now: datetime, out: TextIO) -> int:
    """Prints what `/anfrage QUERY` would answer in `channel`; exit 0 whatever it found."""
    with store_sessions(config) as factory, transaction(factory) as session:
        reply = answer(
            session,
            query,
            channel or config.slack.channel,
            "cli",
            now,
            config.reminders.timezone,
            default_channel=config.slack.channel,
            perspective=perspective_of(config),
            public_url=config.http.public_url,
        )
    print(render_text(reply.blocks) if reply.blocks else reply.text, file=out)
    return 0
