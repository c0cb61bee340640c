"""A full sync of the real Hürtgenwald crawl (2,115 papers, 367 meetings) from a local server."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.demo.server import FeedReply as Reply
from bot.demo.server import FeedServer
from bot.store.schema import AgendaItemRow, MeetingRow, OrganizationRow, PaperRow
from jobs.poll import poll_once
from tests import huertgenwald
from tests.fake_slack import FakeSlack
from tests.helpers import at, make_config, make_runtime


def test_full_sync_counts_match_the_data(db_url: str, feed: FeedServer, slack: FakeSlack) -> None:
    feed.routes.update(huertgenwald.routes(feed.base_url))
    expected = huertgenwald.expected_counts()
    assert expected["paper"] + expected["paper_deleted"] == 2115
    rt = make_runtime(
        make_config(db_url, huertgenwald.system_url(feed.base_url), slack_url=slack.base_url)
    )
    try:
        report = poll_once(rt, at("2021-09-06T12:00:00+02:00"))
        src = report.sources[0]
        assert src.ok, src.error
        with rt.factory() as s:
            papers = s.scalar(
                select(func.count()).select_from(PaperRow).where(PaperRow.deleted.is_(False))
            )
            all_papers = s.scalar(select(func.count()).select_from(PaperRow))
            meetings = s.scalar(select(func.count()).select_from(MeetingRow))
            live_meetings = s.scalar(
                select(func.count()).select_from(MeetingRow).where(MeetingRow.deleted.is_(False))
            )
            orgs = s.scalar(select(func.count()).select_from(OrganizationRow))
            items = s.scalar(select(func.count()).select_from(AgendaItemRow))
            anfragen = s.scalar(
                select(func.count()).select_from(PaperRow).where(PaperRow.is_anfrage.is_(True))
            )
        assert all_papers == 2115
        assert papers == expected["paper"] == 2097
        assert src.papers.deleted == expected["paper_deleted"] == 18
        assert meetings == 367
        assert live_meetings == expected["meeting"] == 346
        assert orgs == expected["organization"]
        assert items and items > 1000
        # Hürtgenwald has Beschluss- and Mitteilungsvorlagen only: nothing to announce.
        assert anfragen == 0
        assert slack.posts() == []
        # 85 paper pages + 15 meeting pages + organizations + system + body list.
        assert src.requests == len(feed.requests)
        first_requests = len(feed.requests)

        # Second poll: modified_since is sent; SD.NET answers 404 for an empty filtered list.
        feed.hook = lambda path: Reply(status=404) if "modified_since=" in path else None
        again = poll_once(rt, at("2021-09-06T12:15:00+02:00"))
        assert again.sources[0].ok, again.sources[0].error
        new_requests = feed.requests[first_requests:]
        # system + body list + one request per list (organization, meeting, paper).
        assert len(new_requests) == 5
        assert sum("modified_since=" in r for r in new_requests) == 3
    finally:
        rt.close()
