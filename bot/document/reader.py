"""One entry point for the poll pipeline: a document version in, text + parsed Anfrage out."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from bot.document.anfrage import parse_cleaned_anfrage
from bot.document.clean import clean_text
from bot.document.extract import MAX_DOCUMENT_BYTES, extract_pdf_text
from bot.document.model import ParsedAnfrage
from bot.errors import DocumentError

log = logging.getLogger(__name__)

STATUS_OK = "ok"
STATUS_NO_TEXT_LAYER = "no_text_layer"
STATUS_ERROR = "error"

# Feed text (OParl File.text) is preferred when it has at least this many letters after clean-up.
MIN_FEED_LETTERS = 200
_LETTER_RE = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class DocumentResult:
    text: str | None
    parsed: ParsedAnfrage | None
    status: str  # "ok" | "no_text_layer" | "error"
    error: str | None
    pages: int


def _letters(text: str) -> int:
    return sum(1 for _ in _LETTER_RE.finditer(text))


def _is_pdf(data: bytes, mime_type: str | None) -> bool:
    return b"%PDF" in data[:1024] or (mime_type or "").lower().endswith("pdf")


def read_document(
    data: bytes | None,
    feed_text: str | None,
    mime_type: str | None,
    *,
    max_pages: int | None = None,
) -> DocumentResult:
    """Read a document version. Never raises for bad documents; see ``status``/``error``.

    MemoryError is the exception: under the sandbox's memory cap it means "too big to read",
    which the sandbox reports (bot/document/sandbox.py)."""
    try:
        if feed_text and len(feed_text) <= MAX_DOCUMENT_BYTES:
            cleaned = clean_text(feed_text)
            if _letters(cleaned) >= MIN_FEED_LETTERS:
                return DocumentResult(cleaned, parse_cleaned_anfrage(cleaned), STATUS_OK, None, 0)
        if not data:
            if feed_text:
                cleaned = clean_text(feed_text[:MAX_DOCUMENT_BYTES])
                return DocumentResult(cleaned, parse_cleaned_anfrage(cleaned), STATUS_OK, None, 0)
            return DocumentResult(None, None, STATUS_ERROR, "Kein Dokumentinhalt vorhanden.", 0)
        if not _is_pdf(data, mime_type) and (mime_type or "").lower().startswith("text/"):
            if len(data) > MAX_DOCUMENT_BYTES:
                raise DocumentError("Das Dokument ist zu groß (höchstens 50 MB).")
            raw = _decode(data)
            cleaned = clean_text(raw)
            return DocumentResult(cleaned, parse_cleaned_anfrage(cleaned), STATUS_OK, None, 0)
        extracted = extract_pdf_text(data, max_pages=max_pages)
        if not extracted.has_text_layer:
            return DocumentResult(
                None,
                None,
                STATUS_NO_TEXT_LAYER,
                "Das PDF enthält keine Textebene (nur Bilder); keine Texterkennung (OCR).",
                extracted.pages,
            )
        cleaned = clean_text(extracted.text)
        parsed = parse_cleaned_anfrage(cleaned)
        return DocumentResult(cleaned, parsed, STATUS_OK, None, extracted.pages)
    except DocumentError as e:
        return DocumentResult(None, None, STATUS_ERROR, str(e), 0)
    except MemoryError:
        raise
    except Exception as e:  # a parser bug must not stop the poll loop
        log.exception("unexpected error while reading a document")
        return DocumentResult(None, None, STATUS_ERROR, f"Unerwarteter Fehler: {e}", 0)


def _decode(data: bytes) -> str:
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")
