"""`anfragebot serve` and `anfragebot lookup`: the slash commands outside Slack's clients."""

from __future__ import annotations

from datetime import datetime
from typing import TextIO

from bot.config import Config
from bot.errors import ConfigError
from bot.faction import perspective_of
from bot.slack.commands import answer
from bot.slack.notifier import render_text
from bot.store.db import make_engine, migrate, session_factory, transaction


def run_serve(
    config: Config, host: str, port: int, out: TextIO, *, now: datetime | None = None
) -> int:
    from bot.slack.app import build_app, require_credentials
    from bot.slack.server import serve

    require_credentials(config, http_mode=True)
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port: expected 0..65535, got {port}")
    engine = make_engine(config.database_url)
    try:
        migrate(engine)
        factory = session_factory(engine)
        if now is not None:
            fixed = now
            app = build_app(config, factory, http_mode=True, clock=lambda: fixed)
        else:
            app = build_app(config, factory, http_mode=True)
        return serve(app, host, port, out, signing_secret=config.slack.signing_secret)
    finally:
        engine.dispose()


def run_lookup(config: Config, query: str, channel: str | None, now: datetime, out: TextIO) -> int:
    """Prints what `/anfrage QUERY` would answer in `channel`; exit 0 whatever it found."""
    engine = make_engine(config.database_url)
    try:
        migrate(engine)
        with transaction(session_factory(engine)) as session:
            reply = answer(
                session,
                query,
                channel or config.slack.channel,
                "cli",
                now,
                config.reminders.timezone,
                default_channel=config.slack.channel,
                perspective=perspective_of(config),
            )
    finally:
        engine.dispose()
    print(render_text(reply.blocks) if reply.blocks else reply.text, file=out)
    return 0
