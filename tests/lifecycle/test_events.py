"""Agenda changes and results as thread replies; the weekly digest of open Anfragen."""

from __future__ import annotations

from dataclasses import replace

from bot.config import DigestConfig
from bot.demo.server import FeedServer
from jobs.poll import poll_once
from jobs.remind import remind_once
from tests.fake_slack import FakeSlack
from tests.helpers import at, make_config, make_runtime
from tests.lifecycle.scenario import FIRST_POLL, build, parent_ts, replies, text_of, top_level


def test_put_on_an_agenda_later_then_discussed(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    scenario = build(feed)
    f = scenario.feed
    f.add_paper(
        1940,
        "14/1940",
        "Sauberkeit der Bahnhöfe",
        "Fraktionsanfrage",
        "2025-01-09",
        text="Fraktionsanfrage Fraktion Die Linke\n\n1. Wer putzt?\n",
    )
    scenario.publish()
    rt = make_runtime(make_config(db_url, f.system_url, slack_url=slack.base_url))
    try:
        poll_once(rt, at(FIRST_POLL))
        assert replies(slack) == []
        parent = parent_ts(rt, scenario.paper_id(1940))

        # The Verkehrsausschuss takes it up as TOP 5.
        meeting = scenario.meeting(502)
        meeting["agendaItem"].append(
            f.obj("AgendaItem", f"{f.body}/agendaitem/7040", number="5", name="Bahnhöfe")
        )
        scenario.change(meeting, "2025-01-15")
        scenario.change(
            scenario.paper(1940),
            "2025-01-15",
            consultation=[
                f.obj(
                    "Consultation",
                    f"{f.body}/consultation/9040",
                    meeting=meeting["id"],
                    agendaItem=f"{f.body}/agendaitem/7040",
                    organization=[f"{f.body}/organization/11"],
                )
            ],
        )
        poll_once(rt, at("2025-01-15T09:00:00+01:00"))
        notes = replies(slack)
        assert len(notes) == 1 and notes[0]["thread_ts"] == parent
        body = text_of(notes[0])
        assert "Auf der Tagesordnung" in body and "Verkehrsausschuss" in body
        assert "05.02.2025 um 10:00 Uhr" in body and "TOP 5" in body
        updates = [c.args for c in slack.calls_to("chat.update")]
        assert [u["ts"] for u in updates] == [parent]
        assert "auf der Tagesordnung am 05.02.2025" in text_of(updates[0])

        # After the session the agenda item carries the result.
        meeting["agendaItem"][-1]["result"] = "zur Kenntnis genommen"
        scenario.change(meeting, "2025-02-06")
        poll_once(rt, at("2025-02-06T09:00:00+01:00"))
        notes = [n for n in replies(slack) if n["thread_ts"] == parent]
        assert len(notes) == 2
        assert "Beraten" in text_of(notes[1]) and "zur Kenntnis genommen" in text_of(notes[1])
        assert len(slack.calls_to("chat.update")) == 2
        poll_once(rt, at("2025-02-06T09:15:00+01:00"))
        assert len([n for n in replies(slack) if n["thread_ts"] == parent]) == 2
    finally:
        rt.close()


def test_weekly_digest_of_open_anfragen(
    sqlite_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    scenario = build(feed)
    f = scenario.feed
    f.add_paper(
        1951,
        "14/1951",
        "Beantwortung der Anfrage 14/1924",
        "Beantwortung einer Anfrage",
        "2025-01-09",
    )
    scenario.publish()
    config = make_config(sqlite_url, f.system_url, slack_url=slack.base_url)
    config = replace(config, digest=DigestConfig(enabled=True, weekday=1, hour=9))
    rt = make_runtime(config)
    try:
        poll_once(rt, at(FIRST_POLL))  # a Friday
        remind_once(rt, at("2025-01-13T08:30:00+01:00"))  # Monday, before 9:00
        digests = [p for p in top_level(slack) if "offene Anfrage" in p["text"]]
        assert digests == []
        remind_once(rt, at("2025-01-13T09:05:00+01:00"))
        remind_once(rt, at("2025-01-13T12:00:00+01:00"))
        digests = [p for p in top_level(slack) if "offene Anfrage" in p["text"]]
        assert len(digests) == 1
        body = text_of(digests[0])
        assert "Offene Anfragen (Woche 03)" in body
        assert "14/1923" in body and "14/1925" in body and "14/1926" in body
        assert "14/1924" not in body  # answered
        assert "seit 7 Tagen offen" in body  # 14/1923, filed 06.01.2025
        assert body.index("14/1923") < body.index("14/1926")  # oldest first
        remind_once(rt, at("2025-01-20T09:05:00+01:00"))  # next Monday: next week's digest
        assert len([p for p in top_level(slack) if "offene Anfrage" in p["text"]]) == 2
    finally:
        rt.close()
