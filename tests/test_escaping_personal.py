"""The escaping property (tests/test_escaping_property.py) for the surfaces of issue 14: the App
Home view, the direct messages to followers and the `gefolgt` line. Hostile council text goes
into every field; the whole payload is walked and checked with the same checks."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.outbox.dms import dm_message
from bot.slack import lifecycle_blocks as lb
from bot.slack.commands import followed_line
from bot.slack.home import home_view
from bot.store.follows import Followed
from bot.store.home import HomeData, OpenItem
from bot.store.lookup import PaperBrief, UpcomingSession
from bot.store.subscriptions import StoredSubscription
from tests.test_escaping_property import check_payload, hostile, hostile_or_none, urls

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2025, 1, 10, 8, 0, tzinfo=UTC)
# Channel ids come from Slack (stored by the bot), shown as `<#C…>`; nothing else may be.
CHANNEL_MENTION = re.compile(r"<#[CGD][A-Z0-9]+>")

papers = st.builds(
    PaperBrief,
    paper_id=st.just("https://ris.example/paper/1"),
    reference=hostile_or_none,
    subject=hostile_or_none,
    paper_type=hostile_or_none,
    date=st.sampled_from([None, date(2025, 1, 6)]),
    web=urls,
    source=st.just("rvr"),
)
sessions = st.builds(
    UpcomingSession,
    meeting_id=st.just("m1"),
    name=hostile_or_none,
    committee=hostile_or_none,
    start=st.just(NOW + timedelta(days=3)),
    location=hostile_or_none,
    web=urls,
    anfragen=st.lists(st.tuples(papers, hostile_or_none), max_size=3).map(tuple),
)
follows = st.builds(
    Followed,
    paper_id=st.just("p"),
    reference=hostile_or_none,
    subject=hostile_or_none,
    web=urls,
    date=st.just(date(2025, 1, 6)),
    answered_on=st.sampled_from([None, date(2025, 1, 20)]),
    deleted=st.booleans(),
    since=st.just(NOW),
)
abos = st.builds(
    StoredSubscription,
    id=st.integers(1, 99),
    channel=st.one_of(st.just("C0123456789"), hostile),
    conditions=st.lists(
        st.fixed_dictionaries(
            {"field": st.just("text"), "value": hostile, "negate": st.booleans()}
        ),
        max_size=2,
    ).map(tuple),
    created_by=st.just("U1"),
    created_at=st.just(NOW),
)


def checked(payload: Any) -> None:
    # Remove the channel mentions the view builds from stored channel ids, then check the rest.
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()}
        if isinstance(value, list):
            return [strip(v) for v in value]
        if isinstance(value, str):
            return CHANNEL_MENTION.sub("#kanal", value)
        return value

    assert check_payload(strip(payload)) > 0


@settings(max_examples=60, deadline=None)
@given(
    items=st.lists(papers, max_size=4),
    upcoming=st.lists(sessions, max_size=3),
    followed=st.lists(follows, max_size=3),
    subscriptions=st.lists(abos, max_size=3),
    default=st.one_of(st.none(), st.just("C0123456789"), hostile),
)
def test_home_view(
    items: list[PaperBrief],
    upcoming: list[UpcomingSession],
    followed: list[Followed],
    subscriptions: list[StoredSubscription],
    default: str | None,
) -> None:
    data = HomeData(
        user="U1",
        open_items=[OpenItem(p, date(2025, 1, 6)) for p in items],
        open_total=len(items) + 3,
        sessions=upcoming,
        follows=followed,
        follows_total=len(followed),
        abos=subscriptions,
        abos_total=len(subscriptions) + 1,
        default_channel=default,
    )
    view = home_view(data, now=NOW, tz=TZ)
    checked(view)


@settings(max_examples=60, deadline=None)
@given(
    reference=hostile_or_none,
    subject=hostile_or_none,
    web=urls,
    answer_url=urls,
    answer_ref=hostile_or_none,
    committee=hostile_or_none,
    top=hostile_or_none,
)
def test_direct_messages(
    reference: str | None,
    subject: str | None,
    web: str | None,
    answer_url: str | None,
    answer_ref: str | None,
    committee: str | None,
    top: str | None,
) -> None:
    for line in (
        lb.answered_line(
            answered_on=date(2025, 1, 20),
            filed_on=date(2025, 1, 6),
            url=answer_url,
            answer_ref=answer_ref,
        ),
        lb.agenda_line(committee, NOW + timedelta(days=3), top, TZ, moved=True),
        lb.cancelled_line(committee, NOW, TZ, deleted=False),
    ):
        text, blocks = dm_message(reference, subject, web, line)
        checked({"text": text, "blocks": blocks})


@settings(max_examples=60, deadline=None)
@given(followed=follows)
def test_followed_line(followed: Followed) -> None:
    checked(
        {
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": followed_line(followed)}}
            ]
        }
    )
