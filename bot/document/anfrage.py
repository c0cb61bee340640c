"""Read an Anfrage (or a related council/Landtag paper) out of its plain text.

``parse_anfrage`` is pure: text in, ``ParsedAnfrage`` out, no I/O and no clock. It never raises
for odd input; fields it cannot find are ``None`` / empty. It prefers general layout rules
(numbering sequences, cue phrases, ``?`` endings, Beratungsfolge tables) over per-document hacks.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from dataclasses import dataclass, field

from bot.document.clean import clean_text
from bot.document.model import Consultation, ParsedAnfrage, Question
from bot.document.prose import REQUEST_CUE_RE, prose_questions, split_questions

# --------------------------------------------------------------------------------------------
# Dates

_MONTHS = {
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "maerz": 3, "april": 4, "mai": 5,
    "juni": 6, "juli": 7, "august": 8, "september": 9, "oktober": 10, "november": 11,
    "dezember": 12,
}  # fmt: skip
_NUM_DATE = r"(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4}|\d{2})(?!\d)"
_WORD_DATE = r"(\d{1,2})\.\s?(" + "|".join(_MONTHS) + r")\s+(\d{4})"
_DATE_RE = re.compile(rf"{_NUM_DATE}|{_WORD_DATE}", re.IGNORECASE)


def _make_date(m: re.Match[str]) -> dt.date | None:
    try:
        if m.group(1):
            d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
            if y < 100:
                y += 2000
        else:
            d, mo, y = int(m.group(4)), _MONTHS[m.group(5).lower()], int(m.group(6))
        return dt.date(y, mo, d)
    except (ValueError, KeyError, TypeError):
        return None


def _find_date(s: str) -> dt.date | None:
    for m in _DATE_RE.finditer(s):
        d = _make_date(m)
        if d is not None:
            return d
    return None


def _strip_dates(s: str) -> str:
    return _DATE_RE.sub(" ", s)


# --------------------------------------------------------------------------------------------
# Small helpers


def _ws(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def _unmark(s: str) -> str:
    """Remove markdown emphasis markers."""
    return _ws(re.sub(r"\*\*|__", "", s))


@dataclass
class _Ctx:
    lines: list[str]
    header_end: int  # index of the first body line (rough)
    answer_doc: bool = False
    typical_width: int = 80


# --------------------------------------------------------------------------------------------
# Reference (Drucksache number)

_REF_LABEL = (
    r"(?:Drucksachen?|Drs\.|Vorlagen?|Anfrage|Antrag|Beschlussvorlage|Mitteilungsvorlage)"
    r"(?:[-–\s]?(?:Nr\.?|Nummer|nummer))?"
)
_REF_VALUE = (
    r"([A-Z]{1,4}[-/]\d{2,5}/(?:[IVX]{1,5}|[A-Z]{1,3})\b|"
    # An ALLRIS suffix with a letter ("0412/2025/4A") belongs to the number.
    r"[A-Z]{0,4}[-/ ]?\d{1,5}(?:\s*/\s*\d{1,6}(?![A-Z]\b))+(?:-\d+|/\d{1,2}[A-Z]\b)?|"
    r"[A-Z]{1,4}\d{3,6}/\d{2,4}|\d{2}-\d{2}/\d{3,5}\b|\d{3,5}/[IVX]{1,5}\b|"
    r"\d{1,2}-\d{3,5}\b)"
)
_REF_TOKEN_RE = re.compile(r"(?<![\w/])([A-Z]{1,3}\d{3,5}/\d{2}(?:\d{2})?)(?![\w/])")
_REF_LABEL_RE = re.compile(rf"\b{_REF_LABEL}\s*[:.\-–]?\s*[-–]?\s*{_REF_VALUE}")
_REF_ALONE_RE = re.compile(
    r"^(?:Nr\.\s*)?(\d{1,2}\s*/\s*\d{2,6}|[A-Z]{1,4}[-/ ]?\d{1,5}\s*/\s*\d{2,4})$"
)
_REF_SERIAL_RE = re.compile(r"\b(?:Vorlagen?|Drucksache)[-\s]?Nr\.?\s*:?\s*(\d{6,9})\b")
_REF_PACKED_RE = re.compile(r"\bDrucksache(?:[-\s]?Nr\.?)?\s*:?\s*(\d{2})(\d{4})\b")


def _norm_ref(value: str) -> str:
    value = _ws(value)
    return re.sub(r"\s*/\s*", "/", value).strip(" -–")


def _cited_in_prose(line: str, start: int, in_body: bool) -> bool:
    """A number cited inside a sentence of the body ("in der Antwort auf unsere Anfrage 14/1870
    hat ...") is not the paper's own reference; a header label starts its line or cell."""
    if not in_body or start == 0 or line[:start].endswith("\t"):
        return False
    return len(line) > 60 and bool(re.search(r"[a-zäöüß]{3,}\s+$", line[:start]))


def _find_reference(ctx: _Ctx) -> str | None:
    head = ctx.lines[: max(ctx.header_end, 40)]
    for i, line in enumerate(head):
        m = _REF_LABEL_RE.search(line)
        if (
            m
            and not re.search(r"\b(eingegangen|Beschluss des|Antrag der|Bezug)\b", line)
            and not _cited_in_prose(line, m.start(), i >= ctx.header_end)
        ):
            return _norm_ref(m.group(1))
        # A label closing its line ("Stadt X<tab>Drucksache"), the number alone on the next.
        if re.search(rf"(?:^|\t){_REF_LABEL}\s*:?$", line.strip()) and i + 1 < len(head):
            nxt = head[i + 1].split("\t")[0].strip()
            m6 = re.fullmatch(_REF_VALUE, nxt)
            if m6:
                return _norm_ref(m6.group(1))
        # Columns of a header table: "Vorlagen-Nr.<tab>VO/2025/0142".
        cells = [c.strip() for c in line.split("\t")]
        # A header row of labels with the values in the row below: "Drucksache<tab>Datum" /
        # "25-0614<tab>12.06.2025".
        if len(cells) > 1 and i + 1 < len(head):
            below = [c.strip() for c in head[i + 1].split("\t")]
            for ci, cell in enumerate(cells):
                if ci < len(below) and re.fullmatch(rf"{_REF_LABEL}\s*:?", cell):
                    m7 = re.fullmatch(_REF_VALUE, below[ci])
                    if m7:
                        return _norm_ref(m7.group(1))
        if len(cells) > 1 and re.search(r"(Nr\.|Nummer|Drucksache)", cells[0]):
            m2 = re.search(_REF_VALUE, cells[1])
            if m2:
                return _norm_ref(m2.group(1))
    for line in head[:25]:
        for cell in line.split("\t"):
            m = _REF_ALONE_RE.match(cell.strip())
            if m:
                return _norm_ref(m.group(1))
    for line in head[:15]:
        m4 = _REF_TOKEN_RE.search(line)
        if m4:
            return m4.group(1)
    for line in head:
        m3 = _REF_PACKED_RE.search(line)
        if m3:
            return f"{m3.group(1)}/{m3.group(2)}"
    # A plain serial number after an explicit label: "Vorlage Nr. 20252219" (Bochum).
    for line in head[:15]:
        m8 = _REF_SERIAL_RE.search(line)
        if m8:
            return m8.group(1)
    # "Antrag und Anfrage vom 22.05.2025 Nr. 142/2025": a number on the paper-type line.
    for line in head[:15]:
        m5 = re.search(r"\bNr\.\s*(\d{1,5}\s*/\s*\d{2,4})\b", line)
        if m5 and _match_type(line.strip()):
            return _norm_ref(m5.group(1))
    return None


# --------------------------------------------------------------------------------------------
# Date of the paper


def _find_doc_date(ctx: _Ctx) -> dt.date | None:
    head = ctx.lines[: max(ctx.header_end, 15)][:45]
    # 1. Explicit label.
    for line in head:
        m = re.search(
            r"\b(?:Datum|Erstellungsdatum|Datum der Anfrage|vom|"
            r"Eingang(?:sdatum)?(?: [^:\t]{0,40})?)\s*[:\t]\s*(.*)",
            line,
        )
        if m:
            d = _find_date(m.group(1))
            if d:
                return d
    # 3. "Hannover, den 10.07.2026".
    for line in head:
        m = re.search(r",\s*den\s+(.*)", line)
        if m:
            d = _find_date(m.group(1))
            if d:
                return d
    # 2. Answer date ("Antwort des ... vom 15.07.2026"), the date of an answer document.
    joined = "\n".join(head[:25])
    # The line may wrap twice in a narrow print ("Antwort des Ministeriums für … / namens der /
    # Landesregierung vom 06.07.2026").
    m = re.search(r"^Antwort\b[^\n]*(?:\n[^\n]*){0,2}?\bvom\s+(" + _NUM_DATE + ")", joined, re.M)
    if m:
        d = _find_date(m.group(1))
        if d:
            return d
    # 4. A date standing alone in a header cell.
    for line in head[:30]:
        for cell in line.split("\t"):
            cell = cell.strip()
            if cell and _DATE_RE.fullmatch(cell):
                d = _find_date(cell)
                if d:
                    return d
    # 5. A date in the top lines that is not about something else (eingegangen, Sitzung ...).
    for line in head[:12]:
        if re.search(r"(eingegangen|Sitzung|übersandt|verteilt|Beschluss|Frist)", line, re.I):
            continue
        d = _find_date(line)
        if d:
            return d
    return None


# --------------------------------------------------------------------------------------------
# Paper type

_PAPER_TYPES = [
    "Kleine Anfrage zur kurzfristigen schriftlichen Beantwortung",
    "Kleine Anfrage zur schriftlichen Beantwortung",
    "Kleine Anfrage mit Antwort",
    "Kleine Anfrage",
    "Große Anfrage",
    "Dringliche Anfrage",
    "Dringlichkeitsanfrage",
    "Mündliche Anfrage",
    "Schriftliche Anfrage",
    "Fraktionsanfrage",
    "Einwohnerfrage",
    "Anfrage",
    "Beantwortung einer Anfrage",
    "Antwort",
    "Änderungsantrag",
    "Dringlichkeitsantrag",
    "Fraktionsantrag",
    "Prüfantrag",
    "Antrag und Anfrage",
    "Antrag",
    "Unterrichtung",
    "Beschlussempfehlung",
    "Beschlussvorlage",
    "Mitteilungsvorlage",
    "Informationsvorlage",
    "Mitteilung",
    "Stellungnahme",
    "Vorlage",
]
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


def _match_type(s: str, at_start: bool = True) -> str | None:
    for t in _PAPER_TYPES:
        pat = re.escape(t).replace(r"\ ", r"\s+")
        rx = rf"^{pat}\b" if at_start else rf"\b{pat}\b"
        if re.search(rx, s, re.IGNORECASE):
            return t
    return None


def _find_paper_type(ctx: _Ctx) -> str | None:
    head = ctx.lines[: max(ctx.header_end, 12)][:40]
    for line in head:
        m = _TYPE_LABEL_RE.match(line.strip())
        if m:
            t = _match_type(m.group(1).strip())
            if t:
                return t
    for line in head:
        for cell in line.split("\t"):
            cell = cell.strip()
            if not cell or re.match(r"^(Antrag|Anfrage)\s+(der|des|von)\b", cell):
                # "Anfrage der Abgeordneten ..." names the author, not the paper type (Landtag);
                # only use it when nothing better is found.
                continue
            t = _match_type(cell)
            if t and re.match(
                rf"^{re.escape(t)}[\s:.\-–]*(?:(?:Nr\.?\s*:?\s*)?(?-i:[A-Z]{{0,4}})[-/ ]?\d+\s*/|"
                r"Nr\.?\s*:?\s*\d+\s*$)",
                cell,
                re.IGNORECASE,
            ):
                continue  # "Vorlage VO/2025/0377" labels the number, it is not the type
            if t and (len(_TYPE_TAIL_RE.sub("", cell)) < len(t) + 40 or t.startswith("Kleine")):
                return t
    for line in head:
        m = re.match(r"^(Antrag|Anfrage)\s+(der|des|von)\b", line.strip())
        if m:
            return m.group(1)
    return None


# --------------------------------------------------------------------------------------------
# Subject

_SUBJECT_LABEL_RE = re.compile(
    r"^(?:Betreff|Betr\.|betr\.|Betrifft|Kurztitel|Titel|Gegenstand|Thema)\s*[:\t]\s*(.*)$"
)
_LABEL_LINE_RE = re.compile(r"^[A-ZÄÖÜ][\w/ .-]{1,30}:(\s|$)")


def _find_subject(ctx: _Ctx) -> str | None:
    lines = ctx.lines
    for i, line in enumerate(lines[:80]):
        m = _SUBJECT_LABEL_RE.match(line.strip())
        if not m:
            # A bare label line ("Betreff" / "Kurztitel") with the title on the next line.
            m = re.match(r"^(?:Betreff|Betrifft|Kurztitel|Titel|Gegenstand)()$", line.strip())
        if not m:
            continue
        parts = [m.group(1).strip()] if m.group(1).strip() else []
        j = i + 1
        while j < len(lines) and j < i + 6:
            nxt = lines[j].strip()
            if not nxt:
                # Continue over one blank line when the title is clearly unfinished.
                k = j + 1
                if (
                    parts
                    and k < len(lines)
                    and lines[k].strip()[:1].islower()
                    and not parts[-1].endswith((".", "?", "!"))
                ):
                    j = k
                    continue
                if not parts:
                    j += 1
                    continue
                break
            if _LABEL_LINE_RE.match(nxt) or "\t" in nxt or _is_item_start(nxt):
                break
            if parts and not (nxt[:1].islower() or nxt[:1].isdigit() or len(parts[-1]) > 55):
                break
            parts.append(nxt)
            j += 1
        subject = _ws(" ".join(parts).replace("\t", " "))
        if subject:
            return subject
    return _landtag_subject(ctx) or _title_after_anchor(ctx)


_TITLE_ANCHOR_RE = re.compile(
    r"^(?:(?:der|des)\s+Abgeordneten\b.*|[–-]\s*Drucksache\s+\S+\s*[–-])$"
)


def _title_after_anchor(ctx: _Ctx) -> str | None:
    """An unlabelled title: the line after a bare paper-type line ('Antrag'), after the author
    line of a Landtag paper ('der Abgeordneten X und Y SPD') or after '– Drucksache 20/1 –'."""
    lines = ctx.lines[:45]
    for i, line in enumerate(lines):
        cur = line.strip()
        t = _match_type(cur)
        if not (_TITLE_ANCHOR_RE.match(cur) or (t and len(cur) == len(t))):
            continue
        j = _next_nonblank(lines, i + 1, min(len(lines), i + 4))
        if j is None:
            continue
        nxt = lines[j].strip()
        if (
            len(nxt) < 8
            or len(nxt) > 200
            or "\t" in nxt
            or _LABEL_LINE_RE.match(nxt)
            or _is_item_start(nxt)
            or _match_type(nxt)
            or re.match(r"^(der|des|die|von|auf|gemäß|mit|zu|an|vom)\b", nxt)
            or _DATE_RE.fullmatch(nxt)
            or _TITLE_ANCHOR_RE.match(nxt)
        ):
            continue
        parts = [nxt]
        k = j + 1
        while k < len(lines) and lines[k].strip()[:1].islower() and len(parts) < 3:
            parts.append(lines[k].strip())
            k += 1
        return _ws(" ".join(parts))
    return None


def _landtag_subject(ctx: _Ctx) -> str | None:
    """Niedersachsen/Landtag layout: the title sits between the answer header and the
    'Anfrage der Abgeordneten ..., eingegangen am' line, or after '- Landtagsverwaltung -'."""
    lines = ctx.lines[:40]
    for i, line in enumerate(lines):
        if re.search(r"eingegangen(?:\s+am|\s*$)", line) and re.match(r"^(Anfrage|Antrag)\b", line):
            j = i - 1
            block: list[str] = []
            while j >= 0:
                cur = lines[j].strip()
                if (
                    not cur
                    or cur.endswith("Landesregierung")
                    or re.match(
                        r"^(Anfrage|Antwort|Kleine Anfrage|mit Antwort|gemäß|namens)\b", cur
                    )
                ):
                    break
                block.insert(0, cur)
                j -= 1
            if block:
                return _ws(" ".join(block))
        if re.match(r"^-?\s*Landtagsverwaltung\s*-?$", line.strip()) and i + 1 < len(lines):
            nxt = lines[i + 1].strip()
            if nxt:
                return _ws(nxt)
    return None


# --------------------------------------------------------------------------------------------
# Factions

_PARTY = (
    r"(?:(?i:BÜNDNIS\s?90\s?/\s?DIE\s?GRÜNEN)|Bündnis\s?90\s?/\s?Die\s?Grünen|B(?:ündnis)?\s?'?90\s?/\s?"
    r"(?:Die\s)?Grüne[n]?|DIE\s?GRÜNEN|Die\s?Grünen|GRÜNE|Grüne[n]?|Die\s?Linke\.?|DIE\s?LINKE\.?|"
    r"LINKE|SPD|CDU|CSU|FDP|AfD|BSW|Volt|ÖDP|Freie\s?Wähler|FREIE\s?WÄHLER|FWG|FW|Die\s?PARTEI|"
    r"PIRATEN|Piraten|Tierschutzpartei|UWG|WG|BfB|Die\s?Unabhängigen|Bürgerliste)"
)
_PARTY_COMBO = rf"{_PARTY}(?:\s?/\s?{_PARTY})*"
_FACTION_RES = [
    re.compile(
        rf"\b(?:Rats|Kreistags|Stadtrats|Gemeinderats|Bezirks)?[Ff]raktion\s+(?:der\s+|des\s+)?{_PARTY_COMBO}"
    ),
    re.compile(rf"\b{_PARTY_COMBO}[-\s]?(?:Rats|Kreistags|Stadtrats)?[Ff]raktion\b"),
    re.compile(r"\b(?:Rats|Kreistags)?[Ff]raktion\s+(?:der\s+)?„[^“”\n]{2,40}[“”]"),
    re.compile(r"\bGruppe\s+" + _PARTY_COMBO),
]
_FACTION_LABEL_RE = re.compile(
    r"^(?:Antragsteller(?:/in|in)?|Fragesteller(?:/in|in)?|Einreicher(?:/in)?|Initiator(?:/in|en)?|"
    r"Absender|Fraktion(?:/en|en)?|Urheber|Eingereicht von|Von)\s*[:\t]\s*(.+)$",
    re.IGNORECASE,
)
_MP_PARTY_RE = re.compile(
    r"^(?:Kleine\s+|Große\s+)?Anfrage\s+(?:der|des)\s+Abgeordneten\s+(.+?)\s*\(([^)]{1,40})\)"
)


_MP_LOOSE_RE = re.compile(
    r"(?i:a\s?n\s?f\s?r\s?a\s?g\s?e)\s+(?:\d+\s+)?(?:der|des)\s+Abgeordneten\s+(?P<rest>.{3,220})"
)


def _mp_authors(ctx: _Ctx) -> tuple[list[str], str | None]:
    """Authors of a Landtag/Bundestag Anfrage written across lines or flattened:
    'ANFRAGE / des Abgeordneten X (CDU)', 'Kleine Anfrage 5218 / der Abgeordneten X und Y SPD',
    'Kleine Anfrage der Abgeordneten X, Y, weiterer Abgeordneter und der Fraktion Z'."""
    joined = _ws(" ".join(line.replace("\t", " ") for line in ctx.lines[:40]))
    m = _MP_LOOSE_RE.search(joined)
    if not m:
        return [], None
    rest = m.group("rest")
    names_s: str | None = None
    party: str | None = None
    m1 = re.match(r"^([^()]{3,160}?)\s*\(([^)]{1,40})\)", rest)
    m2 = re.match(r"^(.+?),?\s+weiterer\s+Abgeordneter\b", rest)
    m3 = re.match(rf"^(.+?)\s+({_PARTY_COMBO})(?=\s|$)", rest)
    if m1:
        names_s, party = m1.group(1), m1.group(2).strip()
    elif m2:
        names_s = m2.group(1)
    elif m3:
        names_s, party = m3.group(1), m3.group(2)
    if names_s is None:
        return [], None
    names = [_clean_name(p) for p in re.split(r",\s*|\s+und\s+", names_s) if p.strip()]
    if not names or not all(_NAME_RE.match(n) for n in names):
        return [], None
    if party and party.lower() in ("fraktionslos", "parteilos"):
        party = None
    return names, party


def _party_key(s: str) -> str:
    s = s.lower()
    s = re.sub(
        r"(rats|kreistags|stadtrats|gemeinderats|bezirks)?fraktion|\bder\b|\bdes\b|[-\s„“”]", "", s
    )
    s = s.replace("bündnis90/diegrünen", "grüne").replace("b90/grüne", "grüne")
    s = s.replace("diegrünen", "grüne").replace("grünen", "grüne").replace("dielinke", "linke")
    return s.rstrip(".")


def _factions_in(s: str) -> list[str]:
    found: list[tuple[int, str]] = []
    for rx in _FACTION_RES:
        for m in rx.finditer(s):
            found.append((m.start(), _ws(m.group(0)).rstrip(".")))
    found.sort()
    out: list[str] = []
    spans: list[str] = []
    for _, f in found:
        if any(f in o or o in f for o in spans):
            continue
        spans.append(f)
        out.append(f)
    return out


def _add_faction(out: list[str], f: str) -> None:
    key = _party_key(f)
    if key and all(_party_key(o) != key for o in out):
        out.append(f)


_OTHER_FACTION_RE = re.compile(
    r"(?:Rats|Kreistags|Stadtrats)?[Ff]raktion\s+[A-ZÄÖÜ][\wÄÖÜäöüß.-]*(?:\s*/?\s*[\wÄÖÜäöüß.-]+){0,4}"
)
_FACTION_CELL_RE = re.compile(r"Fraktion(?:/en|en)?|Antragsteller(?:/in)?|Initiator")
_SIGNER_LABEL_RE = re.compile(
    r"^(?:Unterzeichner(?:/in)?|Fragesteller(?:/in)?|Unterschrift)\s*[:\t]\s*(.+)$"
)
_GEZ_RE = re.compile(r"^\**\s*(?:gez\.|gezeichnet)\s*(.*)$", re.IGNORECASE)
_BERATUNGSFOLGE_RE = re.compile(r"^(Beratungsfolge|Beratungsreihenfolge|Beratungsgang)\b")


def _find_factions(ctx: _Ctx, q_end: int) -> list[str]:
    lines = ctx.lines
    out: list[str] = []
    # 1. Labelled fields and table columns.
    for i, line in enumerate(lines):
        m = _FACTION_LABEL_RE.match(line.strip())
        if m:
            named = _factions_in(m.group(1))
            for f in named:
                _add_faction(out, f)
            if not named and _OTHER_FACTION_RE.fullmatch(m.group(1).strip()):
                # A local group not in the party list: "Fraktion: Fraktion Hagen Aktiv".
                _add_faction(out, _ws(m.group(1)))
        cells = [c.strip() for c in line.split("\t")]
        for ci, cell in enumerate(cells):
            label = _FACTION_CELL_RE.fullmatch(cell)
            if label and i + 1 < len(lines):
                row = [c.strip() for c in lines[i + 1].split("\t")]
                if ci < len(row):
                    for f in _factions_in(row[ci]) or ([row[ci]] if row[ci] else []):
                        _add_faction(out, f)
    if out:
        return out
    # 2. Header lines ("Fraktionsanfrage Fraktion Die Linke", "Antrag der Fraktion der SPD ...").
    for line in lines[: ctx.header_end]:
        for f in _factions_in(line):
            _add_faction(out, f)
    if out:
        return out
    # A local group on the author line under the paper type: "Dringliche Anfrage" /
    # "der Fraktion Junges Duisburg / FW".
    for prev, line in zip(lines[: ctx.header_end], lines[1 : ctx.header_end], strict=False):
        m = re.match(r"^(?:der|des)\s+(.+)$", line.strip())
        if m and _match_type(prev.strip()) and _OTHER_FACTION_RE.fullmatch(m.group(1)):
            _add_faction(out, _ws(m.group(1)))
            return out
    # 3. Landtag: "Anfrage der Abgeordneten X und Y (CDU)".
    for line in lines[:40]:
        m = _MP_PARTY_RE.match(line.strip())
        if m:
            party = m.group(2).strip()
            if party.lower() not in ("fraktionslos", "parteilos"):
                _add_faction(out, party)
            return out
    _, mp_party = _mp_authors(ctx)
    if mp_party:
        _add_faction(out, mp_party)
        return out
    # 4. Signature block after the questions.
    for line in lines[q_end:]:
        for f in _factions_in(line):
            _add_faction(out, f)
    return out


# --------------------------------------------------------------------------------------------
# Signatories

_TITLE_WORDS = re.compile(
    r"^(?:Herrn?|Frau|Ratsherr|Ratsfrau|Stadtverordnete[r]?|Kreistagsabgeordnete[r]?)\s+"
)
_NAME_RE = re.compile(
    r"^(?:(?:Dr|Prof|Dipl\.-Ing|Dipl)\.\s?)*[A-ZÄÖÜ][a-zäöüßéè]+(?:-[A-ZÄÖÜ][a-zäöüß]+)?"
    r"(?:\s+(?:(?:von|van|de|zu|der|den)\s+)?[A-ZÄÖÜ][\wäöüßéè'.-]+){1,3}$"
)


@functools.lru_cache(maxsize=4096)
def _clean_name(s: str) -> str:
    s = _unmark(s)
    s = re.split(r",|\s[–-]\s|\(", s)[0]
    s = _TITLE_WORDS.sub("", s.strip())
    return _ws(s)


def _find_signatories(ctx: _Ctx, q_end: int) -> list[str]:
    lines = ctx.lines
    out: list[str] = []
    for i, line in enumerate(lines):
        m = _GEZ_RE.match(line.strip())
        if not m:
            continue
        rest = m.group(1).strip()
        if not rest and i + 1 < len(lines):
            rest = lines[i + 1].strip()
            # "gez." over a list of names, one per line.
            k = i + 2
            while k < len(lines) and k < i + 25:
                cand = _clean_name(lines[k])
                if not (cand and _NAME_RE.match(cand) and _is_person_line(lines[k])):
                    break
                rest += "\t" + cand
                k += 1
        for part in re.split(r"\s+und\s+|;|\t", rest):
            # "gez. A<tab>gez. B": each column carries its own "gez.".
            name = _clean_name(re.sub(r"^(?:gez\.|gezeichnet)\s*", "", part.strip()))
            if name and len(name) > 3 and name not in out:
                out.append(name)
    if out:
        return out
    # Labelled signer fields.
    for line in lines:
        m = _SIGNER_LABEL_RE.match(line.strip())
        if m:
            for part in re.split(r",|\s+und\s+", m.group(1)):
                name = _clean_name(part)
                if name and _NAME_RE.match(name) and name not in out:
                    out.append(name)
    if out:
        return out
    # Landtag: "Anfrage der Abgeordneten X und Y (CDU)".
    for line in lines[:40]:
        m2 = _MP_PARTY_RE.match(line.strip())
        if m2:
            for part in re.split(r",\s*|\s+und\s+", m2.group(1)):
                name = _ws(part)
                if name and name not in out:
                    out.append(name)
            return out
    mp_names, _ = _mp_authors(ctx)
    if mp_names:
        return mp_names
    # Closing block: names after "Mit freundlichen Grüßen" (a few lines).
    for i, line in enumerate(lines[q_end:], start=q_end):
        if line.lstrip().startswith("Mit freundlichen Grüßen"):
            for nxt in lines[i + 1 : i + 8]:
                # Names may stand side by side in columns ("Anna Roth<tab>Jan Berg").
                for cell in nxt.split("\t"):
                    cand = _clean_name(cell)
                    if (
                        cand
                        and _NAME_RE.match(cand)
                        and not _factions_in(cand)
                        and ("\t" not in nxt or _is_person_line(cell))
                    ):
                        out.append(cand)
            break
    if out or q_end <= 0:
        return out
    # Unsigned name block at the very end, after the questions: "Anna Kleinert / Jochen Maier",
    # "Stefan Wolter / Fraktionsvorsitzender / Fraktion DIE LINKE".
    tail: list[str] = []
    for line in reversed(lines[q_end:]):
        cur = line.strip()
        if not cur:
            continue
        if len(cur) > 60 or cur.endswith(("?", ".", ":", ",")) and not _ROLE_WORD_RE.search(cur):
            break
        tail.insert(0, cur)
        if len(tail) > 12:
            break
    for cur in tail:
        # Names set side by side in columns: "Andreas Vollmer<tab>Petra Lindqvist".
        for cell in cur.split("\t"):
            cand = _clean_name(cell)
            if cand and _NAME_RE.match(cand) and _is_person_line(cell) and cand not in out:
                out.append(cand)
    return out


_ROLE_WORD_RE = re.compile(
    r"(vorsitz|sprecher|mitglied|geschäftsführ|minister|bürgermeister|stadtr[aä]t|ratsherr|"
    r"ratsfrau|referent|präsident|senator|landrat|abgeordnete|verordnete|fraktion|rathaus|"
    r"grüße|stadt\b|gemeinde|kreis\b|verwaltung)",
    re.IGNORECASE,
)


def _is_person_line(line: str) -> bool:
    """A line holding only a person's name (not a role, a faction or an address)."""
    s = line.strip()
    return (
        len(s) <= 50
        and not re.search(r"\d", s)
        and not _ROLE_WORD_RE.search(s)
        and not _factions_in(s)
        and not _match_type(s)
    )


# --------------------------------------------------------------------------------------------
# Beratungsfolge / consultations

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
_TOP_RE = re.compile(
    r"\b(?:TOP|Tagesordnungspunkt)\s*:?\s*([ÖN]?\s?\d+(?:\.\d+)*)|^([ÖN]\s?\d+(?:\.\d+)*)$"
)


def _header_columns(cells: list[str]) -> dict[str, int]:
    cols: dict[str, int] = {}
    for i, c in enumerate(cells):
        lc = c.lower()
        if re.search(r"beratungsfolge|gremium|ausschuss", lc) and "committee" not in cols:
            cols["committee"] = i
        elif re.search(r"status|zuständigkeit|rolle|beratungsart|art", lc) and "role" not in cols:
            cols["role"] = i
        elif re.search(r"sitzung|datum|termin", lc) and "date" not in cols:
            cols["date"] = i
        elif re.search(r"top|tagesordnung", lc) and "top" not in cols:
            cols["top"] = i
    return cols


def _consultation_from_text(row: str) -> Consultation | None:
    """A row without tab structure: 'Ausschuss für X 12.03.2025 Vorberatung Ö 5'."""
    if not _COMMITTEE_WORDS.search(row):
        return None
    date = _find_date(row)
    role_m = _ROLE_RE.search(row)
    role = role_m.group(1) if role_m else None
    top = None
    tm = re.search(r"\b(?:TOP\s*)?([ÖN]\s?\d+(?:\.\d+)*)\s*$|\bTOP\s*:?\s*(\d+(?:\.\d+)*)", row)
    if tm:
        top = _ws(tm.group(1) or tm.group(2))
    committee = _strip_dates(row)
    if role_m:
        committee = committee.replace(role_m.group(1), " ")
    if tm:
        committee = committee.replace(tm.group(0), " ")
    committee = re.sub(r"\b(öffentlich|nichtöffentlich|nicht öffentlich|Ö|N)\b\s*$", " ", committee)
    committee = _ws(committee).strip(" ,;-–")
    if not committee:
        return None
    return Consultation(committee=committee, role=role, date=date, agenda_item=top)


def _find_consultations(ctx: _Ctx) -> list[Consultation]:
    lines = ctx.lines
    out: list[Consultation] = []
    for i, line in enumerate(lines):
        cells = [c.strip() for c in line.split("\t")]
        heading = _BERATUNGSFOLGE_RE.match(line.strip()) is not None
        if not heading:
            # A bare table header row: "Gremium<TAB>Datum der Sitzung".
            if not (
                len(cells) > 1
                and cells[0] in ("Gremium", "Beratungsgremium")
                and any(re.search(r"Datum|Sitzung|Termin", c) for c in cells[1:])
            ):
                continue
        elif len(cells) == 1:
            # "Beratungsfolge:" on its own line, then a tab header row: read that instead.
            nxt_i = _next_nonblank(lines, i + 1, min(len(lines), i + 3))
            if nxt_i is not None:
                nxt_cells = [c.strip() for c in lines[nxt_i].split("\t")]
                if (
                    len(nxt_cells) > 1
                    and not _find_date(lines[nxt_i])
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
                    Consultation(
                        committee=_ws(committee),
                        role=_ws(cell("role") or "") or None,
                        date=_find_date(date_s) if date_s else None,
                        agenda_item=_ws(cell("top") or "") or None,
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
            if re.match(
                r"^(Datum|Gremium|Sitzung|Status|Zuständigkeit|Beratung)\b", r
            ) and not _find_date(r):
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
        value = _form_value(head, i, r"Gremium|Beratung in|Adressat")
        if value and form_committee is None and _COMMITTEE_WORDS.search(value):
            form_committee = _ws(value.replace("\t", " "))
        value = _form_value(head, i, r"Sitzungstermin|Sitzung am|Sitzungsdatum")
        if value and date is None:
            date = _find_date(value)
    if form_committee:
        out.append(Consultation(committee=form_committee, role=None, date=date, agenda_item=None))
        return out
    # "Anfrage zur Sitzung der Stadtverordnetenversammlung am 27.03.2025".
    for line in head:
        m = re.match(
            r"^(?:\w+\s+){0,3}(?:Anfrage|Antrag)\w*\s+(?:zur|für die)\s+Sitzung\s+(?:des|der)\s+"
            r"(.+?)\s+(?:am|vom)\s+(.+)$",
            line.strip(),
        )
        if m and _COMMITTEE_WORDS.search(m.group(1)) and _find_date(m.group(2)):
            out.append(
                Consultation(
                    committee=_ws(m.group(1)),
                    role=None,
                    date=_find_date(m.group(2)),
                    agenda_item=None,
                )
            )
            break
    return out


def _form_value(lines: list[str], i: int, labels: str) -> str | None:
    """Value of a form field at line ``i``: 'Label: value', 'Label<TAB>value', or a bare
    'Label' line with the value on the next non-blank line."""
    line = lines[i].strip()
    m = re.match(rf"^(?:{labels})\s*[:\t]\s*(.+)$", line)
    if m:
        return m.group(1).strip()
    if re.fullmatch(rf"(?:{labels}):?", line):
        j = _next_nonblank(lines, i + 1, min(len(lines), i + 3))
        if j is not None:
            nxt = lines[j].strip()
            if not _LABEL_LINE_RE.match(nxt) and len(nxt) < 160:
                return nxt
    return None


# --------------------------------------------------------------------------------------------
# Questions

_ITEM_RE = re.compile(
    r"^(?:Frage\s*(?:Nr\.\s*)?(?P<fn>\d{1,2}[a-z]?)\s*[:.)]?|(?P<n>\d{1,2}[a-z]?)\s*(?:\.\)|[.)])|"
    r"\((?P<pn>\d{1,2})\))(?:\s+|(?=[A-ZÄÖÜ„\"])|$)(?P<rest>.*)$"
)
_SUB_RE = re.compile(
    r"^(?:(?P<bullet>[-–—•*▪])\s+|(?P<letter>\(?[a-z]{1,2}\))\s*|(?P<dot>[a-z])\.\s+|"
    r"(?P<roman>\(?(?:i{1,3}|iv|v|vi{0,3})\))\s+)(?P<rest>\S.*)$"
)
_CUE_RE = re.compile(
    r"(fragen wir|frage ich|Ich frage|Wir fragen|folgende[n]? Fragen|Fragen an|Fragen:|"
    r"bitten wir um (?:die )?Beantwortung|bitte ich um (?:die )?Beantwortung|"
    r"möchte[n]? (?:gerne |gern )?wissen|Anfrage:|wird gebeten,? (?:folgende|die folgenden)|"
    r"um Beantwortung (?:der )?folgende|beantworten Sie|"
    r"frage[n]? die (?:Verwaltung|Landesregierung))",
    re.IGNORECASE,
)
_CONT_CUE_RE = re.compile(
    r"^(Bitte|bitte|Falls|Wenn ja|Wenn nein|Wenn nicht|Wenn dem|Sofern|Soweit|Ggf\.|Gegebenenfalls|"
    r"Und\b|Oder\b|Dabei|Hierbei|Insbesondere|Aufgeschlüsselt|Aufgegliedert|Differenziert|Getrennt)"
)
_TERMINATOR_RE = re.compile(
    r"^(Antwort\b|Antworten\b|Zu Frage|Zu den Fragen|Zu \d|Stellungnahme\b|Begründung\b|gez\.|"
    r"Mit freundlichen|Freundliche Grüße|\(verteilt am|Bearbeiter|Anlage[n]?\b|Anlage:|"
    r"Sachverhalt:|Beschlussvorschlag|Beratungsfolge|Unterschrift|Verteiler|Hinweis:|"
    r"Vorbemerkung)",
    re.IGNORECASE,
)
_ABBREV_END_RE = re.compile(
    r"(?:\b(?:z|B|Nr|Abs|bzw|vgl|ggf|u|a|S|ca|Drs|Dr|Art|Var|gem|inkl|evtl|usw|etc|o|g|d|h|i|"
    r"St|Str|Tsd|Mio|Mrd|Jh|Kap|Ziff|lt|sog|bspw|insb|einschl|zzgl|max|min|ff)\.|\b\d{1,2}\.)$"
)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _is_item_start(line: str) -> bool:
    return bool(_ITEM_RE.match(line))


@dataclass
class _Item:
    number: str
    value: int
    line: int
    rest: str
    style: str = "plain"  # "frage" for 'Frage 3:' numbering
    letter: str = ""


@dataclass
class _List:
    items: list[_Item] = field(default_factory=list)

    @property
    def last(self) -> int:
        return self.items[-1].value


_ITEM_VALUE_RE = re.compile(r"(\d+)([a-z]?)")


def _item_value(num: str) -> tuple[int, str]:
    m = _ITEM_VALUE_RE.match(num)
    assert m is not None
    return int(m.group(1)), m.group(2)


def _split_inline(lines: list[str]) -> list[str]:
    """Split 'Ich frage: 1. Wie ...? 2. Was ...?' style lines into one line per item.

    When such a paragraph was wrapped (a PDF), an item starts in the middle of a later line
    ('... und Burg? 2. Wann soll ...'): the expected number is carried over from line to line
    until a blank line ends the paragraph."""
    out: list[str] = []
    rx = re.compile(r"(?<=[?:.!])\s+(?=(\d{1,2})[.)]\s+[A-ZÄÖÜ„])")
    carried: int | None = None  # next number of an inline list that runs on over line breaks
    for line in lines:
        if not line.strip():
            carried = None
        if len(line) < 40 or not rx.search(line):
            out.append(line)
            continue
        m0 = _ITEM_RE.match(line)
        if m0:
            expected = _item_value(m0.group("fn") or m0.group("n") or m0.group("pn"))[0] + 1
        else:
            expected = carried or 1
        pos = 0
        pieces: list[str] = []
        for m in rx.finditer(line):
            n = int(m.group(1))
            before = line[: m.start()].rstrip()
            if n == expected and (n > 1 or before.endswith(":")):
                pieces.append(line[pos : m.start()].strip())
                pos = m.end()
                expected = n + 1
        pieces.append(line[pos:].strip())
        carried = expected if len(pieces) > 1 or (carried and not m0) else None
        if len(pieces) > 1:
            pieces[-1:] = _split_after_question(pieces[-1])
        out.extend(p for p in pieces if p)
    return out


def _split_after_question(piece: str) -> list[str]:
    """The last question of a flattened line runs on into the following prose (an answer, a
    signature): cut after its '?' unless the next sentence continues it ('Bitte ...', another
    question)."""
    for m in re.finditer(r"\?\s+(?=[A-ZÄÖÜ„])", piece):
        tail = piece[m.end() :]
        if _CONT_CUE_RE.match(tail):
            continue
        sentence = re.match(r"[^.?!]*[.?!:]?", tail)
        if sentence and sentence.group(0).endswith("?"):
            continue
        return [piece[: m.start() + 1], tail]
    return [piece]


_ITEM_TEXT_START_RE = re.compile(r"[A-ZÄÖÜ„\"(»‚']")
# "1. Januar", "2. Quartal", "3. Lesung": a date or ordinal wrapped to the line start.
_NOT_AN_ITEM_RE = re.compile(
    r"^(Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|"
    r"Dezember|Quartal|Halbjahr|Jahrhundert|Var\.|Alt\.|Lesung|Sitzung|Wahlperiode|"
    r"Klasse|Stock|Obergeschoss|OG|Bauabschnitt)\b"
)
_RECENT_LISTS = 64
# A question never runs on for more lines than this; the bound keeps parse time linear.
_MAX_QUESTION_LINES = 120
# At most this many candidate lists are scored (a real paper has a handful).
_MAX_CANDIDATE_LISTS = 200


def _find_lists(lines: list[str]) -> list[_List]:
    lists: list[_List] = []
    # Open lists indexed by (style, value) of their last item, so an item only looks at the
    # lists it could continue: scanning every list would make many numbered lines quadratic.
    index: dict[tuple[str, int], dict[int, int]] = {}  # key -> {list position: list position}
    styles = {"frage": 0, "plain": 0}  # lists whose last item has this style
    for i, line in enumerate(lines):
        m = _ITEM_RE.match(line)
        if not m:
            continue
        num = m.group("fn") or m.group("n") or m.group("pn")
        rest = (m.group("rest") or "").strip()
        if rest and not _ITEM_TEXT_START_RE.match(rest) and not rest[:1].islower():
            continue
        if rest[:1].islower() and not m.group("fn"):
            # "2. Var. ..." / "1. bis 3." are wrapped text, not list items.
            continue
        if _NOT_AN_ITEM_RE.match(rest):
            continue
        value, letter = _item_value(num)
        style = "frage" if m.group("fn") else "plain"
        item = _Item(number=num, value=value, line=i, rest=rest, style=style, letter=letter)
        # A 'Frage 4:' item continues the 'Frage N:' list, not a numbered list inside an answer.
        look = (style,) if styles[style] else ("frage", "plain")
        wanted = (value, value - 1) if letter == "a" else (value,) if letter else (value - 1,)
        candidates: list[int] = []
        for st in look:
            for v in wanted:
                bucket = index.get((st, v))
                if bucket:
                    candidates.extend(itertools.islice(reversed(bucket), _RECENT_LISTS))
        target: int | None = None
        best = -1
        for pos in sorted(candidates):
            last_item = lists[pos].items[-1]
            lv, ll = last_item.value, last_item.letter
            ok = (
                (not letter and value == lv + 1)
                or (letter == "a" and value in (lv, lv + 1))
                or (letter and ll and value == lv and ord(letter) == ord(ll) + 1)
            )
            if ok and len(lists[pos].items) >= best:
                target, best = pos, len(lists[pos].items)
        if target is not None:
            last_item = lists[target].items[-1]
            del index[(last_item.style, last_item.value)][target]
            styles[last_item.style] -= 1
            lists[target].items.append(item)
        elif value == 1 and letter in ("", "a"):
            target = len(lists)
            lists.append(_List(items=[item]))
        else:
            continue
        index.setdefault((style, value), {})[target] = target
        styles[style] += 1
    return lists


def _ends_sentence(s: str) -> bool:
    s = s.rstrip(" “”\"')»]*")
    if s.endswith(("?", "!")):
        return True
    if s.endswith("."):
        return not _ABBREV_END_RE.search(s)
    return False


def _ends_question(s: str) -> bool:
    return s.rstrip(" “”\"')»]*").endswith("?")


def _next_nonblank(lines: list[str], j: int, stop: int) -> int | None:
    while j < stop and not lines[j].strip():
        j += 1
    return j if j < stop else None


def _sub_marker(line: str) -> tuple[str, str] | None:
    m = _SUB_RE.match(line)
    if not m:
        return None
    if m.group("bullet"):
        return "bullet", m.group("bullet")
    if m.group("letter"):
        return "letter", m.group("letter").strip("()")
    if m.group("dot"):
        return "letter", m.group("dot")
    return "roman", m.group("roman").strip("()")


def _next_marker_ok(prev: tuple[str, str] | None, cur: tuple[str, str]) -> bool:
    if prev is None:
        return cur[0] == "bullet" or cur[1] in ("a", "i", "aa")
    if prev[0] != cur[0]:
        return False
    if cur[0] == "bullet":
        return prev[1] == cur[1]
    if cur[0] == "letter" and len(cur[1]) == 1 and len(prev[1]) == 1:
        return ord(cur[1]) == ord(prev[1]) + 1
    return True


def _question_extent(lines: list[str], start: int, stop: int, full: bool) -> int:
    """Index one past the last line of the question that starts at ``start``.

    ``full``: take everything up to ``stop`` (pure Anfrage, not the last question), only trimming
    at hard terminators. Otherwise the question ends at a sentence end that is not followed by a
    continuation (a request cue, another question sentence or the next sub-item).
    """
    stop = min(stop, start + _MAX_QUESTION_LINES)
    if full:
        j = start + 1
        while j < stop:
            cur = lines[j].strip()
            if cur and _TERMINATOR_RE.match(cur):
                return j
            j += 1
        return stop
    last_marker: tuple[str, str] | None = None
    j = start
    seen_q = False
    while j < stop:
        cur = lines[j].strip()
        if not cur:
            j += 1
            continue
        if j > start and _TERMINATOR_RE.match(cur):
            return j
        marker = _sub_marker(cur) if j > start else None
        if marker is not None:
            last_marker = marker
        seen_q = seen_q or "?" in cur
        if _ends_sentence(cur):
            nxt_i = _next_nonblank(lines, j + 1, stop)
            if nxt_i is None:
                return stop
            nxt = lines[nxt_i].strip()
            blank_between = nxt_i > j + 1
            nm = _sub_marker(nxt)
            if nm is not None and not _ends_question(cur) and _next_marker_ok(last_marker, nm):
                j = nxt_i
                continue
            if (
                nm is not None
                and _ends_question(cur)
                and last_marker
                and _next_marker_ok(last_marker, nm)
            ):
                j = nxt_i
                continue
            if _TERMINATOR_RE.match(nxt) or (_ends_question(cur) and _is_item_start(nxt)):
                return j + 1
            if blank_between and not nxt[:1].islower():
                return j + 1
            if _CONT_CUE_RE.match(nxt):
                # Request clause: include it up to its sentence end.
                k = nxt_i
                while k < stop and k - nxt_i < 5:
                    if _ends_sentence(lines[k].strip()):
                        break
                    k += 1
                j = k
                continue
            # Another question sentence (ends with '?' within a few lines)?
            if seen_q and _next_sentence_is_question(lines, nxt_i, stop):
                j = nxt_i
                continue
            return j + 1
        j += 1
    return stop


def _next_sentence_is_question(lines: list[str], i: int, stop: int) -> bool:
    k = i
    while k < stop and k - i < 4:
        s = lines[k].strip()
        if not s or _TERMINATOR_RE.match(s) or (k > i and _sub_marker(s)):
            return False
        if _ends_sentence(s):
            return _ends_question(s)
        k += 1
    return False


def _build_question(number: str, first_rest: str, body: list[str], width: int) -> Question:
    """Split the question's lines into stem text and sub-items."""
    all_lines = ([first_rest] if first_rest else []) + [b.strip() for b in body if b.strip()]
    stem: list[str] = []
    items: list[list[str]] = []
    trailing: list[str] = []
    last_marker: tuple[str, str] | None = None
    for ln in all_lines:
        marker = _sub_marker(ln)
        if marker is not None and (
            not items or _next_marker_ok(last_marker, marker) or marker[0] == "bullet"
        ):
            m = _SUB_RE.match(ln)
            assert m is not None
            items.append([m.group("rest")])
            last_marker = marker
            continue
        if items and not trailing:
            prev_line = items[-1][-1]
            # A wrap continues the item only when the item line was (nearly) full width.
            if len(prev_line) + 6 >= 0.7 * width:
                items[-1].append(ln)
                continue
            trailing.append(ln)
            continue
        if trailing:
            trailing.append(ln)
        else:
            stem.append(ln)
    text = _ws(" ".join(stem + trailing))
    item_texts = tuple(t for t in (_ws(" ".join(it)) for it in items) if t)
    if not text and item_texts:
        text, item_texts = item_texts[0], item_texts[1:]
    return Question(number=number, text=text, items=item_texts)


def _list_score(lines: list[str], lst: _List, questions: list[Question]) -> float:
    n = len(questions)
    if n == 0:
        return -1.0
    qmarks = sum(1 for q in questions if "?" in q.text or any("?" in i for i in q.items))
    first = lst.items[0].line
    context = " ".join(lines[max(0, first - 6) : first])
    cue = (
        bool(_CUE_RE.search(context))
        or lst.items[0].number
        and bool(re.match(r"^Frage\b", lines[first]))
    )
    if qmarks == 0 and not cue:
        return -1.0
    return 2.0 * qmarks / n + (1.5 if cue else 0.0) + min(n, 10) / 20.0 + qmarks / 100.0


def _typical_width(lines: list[str]) -> int:
    lengths = sorted(len(line) for line in lines if len(line) > 20)
    if not lengths:
        return 80
    return max(40, lengths[int(len(lengths) * 0.8)])


def _questions_from_list(ctx: _Ctx, lst: _List) -> tuple[list[Question], int]:
    lines = ctx.lines
    out: list[Question] = []
    end = lst.items[-1].line
    for idx, item in enumerate(lst.items):
        is_last = idx == len(lst.items) - 1
        stop = lst.items[idx + 1].line if not is_last else len(lines)
        full = not ctx.answer_doc and not is_last
        ext = _question_extent(lines, item.line, stop, full)
        end = max(end, ext)
        q = _build_question(item.number, item.rest, lines[item.line + 1 : ext], ctx.typical_width)
        out.append(q)
    return out, end


_ZU_FRAGE_RE = re.compile(
    r"^Zu\s+(?:der\s+)?(?:den\s+)?Fragen?\s*(?:Nr\.\s*)?([\d ,und]+?)\s*:?\s*$"
)


def _unnumbered_questions(ctx: _Ctx) -> tuple[list[Question], int]:
    """Answers restating questions without numbers, headed 'Zu Frage 2:' / 'Zu den Fragen 1 und 3:'.
    The k paragraphs right before such a heading are the k questions it names."""
    lines = ctx.lines
    found: list[Question] = []
    end = 0
    for i, line in enumerate(lines):
        m = _ZU_FRAGE_RE.match(line.strip())
        if not m:
            continue
        nums = re.findall(r"\d+", m.group(1))
        if not nums:
            continue
        paras: list[list[str]] = []
        j = i - 1
        cur: list[str] = []
        while j >= 0 and len(paras) < len(nums):
            s = lines[j].strip()
            if not s:
                if cur:
                    paras.insert(0, cur)
                    cur = []
            elif _ZU_FRAGE_RE.match(s):
                break
            else:
                cur.insert(0, s)
            j -= 1
        if cur and len(paras) < len(nums):
            paras.insert(0, cur)
        paras = paras[-len(nums) :]
        if len(paras) != len(nums):
            continue
        for n, para in zip(nums, paras, strict=True):
            text = _ws(" ".join(para))
            if len(text) < 10 or len(text) > 1200:
                continue
            found.append(Question(number=n, text=text, items=()))
        end = i
    dedup: dict[str, Question] = {}
    for q in found:
        dedup.setdefault(q.number, q)
    qs = sorted(dedup.values(), key=lambda q: int(q.number))
    return qs, end


def _cue_questions(ctx: _Ctx) -> tuple[list[Question], int]:
    """Unnumbered questions after a cue ('Wir fragen die Verwaltung:'), one per '?' line."""
    lines = ctx.lines
    for i, line in enumerate(lines):
        if not _CUE_RE.search(line) or not line.rstrip().endswith(":"):
            continue
        texts: list[str] = []
        letters: list[str] = []
        buf: list[str] = []
        j = i + 1
        while j < len(lines):
            s = lines[j].strip()
            if not s:
                if buf:
                    break
                j += 1
                continue
            if _TERMINATOR_RE.match(s) or "\t" in s:
                break
            marker = _sub_marker(s)
            if not buf:
                letters.append(marker[1] if marker and marker[0] == "letter" else "")
            buf.append(marker and _SUB_RE.match(s).group("rest") or s)  # type: ignore[union-attr]
            if _ends_question(s):
                texts.extend(_run_in_questions(_ws(" ".join(buf))))
                buf = []
            j += 1
        if texts:
            # Lettered questions ("a) … b) …") keep their letters; others are numbered 1..n.
            lettered = len(letters) == len(texts) and letters == list(_LETTERS[: len(texts)])
            numbers = letters if lettered else [str(k + 1) for k in range(len(texts))]
            pairs = zip(numbers, texts, strict=True)
            return [Question(number=n, text=t, items=()) for n, t in pairs], j
    return [], 0


def _run_in_questions(text: str) -> list[str]:
    """Several questions run into one line after a cue ("… fragt die Verwaltung: Wie …? Hat …?")
    are split, and the lead-in is cut; a single question stays as written."""
    parts = split_questions(text)
    if len(parts) > 1:
        return parts
    if parts and REQUEST_CUE_RE.search(text) and text.endswith(parts[0]):
        return parts
    return [text]


def _continue_restarted(
    ctx: _Ctx, lists: list[_List], qs: list[Question], end: int
) -> tuple[list[Question], int]:
    """A question list that restarts at 1 directly after the last question (an HTML ordered list
    split in two: '1. 2a. 2b. 3.' then '1. 2.') continues the numbering: 4., 5."""
    while qs and re.fullmatch(r"\d+[a-z]?", qs[-1].number):
        nxt = _next_nonblank(ctx.lines, end, len(ctx.lines))
        follow = next((lst for lst in lists if lst.items[0].line == nxt), None)
        if follow is None:
            break
        more, more_end = _questions_from_list(ctx, follow)
        if not more or not all(_ends_question(q.text) or q.items for q in more):
            break
        offset = _item_value(qs[-1].number)[0]
        for q in more:
            v, letter = _item_value(q.number)
            qs.append(Question(number=f"{v + offset}{letter}", text=q.text, items=q.items))
        end = more_end
    return qs, end


def _candidate_lists(lines: list[str], lists: list[_List]) -> list[_List]:
    """The lists ``_list_score`` could accept: with a '?' in their reach or a cue before them.
    Filtering first (prefix sums, O(1) per list) keeps texts with thousands of numbered lines
    linear; the score of every list kept is unchanged."""
    qcount = [0]
    for line in lines:
        qcount.append(qcount[-1] + ("?" in line))
    # A cue within the 6 lines before a list (a cue phrase may run over a line break): cue[k]
    # tells whether lines k and k+1 hold one; searched once per line, not once per list.
    cue = [0]
    for k, line in enumerate(lines):
        pair = f"{line} {lines[k + 1]}" if k + 1 < len(lines) else line
        cue.append(cue[-1] + bool(_CUE_RE.search(pair)))
    out: list[_List] = []
    for lst in lists:
        first = lst.items[0].line
        reach = min(len(lines), lst.items[-1].line + _MAX_QUESTION_LINES)
        lo = max(0, first - 6)
        if (
            qcount[reach] > qcount[first]
            or lines[first].startswith("Frage")
            or (cue[first - 1] > cue[lo] if first - 1 > lo else False)
            or (first > 0 and bool(_CUE_RE.search(lines[first - 1])))
        ):
            out.append(lst)
            if len(out) >= _MAX_CANDIDATE_LISTS:
                break
    return out


def _find_questions(ctx: _Ctx) -> tuple[list[Question], int]:
    lists = _find_lists(ctx.lines)
    best: tuple[float, list[Question], int] | None = None
    for lst in _candidate_lists(ctx.lines, lists):
        qs, end = _questions_from_list(ctx, lst)
        score = _list_score(ctx.lines, lst, qs)
        if score < 0:
            continue
        if best is None or score > best[0] + 1e-9 or (abs(score - best[0]) < 1e-9 and False):
            best = (score, qs, end)
    if best is not None:
        return _continue_restarted(ctx, lists, best[1], best[2])
    qs, end = _unnumbered_questions(ctx)
    if qs:
        return qs, end
    qs, end = _cue_questions(ctx)
    if qs:
        return qs, end
    if ctx.answer_doc:
        return [], 0
    return prose_questions(ctx.lines)


# --------------------------------------------------------------------------------------------


def _header_end(lines: list[str]) -> int:
    """Rough end of the header block: the first long prose line or the first numbered item."""
    for i, line in enumerate(lines):
        if i > 3 and (len(line) > 140 or _ITEM_RE.match(line) or _CUE_RE.search(line)):
            return i
        if (
            re.match(r"^(Vorbemerkung|Sachverhalt|Begründung|Anfrage$|Antrag$)", line.strip())
            and i > 3
        ):
            # A bare "Anfrage" followed by its author line ("der CDU-Fraktion") is the type
            # heading of the header, not the start of the body.
            nxt = next((ln.strip() for ln in lines[i + 1 : i + 3] if ln.strip()), "")
            if re.match(r"^(der|des|von)\s", nxt):
                continue
            return i
    return min(len(lines), 30)


_ANSWER_DOC_RE = re.compile(
    r"^(mit Antwort|Antwort\b(?!\s+(?:auf|zu)\b)|ANTWORT$|Zu Frage\b|Zu den Fragen\b|"
    r"Beantwortung\b|Stellungnahme der Verwaltung)",
    re.M,
)


def parse_anfrage(text: str) -> ParsedAnfrage:
    """Parse the text of an Anfrage (raw or cleaned). Pure; never raises for odd input."""
    cleaned = clean_text(text or "")
    lines = _split_inline(cleaned.split("\n"))
    ctx = _Ctx(lines=lines, header_end=_header_end(lines))
    ctx.typical_width = _typical_width(lines)
    ctx.answer_doc = bool(_ANSWER_DOC_RE.search(cleaned)) or bool(
        re.search(r"^Antwort\s*:", cleaned, re.M)
    )
    questions, q_end = _find_questions(ctx)
    return ParsedAnfrage(
        reference=_find_reference(ctx),
        date=_find_doc_date(ctx),
        paper_type=_find_paper_type(ctx),
        subject=_find_subject(ctx),
        factions=tuple(_find_factions(ctx, q_end)),
        questions=tuple(questions),
        consultations=tuple(_find_consultations(ctx)),
        signatories=tuple(_find_signatories(ctx, q_end)),
    )
