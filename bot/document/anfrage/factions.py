"""The factions that filed the paper: labelled fields and table columns, the header, a local
group on the author line, the party of Landtag authors, else the signature block."""

from __future__ import annotations

import re

from bot.document.anfrage.lines import Ctx
from bot.document.anfrage.names import MP_PARTY_RE, NO_PARTY, mp_authors
from bot.document.anfrage.paper_type import match_type
from bot.document.anfrage.vocabulary import factions_named, party_key

_FACTION_LABEL_RE = re.compile(
    r"^(?:Antragsteller(?:/in|in)?|Fragesteller(?:/in|in)?|Einreicher(?:/in)?|Initiator(?:/in|en)?|"
    r"Absender|Fraktion(?:/en|en)?|Urheber|Eingereicht von|Von)\s*[:\t]\s*(.+)$",
    re.IGNORECASE,
)
_FACTION_CELL_RE = re.compile(r"Fraktion(?:/en|en)?|Antragsteller(?:/in)?|Initiator")
_AUTHOR_LINE_RE = re.compile(r"^(?:der|des)\s+(.+)$")


def _add_faction(out: list[str], f: str) -> None:
    key = party_key(f)
    if key and all(party_key(o) != key for o in out):
        out.append(f)


def find_factions(ctx: Ctx, q_end: int) -> list[str]:
    lines = ctx.lines
    out: list[str] = []
    # 1. Labelled fields and table columns.
    for i, line in enumerate(lines):
        m = _FACTION_LABEL_RE.match(line.strip())
        if m:
            # A form field may name a local group: "Fraktion: Fraktion Hagen Aktiv".
            for f in factions_named(m.group(1)):
                _add_faction(out, f)
        cells = [c.strip() for c in line.split("\t")]
        for ci, cell in enumerate(cells):
            label = _FACTION_CELL_RE.fullmatch(cell)
            if label and i + 1 < len(lines):
                row = [c.strip() for c in lines[i + 1].split("\t")]
                if ci < len(row):
                    for f in factions_named(row[ci], local_groups=False) or (
                        [row[ci]] if row[ci] else []
                    ):
                        _add_faction(out, f)
    if out:
        return out
    # 2. Header lines ("Fraktionsanfrage Fraktion Die Linke", "Antrag der Fraktion der SPD ...").
    for line in lines[: ctx.header_end]:
        for f in factions_named(line, local_groups=False):
            _add_faction(out, f)
    if out:
        return out
    # 3. A local group on the author line under the paper type: "Dringliche Anfrage" /
    # "der Fraktion Junges Duisburg / FW".
    for prev, line in zip(lines[: ctx.header_end], lines[1 : ctx.header_end], strict=False):
        m = _AUTHOR_LINE_RE.match(line.strip())
        named = factions_named(m.group(1)) if m and match_type(prev.strip()) else []
        if named:
            _add_faction(out, named[0])
            return out
    # 4. Landtag: "Anfrage der Abgeordneten X und Y (CDU)".
    for line in lines[:40]:
        m = MP_PARTY_RE.match(line.strip())
        if m:
            party = m.group(2).strip()
            if party.lower() not in NO_PARTY:
                _add_faction(out, party)
            return out
    _, mp_party = mp_authors(ctx)
    if mp_party:
        _add_faction(out, mp_party)
        return out
    # 5. Signature block after the questions.
    for line in lines[q_end:]:
        for f in factions_named(line, local_groups=False):
            _add_faction(out, f)
    return out
