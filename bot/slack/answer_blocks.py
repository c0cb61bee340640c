"""The answer read question by question, as Slack blocks (issue 16 item 4). Pure: a pairing in,
escaped sections out; used by the answer's thread reply, the parent announcement and
`/anfrage 14/1923`.

One line per question: "Frage 1: <one or two sentences of the answer, at most ~200 characters>",
"Frage 3: nicht beantwortet", "Frage 4: zurückgestellt – <excerpt>". Long lists are collapsed
after MAX_SHOWN questions with a link to the answer, and never take more than MAX_SECTIONS
sections (each within Slack's 3,000 characters)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.document.answers import answer_excerpts
from bot.document.model import AnswerPairing
from bot.slack import texts
from bot.slack.escape import Mrkdwn, bold, fill, join, link, mrkdwn, ours, safe_url
from bot.slack.kit import MAX_SECTION, Block, pack, section

MAX_SHOWN = 10
MAX_SECTIONS = 4
EXCERPT_CHARS = 200

_HEAD = re.compile(r"^(Frage [^:\s]{1,12}:)\s*(.*)$", re.DOTALL)


def excerpt_lines(pairing: AnswerPairing) -> list[str]:
    """Raw (unescaped) lines, one per question."""
    return answer_excerpts(pairing, EXCERPT_CHARS)


def _line(raw: str) -> Mrkdwn:
    m = _HEAD.match(raw)
    if m is None:
        return join("", [ours("• "), mrkdwn(raw)])
    return join("", [ours("• "), bold(mrkdwn(m.group(1))), ours(" "), mrkdwn(m.group(2))])


def _more(hidden: int, url: str | None) -> Mrkdwn:
    if safe_url(url):
        return fill(texts.MORE_ANSWERS_LINK, n=hidden, link=link(url, ours(texts.LINK_READ_ANSWER)))
    return fill(texts.MORE_ANSWERS, n=hidden)


def answer_sections(
    lines: Sequence[str],
    url: str | None,
    *,
    answered_by: str | None = None,
    room: int = MAX_SECTIONS,
) -> list[Block]:
    """Sections for the excerpt `lines` (raw text, escaped here); at most `room` blocks."""
    limit = min(room, MAX_SECTIONS)
    if not lines or limit <= 0:
        return []
    head = bold(ours(texts.ANSWERS_LABEL))
    if answered_by:
        head = join(" ", [head, fill(f"({texts.ANSWERS_BY})", office=mrkdwn(answered_by))])
    shown = min(len(lines), MAX_SHOWN)
    while True:
        body = [head, *(_line(raw) for raw in lines[:shown])]
        if shown < len(lines):
            body.append(_more(len(lines) - shown, url))
        chunks = pack(body, MAX_SECTION)
        if len(chunks) <= limit or shown == 0:
            return [section(c) for c in chunks[:limit]]
        shown -= 1
