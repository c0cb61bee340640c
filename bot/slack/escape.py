"""The one escaping path from council text to Slack. Pure functions, no Slack calls.

Every string from a feed, a document or a user (committee names, subjects, factions, questions,
locations, references, TOPs, results, file names, URLs, command arguments) is untrusted. It
reaches a Slack payload only through this module:

- `mrkdwn(text)` for `mrkdwn` text objects, section fields, context elements and the message's
  top-level `text` (which Slack also reads as mrkdwn);
- `plain_text(text)` for `plain_text` objects (headers, button labels);
- `link(url, label)` for links: the only place that writes `<url|label>`;
- `user_mention(id)` for `<@U…>`: only a well-formed Slack user id becomes a mention.

The results are the types `Mrkdwn` and `PlainText` (`NewType`s of `str`, free at run time). The
block builders in `bot.slack.blocks` accept only these types, so with `mypy --strict` a raw
string cannot reach a block: forgetting to escape is a type error. The bot's own texts enter as
`ours(...)` (a constant from `texts.py`/`command_texts.py` with intended formatting), and
templates are filled with `fill(template, name=<Mrkdwn or int>)`.

What `mrkdwn` does (Slack: "&, < and > are control characters … replace them with HTML
entities"; there is no backslash escape in mrkdwn):
- `&`, `<`, `>` → `&amp;`, `&lt;`, `&gt;`: no `<!channel>`, `<!here>`, `<@U…>`, `<#C…>`,
  `<!subteam^…>`, `<!date^…>` or `<https://…|…>` can be formed by council text;
- a `>` that starts a line → `›`, so council text cannot open a block quote;
- formatting characters that could open or close formatting (`*`, `_`, `~` next to a space,
  punctuation or the text's edge, and every backtick) → look-alikes `∗ ＿ ∼ ˋ`. A marker between
  two letters or digits (`Bürger*innen`, `Radweg_Nord`) cannot format in Slack and is kept, so
  ordinary council text is shown unchanged;
- bare `@channel`, `@here`, `@everyone` → `＠…` (Slack's automatic parsing of mrkdwn could turn
  them into pings);
- zero-width, bidi-control and other format characters (Unicode category Cf, e.g. U+200B, U+202E,
  U+2066, U+FEFF, soft hyphen) and C0/C1 control characters other than newline and tab are
  removed: invisible, and able to disguise text.

What `plain_text` does: Slack shows plain_text literally and parses no mentions or links in it,
but to keep one rule for every surface the same sequences are neutralised there too: `<`/`>` →
`‹`/`›`, `&` before something that looks like an entity → `＆`, invisible characters removed,
whitespace collapsed to single spaces (headers are one line).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import NewType
from urllib.parse import urlsplit

Mrkdwn = NewType("Mrkdwn", str)
PlainText = NewType("PlainText", str)

# Stand-ins for formatting characters: look alike, format nothing.
LOOKALIKE = {"*": "\u2217", "_": "\uff3f", "~": "\u223c", "`": "\u02cb"}
QUOTE_MARK = "\u203a"  # › : a council line may not start a block quote
AT_SIGN = "\uff20"  # ＠

_FORMAT_CHARS = re.compile(r"[*_~`]")
_LINE_START_QUOTE = re.compile(r"^([ \t]*)>", re.MULTILINE)
_BROADCAST = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)
_ENTITY_LIKE = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_USER_ID = re.compile(r"[UW][A-Z0-9]{1,20}")
_URL_MAX = 2000


def _visible(char: str) -> bool:
    """Newline and tab stay; Cf (zero-width, bidi), Cc (controls) and Co/Cs/Cn go."""
    if char in "\n\t":
        return True
    return unicodedata.category(char)[0] != "C"


def strip_invisible(text: str) -> str:
    """Remove zero-width, bidi-control and control characters (keeps newline and tab)."""
    if text.isascii() and text.isprintable():
        return text  # the common case, fast
    return "".join(c for c in text if _visible(c))


def _neutralise_marker(match: re.Match[str]) -> str:
    char = match.group(0)
    if char == "`":
        return LOOKALIKE[char]
    text = match.string
    before = text[match.start() - 1] if match.start() > 0 else " "
    after = text[match.end()] if match.end() < len(text) else " "
    if before.isalnum() and after.isalnum():
        return char  # inside a word: Slack formats nothing here (Bürger*innen, snake_case)
    return LOOKALIKE[char]


def mrkdwn(text: str | None) -> Mrkdwn:
    """Untrusted text, safe inside any mrkdwn field: shows as written, triggers nothing."""
    if not text:
        return Mrkdwn("")
    text = strip_invisible(text)
    text = _FORMAT_CHARS.sub(_neutralise_marker, text)
    text = _LINE_START_QUOTE.sub(lambda m: m.group(1) + QUOTE_MARK, text)
    text = _BROADCAST.sub(AT_SIGN, text)
    return Mrkdwn(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def plain_text(text: str | None) -> PlainText:
    """Untrusted text for a plain_text object: one line, nothing Slack could read as markup."""
    text = " ".join(strip_invisible(text or "").split())
    text = _ENTITY_LIKE.sub("\uff06", text)
    return PlainText(text.replace("<", "\u2039").replace(">", "\u203a"))


def ours(text: str) -> Mrkdwn:
    """One of the bot's own texts (constants with intended formatting), never council text."""
    return Mrkdwn(text)


def ours_plain(text: str) -> PlainText:
    return PlainText(text)


def fill(template: str, **values: Mrkdwn | int) -> Mrkdwn:
    """One of our templates with escaped pieces (type-checked: a raw `str` is refused)."""
    return Mrkdwn(template.format(**values))


def fill_plain(template: str, **values: PlainText | int) -> PlainText:
    return PlainText(template.format(**values))


def bold(text: Mrkdwn) -> Mrkdwn:
    return Mrkdwn(f"*{text}*") if text else text


def join(separator: str, parts: Iterable[Mrkdwn]) -> Mrkdwn:
    """Join escaped parts with one of our separators (`" · "`, `"\\n"`)."""
    return Mrkdwn(separator.join(parts))


def safe_url(url: str | None) -> str | None:
    """A feed URL fit for `<url|label>`, or None: http(s) with a host, at most 2,000 characters.

    Characters that would end or split the link (`|`, `<`, `>`, whitespace, quotes) are
    percent-encoded and `&` is written `&amp;`, as Slack requires inside `<…>`.
    """
    if not url:
        return None
    url = strip_invisible(url).strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if len(url) > _URL_MAX:
        return None
    url = parts.scheme.lower() + url[len(parts.scheme) :]
    encoded = "".join(f"%{ord(c):02X}" if c in '|<>"' or c.isspace() else c for c in url)
    return encoded.replace("&", "&amp;")


def link(url: str | None, label: Mrkdwn) -> Mrkdwn:
    """`<url|label>` for a safe URL, else the label alone (a bad URL loses only the link)."""
    target = safe_url(url)
    if target is None or not label:
        return label
    return Mrkdwn(f"<{target}|{label}>")


def user_mention(user_id: str | None) -> Mrkdwn:
    """`<@U…>` for a real Slack user id; anything else is shown escaped, pinging no one."""
    if user_id and _USER_ID.fullmatch(user_id):
        return Mrkdwn(f"<@{user_id}>")
    return mrkdwn(user_id)


def clip(text: Mrkdwn, limit: int) -> Mrkdwn:
    """Shorten to `limit` characters with "…", never inside an entity or a `<…>` link."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    opened = cut.rfind("<")
    if opened != -1 and ">" not in cut[opened:]:
        cut = cut[:opened]
    return Mrkdwn(cut.rstrip() + "…")


def clip_plain(text: PlainText, limit: int) -> PlainText:
    if len(text) <= limit:
        return text
    return PlainText(text[: limit - 1].rstrip() + "…")
