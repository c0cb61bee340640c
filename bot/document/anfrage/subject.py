"""The paper's subject (Betreff): a labelled field, a Landtag title block or an unlabelled title
under the paper type or author line."""

from __future__ import annotations

import re

from bot.document.anfrage.lines import Ctx, next_nonblank, ws
from bot.document.anfrage.paper_type import match_type
from bot.document.anfrage.vocabulary import DATE_RE, LABEL_LINE_RE, is_item_start

_SUBJECT_LABEL_RE = re.compile(
    r"^(?:Betreff|Betr\.|betr\.|Betrifft|Kurztitel|Titel|Gegenstand|Thema)\s*[:\t]\s*(.*)$"
)
# A bare label line ("Betreff" / "Kurztitel") with the title on the next line.
_BARE_LABEL_RE = re.compile(r"^(?:Betreff|Betrifft|Kurztitel|Titel|Gegenstand)()$")
_TITLE_ANCHOR_RE = re.compile(
    r"^(?:(?:der|des)\s+Abgeordneten\b.*|[–-]\s*Drucksache\s+\S+\s*[–-])$"
)
# A line that goes on a sentence rather than starting a title.
_NOT_A_TITLE_RE = re.compile(r"^(der|des|die|von|auf|gemäß|mit|zu|an|vom)\b")
_RECEIVED_RE = re.compile(r"eingegangen(?:\s+am|\s*$)")
_PAPER_LINE_RE = re.compile(r"^(Anfrage|Antrag)\b")
_TITLE_BLOCK_TOP_RE = re.compile(r"^(Anfrage|Antwort|Kleine Anfrage|mit Antwort|gemäß|namens)\b")
_LANDTAG_ADMIN_RE = re.compile(r"^-?\s*Landtagsverwaltung\s*-?$")


def find_subject(ctx: Ctx) -> str | None:
    lines = ctx.lines
    for i, line in enumerate(lines[:80]):
        m = _SUBJECT_LABEL_RE.match(line.strip()) or _BARE_LABEL_RE.match(line.strip())
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
            if LABEL_LINE_RE.match(nxt) or "\t" in nxt or is_item_start(nxt):
                break
            if parts and not (nxt[:1].islower() or nxt[:1].isdigit() or len(parts[-1]) > 55):
                break
            parts.append(nxt)
            j += 1
        subject = ws(" ".join(parts).replace("\t", " "))
        if subject:
            return subject
    return _landtag_subject(ctx) or _title_after_anchor(ctx)


def _title_after_anchor(ctx: Ctx) -> str | None:
    """An unlabelled title: the line after a bare paper-type line ('Antrag'), after the author
    line of a Landtag paper ('der Abgeordneten X und Y SPD') or after '– Drucksache 20/1 –'."""
    lines = ctx.lines[:45]
    for i, line in enumerate(lines):
        cur = line.strip()
        t = match_type(cur)
        if not (_TITLE_ANCHOR_RE.match(cur) or (t and len(cur) == len(t))):
            continue
        j = next_nonblank(lines, i + 1, min(len(lines), i + 4))
        if j is None:
            continue
        nxt = lines[j].strip()
        if (
            len(nxt) < 8
            or len(nxt) > 200
            or "\t" in nxt
            or LABEL_LINE_RE.match(nxt)
            or is_item_start(nxt)
            or match_type(nxt)
            or _NOT_A_TITLE_RE.match(nxt)
            or DATE_RE.fullmatch(nxt)
            or _TITLE_ANCHOR_RE.match(nxt)
        ):
            continue
        parts = [nxt]
        k = j + 1
        while k < len(lines) and lines[k].strip()[:1].islower() and len(parts) < 3:
            parts.append(lines[k].strip())
            k += 1
        return ws(" ".join(parts))
    return None


def _landtag_subject(ctx: Ctx) -> str | None:
    """Niedersachsen/Landtag layout: the title sits between the answer header and the
    'Anfrage der Abgeordneten ..., eingegangen am' line, or after '- Landtagsverwaltung -'."""
    lines = ctx.lines[:40]
    for i, line in enumerate(lines):
        if _RECEIVED_RE.search(line) and _PAPER_LINE_RE.match(line):
            j = i - 1
            block: list[str] = []
            while j >= 0:
                cur = lines[j].strip()
                if not cur or cur.endswith("Landesregierung") or _TITLE_BLOCK_TOP_RE.match(cur):
                    break
                block.insert(0, cur)
                j -= 1
            if block:
                return ws(" ".join(block))
        if _LANDTAG_ADMIN_RE.match(line.strip()) and i + 1 < len(lines):
            nxt = lines[i + 1].strip()
            if nxt:
                return ws(nxt)
    return None
