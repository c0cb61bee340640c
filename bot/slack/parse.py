"""Parsing the text after `/anfrage`. Pure: a string in, a `Command` (or a German error) out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.slack import command_texts as t
from bot.slack.blocks import escape
from bot.subscriptions import FIELDS

# Verb (German and English) → the canonical command.
VERBS = {
    "hilfe": "help",
    "help": "help",
    "?": "help",
    "suche": "search",
    "suchen": "search",
    "search": "search",
    "abo": "subscribe",
    "abonnieren": "subscribe",
    "subscribe": "subscribe",
    "abos": "subscriptions",
    "subscriptions": "subscriptions",
    "abo-ende": "unsubscribe",
    "abo_ende": "unsubscribe",
    "abbestellen": "unsubscribe",
    "unsubscribe": "unsubscribe",
    "sitzungen": "sessions",
    "sitzung": "sessions",
    "sessions": "sessions",
    "offen": "open",
    "offene": "open",
    "open": "open",
    # issue 14: follow one Anfrage by direct message, calendar subscription
    "folgen": "follow",
    "follow": "follow",
    "entfolgen": "unfollow",
    "unfollow": "unfollow",
    "gefolgt": "followed",
    "following": "followed",
    "kalender": "calendar",
    "calendar": "calendar",
}

# Key aliases in the abo grammar (German canonical, English accepted).
KEYS = {
    "fraktion": "fraktion",
    "faction": "fraktion",
    "gremium": "gremium",
    "ausschuss": "gremium",
    "committee": "gremium",
    "art": "art",
    "typ": "art",
    "type": "art",
    "text": "text",
}
assert set(KEYS.values()) <= set(FIELDS)

# Straight and typographic quotes (Slack clients may turn "…" into “…” or „…“).
QUOTES = {'"': '"', "'": "'", "“": "”", "„": "“", "”": "”", "‚": "‘", "‘": "’", "«": "»", "»": "«"}
# A reference: optional word like "Drucksache", then something with a digit, short.
_REFERENCE = re.compile(
    r"^(?:(?:drucksachen?|drs|ds|nr|vorlage)\.?\s*)?[\w]{0,12}[\s./-]*\d[\w\s./-]{0,40}$",
    re.IGNORECASE,
)
MAX_CONDITIONS = 10
MAX_VALUE = 200
MAX_INPUT = 1000


@dataclass(frozen=True)
class Command:
    # help | lookup | search | subscribe | subscriptions | unsubscribe | sessions | open |
    # follow | unfollow | followed | calendar
    verb: str
    arg: str = ""
    unknown: bool = False  # help shown because the input was not understood


class AboSyntaxError(ValueError):
    """The abo text could not be read; the message is German and shown to the user."""


def _quote(user_text: str) -> str:
    """User text inside a `code` span of an error message: escaped, no backticks."""
    return escape(user_text.replace("`", "'")[:60])  # cut first: never inside an entity


def parse_command(text: str | None) -> Command:
    # NUL cannot be stored or searched in PostgreSQL; Slack never sends it on purpose.
    text = " ".join((text or "").replace("\x00", " ").split())[:MAX_INPUT]
    if not text:
        return Command("help")
    head, _, rest = text.partition(" ")
    verb = VERBS.get(head.casefold())
    if verb:
        return Command(verb, rest.strip())
    if _REFERENCE.match(text):
        return Command("lookup", text)
    return Command("help", text, unknown=True)


def parse_conditions(text: str) -> list[dict[str, Any]]:
    """`fraktion:"Die Linke" !gremium:CDU text:Radweg` → conditions (AND); raises AboSyntaxError."""
    conditions: list[dict[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negate = False
        if text[i] == "!":
            negate = True
            i += 1
            while i < n and text[i].isspace():
                i += 1
        start = i
        while i < n and not text[i].isspace() and text[i] != ":" and text[i] not in QUOTES:
            i += 1
        key = text[start:i]
        if i >= n or text[i] != ":":
            word = key or text[start : start + 30]
            raise AboSyntaxError(t.ABO_NEED_KEY.format(word=_quote(word)))
        field = KEYS.get(key.casefold())
        if field is None:
            raise AboSyntaxError(t.ABO_UNKNOWN_KEY.format(key=_quote(key)))
        i += 1  # the colon
        if i < n and text[i] in QUOTES:
            closer = QUOTES[text[i]]
            end = -1
            for j in range(i + 1, n):
                if text[j] == closer or (text[j] in '"”“' and closer in '"”“'):
                    end = j
                    break
            if end == -1:
                raise AboSyntaxError(t.ABO_UNCLOSED_QUOTE.format(key=_quote(key)))
            value = text[i + 1 : end]
            i = end + 1
        else:
            start = i
            while i < n and not text[i].isspace():
                i += 1
            value = text[start:i]
        value = " ".join(value.split())
        if not value:
            raise AboSyntaxError(t.ABO_EMPTY_VALUE.format(key=_quote(key)))
        if len(value) > MAX_VALUE:
            raise AboSyntaxError(t.ABO_VALUE_TOO_LONG.format(key=_quote(key), max=MAX_VALUE))
        conditions.append({"field": field, "value": value, "negate": negate})
        if len(conditions) > MAX_CONDITIONS:
            raise AboSyntaxError(t.ABO_TOO_MANY.format(max=MAX_CONDITIONS))
    return conditions


def format_conditions(conditions: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> str:
    """The canonical abo text of some conditions (what `parse_conditions` reads back)."""
    parts = []
    for c in conditions:
        value = str(c.get("value") or "").replace('"', "'")
        parts.append(f'{"!" if c.get("negate") else ""}{c.get("field")}:"{value}"')
    return " ".join(parts)


def parse_subscription_id(text: str) -> int | None:
    text = text.strip().lstrip("#")
    if not re.fullmatch(r"[0-9]{1,15}", text):
        return None
    return int(text)
