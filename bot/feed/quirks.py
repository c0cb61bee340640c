"""Vendor fix-ups applied to raw OParl JSON before parsing. Each one says which server needs it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from bot.errors import FeedError
from bot.timezone import FEED_ZONE

# CC e-gov ALLRIS sends raw control characters inside JSON strings, which strict JSON rejects.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# ALLRIS fills empty fields with "N/A" or a single blank instead of leaving them out.
_EMPTY_MARKERS = {"N/A", "n/a", " ", ""}
# The same for a value already stripped: `value in STRIPPED_PLACEHOLDERS` is
# `is_placeholder(value)` without a call (the parsers' hottest path).
STRIPPED_PLACEHOLDERS = frozenset(m.strip() for m in _EMPTY_MARKERS)


# Deeper than any real OParl answer (page → data → paper → consultation → … is under 10).
MAX_DEPTH = 64
# Marks a list item that held something nested deeper than MAX_DEPTH: the sync quarantines
# that object and keeps the rest of its page.
TOO_DEEP = "__anfragebot_too_deep__"


def decode_json(body: bytes, url: str) -> Any:
    """Parse a response body, tolerating control characters (ALLRIS) and a BOM.

    The C decoder recurses; a hostile page nested thousands of levels deep makes it raise
    RecursionError. Such a body is decoded again without recursion (`decode_bounded`), cutting
    what lies deeper than MAX_DEPTH, so the other objects on that page are still read."""
    text = body.decode("utf-8-sig", errors="replace")
    try:
        return json.loads(text, strict=False)
    except json.JSONDecodeError:
        pass
    except RecursionError:
        return _decode_deep(text, url)
    try:
        return json.loads(_CONTROL.sub(" ", text), strict=False)
    except json.JSONDecodeError as e:
        start = text.lstrip()[:1]
        what = "HTML instead of JSON" if start == "<" else f"invalid JSON ({e.msg} at {e.pos})"
        raise FeedError(f"{url}: {what}") from e
    except RecursionError:
        return _decode_deep(_CONTROL.sub(" ", text), url)


def _decode_deep(text: str, url: str) -> Any:
    try:
        return decode_bounded(text)
    except ValueError as e:
        raise FeedError(f"{url}: invalid JSON ({e})") from e


_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_LITERALS = {"true": True, "false": False, "null": None}


def decode_bounded(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """A JSON decoder with an explicit stack (no recursion). Containers deeper than
    `max_depth` are replaced by None, and the item of the top-level `data` list (depth 2)
    holding them gets `TOO_DEEP` set, so the caller can quarantine exactly that object."""
    scanstring: Any = json.decoder.scanstring  # type: ignore[attr-defined]
    stack: list[tuple[Any, str | None]] = []  # (container, pending key of a dict)
    root: Any = None
    done = False
    skip = 0  # > 0 while inside a cut-off subtree: only brackets are counted
    pos = _WS.match(text, 0).end()  # type: ignore[union-attr]

    def put(value: Any) -> None:
        nonlocal root, done
        if not stack:
            root, done = value, True
            return
        container, key = stack[-1]
        if isinstance(container, list):
            container.append(value)
        else:
            container[key] = value
            stack[-1] = (container, None)

    def mark_too_deep() -> None:
        # The object holding it: an item of a list page, else a single object.
        reason = f"JSON nested deeper than {max_depth} levels"
        if len(stack) >= 3 and isinstance(stack[1][0], list) and isinstance(stack[2][0], dict):
            stack[2][0][TOO_DEEP] = reason
        elif isinstance(stack[0][0], dict):
            stack[0][0][TOO_DEEP] = reason
        else:
            raise ValueError(f"nested deeper than {max_depth} levels")

    n = len(text)
    while pos < n and not done:
        ch = text[pos]
        if skip:
            if ch == '"':
                _, pos = scanstring(text, pos + 1, False)
                continue
            skip += 1 if ch in "[{" else -1 if ch in "]}" else 0
            pos += 1
            if not skip:
                put(None)
            continue
        if ch in "[{":
            if len(stack) >= max_depth:
                mark_too_deep()
                skip = 1
                pos += 1
                continue
            stack.append(([] if ch == "[" else {}, None))
            pos += 1
        elif ch in "]}":
            if not stack:
                raise ValueError(f"unexpected {ch!r} at {pos}")
            container, _ = stack.pop()
            pos += 1
            put(container)
        elif ch == '"':
            value, pos = scanstring(text, pos + 1, False)
            if stack and isinstance(stack[-1][0], dict) and stack[-1][1] is None:
                # A key: the value follows after the colon.
                pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
                if text[pos : pos + 1] != ":":
                    raise ValueError(f"expected ':' at {pos}")
                stack[-1] = (stack[-1][0], value)
                pos += 1
            else:
                put(value)
        elif ch == ",":
            pos += 1
        else:
            for word, literal in _LITERALS.items():
                if text.startswith(word, pos):
                    put(literal)
                    pos += len(word)
                    break
            else:
                m = _NUMBER.match(text, pos)
                if not m:
                    raise ValueError(f"unexpected {ch!r} at {pos}")
                number = m.group()
                put(float(number) if any(c in number for c in ".eE") else int(number))
                pos = m.end()
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
    if not done:
        raise ValueError("unexpected end of data")
    if pos < n:
        raise ValueError(f"extra data at {pos}")
    return root


def raise_for_error_object(data: Any, url: str) -> None:
    """Some servers answer HTTP 200 with an error object (more! rubin: "OParl is not active.")."""
    if not isinstance(data, dict):
        raise FeedError(f"{url}: expected a JSON object, got {type(data).__name__}")
    kind = str(data.get("type") or "")
    if kind.endswith("/Error") or (
        "message" in data and "id" not in data and "data" not in data and "error" in kind.lower()
    ):
        raise FeedError(f"{url}: server error object: {str(data.get('message') or '')[:200]}")
    if "id" not in data and "data" not in data:
        for key in ("message", "error", "errorMessage"):
            if isinstance(data.get(key), str):
                raise FeedError(f"{url}: server error object: {data[key][:200]}")


def is_placeholder_value(value: str) -> bool:
    """ALLRIS placeholder strings that mean "no value"."""
    return value.strip() in _EMPTY_MARKERS


def _placeholder_str(value: Any) -> bool:
    return isinstance(value, str) and is_placeholder_value(value)


def as_list(value: Any) -> list[Any]:
    """ALLRIS sends `auxiliaryFile` as a single object where the spec says list."""
    if value is None:
        return []
    if isinstance(value, str) and is_placeholder_value(value):
        return []
    if isinstance(value, list):
        return [v for v in value if v is not None and not _placeholder_str(v)]
    return [value]


# A filtered answer holding objects this much older than the watermark ignored the filter
# (the slack covers servers whose clocks or offsets are off by a few hours).
IGNORED_FILTER_SLACK = timedelta(days=1)


def ignores_modified_since(items: Iterable[dict[str, Any]], watermark: datetime) -> bool:
    """Somacos, more! rubin, ALLRIS 4 and others answer `modified_since` with the whole list:
    the first page of a filtered read holds objects older than the watermark. Such a list is
    read from its end from then on (jobs/sync_list.py, mode "tail")."""
    limit = watermark - IGNORED_FILTER_SLACK
    for raw in items:
        moment = _modified(raw.get("modified"))
        if moment is not None and moment < limit:
            return True
    return False


def _modified(value: Any) -> datetime | None:
    """A `modified` stamp read as `bot.feed.parse.parse_datetime` reads it (a naive value or a
    bare date is Berlin time); None when it is no date. (That module imports this one.)"""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            day = date.fromisoformat(text[:10])
        except ValueError:
            return None
        moment = datetime(day.year, day.month, day.day)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=FEED_ZONE)


def note_modified_days(items: Iterable[dict[str, Any]], days: set[str]) -> None:
    """Add the `modified` days of these objects to `days`. A full read that saw one day only
    (more! rubin: every object modified today; ALLRIS 4: 2000-01-01) shows a server whose
    stamps say nothing, so its `modified_since` cannot be trusted either."""
    for raw in items:
        modified = raw.get("modified")
        if isinstance(modified, str):
            days.add(modified[:10])
