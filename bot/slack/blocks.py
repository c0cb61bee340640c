"""Block Kit formatters. Pure: values in, (fallback text, blocks) out.

Council text reaches a block only through `bot.slack.escape` (see there): the builders below
take `Mrkdwn` / `PlainText`, never a raw `str`, so mypy refuses unescaped text. `clip` keeps
every message within Slack's limits without cutting an entity or a link.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.domain import AnfrageView, SessionInfo
from bot.faction import Perspective, is_ours, split_factions
from bot.slack import texts
from bot.slack.answer_blocks import answer_sections
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
)

# The primitives live in kit.py; re-exported here for the many callers that import them from
# this module.
from bot.slack.kit import MAX_BLOCKS as MAX_BLOCKS
from bot.slack.kit import MAX_FIELD as MAX_FIELD
from bot.slack.kit import MAX_HEADER as MAX_HEADER
from bot.slack.kit import MAX_SECTION as MAX_SECTION
from bot.slack.kit import MAX_TEXT as MAX_TEXT
from bot.slack.kit import Block as Block
from bot.slack.kit import button as button
from bot.slack.kit import context as context
from bot.slack.kit import escape as escape
from bot.slack.kit import fields as fields
from bot.slack.kit import fmt_date as fmt_date
from bot.slack.kit import header as header
from bot.slack.kit import mrkdwn_object as mrkdwn_object
from bot.slack.kit import or_unknown as or_unknown
from bot.slack.kit import pack as pack
from bot.slack.kit import plain as plain
from bot.slack.kit import plain_object as plain_object
from bot.slack.kit import section as section

MAX_QUESTIONS_SHOWN = 15


def fmt_session(s: SessionInfo, tz: ZoneInfo) -> Mrkdwn:
    parts = [bold(or_unknown(mrkdwn(s.committee)))]
    if s.role:
        parts.append(mrkdwn(s.role))
    if s.start:
        local = s.start.astimezone(tz)
        if local.hour or local.minute:
            when = ours(
                texts.SESSION_ON_TIME.format(
                    date=local.strftime("%d.%m.%Y"), time=local.strftime("%H:%M")
                )
            )
        else:
            when = ours(texts.SESSION_ON.format(date=local.strftime("%d.%m.%Y")))
        parts.append(when)
    elif s.session_date:
        parts.append(fill(texts.SESSION_ON, date=fmt_date(s.session_date)))
    if s.agenda_number:
        parts.append(fill(texts.SESSION_TOP, top=mrkdwn(s.agenda_number)))
    if s.cancelled:
        parts.append(ours(texts.SESSION_CANCELLED))
    if s.result:
        parts.append(fill(texts.SESSION_RESULT, result=mrkdwn(s.result)))
    return join(" · ", parts)


def status_text(view: AnfrageView, now: datetime, tz: ZoneInfo) -> Mrkdwn:
    if view.deleted:
        return ours(texts.STATUS_DELETED)
    if view.answered_on:
        return fill(texts.STATUS_ANSWERED, date=fmt_date(view.answered_on))
    upcoming = sorted(
        s.start for s in view.sessions if s.start and s.start >= now and not s.cancelled
    )
    if upcoming:
        return ours(
            texts.STATUS_ON_AGENDA.format(date=upcoming[0].astimezone(tz).strftime("%d.%m.%Y"))
        )
    if any(s.result for s in view.sessions):
        return ours(texts.STATUS_DONE)
    return ours(texts.STATUS_FILED)


def question_lines(view: AnfrageView, limit: int = MAX_QUESTIONS_SHOWN) -> list[Mrkdwn]:
    lines: list[Mrkdwn] = []
    for number, text, items in view.questions[:limit]:
        head = ours(f"*{mrkdwn(number)}.* ") if number else ours("• ")
        lines.append(Mrkdwn(head + mrkdwn(text)))
        lines.extend(fill("    – {item}", item=mrkdwn(i)) for i in items)
    return lines


def overdue_text(days: int) -> Mrkdwn:
    n = ours(texts.OVERDUE_DAY) if days == 1 else fill(texts.OVERDUE_DAYS, n=days)
    return fill(texts.OVERDUE, days=n)


def deadline_text(view: AnfrageView, today: date) -> Mrkdwn | None:
    """ "Antwort fällig bis …" (and "überfällig seit N Tagen" once passed), while unanswered."""
    if view.deadline is None or view.answered_on or view.deleted:
        return None
    due = fill(texts.DUE, date=fmt_date(view.deadline))
    late = (today - view.deadline).days
    return fill("{due} · {late}", due=due, late=overdue_text(late)) if late > 0 else due


def fact_lines(view: AnfrageView, today: date, *, department: bool) -> list[Mrkdwn]:
    """Deadline, department in charge, signatories: each only when known."""
    lines: list[Mrkdwn] = []
    due = deadline_text(view, today)
    if due:
        lines.append(due)
    if department and view.department:
        lines.append(fill(texts.DEPARTMENT, department=mrkdwn(view.department)))
    if view.signatories:
        lines.append(fill(texts.SIGNED, names=mrkdwn(", ".join(view.signatories))))
    return lines


def title_for(view: AnfrageView, plain_ref: PlainText, new: str, new_noref: str) -> PlainText:
    """ "Unsere Anfrage 14/1923" for ours, else the given header."""
    if view.ours:
        return (
            fill_plain(texts.OURS_HEADER, ref=plain_ref)
            if plain_ref
            else PlainText(texts.OURS_HEADER_NOREF)
        )
    return fill_plain(new, ref=plain_ref) if plain_ref else PlainText(new_noref)


def summary_blocks(
    view: AnfrageView,
    title: PlainText,
    *,
    now: datetime,
    tz: ZoneInfo,
    department: bool = False,
) -> list[Block]:
    """Header, subject and the four facts: the top of every message about one Anfrage."""
    faction = ", ".join(view.factions)
    facts = fact_lines(view, now.astimezone(tz).date(), department=department)
    return [
        header(title),
        section(bold(or_unknown(mrkdwn(view.subject)))),
        fields(
            [
                fill("*{label}*\n{value}", label=ours(label), value=value)
                for label, value in (
                    (texts.LABEL_FACTION, or_unknown(mrkdwn(faction))),
                    (texts.LABEL_DATE, fmt_date(view.date)),
                    (texts.LABEL_TYPE, or_unknown(mrkdwn(view.paper_type))),
                    (texts.LABEL_STATUS, status_text(view, now, tz)),
                )
            ]
        ),
        *([section(join("\n", facts))] if facts else []),
    ]


def answer_blocks_of(view: AnfrageView, *, room: int) -> list[Block]:
    """The answer question by question (issue 16), when it was read; see answer_blocks.py."""
    return answer_sections(
        view.answer_lines, view.answer_url, answered_by=view.answered_by, room=room
    )


def announcement(view: AnfrageView, *, now: datetime, tz: ZoneInfo) -> tuple[str, list[Block]]:
    ref = plain_text(view.reference)
    faction = ", ".join(view.factions)
    title = title_for(view, ref, texts.NEW_ANFRAGE, texts.NEW_ANFRAGE_NOREF)
    blocks = summary_blocks(view, title, now=now, tz=tz)
    if view.questions:
        lines = [bold(ours(texts.LABEL_QUESTIONS)), *question_lines(view)]
        hidden = len(view.questions) - MAX_QUESTIONS_SHOWN
        if hidden > 0:
            more = (
                fill(
                    texts.MORE_QUESTIONS_LINK,
                    n=hidden,
                    link=link(view.document_url, ours(texts.LINK_READ_MORE)),
                )
                if view.document_url
                else fill(texts.MORE_QUESTIONS, n=hidden)
            )
            lines.append(more)
        blocks.extend(section(chunk) for chunk in pack(lines)[:10])
    elif view.document_note:
        blocks.append(context(mrkdwn(view.document_note)))
    if view.sessions:
        lines = [bold(ours(texts.LABEL_CONSULTATION))]
        lines += [fmt_session(s, tz) for s in view.sessions[:10]]
        blocks.extend(section(chunk) for chunk in pack(lines)[:3])
    blocks.extend(answer_blocks_of(view, room=MAX_BLOCKS - 1 - len(blocks)))
    links = [
        link(url, ours(label))
        for url, label in ((view.web, texts.LINK_RIS), (view.document_url, texts.LINK_DOCUMENT))
        if url
    ]
    if links:
        blocks.append(context(join(" · ", links)))
    fallback = fill(
        texts.FALLBACK_OURS if view.ours else texts.FALLBACK_ANNOUNCE,
        ref=mrkdwn(" ".join((view.reference or "").split())),
        faction=fill(" ({faction})", faction=mrkdwn(faction)) if faction else ours(""),
        subject=or_unknown(mrkdwn(view.subject)),
    )
    return clip(fallback, MAX_TEXT), blocks[:MAX_BLOCKS]


def owner_mark(factions: tuple[str, ...] | list[str], ours_: bool, configured: bool) -> Mrkdwn:
    """For list lines: "*Unsere Anfrage* · " for ours, "(Fraktion X) " for another faction's;
    nothing without `[faction]` (everything stays as it was)."""
    if not configured:
        return ours("")
    if ours_:
        return ours(texts.OURS_MARK + " · ")
    if factions:
        return fill("({f}) ", f=mrkdwn(", ".join(factions)))
    return ours("")


def owner_of(faction_text: str | None, perspective: Perspective) -> Mrkdwn:
    """`owner_mark` for a paper's stored faction text ("A, B")."""
    factions = split_factions(faction_text)
    return owner_mark(factions, is_ours(factions, perspective.faction), perspective.configured)
