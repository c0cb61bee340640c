"""Pure rules that turn council vocabulary into decisions: is this an Anfrage, an answer,
which faction filed it, what is its normalised Drucksache number."""

from __future__ import annotations

import re

_ANSWER = re.compile(
    r"beantwortung|stellungnahme|antwort|mitteilung der verwaltung|auskunft der verwaltung",
    re.IGNORECASE,
)
_ANFRAGE = re.compile(r"anfrage", re.IGNORECASE)

# "Fraktion Die Linke", "SPD-Fraktion", "Fraktion BÜNDNIS 90/DIE GRÜNEN", "FWV-Fraktion",
# "Gruppe ..." (smaller groups file Anfragen too).
_FACTION_PATTERNS = [
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

_REF_SPACES = re.compile(r"\s*/\s*")
# An interim reply ("Zwischennachricht", "Zwischenbescheid"): shown, never the answer.
_INTERIM = re.compile(r"zwischen\s*-?\s*(?:nachricht|bescheid|antwort|mitteilung)", re.IGNORECASE)


def is_interim(name: str | None) -> bool:
    return bool(name and _INTERIM.search(name))


def is_answer_type(paper_type: str | None, name: str | None = None) -> bool:
    return bool(paper_type and _ANSWER.search(paper_type))


def is_anfrage(paper_type: str | None, name: str | None = None) -> bool:
    """An Anfrage by its paperType; answers ("Beantwortung einer Anfrage") are not Anfragen.

    Without a paperType, a title that starts with "Anfrage" still counts.
    """
    if paper_type:
        return bool(_ANFRAGE.search(paper_type)) and not is_answer_type(paper_type)
    return bool(name and re.match(r"\s*(Fraktions)?anfrage\b", name, re.IGNORECASE))


def factions_from_text(text: str | None) -> tuple[str, ...]:
    """The factions named in a title or a document's head, as written, in order."""
    if not text:
        return ()
    found: list[tuple[int, str]] = []
    for pattern in _FACTION_PATTERNS:
        for m in pattern.finditer(text):
            name = " ".join(m.group(1).split()).rstrip(" .-")
            if not any(start <= m.start() < start + len(n) for start, n in found):
                found.append((m.start(), name))
    return tuple(name for _, name in sorted(found))


def normalize_reference(reference: str | None) -> str | None:
    """`14 / 1923` → `14/1923`; other forms kept, whitespace folded."""
    if not reference:
        return None
    text = " ".join(reference.split())
    return _REF_SPACES.sub("/", text) or None


def compact_reference(reference: str | None) -> str | None:
    """Digits only (`14/1923` → `141923`): how RVR prints numbers in some places."""
    if not reference:
        return None
    digits = re.sub(r"\D", "", reference)
    return digits or None
