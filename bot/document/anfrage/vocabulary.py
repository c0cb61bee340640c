"""The words and shapes of council papers, shared by the field readers and ``bot.classify``.

Compiled patterns only, plus the two rules written over them that both sides need: the faction
detector and the reference normaliser. Pure; imports nothing of the bot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# --------------------------------------------------------------------------------------------
# Dates: "12.03.2025", "12.3.25", "12. März 2025"

MONTHS = {
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "maerz": 3, "april": 4, "mai": 5,
    "juni": 6, "juli": 7, "august": 8, "september": 9, "oktober": 10, "november": 11,
    "dezember": 12,
}  # fmt: skip
NUM_DATE = r"(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4}|\d{2})(?!\d)"
WORD_DATE = r"(\d{1,2})\.\s?(" + "|".join(MONTHS) + r")\s+(\d{4})"
DATE_RE = re.compile(rf"{NUM_DATE}|{WORD_DATE}", re.IGNORECASE)

# --------------------------------------------------------------------------------------------
# References (Drucksache numbers)

REF_LABEL = (
    r"(?:Drucksachen?|Drs\.|Vorlagen?|Anfrage|Antrag|Beschlussvorlage|Mitteilungsvorlage)"
    r"(?:[-–\s]?(?:Nr\.?|Nummer|nummer))?"
)
REF_VALUE = (
    r"([A-Z]{1,4}[-/]\d{2,5}/(?:[IVX]{1,5}|[A-Z]{1,3})\b|"
    # An ALLRIS suffix with a letter ("0412/2025/4A") belongs to the number.
    r"[A-Z]{0,4}[-/ ]?\d{1,5}(?:\s*/\s*\d{1,6}(?![A-Z]\b))+(?:-\d+|/\d{1,2}[A-Z]\b)?|"
    r"[A-Z]{1,4}\d{3,6}/\d{2,4}|\d{2}-\d{2}/\d{3,5}\b|\d{3,5}/[IVX]{1,5}\b|"
    r"\d{1,2}-\d{3,5}\b)"
)
REF_VALUE_RE = re.compile(REF_VALUE)
REF_TOKEN_RE = re.compile(r"(?<![\w/])([A-Z]{1,3}\d{3,5}/\d{2}(?:\d{2})?)(?![\w/])")
REF_LABEL_RE = re.compile(rf"\b{REF_LABEL}\s*[:.\-–]?\s*[-–]?\s*{REF_VALUE}")
REF_ALONE_RE = re.compile(
    r"^(?:Nr\.\s*)?(\d{1,2}\s*/\s*\d{2,6}|[A-Z]{1,4}[-/ ]?\d{1,5}\s*/\s*\d{2,4})$"
)
REF_SERIAL_RE = re.compile(r"\b(?:Vorlagen?|Drucksache)[-\s]?Nr\.?\s*:?\s*(\d{6,9})\b")
REF_PACKED_RE = re.compile(r"\bDrucksache(?:[-\s]?Nr\.?)?\s*:?\s*(\d{2})(\d{4})\b")
_REF_SPACES_RE = re.compile(r"\s*/\s*")
_NON_DIGITS_RE = re.compile(r"\D")


def normalize_reference(reference: str | None) -> str | None:
    """`14 / 1923` → `14/1923`; other forms kept, whitespace folded."""
    if not reference:
        return None
    text = " ".join(reference.split())
    return _REF_SPACES_RE.sub("/", text) or None


_STEM_RE = re.compile(r"^(.+?)\s*[-/.]\s*\d{1,3}$")


def reference_stem(reference: str | None) -> str | None:
    """`14/1923-1` → `14/1923`; `14/1923/1` → `14/1923` (a suffix of one to three digits),
    casefolded: the Anfrage an answer or interim reply numbered after it belongs to."""
    m = _STEM_RE.match(reference or "")
    return m.group(1).casefold() if m else None


def compact_reference(reference: str | None) -> str | None:
    """Digits only (`14/1923` → `141923`): how RVR prints numbers in some places."""
    if not reference:
        return None
    digits = _NON_DIGITS_RE.sub("", reference)
    return digits or None


# --------------------------------------------------------------------------------------------
# Paper types, most specific first (the first that matches wins)

PAPER_TYPES = [
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


# --------------------------------------------------------------------------------------------
# Factions: party names and the shapes a faction is written in

PARTY = (
    r"(?:(?i:BÜNDNIS\s?90\s?/\s?DIE\s?GRÜNEN)|Bündnis\s?90\s?/\s?Die\s?Grünen|B(?:ündnis)?\s?'?90\s?/\s?"
    r"(?:Die\s)?Grüne[n]?|DIE\s?GRÜNEN|Die\s?Grünen|GRÜNE|Grüne[n]?|Die\s?Linke\.?|DIE\s?LINKE\.?|"
    r"LINKE|SPD|CDU|CSU|FDP|AfD|BSW|Volt|ÖDP|Freie\s?Wähler|FREIE\s?WÄHLER|FWG|FW|Die\s?PARTEI|"
    r"PIRATEN|Piraten|Tierschutzpartei|UWG|WG|BfB|Die\s?Unabhängigen|Bürgerliste)"
)
PARTY_COMBO = rf"{PARTY}(?:\s?/\s?{PARTY})*"
FACTION_RES = [
    re.compile(
        rf"\b(?:Rats|Kreistags|Stadtrats|Gemeinderats|Bezirks)?[Ff]raktion\s+(?:der\s+|des\s+)?{PARTY_COMBO}"
    ),
    re.compile(rf"\b{PARTY_COMBO}[-\s]?(?:Rats|Kreistags|Stadtrats)?[Ff]raktion\b"),
    re.compile(r"\b(?:Rats|Kreistags)?[Ff]raktion\s+(?:der\s+)?„[^“”\n]{2,40}[“”]"),
    re.compile(r"\bGruppe\s+" + PARTY_COMBO),
]

# --------------------------------------------------------------------------------------------
# The faction detector

_WS_RE = re.compile(r"\s+")
_WORD_CHAR_RE = re.compile(r"\w")
_PARTY_KEY_DROP_RE = re.compile(
    r"(rats|kreistags|stadtrats|gemeinderats|bezirks)?fraktion|\bder\b|\bdes\b|[-\s„“”]"
)
# A local group not in the party list: "FWV-Fraktion", "Fraktion Hagen Aktiv", "Gruppe X". Only
# a short text (a title, a form field) ends such a name reliably: in a sentence the name runs
# on ("Fraktion DIE LINKE fragt an"), so ``local_groups=False`` for prose.
_LOCAL_GROUP_RES = [
    re.compile(
        r"\b(Fraktion(?:en)?\s+(?:der\s+|des\s+)?[A-ZÄÖÜ0-9][\w/ .&+-]{1,60}?)"
        r"(?=[,;:)(]|\s+(?:und|vom|zum|zur|im|in|betr|betreffend|an|hier|zu)\b|\s*$|\s+-)",
        re.UNICODE,
    ),
    re.compile(r"\b([A-ZÄÖÜ][\w/+.&]{0,30}-Fraktion|[A-ZÄÖÜ0-9/+.&]{2,20} Fraktion)\b", re.UNICODE),
    re.compile(
        r"\b(Gruppe\s+[A-ZÄÖÜ][\w/ .&+-]{1,40}?)(?=[,;:)(]|\s+(?:vom|zum|zur|im|in)\b|\s*$)"
    ),
]


# How each detector pattern above is run (issue 15: the faction of every paper title is read in
# a sync). Every match of a pattern holds its `literal` and each of `needs`: a text without them
# is not scanned at all. The literal lies at most `back` characters after a match's start (None:
# any distance), so the scan starts that far before its first occurrence; with `ends` the match
# ends with the literal and a `\b`, so the scan stops one character after its last occurrence.
# No match can lie outside, and `\b` still sees the characters around: the same matches, less
# text to try. Keep in step with the patterns (tests/document/test_vocabulary.py checks it).
_Scan = tuple[re.Pattern[str], str, int | None, bool, tuple[str, ...]]
_FACTION_SCANS: list[_Scan] = [
    (FACTION_RES[0], "raktion", len("Gemeinderats") + 1, False, ()),
    (FACTION_RES[1], "raktion", None, True, ()),
    (FACTION_RES[2], "raktion", len("Kreistags") + 1, False, ("„",)),
    (FACTION_RES[3], "Gruppe", 0, False, ()),
]
_LOCAL_GROUP_SCANS: list[_Scan] = [
    (_LOCAL_GROUP_RES[0], "Fraktion", 0, False, ()),
    (_LOCAL_GROUP_RES[1], "Fraktion", 1 + 30 + 1, True, ()),
    (_LOCAL_GROUP_RES[2], "Gruppe", 0, False, ()),
]


def _scan(spec: _Scan, text: str) -> Iterable[re.Match[str]]:
    """What ``rx.finditer(text)`` yields, scanning only where a match can lie (see above)."""
    rx, literal, back, ends, needs = spec
    first = text.find(literal)
    if first < 0 or (needs and not all(n in text for n in needs)):
        return ()
    pos = 0 if back is None else max(0, first - back)
    if ends:
        return rx.finditer(text, pos, text.rfind(literal) + len(literal) + 1)
    return rx.finditer(text, pos)


def party_key(faction: str) -> str:
    """Comparison key of a faction: "Fraktion BÜNDNIS 90/DIE GRÜNEN" and "GRÜNE-Fraktion" are
    the same faction."""
    s = _PARTY_KEY_DROP_RE.sub("", faction.lower())
    s = s.replace("bündnis90/diegrünen", "grüne").replace("b90/grüne", "grüne")
    s = s.replace("diegrünen", "grüne").replace("grünen", "grüne").replace("dielinke", "linke")
    return s.rstrip(".")


def factions_named(text: str | None, *, local_groups: bool = True) -> list[str]:
    """The factions named in ``text``, as written, in order of appearance, each once.

    Names of the party list ("Fraktion BÜNDNIS 90/DIE GRÜNEN", "SPD-Ratsfraktion") are found
    anywhere; a name inside a longer one at the same place is dropped. With ``local_groups``
    (a title, a form field), other groups ("FWV-Fraktion", "Fraktion Hagen Aktiv") are found too
    where they overlap no party name, and a party name cut off inside a word ("Fraktion FW" of
    "Fraktion FWI") gives way to the local group. Without (a line of a document's prose) only
    the party list is read, as the document parser always has."""
    if not text or ("raktion" not in text and "Gruppe" not in text):
        return []  # every shape names "Fraktion" or "Gruppe": most titles end here, fast
    found: list[tuple[int, str]] = []
    spans: list[tuple[int, int]] = []
    for spec in _FACTION_SCANS:
        for m in _scan(spec, text):
            if local_groups and _WORD_CHAR_RE.match(text, m.end()):
                continue  # "Fraktion FW" inside "Fraktion FWI": the local group's name is longer
            found.append((m.start(), _WS_RE.sub(" ", m.group(0)).strip().rstrip(".")))
            spans.append((m.start(), m.end()))
    found.sort()
    named: list[str] = []
    for _, f in found:
        if not any(f in o or o in f for o in named):
            named.append(f)
    if not local_groups:
        return named
    at = {name: start for start, name in reversed(found)}
    local: list[tuple[int, str]] = []
    for spec in _LOCAL_GROUP_SCANS:
        for m in _scan(spec, text):
            start, end = m.start(1), m.end(1)
            if any(s < end and start < e for s, e in spans) or any(
                s <= start < s + len(n) for s, n in local
            ):
                continue
            local.append((start, " ".join(m.group(1).split()).rstrip(" .-")))
    merged = sorted([(at[n], n) for n in named] + local)
    return list(dict.fromkeys(name for _, name in merged))


# --------------------------------------------------------------------------------------------
# Layout: list items, request cues, form labels

# A numbered item: "1.", "2)", "3.)", "(4)", "Frage 5:", "Frage Nr. 6".
ITEM_RE = re.compile(
    r"^(?:Frage\s*(?:Nr\.\s*)?(?P<fn>\d{1,2}[a-z]?)\s*[:.)]?|(?P<n>\d{1,2}[a-z]?)\s*(?:\.\)|[.)])|"
    r"\((?P<pn>\d{1,2})\))(?:\s+|(?=[A-ZÄÖÜ„\"])|$)(?P<rest>.*)$"
)
# The phrase that introduces the questions ("Wir fragen die Verwaltung:").
CUE_RE = re.compile(
    r"(fragen wir|frage ich|Ich frage|Wir fragen|folgende[n]? Fragen|Fragen an|Fragen:|"
    r"bitten wir um (?:die )?Beantwortung|bitte ich um (?:die )?Beantwortung|"
    r"möchte[n]? (?:gerne |gern )?wissen|Anfrage:|wird gebeten,? (?:folgende|die folgenden)|"
    r"um Beantwortung (?:der )?folgende|beantworten Sie|"
    r"frage[n]? die (?:Verwaltung|Landesregierung))",
    re.IGNORECASE,
)
# A form label opening its line: "Betreff:", "Sitzung am:".
LABEL_LINE_RE = re.compile(r"^[A-ZÄÖÜ][\w/ .-]{1,30}:(\s|$)")


def is_item_start(line: str) -> bool:
    return bool(ITEM_RE.match(line))
