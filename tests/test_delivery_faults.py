"""Exactly once where Slack or the database misbehave (issue 11, items 6 and 7): a delivery lock
lost mid-run, a long Retry-After, a bot clock ahead of Slack's, edits of messages that are
gone, two installs on one PostgreSQL server, lock keys per install."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import select, text

from bot.demo.server import FeedServer
from bot.outbox.kinds import Kind
from bot.outbox.render import make_renderer
from bot.outbox.send import deliver_pending
from bot.runtime import Runtime
from bot.store.db import make_engine
from bot.store.locks import exclusive, hold, scoped_key
from bot.store.schema import Delivery
from jobs.leader import Leader
from jobs.poll import deliver, poll_once, sync_all
from tests.fake_slack import FakeSlack, Fault
from tests.helpers import at, make_config, make_runtime
from tests.lifecycle.scenario import FIRST_POLL, build, parent_ts
from tests.test_faults import CHANNEL, expected_keys, rvr_with_anfragen

T0 = at("2025-01-10T09:00:00+01:00")
ANFRAGEN = 16  # plus 14/1923 from the standard feed: 17 announcements, as in the issue


def _keys(slack: FakeSlack, channel: str = CHANNEL) -> Counter[str]:
    return Counter(
        str(m["metadata"]["event_payload"]["key"])
        for m in slack.stored(channel)
        if str(m["metadata"]["event_payload"]["key"]).startswith("announce:")
    )


def _rows(rt: Runtime, kind: str = "announce") -> list[Delivery]:
    with rt.factory() as s:
        return list(s.scalars(select(Delivery).where(Delivery.kind == kind)).all())


def _terminate(pid: int) -> None:
    from tests.conftest import PG_URL

    dsn = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)


# -- the session holding the delivery lock is terminated mid-delivery --------------------------


@pytest.mark.parametrize("other_waits", [True, False], ids=["other-run-between", "concurrent"])
def test_lost_delivery_lock_mid_run_posts_nothing_twice(
    other_waits: bool, pg_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    """The lock's session ends (pg_terminate_backend) after three posts; a second process then
    delivers. Today's failure: it took the first run's rows for interrupted and both posted
    them. Now the first run notices, and every row is re-checked before it is sent."""
    rvr = rvr_with_anfragen(feed, n=ANFRAGEN)
    first = make_runtime(make_config(pg_url, rvr.system_url, slack_url=slack.base_url))
    second = make_runtime(make_config(pg_url, rvr.system_url, slack_url=slack.base_url))
    others: list[threading.Thread] = []
    try:
        sync_all(first, T0)
        render = make_renderer(now=T0, tz=first.config.reminders.timezone)
        paces = [0]

        def between_posts(_seconds: float) -> None:
            paces[0] += 1
            if paces[0] != 3:
                return
            with first.engine.connect() as conn:
                key = scoped_key(conn, "deliver")
                pid = conn.execute(
                    text(
                        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                        " AND ((classid::bigint << 32) | objid::bigint) = :k"
                    ),
                    {"k": key},
                ).scalar_one()
            _terminate(pid)
            other = threading.Thread(target=deliver, args=(second, T0 + timedelta(minutes=1)))
            others.append(other)
            other.start()
            if other_waits:
                other.join(60)  # the other run delivers everything while this one pauses

        report = deliver_pending(
            first.factory, first.notifier, render, now=T0, pace_seconds=0.01, sleep=between_posts
        )
        for other in others:
            other.join(60)
        assert paces[0] >= 3 and report.sent >= 3
        deliver(second, T0 + timedelta(minutes=5))  # and one more run finds nothing to do
        deliver(first, T0 + timedelta(minutes=10))
        assert {d.status for d in _rows(first)} == {"sent"}
    finally:
        first.close()
        second.close()
    keys = _keys(slack)
    assert set(keys) == expected_keys(rvr)
    assert max(keys.values()) == 1, {k: n for k, n in keys.items() if n > 1}


def test_leader_lock_is_taken_again_after_its_session_is_terminated(pg_url: str) -> None:
    engine = make_engine(pg_url)
    leader = Leader(engine)
    try:
        assert leader.is_leader()
        assert leader._conn is not None
        pid = leader._conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        _terminate(pid)
        assert leader.is_leader()  # noticed, reconnected, took the lock again
        assert leader._conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
    finally:
        leader.close()
        engine.dispose()


def test_section_notices_a_lost_lock_and_takes_it_again_when_free(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        with hold(engine, "deliver") as section:
            assert section is not None and section.check() and section.regained == 0
            pid = section.pid
            assert pid is not None
            _terminate(pid)
            # Another process takes the free lock first: ours is gone for good.
            with exclusive(make_engine(pg_url), "deliver") as theirs:
                assert theirs
                assert not section.check()
            assert section.check() and section.regained == 1
    finally:
        engine.dispose()


# -- Retry-After longer than the in-run wait ----------------------------------------------------


def test_retry_after_3600_holds_the_channel_for_the_hour(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    rvr = rvr_with_anfragen(feed, n=ANFRAGEN)
    slack.faults.append(Fault("chat.postMessage", status=429, retry_after=3600))
    rt = make_runtime(make_config(db_url, rvr.system_url, slack_url=slack.base_url))
    try:
        report = poll_once(rt, T0)
        assert report.delivery.sent == 0 and report.delivery.retried == 1
        assert len(slack.calls_to("chat.postMessage")) == 1
        waiting = _rows(rt)
        assert {d.status for d in waiting} == {"pending"}
        assert min(d.next_attempt_at for d in waiting if d.next_attempt_at) >= T0 + timedelta(
            hours=1
        )
        # A new Anfrage arrives meanwhile: it waits for the channel too.
        rvr.add_paper(2999, "14/2999", "Nachzügler", "Fraktionsanfrage", "2025-01-10")
        feed.routes.update(rvr.routes())
        for minutes in (15, 30, 45, 59):
            poll_once(rt, T0 + timedelta(minutes=minutes))
        assert len(slack.calls_to("chat.postMessage")) == 1, "sent into the rate limit"
        assert slack.stored(CHANNEL) == []
        poll_once(rt, T0 + timedelta(minutes=61))
        assert {d.status for d in _rows(rt)} == {"sent"}
    finally:
        rt.close()
    keys = _keys(slack)
    assert set(keys) == expected_keys(rvr) and max(keys.values()) == 1


def test_retry_after_on_one_channel_does_not_hold_another(
    sqlite_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    from bot.store.db import transaction
    from bot.store.deliveries import enqueue

    rvr = rvr_with_anfragen(feed, n=2)
    slack.faults.append(Fault("chat.postMessage", status=429, retry_after=3600, channel=CHANNEL))
    rt = make_runtime(make_config(sqlite_url, rvr.system_url, slack_url=slack.base_url))
    try:
        sync_all(rt, T0)
        with transaction(rt.factory) as s:  # the same announcements, also to a second channel
            for d in _rows(rt):
                enqueue(s, kind="announce", channel="C0OTHER", key=d.key, now=T0,
                        paper_id=d.paper_id, payload=d.payload)
        deliver(rt, T0)
        deliver(rt, T0 + timedelta(minutes=30))
    finally:
        rt.close()
    assert slack.stored(CHANNEL) == []
    assert set(_keys(slack, "C0OTHER")) == expected_keys(rvr)


# -- the bot's clock runs ahead of Slack's -------------------------------------------------------


def test_clock_ahead_with_dropped_answers_posts_nothing_twice(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    """Slack stamps messages with its own time; the bot's clock is 2 minutes ahead and seven
    answers are lost after Slack accepted the message. The look-up before a resend must find
    all seven, although they were posted "before" the rows were created by the bot's clock."""
    slack.clock = time.time
    rvr = rvr_with_anfragen(feed, n=ANFRAGEN)
    slack.faults.append(Fault("chat.postMessage", drop_after_accept=True, times=7))
    config = make_config(db_url, rvr.system_url, slack_url=slack.base_url, max_age=100_000)
    rt = make_runtime(config)
    ahead = datetime.now(UTC) + timedelta(minutes=2)
    try:
        poll_once(rt, ahead)
        assert len([d for d in _rows(rt) if d.status == "pending"]) == 7
        report = poll_once(rt, ahead + timedelta(hours=1))
        assert report.delivery.reconciled == 7
        assert {d.status for d in _rows(rt)} == {"sent"}
    finally:
        rt.close()
    keys = _keys(slack)
    assert len(keys) == len(expected_keys(rvr)) + 1  # every Anfrage of the feed (any age)
    assert max(keys.values()) == 1
    assert len(slack.announcements()) == len(keys)  # each posted once, none resent


def test_history_look_up_pages_back_in_slack_time(slack: FakeSlack) -> None:
    """Many newer messages in the channel: the look-up pages back until it is past the window
    (measured from Slack's newest ts) and stops there."""
    from bot.slack.notifier import SlackNotifier

    now = [1_800_000_000.0]
    slack.clock = lambda: now[0]
    notifier = SlackNotifier("xoxb-test", slack.base_url, timeout=5)
    ours = notifier.post(CHANNEL, "alt", [], key="announce:old")
    now[0] += 7200  # two hours of chatter later
    for i in range(450):
        now[0] += 1
        notifier.post(CHANNEL, f"n{i}", [], key=f"other:{i}")
    found = notifier.posted_keys(CHANNEL, within=3 * 3600)
    assert found["announce:old"].ts == ours.ts
    assert len(slack.calls_to("conversations.history")) == 3  # 200 + 200 + 51 messages
    assert "announce:old" not in notifier.posted_keys(CHANNEL, within=3600)


# -- chat.update for a message that is gone -------------------------------------------------------


@pytest.mark.parametrize("how", ["deleted", "cant_update_message", "edit_window_closed"])
def test_update_of_a_gone_message_is_final(
    how: str, sqlite_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    scenario = build(feed)
    rt = make_runtime(make_config(sqlite_url, scenario.feed.system_url, slack_url=slack.base_url))
    try:
        poll_once(rt, at(FIRST_POLL))
        parent = parent_ts(rt, scenario.paper_id(1923))
        if how == "deleted":
            slack.delete_message(CHANNEL, parent)
        else:
            slack.faults.append(Fault("chat.update", error=how, times=None))
        scenario.feed.add_paper(
            1951, "14/1951", "Beantwortung der Anfrage 14/1923",
            "Beantwortung einer Anfrage", "2025-01-20",
        )
        scenario.publish()
        report = poll_once(rt, at("2025-01-21T09:00:00+01:00"))
        assert report.delivery.gone == 1
        for hours in (1, 5, 30):
            poll_once(rt, at("2025-01-21T09:00:00+01:00") + timedelta(hours=hours))
        updates = _rows(rt, Kind.UPDATE)
        reason = "message_not_found" if how == "deleted" else how
        assert [(d.status, reason in (d.last_error or "")) for d in updates] == [("dropped", True)]
    finally:
        rt.close()
    assert len(slack.calls_to("chat.update")) == 1  # not retried


# -- installs sharing one PostgreSQL server -------------------------------------------------------


def test_two_installs_in_two_schemas_deliver_at_the_same_time(
    feed: FeedServer, slack: FakeSlack
) -> None:
    from tests.conftest import postgres_url

    rvr = rvr_with_anfragen(feed, n=4)
    slack.post_delay = 0.05
    installs = [
        make_runtime(
            make_config(postgres_url(), rvr.system_url, channel=channel, slack_url=slack.base_url)
        )
        for channel in ("C0FAKTIONA", "C0FAKTIONB")
    ]
    try:
        for rt in installs:
            sync_all(rt, T0)
        # Install A is in the middle of its delivery run; B must not wait for it or skip.
        with exclusive(installs[0].engine, "deliver") as a_delivering:
            assert a_delivering
            assert deliver(installs[1], T0).sent == len(expected_keys(rvr))
        results: list[int] = []
        threads = [
            threading.Thread(target=lambda rt=rt: results.append(deliver(rt, T0).sent))
            for rt in installs
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(results) == [0, len(expected_keys(rvr))]  # A now; B had delivered all
    finally:
        for rt in installs:
            rt.close()
    for channel in ("C0FAKTIONA", "C0FAKTIONB"):
        keys = _keys(slack, channel)
        assert set(keys) == expected_keys(rvr) and max(keys.values()) == 1


def test_instance_name_is_part_of_the_lock_key(pg_url: str) -> None:
    a = make_engine(pg_url, instance="fraktion-a")
    b = make_engine(pg_url, instance="fraktion-b")
    same = make_engine(pg_url, instance="fraktion-a")
    try:
        with a.connect() as conn:
            assert scoped_key(conn, "deliver", "fraktion-a") != scoped_key(conn, "deliver", "")
        with exclusive(a, "deliver") as mine_a:
            assert mine_a
            with exclusive(b, "deliver") as mine_b, exclusive(same, "deliver") as mine_same:
                assert mine_b and not mine_same
        leaders = [Leader(a), Leader(b)]
        try:
            assert all(leader.is_leader() for leader in leaders)
        finally:
            for leader in leaders:
                leader.close()
    finally:
        for engine in (a, b, same):
            engine.dispose()


def test_instance_is_read_from_the_config(tmp_path: object) -> None:
    from bot.config import config_from_dict

    config = config_from_dict({"database": {"instance": "fraktion-a"}}, {})
    assert config.database_instance == "fraktion-a"
    assert config_from_dict({}, {}).database_instance == ""
