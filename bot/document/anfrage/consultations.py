"""The Beratungsfolge printed on the paper (committee, role, meeting date, agenda item): a
table with a header row, space-separated rows, a form ("Gremium: … Sitzungstermin: …") or a
session named on the paper-type line."""

from __future__ import annotations

import datetime as dt
import re

from bot.document.anfrage.lines import Ctx, find_date, next_nonblank, strip_dates, ws
from bot.document.anfrage.vocabulary import LABEL_LINE_RE
from bot.document.model import PrintedConsultation

_BERATUNGSFOLGE_RE = re.compile(r"^(Beratungsfolge|Beratungsreihenfolge|Beratungsgang)\b")
_ROLE_RE = re.compile(
    r"\b(zur Kenntnis(?:nahme)?|Kenntnisnahme|zur Beratung|Vorberatung|Beratung|Entscheidung|"
    r"Beschlussfassung|zur Beschlussfassung|Vorberatend|beschließend|Anhörung|Berichterstattung|"
    r"federführend|zur Beantwortung|Beantwortung|Empfehlung|Vorlage|mitberatend)\b",
    re.IGNORECASE,
)
_COMMITTEE_WORDS = re.compile(
    r"((?i:ausschuss)|Rat\b|(?<=[a-zäöü])rat\b|Stadtrat|Gemeinderat|Kreistag|Bezirks|Beirat|Versammlung|Verbandsversammlung|"
    r"(?i:versammlung)|Haupt|Kommission|Präsidium|Vertretung|Bürgerschaft|Magistrat|Senat|Ortsrat|Kreisausschuss)",
)
# Header cells of a Beratungsfolge table, by the column they name.
_COLUMN_RES = [
    ("committee", re.compile(r"beratungsfolge|gremium|ausschuss")),
    ("role", re.compile(r"status|zuständigkeit|rolle|beratungsart|art")),
    ("date", re.compile(r"sitzung|datum|termin")),
    ("top", re.compile(r"top|tagesordnung")),
]
# "Ö 5" at the end of a row, or "TOP 5" anywhere.
_ROW_TOP_RE = re.compile(r"\b(?:TOP\s*)?([ÖN]\s?\d+(?:\.\d+)*)\s*$|\bTOP\s*:?\s*(\d+(?:\.\d+)*)")
_PUBLIC_AT_END_RE = re.compile(r"\b(öffentlich|nichtöffentlich|nicht öffentlich|Ö|N)\b\s*$")
_TABLE_HEADER_CELL_RE = re.compile(r"Datum|Sitzung|Termin")
_HEADER_WORDS_ROW_RE = re.compile(r"^(Datum|Gremium|Sitzung|Status|Zuständigkeit|Beratung)\b")
# "Anfrage zur Sitzung der Stadtverordnetenversammlung am 27.03.2025".
_SESSION_LINE_RE = re.compile(
    r"^(?:\w+\s+){0,3}(?:Anfrage|Antrag)\w*\s+(?:zur|für die)\s+Sitzung\s+(?:des|der)\s+"
    r"(.+?)\s+(?:am|vom)\s+(.+)$"
)


def _form_field(labels: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A form field's patterns: 'Label: value' / 'Label<TAB>value', and a bare 'Label' line."""
    return re.compile(rf"^(?:{labels})\s*[:\t]\s*(.+)$"), re.compile(rf"(?:{labels}):?")


_COMMITTEE_FIELD = _form_field(r"Gremium|Beratung in|Adressat")
_MEETING_DATE_FIELD = _form_field(r"Sitzungstermin|Sitzung am|Sitzungsdatum")


def _header_columns(cells: list[str]) -> dict[str, int]:
    cols: dict[str, int] = {}
    for i, c in enumerate(cells):
        lc = c.lower()
        # The first column not yet taken whose pattern matches.
        for key, rx in _COLUMN_RES:
            if key not in cols and rx.search(lc):
                cols[key] = i
                break
    return cols


def _consultation_from_text(row: str) -> PrintedConsultation | None:
    """A row without tab structure: 'Ausschuss für X 12.03.2025 Vorberatung Ö 5'."""
    if not _COMMITTEE_WORDS.search(row):
        return None
    date = find_date(row)
    role_m = _ROLE_RE.search(row)
    role = role_m.group(1) if role_m else None
    top = None
    tm = _ROW_TOP_RE.search(row)
    if tm:
        top = ws(tm.group(1) or tm.group(2))
    committee = strip_dates(row)
    if role_m:
        committee = committee.replace(role_m.group(1), " ")
    if tm:
        committee = committee.replace(tm.group(0), " ")
    committee = _PUBLIC_AT_END_RE.sub(" ", committee)
    committee = ws(committee).strip(" ,;-–")
    if not committee:
        return None
    return PrintedConsultation(committee=committee, role=role, date=date, agenda_item=top)


def find_consultations(ctx: Ctx) -> list[PrintedConsultation]:
    lines = ctx.lines
    out: list[PrintedConsultation] = []
    for i, line in enumerate(lines):
        cells = [c.strip() for c in line.split("\t")]
        heading = _BERATUNGSFOLGE_RE.match(line.strip()) is not None
        if not heading:
            # A bare table header row: "Gremium<TAB>Datum der Sitzung".
            if not (
                len(cells) > 1
                and cells[0] in ("Gremium", "Beratungsgremium")
                and any(_TABLE_HEADER_CELL_RE.search(c) for c in cells[1:])
            ):
                continue
        elif len(cells) == 1:
            # "Beratungsfolge:" on its own line, then a tab header row: read that instead.
            nxt_i = next_nonblank(lines, i + 1, min(len(lines), i + 3))
            if nxt_i is not None:
                nxt_cells = [c.strip() for c in lines[nxt_i].split("\t")]
                if (
                    len(nxt_cells) > 1
                    and not find_date(lines[nxt_i])
                    and _header_columns(nxt_cells).get("committee") is not None
                ):
                    i, cells = nxt_i, nxt_cells
        if len(cells) > 1:
            cols = _header_columns(cells)
            cols.setdefault("committee", 0)
            for row in lines[i + 1 : i + 12]:
                if not row.strip():
                    if out:
                        break
                    continue
                rc = [c.strip() for c in row.split("\t")]
                if len(rc) < 2:
                    break

                def cell(key: str, rc: list[str] = rc, cols: dict[str, int] = cols) -> str | None:
                    idx = cols.get(key)
                    if idx is None or idx >= len(rc) or not rc[idx]:
                        return None
                    return rc[idx]

                committee = cell("committee")
                if not committee:
                    continue
                date_s = cell("date")
                out.append(
                    PrintedConsultation(
                        committee=ws(committee),
                        role=ws(cell("role") or "") or None,
                        date=find_date(date_s) if date_s else None,
                        agenda_item=ws(cell("top") or "") or None,
                    )
                )
            if out:
                return out
            continue
        # Space-separated layout: header row words then rows.
        for row in lines[i + 1 : i + 12]:
            r = row.strip()
            if not r:
                if out:
                    break
                continue
            if _HEADER_WORDS_ROW_RE.match(r) and not find_date(r):
                continue
            c = _consultation_from_text(r.replace("\t", " "))
            if c is None:
                break
            out.append(c)
        if out:
            return out
    # Form layout: "Gremium: Stadtrat" + "Sitzungstermin: 20.05.2025".
    form_committee: str | None = None
    date: dt.date | None = None
    head = lines[: max(ctx.header_end, 30)]
    for i in range(len(head)):
        value = _form_value(head, i, _COMMITTEE_FIELD)
        if value and form_committee is None and _COMMITTEE_WORDS.search(value):
            form_committee = ws(value.replace("\t", " "))
        value = _form_value(head, i, _MEETING_DATE_FIELD)
        if value and date is None:
            date = find_date(value)
    if form_committee:
        out.append(
            PrintedConsultation(committee=form_committee, role=None, date=date, agenda_item=None)
        )
        return out
    # "Anfrage zur Sitzung der Stadtverordnetenversammlung am 27.03.2025".
    for line in head:
        m = _SESSION_LINE_RE.match(line.strip())
        if m and _COMMITTEE_WORDS.search(m.group(1)) and find_date(m.group(2)):
            out.append(
                PrintedConsultation(
                    committee=ws(m.group(1)),
                    role=None,
                    date=find_date(m.group(2)),
                    agenda_item=None,
                )
            )
            break
    return out


def _form_value(
    lines: list[str], i: int, field: tuple[re.Pattern[str], re.Pattern[str]]
) -> str | None:
    """Value of a form field at line ``i``: 'Label: value', 'Label<TAB>value', or a bare
    'Label' line with the value on the next non-blank line."""
    line = lines[i].strip()
    value_re, bare_re = field
    m = value_re.match(line)
    if m:
        return m.group(1).strip()
    if bare_re.fullmatch(line):
        j = next_nonblank(lines, i + 1, min(len(lines), i + 3))
        if j is not None:
            nxt = lines[j].strip()
            if not LABEL_LINE_RE.match(nxt) and len(nxt) < 160:
                return nxt
    return None
