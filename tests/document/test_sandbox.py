"""The document sandbox: the same result as reading in-process for a normal document, and a
reason instead of a dead bot for each limit (pages, memory, CPU time, wall clock)."""

from __future__ import annotations

import multiprocessing
from dataclasses import replace

from bot.document.limits import DocumentLimits
from bot.document.reader import read_document
from bot.document.sandbox import read_sandboxed
from tests.document_servers import text_pdf
from tests.hostile_pdfs import bomb_pdf, many_pages_pdf

LIMITS = DocumentLimits(memory_bytes=768 * 1024 * 1024, cpu_seconds=30, read_seconds=60)
LINES = [
    "Fraktionsanfrage Fraktion Die Linke",
    "1. Wie viele Schulen im Ruhrgebiet haben eine Photovoltaikanlage auf dem Dach?",
    "2. Welche Schulen sollen bis zum Jahr 2027 eine solche Anlage erhalten?",
]


def _no_children_left() -> bool:
    return not [p for p in multiprocessing.active_children() if p.name == "anfragebot-document"]


def test_a_normal_document_reads_as_in_process() -> None:
    data = text_pdf(LINES)
    inside = read_sandboxed(data, None, "application/pdf", LIMITS)
    outside = read_document(data, None, "application/pdf")
    assert inside == outside
    assert inside.status == "ok" and inside.parsed and len(inside.parsed.questions) == 2
    feed = read_sandboxed(None, "\n".join(LINES * 3), None, LIMITS)
    assert feed == read_document(None, "\n".join(LINES * 3), None)
    assert _no_children_left()


def test_page_limit_is_checked_before_reading() -> None:
    result = read_sandboxed(many_pages_pdf(5000), None, "application/pdf", LIMITS)
    assert result.status == "error" and result.pages == 0
    assert result.error == "Das PDF hat 5000 Seiten (höchstens 1000 werden gelesen)."
    small = read_sandboxed(many_pages_pdf(3), None, "application/pdf", LIMITS)
    assert small.status == "ok" and small.pages == 3


def test_a_bomb_stops_at_the_memory_limit() -> None:
    result = read_sandboxed(bomb_pdf(), None, "application/pdf", LIMITS)
    assert result.status == "error" and result.parsed is None
    assert "768 MB" in (result.error or ""), result.error
    assert _no_children_left()


def test_cpu_time_limit() -> None:
    limits = replace(LIMITS, cpu_seconds=1, max_pages=10_000, read_seconds=300)
    result = read_sandboxed(many_pages_pdf(3000), None, "application/pdf", limits)
    assert result.status == "error"
    assert result.error == "Lesen brauchte mehr als 1 s CPU-Zeit (abgebrochen)"


def test_wall_clock_limit_kills_the_child() -> None:
    # No document is read in a millisecond: the parent stops waiting and kills the child.
    limits = replace(LIMITS, read_seconds=0.001)
    result = read_sandboxed(text_pdf(LINES), None, "application/pdf", limits)
    assert result.status == "error"
    assert result.error == "Lesen dauerte länger als 0.001 s (abgebrochen)"
    assert _no_children_left()
