"""Person names, and the authors named on a Landtag/Bundestag Anfrage ("Anfrage der
Abgeordneten X und Y (CDU)"): read by the faction and the signatory readers alike."""

from __future__ import annotations

import functools
import re

from bot.document.anfrage.lines import Ctx, unmark, ws
from bot.document.anfrage.vocabulary import PARTY_COMBO

_TITLE_WORDS = re.compile(
    r"^(?:Herrn?|Frau|Ratsherr|Ratsfrau|Stadtverordnete[r]?|Kreistagsabgeordnete[r]?)\s+"
)
NAME_RE = re.compile(
    r"^(?:(?:Dr|Prof|Dipl\.-Ing|Dipl)\.\s?)*[A-ZÄÖÜ][a-zäöüßéè]+(?:-[A-ZÄÖÜ][a-zäöüß]+)?"
    r"(?:\s+(?:(?:von|van|de|zu|der|den)\s+)?[A-ZÄÖÜ][\wäöüßéè'.-]+){1,3}$"
)
# What follows a name and is not part of it: ", Fraktionsvorsitzende", " – Sprecher", "(SPD)".
_NAME_END_RE = re.compile(r",|\s[–-]\s|\(")
MP_PARTY_RE = re.compile(
    r"^(?:Kleine\s+|Große\s+)?Anfrage\s+(?:der|des)\s+Abgeordneten\s+(.+?)\s*\(([^)]{1,40})\)"
)
_MP_LOOSE_RE = re.compile(
    r"(?i:a\s?n\s?f\s?r\s?a\s?g\s?e)\s+(?:\d+\s+)?(?:der|des)\s+Abgeordneten\s+(?P<rest>.{3,220})"
)
_MP_NAMES_PARTY_RE = re.compile(r"^([^()]{3,160}?)\s*\(([^)]{1,40})\)")
_MP_NAMES_MORE_RE = re.compile(r"^(.+?),?\s+weiterer\s+Abgeordneter\b")
_MP_NAMES_BARE_PARTY_RE = re.compile(rf"^(.+?)\s+({PARTY_COMBO})(?=\s|$)")
NAME_LIST_SPLIT_RE = re.compile(r",\s*|\s+und\s+")
NO_PARTY = ("fraktionslos", "parteilos")


@functools.lru_cache(maxsize=4096)
def clean_name(s: str) -> str:
    """A name without emphasis, title word ("Frau") or what follows it (role, party)."""
    s = unmark(s)
    s = _NAME_END_RE.split(s)[0]
    s = _TITLE_WORDS.sub("", s.strip())
    return ws(s)


def mp_authors(ctx: Ctx) -> tuple[list[str], str | None]:
    """Authors of a Landtag/Bundestag Anfrage written across lines or flattened:
    'ANFRAGE / des Abgeordneten X (CDU)', 'Kleine Anfrage 5218 / der Abgeordneten X und Y SPD',
    'Kleine Anfrage der Abgeordneten X, Y, weiterer Abgeordneter und der Fraktion Z'."""
    joined = ws(" ".join(line.replace("\t", " ") for line in ctx.lines[:40]))
    m = _MP_LOOSE_RE.search(joined)
    if not m:
        return [], None
    rest = m.group("rest")
    names_s: str | None = None
    party: str | None = None
    m1 = _MP_NAMES_PARTY_RE.match(rest)
    m2 = _MP_NAMES_MORE_RE.match(rest)
    m3 = _MP_NAMES_BARE_PARTY_RE.match(rest)
    if m1:
        names_s, party = m1.group(1), m1.group(2).strip()
    elif m2:
        names_s = m2.group(1)
    elif m3:
        names_s, party = m3.group(1), m3.group(2)
    if names_s is None:
        return [], None
    names = [clean_name(p) for p in NAME_LIST_SPLIT_RE.split(names_s) if p.strip()]
    if not names or not all(NAME_RE.match(n) for n in names):
        return [], None
    if party and party.lower() in NO_PARTY:
        party = None
    return names, party
