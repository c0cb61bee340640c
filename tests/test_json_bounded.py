"""The recursion-free JSON decoder used for hostile pages decodes like `json.loads`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import FeedError
from bot.feed.quirks import TOO_DEEP, decode_bounded, decode_json

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(values, st.booleans())
def test_decodes_like_json_loads(value: Any, indent: bool) -> None:
    text = json.dumps(value, indent=2 if indent else None, ensure_ascii=False)
    assert decode_bounded(text) == json.loads(text)


@pytest.mark.parametrize("text", ['{"a": 1', '{"a" 1}', "[1, 2]]x", "tru", '"open'])
def test_invalid_json_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        decode_bounded(text)


def test_a_page_nested_5000_deep_at_the_top_is_a_feed_error() -> None:
    with pytest.raises(FeedError, match="nested deeper than 64 levels"):
        decode_json(("[" * 5000 + "]" * 5000).encode(), "https://x/l")


def test_a_single_object_with_deep_nesting_is_marked() -> None:
    body = ('{"id": "https://x/p/1", "k": ' + "[" * 5000 + "]" * 5000 + "}").encode()
    data = decode_json(body, "https://x/p/1")
    assert data["id"] == "https://x/p/1" and "nested deeper" in data[TOO_DEEP]
