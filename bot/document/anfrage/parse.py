"""One pass over the text: split it into lines, find the header's end and whether it is an
answer document, then let each field reader look at the same lines."""

from __future__ import annotations

import re

from bot.document.anfrage.consultations import find_consultations
from bot.document.anfrage.date import find_doc_date
from bot.document.anfrage.factions import find_factions
from bot.document.anfrage.lines import Ctx
from bot.document.anfrage.paper_type import find_paper_type
from bot.document.anfrage.questions import find_questions, split_inline, typical_width
from bot.document.anfrage.reference import find_reference
from bot.document.anfrage.signatories import find_signatories
from bot.document.anfrage.subject import find_subject
from bot.document.anfrage.vocabulary import CUE_RE, ITEM_RE
from bot.document.clean import clean_text
from bot.document.model import ParsedAnfrage

_BODY_START_RE = re.compile(r"^(Vorbemerkung|Sachverhalt|Begründung|Anfrage$|Antrag$)")
_AUTHOR_LINE_RE = re.compile(r"^(der|des|von)\s")
_ANSWER_DOC_RE = re.compile(
    r"^(mit Antwort|Antwort\b(?!\s+(?:auf|zu)\b)|ANTWORT$|Zu Frage\b|Zu den Fragen\b|"
    r"Beantwortung\b|Stellungnahme der Verwaltung)",
    re.M,
)
_ANSWER_LABEL_RE = re.compile(r"^Antwort\s*:", re.M)


def _header_end(lines: list[str]) -> int:
    """Rough end of the header block: the first long prose line or the first numbered item."""
    for i, line in enumerate(lines):
        if i > 3 and (len(line) > 140 or ITEM_RE.match(line) or CUE_RE.search(line)):
            return i
        if _BODY_START_RE.match(line.strip()) and i > 3:
            # A bare "Anfrage" followed by its author line ("der CDU-Fraktion") is the type
            # heading of the header, not the start of the body.
            nxt = next((ln.strip() for ln in lines[i + 1 : i + 3] if ln.strip()), "")
            if _AUTHOR_LINE_RE.match(nxt):
                continue
            return i
    return min(len(lines), 30)


def parse_anfrage(text: str) -> ParsedAnfrage:
    """Parse the text of an Anfrage (raw or cleaned). Pure; never raises for odd input."""
    return parse_cleaned_anfrage(clean_text(text or ""))


def parse_cleaned_anfrage(cleaned: str) -> ParsedAnfrage:
    """Parse a text ``clean_text`` has already cleaned (the reader and the CLI clean once)."""
    lines = split_inline(cleaned.split("\n"))
    ctx = Ctx(lines=lines, header_end=_header_end(lines))
    ctx.typical_width = typical_width(lines)
    ctx.answer_doc = bool(_ANSWER_DOC_RE.search(cleaned)) or bool(_ANSWER_LABEL_RE.search(cleaned))
    questions, q_end = find_questions(ctx)
    return ParsedAnfrage(
        reference=find_reference(ctx),
        date=find_doc_date(ctx),
        paper_type=find_paper_type(ctx),
        subject=find_subject(ctx),
        factions=tuple(find_factions(ctx, q_end)),
        questions=tuple(questions),
        consultations=tuple(find_consultations(ctx)),
        signatories=tuple(find_signatories(ctx, q_end)),
    )
