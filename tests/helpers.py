"""Small helpers shared by the tests: build a runtime against local servers."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from bot.config import Config, SlackConfig, SourceConfig
from bot.runtime import Runtime, build_runtime
from bot.slack.notifier import SlackNotifier


def make_config(
    db_url: str,
    system_url: str,
    *,
    channel: str = "C0123456789",
    max_age: int = 14,
    slack_url: str = "http://127.0.0.1:9/api/",
) -> Config:
    return Config(
        database_url=db_url,
        sources=(
            SourceConfig(name="rvr", url=system_url, requests_per_second=0, timeout_seconds=5),
        ),
        slack=SlackConfig(
            channel=channel,
            announce_max_age_days=max_age,
            api_url=slack_url,
            bot_token="xoxb-test-token",
        ),
    )


def make_runtime(config: Config) -> Runtime:
    """The real runtime, with a Slack notifier aimed at the fake server and no pacing waits."""
    notifier = SlackNotifier(config.slack.bot_token or "xoxb-test", config.slack.api_url, timeout=5)
    http = httpx.Client(timeout=5, trust_env=False)
    return build_runtime(
        config, notifier=notifier, http=http, pace_seconds=0, retry_backoff_seconds=0.01
    )


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
