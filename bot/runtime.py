"""Composition root: config → engine → clients → notifier. Everything external is built here
(or passed in by tests), never inside the jobs."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Config, SourceConfig
from bot.document.limits import DocumentLimits
from bot.feed.client import OParlClient, make_http_client
from bot.slack.notifier import Notifier, SlackNotifier
from bot.store.db import make_engine, migrate, session_factory


@dataclass
class Runtime:
    config: Config
    engine: Engine
    factory: sessionmaker[Session]
    # None without SLACK_BOT_TOKEN: polls sync and route, and every delivery stays pending
    # until a run with the token sends it (issue 11). `demo` passes a TerminalNotifier.
    notifier: Notifier | None
    http: httpx.Client
    pace_seconds: float = 1.0
    retry_backoff_seconds: float = 1.0
    clients: dict[str, OParlClient] = field(default_factory=dict)
    # Caps per document (download and sandbox); tests pass small ones.
    document_limits: DocumentLimits = field(default_factory=DocumentLimits)

    def client_for(self, source: SourceConfig) -> OParlClient:
        if source.name not in self.clients:
            self.clients[source.name] = OParlClient(
                self.http,
                requests_per_second=source.requests_per_second,
                backoff_seconds=self.retry_backoff_seconds,
                deadline_seconds=max(60.0, source.timeout_seconds * 4),
            )
        return self.clients[source.name]

    def close(self) -> None:
        self.http.close()
        self.engine.dispose()


def make_notifier(config: Config) -> Notifier | None:
    """Slack, or nothing: printing to a terminal is not delivering, so without a token no
    delivery is marked done (the demo passes its TerminalNotifier itself)."""
    if config.slack.bot_token:
        return SlackNotifier(config.slack.bot_token, config.slack.api_url)
    return None


def build_runtime(
    config: Config,
    *,
    notifier: Notifier | None = None,
    http: httpx.Client | None = None,
    pace_seconds: float | None = None,
    retry_backoff_seconds: float = 1.0,
    document_limits: DocumentLimits | None = None,
) -> Runtime:
    engine = make_engine(config.database_url, instance=config.database_instance)
    migrate(engine)
    timeout = max((s.timeout_seconds for s in config.sources), default=30.0)
    return Runtime(
        config=config,
        engine=engine,
        factory=session_factory(engine),
        notifier=notifier or make_notifier(config),
        http=http or make_http_client(timeout),
        pace_seconds=config.slack.pace_seconds if pace_seconds is None else pace_seconds,
        retry_backoff_seconds=retry_backoff_seconds,
        document_limits=document_limits or DocumentLimits(),
    )
