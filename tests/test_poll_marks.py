"""Idle polls skip the steps after the sync that read every paper (issue 15), and a poll that
died between its sync and those steps leaves them owed: the next poll runs them in full."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, select

from bot.demo.server import FeedServer
from bot.store.db import transaction
from bot.store.marks import DONE, PENDING, POST_SYNC, post_sync_owed, set_post_sync
from bot.store.schema import AnswerLink, PollMark
from bot.store.search import search, search_documents
from jobs.poll import poll_once
from tests.fake_slack import FakeSlack
from tests.helpers import at, make_config, make_runtime
from tests.rvr_feed import standard_rvr

NOW = "2025-01-10T09:00:00+01:00"


def _rows(rt: object) -> int:
    with rt.factory() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(search_documents)) or 0)


def test_owed_steps_run_after_a_poll_that_died_before_them(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    rvr = standard_rvr(feed.base_url, date(2025, 1, 10))
    feed.routes.update(rvr.routes())
    rt = make_runtime(make_config(db_url, rvr.system_url, slack_url=slack.base_url))
    try:
        assert post_sync_owed(rt.factory)  # a new database owes them
        poll_once(rt, at(NOW))
        assert not post_sync_owed(rt.factory)
        with rt.factory() as session:
            assert session.get(PollMark, POST_SYNC).value == DONE  # type: ignore[union-attr]
        indexed = _rows(rt)
        assert indexed > 0

        # What a poll that died after its sync leaves: "pending", the index and the answer
        # links not (yet) written for what it stored.
        set_post_sync(rt.factory, PENDING, at(NOW))
        with transaction(rt.factory) as session:
            session.execute(delete(search_documents))
            links = session.scalar(select(func.count()).select_from(AnswerLink))
            session.execute(delete(AnswerLink))
        assert links  # 14/1800 is answered in the feed
        # The next poll finds nothing new in the feed, and still does the owed work.
        poll_once(rt, at("2025-01-10T09:15:00+01:00"))
        assert _rows(rt) == indexed
        with rt.factory() as session:
            assert session.scalar(select(func.count()).select_from(AnswerLink)) == links
            assert search(session, "Zusammenarbeit Integrationszentren")
        assert not post_sync_owed(rt.factory)
    finally:
        rt.close()


def test_idle_poll_leaves_the_index_alone_and_a_change_updates_it(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    rvr = standard_rvr(feed.base_url, date(2025, 1, 10))
    feed.routes.update(rvr.routes())
    rt = make_runtime(make_config(db_url, rvr.system_url, slack_url=slack.base_url))
    try:
        poll_once(rt, at(NOW))
        with rt.factory() as session:
            before = set(session.execute(select(search_documents.c.paper_id)).scalars())
        poll_once(rt, at("2025-01-10T09:15:00+01:00"))
        assert not post_sync_owed(rt.factory)
        rvr.add_paper(
            1950,
            "14/1950",
            "Anfrage zu Radwegen am Emscher-Radweg",
            "Anfrage",
            "2024-12-01",
            text="Anfrage der SPD-Fraktion\n\n1. Wann wird der Radweg saniert?\n",
        )
        rvr.add_paper(
            1951, "14/1951", "Beantwortung der Anfrage 14/1950", "Beantwortung einer Anfrage",
            "2025-01-11",
        )
        feed.routes.update(rvr.routes())
        poll_once(rt, at("2025-01-10T09:30:00+01:00"))
        with rt.factory() as session:
            after = set(session.execute(select(search_documents.c.paper_id)).scalars())
            assert len(after - before) == 2
            assert search(session, "Emscher-Radweg")
            linked = session.get(AnswerLink, next(i for i in after - before if "1950" in i))
            assert linked is not None and linked.answer_paper_id is not None
    finally:
        rt.close()
