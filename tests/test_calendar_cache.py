"""Serving the calendar fast without ever serving it stale: the per-event cache, the spliced
and fast-folded serialization (byte-identical to icalendar's own), ETag/304 for calendar apps,
and `/anfrage kalender` in a direct message."""

from __future__ import annotations

import http.client
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import icalendar
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from bot.demo.server import FeedServer
from bot.ical import CalendarFeed, EventCache, build_calendar, calendar_from_store, event, to_ical
from bot.store.calendar import AgendaAnfrage, CalendarSession
from bot.store.calendar_tokens import token_for
from bot.store.db import make_engine, session_factory, transaction
from bot.store.schema import MeetingRow
from tests.fake_slack import FakeSlack
from tests.slack.conftest import CHANNEL, NOW, blocks_text, fill_store
from tests.slack.test_http import Served
from tests.test_calendar import events
from tests.test_calendar import served_with_url as served_with_url  # noqa: F401 - the fixture

BERLIN = ZoneInfo("Europe/Berlin")
HOSTILE = "Radweg; <b>fett</b>, \\n kein Umbruch\n^ Zirkumflex € 𝄞 " + "lang " * 40


def session_(i: int, text: str = HOSTILE) -> CalendarSession:
    start = datetime(2025, 3, 20, 10, tzinfo=BERLIN) + timedelta(days=3 * i)
    return CalendarSession(
        meeting_id=f"https://ris.example/meeting/{i}",
        committee=f"Ausschuss {text[:30]}",
        name=None,
        start=start,
        end=start + timedelta(hours=3),
        location=text[:60],
        web="https://ris.example/si/1",
        cancelled=i % 3 == 0,
        sequence=i % 2,
        modified=None,
        anfragen=(AgendaAnfrage("14/1923", text, "12"), AgendaAnfrage("14/1924", "Kultur", None)),
    )


def test_spliced_calendar_is_the_libraries_own_serialization() -> None:
    now = datetime(2025, 1, 10, tzinfo=UTC)
    sessions = [session_(i) for i in range(12)]
    cal = icalendar.Calendar.from_ical(build_calendar(sessions, tz=BERLIN, now=now))
    assert len(cal.walk("VEVENT")) == 12
    # The same calendar built in one piece by icalendar: byte for byte what we splice.
    from bot.ical import CALENDAR_NAME, PRODID, vtimezone

    whole = icalendar.Calendar()
    whole.add("prodid", PRODID)
    whole.add("version", "2.0")
    whole.add("calscale", "GREGORIAN")
    whole.add("method", "PUBLISH")
    whole.add("x-wr-calname", CALENDAR_NAME)
    whole.add("x-wr-timezone", BERLIN.key)
    whole.add_component(vtimezone(BERLIN, 2025))
    for s in sessions:
        whole.add_component(event(s, tz=BERLIN, now=now))
    assert build_calendar(sessions, tz=BERLIN, now=now) == whole.to_ical()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_fast_folding_matches_icalendar(text: str) -> None:
    ev = icalendar.Event()
    ev.add("summary", text)
    ev.add("description", "\\" + text + "^" * 3)
    ev.add("location", "ä" * 37 + text)
    assert to_ical(ev) == ev.to_ical()


def test_cached_calendar_is_never_stale(db_url: str, feed: FeedServer, slack: FakeSlack) -> None:
    fill_store(db_url, feed, slack)
    engine = make_engine(db_url)
    try:
        factory = session_factory(engine)
        with transaction(factory) as s:
            token = token_for(s, CHANNEL, None, user="U1", now=NOW)
            every = token_for(s, "*", None, user="U1", now=NOW)
        served = CalendarFeed(factory, tz=BERLIN, clock=lambda: NOW)
        first = served(token)
        assert first is not None
        n = len(events(first))
        assert n >= 1 and served.cache.misses == n and served.cache.hits == 0
        assert served(token) == first  # unchanged: every event from the cache
        assert served.cache.misses == n and served.cache.hits == n
        assert served("A" * 32) is None

        with factory() as s:
            meeting_id = s.scalars(select(MeetingRow.id).order_by(MeetingRow.start)).first()
        assert meeting_id is not None
        with transaction(factory) as s:
            row = s.get(MeetingRow, meeting_id)
            assert row is not None and row.start is not None
            moved = row.start + timedelta(hours=1)
            s.execute(
                update(MeetingRow)
                .where(MeetingRow.id == meeting_id)
                .values(start=moved, location="Neuer Saal; 3. Etage")
            )
        after = served(token)
        assert after is not None and after != first
        changed = [
            e for e in events(after).values() if str(e.get("LOCATION")) == "Neuer Saal; 3. Etage"
        ]
        assert len(changed) == 1
        assert changed[0].decoded("DTSTART").astimezone(UTC) == moved.astimezone(UTC)
        assert served.cache.misses == n + 1  # only the changed session was built again
        # The direct-message scope: every session, as `anfragebot ical` without --channel.
        everything = served(every)
        with factory() as s:
            assert everything == calendar_from_store(s, now=NOW, tz=BERLIN, cache=EventCache())
        assert len(events(everything or b"")) >= len(events(after))
    finally:
        engine.dispose()


def request(
    served: Served, path: str, headers: dict[str, str] | None = None
) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    conn.request("GET", path, headers=headers or {})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp


def get_body(served: Served, path: str) -> tuple[int, bytes, str]:
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read(), resp.getheader("ETag") or ""
    finally:
        conn.close()


def url_in(reply: dict[str, object]) -> str:
    text = blocks_text(reply["blocks"])  # type: ignore[arg-type]
    found = re.findall(r"<(https://anfragebot\.example\.org/calendar/[^|>]+\.ics)\|", text)
    assert len(found) == 1, text
    return urlparse(found[0]).path


def test_served_feed_revalidates_with_etag_and_shows_changes(served_with_url: Served) -> None:
    path = url_in(served_with_url.command("kalender"))
    status, body, etag = get_body(served_with_url, path)
    assert status == 200 and etag.startswith('"')
    again = request(served_with_url, path, {"If-None-Match": etag})
    assert again.status == 304 and again.getheader("ETag") == etag
    assert again.getheader("Content-Length") is None
    engine = make_engine(served_with_url.db_url)
    try:
        with transaction(session_factory(engine)) as s:
            s.execute(update(MeetingRow).values(location="Umgezogen: Rathaus Bochum"))
    finally:
        engine.dispose()
    fresh = request(served_with_url, path, {"If-None-Match": etag})
    assert fresh.status == 200 and fresh.getheader("ETag") != etag
    status, body, _ = get_body(served_with_url, path)
    assert {str(e["LOCATION"]) for e in events(body).values()} == {"Umgezogen: Rathaus Bochum"}


def test_kalender_in_a_direct_message_gives_every_session(served_with_url: Served) -> None:
    channel_path = url_in(served_with_url.command("kalender"))
    reply = served_with_url.command("kalender", channel="D0DIRECT1")
    assert "aller Sitzungen" in blocks_text(reply["blocks"])
    dm_path = url_in(reply)
    assert dm_path != channel_path
    # Another user's direct message: the same all-sessions calendar.
    assert url_in(served_with_url.command("kalender", channel="D0DIRECT2", user="U2")) == dm_path
    _, channel_body, _ = get_body(served_with_url, channel_path)
    status, dm_body, _ = get_body(served_with_url, dm_path)
    assert status == 200
    engine = make_engine(served_with_url.db_url)
    try:
        with session_factory(engine)() as s:
            expected = events(calendar_from_store(s, now=NOW, tz=BERLIN))
            # What the DM's own channel scope would hold: nothing (the bug this fixes).
            as_channel = calendar_from_store(s, now=NOW, tz=BERLIN, channel="D0DIRECT1")
    finally:
        engine.dispose()
    assert events(as_channel) == {}
    assert set(events(dm_body)) == set(expected) and len(expected) >= 1
    assert len(expected) >= len(events(channel_body))
    committee = served_with_url.command("kalender Kultur", channel="D0DIRECT1")
    assert "Kultur" in blocks_text(committee["blocks"])
    status, body, _ = get_body(served_with_url, url_in(committee))
    assert status == 200 and all("Kultur" in str(e["SUMMARY"]) for e in events(body).values())
    assert events(body)


def test_our_anfragen_are_marked_in_the_description_with_faction() -> None:
    from bot.config import FactionConfig

    now = datetime(2025, 1, 10, tzinfo=UTC)
    start = datetime(2025, 3, 20, 10, tzinfo=BERLIN)
    s = CalendarSession(
        "m1",
        "Verkehrsausschuss",
        None,
        start,
        None,
        None,
        None,
        False,
        0,
        None,
        (
            AgendaAnfrage("14/1923", "Radwege", "12", "FRAKTION DIE LINKE, SPD-Fraktion"),
            AgendaAnfrage("14/1924", "Brücken", "13", "CDU-Fraktion"),
        ),
    )
    cache = EventCache()
    linke = FactionConfig(name="Die Linke")
    marked = icalendar.Calendar.from_ical(
        build_calendar([s], tz=BERLIN, now=now, cache=cache, faction=linke)
    )
    text = str(marked.walk("VEVENT")[0]["DESCRIPTION"])
    assert "TOP 12: 14/1923 Radwege (Unsere Anfrage)" in text
    assert "TOP 13: 14/1924 Brücken\n" in text + "\n" and "Brücken (Unsere" not in text
    # Without `[faction]` (same cache: the faction is part of the key) nothing is marked.
    plain = icalendar.Calendar.from_ical(build_calendar([s], tz=BERLIN, now=now, cache=cache))
    assert "Unsere Anfrage" not in str(plain.walk("VEVENT")[0]["DESCRIPTION"])


def test_the_served_calendar_marks_our_anfragen_too(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    # `serve` builds the same calendar as `anfragebot ical`: with `[faction]`, ours are marked.
    from bot.config import FactionConfig

    fill_store(db_url, feed, slack)
    engine = make_engine(db_url)
    try:
        factory = session_factory(engine)
        with transaction(factory) as s:
            token = token_for(s, "*", None, user="U1", now=NOW)
        linke = FactionConfig(name="Die Linke")
        ours = CalendarFeed(factory, tz=BERLIN, clock=lambda: NOW, faction=linke)(token)
        plain = CalendarFeed(factory, tz=BERLIN, clock=lambda: NOW)(token)
    finally:
        engine.dispose()
    assert ours is not None and plain is not None
    described = " ".join(str(e.get("DESCRIPTION")) for e in events(ours).values())
    assert "(Unsere Anfrage)" in described
    assert b"Unsere Anfrage" not in plain
