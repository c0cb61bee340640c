"""Reminders built from a fresh read of the meeting (issue 10, item 5), on an RVR-like feed
where every object carries one fixed `modified` date: sessions cancelled or moved without a new
`modified`, a session cancelled after the last poll, and a feed that fails the fresh read."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bot.demo.server import FeedReply as Reply
from bot.demo.server import FeedServer
from bot.errors import FeedError
from bot.runtime import Runtime
from jobs.poll import poll_once
from jobs.remind import read_meeting, remind_once
from tests.fake_slack import FakeSlack
from tests.helpers import at, make_config, make_runtime
from tests.lifecycle.scenario import (
    FIRST_POLL,
    Scenario,
    build,
    reminders,
    replies,
    text_of,
)

# Kultur (501) 06.02.2025 15:00, Verkehr (502) 05.02.2025 10:00; reminders two days before.
KULTUR_DUE = "2025-02-04T15:00:00+01:00"
VERKEHR_DUE = "2025-02-03T10:00:00+01:00"
STAND = "Stand der Sitzungsdaten"

World = tuple[Scenario, Runtime, FakeSlack]


@pytest.fixture
def world(db_url: str, feed: FeedServer, slack: FakeSlack) -> Iterator[World]:
    scenario = build(feed)
    rt = make_runtime(make_config(db_url, scenario.feed.system_url, slack_url=slack.base_url))
    try:
        poll_once(rt, at(FIRST_POLL))
        yield scenario, rt, slack
    finally:
        rt.close()


def _parent(slack: FakeSlack, ref: str) -> str:
    return next(p["ts"] for p in slack.stored("C0123456789") if ref in (p["text"] or ""))


def _meeting_reads(scenario: Scenario, since: int) -> list[str]:
    paths = {scenario.meeting_path(n): str(n) for n in (501, 502)}
    return sorted(paths[r] for r in scenario.server.requests[since:] if r in paths)


def test_cancelled_and_moved_without_a_new_modified(world: World) -> None:
    scenario, rt, slack = world
    stamp = scenario.meeting(501)["modified"]
    # The last poll before the reminders; the changes come after it (a poll that reads the
    # meetings compares them by content and would tell them itself: tests/test_feed_resilience).
    poll_once(rt, at("2025-02-01T09:00:00+01:00"))
    scenario.change_silently(scenario.meeting(502), cancelled=True)
    scenario.change_silently(scenario.meeting(501), start="2025-02-07T15:00:00+01:00")
    assert scenario.meeting(501)["modified"] == scenario.meeting(502)["modified"] == stamp

    before = len(scenario.server.requests)
    remind_once(rt, at("2025-02-04T15:30:00+01:00"))  # both due by the stored dates
    assert reminders(slack) == []
    assert _meeting_reads(scenario, before) == ["501", "502"]  # one request each

    notes = replies(slack)
    cancelled = [n for n in notes if "abgesagt" in text_of(n)]
    moved = [n for n in notes if "verlegt" in text_of(n)]
    assert len(notes) == 3 and len(cancelled) == 1 and len(moved) == 2
    assert cancelled[0]["thread_ts"] == _parent(slack, "14/1925")
    assert "Verkehrsausschuss" in text_of(cancelled[0])
    assert {n["thread_ts"] for n in moved} == {_parent(slack, "14/1923"), _parent(slack, "14/1924")}
    assert all("07.02.2025" in text_of(n) for n in moved)

    # The new date's reminder is not due yet: nothing, and no request either.
    before = len(scenario.server.requests)
    remind_once(rt, at("2025-02-05T09:00:00+01:00"))
    assert reminders(slack) == [] and _meeting_reads(scenario, before) == []

    remind_once(rt, at("2025-02-05T15:30:00+01:00"))  # two days before the new date
    sent = reminders(slack)
    assert len(sent) == 1
    body = text_of(sent[0])
    assert "Freitag, 07.02.2025 um 15:00 Uhr" in body
    assert "14/1923" in body and "14/1924" in body and "14/1925" not in body
    assert STAND not in body

    remind_once(rt, at("2025-02-06T15:30:00+01:00"))
    poll_once(rt, at("2025-02-06T16:00:00+01:00"))
    assert len(reminders(slack)) == 1
    assert len(replies(slack)) == 3  # each note once


def test_cancelled_after_the_last_poll_is_not_reminded(world: World) -> None:
    scenario, rt, slack = world
    poll_once(rt, at("2025-02-04T15:00:00+01:00"))  # the last poll before the reminder
    scenario.change(scenario.meeting(502), "2025-02-04", cancelled=True)

    remind_once(rt, at("2025-02-04T15:30:00+01:00"))
    sent = reminders(slack)
    assert len(sent) == 1 and "Kultur" in sent[0]["text"]
    assert not any("14/1925" in text_of(p) for p in sent)
    notes = replies(slack)
    assert len(notes) == 1 and "abgesagt" in text_of(notes[0])
    assert notes[0]["thread_ts"] == _parent(slack, "14/1925")
    # The cancellation is in the store now: the next poll does not tell it again.
    poll_once(rt, at("2025-02-04T16:00:00+01:00"))
    assert len(replies(slack)) == 1


def _fail(scenario: Scenario, num: int, reply: Reply) -> dict[str, bool]:
    """Make the meeting's own object fail with `reply` while `state["on"]`."""
    state = {"on": True}
    path = scenario.meeting_path(num)
    scenario.server.hook = lambda p: reply if state["on"] and p == path else None
    return state


FAILURES = {
    "http-500": Reply(status=500, body=b"Internal Server Error", content_type="text/plain"),
    "error-object": Reply(
        body=json.dumps(
            {
                "type": "https://schema.oparl.org/1.0/Error",
                "message": "Die Datenbankverbindung konnte nicht hergestellt werden",
            }
        ).encode()
    ),
    "html": Reply(body=b"<html><body>Wartungsarbeiten</body></html>", content_type="text/html"),
    "another-object": Reply(
        body=json.dumps(
            {
                "id": "http://127.0.0.1:9/oparl/body/1/meeting/1",
                "type": "https://schema.oparl.org/1.0/Meeting",
                "start": "2025-03-01T10:00:00+01:00",
            }
        ).encode()
    ),
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_failed_fresh_read_is_retried_on_the_next_run(world: World, failure: str) -> None:
    scenario, rt, slack = world
    state = _fail(scenario, 502, FAILURES[failure])
    remind_once(rt, at("2025-02-03T10:05:00+01:00"))
    remind_once(rt, at("2025-02-03T10:10:00+01:00"))
    assert reminders(slack) == []

    state["on"] = False
    before = len(scenario.server.requests)
    remind_once(rt, at("2025-02-03T10:15:00+01:00"))
    assert _meeting_reads(scenario, before) == ["502"]
    sent = reminders(slack)
    assert len(sent) == 1
    body = text_of(sent[0])
    assert "Mittwoch, 05.02.2025 um 10:00 Uhr" in body and "14/1925" in body
    assert STAND not in body


def test_fresh_read_failing_an_hour_after_due_sends_stored_data_with_stand(
    world: World,
) -> None:
    scenario, rt, slack = world
    _fail(scenario, 502, FAILURES["http-500"])
    for moment in ("10:05", "10:30", "10:59"):
        remind_once(rt, at(f"2025-02-03T{moment}:00+01:00"))
    assert reminders(slack) == []

    remind_once(rt, at("2025-02-03T11:00:00+01:00"))  # one hour after due
    sent = reminders(slack)
    assert len(sent) == 1
    body = text_of(sent[0])
    assert "Mittwoch, 05.02.2025 um 10:00 Uhr" in body and "14/1925" in body
    # The stored data are those of the first poll (10.01.2025 09:00, Berlin time).
    assert f"{STAND}: 10.01.2025 09:00" in body
    assert f"{STAND}: 10.01.2025 09:00" in sent[0]["text"]
    before = len(scenario.server.requests)
    remind_once(rt, at("2025-02-03T11:05:00+01:00"))
    assert len(reminders(slack)) == 1 and _meeting_reads(scenario, before) == []


@pytest.mark.parametrize("where", ["other-port", "file"])
def test_a_meeting_id_off_the_council_host_is_not_requested(world: World, where: str) -> None:
    """Meeting ids come from the feed: a fresh read never leaves the council's origin (the
    source's client refuses the id before any request)."""
    scenario, rt, _ = world
    source = rt.config.sources[0]
    with FeedServer() as other:
        other.routes["/oparl/body/1/meeting/502"] = json.dumps(scenario.meeting(502)).encode()
        meeting_id = {
            "other-port": f"{other.base_url}/oparl/body/1/meeting/502",
            "file": "file:///etc/passwd",
        }[where]
        with pytest.raises(FeedError, match="Abruf verweigert"):
            read_meeting(rt.client_for(source), source, meeting_id)
        assert other.requests == []
