"""What every field reader works on: the document's lines (``Ctx``) and small line helpers."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.document.anfrage.vocabulary import DATE_RE, MONTHS

_WS_RE = re.compile(r"\s+")
_EMPHASIS_RE = re.compile(r"\*\*|__")


@dataclass
class Ctx:
    lines: list[str]
    header_end: int  # index of the first body line (rough)
    answer_doc: bool = False
    typical_width: int = 80


def ws(s: str) -> str:
    """Whitespace runs folded to one space, ends stripped."""
    return _WS_RE.sub(" ", s).strip()


def unmark(s: str) -> str:
    """Remove markdown emphasis markers."""
    return ws(_EMPHASIS_RE.sub("", s))


def next_nonblank(lines: list[str], j: int, stop: int) -> int | None:
    while j < stop and not lines[j].strip():
        j += 1
    return j if j < stop else None


def _make_date(m: re.Match[str]) -> dt.date | None:
    try:
        if m.group(1):
            d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
            if y < 100:
                y += 2000
        else:
            d, mo, y = int(m.group(4)), MONTHS[m.group(5).lower()], int(m.group(6))
        return dt.date(y, mo, d)
    except (ValueError, KeyError, TypeError):
        return None


def find_date(s: str) -> dt.date | None:
    """The first real date written in ``s`` ("31.02.2025" is skipped)."""
    for m in DATE_RE.finditer(s):
        d = _make_date(m)
        if d is not None:
            return d
    return None


def strip_dates(s: str) -> str:
    return DATE_RE.sub(" ", s)
