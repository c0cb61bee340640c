"""`/anfrage folgen`: direct messages for every later event of one Anfrage, exactly once."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.config import DeadlinesConfig
from bot.demo.server import FeedServer
from bot.outbox.events import overdue_event
from bot.runtime import Runtime
from bot.slack.commands import Reply, answer
from bot.store.db import transaction
from bot.store.schema import Delivery
from jobs.poll import poll_once
from tests.fake_slack import FakeSlack
from tests.helpers import at, make_config, make_runtime
from tests.lifecycle.scenario import CHANNEL, FIRST_POLL, anfrage_text, build, text_of

TZ = ZoneInfo("Europe/Berlin")


def ask(rt: Runtime, text: str, user: str, now: datetime) -> Reply:
    with transaction(rt.factory) as session:
        return answer(session, text, CHANNEL, user, now, TZ, default_channel=CHANNEL)


def test_follower_gets_one_dm_per_later_event_and_none_after_unfollowing(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    scenario = build(feed)
    f = scenario.feed
    # An old Anfrage: stored silently on the first sync, announced in no channel.
    f.add_paper(
        1700,
        "14/1700",
        "Lärmschutz an der A40 <!channel> & <https://evil.example|hier>",
        "Fraktionsanfrage",
        "2024-06-03",
        text=anfrage_text("Wie laut ist es?"),
    )
    scenario.publish()
    rt = make_runtime(make_config(db_url, f.system_url, slack_url=slack.base_url))
    try:
        poll_once(rt, at(FIRST_POLL))
        assert not slack.announcements() or all(
            "14/1700" not in text_of(p) for p in slack.announcements()
        )
        now = at("2025-01-10T10:00:00+01:00")
        done = ask(rt, "folgen 14/1923", "U7", now)
        assert "Sie folgen jetzt *14/1923*" in done.text
        assert "Sie folgen jetzt" in ask(rt, "folgen 14/1700", "U7", now).text
        assert "schon" in ask(rt, "folgen 14/1923", "U7", now).text
        assert "Sie folgen jetzt" in ask(rt, "folgen 14/1924", "U8", now).text
        listed = ask(rt, "gefolgt", "U7", now)
        body = "\n".join(b["text"]["text"] for b in listed.blocks)
        assert "14/1923" in body and "14/1700" in body and "&lt;!channel&gt;" in body
        assert "<!channel>" not in body

        # A poll with nothing new: what the Anfragen had when followed is not news.
        poll_once(rt, at("2025-01-10T10:15:00+01:00"))
        assert slack.dms("U7") == [] and slack.dms("U8") == []

        # Both answers appear.
        f.add_paper(
            1951, "14/1951", "Beantwortung der Anfrage 14/1923", "Beantwortung einer Anfrage",
            "2025-01-20",
        )
        f.add_paper(
            1952, "14/1952", "Beantwortung der Anfrage 14/1700", "Beantwortung einer Anfrage",
            "2025-01-20",
        )
        scenario.publish()
        poll_once(rt, at("2025-01-21T09:00:00+01:00"))
        dms = slack.dms("U7")
        assert len(dms) == 2, [text_of(d) for d in dms]
        by_ref = {("14/1923" if "14/1923" in d["text"] else "14/1700"): text_of(d) for d in dms}
        assert f"<{feed.base_url}/vorgang/1951|Antwort 14/1951>" in by_ref["14/1923"]
        assert "Beantwortet am 20.01.2025" in by_ref["14/1923"]
        assert f"<{feed.base_url}/vorgang/1952|Antwort 14/1952>" in by_ref["14/1700"]
        # Council text stays escaped in the DM too.
        assert "<!channel>" not in by_ref["14/1700"] and "&lt;!channel&gt;" in by_ref["14/1700"]
        assert "<https://evil.example" not in by_ref["14/1700"]
        assert [c.args["users"] for c in slack.calls_to("conversations.open")] == ["U7"]
        assert slack.dms("U8") == []

        # A second poll sends nothing.
        poll_once(rt, at("2025-01-21T09:15:00+01:00"))
        assert len(slack.dms("U7")) == 2

        # U7 stops following 14/1923; the Kultur meeting (14/1923 and 14/1924) moves.
        assert "nicht mehr" in ask(rt, "entfolgen 14/1923", "U7", now).text
        assert "nicht" in ask(rt, "entfolgen 14/1923", "U7", now).text
        meeting = scenario.meeting(501)
        scenario.change(
            meeting,
            "2025-01-22",
            start="2025-02-13T15:00:00+01:00",
            end="2025-02-13T18:00:00+01:00",
        )
        poll_once(rt, at("2025-01-22T09:00:00+01:00"))
        assert len(slack.dms("U7")) == 2  # nothing more about 14/1923
        moved = slack.dms("U8")
        assert len(moved) == 1
        assert "Sitzung verlegt" in text_of(moved[0]) and "13.02.2025" in text_of(moved[0])
        assert "14/1924" in moved[0]["text"]
        poll_once(rt, at("2025-01-22T09:15:00+01:00"))
        assert len(slack.dms("U8")) == 1

        with rt.factory() as session:
            rows = session.scalars(
                select(Delivery).where(Delivery.kind == "dm", Delivery.status == "sent")
            ).all()
        sent = [r for r in rows if not (r.payload or {}).get("silent")]
        assert sorted((r.channel, r.key.split("|")[1]) for r in sent) == [
            ("U7", "answer"),
            ("U7", "answer"),
            ("U8", "agenda"),
        ]
    finally:
        rt.close()


def test_follow_needs_one_known_paper() -> None:
    # Pure parts: the overdue hook stays silent without a deadline and after an answer.
    now = at("2025-03-01T09:00:00+01:00")
    assert overdue_event("p", deadline=None, answered=False, now=now, tz=TZ) is None
    due = datetime(2025, 2, 1).date()
    assert overdue_event("p", deadline=due, answered=True, now=now, tz=TZ) is None
    event = overdue_event("p", deadline=due, answered=False, now=now, tz=TZ)
    assert event is not None and event.key == "p|overdue|2025-02-01"


def test_follow_replies_for_unknown_and_missing_input(
    sqlite_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    scenario = build(feed)
    rt = make_runtime(make_config(sqlite_url, scenario.feed.system_url, slack_url=slack.base_url))
    try:
        poll_once(rt, at(FIRST_POLL))
        now = at("2025-01-10T10:00:00+01:00")
        assert "Keine Drucksache `99/9999`" in ask(rt, "folgen 99/9999", "U7", now).text
        assert "Beispiel" in ask(rt, "folgen", "U7", now).text
        assert "keiner Anfrage" in ask(rt, "gefolgt", "U7", now).text
        assert "nur in Slack" in ask(rt, "folgen 14/1923", "cli", now).text
    finally:
        rt.close()


def test_follower_gets_one_overdue_dm_when_the_deadline_passes(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    """Issue 13 × 14: once the answer deadline has passed, the follower is told once; an answer
    that arrives later is told as usual, and no second overdue message follows."""
    scenario = build(feed)
    config = dataclasses.replace(
        make_config(db_url, scenario.feed.system_url, slack_url=slack.base_url),
        deadlines=DeadlinesConfig(answer_days=21),
    )
    rt = make_runtime(config)
    try:
        poll_once(rt, at(FIRST_POLL))
        assert "Sie folgen jetzt" in ask(rt, "folgen 14/1923", "U7", at(FIRST_POLL)).text
        poll_once(rt, at("2025-01-12T09:00:00+01:00"))  # before the deadline
        assert slack.dms("U7") == []

        poll_once(rt, at("2025-02-10T09:00:00+01:00"))  # the deadline has passed
        overdue = [d for d in slack.dms("U7") if "überfällig" in text_of(d)]
        assert len(overdue) == 1 and "14/1923" in overdue[0]["text"]
        poll_once(rt, at("2025-02-11T09:00:00+01:00"))
        poll_once(rt, at("2025-02-10T09:00:00+01:00"))  # a clock moved back: nothing new
        assert len([d for d in slack.dms("U7") if "überfällig" in text_of(d)]) == 1
    finally:
        rt.close()


def test_following_an_anfrage_already_overdue_sends_no_overdue_dm(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    """Being overdue at the moment of `folgen` is part of the follow's baseline, like the
    sessions and the answer it had then: no "überfällig" DM on the next poll. A user who
    followed before the deadline still gets it, and later events still reach both."""
    scenario = build(feed)
    f = scenario.feed
    config = dataclasses.replace(
        make_config(db_url, f.system_url, slack_url=slack.base_url),
        deadlines=DeadlinesConfig(answer_days=21),  # 14/1923 of 06.01.2025: due 27.01.2025
    )
    rt = make_runtime(config)
    try:
        poll_once(rt, at(FIRST_POLL))
        assert "Sie folgen jetzt" in ask(rt, "folgen 14/1923", "U8", at(FIRST_POLL)).text
        late = at("2025-02-10T10:00:00+01:00")
        assert "Sie folgen jetzt" in ask(rt, "folgen 14/1923", "U7", late).text
        poll_once(rt, at("2025-02-10T10:15:00+01:00"))
        poll_once(rt, at("2025-02-11T09:00:00+01:00"))
        assert slack.dms("U7") == []
        early = [d for d in slack.dms("U8") if "überfällig" in text_of(d)]
        assert len(early) == 1 and "14/1923" in early[0]["text"]

        f.add_paper(
            1951, "14/1951", "Beantwortung der Anfrage 14/1923", "Beantwortung einer Anfrage",
            "2025-02-12",
        )
        scenario.publish()
        poll_once(rt, at("2025-02-13T09:00:00+01:00"))
        [told] = slack.dms("U7")
        assert "Beantwortet am 12.02.2025" in text_of(told)
        assert "überfällig" not in text_of(told)
        assert len(slack.dms("U8")) == 2
    finally:
        rt.close()
