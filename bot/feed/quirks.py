"""Vendor fix-ups applied to raw OParl JSON before parsing. Each one says which server needs it."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.errors import FeedError

# CC e-gov ALLRIS sends raw control characters inside JSON strings, which strict JSON rejects.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# ALLRIS fills empty fields with "N/A" or a single blank instead of leaving them out.
_EMPTY_MARKERS = {"N/A", "n/a", " ", ""}


def decode_json(body: bytes, url: str) -> Any:
    """Parse a response body, tolerating control characters (ALLRIS) and a BOM."""
    text = body.decode("utf-8-sig", errors="replace")
    try:
        return json.loads(text, strict=False)
    except json.JSONDecodeError:
        pass
    try:
        return json.loads(_CONTROL.sub(" ", text), strict=False)
    except json.JSONDecodeError as e:
        start = text.lstrip()[:1]
        what = "HTML instead of JSON" if start == "<" else f"invalid JSON ({e.msg} at {e.pos})"
        raise FeedError(f"{url}: {what}") from e


def raise_for_error_object(data: Any, url: str) -> None:
    """Some servers answer HTTP 200 with an error object (more! rubin: "OParl is not active.")."""
    if not isinstance(data, dict):
        raise FeedError(f"{url}: expected a JSON object, got {type(data).__name__}")
    kind = str(data.get("type") or "")
    if kind.endswith("/Error") or (
        "message" in data and "id" not in data and "data" not in data and "error" in kind.lower()
    ):
        raise FeedError(f"{url}: server error object: {str(data.get('message') or '')[:200]}")
    if "id" not in data and "data" not in data and isinstance(data.get("message"), str):
        raise FeedError(f"{url}: server error object: {data['message'][:200]}")


def is_placeholder(value: str) -> bool:
    """ALLRIS placeholder strings that mean "no value"."""
    return value.strip() in _EMPTY_MARKERS


def _placeholder_str(value: Any) -> bool:
    return isinstance(value, str) and is_placeholder(value)


def as_list(value: Any) -> list[Any]:
    """ALLRIS sends `auxiliaryFile` as a single object where the spec says list."""
    if value is None:
        return []
    if isinstance(value, str) and is_placeholder(value):
        return []
    if isinstance(value, list):
        return [v for v in value if v is not None and not _placeholder_str(v)]
    return [value]
