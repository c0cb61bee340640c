"""The paper's date, from the head of the document."""

from __future__ import annotations

import datetime as dt
import re

from bot.document.anfrage.lines import Ctx, find_date
from bot.document.anfrage.vocabulary import DATE_RE, NUM_DATE

_DATE_LABEL_RE = re.compile(
    r"\b(?:Datum|Erstellungsdatum|Datum der Anfrage|vom|"
    r"Eingang(?:sdatum)?(?: [^:\t]{0,40})?)\s*[:\t]\s*(.*)"
)
_PLACE_DATE_RE = re.compile(r",\s*den\s+(.*)")
# The line may wrap twice in a narrow print ("Antwort des Ministeriums für … / namens der /
# Landesregierung vom 06.07.2026").
_ANSWER_DATE_RE = re.compile(r"^Antwort\b[^\n]*(?:\n[^\n]*){0,2}?\bvom\s+(" + NUM_DATE + ")", re.M)
_OTHER_EVENT_RE = re.compile(r"(eingegangen|Sitzung|übersandt|verteilt|Beschluss|Frist)", re.I)


def find_doc_date(ctx: Ctx) -> dt.date | None:
    head = ctx.lines[: max(ctx.header_end, 15)][:45]
    # 1. Explicit label.
    for line in head:
        m = _DATE_LABEL_RE.search(line)
        if m:
            d = find_date(m.group(1))
            if d:
                return d
    # 2. "Hannover, den 10.07.2026".
    for line in head:
        m = _PLACE_DATE_RE.search(line)
        if m:
            d = find_date(m.group(1))
            if d:
                return d
    # 3. Answer date ("Antwort des ... vom 15.07.2026"), the date of an answer document.
    m = _ANSWER_DATE_RE.search("\n".join(head[:25]))
    if m:
        d = find_date(m.group(1))
        if d:
            return d
    # 4. A date standing alone in a header cell.
    for line in head[:30]:
        for cell in line.split("\t"):
            cell = cell.strip()
            if cell and DATE_RE.fullmatch(cell):
                d = find_date(cell)
                if d:
                    return d
    # 5. A date in the top lines that is not about something else (eingegangen, Sitzung ...).
    for line in head[:12]:
        if _OTHER_EVENT_RE.search(line):
            continue
        d = find_date(line)
        if d:
            return d
    return None
