"""A store filled by the real poll pipeline from the RVR-like feed, for the command tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.demo.server import FeedServer
from bot.slack.commands import Reply, answer
from bot.store.db import make_engine, session_factory, transaction
from jobs.poll import poll_once
from tests.fake_slack import FakeSlack
from tests.helpers import at, make_config, make_runtime
from tests.rvr_feed import standard_rvr

NOW = at("2025-01-10T09:00:00+01:00")
TZ = ZoneInfo("Europe/Berlin")
CHANNEL = "C0123456789"


@dataclass
class Store:
    url: str
    feed_base: str
    factory: sessionmaker[Session]

    def ask(
        self, text: str, channel: str = CHANNEL, user: str = "U1", now: datetime = NOW
    ) -> Reply:
        with transaction(self.factory) as session:
            return answer(session, text, channel, user, now, TZ, default_channel=CHANNEL)


def fill_store(db_url: str, feed: FeedServer, slack: FakeSlack) -> None:
    rvr = standard_rvr(feed.base_url, date(2025, 1, 10))
    rvr.add_paper(
        1950,
        "14/1950",
        "Anfrage zu Radwegen am Emscher-Radweg",
        "Anfrage",
        "2025-01-09",
        text="Anfrage der SPD-Fraktion\n\n1. Wann wird der Radweg saniert?\n",
    )
    feed.routes.update(rvr.routes())
    rt = make_runtime(make_config(db_url, rvr.system_url, slack_url=slack.base_url))
    try:
        report = poll_once(rt, NOW)
        assert report.sources[0].ok, report.sources[0].error
    finally:
        rt.close()


@pytest.fixture
def store(db_url: str, feed: FeedServer, slack: FakeSlack) -> Iterator[Store]:
    fill_store(db_url, feed, slack)
    engine = make_engine(db_url)
    yield Store(db_url, feed.base_url, session_factory(engine))
    engine.dispose()


def blocks_text(blocks: list[dict]) -> str:
    parts = []
    for b in blocks:
        if "text" in b:
            parts.append(b["text"]["text"])
        parts += [f["text"] for f in b.get("fields", [])]
        parts += [
            e.get("text", "") if isinstance(e.get("text"), str) else e["text"]["text"]
            for e in b.get("elements", [])
        ]
    return "\n".join(parts)


def share_click(ephemeral: dict[str, Any], response_url: str) -> dict[str, Any]:
    """The `block_actions` payload Slack sends when someone presses "Im Kanal teilen"."""
    button = next(e for b in ephemeral["blocks"] if b["type"] == "actions" for e in b["elements"])
    return {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U7", "team_id": "T1"},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": "1.2.3",
        "channel": {"id": CHANNEL},
        "container": {"type": "message", "is_ephemeral": True},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": button["action_id"],
                "block_id": "b1",
                "value": button["value"],
                "action_ts": "1700000000.1",
            }
        ],
    }
