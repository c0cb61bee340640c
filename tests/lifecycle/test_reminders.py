"""Reminders before committee sessions, through the real pipeline against the fake Slack API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import RemindersConfig
from bot.demo.server import FeedServer
from bot.outbox.reminders import due_slot
from bot.runtime import Runtime
from jobs.poll import poll_once
from jobs.remind import remind_once
from tests.fake_slack import FakeSlack
from tests.helpers import at, make_config, make_runtime
from tests.lifecycle.scenario import (
    FIRST_POLL,
    Scenario,
    build,
    reminders,
    replies,
    text_of,
    top_level,
)

TWO_DAYS_BEFORE = "2025-02-04T15:30:00+01:00"  # Kultur 06.02. 15:00, Verkehr 05.02. 10:00


@pytest.fixture
def world(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> Iterator[tuple[Scenario, Runtime, FakeSlack]]:
    scenario = build(feed)
    rt = make_runtime(make_config(db_url, scenario.feed.system_url, slack_url=slack.base_url))
    try:
        poll_once(rt, at(FIRST_POLL))
        yield scenario, rt, slack
    finally:
        rt.close()


def test_announcements_alone_are_not_followed_by_replies(
    world: tuple[Scenario, Runtime, FakeSlack],
) -> None:
    _, rt, slack = world
    refs = sorted(p["text"].split(" ")[2] for p in top_level(slack))
    assert refs == ["14/1923", "14/1924", "14/1925", "14/1926"]
    assert replies(slack) == []
    poll_once(rt, at("2025-01-10T09:15:00+01:00"))
    assert replies(slack) == [] and len(slack.posts()) == 4
    assert slack.calls_to("chat.update") == []


def test_two_days_before_one_reminder_per_meeting_naming_its_anfragen(
    world: tuple[Scenario, Runtime, FakeSlack],
) -> None:
    _, rt, slack = world
    remind_once(rt, at("2025-02-02T09:00:00+01:00"))  # too early for both
    assert reminders(slack) == []

    remind_once(rt, at(TWO_DAYS_BEFORE))
    sent = reminders(slack)
    assert len(sent) == 2
    kultur = next(p for p in sent if "Kultur" in p["text"])
    verkehr = next(p for p in sent if "Verkehr" in p["text"])
    body = text_of(kultur)
    for expected in (
        "Erinnerung: Ausschuss für Kultur, Sport und Vielfalt",
        "Donnerstag, 06.02.2025 um 15:00 Uhr",
        "Ort: Haus des Ruhrgebiets, Essen",
        "TOP 12: ",
        "14/1923",
        "Zusammenarbeit der Kommunalen Integrationszentren im Ruhrgebiet",
        "TOP 13: ",
        "14/1924",
        "Kulturförderung der Revierstädte",
    ):
        assert expected in body, expected
    assert body.index("TOP 12") < body.index("TOP 13")
    assert "14/1925" not in body
    vbody = text_of(verkehr)
    assert "Mittwoch, 05.02.2025 um 10:00 Uhr" in vbody and "TOP 4: " in vbody
    assert "14/1925" in vbody and "14/1923" not in vbody
    assert all(p["channel"] == "C0123456789" for p in sent)

    # Again, and later the same day: nothing new.
    remind_once(rt, at(TWO_DAYS_BEFORE))
    remind_once(rt, at("2025-02-05T09:00:00+01:00"))
    assert len(reminders(slack)) == 2
    # After the session: nothing either.
    remind_once(rt, at("2025-02-06T16:00:00+01:00"))
    assert len(reminders(slack)) == 2


def test_cancelled_meeting_gets_no_reminder_but_a_note_in_the_thread(
    world: tuple[Scenario, Runtime, FakeSlack],
) -> None:
    scenario, rt, slack = world
    scenario.change(scenario.meeting(502), "2025-02-01", cancelled=True)
    poll_once(rt, at("2025-02-01T09:00:00+01:00"))

    notes = replies(slack)
    assert len(notes) == 1
    parent = next(p for p in slack.stored("C0123456789") if "14/1925" in (p["text"] or ""))
    assert notes[0]["thread_ts"] == parent["ts"]
    assert "Verkehrsausschuss" in text_of(notes[0]) and "abgesagt" in text_of(notes[0])
    # The parent shows it too.
    updates = [c.args for c in slack.calls_to("chat.update")]
    assert [u["ts"] for u in updates] == [parent["ts"]]
    assert "abgesagt" in text_of(updates[0])

    remind_once(rt, at(TWO_DAYS_BEFORE))
    sent = reminders(slack)
    assert len(sent) == 1 and "14/1923" in text_of(sent[0])
    assert not any("14/1925" in text_of(p) for p in sent)
    poll_once(rt, at("2025-02-04T16:00:00+01:00"))
    assert len(replies(slack)) == 1  # the note is not repeated


def test_moved_meeting_is_reminded_for_its_new_date(
    world: tuple[Scenario, Runtime, FakeSlack],
) -> None:
    scenario, rt, slack = world
    remind_once(rt, at(TWO_DAYS_BEFORE))
    assert len(reminders(slack)) == 2

    scenario.change(scenario.meeting(501), "2025-02-05", start="2025-02-13T15:00:00+01:00")
    poll_once(rt, at("2025-02-05T09:00:00+01:00"))
    moved = replies(slack)
    assert len(moved) == 2  # one in each thread: 14/1923 and 14/1924
    assert all("verlegt" in text_of(m) and "13.02.2025" in text_of(m) for m in moved)
    assert len({m["thread_ts"] for m in moved}) == 2

    remind_once(rt, at("2025-02-06T16:00:00+01:00"))  # the old date: nothing
    assert len(reminders(slack)) == 2
    remind_once(rt, at("2025-02-11T15:30:00+01:00"))
    sent = reminders(slack)
    assert len(sent) == 3
    assert "Donnerstag, 13.02.2025 um 15:00 Uhr" in text_of(sent[-1])
    remind_once(rt, at("2025-02-12T15:30:00+01:00"))
    assert len(reminders(slack)) == 3


def test_placeholder_meeting_is_never_reminded(
    world: tuple[Scenario, Runtime, FakeSlack],
) -> None:
    _, rt, slack = world
    remind_once(rt, at("2025-12-30T19:00:00+01:00"))
    assert reminders(slack) == []


def test_deleted_anfrage_is_marked_and_not_reminded(
    world: tuple[Scenario, Runtime, FakeSlack],
) -> None:
    scenario, rt, slack = world
    scenario.delete_paper(1925, "2025-01-20")
    poll_once(rt, at("2025-01-20T09:00:00+01:00"))
    notes = replies(slack)
    assert len(notes) == 1 and "zurückgezogen oder gelöscht" in text_of(notes[0])
    updates = [c.args for c in slack.calls_to("chat.update")]
    assert len(updates) == 1 and "zurückgezogen/gelöscht" in text_of(updates[0])
    assert updates[0]["ts"] == notes[0]["thread_ts"]

    remind_once(rt, at(TWO_DAYS_BEFORE))
    assert [("Kultur" in p["text"]) for p in reminders(slack)] == [True]


def test_lead_times_and_morning_of() -> None:
    start = at("2025-02-06T15:00:00+01:00")
    config = RemindersConfig(lead_times=(timedelta(days=7), timedelta(days=2)), morning_of=True)
    assert due_slot(start, at("2025-01-30T14:59:00+01:00"), config) is None
    assert due_slot(start, at("2025-01-30T15:00:00+01:00"), config) == "7d"
    assert due_slot(start, at("2025-02-04T15:00:00+01:00"), config) == "2d"
    assert due_slot(start, at("2025-02-06T08:00:00+01:00"), config) == "morning"
    assert due_slot(start, at("2025-02-06T15:00:00+01:00"), config) is None
    early = at("2025-02-06T07:30:00+01:00")  # a session before 8:00 has no morning-of
    assert due_slot(early, at("2025-02-06T07:00:00+01:00"), config) == "2d"


def test_cli_remind_once(
    sqlite_url: str,
    feed: FeedServer,
    slack: FakeSlack,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario = build(feed)
    rt = make_runtime(make_config(sqlite_url, scenario.feed.system_url, slack_url=slack.base_url))
    poll_once(rt, at(FIRST_POLL))
    rt.close()
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "{sqlite_url}"\n\n[[sources]]\nname = "rvr"\n'
        f'url = "{scenario.feed.system_url}"\n\n[slack]\nchannel = "C0123456789"\n'
        f'api_url = "{slack.base_url}"\n'
    )
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    requests_before = len(feed.requests)
    argv = ["--config", str(config), "remind", "--once", "--now", "2025-02-04T15:30:00"]
    assert main(argv) == 0
    assert len(reminders(slack)) == 2
    # No sync: one fresh read of each reminded meeting's own object, nothing else.
    fresh = sorted(feed.requests[requests_before:])
    assert fresh == sorted(scenario.meeting_path(n) for n in (501, 502))
    assert main(argv) == 0
    assert len(reminders(slack)) == 2
    assert len(feed.requests) == requests_before + 2  # nothing left to remind: no request
