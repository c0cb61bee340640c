"""`ignores_modified_since` reads `modified` as the parser does: a stamp without an offset (or a
bare date) is Berlin time, not skipped (bot/feed/parse.py `parse_datetime`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.feed.parse import parse_datetime
from bot.feed.quirks import ignores_modified_since

WATERMARK = datetime(2025, 1, 10, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "stamp",
    ["2024-06-01T10:00:00", "2024-06-01", "2024-06-01T10:00:00+02:00", "2024-06-01T08:00:00Z"],
)
def test_old_stamps_show_the_filter_was_ignored(stamp: str) -> None:
    assert ignores_modified_since([{"id": "a", "modified": stamp}], WATERMARK)


@pytest.mark.parametrize(
    "stamp",
    [
        "2025-01-10T09:30:00",  # naive: 08:30 UTC, after the watermark
        "2025-01-09T10:00:00",  # within the one-day slack
        "2025-01-10",  # a bare date: midnight Berlin = 23:00 UTC the day before: in the slack
        "not a date",
        "",
    ],
)
def test_recent_or_unreadable_stamps_do_not(stamp: str) -> None:
    assert not ignores_modified_since([{"id": "a", "modified": stamp}], WATERMARK)


def test_a_naive_stamp_is_berlin_time_like_the_parser_reads_it() -> None:
    # The limit is one day before the watermark: 2025-01-09 08:00 UTC. 08:30 Berlin is
    # 07:30 UTC, before it; the same wall time in UTC would be after it.
    stamp = "2025-01-09T08:30:00"
    assert parse_datetime(stamp) == datetime(2025, 1, 9, 7, 30, tzinfo=UTC)
    assert ignores_modified_since([{"modified": stamp}], WATERMARK)
    assert not ignores_modified_since([{"modified": stamp + "+00:00"}], WATERMARK)
    assert not ignores_modified_since([{"modified": "2025-01-09T09:05:00"}], WATERMARK)
    # Summer: Berlin is UTC+2.
    summer = datetime(2025, 7, 10, 8, 0, tzinfo=UTC)
    assert not ignores_modified_since([{"modified": "2025-07-09T10:05:00"}], summer)
    assert ignores_modified_since([{"modified": "2025-07-09T09:55:00"}], summer)


def test_missing_or_odd_values_are_skipped() -> None:
    items = [{"id": "a"}, {"modified": None}, {"modified": 20240601}, {"modified": "  "}]
    assert not ignores_modified_since(items, WATERMARK)
