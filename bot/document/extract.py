"""PDF text extraction: pypdfium2 first (fast), pypdf as a fallback.

Only text layers are read; there is no OCR. An image-only PDF is not an error here: it comes back
with ``has_text_layer=False`` and the caller decides what to tell the user.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass

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


def _extract_pdfium(data: bytes) -> tuple[list[str], bool]:
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
        texts: list[str] = []
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                textpage = page.get_textpage()
                try:
                    texts.append(textpage.get_text_range())
                finally:
                    textpage.close()
            finally:
                page.close()
        return texts, False
    finally:
        pdf.close()


def _extract_pypdf(data: bytes) -> tuple[list[str], bool]:
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
    return [page.extract_text() or "" for page in reader.pages], False


def extract_pdf_text(data: bytes) -> ExtractedText:
    """Extract the text layer of a PDF.

    Raises DocumentError for empty input, non-PDF bytes, encrypted, corrupt or too large PDFs.
    """
    _check_input(data)
    pages: list[str] | None = None
    encrypted = False
    first_error: Exception | None = None
    try:
        pages, encrypted = _extract_pdfium(data)
    except Exception as e:  # any pdfium failure falls back to pypdf
        first_error = e
        log.debug("pypdfium2 failed (%s), trying pypdf", e)
    if encrypted:
        raise DocumentError(
            "Das PDF ist verschlüsselt (passwortgeschützt) und kann nicht gelesen werden."
        )
    if pages is None:
        try:
            pages, encrypted = _extract_pypdf(data)
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
