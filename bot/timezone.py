"""The councils' time zone, for the feed reader and the store alike.

German council servers mean local time when they leave out an offset (or send a date only),
and a meeting's calendar day (a placeholder on 31 December, "today's sessions") is a day in
this zone. Users' own zone is `[reminders] timezone` in the configuration.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

FEED_ZONE = ZoneInfo("Europe/Berlin")
