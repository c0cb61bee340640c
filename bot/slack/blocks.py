"""Block Kit formatters. Pure: values in, (fallback text, blocks) out.

Council text reaches a block only through `bot.slack.escape` (see there): the builders below
take `Mrkdwn` / `PlainText`, never a raw `str`, so mypy refuses unescaped text. `clip` keeps
every message within Slack's limits without cutting an entity or a link.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain import AnfrageView, SessionInfo
from bot.faction import Perspective, is_ours, split_factions
from bot.slack import texts
from bot.slack.escape import (
    Mrkdwn,
    PlainText,
    bold,
    clip,
    clip_plain,
    fill,
    fill_plain,
    join,
    link,
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
MAX_QUESTIONS_SHOWN = 15

# Old names, kept for callers: `escape` is `mrkdwn`, `plain` is `plain_text`.
escape = mrkdwn
plain = plain_text


def fmt_date(value: date | None) -> Mrkdwn:
    return ours(value.strftime("%d.%m.%Y") if value else texts.UNKNOWN)


def or_unknown(text: Mrkdwn) -> Mrkdwn:
    return text or ours(texts.UNKNOWN)


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
        parts.append(fill("Ergebnis: {result}", result=mrkdwn(s.result)))
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


def question_lines(view: AnfrageView, limit: int = MAX_QUESTIONS_SHOWN) -> list[Mrkdwn]:
    lines: list[Mrkdwn] = []
    for number, text, items in view.questions[:limit]:
        head = ours(f"*{mrkdwn(number)}.* ") if number else ours("• ")
        lines.append(Mrkdwn(head + mrkdwn(text)))
        lines.extend(fill("    – {item}", item=mrkdwn(i)) for i in items)
    return lines


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
    from bot.slack.answer_blocks import answer_sections  # it builds on this module

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
