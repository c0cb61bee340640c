"""Fault suite: the real pipeline against local servers that fail the way real ones do.

For every fault: no crash, nothing lost, nothing posted twice once the fault clears.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import select

from bot.demo.server import FeedReply as Reply
from bot.demo.server import FeedServer
from bot.runtime import Runtime
from bot.store.schema import Delivery, MeetingRow
from jobs.poll import poll_once
from tests.fake_slack import FakeSlack, Fault
from tests.helpers import at, make_config, make_runtime
from tests.rvr_feed import RvrFeed, standard_rvr

T0 = at("2025-01-10T09:00:00+01:00")
CHANNEL = "C0123456789"


def rvr_with_anfragen(feed: FeedServer, n: int = 4) -> RvrFeed:
    rvr = standard_rvr(feed.base_url, date(2025, 1, 10))
    for i in range(n):
        rvr.add_paper(
            2000 + i,
            f"14/{2000 + i}",
            f"Anfrage Nummer {i}",
            "Fraktionsanfrage",
            "2025-01-09",
            text=f"Fraktionsanfrage Fraktion Die Linke\n\n1. Frage {i} an die Verwaltung?\n",
        )
    feed.routes.update(rvr.routes())
    return rvr


def expected_keys(rvr: RvrFeed) -> set[str]:
    """Every Anfrage dated within 14 days of T0 (first sync) gets announced."""
    return {
        f"announce:{p['id']}"
        for p in rvr.papers
        if "anfrage" in p.get("paperType", "").lower()
        and "beantwortung" not in p.get("paperType", "").lower()
        and p.get("date", "") >= "2024-12-27"
    }


def posted_keys(slack: FakeSlack) -> list[str]:
    return [m["metadata"]["event_payload"]["key"] for m in slack.stored(CHANNEL)]


def runtime(url: str, rvr: RvrFeed, slack: FakeSlack) -> Runtime:
    return make_runtime(make_config(url, rvr.system_url, slack_url=slack.base_url))


# -- OParl faults -------------------------------------------------------------------------


def _while(flag: list[bool], match: str, reply: Reply) -> Callable[[str], Reply | None]:
    return lambda path: reply if flag[0] and match in path else None


ERROR_OBJECT = b'{"type": "https://schema.oparl.org/1.0/Error", "message": "OParl is not active."}'
OPARL_FAULTS: dict[str, tuple[str, Reply]] = {
    "500 on every try": ("/oparl/body/1/paper", Reply(status=500)),
    "503 with Retry-After": (
        "/oparl/body/1/paper",
        Reply(status=503, headers={"Retry-After": "0"}),
    ),
    "timeout": ("/oparl/body/1/paper", Reply(body=b"{}", delay=2.5)),
    "HTML instead of JSON": ("/oparl/system", Reply(body=b"<html><h1>Wartung</h1></html>")),
    "HTTP 200 error object": (
        "/oparl/system",
        Reply(body=ERROR_OBJECT),
    ),
    "truncated JSON": ("/oparl/body/1/paper?page=2", Reply(body=b'{"data": [{"id": "x"')),
    "404 on a page": ("/oparl/body/1/paper?page=3", Reply(status=404)),
}


@pytest.mark.parametrize("fault", sorted(OPARL_FAULTS))
def test_oparl_fault_then_recovery(
    fault: str, sqlite_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    rvr = rvr_with_anfragen(feed)
    flag = [True]
    match, reply = OPARL_FAULTS[fault]
    feed.hook = _while(flag, match, reply)
    rt = runtime(sqlite_url, rvr, slack)
    rt.http.timeout = httpx.Timeout(1.0)
    try:
        report = poll_once(rt, T0)  # must not raise
        assert not report.sources[0].ok
        assert report.sources[0].error
        flag[0] = False
        report = poll_once(rt, T0 + timedelta(minutes=15))
        assert report.sources[0].ok, report.sources[0].error
        poll_once(rt, T0 + timedelta(minutes=30))
    finally:
        rt.close()
    keys = posted_keys(slack)
    assert sorted(keys) == sorted(expected_keys(rvr)), fault  # nothing lost, nothing twice


def test_control_characters_and_quirky_objects(
    sqlite_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    rvr = rvr_with_anfragen(feed, n=1)
    rvr.papers[-1]["name"] = "Anfrage mit\x01Steuerzeichen"
    rvr.papers.append({"id": f"{rvr.body}/paper/77", "deleted": True})  # deleted, no type (SD.NET)
    rvr.meetings.append(
        rvr.obj(
            "Meeting",
            f"{rvr.body}/meeting/9",
            name="N/A",
            start="2026-09-23T19:00:00+02:00",
            end="2026-09-23T00:00:00+02:00",
        )
    )
    routes = rvr.routes()
    # Raw control characters inside JSON strings, as ALLRIS sends them.
    routes = {k: v.replace(b"\\u0001", b"\x01") for k, v in routes.items()}
    feed.routes.update(routes)
    rt = runtime(sqlite_url, rvr, slack)
    try:
        report = poll_once(rt, T0)
        assert report.sources[0].ok, report.sources[0].error
        with rt.factory() as s:
            meeting = s.get(MeetingRow, f"{rvr.body}/meeting/9")
            assert meeting is not None and meeting.end is None and meeting.name is None
    finally:
        rt.close()
    assert sorted(posted_keys(slack)) == sorted(expected_keys(rvr))


def test_pagination_loop_terminates(sqlite_url: str, feed: FeedServer, slack: FakeSlack) -> None:
    rvr = rvr_with_anfragen(feed)
    routes = rvr.routes()
    last = max(k for k in routes if k.startswith("/oparl/body/1/paper?page="))
    page = json.loads(routes[last])
    page["links"]["next"] = f"{feed.base_url}/oparl/body/1/paper?page=1"  # loops back
    feed.routes[last] = json.dumps(page).encode()
    rt = runtime(sqlite_url, rvr, slack)
    try:
        assert poll_once(rt, T0).sources[0].ok
    finally:
        rt.close()
    assert sorted(posted_keys(slack)) == sorted(expected_keys(rvr))


def test_deleted_paper_after_announcement(
    sqlite_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    rvr = rvr_with_anfragen(feed, n=1)
    rt = runtime(sqlite_url, rvr, slack)
    try:
        poll_once(rt, T0)
        victim = rvr.papers[-1]
        victim.clear()
        victim.update({"id": f"{rvr.body}/paper/2000", "deleted": True})
        feed.routes.update(rvr.routes())
        assert poll_once(rt, T0 + timedelta(minutes=15)).sources[0].ok
    finally:
        rt.close()
    assert len(posted_keys(slack)) == len(set(posted_keys(slack)))


# -- Slack faults -------------------------------------------------------------------------


def _deliveries(rt: Runtime) -> list[Delivery]:
    with rt.factory() as s:
        return list(s.scalars(select(Delivery).order_by(Delivery.id)).all())


def test_slack_429_retry_after_is_honoured(db_url: str, feed: FeedServer, slack: FakeSlack) -> None:
    rvr = rvr_with_anfragen(feed)
    slack.faults.append(Fault("chat.postMessage", status=429, retry_after=1))
    rt = runtime(db_url, rvr, slack)
    try:
        poll_once(rt, T0)
    finally:
        rt.close()
    assert sorted(posted_keys(slack)) == sorted(expected_keys(rvr))
    assert len(slack.calls_to("chat.postMessage")) == len(expected_keys(rvr)) + 1


@pytest.mark.parametrize(
    "fault",
    [
        Fault("chat.postMessage", status=500),
        Fault("chat.postMessage", drop_after_accept=True),
        Fault("chat.postMessage", status=429, retry_after=120),
    ],
)
def test_transient_slack_fault_delivers_once_later(
    fault: Fault, db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    rvr = rvr_with_anfragen(feed)
    slack.faults.append(fault)
    rt = runtime(db_url, rvr, slack)
    try:
        poll_once(rt, T0)
        failed = [d for d in _deliveries(rt) if d.status == "pending"]
        assert failed and failed[0].last_error
        poll_once(rt, T0 + timedelta(hours=2))
        assert {d.status for d in _deliveries(rt)} == {"sent"}
    finally:
        rt.close()
    keys = posted_keys(slack)
    assert sorted(keys) == sorted(expected_keys(rvr))  # once each, also after a dropped connection
    if fault.drop_after_accept:
        assert len(slack.calls_to("conversations.history")) >= 1


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "invalid_auth"])
def test_permanent_slack_error_parks_with_reason(
    error: str,
    sqlite_url: str,
    feed: FeedServer,
    slack: FakeSlack,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rvr = rvr_with_anfragen(feed, n=0)
    slack.faults.append(Fault("chat.postMessage", error=error))
    rt = runtime(sqlite_url, rvr, slack)
    try:
        poll_once(rt, T0)
        poll_once(rt, T0 + timedelta(hours=2))
        parked = [d for d in _deliveries(rt) if d.status == "parked"]
        assert len(parked) == 1 and error in (parked[0].last_error or "")
        import io

        from bot.status import print_status

        out = io.StringIO()
        print_status(rt, T0, out)
        assert "geparkt: announce" in out.getvalue() and error in out.getvalue()
    finally:
        rt.close()
    assert len(slack.calls_to("chat.postMessage")) == 1  # parked rows are not retried


def test_requeue_sends_parked_rows_after_the_fix(
    sqlite_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    rvr = rvr_with_anfragen(feed, n=0)
    slack.faults.append(Fault("chat.postMessage", error="not_in_channel"))
    rt = runtime(sqlite_url, rvr, slack)
    try:
        poll_once(rt, T0)
        assert [d.status for d in _deliveries(rt) if d.kind == "announce"] == ["parked"]
        from bot.store.db import transaction
        from bot.store.deliveries import requeue_parked

        with transaction(rt.factory) as s:  # the operator invited the bot: `anfragebot requeue`
            assert requeue_parked(s, T0, CHANNEL) == 1
        poll_once(rt, T0 + timedelta(minutes=15))
        assert [d.status for d in _deliveries(rt) if d.kind == "announce"] == ["sent"]
    finally:
        rt.close()
    assert sorted(posted_keys(slack)) == sorted(expected_keys(rvr))


def test_a_second_delivery_run_at_the_same_time_skips(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    """cron's `poll --once` next to `remind --once`: only one of them may deliver."""
    from bot.store.locks import exclusive
    from jobs.poll import deliver

    rvr = rvr_with_anfragen(feed)
    rt = runtime(db_url, rvr, slack)
    other = runtime(db_url, rvr, slack)  # a second process: its own engine and connections
    try:
        from jobs.poll import sync_all

        sync_all(rt, T0)
        with exclusive(other.engine, "deliver") as mine:
            assert mine
            skipped = deliver(rt, T0)
            assert skipped.sent == 0 and slack.posts() == []
        assert deliver(rt, T0).sent == len(expected_keys(rvr))
    finally:
        other.close()
        rt.close()
    assert sorted(posted_keys(slack)) == sorted(expected_keys(rvr))


def test_rate_limited_history_check_is_repeated_before_posting(
    sqlite_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    rvr = rvr_with_anfragen(feed, n=0)
    # Slack accepts the post but the answer is lost; the first history check is rate limited.
    slack.faults.append(Fault("chat.postMessage", drop_after_accept=True))
    slack.faults.append(Fault("conversations.history", status=429, retry_after=120))
    rt = runtime(sqlite_url, rvr, slack)
    try:
        poll_once(rt, T0)  # post dropped after accept
        poll_once(rt, T0 + timedelta(hours=1))  # history check: 429
        poll_once(rt, T0 + timedelta(hours=3))  # history check again: found, not posted again
        assert {d.status for d in _deliveries(rt) if d.kind == "announce"} == {"sent"}
    finally:
        rt.close()
    assert posted_keys(slack) == sorted(expected_keys(rvr))
    assert len(slack.calls_to("chat.postMessage")) == 1
