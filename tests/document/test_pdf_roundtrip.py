"""PDF round trip: every held-out text is printed into a PDF with reportlab (re-wrapped lines,
tables, running headers, page-number footers, bullets, hyphenation) and parsed back through
``anfragebot parse --json``; the scores against the unchanged gold must stay high."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_bench() -> object:
    path = ROOT / "bench" / "eval_pdf_roundtrip.py"
    spec = importlib.util.spec_from_file_location("eval_pdf_roundtrip", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_pdf_roundtrip"] = module
    spec.loader.exec_module(module)
    return module


def test_pdf_roundtrip_targets_hold(tmp_path: Path) -> None:
    bench = _load_bench()
    if len(bench.text_corpus()) < 36:  # type: ignore[attr-defined]
        pytest.skip("held-out corpora not found")
    totals = bench.evaluate(tmp_path)  # type: ignore[attr-defined]
    assert len(totals.docs) >= 36
    assert len(list(tmp_path.glob("*.pdf"))) == len(totals.docs)
    assert totals.f1 >= 0.95, f"PDF round trip question F1 {totals.f1:.3f} < 0.95"
    assert totals.field_accuracy >= 0.90, (
        f"PDF round trip field accuracy {totals.field_accuracy:.3f} < 0.90"
    )


def test_layout_extraction_keeps_table_cells_and_blank_lines(tmp_path: Path) -> None:
    """A wrapped Beratungsfolge cell is joined, cells are tab-separated, paragraphs separated."""
    bench = _load_bench()
    text = (
        "Betreff: Radwege\n\nAnfrage\n\n"
        "Beratungsfolge\tBeratungsstatus\tSitzung am\tTOP\n"
        "Ausschuss für Mobilität, Infrastruktur, Digitalisierung und Europa und "
        "Stadtentwicklung\tzur Kenntnis\t11.03.2025\t7\n"
    )
    pdf = tmp_path / "t.pdf"
    bench.render_pdf(text, pdf, "t", {})  # type: ignore[attr-defined]
    from bot.document.extract import extract_pdf_text

    out = extract_pdf_text(pdf.read_bytes()).text
    assert "Betreff: Radwege\n\nAnfrage" in out
    assert (
        "Ausschuss für Mobilität, Infrastruktur, Digitalisierung und Europa und "
        "Stadtentwicklung\tzur Kenntnis\t11.03.2025\t7"
    ) in out
