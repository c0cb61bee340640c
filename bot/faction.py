"""Our faction (`[faction]`) and clean subjects. Pure functions.

Whether an Anfrage is ours is decided by the same rule as the `fraktion:` abo key
(`bot.subscriptions.contains`: substring, any case) over all its factions, so a joint Anfrage
("Fraktion Die Linke, SPD-Fraktion") is ours too.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.config import Config, DeadlinesConfig, FactionConfig
from bot.deadlines import answer_due
from bot.domain import AnfrageView
from bot.subscriptions import contains


@dataclass(frozen=True)
class Perspective:
    """What the formatters need to know about the reader: our faction and the deadlines."""

    faction: FactionConfig = field(default_factory=FactionConfig)
    deadlines: DeadlinesConfig = field(default_factory=DeadlinesConfig)

    @property
    def configured(self) -> bool:
        return bool(self.faction.names)


NOBODY = Perspective()


def split_factions(text: str | None) -> tuple[str, ...]:
    """`papers.faction` ("A, B") as a tuple."""
    return tuple(f.strip() for f in (text or "").split(",") if f.strip())


def is_ours(factions: Sequence[str], faction: FactionConfig) -> bool:
    text = " | ".join(factions)
    return bool(text) and any(contains(name, text) for name in faction.names)


def decorate(view: AnfrageView, perspective: Perspective) -> AnfrageView:
    """The view with `ours` and `deadline` filled in for this reader."""
    return dataclasses.replace(
        view,
        ours=is_ours(view.factions, perspective.faction),
        deadline=answer_due(view.date, view.paper_type, perspective.deadlines),
    )


# -- clean subjects ------------------------------------------------------------------------------

# "… (Fraktionsanfrage der Fraktion Die Linke)", "… (Anfrage der SPD-Fraktion)",
# "… (Interfraktionelle Anfrage)" at the end of the feed's name.
_TRAILING = re.compile(r"\s*[(\[][^()\[\]]*(?:anfrage|fraktion)[^()\[\]]*[)\]]\s*$", re.IGNORECASE)
# "Fraktionsanfrage SPD-Fraktion: …", "Anfrage der FWV-Fraktion vom 20.05.2026; hier: …",
# "Große Anfrage der Fraktion X: …" at the start.
_LEADING = re.compile(
    r"^\s*(?:(?:große|kleine|interfraktionelle)\s+)?(?:fraktions)?anfrage\b"
    r"(?=[^:;]{0,120}?(?:fraktion(?:en)?|gruppen?)\b)[^:;]{0,120}?"
    r"(?:;\s*hier|:|;)\s*:?\s*",
    re.IGNORECASE,
)
# "Fraktion Die Linke: …", "SPD-Fraktion: …" at the start.
_LEADING_FACTION = re.compile(
    r"^\s*(?:fraktion\s+[^:]{1,60}|[\w/+.&]{1,30}-fraktion)\s*:\s*", re.IGNORECASE
)


def clean_subject(name: str | None, parsed_subject: str | None = None) -> str | None:
    """The parsed Betreff, or else the feed's name without its faction decorations."""
    if parsed_subject and parsed_subject.strip():
        return " ".join(parsed_subject.split())
    if not name:
        return name
    text = " ".join(name.split())
    for _ in range(2):  # both ends may be decorated
        cleaned = _TRAILING.sub("", text)
        cleaned = _LEADING.sub("", cleaned)
        cleaned = _LEADING_FACTION.sub("", cleaned)
        if cleaned == text:
            break
        text = cleaned
    return text.strip() or " ".join(name.split())


def perspective_of(config: Config) -> Perspective:
    return Perspective(faction=config.faction, deadlines=config.deadlines)
