"""Issue 13 through the real pipeline (local OParl server, fake Slack, SQLite and PostgreSQL):
our faction marked, deadlines, the overdue notice once per channel, the answer broadcast,
interim replies, `amt:` abos, and `offen`/`sitzungen`/lookups with and without `[faction]`."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Config, DeadlinesConfig, DigestConfig, FactionConfig
from bot.demo.server import FeedServer
from bot.faction import Perspective, perspective_of
from bot.runtime import Runtime
from bot.slack.commands import answer
from bot.store.db import transaction
from bot.store.schema import AnswerLink
from bot.store.subscriptions import add_subscription
from jobs.poll import poll_once
from jobs.remind import remind_once
from tests.fake_slack import FakeSlack
from tests.helpers import at, make_config, make_runtime
from tests.lifecycle.scenario import (
    CHANNEL,
    FIRST_POLL,
    Scenario,
    build,
    parent_ts,
    reminders,
    text_of,
    top_level,
)
from tests.slack.conftest import TZ, blocks_text

SECOND = "C0SECOND00"
SCHULE = "C0SCHULE00"
LINKE = FactionConfig(name="Fraktion Die Linke", aliases=("Die Linke",))
DEADLINES = DeadlinesConfig(answer_days=21, paper_types=(("Große Anfrage", 42),))


@dataclass
class World:
    scenario: Scenario
    rt: Runtime
    slack: FakeSlack
    config: Config

    def ask(self, text: str, now: str, channel: str = CHANNEL) -> str:
        with transaction(self.rt.factory) as session:
            reply = answer(
                session,
                text,
                channel,
                "U1",
                at(now),
                TZ,
                default_channel=CHANNEL,
                perspective=perspective_of(self.config),
            )
        return blocks_text(reply.blocks)

    def new_posts(self, since: int) -> list[dict[str, Any]]:
        return self.slack.posts()[since:]


def extend(scenario: Scenario) -> None:
    """An SPD Große Anfrage (42 days) on the Verkehr meeting, and a department for 14/1923."""
    feed = scenario.feed
    body = feed.body
    meeting = scenario.meeting(502)
    meeting["agendaItem"].append(
        feed.obj(
            "AgendaItem",
            f"{body}/agendaitem/7060",
            number="5",
            name="Busse",
            consultation=f"{body}/consultation/9060",
        )
    )
    feed.add_paper(
        1960,
        "14/1960",
        "Busse in Bottrop (Große Anfrage der SPD-Fraktion)",
        "Große Anfrage",
        "2025-01-08",
        text="Große Anfrage der SPD-Fraktion\n\n1. Wie viele Busse fahren?\n",
        consultation=[
            feed.obj(
                "Consultation",
                f"{body}/consultation/9060",
                meeting=meeting["id"],
                agendaItem=f"{body}/agendaitem/7060",
                organization=[f"{body}/organization/11"],
            )
        ],
    )
    school = feed.add_org(95, "Amt für Schule und Bildung", kind="Verwaltungsbereich")
    scenario.paper(1923)["underDirectionOf"] = [school]
    scenario.publish()


def start(db_url: str, feed: FeedServer, slack: FakeSlack, *, ours: bool) -> World:
    scenario = build(feed)
    extend(scenario)
    config = make_config(db_url, scenario.feed.system_url, slack_url=slack.base_url)
    if ours:
        config = dataclasses.replace(
            config,
            faction=LINKE,
            deadlines=DEADLINES,
            digest=DigestConfig(enabled=True, weekday=1, hour=9),
        )
    rt = make_runtime(config)
    with transaction(rt.factory) as session:
        now = datetime(2025, 1, 9, tzinfo=UTC)
        add_subscription(session, SECOND, [], created_by="U1", now=now)
        amt = [{"field": "amt", "value": "Schule", "negate": False}]
        add_subscription(session, SCHULE, amt, created_by="U1", now=now)
    poll_once(rt, at(FIRST_POLL))
    return World(scenario, rt, slack, config)


@pytest.fixture
def world(db_url: str, feed: FeedServer, slack: FakeSlack) -> Iterator[World]:
    w = start(db_url, feed, slack, ours=True)
    try:
        yield w
    finally:
        w.rt.close()


def notices(posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Overdue thread replies (the digest, also sent on Mondays, is not one)."""
    return [p for p in posts if p.get("thread_ts") and "fällig war sie am" in text_of(p)]


def by_ref(posts: list[dict[str, Any]], ref: str) -> dict[str, Any]:
    return next(p for p in posts if ref in str(p.get("text")))


def test_announcements_mark_ours_name_others_and_show_deadline_and_signatories(
    world: World,
) -> None:
    posts = top_level(world.slack)
    mine = [p for p in posts if p["channel"] == CHANNEL]
    assert len(mine) == 5
    ours = by_ref(mine, "14/1923")
    assert ours["text"].startswith("Unsere Anfrage 14/1923: ")
    assert ours["blocks"][0]["text"]["text"] == "Unsere Anfrage 14/1923"
    body = text_of(ours)
    assert "Antwort fällig bis 27.01.2025" in body
    assert "Unterzeichnet: Wolfgang Freye, Fatma Karacakurtoglu" in body
    spd = by_ref(mine, "14/1960")
    assert spd["text"].startswith("Neue Anfrage 14/1960 (SPD-Fraktion): Busse in Bottrop")
    assert spd["blocks"][0]["text"]["text"] == "Neue Anfrage 14/1960"
    assert "Antwort fällig bis 19.02.2025" in text_of(spd)  # Große Anfrage: 42 days
    assert "Unsere Anfrage" not in text_of(spd)
    # Clean subject: the decoration of the feed's name is gone in the announcement.
    assert "(Große Anfrage der SPD-Fraktion)" not in text_of(spd)
    # `amt:` abo: only the Anfrage the Schulamt is in charge of.
    schule = [p for p in posts if p["channel"] == SCHULE]
    assert [p["text"].split(":")[0] for p in schule] == ["Unsere Anfrage 14/1923"]


def test_overdue_notice_once_per_channel_never_for_answered_and_not_again_after_a_clock_move(
    world: World,
) -> None:
    rt, slack, scenario = world.rt, world.slack, world.scenario
    before = len(slack.posts())
    remind_once(rt, at("2025-01-27T20:00:00+01:00"))  # due today: not overdue yet
    assert notices(world.new_posts(before)) == []

    before = len(slack.posts())
    remind_once(rt, at("2025-01-28T09:00:00+01:00"))
    new = notices(world.new_posts(before))
    assert sorted(p["channel"] for p in new) == sorted([CHANNEL, SECOND, SCHULE])
    for p in new:
        assert p["thread_ts"] == parent_ts(rt, scenario.paper_id(1923), p["channel"])
        assert "überfällig" in text_of(p) and "27.01.2025" in text_of(p)
        assert "seit 1 Tag ohne Antwort" in text_of(p)
        assert not p.get("reply_broadcast")
    count = len(slack.posts())
    remind_once(rt, at("2025-01-28T09:30:00+01:00"))  # second run: nothing
    assert world.new_posts(count) == []

    # 14/1925 is answered before its deadline (29.01.) passes: it never gets a notice.
    scenario.feed.add_paper(
        1951,
        "14/1951",
        "Beantwortung der Anfrage 14/1925",
        "Beantwortung einer Anfrage",
        "2025-01-20",
    )
    scenario.publish()
    poll_once(rt, at("2025-01-29T10:00:00+01:00"))
    remind_once(rt, at("2025-01-29T10:05:00+01:00"))  # 14/1924 (due 28.01.) is overdue now
    after = world.new_posts(count)
    overdue = notices(after)
    assert sorted(p["channel"] for p in overdue) == [CHANNEL, SECOND]
    assert all(
        p["thread_ts"] == parent_ts(rt, scenario.paper_id(1924), p["channel"]) for p in overdue
    )

    count = len(slack.posts())
    remind_once(rt, at("2025-01-15T09:00:00+01:00"))  # the clock moved back
    remind_once(rt, at("2025-03-01T09:00:00+01:00"))  # and far ahead
    late = world.new_posts(count)
    told = notices(late)
    # Only the ones whose deadline passed since: 14/1926 (30.01.) and 14/1960 (19.02.).
    parents = {
        parent_ts(rt, scenario.paper_id(n), c) for n in (1926, 1960) for c in (CHANNEL, SECOND)
    }
    assert sorted(p["thread_ts"] for p in told) == sorted(parents)
    assert not any(p["thread_ts"] == parent_ts(rt, scenario.paper_id(1925)) for p in told)
    count = len(slack.posts())
    remind_once(rt, at("2025-03-02T09:00:00+01:00"))
    assert notices(world.new_posts(count)) == []


def test_answer_is_broadcast_with_days_deadline_and_link(world: World) -> None:
    rt, slack, scenario = world.rt, world.slack, world.scenario
    feed = scenario.feed
    feed.add_paper(
        1951,
        "14/1951",
        "Beantwortung der Anfrage 14/1925",
        "Beantwortung einer Anfrage",
        "2025-01-20",
    )
    # An answer without a web page: the reply links its document instead.
    feed.add_paper(
        1952,
        "14/1952",
        "Beantwortung der Anfrage 14/1926",
        "Beantwortung einer Anfrage",
        "2025-02-03",
    )
    next(p for p in feed.papers if p["id"].endswith("/paper/1952")).pop("web")
    scenario.publish()
    before = len(slack.posts())
    poll_once(rt, at("2025-02-04T08:00:00+01:00"))
    answers = [p for p in world.new_posts(before) if "Beantwortet am" in text_of(p)]
    assert sorted(p["channel"] for p in answers) == sorted([CHANNEL, CHANNEL, SECOND, SECOND])
    assert all(p.get("reply_broadcast") is True and p.get("thread_ts") for p in answers)
    on_time = [p for p in answers if "14/1951" in text_of(p)]
    late = [p for p in answers if "14/1952" in text_of(p)]
    assert len(on_time) == len(late) == 2
    for p in on_time:
        body = text_of(p)
        assert "Beantwortet am 20.01.2025 (nach 12 Tagen) – innerhalb der Frist" in body
        assert "(fällig bis 29.01.2025)" in body
        assert f"<{feed.base}/vorgang/1951|Antwort 14/1951>" in body
    for p in late:
        body = text_of(p)
        assert "(nach 25 Tagen) – nach Fristablauf (fällig bis 30.01.2025)" in body
        assert f"<{feed.base}/files/1952.pdf|Antwort 14/1952>" in body
    # The lookup links the answer's document too, and says it was answered.
    text = world.ask("14/1926", "2025-02-04T09:00:00+01:00")
    assert "beantwortet am 03.02.2025" in text and f"{feed.base}/files/1952.pdf" in text
    assert "Antwort fällig bis" not in text


def test_interim_replies_are_shown_and_are_not_the_answer(world: World) -> None:
    rt, slack, scenario = world.rt, world.slack, world.scenario
    feed = scenario.feed
    body = feed.body
    scenario.paper(1923)["auxiliaryFile"] = [
        feed.obj(
            "File",
            f"{body}/file/19231",
            name="Zwischennachricht der Verwaltung",
            accessUrl=f"{feed.base}/files/19231.pdf",
        )
    ]
    scenario.paper(1923)["modified"] = "2025-01-20T05:00:00+01:00"
    feed.add_paper(
        1953,
        "14/1953",
        "Zwischenbescheid zur Anfrage 14/1924",
        "Beantwortung einer Anfrage",
        "2025-01-19",
    )
    scenario.publish()
    before = len(slack.posts())
    poll_once(rt, at("2025-01-20T09:00:00+01:00"))
    interim = [p for p in world.new_posts(before) if "Zwischennachricht" in text_of(p)]
    threads = sorted(p["thread_ts"] for p in interim)
    expected = [parent_ts(rt, scenario.paper_id(1923), c) for c in (CHANNEL, SECOND, SCHULE)]
    expected += [parent_ts(rt, scenario.paper_id(1924), c) for c in (CHANNEL, SECOND)]
    assert threads == sorted(expected)
    assert all("noch nicht die Antwort" in text_of(p) for p in interim)
    assert any(f"{feed.base}/files/19231.pdf" in text_of(p) for p in interim)
    assert any(f"{feed.base}/vorgang/1953" in text_of(p) for p in interim)
    with rt.factory() as session:
        linked = set(session.scalars(select(AnswerLink.anfrage_id)).all())
    assert linked.isdisjoint({scenario.paper_id(1923), scenario.paper_id(1924)})
    assert not any("Beantwortet am" in text_of(p) for p in world.new_posts(before))
    count = len(slack.posts())
    poll_once(rt, at("2025-01-20T09:15:00+01:00"))
    assert [p for p in world.new_posts(count) if "Zwischennachricht" in text_of(p)] == []
    # Still open, and overdue once the deadline passes.
    remind_once(rt, at("2025-01-28T09:00:00+01:00"))
    assert len(notices(world.new_posts(count))) == 3  # 14/1923 in its three channels


def test_reminder_and_digest_mark_ours_and_name_the_others(world: World) -> None:
    rt, slack = world.rt, world.slack
    remind_once(rt, at("2025-02-04T15:30:00+01:00"))
    verkehr = next(
        p for p in reminders(slack) if p["channel"] == CHANNEL and "Verkehr" in p["text"]
    )
    body = text_of(verkehr)
    assert "*Unsere Anfrage* · Busverbindungen zwischen Bottrop und Gladbeck" in body
    assert "(SPD-Fraktion) Busse in Bottrop" in body
    assert "(Große Anfrage" not in body
    before = len(slack.posts())
    remind_once(rt, at("2025-02-10T10:00:00+01:00"))  # Monday: the digest
    digest = next(
        p
        for p in world.new_posts(before)
        if p["channel"] == CHANNEL and not p.get("thread_ts") and "Offene" in text_of(p)
    )
    lines = [line for line in text_of(digest).splitlines() if "14/19" in line]
    refs = [line.split("|")[1].split(">")[0] if "|" in line else line for line in lines]
    # Overdue first (longest overdue on top), then the one still within its deadline.
    assert refs[-1] == "14/1960"
    assert "*überfällig*" in lines[0] and "*überfällig*" not in lines[-1]
    assert lines[0].count("*Unsere Anfrage* · ") == 1
    assert "(SPD-Fraktion) " in lines[-1]


def test_offen_sitzungen_and_lookup_with_our_faction(world: World) -> None:
    now = "2025-01-29T09:00:00+01:00"
    text = world.ask("offen", now)
    lines = [line for line in text.splitlines() if line.startswith("*14/")]
    assert [line.split("*")[1] for line in lines] == [
        "14/1923",
        "14/1924",
        "14/1925",
        "14/1926",
        "14/1960",
    ]
    assert "dringendste zuerst" in text
    assert "Antwort fällig bis 27.01.2025 · *überfällig* seit 2 Tagen" in lines[0]
    assert "Antwort fällig bis 28.01.2025 · *überfällig* seit 1 Tag" in lines[1]
    assert "Antwort fällig bis 29.01.2025 ·" in lines[2] and "überfällig" not in lines[2]
    assert "*Unsere Anfrage* · " in lines[0] and "(SPD-Fraktion) " in lines[4]
    unsere = world.ask("offen unsere", now)
    assert "14/1960" not in unsere and "14/1923" in unsere

    sessions = world.ask("sitzungen", now)
    assert "(SPD-Fraktion) " in sessions and "14/1960" in sessions
    ours_only = world.ask("sitzungen unsere", now)
    assert "14/1960" not in ours_only
    assert all(r in ours_only for r in ("14/1923", "14/1924", "14/1925"))
    assert "Anstehende Sitzungen mit unseren Anfragen" in ours_only

    detail = world.ask("14/1923", now)
    assert detail.startswith("Unsere Anfrage 14/1923")
    assert "federführend: Amt für Schule und Bildung" in detail
    assert "Unterzeichnet: Wolfgang Freye, Fatma Karacakurtoglu" in detail
    assert "Antwort fällig bis 27.01.2025 · *überfällig* seit 2 Tagen" in detail
    other = world.ask("14/1960", now)
    assert other.startswith("Drucksache 14/1960") and "SPD-Fraktion" in other
    assert "Antwort fällig bis 19.02.2025" in other and "federführend" not in other


def test_without_faction_everything_stays_as_today(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    w = start(db_url, feed, slack, ours=False)
    try:
        for p in top_level(slack):
            assert p["text"].startswith("Neue Anfrage")
            assert "Unsere" not in text_of(p) and "fällig" not in text_of(p)
        before = len(slack.posts())
        remind_once(w.rt, at("2025-03-01T09:00:00+01:00"))
        assert notices(w.new_posts(before)) == []
        text = w.ask("offen", "2025-01-29T09:00:00+01:00")
        assert "älteste zuerst" in text and "fällig" not in text
        assert "(SPD-Fraktion)" not in text and "Unsere" not in text
        assert "[faction] name" in w.ask("offen unsere", "2025-01-29T09:00:00+01:00")
        assert "[faction] name" in w.ask("sitzungen unsere", "2025-01-29T09:00:00+01:00")
        assert "Perspective" not in text
        assert Perspective().configured is False
    finally:
        w.rt.close()
