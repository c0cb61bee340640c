"""`underDirectionOf` (federführend) read from the real Hürtgenwald crawl: 1,386 papers name
their department ("Abteilung 1" … "Abteilung 4"); the store keeps it, lookups show it."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.demo.server import FeedServer
from bot.faction import Perspective
from bot.slack.commands import answer
from bot.store.db import transaction
from bot.store.schema import PaperRow
from bot.store.statistics import statistics
from bot.store.views import load_anfrage
from jobs.poll import poll_once
from tests import huertgenwald
from tests.fake_slack import FakeSlack
from tests.helpers import at, make_config, make_runtime
from tests.slack.conftest import TZ, blocks_text


def recorded(base_url: str) -> dict[str, str]:
    """Paper id → first `underDirectionOf`, straight from the recorded pages (local ids)."""
    local = f"{base_url}{huertgenwald.LOCAL_PATH}"
    out = {}
    for name, body in huertgenwald.members().items():
        if name.startswith("body/1/paper?page=") or name == "body/1/paper":
            for item in json.loads(body)["data"]:
                if item.get("underDirectionOf") and not item.get("deleted"):
                    first = item["underDirectionOf"][0]
                    out[item["id"].replace(huertgenwald.PREFIX, local)] = first.replace(
                        huertgenwald.PREFIX, local
                    )
    return out


def test_under_direction_of_from_recorded_data(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    feed.routes.update(huertgenwald.routes(feed.base_url))
    expected = recorded(feed.base_url)
    assert len(expected) == 1386
    rt = make_runtime(
        make_config(db_url, huertgenwald.system_url(feed.base_url), slack_url=slack.base_url)
    )
    try:
        report = poll_once(rt, at("2021-09-06T12:00:00+02:00"))
        assert report.sources[0].ok, report.sources[0].error
        with rt.factory() as session:
            stored = dict(
                session.execute(
                    select(PaperRow.id, PaperRow.under_direction_of).where(
                        PaperRow.under_direction_of.is_not(None)
                    )
                ).all()
            )
            assert stored == expected
            paper_id = sorted(expected)[0]
            view = load_anfrage(session, paper_id)
            assert view is not None and view.department and view.department.startswith("Abteilung")
            reference = view.reference
            # Hürtgenwald files no Anfragen: the statistics have nothing to count.
            empty = statistics(
                session,
                today=at("2021-09-06T12:00:00+02:00").date(),
                deadlines=Perspective().deadlines,
            )
            assert empty.total == 0
        with transaction(rt.factory) as session:
            reply = answer(
                session, reference or "", "C1", "U1", at("2021-09-06T12:00:00+02:00"), TZ
            )
        assert f"federführend: {view.department}" in blocks_text(reply.blocks)
    finally:
        rt.close()
