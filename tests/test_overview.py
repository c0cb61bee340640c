"""The read-only operator queries (status, check, dry run) on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.demo.server import FeedServer
from bot.runtime import build_runtime
from bot.store.overview import (
    delivery_counts,
    due_deliveries,
    held_back,
    known_sources,
    subscribed_channels,
    waiting_deliveries,
)
from bot.store.subscriptions import add_subscription
from jobs.poll import poll_once
from tests.fake_slack import FakeSlack
from tests.helpers import at, make_config, make_runtime
from tests.rvr_feed import standard_rvr

NOW = at("2025-01-10T09:00:00+01:00")


def test_counts_and_queries_match_what_happened(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    rvr = standard_rvr(feed.base_url, date(2025, 1, 10))
    feed.routes.update(rvr.routes())
    config = make_config(db_url, rvr.system_url, slack_url=slack.base_url)

    # Without a token: the poll routes but nothing is sent or marked sent.
    no_token = build_runtime(replace(config, slack=replace(config.slack, bot_token=None)))
    try:
        assert no_token.notifier is None
        report = poll_once(no_token, NOW)
        assert report.delivery.sent == 0 and slack.calls == []
        with no_token.factory() as session:
            assert held_back(session, "rvr", NOW) == 1  # 14/1800, June 2024
            assert waiting_deliveries(session) >= 1
            due = due_deliveries(session, NOW)
            assert [d.key for d in due if d.kind == "announce"] == [f"{rvr.body}/paper/1923"]
            assert set(known_sources(session)) == {"rvr"}
            add_subscription(session, "C0SUB", [], created_by="U1", now=NOW)
            session.commit()
            assert subscribed_channels(session) == ["C0SUB"]
    finally:
        no_token.close()

    rt = make_runtime(config)
    try:
        poll_once(rt, at("2025-01-10T09:15:00+01:00"))
        with rt.factory() as session:
            counts = delivery_counts(session)
            assert counts.sent == len(slack.posts()) + len(slack.calls_to("chat.update"))
            assert counts.sent >= 1 and counts.waiting == 0 and counts.parked == 0
            assert counts.skipped >= 1  # first-sync events recorded without a post
            assert due_deliveries(session, at("2025-01-10T10:00:00+01:00")) == []
    finally:
        rt.close()



def test_dry_run_keeps_nothing_it_routed(db_url: str, feed: FeedServer, slack: FakeSlack) -> None:
    import io

    from jobs.preview import dry_run

    rvr = standard_rvr(feed.base_url, date(2025, 1, 10))
    feed.routes.update(rvr.routes())
    rt = make_runtime(make_config(db_url, rvr.system_url, slack_url=slack.base_url))
    try:
        out = io.StringIO()
        dry_run(rt, NOW, out)
        assert "--- Probelauf: Nachricht an C0123456789 ---" in out.getvalue()
        assert "Probelauf: 1 Nachricht(en) würden gesendet" in out.getvalue()
        with rt.factory() as session:
            assert waiting_deliveries(session) == 0 and delivery_counts(session).sent == 0
        assert slack.calls == []
        report = poll_once(rt, NOW)  # the real poll routes and sends what the dry run showed
        assert report.routed == 1 and report.delivery.sent >= 1
        assert [p["channel"] for p in slack.announcements()] == ["C0123456789"]
    finally:
        rt.close()


def test_dry_run_leaves_out_a_row_of_an_unknown_kind(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    # A row written by a newer version (or by hand): the real run parks it; the preview must
    # still show everything else instead of failing on it.
    import io

    from bot.store.db import transaction
    from bot.store.deliveries import enqueue
    from jobs.preview import dry_run

    rvr = standard_rvr(feed.base_url, date(2025, 1, 10))
    feed.routes.update(rvr.routes())
    rt = make_runtime(make_config(db_url, rvr.system_url, slack_url=slack.base_url))
    try:
        with transaction(rt.factory) as session:
            enqueue(session, kind="fax", channel="C0FAX", key="k1", now=NOW)
        out = io.StringIO()
        dry_run(rt, NOW, out)
        assert "--- Probelauf: Nachricht an C0123456789 ---" in out.getvalue()
        assert "Probelauf: 1 Nachricht(en) würden gesendet" in out.getvalue()
        assert "C0FAX" not in out.getvalue()
        assert slack.calls == []
    finally:
        rt.close()
