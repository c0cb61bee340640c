# ruff: noqa: E501  (test data: long German sample lines are kept verbatim)
from __future__ import annotations

import io
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from bot.document import extract
from bot.document.extract import extract_pdf_text
from bot.errors import DocumentError
from tests.document.layouts import Doc, multipage_pdf


def _pdf(encrypt: str | None = None, text: bool = True) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt=encrypt)
    if text:
        c.drawString(72, 720, "1. Wie viele Kita-Plätze fehlen im Stadtteil Nordend derzeit?")
    else:
        c.rect(72, 500, 300, 200, fill=1)  # a "scan": graphics only, no text layer
        c.line(72, 480, 372, 480)
    c.showPage()
    c.save()
    return buf.getvalue()


def test_extracts_generated_layouts(generated_pdfs: dict[str, Path]) -> None:
    for name, path in generated_pdfs.items():
        result = extract_pdf_text(path.read_bytes())
        assert result.has_text_layer, name
        assert result.pages >= 1
        assert "Betreff" in result.text or "Kurztitel" in result.text, name


def test_page_count_and_separator(tmp_path: Path) -> None:
    path = tmp_path / "long.pdf"
    multipage_pdf(path, pages=10)
    result = extract_pdf_text(path.read_bytes())
    assert result.pages == 10
    assert result.text.count("\f") == 9


def test_empty_input() -> None:
    with pytest.raises(DocumentError, match="leer"):
        extract_pdf_text(b"")


def test_not_a_pdf() -> None:
    with pytest.raises(DocumentError, match="kein PDF"):
        extract_pdf_text(b"Hallo, ich bin eine Textdatei.")


def test_encrypted_pdf() -> None:
    with pytest.raises(DocumentError, match="verschlüsselt"):
        extract_pdf_text(_pdf(encrypt="geheim"))


def test_corrupt_pdf() -> None:
    with pytest.raises(DocumentError, match="beschädigt"):
        extract_pdf_text(b"%PDF-1.4\n%garbage that is no pdf at all\n")


def test_truncated_pdf_is_error_or_text() -> None:
    data = _pdf()
    try:
        result = extract_pdf_text(data[: len(data) // 2])
    except DocumentError:
        return
    assert result.pages >= 0


def test_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract, "MAX_DOCUMENT_BYTES", 100)
    with pytest.raises(DocumentError, match="zu groß"):
        extract_pdf_text(_pdf())


def test_too_large_real_limit() -> None:
    with pytest.raises(DocumentError, match="zu groß"):
        extract_pdf_text(b"%PDF-1.4\n" + b"0" * (50 * 1024 * 1024))


def test_image_only_pdf_has_no_text_layer() -> None:
    result = extract_pdf_text(_pdf(text=False))
    assert result.has_text_layer is False
    assert result.pages == 1


def test_pypdf_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(data: bytes) -> tuple[list[str], bool]:
        raise RuntimeError("pdfium broken")

    monkeypatch.setattr(extract, "_extract_pdfium", boom)
    result = extract_pdf_text(_pdf())
    assert "Kita-Plätze" in result.text
    assert result.has_text_layer


def test_pypdf_fallback_encrypted(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(data: bytes) -> tuple[list[str], bool]:
        raise RuntimeError("pdfium broken")

    monkeypatch.setattr(extract, "_extract_pdfium", boom)
    with pytest.raises(DocumentError, match="verschlüsselt"):
        extract_pdf_text(_pdf(encrypt="geheim"))


def test_doc_helper_encrypts(tmp_path: Path) -> None:
    doc = Doc()
    doc.line("Betreff: Test")
    path = tmp_path / "enc.pdf"
    doc.save(path, encrypt="pw")
    with pytest.raises(DocumentError):
        extract_pdf_text(path.read_bytes())
