"""Pure rules that turn council vocabulary into decisions: is this an Anfrage, an answer,
which faction filed it, what is its normalised Drucksache number.

The vocabulary itself (faction shapes, reference shapes) and the faction detector and reference
normaliser live in ``bot.document.anfrage.vocabulary``, shared with the document parser.
"""

from __future__ import annotations

import re

from bot.document.anfrage.vocabulary import (
    compact_reference,
    factions_named,
    normalize_reference,
    reference_stem,
)

__all__ = [
    "compact_reference",
    "factions_from_text",
    "is_anfrage",
    "is_answer_type",
    "is_interim",
    "normalize_reference",
    "reference_stem",
]

_ANSWER = re.compile(
    r"beantwortung|stellungnahme|antwort|mitteilung der verwaltung|auskunft der verwaltung",
    re.IGNORECASE,
)
_ANFRAGE = re.compile(r"anfrage", re.IGNORECASE)
_ANFRAGE_TITLE = re.compile(r"\s*(Fraktions)?anfrage\b", re.IGNORECASE)
# An interim reply ("Zwischennachricht", "Zwischenbescheid"): shown, never the answer.
_INTERIM = re.compile(r"zwischen\s*-?\s*(?:nachricht|bescheid|antwort|mitteilung)", re.IGNORECASE)


def factions_from_text(text: str | None) -> tuple[str, ...]:
    """The factions named in a title or a document's head, as written, in order."""
    return tuple(factions_named(text))


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
    return bool(name and _ANFRAGE_TITLE.match(name))
