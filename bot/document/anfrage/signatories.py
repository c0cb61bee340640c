"""Who signed the paper: "gez." lines, labelled signer fields, Landtag authors, the names under
"Mit freundlichen Grüßen", else an unsigned name block after the questions."""

from __future__ import annotations

import re

from bot.document.anfrage.lines import Ctx, ws
from bot.document.anfrage.names import (
    MP_PARTY_RE,
    NAME_LIST_SPLIT_RE,
    NAME_RE,
    clean_name,
    mp_authors,
)
from bot.document.anfrage.paper_type import match_type
from bot.document.anfrage.vocabulary import factions_named

_GEZ_RE = re.compile(r"^\**\s*(?:gez\.|gezeichnet)\s*(.*)$", re.IGNORECASE)
_GEZ_PREFIX_RE = re.compile(r"^(?:gez\.|gezeichnet)\s*")
_GEZ_SPLIT_RE = re.compile(r"\s+und\s+|;|\t")
_SIGNER_LABEL_RE = re.compile(
    r"^(?:Unterzeichner(?:/in)?|Fragesteller(?:/in)?|Unterschrift)\s*[:\t]\s*(.+)$"
)
_SIGNER_SPLIT_RE = re.compile(r",|\s+und\s+")
_DIGIT_RE = re.compile(r"\d")
# A word of a role, an office or an address: such a line is no person's name.
_ROLE_WORD_RE = re.compile(
    r"(vorsitz|sprecher|mitglied|geschäftsführ|minister|bürgermeister|stadtr[aä]t|ratsherr|"
    r"ratsfrau|referent|präsident|senator|landrat|abgeordnete|verordnete|fraktion|rathaus|"
    r"grüße|stadt\b|gemeinde|kreis\b|verwaltung)",
    re.IGNORECASE,
)


def find_signatories(ctx: Ctx, q_end: int) -> list[str]:
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
                cand = clean_name(lines[k])
                if not (cand and NAME_RE.match(cand) and is_person_line(lines[k])):
                    break
                rest += "\t" + cand
                k += 1
        for part in _GEZ_SPLIT_RE.split(rest):
            # "gez. A<tab>gez. B": each column carries its own "gez.".
            name = clean_name(_GEZ_PREFIX_RE.sub("", part.strip()))
            if name and len(name) > 3 and name not in out:
                out.append(name)
    if out:
        return out
    # Labelled signer fields.
    for line in lines:
        m = _SIGNER_LABEL_RE.match(line.strip())
        if m:
            for part in _SIGNER_SPLIT_RE.split(m.group(1)):
                name = clean_name(part)
                if name and NAME_RE.match(name) and name not in out:
                    out.append(name)
    if out:
        return out
    # Landtag: "Anfrage der Abgeordneten X und Y (CDU)".
    for line in lines[:40]:
        m2 = MP_PARTY_RE.match(line.strip())
        if m2:
            for part in NAME_LIST_SPLIT_RE.split(m2.group(1)):
                name = ws(part)
                if name and name not in out:
                    out.append(name)
            return out
    mp_names, _ = mp_authors(ctx)
    if mp_names:
        return mp_names
    # Closing block: names after "Mit freundlichen Grüßen" (a few lines).
    for i, line in enumerate(lines[q_end:], start=q_end):
        if line.lstrip().startswith("Mit freundlichen Grüßen"):
            for nxt in lines[i + 1 : i + 8]:
                # Names may stand side by side in columns ("Anna Roth<tab>Jan Berg").
                for cell in nxt.split("\t"):
                    cand = clean_name(cell)
                    if (
                        cand
                        and NAME_RE.match(cand)
                        and not factions_named(cand, local_groups=False)
                        and ("\t" not in nxt or is_person_line(cell))
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
            cand = clean_name(cell)
            if cand and NAME_RE.match(cand) and is_person_line(cell) and cand not in out:
                out.append(cand)
    return out


def is_person_line(line: str) -> bool:
    """A line holding only a person's name (not a role, a faction or an address)."""
    s = line.strip()
    return (
        len(s) <= 50
        and not _DIGIT_RE.search(s)
        and not _ROLE_WORD_RE.search(s)
        and not factions_named(s, local_groups=False)
        and not match_type(s)
    )
