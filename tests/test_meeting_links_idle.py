"""Issue 15: the search for meetings behind consultation ids that answer 404 no longer scans
every consultation on each poll (bot/store/meeting_links.py, a poll mark per source). What it
must keep doing on polls where nothing changed: look for an id again once its retry is due,
and go on with the ids a pass left over because it used its whole budget."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from bot.demo.server import FeedReply as Reply
from bot.demo.server import FeedServer
from bot.store import meeting_links
from bot.store.schema import ConsultationRow, MeetingAlias
from jobs.poll import poll_once
from tests.fake_slack import FakeSlack
from tests.helpers import at, make_config, make_runtime
from tests.rvr_feed import RvrFeed, standard_rvr

T0 = at("2025-01-10T09:00:00+01:00")


def _consultation(rvr: RvrFeed, num: int, meeting: str) -> dict[str, Any]:
    return rvr.obj("Consultation", f"{rvr.body}/consultation/9{num}", meeting=meeting)


def test_an_unfound_meeting_is_looked_for_again_when_due_on_an_idle_poll(
    sqlite_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    rvr = standard_rvr(feed.base_url, date(2025, 1, 10))
    missing = f"{rvr.body}/meeting/zz-9"
    paper = next(p for p in rvr.papers if p["id"].endswith("/paper/1923"))
    paper["consultation"] = [_consultation(rvr, 1923, missing)]
    feed.routes.update(rvr.routes())
    asked: list[str] = []

    def record(path: str) -> Reply | None:
        asked.append(path)
        return None

    feed.hook = record
    rt = make_runtime(make_config(sqlite_url, rvr.system_url, slack_url=slack.base_url))
    try:
        poll_once(rt, T0)
        assert any(p.endswith("/meeting/zz-9") for p in asked)  # looked for, 404
        asked.clear()
        poll_once(rt, T0 + timedelta(hours=1))  # nothing changed, retry not due
        assert not any(p.endswith("/meeting/zz-9") for p in asked)
        # The server knows it now; nothing in the lists changed.
        meeting = rvr.obj("Meeting", missing, name="Sitzung zz-9", start="2025-02-06T17:00:00")
        feed.routes["/oparl/body/1/meeting/zz-9"] = json.dumps(meeting).encode()
        poll_once(rt, T0 + meeting_links.RETRY_AFTER + timedelta(hours=1))
        with rt.factory() as s:
            alias = s.get(MeetingAlias, missing)
            assert alias is not None and alias.meeting_id is None  # found under its own id
            stored = s.scalars(
                select(ConsultationRow.meeting_id).where(ConsultationRow.paper_id == paper["id"])
            ).all()
        assert stored == [missing]
        assert any(p.endswith("/meeting/zz-9") for p in asked)
    finally:
        rt.close()


def test_ids_beyond_one_pass_budget_are_looked_for_on_the_next_idle_poll(
    sqlite_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    rvr = standard_rvr(feed.base_url, date(2025, 1, 10))
    n = meeting_links.BUDGET + 5
    for i in range(n):
        rvr.add_paper(
            3000 + i,
            f"14/{3000 + i}",
            f"Vorlage {i}",
            "Vorlage",
            "2024-06-01",
            consultation=[_consultation(rvr, 3000 + i, f"{rvr.body}/meeting/gone-{i}")],
        )
    feed.routes.update(rvr.routes())
    rt = make_runtime(make_config(sqlite_url, rvr.system_url, slack_url=slack.base_url))
    try:
        poll_once(rt, T0)
        with rt.factory() as s:
            first = len(s.scalars(select(MeetingAlias.alias_id)).all())
        assert first == meeting_links.BUDGET
        poll_once(rt, T0 + timedelta(minutes=15))
        with rt.factory() as s:
            ids = set(s.scalars(select(MeetingAlias.alias_id)).all())
        assert {f"{rvr.body}/meeting/gone-{i}" for i in range(n)} <= ids
    finally:
        rt.close()
