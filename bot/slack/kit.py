"""Block Kit primitives: Slack's limits, the only builders of text objects, and packing lines
into sections. Pure. Every message module builds on these (bot/slack/blocks.py re-exports them
for its callers); this module imports nothing of ours but the escaping types and texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.slack import texts
from bot.slack.escape import (
    Mrkdwn,
    PlainText,
    clip,
    clip_plain,
    mrkdwn,
    ours,
    plain_text,
)

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_TEXT = 3000
MAX_FIELD = 2000

# Old names, kept for callers: `escape` is `mrkdwn`, `plain` is `plain_text`.
escape = mrkdwn
plain = plain_text


def fmt_date(value: date | None) -> Mrkdwn:
    return ours(value.strftime("%d.%m.%Y") if value else texts.UNKNOWN)


def or_unknown(text: Mrkdwn) -> Mrkdwn:
    return text or ours(texts.UNKNOWN)


# -- the only builders of text objects ----------------------------------------------------------


def plain_object(text: PlainText, limit: int = MAX_HEADER) -> dict[str, str]:
    return {"type": "plain_text", "text": clip_plain(text or PlainText("…"), limit)}


def mrkdwn_object(text: Mrkdwn, limit: int = MAX_SECTION) -> dict[str, str]:
    return {"type": "mrkdwn", "text": clip(text, limit)}


def header(text: PlainText) -> Block:
    return {"type": "header", "text": plain_object(text, MAX_HEADER)}


def context(text: Mrkdwn) -> Block:
    return {"type": "context", "elements": [mrkdwn_object(text)]}


def section(text: Mrkdwn) -> Block:
    return {"type": "section", "text": mrkdwn_object(text)}


def fields(items: Sequence[Mrkdwn]) -> Block:
    return {"type": "section", "fields": [mrkdwn_object(f, MAX_FIELD) for f in items]}


def button(label: PlainText, action_id: str, value: str) -> Block:
    """An actions block with one button. `value` is an id we made, returned to us by Slack."""
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": action_id,
                "text": plain_object(label, 75),
                "value": value[:2000],
            }
        ],
    }


def pack(lines: Sequence[Mrkdwn], limit: int = MAX_SECTION) -> list[Mrkdwn]:
    """Group lines into section texts of at most `limit` characters (long lines clipped)."""
    chunks: list[Mrkdwn] = []
    current = Mrkdwn("")
    for line in lines:
        line = clip(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = line
        else:
            current = Mrkdwn(f"{current}\n{line}") if current else line
    if current:
        chunks.append(current)
    return chunks
