"""Channel subscriptions: filter conditions and the pure matching rule.

A subscription is a list of conditions, all of which must hold (AND); a channel with several
subscriptions gets a paper when any of them matches (OR). A condition is
`{"field": "fraktion"|"gremium"|"art"|"text"|"amt", "value": str, "negate": bool}` and matches
case-insensitively as a substring.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot.domain import AnfrageView

FIELDS = ("fraktion", "gremium", "art", "text", "amt")


def field_text(view: AnfrageView, field: str) -> str:
    if field == "fraktion":
        return " | ".join(view.factions)
    if field == "gremium":
        return " | ".join(s.committee or "" for s in view.sessions)
    if field == "art":
        return view.paper_type or ""
    if field == "amt":
        return view.department or ""
    if field == "text":
        questions = " ".join(" ".join((q[1], *q[2])) for q in view.questions)
        return f"{view.subject or ''} {questions}"
    return ""


def contains(value: str, text: str) -> bool:
    """The one matching rule of every abo key (and of `[faction]`): substring, any case."""
    return value.casefold() in text.casefold()


def matches(conditions: Sequence[Mapping[str, Any]], view: AnfrageView) -> bool:
    for cond in conditions:
        found = contains(str(cond.get("value") or ""), field_text(view, str(cond.get("field"))))
        if found == bool(cond.get("negate")):
            return False
    return True


def any_matches(subscriptions: Iterable[Sequence[Mapping[str, Any]]], view: AnfrageView) -> bool:
    return any(matches(s, view) for s in subscriptions)
