"""Read an Anfrage (or a related council/Landtag paper) out of its plain text.

``parse_anfrage`` is pure: text in, ``ParsedAnfrage`` out, no I/O and no clock. It never raises
for odd input; fields it cannot find are ``None`` / empty. It prefers general layout rules
(numbering sequences, cue phrases, ``?`` endings, Beratungsfolge tables) over per-document hacks.

What lives here, one module per field over one shared vocabulary:

- ``parse``: the entry points, ``parse_anfrage`` (raw or cleaned text) and
  ``parse_cleaned_anfrage`` (text already cleaned by ``bot.document.clean.clean_text``).
- ``vocabulary``: compiled patterns and word lists (dates, reference shapes, paper types, party
  names, list items, request cues), the faction detectors and the reference normaliser; also
  used by ``bot.classify``.
- ``lines``: the parse context (``Ctx``) and line helpers; ``names``: person names and Landtag
  authors; ``items``: sub-item markers and sentence ends.
- Field readers: ``reference``, ``date``, ``paper_type``, ``subject``, ``factions``,
  ``signatories``, ``consultations``, ``questions`` (numbered lists), ``unnumbered`` ("Zu Frage"
  headings, questions after a cue) and ``prose`` (questions written as sentences).

Imports: the standard library, ``bot.document.clean`` and ``bot.document.model`` only; never
``bot.store``, ``bot.slack``, ``bot.outbox`` or ``jobs`` (import-linter contract), and never
``bot.classify`` (which imports ``vocabulary``).

The two entry points are loaded on first use (``__getattr__``): importing ``vocabulary`` alone,
as ``bot.classify`` does at every start-up, must not load every field reader.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.document.anfrage.parse import parse_anfrage, parse_cleaned_anfrage

__all__ = ["parse_anfrage", "parse_cleaned_anfrage"]


def __getattr__(name: str) -> Any:
    # Lazy: `bot.classify` imports `vocabulary` on every poll's start-up; the field readers
    # (~0.1 s of imports) load only when a paper is actually parsed.
    if name in __all__:
        from bot.document.anfrage import parse

        return getattr(parse, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
