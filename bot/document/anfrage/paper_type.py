"""The paper type ("Kleine Anfrage", "Antrag", "Beantwortung einer Anfrage", …)."""

from __future__ import annotations

import re

from bot.document.anfrage.lines import Ctx
from bot.document.anfrage.vocabulary import PAPER_TYPES


# Each type as a pattern at the start of a text (spaces may be any whitespace run).
def _type_re(paper_type: str) -> re.Pattern[str]:
    words = re.escape(paper_type).replace(r"\ ", r"\s+")
    return re.compile(rf"^{words}\b", re.IGNORECASE)


_TYPE_RES = [(t, _type_re(t)) for t in PAPER_TYPES]
# "Vorlage VO/2025/0377", "Anfrage Nr. 12": the type word labels the number, it is not the type.
_TYPE_AS_LABEL_RES = {
    t: re.compile(
        rf"^{re.escape(t)}[\s:.\-–]*(?:(?:Nr\.?\s*:?\s*)?(?-i:[A-Z]{{0,4}})[-/ ]?\d+\s*/|"
        r"Nr\.?\s*:?\s*\d+\s*$)",
        re.IGNORECASE,
    )
    for t in PAPER_TYPES
}
_TYPE_LABEL_RE = re.compile(
    r"^(?:Vorlagen-?art|Drucksachen?-?art|Art der (?:Vorlage|Drucksache)|Vorlagentyp|Dokumentart|"
    r"Art|Typ)\s*[:\t]\s*(.+)$",
    re.IGNORECASE,
)
# What may follow a paper type on its line without making it prose: the legal basis
# ("Anfrage gem. § 4 der Geschäftsordnung"), the session ("Anfrage zur Sitzung des Rates am ..."),
# a date ("vom 22.05.2025").
_TYPE_TAIL_RE = re.compile(
    r"\s+(?:gem\.|gemäß|nach|i\.\s?S\.\s?d\.)\s+§.*$|\s+(?:zur|für die)\s+Sitzung\b.*$|"
    r"\s+vom\s+\d{1,2}\..*$|\s+öffentlich$",
    re.IGNORECASE,
)
# "Anfrage der Abgeordneten ...": names the author (Landtag), the type only as a last resort.
_AUTHOR_LINE_RE = re.compile(r"^(Antrag|Anfrage)\s+(der|des|von)\b")


def match_type(s: str) -> str | None:
    """The paper type ``s`` starts with, most specific first."""
    for t, rx in _TYPE_RES:
        if rx.search(s):
            return t
    return None


def find_paper_type(ctx: Ctx) -> str | None:
    head = ctx.lines[: max(ctx.header_end, 12)][:40]
    for line in head:
        m = _TYPE_LABEL_RE.match(line.strip())
        if m:
            t = match_type(m.group(1).strip())
            if t:
                return t
    for line in head:
        for cell in line.split("\t"):
            cell = cell.strip()
            if not cell or _AUTHOR_LINE_RE.match(cell):
                # "Anfrage der Abgeordneten ..." names the author, not the paper type (Landtag);
                # only use it when nothing better is found.
                continue
            t = match_type(cell)
            if t and _TYPE_AS_LABEL_RES[t].match(cell):
                continue  # "Vorlage VO/2025/0377" labels the number, it is not the type
            if t and (len(_TYPE_TAIL_RE.sub("", cell)) < len(t) + 40 or t.startswith("Kleine")):
                return t
    for line in head:
        m = _AUTHOR_LINE_RE.match(line.strip())
        if m:
            return m.group(1)
    return None
