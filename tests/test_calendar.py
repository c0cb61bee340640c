"""The calendar feed: `anfragebot ical` and `GET /calendar/<token>.ics` from `serve`, checked
with two independent readers (icalendar and vobject) against what the store holds."""

from __future__ import annotations

import http.client
import io
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import redirect_stdout
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from bot.cli import main
from bot.demo.server import FeedServer
from bot.ical import uid
from jobs.poll import poll_once
from tests.fake_slack import FakeSlack
from tests.helpers import at, make_config, make_runtime
from tests.lifecycle.scenario import FIRST_POLL, Scenario, build
from tests.slack.conftest import CHANNEL, blocks_text, fill_store
from tests.slack.test_http import NOW_ISO, Served, _env

BERLIN = ZoneInfo("Europe/Berlin")


def ical(db_url: str, monkeypatch: pytest.MonkeyPatch, *args: str, now: str = FIRST_POLL) -> bytes:
    """`anfragebot ical …` as a user runs it (no ./config.toml: the test runs in a tmp dir)."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["ical", "--now", now, *args]) == 0
    return out.getvalue().encode()


def events(raw: bytes) -> dict[str, Any]:
    """UID → VEVENT, read with icalendar; the same feed must also satisfy vobject."""
    cal = icalendar.Calendar.from_ical(raw)
    found = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    other = vobject.readOne(raw.decode())
    assert len(other.contents.get("vevent", [])) == len(found)
    for ve in other.contents.get("vevent", []):
        ev = found[ve.uid.value]
        assert ve.dtstart.value == ev.decoded("DTSTART")
        assert ve.dtstart.value.utcoffset() == ev.decoded("DTSTART").utcoffset()
    return found


def add_meetings(scenario: Scenario) -> None:
    f = scenario.feed
    verkehr = f"{f.body}/organization/11"
    kultur = f"{f.body}/organization/10"
    # Before the change to summer time (30.03.2025), moved to after it below.
    f.add_meeting(
        503,
        verkehr,
        "2025-03-27T10:00:00+01:00",
        end="2025-03-27T12:00:00+01:00",
        web="javascript:alert(1)",
        location={
            "id": f"{f.body}/location/3",
            "type": "x",
            "description": "Rathaus; Saal 2, Bochum",
        },
    )
    f.add_meeting(504, kultur, "2024-09-01T10:00:00+02:00")  # more than 90 days back
    f.add_meeting(505, kultur, "2024-11-01T10:00:00+01:00", web="https://ris.example/si/505")
    scenario.publish()


def test_ical_matches_the_store_across_dst_moves_and_cancellations(
    db_url: str,
    feed: FeedServer,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    scenario = build(feed)
    add_meetings(scenario)
    f = scenario.feed
    rt = make_runtime(make_config(db_url, f.system_url, slack_url=slack.base_url))
    try:
        poll_once(rt, at(FIRST_POLL))
        raw = ical(db_url, monkeypatch)
        assert b"BEGIN:VTIMEZONE" in raw and b"TZID:Europe/Berlin" in raw
        found = events(raw)
        ids = {n: uid(f"{f.body}/meeting/{n}") for n in (501, 502, 503, 504, 505, 599)}
        assert set(found) == {ids[501], ids[502], ids[503], ids[505]}  # no placeholder, no 504
        kultur = found[ids[501]]
        assert str(kultur["SUMMARY"]) == "Ausschuss für Kultur, Sport und Vielfalt"
        assert kultur.decoded("DTSTART") == datetime(2025, 2, 6, 15, 0, tzinfo=BERLIN)
        assert kultur["DTSTART"].params["TZID"] == "Europe/Berlin"
        assert kultur.decoded("DTEND") == datetime(2025, 2, 6, 17, 0, tzinfo=BERLIN)
        assert str(kultur["LOCATION"]) == "Haus des Ruhrgebiets, Essen"
        description = str(kultur["DESCRIPTION"])
        assert "TOP 12: 14/1923 Zusammenarbeit der Kommunalen Integrationszentren" in description
        assert "TOP 13: 14/1924 Kulturförderung der Revierstädte" in description
        moved = found[ids[503]]
        assert moved.decoded("DTSTART").astimezone(UTC) == datetime(2025, 3, 27, 9, 0, tzinfo=UTC)
        assert moved.decoded("DTEND").astimezone(UTC) == datetime(2025, 3, 27, 11, 0, tzinfo=UTC)
        assert str(moved["LOCATION"]) == "Rathaus; Saal 2, Bochum"
        assert "URL" not in moved  # javascript: from the feed is never passed on
        assert str(found[ids[505]]["URL"]) == "https://ris.example/si/505"
        assert {int(e["SEQUENCE"]) for e in found.values()} == {0}
        assert {str(e["STATUS"]) for e in found.values()} == {"CONFIRMED"}

        # The Verkehr session moves across the change to summer time; 502 is cancelled.
        scenario.change(
            scenario.meeting(503),
            "2025-01-15",
            start="2025-04-03T10:00:00+02:00",
            end="2025-04-03T12:00:00+02:00",
        )
        scenario.change(scenario.meeting(502), "2025-01-15", cancelled=True)
        poll_once(rt, at("2025-01-15T09:00:00+01:00"))
        poll_once(rt, at("2025-01-15T09:15:00+01:00"))  # no change: no new sequence
        found = events(ical(db_url, monkeypatch, now="2025-01-15T09:20:00+01:00"))
        moved = found[ids[503]]
        assert moved.decoded("DTSTART") == datetime(2025, 4, 3, 10, 0, tzinfo=BERLIN)
        assert moved.decoded("DTSTART").astimezone(UTC) == datetime(2025, 4, 3, 8, 0, tzinfo=UTC)
        assert int(moved["SEQUENCE"]) == 1
        assert str(found[ids[502]]["STATUS"]) == "CANCELLED"
        assert int(found[ids[501]]["SEQUENCE"]) == 0

        verkehr = events(ical(db_url, monkeypatch, "--committee", "verkehr"))
        assert set(verkehr) == {ids[502], ids[503]}
        # The channel's calendar: sessions with an Anfrage announced there on their agenda.
        channel = events(ical(db_url, monkeypatch, "--channel", CHANNEL))
        assert set(channel) == {ids[501], ids[502]}
        assert events(ical(db_url, monkeypatch, "--channel", "CNONE")) == {}
    finally:
        rt.close()


@pytest.fixture
def served_with_url(
    sqlite_url: str, feed: FeedServer, slack: FakeSlack, tmp_path: Path
) -> Iterator[Served]:
    fill_store(sqlite_url, feed, slack)
    env = _env(slack, sqlite_url)
    # `start_serve` writes an empty ./config.toml; ours, with the public URL, goes by --config.
    config = tmp_path / "public.toml"
    config.write_text('[http]\npublic_url = "https://anfragebot.example.org/"\n', encoding="utf-8")
    proc, port = start_serve_with(env, tmp_path, config)
    try:
        yield Served(port, proc, slack, sqlite_url, env)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def start_serve_with(
    env: dict[str, str], cwd: Path, config: Path
) -> tuple[subprocess.Popen[str], int]:
    """`anfragebot --config FILE serve --port 0`, as `tests.slack.test_http.start_serve`."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "--config",
            str(config),
            "serve",
            "--port",
            "0",
            "--now",
            NOW_ISO,
        ],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("listening on"):
        proc.kill()
        _, err = proc.communicate(timeout=10)
        pytest.fail(f"serve did not start: {line!r} {err[-2000:]}")
    return proc, int(line.rsplit(":", 1)[1].split("/", 1)[0])


def get(served: Served, path: str) -> tuple[int, str, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type") or "", resp.read()
    finally:
        conn.close()


def test_kalender_gives_a_secret_url_that_serve_answers(served_with_url: Served) -> None:
    reply = blocks_text(served_with_url.command("kalender")["blocks"])
    urls = re.findall(r"<(https://anfragebot\.example\.org/calendar/[^|>]+\.ics)\|", reply)
    assert len(urls) == 1, reply
    path = urlparse(urls[0]).path
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 30
    # The same channel gets the same URL again; another committee a different one.
    again = blocks_text(served_with_url.command("kalender")["blocks"])
    assert urls[0] in again
    other = blocks_text(served_with_url.command("kalender Kultur")["blocks"])
    assert urls[0] not in other and "/calendar/" in other

    status, ctype, body = get(served_with_url, path)
    assert status == 200 and ctype.startswith("text/calendar")
    found = events(body)
    assert len(found) == 1
    only = next(iter(found.values()))
    assert "14/1923" in str(only["DESCRIPTION"])
    assert "TOP 12" in str(only["DESCRIPTION"])

    for unknown in (
        "/calendar/" + "A" * 32 + ".ics",
        path.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B")),
        "/calendar/..%2Fetc.ics",
        "/calendar/.ics",
        path + "x",
    ):
        status, _, body = get(served_with_url, unknown)
        assert status == 404, unknown
        assert b"VCALENDAR" not in body


def test_kalender_without_public_url_says_what_is_missing(served: Served) -> None:
    assert "public_url" in blocks_text(served.command("kalender")["blocks"])


from tests.slack.test_http import served as served  # noqa: E402,F401 - the fixture


@pytest.mark.parametrize(
    "zone", ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Tokyo"]
)
def test_vtimezone_gives_every_reader_the_zones_offsets(zone: str) -> None:
    from datetime import timedelta

    from bot.ical import build_calendar
    from bot.store.calendar import CalendarSession

    tz = ZoneInfo(zone)
    starts = [datetime(2025, 1, 1, 10, tzinfo=tz) + timedelta(days=7 * i) for i in range(53)]
    sessions = [
        CalendarSession(f"m{i}", "A", None, s, None, None, None, False, 0, None, ())
        for i, s in enumerate(starts)
    ]
    raw = build_calendar(sessions, tz=tz, now=datetime(2025, 1, 1, tzinfo=UTC))
    read = vobject.readOne(raw.decode())
    got = {ve.uid.value: ve.dtstart.value for ve in read.contents["vevent"]}
    for i, start in enumerate(starts):
        value = got[uid(f"m{i}")]
        assert value.replace(tzinfo=None) == start.replace(tzinfo=None)
        assert value.utcoffset() == start.utcoffset(), (zone, start)


def test_calendar_tokens_are_per_channel_and_committee_and_unguessable(db_url: str) -> None:
    from bot.store.calendar_tokens import scope_of, token_for
    from bot.store.db import make_engine, migrate, session_factory, transaction

    engine = make_engine(db_url)
    try:
        migrate(engine)
        factory = session_factory(engine)
        now = datetime(2025, 1, 10, tzinfo=UTC)
        with transaction(factory) as session:
            a = token_for(session, "C1", None, user="U1", now=now)
            b = token_for(session, "C1", "Verkehr", user="U1", now=now)
            c = token_for(session, "C2", None, user="U2", now=now)
        with transaction(factory) as session:
            assert token_for(session, "C1", None, user="U3", now=now) == a
            assert token_for(session, "C1", "  ", user="U3", now=now) == a
            assert scope_of(session, a) is not None and scope_of(session, a).committee is None
            scope = scope_of(session, b)
            assert scope is not None and (scope.channel, scope.committee) == ("C1", "Verkehr")
            assert scope_of(session, c) is not None and scope_of(session, c).channel == "C2"
            assert scope_of(session, a[:-1]) is None
            assert scope_of(session, "x' OR '1'='1") is None
        assert len({a, b, c}) == 3 and all(len(t) >= 32 for t in (a, b, c))
    finally:
        engine.dispose()


def test_http_public_url_config() -> None:
    from bot.config import config_from_dict
    from bot.errors import ConfigError

    config = config_from_dict({"http": {"public_url": "https://bot.example.org/"}}, {})
    assert config.http.public_url == "https://bot.example.org"
    assert config_from_dict({}, {}).http.public_url is None
    for bad in ("ftp://bot.example.org", "bot.example.org", 42):
        with pytest.raises(ConfigError, match="http.public_url"):
            config_from_dict({"http": {"public_url": bad}}, {})
