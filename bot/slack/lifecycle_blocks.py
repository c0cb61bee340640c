"""Block Kit formatters for reminders, thread replies and the weekly digest. Pure: values in,
(fallback text, blocks) out; all council text escaped and clipped like the announcement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.slack import texts
from bot.slack.blocks import (
    MAX_BLOCKS,
    MAX_TEXT,
    Block,
    clip,
    escape,
    link,
    pack,
    plain,
    section,
)
from bot.slack.blocks import (
    header as blocks_header,
)


@dataclass(frozen=True)
class AgendaEntry:
    """One Anfrage on a meeting's agenda, as a reminder lists it."""

    reference: str | None
    subject: str | None
    top: str | None
    web: str | None


def when(start: datetime, tz: ZoneInfo, *, weekday: bool = True) -> str:
    local = start.astimezone(tz)
    day = local.strftime("%d.%m.%Y")
    name = texts.WEEKDAYS[local.weekday()]
    if local.hour or local.minute:
        template = texts.REMINDER_WHEN if weekday else texts.SESSION_ON_TIME
        return template.format(weekday=name, date=day, time=local.strftime("%H:%M"))
    template = texts.REMINDER_WHEN_DAY if weekday else texts.SESSION_ON
    return template.format(weekday=name, date=day)


def session_line(
    committee: str | None, start: datetime | None, top: str | None, tz: ZoneInfo
) -> str:
    parts = [f"*{escape(committee) or texts.UNKNOWN}*"]
    if start:
        parts.append(when(start, tz))
    if top:
        parts.append(texts.SESSION_TOP.format(top=escape(top)))
    return " · ".join(parts)


def reminder(
    *,
    committee: str | None,
    start: datetime,
    location: str | None,
    meeting_web: str | None,
    entries: Sequence[AgendaEntry],
    tz: ZoneInfo,
) -> tuple[str, list[Block]]:
    header = texts.REMINDER_HEADER.format(committee=plain(committee) or texts.UNKNOWN)
    head = [when(start, tz)]
    if location:
        head.append(texts.REMINDER_WHERE.format(location=escape(location)))
    lines = [f"*{texts.REMINDER_ANFRAGEN}*"]
    for e in entries:
        top = texts.REMINDER_TOP.format(top=escape(e.top)) if e.top else "• "
        ref = link(e.web, e.reference or texts.UNKNOWN)
        lines.append(texts.REMINDER_ITEM.format(top=top, ref=ref, subject=escape(e.subject)))
    blocks: list[Block] = [
        blocks_header(header),
        section("\n".join(head)),
    ]
    blocks += [section(chunk) for chunk in pack(lines)[: MAX_BLOCKS - 3]]
    if meeting_web and meeting_web.startswith(("http://", "https://")):
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": link(meeting_web, texts.LINK_RIS)}],
            }
        )
    fallback = texts.REMINDER_FALLBACK.format(
        committee=escape(committee) or texts.UNKNOWN,
        date=start.astimezone(tz).strftime("%d.%m.%Y"),
        n=len(entries),
    )
    return clip(fallback, MAX_TEXT), blocks[:MAX_BLOCKS]


def thread_reply(reference: str | None, line: str) -> tuple[str, list[Block]]:
    """One lifecycle event as a reply under the announcement. `line` is mrkdwn, escaped."""
    fallback = texts.EVENT_FALLBACK.format(ref=escape(reference) or texts.UNKNOWN, event=line)
    return clip(fallback, MAX_TEXT), [section(line)]


def agenda_line(
    committee: str | None, start: datetime | None, top: str | None, tz: ZoneInfo, *, moved: bool
) -> str:
    template = texts.EVENT_MOVED if moved else texts.EVENT_AGENDA
    return template.format(session=session_line(committee, start, top, tz))


def cancelled_line(
    committee: str | None, start: datetime | None, tz: ZoneInfo, *, deleted: bool
) -> str:
    template = texts.EVENT_MEETING_DELETED if deleted else texts.EVENT_CANCELLED
    day = start.astimezone(tz).strftime("%d.%m.%Y") if start else texts.UNKNOWN
    return template.format(committee=f"*{escape(committee) or texts.UNKNOWN}*", date=day)


def result_line(
    committee: str | None, start: datetime | None, top: str | None, result: str, tz: ZoneInfo
) -> str:
    return texts.EVENT_RESULT.format(
        session=session_line(committee, start, top, tz), result=escape(result)
    )


def answered_line(
    *, answered_on: date | None, filed_on: date | None, url: str | None, answer_ref: str | None
) -> str:
    days = ""
    if answered_on and filed_on:
        n = (answered_on - filed_on).days
        if n == 1:
            days = texts.EVENT_ANSWERED_DAY
        elif n >= 0:
            days = texts.EVENT_ANSWERED_DAYS.format(n=n)
    label = (
        texts.EVENT_ANSWER_LABEL.format(ref=answer_ref)
        if answer_ref
        else texts.EVENT_ANSWER_LABEL_NOREF
    )
    return texts.EVENT_ANSWERED.format(
        date=answered_on.strftime("%d.%m.%Y") if answered_on else texts.UNKNOWN,
        days=days,
        link=link(url, label),
    )


@dataclass(frozen=True)
class DigestEntry:
    reference: str | None
    subject: str | None
    filed_on: date | None
    days_open: int
    web: str | None


def digest(week: str, entries: Sequence[DigestEntry]) -> tuple[str, list[Block]]:
    header = texts.DIGEST_HEADER.format(week=week)
    blocks: list[Block] = [blocks_header(header)]
    if not entries:
        blocks.append(section(texts.DIGEST_NONE))
        return texts.DIGEST_NONE, blocks
    lines = [
        texts.DIGEST_ITEM.format(
            ref=link(e.web, e.reference or texts.UNKNOWN),
            subject=escape(e.subject),
            date=e.filed_on.strftime("%d.%m.%Y") if e.filed_on else texts.UNKNOWN,
            days=e.days_open,
        )
        for e in entries
    ]
    chunks = pack(lines)
    limit = MAX_BLOCKS - 2
    blocks += [section(c) for c in chunks[:limit]]
    if len(chunks) > limit:
        shown = sum(c.count("\n") + 1 for c in chunks[:limit])
        blocks.append(section(texts.DIGEST_MORE.format(n=len(entries) - shown)))
    return clip(texts.DIGEST_FALLBACK.format(n=len(entries)), MAX_TEXT), blocks[:MAX_BLOCKS]
