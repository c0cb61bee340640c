# ruff: noqa: E501  (test data: long German sample lines are kept verbatim)
from __future__ import annotations

import pytest

from bot.document.clean import clean_text
from tests.document.conftest import TEXT_DIR


def test_line_endings() -> None:
    assert clean_text("a\r\nb\rc") == "a\nb\nc"


def test_soft_hyphen_line_end_and_inline() -> None:
    assert (
        clean_text("Integrations\u00ad\nzentren im Ruhr\u00adgebiet")
        == "Integrationszentren im Ruhrgebiet"
    )


def test_pdfium_fffe_hyphen() -> None:
    assert clean_text("nach Stadt\ufffeteilen") == "nach Stadtteilen"
    assert clean_text("Nordrhein\ufffe\nWestfalen") == "Nordrhein-Westfalen"


def test_word_bullets() -> None:
    out = clean_text("\uf0b7 Brandschutz\n\uf0a7 Barrierefreiheit")
    assert out == "• Brandschutz\n• Barrierefreiheit"


def test_hyphenated_line_break_joined() -> None:
    assert (
        clean_text("Kommunale Integrations-\nzentren arbeiten")
        == "Kommunale Integrationszentren arbeiten"
    )


def test_real_compounds_keep_hyphen() -> None:
    assert clean_text("das Land Nordrhein-\nWestfalen") == "das Land Nordrhein-Westfalen"
    assert clean_text("Fort-\nund Weiterbildung") == "Fort-\nund Weiterbildung"
    assert clean_text("Bus-\noder Bahnverkehr") == "Bus-\noder Bahnverkehr"
    assert clean_text("Rad-\nbzw. Fußwege") == "Rad-\nbzw. Fußwege"


def test_dash_with_space_is_not_a_hyphenation() -> None:
    assert (
        clean_text("eingegangen am 29.06.2026 -\nDrs. 19/11054")
        == "eingegangen am 29.06.2026 -\nDrs. 19/11054"
    )


def test_running_headers_and_page_numbers() -> None:
    header = "Niedersächsischer Landtag – 19. Wahlperiode Drucksache 19/11193"
    raw = f"{header}\n \n1\nErste Seite Text.\n\n{header}\n \n2\nZweite Seite Text.\n\n{header}\n3\nDritte."
    out = clean_text(raw)
    assert out.count(header) == 1  # the first occurrence (top of page 1) is kept
    assert out.startswith(header)
    assert "\n2\n" not in out and "\n3\n" not in out
    assert "Zweite Seite Text." in out


def test_saarland_header_and_dash_page_numbers() -> None:
    h = "Drucksache 15/1284 (15/1217) Landtag des Saarlandes - 15. Wahlperiode -"
    raw = (
        "LANDTAG DES SAARLANDES\nA\nB\nC\nD\nText eins.\n\n"
        + f"{h}\n\n- 2 -\n\nText zwei.\n\n{h}\n\n- 3 -\n\nText drei."
    )
    out = clean_text(raw)
    assert h not in out and "- 2 -" not in out and "- 3 -" not in out
    assert "Text zwei." in out and "Text drei." in out


def test_seite_von_footer() -> None:
    assert clean_text("Frage eins?\nSeite 1 von 3\n\f\nFrage zwei?") == "Frage eins?\n\nFrage zwei?"


def test_glued_footnote_markers() -> None:
    out = clean_text("in Kraft treten solle.1 Anfang März\nzwischen Barwedel und Tiddische“1 wurde")
    assert out == "in Kraft treten solle. Anfang März\nzwischen Barwedel und Tiddische“ wurde"


def test_footnote_lines_at_page_bottom_removed() -> None:
    header = "Niedersächsischer Landtag – 19. Wahlperiode Drucksache 19/11193"
    raw = (
        f"{header}\n1\nText solle.1 Weiter.\n \n \n1 Stenografischer Bericht - 64. Sitzung, S. 5211\n"
        f"2 Niedersachsen plant Gesetz\n\n{header}\n2\n3. Welche Schritte sind vorgesehen?"
    )
    out = clean_text(raw)
    assert "Stenografischer" not in out and "plant Gesetz" not in out
    assert "3. Welche Schritte sind vorgesehen?" in out


def test_punctuation_at_line_start_joined() -> None:
    assert clean_text("formuliert worden\n?") == "formuliert worden?"
    assert clean_text("Regionalbahn\n-Strecke") == "Regionalbahn-Strecke"


def test_letter_spaced_heading() -> None:
    assert clean_text("A N T W O R T") == "ANTWORT"


def test_blank_lines_collapsed_and_trailing_space_removed() -> None:
    assert clean_text("a  \n\n\n\n b") == "a\n\nb"


def test_empty() -> None:
    assert clean_text("") == ""


@pytest.mark.usefixtures("texts_available")
@pytest.mark.parametrize(
    "path", sorted(TEXT_DIR.glob("*.txt")) if TEXT_DIR.is_dir() else [], ids=lambda p: p.stem
)
def test_idempotent_on_corpus(path: object) -> None:
    from pathlib import Path

    assert isinstance(path, Path)
    once = clean_text(path.read_text(encoding="utf-8"))
    assert clean_text(once) == once
    assert "\r" not in once and "\u00ad" not in once


def test_list_marker_before_tab_is_not_a_cell() -> None:
    """Hanging-indented lists come out of the layout extraction as 'marker<TAB>text'."""
    assert clean_text("1.\tWie viele?\n-\tKommune\na)\tgefällt") == (
        "1. Wie viele?\n- Kommune\na) gefällt"
    )


def test_bare_number_ending_a_wrapped_line_is_kept() -> None:
    """'… - Teil' / '2' is a wrapped title, not a page number; a number at a page break is."""
    raw = "Radweg zwischen Barwedel und Tiddische - Teil\n2\nAnfrage der Abgeordneten\nText\n2\n\f\nMehr"
    assert (
        clean_text(raw)
        == "Radweg zwischen Barwedel und Tiddische - Teil\n2\nAnfrage der Abgeordneten\nText\n\nMehr"
    )
