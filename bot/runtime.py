"""Composition root: config → engine → clients → notifier. Everything external is built here
(or passed in by tests), never inside the jobs: every command (poll, remind, run, status,
requeue, serve, lookup, ical, check, demo) opens the database through `open_database`
(`database_engine` for `check`, which reports each step) and builds the rest with
`build_runtime`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Config, SourceConfig
from bot.document.limits import DocumentLimits
from bot.feed.client import MAX_RETRIES, ClientSpec, OParlClient, make_http_client
from bot.netpolicy import OriginPolicy, origin_policy
from bot.slack.notifier import Notifier, SlackNotifier
from bot.store.db import make_engine, migrate, session_factory

# 20 pages are a few seconds of reading: a poll that reads less never starts a process.
READER_AFTER_PAGES = 20


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
    # A full read longer than this many pages goes on in a page reader process
    # (bot/feed/reader.py); None: always in this process.
    reader_after_pages: int | None = READER_AFTER_PAGES

    def client_for(self, source: SourceConfig) -> OParlClient:
        if source.name not in self.clients:
            spec = ClientSpec(
                timeout_seconds=source.timeout_seconds,
                policy=feed_policy(source),
                requests_per_second=source.requests_per_second,
                max_retries=MAX_RETRIES,
                backoff_seconds=self.retry_backoff_seconds,
                deadline_seconds=max(60.0, source.timeout_seconds * 4),
            )
            self.clients[source.name] = OParlClient.from_spec(
                spec, http=self.http, reader_after_pages=self.reader_after_pages
            )
        return self.clients[source.name]

    def close(self) -> None:
        self.http.close()
        self.engine.dispose()


def feed_policy(source: SourceConfig) -> OriginPolicy:
    """What the source's OParl client may read: its System URL's origin and `feed_hosts`."""
    return origin_policy(source.url, source.feed_hosts)


def make_notifier(config: Config) -> Notifier | None:
    """Slack, or nothing: printing to a terminal is not delivering, so without a token no
    delivery is marked done (the demo passes its TerminalNotifier itself)."""
    if config.slack.bot_token:
        return SlackNotifier(config.slack.bot_token, config.slack.api_url)
    return None


def database_engine(config: Config) -> Engine:
    """The configured database's engine, not yet migrated; its advisory locks are scoped by
    `[database] instance`. Raises ConfigError for a bad URL."""
    return make_engine(config.database_url, instance=config.database_instance)


def open_database(config: Config) -> Engine:
    """The configured database, migrated to the current schema (StoreError when it cannot be)."""
    engine = database_engine(config)
    try:
        migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


@contextmanager
def store_sessions(config: Config) -> Iterator[sessionmaker[Session]]:
    """Sessions on the configured database for one command (serve, lookup, ical); closed after."""
    engine = open_database(config)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def build_runtime(
    config: Config,
    *,
    notifier: Notifier | None = None,
    http: httpx.Client | None = None,
    pace_seconds: float | None = None,
    retry_backoff_seconds: float = 1.0,
    document_limits: DocumentLimits | None = None,
) -> Runtime:
    engine = open_database(config)
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
