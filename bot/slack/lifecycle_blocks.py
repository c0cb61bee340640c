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
    context,
    header,
    or_unknown,
    pack,
    section,
)
from bot.slack.escape import (
    Mrkdwn,
    PlainText,
    bold,
    clip,
    fill,
    fill_plain,
    join,
    link,
    mrkdwn,
    ours,
    plain_text,
    safe_url,
)


@dataclass(frozen=True)
class AgendaEntry:
    """One Anfrage on a meeting's agenda, as a reminder lists it."""

    reference: str | None
    subject: str | None
    top: str | None
    web: str | None
    # "*Unsere Anfrage* · " or "(Fraktion X) " (bot.slack.blocks.owner_mark); empty without
    # `[faction]`.
    owner: Mrkdwn = Mrkdwn("")


def when(start: datetime, tz: ZoneInfo, *, weekday: bool = True) -> Mrkdwn:
    """Date and time in our words: no council text in here."""
    local = start.astimezone(tz)
    day = local.strftime("%d.%m.%Y")
    name = texts.WEEKDAYS[local.weekday()]
    if local.hour or local.minute:
        template = texts.REMINDER_WHEN if weekday else texts.SESSION_ON_TIME
        return ours(template.format(weekday=name, date=day, time=local.strftime("%H:%M")))
    template = texts.REMINDER_WHEN_DAY if weekday else texts.SESSION_ON
    return ours(template.format(weekday=name, date=day))


def session_line(
    committee: str | None, start: datetime | None, top: str | None, tz: ZoneInfo
) -> Mrkdwn:
    parts = [bold(or_unknown(mrkdwn(committee)))]
    if start:
        parts.append(when(start, tz))
    if top:
        parts.append(fill(texts.SESSION_TOP, top=mrkdwn(top)))
    return join(" · ", parts)


def reminder(
    *,
    committee: str | None,
    start: datetime,
    location: str | None,
    meeting_web: str | None,
    entries: Sequence[AgendaEntry],
    tz: ZoneInfo,
) -> tuple[str, list[Block]]:
    title = fill_plain(texts.REMINDER_HEADER, committee=plain_text(committee) or _unknown_plain())
    head = [when(start, tz)]
    if location:
        head.append(fill(texts.REMINDER_WHERE, location=mrkdwn(location)))
    lines = [bold(ours(texts.REMINDER_ANFRAGEN))]
    for e in entries:
        top = fill(texts.REMINDER_TOP, top=mrkdwn(e.top)) if e.top else ours("• ")
        ref = link(e.web, or_unknown(mrkdwn(e.reference)))
        subject = Mrkdwn(e.owner + mrkdwn(e.subject))
        lines.append(fill(texts.REMINDER_ITEM, top=top, ref=ref, subject=subject))
    blocks: list[Block] = [header(title), section(join("\n", head))]
    blocks += [section(chunk) for chunk in pack(lines)[: MAX_BLOCKS - 3]]
    if safe_url(meeting_web):
        blocks.append(context(link(meeting_web, ours(texts.LINK_RIS))))
    fallback = fill(
        texts.REMINDER_FALLBACK,
        committee=or_unknown(mrkdwn(committee)),
        date=ours(start.astimezone(tz).strftime("%d.%m.%Y")),
        n=len(entries),
    )
    return clip(fallback, MAX_TEXT), blocks[:MAX_BLOCKS]


def _unknown_plain() -> PlainText:
    return PlainText(texts.UNKNOWN)


def thread_reply(reference: str | None, line: Mrkdwn) -> tuple[str, list[Block]]:
    """One lifecycle event as a reply under the announcement. `line` is escaped mrkdwn."""
    fallback = fill(texts.EVENT_FALLBACK, ref=or_unknown(mrkdwn(reference)), event=line)
    return clip(fallback, MAX_TEXT), [section(line)]


def agenda_line(
    committee: str | None, start: datetime | None, top: str | None, tz: ZoneInfo, *, moved: bool
) -> Mrkdwn:
    template = texts.EVENT_MOVED if moved else texts.EVENT_AGENDA
    return fill(template, session=session_line(committee, start, top, tz))


def cancelled_line(
    committee: str | None, start: datetime | None, tz: ZoneInfo, *, deleted: bool
) -> Mrkdwn:
    template = texts.EVENT_MEETING_DELETED if deleted else texts.EVENT_CANCELLED
    day = ours(start.astimezone(tz).strftime("%d.%m.%Y") if start else texts.UNKNOWN)
    return fill(template, committee=bold(or_unknown(mrkdwn(committee))), date=day)


def result_line(
    committee: str | None, start: datetime | None, top: str | None, result: str, tz: ZoneInfo
) -> Mrkdwn:
    return fill(
        texts.EVENT_RESULT, session=session_line(committee, start, top, tz), result=mrkdwn(result)
    )


def answered_line(
    *,
    answered_on: date | None,
    filed_on: date | None,
    url: str | None,
    answer_ref: str | None,
    due: date | None = None,
) -> Mrkdwn:
    days = ""
    if answered_on and filed_on:
        n = (answered_on - filed_on).days
        if n == 1:
            days = texts.EVENT_ANSWERED_DAY
        elif n >= 0:
            days = texts.EVENT_ANSWERED_DAYS.format(n=n)
    label = (
        fill(texts.EVENT_ANSWER_LABEL, ref=mrkdwn(answer_ref))
        if answer_ref
        else ours(texts.EVENT_ANSWER_LABEL_NOREF)
    )
    punctual = ""
    if due and answered_on:
        template = texts.EVENT_WITHIN if answered_on <= due else texts.EVENT_LATE
        punctual = template.format(date=due.strftime("%d.%m.%Y"))
    return fill(
        texts.EVENT_ANSWERED,
        date=ours(answered_on.strftime("%d.%m.%Y") if answered_on else texts.UNKNOWN),
        days=ours(days + punctual),
        link=link(url, label),
    )


@dataclass(frozen=True)
class DigestEntry:
    reference: str | None
    subject: str | None
    filed_on: date | None
    days_open: int
    web: str | None
    owner: Mrkdwn = Mrkdwn("")
    due: date | None = None
    overdue: int = 0  # days past the deadline; overdue ones are listed first


def digest_line(e: DigestEntry) -> Mrkdwn:
    ref = link(e.web, or_unknown(mrkdwn(e.reference)))
    if e.overdue and e.due:
        days = ours(texts.OVERDUE_DAY) if e.overdue == 1 else fill(texts.OVERDUE_DAYS, n=e.overdue)
        return fill(
            texts.DIGEST_OVERDUE_ITEM,
            ref=ref,
            owner=e.owner,
            subject=mrkdwn(e.subject),
            days=days,
            date=ours(e.due.strftime("%d.%m.%Y")),
        )
    return fill(
        texts.DIGEST_ITEM,
        ref=ref,
        subject=Mrkdwn(e.owner + mrkdwn(e.subject)),
        date=ours(e.filed_on.strftime("%d.%m.%Y") if e.filed_on else texts.UNKNOWN),
        days=e.days_open,
    )


def digest(week: str, entries: Sequence[DigestEntry]) -> tuple[str, list[Block]]:
    title = fill_plain(texts.DIGEST_HEADER, week=plain_text(week))
    blocks: list[Block] = [header(title)]
    if not entries:
        blocks.append(section(ours(texts.DIGEST_NONE)))
        return texts.DIGEST_NONE, blocks
    lines = [digest_line(e) for e in entries]
    chunks = pack(lines)
    limit = MAX_BLOCKS - 2
    blocks += [section(c) for c in chunks[:limit]]
    if len(chunks) > limit:
        shown = sum(c.count("\n") + 1 for c in chunks[:limit])
        blocks.append(section(fill(texts.DIGEST_MORE, n=len(entries) - shown)))
    return clip(fill(texts.DIGEST_FALLBACK, n=len(entries)), MAX_TEXT), blocks[:MAX_BLOCKS]
