"""The calendar feed (RFC 5545), built with the `icalendar` library. Pure: sessions in, bytes out.

One VEVENT per session: a UID stable per meeting (a hash of its OParl id), DTSTART/DTEND in the
configured zone (TZID, with a VTIMEZONE), SUMMARY naming the committee, LOCATION, URL to the RIS
page (http(s) only: feed URLs are untrusted), DESCRIPTION listing the Anfragen on the agenda,
STATUS:CANCELLED for cancelled or removed sessions and SEQUENCE raised whenever a session moved.
Text escaping (commas, semicolons, newlines) is the library's job.

Serving is cached per VEVENT (`EventCache`): a calendar app fetches the whole feed every few
hours, and serializing 2,000 events costs most of a second while the sessions rarely change. The
key is the session's full content as read from the store on *this* request, so a changed
session is never served from the cache; only its DTSTAMP stays that of the first build, which is
what RFC 5546 readers expect of an unchanged event.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy.orm import Session, sessionmaker

from bot.config import FactionConfig
from bot.faction import is_ours, split_factions
from bot.store.calendar import CalendarSession, calendar_sessions
from bot.store.calendar_tokens import ALL_SESSIONS, scope_of

PRODID = "-//anfragebot//Sitzungskalender//DE"
NO_FACTION = FactionConfig()
# A session without a (sensible) end is shown as two hours long.
DEFAULT_LENGTH = timedelta(hours=2)
SUMMARY = "{committee}"
SUMMARY_CANCELLED = "Abgesagt: {committee}"
DESCRIPTION_HEAD = "Anfragen auf der Tagesordnung:"
DESCRIPTION_NONE = "Keine Anfragen auf der Tagesordnung."
DESCRIPTION_OURS = " (Unsere Anfrage)"  # after the subject, with `[faction]` set
DESCRIPTION_RIS = "Im Ratsinformationssystem: {url}"
CALENDAR_NAME = "Sitzungen"
CALENDAR_NAME_FOR = "Sitzungen: {committee}"
UNKNOWN_COMMITTEE = "Sitzung"


def uid(meeting_id: str) -> str:
    return f"{hashlib.sha256(meeting_id.encode()).hexdigest()[:32]}@anfragebot"


def _safe_url(url: str | None) -> str | None:
    if url and url.startswith(("http://", "https://")) and not any(c.isspace() for c in url):
        return url
    return None


def _description(s: CalendarSession, faction: FactionConfig = NO_FACTION) -> str:
    lines = [DESCRIPTION_HEAD if s.anfragen else DESCRIPTION_NONE]
    for a in s.anfragen:
        top = f"TOP {a.top}: " if a.top else "- "
        mark = DESCRIPTION_OURS if is_ours(split_factions(a.faction), faction) else ""
        lines.append(f"{top}{a.reference or '?'} {a.subject or ''}".rstrip() + mark)
    url = _safe_url(s.web)
    if url:
        lines += ["", DESCRIPTION_RIS.format(url=url)]
    return "\n".join(lines)


def event(
    s: CalendarSession, *, tz: ZoneInfo, now: datetime, faction: FactionConfig = NO_FACTION
) -> icalendar.Event:
    committee = s.committee or s.name or UNKNOWN_COMMITTEE
    start = s.start.astimezone(tz)
    end = s.end.astimezone(tz) if s.end and s.end > s.start else start + DEFAULT_LENGTH
    ev = icalendar.Event()
    ev.add("uid", uid(s.meeting_id))
    ev.add("dtstamp", now.astimezone(UTC))
    ev.add("dtstart", start)
    ev.add("dtend", end)
    ev.add("sequence", max(0, s.sequence))
    template = SUMMARY_CANCELLED if s.cancelled else SUMMARY
    ev.add("summary", template.format(committee=committee))
    if s.location:
        ev.add("location", s.location)
    url = _safe_url(s.web)
    if url:
        ev.add("url", url)
    ev.add("description", _description(s, faction))
    ev.add("status", "CANCELLED" if s.cancelled else "CONFIRMED")
    if s.modified:
        ev.add("last-modified", s.modified.astimezone(UTC))
    return ev


def _fold(line: bytes, limit: int = 75) -> bytes:
    """RFC 5545 line folding, byte-identical to icalendar's (lines under `limit` octets, never
    inside a UTF-8 sequence, a backslash or caret kept with the character after it) but without
    its per-character Python loop, which was a third of the serialization time."""
    width = limit - 1
    if len(line) <= width:
        return line
    parts = []
    pos = 0
    while len(line) - pos > width:
        cut = pos + width
        while line[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: cut before its lead
            cut -= 1
        if cut - pos > 1 and line[cut - 1] in b"\\^":
            cut -= 1
        parts.append(line[pos:cut])
        pos = cut
    parts.append(line[pos:])
    return b"\r\n ".join(parts)


def to_ical(component: icalendar.cal.Component) -> bytes:
    """`component.to_ical()`, with the fast folding above (tests compare the two)."""
    lines = component.content_lines()
    return b"".join(_fold(str(line).encode()) + b"\r\n" for line in lines if line)


class EventCache:
    """Serialized VEVENTs by session content (LRU, thread-safe: `serve` answers calendar apps
    from several threads)."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._events: OrderedDict[tuple[CalendarSession, str, tuple[str, ...]], bytes] = (
            OrderedDict()
        )
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def event(
        self,
        s: CalendarSession,
        *,
        tz: ZoneInfo,
        now: datetime,
        faction: FactionConfig = NO_FACTION,
    ) -> bytes:
        key = (s, tz.key, faction.names)
        with self._lock:
            found = self._events.get(key)
            if found is not None:
                self._events.move_to_end(key)
                self.hits += 1
                return found
        body = to_ical(event(s, tz=tz, now=now, faction=faction))
        with self._lock:
            self.misses += 1
            self._events[key] = body
            while len(self._events) > self.size:
                self._events.popitem(last=False)
        return body


_END = b"END:VCALENDAR\r\n"


def build_calendar(
    sessions: Sequence[CalendarSession],
    *,
    tz: ZoneInfo,
    now: datetime,
    committee: str | None = None,
    cache: EventCache | None = None,
    faction: FactionConfig = NO_FACTION,
) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    name = CALENDAR_NAME_FOR.format(committee=committee) if committee else CALENDAR_NAME
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", tz.key)
    cal.add_component(vtimezone(tz, now.astimezone(tz).year))
    # The calendar's own lines, then the events spliced in before its END line: the same bytes
    # as `cal.to_ical()` with the events added (icalendar writes subcomponents in order).
    head = to_ical(cal)
    assert head.endswith(_END)
    events = cache or EventCache(size=len(sessions) + 1)
    body = [events.event(s, tz=tz, now=now, faction=faction) for s in sessions]
    return b"".join([head[: -len(_END)], *body, _END])


# -- VTIMEZONE ----------------------------------------------------------------------------------
# A yearly rule ("last Sunday in March"), as Outlook and Google write it: every reader
# understands RRULE, while some (dateutil, hence vobject) misread the RDATE lists that
# icalendar's generated zones use.

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@functools.lru_cache(maxsize=16)
def _transitions(tz: ZoneInfo, year: int) -> tuple[datetime, ...]:
    """The instants (UTC) in `year` at which the zone's offset changes (an hourly walk: cached,
    since every served calendar needs it)."""
    out = []
    moment = datetime(year, 1, 1, tzinfo=UTC)
    previous = moment.astimezone(tz).utcoffset()
    while moment.year == year:
        step = moment + timedelta(hours=1)
        offset = step.astimezone(tz).utcoffset()
        if offset != previous:
            out.append(step)
            previous = offset
        moment = step
    return tuple(out)


def _offset(delta: timedelta | None) -> timedelta:
    return delta or timedelta(0)


def _observance(tz: ZoneInfo, at: datetime) -> icalendar.cal.Component:
    before = _offset((at - timedelta(hours=1)).astimezone(tz).utcoffset())
    after_local = at.astimezone(tz)
    after = _offset(after_local.utcoffset())
    daylight = bool(after_local.dst())
    part: icalendar.cal.Component = (
        icalendar.TimezoneDaylight() if daylight else icalendar.TimezoneStandard()
    )
    onset = (at + before).replace(tzinfo=None)  # local time in the offset before the change
    last_week = (onset + timedelta(days=7)).month != onset.month
    week = -1 if last_week else (onset.day - 1) // 7 + 1
    part.add("tzname", after_local.tzname() or "")
    part.add("tzoffsetfrom", before)
    part.add("tzoffsetto", after)
    first = _first_matching(onset, week)
    part.add("dtstart", first)
    part.add(
        "rrule",
        {"freq": "yearly", "bymonth": onset.month, "byday": f"{week}{_WEEKDAYS[onset.weekday()]}"},
    )
    return part


def _first_matching(onset: datetime, week: int) -> datetime:
    """The same rule in 1970 (DTSTART of a yearly rule is its first occurrence)."""
    day = datetime(1970, onset.month, 1, onset.hour, onset.minute)
    matches = []
    while day.month == onset.month:
        if day.weekday() == onset.weekday():
            matches.append(day)
        day += timedelta(days=1)
    return matches[-1] if week == -1 else matches[week - 1]


def vtimezone(tz: ZoneInfo, year: int) -> icalendar.Timezone:
    zone = icalendar.Timezone()
    zone.add("tzid", tz.key)
    changes = _transitions(tz, year)
    if not changes:
        # No daylight saving time: one standard observance with a fixed offset.
        offset = _offset(datetime(year, 1, 1, tzinfo=UTC).astimezone(tz).utcoffset())
        standard = icalendar.TimezoneStandard()
        standard.add("tzname", datetime(year, 1, 1, tzinfo=UTC).astimezone(tz).tzname() or "")
        standard.add("tzoffsetfrom", offset)
        standard.add("tzoffsetto", offset)
        standard.add("dtstart", datetime(1970, 1, 1))
        zone.add_component(standard)
        return zone
    for at in changes:
        zone.add_component(_observance(tz, at))
    return zone


# Sessions from this long ago stay in the feed (calendar apps drop what disappears).
PAST = timedelta(days=90)


def calendar_from_store(
    session: Session,
    *,
    now: datetime,
    tz: ZoneInfo,
    committee: str | None = None,
    channel: str | None = None,
    cache: EventCache | None = None,
    faction: FactionConfig = NO_FACTION,
) -> bytes:
    if channel == ALL_SESSIONS:
        channel = None  # a token asked for in a direct message: every session
    sessions = calendar_sessions(
        session, since=now - PAST, tz=tz, committee=committee, channel=channel
    )
    return build_calendar(
        sessions, tz=tz, now=now, committee=committee, cache=cache, faction=faction
    )


def calendar_for_token(
    factory: sessionmaker[Session],
    token: str,
    *,
    now: datetime,
    tz: ZoneInfo,
    cache: EventCache | None = None,
    faction: FactionConfig = NO_FACTION,
) -> bytes | None:
    """The feed behind a subscription URL; None for a token nobody was given."""
    with factory() as session:
        scope = scope_of(session, token)
        if scope is None:
            return None
        return calendar_from_store(
            session,
            now=now,
            tz=tz,
            committee=scope.committee,
            channel=scope.channel,
            cache=cache,
            faction=faction,
        )


class CalendarFeed:
    """`GET /calendar/<token>.ics` for `serve`: one `EventCache` for the server's lifetime."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        tz: ZoneInfo,
        clock: Callable[[], datetime],
        faction: FactionConfig = NO_FACTION,
    ) -> None:
        self.factory = factory
        self.faction = faction
        self.tz = tz
        self.clock = clock
        self.cache = EventCache()

    def __call__(self, token: str) -> bytes | None:
        return calendar_for_token(
            self.factory,
            token,
            now=self.clock(),
            tz=self.tz,
            cache=self.cache,
            faction=self.faction,
        )
