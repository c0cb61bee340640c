"""The paper's reference (Drucksache number) from the head of the document."""

from __future__ import annotations

import re

from bot.document.anfrage.lines import Ctx
from bot.document.anfrage.paper_type import match_type
from bot.document.anfrage.vocabulary import (
    REF_ALONE_RE,
    REF_LABEL,
    REF_LABEL_RE,
    REF_PACKED_RE,
    REF_SERIAL_RE,
    REF_TOKEN_RE,
    REF_VALUE_RE,
    normalize_reference,
)

# A labelled number on a line that is about another paper (received, decided, referred to).
_OTHER_PAPER_RE = re.compile(r"\b(eingegangen|Beschluss des|Antrag der|Bezug)\b")
# A label closing its line ("Stadt X<tab>Drucksache"), the number alone on the next.
_LABEL_AT_END_RE = re.compile(rf"(?:^|\t){REF_LABEL}\s*:?$")
_LABEL_CELL_RE = re.compile(rf"{REF_LABEL}\s*:?")
_NUMBER_CELL_RE = re.compile(r"(Nr\.|Nummer|Drucksache)")
_PROSE_BEFORE_RE = re.compile(r"[a-zäöüß]{3,}\s+$")
_NR_ON_TYPE_LINE_RE = re.compile(r"\bNr\.\s*(\d{1,5}\s*/\s*\d{2,4})\b")


def _norm_ref(value: str) -> str:
    """A matched number as stored: spaces folded, ``14 / 1923`` → ``14/1923``, no dash ends."""
    return (normalize_reference(value) or "").strip(" -–")


def _cited_in_prose(line: str, start: int, in_body: bool) -> bool:
    """A number cited inside a sentence of the body ("in der Antwort auf unsere Anfrage 14/1870
    hat ...") is not the paper's own reference; a header label starts its line or cell."""
    if not in_body or start == 0 or line[:start].endswith("\t"):
        return False
    return len(line) > 60 and bool(_PROSE_BEFORE_RE.search(line[:start]))


def find_reference(ctx: Ctx) -> str | None:
    head = ctx.lines[: max(ctx.header_end, 40)]
    for i, line in enumerate(head):
        m = REF_LABEL_RE.search(line)
        if (
            m
            and not _OTHER_PAPER_RE.search(line)
            and not _cited_in_prose(line, m.start(), i >= ctx.header_end)
        ):
            return _norm_ref(m.group(1))
        # A label closing its line ("Stadt X<tab>Drucksache"), the number alone on the next.
        if _LABEL_AT_END_RE.search(line.strip()) and i + 1 < len(head):
            nxt = head[i + 1].split("\t")[0].strip()
            m6 = REF_VALUE_RE.fullmatch(nxt)
            if m6:
                return _norm_ref(m6.group(1))
        cells = [c.strip() for c in line.split("\t")]
        # A header row of labels with the values in the row below: "Drucksache<tab>Datum" /
        # "25-0614<tab>12.06.2025".
        if len(cells) > 1 and i + 1 < len(head):
            below = [c.strip() for c in head[i + 1].split("\t")]
            for ci, cell in enumerate(cells):
                if ci < len(below) and _LABEL_CELL_RE.fullmatch(cell):
                    m7 = REF_VALUE_RE.fullmatch(below[ci])
                    if m7:
                        return _norm_ref(m7.group(1))
        # Columns of a header table: "Vorlagen-Nr.<tab>VO/2025/0142".
        if len(cells) > 1 and _NUMBER_CELL_RE.search(cells[0]):
            m2 = REF_VALUE_RE.search(cells[1])
            if m2:
                return _norm_ref(m2.group(1))
    for line in head[:25]:
        for cell in line.split("\t"):
            m = REF_ALONE_RE.match(cell.strip())
            if m:
                return _norm_ref(m.group(1))
    for line in head[:15]:
        m4 = REF_TOKEN_RE.search(line)
        if m4:
            return m4.group(1)
    for line in head:
        m3 = REF_PACKED_RE.search(line)
        if m3:
            return f"{m3.group(1)}/{m3.group(2)}"
    # A plain serial number after an explicit label: "Vorlage Nr. 20252219" (Bochum).
    for line in head[:15]:
        m8 = REF_SERIAL_RE.search(line)
        if m8:
            return m8.group(1)
    # "Antrag und Anfrage vom 22.05.2025 Nr. 142/2025": a number on the paper-type line.
    for line in head[:15]:
        m5 = _NR_ON_TYPE_LINE_RE.search(line)
        if m5 and match_type(line.strip()):
            return _norm_ref(m5.group(1))
    return None
