"""PDF text extraction: pypdfium2 first (fast), pypdf as a fallback.

Only text layers are read; there is no OCR. An image-only PDF is not an error here: it comes back
with ``has_text_layer=False`` and the caller decides what to tell the user.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from typing import Any

from bot.errors import DocumentError

log = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
PAGE_SEPARATOR = "\n\f\n"  # form feed marks page breaks; clean_text turns it into a blank line

# A text layer is considered present when the document yields at least this many letters.
_MIN_LETTERS_FOR_TEXT_LAYER = 20
_LETTER_RE = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class ExtractedText:
    """Text of a PDF; pages are separated by a form feed line ("\\n\\f\\n")."""

    text: str
    pages: int
    has_text_layer: bool


def _check_input(data: bytes) -> None:
    if not data:
        raise DocumentError("Das Dokument ist leer (0 Bytes).")
    if len(data) > MAX_DOCUMENT_BYTES:
        mb = len(data) / (1024 * 1024)
        raise DocumentError(f"Das Dokument ist zu groß ({mb:.0f} MB, höchstens 50 MB).")
    # The PDF header may be preceded by a little garbage (spec allows up to 1024 bytes).
    if b"%PDF" not in data[:1024]:
        raise DocumentError("Die Datei ist kein PDF (Kennung %PDF fehlt).")


def _has_text(text: str) -> bool:
    for count, _ in enumerate(_LETTER_RE.finditer(text), start=1):
        if count >= _MIN_LETTERS_FOR_TEXT_LAYER:
            return True
    return False


class TooManyPages(DocumentError):
    """More pages than the caller allows: checked before any page is read."""


def _check_pages(count: int, max_pages: int | None) -> None:
    if max_pages is not None and count > max_pages:
        raise TooManyPages(f"Das PDF hat {count} Seiten (höchstens {max_pages} werden gelesen).")


def _extract_pdfium(data: bytes, max_pages: int | None = None) -> tuple[list[str], bool]:
    """Return (page texts, encrypted) with pypdfium2; raise on failure."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        msg = str(e).lower()
        if "password" in msg or "security" in msg:
            return [], True
        raise
    try:
        _check_pages(len(pdf), max_pages)
        texts: list[str] = []
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                textpage = page.get_textpage()
                try:
                    texts.append(_layout_text(textpage) or textpage.get_text_range())
                finally:
                    textpage.close()
            finally:
                page.close()
        return texts, False
    finally:
        pdf.close()


@dataclass
class _Glyph:  # a text run (or glyph) with its box
    char: str
    left: float
    bottom: float
    right: float
    top: float

    @property
    def height(self) -> float:
        return self.top - self.bottom


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


def _group_lines(glyphs: list[_Glyph]) -> list[list[_Glyph]]:
    """Text runs on one baseline form a line; lines from top to bottom, runs left to right.

    Sorting by position (not by content-stream order) puts the cells of a table row on one line
    even when the producer drew the table column by column or cell by cell, and puts running
    headers on top and footers at the bottom of the page."""
    lines: list[list[_Glyph]] = []
    ref_centre = ref_height = 0.0  # of the current line, from its first glyphs
    for g in sorted(glyphs, key=lambda g: (-(g.bottom + g.top) / 2, g.left)):
        centre, height = (g.bottom + g.top) / 2, g.top - g.bottom
        if lines and abs(centre - ref_centre) < 0.45 * max(ref_height, height):
            line = lines[-1]
            line.append(g)
            if len(line) <= 8:
                ref_centre = _median([(x.bottom + x.top) / 2 for x in line])
                ref_height = _median([x.top - x.bottom for x in line])
            continue
        lines.append([g])
        ref_centre, ref_height = centre, height
    return [sorted(line, key=lambda g: g.left) for line in lines]


def _cells(line: list[_Glyph]) -> list[tuple[str, float, float]]:
    """Split a line of text runs into (text, left, right) cells: a word-sized gap becomes a
    space, a column gap (0.8 em or more) starts a new cell."""
    em = _em(line)
    cells: list[tuple[str, float, float]] = []
    text, left, right = line[0].char, line[0].left, line[0].right
    for g in line[1:]:
        gap = g.left - right
        if gap >= 0.8 * em:
            cells.append((text, left, right))
            text, left = g.char, g.left
        else:
            text += (" " if gap > 0.1 * em else "") + g.char
        right = max(right, g.right)
    cells.append((text, left, right))
    return cells


def _em(line: list[_Glyph]) -> float:
    """Font size estimate of a line: tight boxes of mixed text are ~0.9 em high."""
    return max(g.height for g in line) / 0.9 or 1.0


def _continues_cells(
    row: list[tuple[str, float, float]],
    nxt: list[tuple[str, float, float]],
    gap: float,
    em: float,
    page_right: float,
) -> list[int] | None:
    """Column indexes of ``row`` that the cells of ``nxt`` continue (a table cell whose text
    wraps onto a second line), or None when ``nxt`` is a line of its own.

    A continuation follows at the cell's own line spacing (no row padding), has fewer cells than
    the row, and each of its cells starts where a cell of the row starts and ends before the
    next column begins. And the row's cell must really have been full: its first word would
    not have fitted behind the cell's text (otherwise the line is a new line, not a wrap)."""
    if len(row) < 2 or len(nxt) >= len(row) or gap > 0.5 * em:
        return None
    targets: list[int] = []
    for text, left, right in nxt:
        index = next((i for i, c in enumerate(row) if abs(c[1] - left) <= 0.3 * em), None)
        if index is None or index in targets:
            return None
        limit = row[index + 1][1] if index + 1 < len(row) else page_right
        if right > limit:
            return None
        first_word = text.split(" ", 1)[0]
        word_width = (right - left) * len(first_word) / max(len(text), 1)
        if row[index][2] + 0.3 * em + word_width < limit - 1.2 * em:
            return None
        targets.append(index)
    return targets


def _text_runs(textpage: Any) -> list[_Glyph]:
    """pdfium's text runs with their boxes. A line of pdfium's plain text that fills one box
    keeps its text (fast path); only lines with several boxes (table rows, font changes, a
    hyphenated line break) are read box by box."""
    plain: str = textpage.get_text_range()
    if len(plain) != textpage.count_chars():
        raise ValueError("text and character count differ")
    runs: list[_Glyph] = []

    def add(text: str, box: tuple[float, float, float, float]) -> None:
        left, bottom, right, top = box
        text = text.replace("\r", "").replace("\n", " ").strip(" ")
        if text and top > bottom:
            runs.append(_Glyph(text, left, bottom, right, top))

    pos = 0
    for line in plain.split("\r\n"):
        if line.strip():
            count = textpage.count_rects(pos, len(line))
            if count == 1:
                add(line, textpage.get_rect(0))
            else:
                boxes = [textpage.get_rect(j) for j in range(count)]
                for box in boxes:
                    add(textpage.get_text_bounded(*box), box)
        pos += len(line) + 2
    return runs


def _layout_text(textpage: object) -> str | None:
    """Page text rebuilt from the positions of pdfium's text runs (one box per run of text on a
    line): visual line order, tabs between table cells, wrapped table cells joined, and a blank
    line where the vertical gap between two lines is larger than a line.

    Returns None (the caller keeps pdfium's plain text) when the runs cannot be read."""
    try:
        runs = _text_runs(textpage)
    except Exception as e:  # an odd page must not break extraction
        log.debug("layout extraction failed (%s), using plain text", e)
        return None
    if not runs:
        return None
    page_right = max(g.right for g in runs)
    rows: list[list[tuple[str, float, float]] | None] = []  # None = blank line
    prev: list[_Glyph] | None = None
    for line in _group_lines(runs):
        cells = _cells(line)
        if prev is not None:
            em = _em(line)
            gap = min(g.bottom for g in prev) - max(g.top for g in line)
            last = rows[-1]
            targets = _continues_cells(last, cells, gap, em, page_right) if last else None
            if last and targets is not None:
                for (text, _left, right), index in zip(cells, targets, strict=True):
                    old_text, old_left, _old_right = last[index]
                    last[index] = (f"{old_text} {text}", old_left, right)
                prev = line
                continue
            # Rows of one table stay together even when the row padding makes a gap.
            same_table = last is not None and len(last) > 1 and len(cells) > 1
            if gap > 0.9 * em and not same_table:
                rows.append(None)
        rows.append(cells)
        prev = line
    return "\n".join("\t".join(c[0] for c in row) if row else "" for row in rows)


def _extract_pypdf(data: bytes, max_pages: int | None = None) -> tuple[list[str], bool]:
    """Return (page texts, encrypted) with pypdf; raise on failure."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            ok = bool(reader.decrypt(""))
        except Exception:  # pypdf raises various errors for unknown crypto
            ok = False
        if not ok:
            return [], True
    _check_pages(len(reader.pages), max_pages)
    return [page.extract_text() or "" for page in reader.pages], False


def extract_pdf_text(data: bytes, *, max_pages: int | None = None) -> ExtractedText:
    """Extract the text layer of a PDF.

    Raises DocumentError for empty input, non-PDF bytes, encrypted, corrupt or too large PDFs,
    and for more than `max_pages` pages (None: no limit). MemoryError is not swallowed: the
    sandbox (bot/document/sandbox.py) reports it as the memory cap.
    """
    _check_input(data)
    pages: list[str] | None = None
    encrypted = False
    first_error: Exception | None = None
    try:
        pages, encrypted = _extract_pdfium(data, max_pages)
    except (TooManyPages, MemoryError):
        raise
    except Exception as e:  # any pdfium failure falls back to pypdf
        first_error = e
        log.debug("pypdfium2 failed (%s), trying pypdf", e)
    if encrypted:
        raise DocumentError(
            "Das PDF ist verschlüsselt (passwortgeschützt) und kann nicht gelesen werden."
        )
    if pages is None:
        try:
            pages, encrypted = _extract_pypdf(data, max_pages)
        except (TooManyPages, MemoryError):
            raise
        except Exception as e:
            raise DocumentError(
                f"Das PDF ist beschädigt und kann nicht gelesen werden ({first_error or e})."
            ) from e
        if encrypted:
            raise DocumentError(
                "Das PDF ist verschlüsselt (passwortgeschützt) und kann nicht gelesen werden."
            )
    if not pages:
        raise DocumentError("Das PDF enthält keine Seiten.")
    text = PAGE_SEPARATOR.join(p.replace("\x00", "") for p in pages)
    return ExtractedText(text=text, pages=len(pages), has_text_layer=_has_text(text))
