"""Block Kit formatters. Pure: values in, (fallback text, blocks) out.

Every piece of council text goes through `escape` so no document can ping `@channel` or forge a
link, and through `clip` so no message breaks Slack's limits.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain import AnfrageView, SessionInfo
from bot.slack import texts

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_TEXT = 3000
MAX_QUESTIONS_SHOWN = 15

# Zero-width and bidirectional control characters: invisible, and able to disguise text.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")


def escape(text: str | None) -> str:
    """Slack mrkdwn escaping of council text: `&`, `<`, `>` plus invisible characters."""
    if not text:
        return ""
    text = _INVISIBLE.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str | None) -> str:
    """For plain_text fields (headers): no escaping needed, but no invisible characters."""
    return " ".join(_INVISIBLE.sub("", text or "").split())


def clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    # Never cut inside an escape entity such as `&amp;`.
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + "…"


def link(url: str | None, label: str) -> str:
    if not url or not url.startswith(("http://", "https://")):
        return escape(label)
    safe_url = escape(url).replace("|", "%7C")
    return f"<{safe_url}|{escape(label)}>"


def fmt_date(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else texts.UNKNOWN


def fmt_session(s: SessionInfo, tz: ZoneInfo) -> str:
    parts = [f"*{escape(s.committee) or texts.UNKNOWN}*"]
    if s.role:
        parts.append(escape(s.role))
    if s.start:
        local = s.start.astimezone(tz)
        if local.hour or local.minute:
            when = texts.SESSION_ON_TIME.format(
                date=local.strftime("%d.%m.%Y"), time=local.strftime("%H:%M")
            )
        else:
            when = texts.SESSION_ON.format(date=local.strftime("%d.%m.%Y"))
        parts.append(when)
    elif s.session_date:
        parts.append(texts.SESSION_ON.format(date=fmt_date(s.session_date)))
    if s.agenda_number:
        parts.append(texts.SESSION_TOP.format(top=escape(s.agenda_number)))
    if s.cancelled:
        parts.append(texts.SESSION_CANCELLED)
    if s.result:
        parts.append(f"Ergebnis: {escape(s.result)}")
    return " · ".join(parts)


def status_text(view: AnfrageView, now: datetime, tz: ZoneInfo) -> str:
    if view.deleted:
        return texts.STATUS_DELETED
    if view.answered_on:
        return texts.STATUS_ANSWERED.format(date=fmt_date(view.answered_on))
    upcoming = sorted(
        s.start for s in view.sessions if s.start and s.start >= now and not s.cancelled
    )
    if upcoming:
        return texts.STATUS_ON_AGENDA.format(date=upcoming[0].astimezone(tz).strftime("%d.%m.%Y"))
    if any(s.result for s in view.sessions):
        return texts.STATUS_DONE
    return texts.STATUS_FILED


def header(text: str) -> Block:
    content = clip(plain(text) or "…", MAX_HEADER)
    return {"type": "header", "text": {"type": "plain_text", "text": content}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, MAX_SECTION)}]}


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION)}}


def question_lines(view: AnfrageView, limit: int = MAX_QUESTIONS_SHOWN) -> list[str]:
    lines = []
    for number, text, items in view.questions[:limit]:
        head = f"*{escape(number)}.* " if number else "• "
        lines.append(head + escape(text))
        lines.extend(f"    – {escape(i)}" for i in items)
    return lines


def pack(lines: list[str], limit: int = MAX_SECTION) -> list[str]:
    """Group lines into section texts of at most `limit` characters (long lines clipped)."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        line = clip(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def summary_blocks(view: AnfrageView, title: str, *, now: datetime, tz: ZoneInfo) -> list[Block]:
    """Header, subject and the four facts: the top of every message about one Anfrage."""
    faction = ", ".join(view.factions)
    return [
        header(title),
        section(f"*{escape(view.subject) or texts.UNKNOWN}*"),
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": clip(f"*{label}*\n{value}", 2000)}
                for label, value in (
                    (texts.LABEL_FACTION, escape(faction) or texts.UNKNOWN),
                    (texts.LABEL_DATE, fmt_date(view.date)),
                    (texts.LABEL_TYPE, escape(view.paper_type) or texts.UNKNOWN),
                    (texts.LABEL_STATUS, status_text(view, now, tz)),
                )
            ],
        },
    ]


def announcement(view: AnfrageView, *, now: datetime, tz: ZoneInfo) -> tuple[str, list[Block]]:
    ref = plain(view.reference)
    faction = ", ".join(view.factions)
    title = texts.NEW_ANFRAGE.format(ref=ref) if ref else texts.NEW_ANFRAGE_NOREF
    blocks = summary_blocks(view, title, now=now, tz=tz)
    if view.questions:
        lines = [f"*{texts.LABEL_QUESTIONS}*"] + question_lines(view)
        hidden = len(view.questions) - MAX_QUESTIONS_SHOWN
        if hidden > 0:
            more = (
                texts.MORE_QUESTIONS_LINK.format(
                    n=hidden, link=link(view.document_url, texts.LINK_READ_MORE)
                )
                if view.document_url
                else texts.MORE_QUESTIONS.format(n=hidden)
            )
            lines.append(more)
        blocks.extend(section(chunk) for chunk in pack(lines)[:10])
    elif view.document_note:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": view.document_note}]}
        )
    if view.sessions:
        lines = [f"*{texts.LABEL_CONSULTATION}*"] + [fmt_session(s, tz) for s in view.sessions[:10]]
        blocks.extend(section(chunk) for chunk in pack(lines)[:3])
    links = [link(view.web, texts.LINK_RIS), link(view.document_url, texts.LINK_DOCUMENT)]
    links = [lk for lk, url in zip(links, (view.web, view.document_url), strict=True) if url]
    if links:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(links)}]}
        )
    fallback = texts.FALLBACK_ANNOUNCE.format(
        ref=escape(ref),
        faction=f" ({escape(faction)})" if faction else "",
        subject=escape(view.subject) or texts.UNKNOWN,
    )
    return clip(fallback, MAX_TEXT), blocks[:MAX_BLOCKS]
