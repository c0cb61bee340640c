"""One committee label (issue 12): `/anfrage sitzungen`, a reminder and the calendar name the
same meeting the same way, also for a joint session and for a meeting whose committee the
store does not know (then the meeting's own name stands in)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from bot.demo.server import FeedServer
from bot.runtime import Runtime
from bot.slack.commands import answer
from bot.store.calendar import calendar_sessions
from jobs.poll import poll_once
from jobs.remind import remind_once
from tests.fake_slack import FakeSlack
from tests.helpers import at, make_config, make_runtime
from tests.lifecycle.scenario import CHANNEL, FIRST_POLL, Scenario, build, reminders
from tests.slack.conftest import blocks_text

TWO_DAYS_BEFORE = "2025-02-04T15:30:00+01:00"  # Kultur 06.02. 15:00, Verkehr 05.02. 10:00
JOINT = "Verkehrsausschuss, Ausschuss für Kultur, Sport und Vielfalt"
UNKNOWN_COMMITTEE = "Sitzung 501"  # the meeting's own name in the feed


@pytest.fixture
def world(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> Iterator[tuple[Scenario, Runtime, FakeSlack]]:
    scenario = build(feed)
    rt = make_runtime(make_config(db_url, scenario.feed.system_url, slack_url=slack.base_url))
    try:
        poll_once(rt, at(FIRST_POLL))
        body = scenario.body
        # 502 becomes a joint session of two committees (and one the feed never lists);
        # 501 names only a committee the feed never lists.
        scenario.change(
            scenario.meeting(502),
            "2025-01-20",
            organization=[
                f"{body}/organization/11",
                f"{body}/organization/10",
                f"{body}/organization/77",
            ],
        )
        scenario.change(
            scenario.meeting(501), "2025-01-20", organization=[f"{body}/organization/78"]
        )
        poll_once(rt, at("2025-01-20T09:00:00+01:00"))
        yield scenario, rt, slack
    finally:
        rt.close()


def test_sessions_command_reminder_and_calendar_name_a_meeting_alike(
    world: tuple[Scenario, Runtime, FakeSlack],
) -> None:
    _, rt, slack = world
    tz = rt.config.reminders.timezone
    now = at(TWO_DAYS_BEFORE)
    with rt.factory() as session:
        listed = blocks_text(answer(session, "sitzungen", CHANNEL, "U1", now, tz).blocks)
        calendar = {
            s.meeting_id.rsplit("/", 1)[1]: s.committee
            for s in calendar_sessions(session, since=now, tz=tz)
        }
    # `*when* · committee` (linked to the meeting when it has a web page), one line per session
    in_command = re.findall(r"^\*[^*\n]+\* · (?:<[^|>\n]+\|)?([^<>\n]+?)>?$", listed, re.M)

    remind_once(rt, now)
    in_reminders = [
        m.group(1)
        for p in reminders(slack)
        if (m := re.match(r"Erinnerung: (.+) am \d\d\.\d\d\.\d{4},", p["text"]))
    ]

    assert sorted(in_command) == sorted([JOINT, UNKNOWN_COMMITTEE]), listed
    assert sorted(in_reminders) == sorted(in_command)
    assert calendar["502"] == JOINT and calendar["501"] == UNKNOWN_COMMITTEE
