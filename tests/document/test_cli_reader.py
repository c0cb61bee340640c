# ruff: noqa: E501  (test data: long German sample lines are kept verbatim)
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.document.anfrage import parse_anfrage
from bot.document.cli import run_parse
from bot.document.model import ParsedAnfrage
from bot.document.reader import read_document
from tests.document.conftest import TEXT_DIR, load_gold
from tests.document.test_extract import _pdf

RVR_EXPECTED = {
    "reference": "14/1923",
    "date": "2025-01-06",
    "paper_type": "Fraktionsanfrage",
    "subject": "Zusammenarbeit der Kommunalen Integrationszentren im Ruhrgebiet",
    "factions": ["Fraktion Die Linke"],
    "questions": [
        {
            "number": "1",
            "text": "Welche Zusammenarbeit und welchen Erfahrungsaustausch der Kommunalen "
            "Integrationszentren des Ruhrgebietes gibt es? Wer organisiert diesen zu welchen Themen?",
            "items": [],
        },
        {"number": "2", "text": "Ist der RVR hieran beteiligt?", "items": []},
        {
            "number": "3",
            "text": "Welche Gemeinsamkeiten und welche Unterschiede gibt es in der Beschreibung der "
            "Aufgabenstellungen, insbesondere hinsichtlich der",
            "items": [
                "Stärkung der interkulturellen Kompetenzen der Verwaltungen",
                "der Unterstützung von migrantischen Vereinen zur Umsetzung von Projekten zur "
                "kulturellen und demokratischen Bildung?",
            ],
        },
        {
            "number": "4",
            "text": "Welche Ansatzpunkte sieht die Verwaltung, selbst einen Beitrag zur stärkeren "
            "Sensibilisierung der Mitarbeitenden in der RVR-Verwaltung in interkulturellen Fragen "
            "umzusetzen? Sind hier Maßnahmen geplant und wenn dann welche?",
            "items": [],
        },
    ],
    "consultations": [
        {
            "committee": "Ausschuss für Kultur, Sport und Vielfalt",
            "role": "zur Kenntnis",
            "date": "2025-02-06",
            "agenda_item": None,
        }
    ],
    "signatories": ["Wolfgang Freye", "Fatma Karacakurtoglu"],
}


def _run(path: Path | str, as_json: bool = True) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_parse(str(path), as_json, out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.usefixtures("texts_available")
def test_rvr_exact_json() -> None:
    code, out, err = _run(TEXT_DIR / "rvr-14-1923_fraktionsanfrage.txt")
    assert code == 0 and err == ""
    data = json.loads(out)
    # Issue 16 adds three keys (empty for a document that is no answer); the rest is unchanged.
    assert data == {**RVR_EXPECTED, "answers": [], "unanswered": [], "answered_by": None}
    assert "Stärkung" in out  # ensure_ascii=False


@pytest.mark.usefixtures("texts_available")
def test_rvr_human_output() -> None:
    code, out, _ = _run(TEXT_DIR / "rvr-14-1923_fraktionsanfrage.txt", as_json=False)
    assert code == 0
    assert "Drucksache:   14/1923" in out
    assert "Fragen (4):" in out
    assert "zur Kenntnis" in out


def test_pdf_input(generated_pdfs: dict[str, Path]) -> None:
    code, out, _ = _run(generated_pdfs["allris_kita_joint"])
    assert code == 0
    expected = {**load_gold("generated/allris_kita_joint"), "answers": [], "unanswered": []}
    assert json.loads(out) == {**expected, "answered_by": None}


def test_pdf_detected_by_magic_without_suffix(
    tmp_path: Path, generated_pdfs: dict[str, Path]
) -> None:
    p = tmp_path / "dokument.bin"
    p.write_bytes(generated_pdfs["magdeburg_form"].read_bytes())
    code, out, _ = _run(p)
    assert code == 0 and json.loads(out)["reference"] == "F0071/25"


def test_cp1252_text(tmp_path: Path) -> None:
    p = tmp_path / "anfrage.txt"
    p.write_bytes(
        "Betreff: Öffentliche Grünflächen\n\nWir fragen:\n1. Wer mäht?\n".encode("cp1252")
    )
    code, out, _ = _run(p)
    data = json.loads(out)
    assert code == 0
    assert data["subject"] == "Öffentliche Grünflächen"
    assert data["questions"][0]["text"] == "Wer mäht?"


@pytest.mark.parametrize(
    ("content", "name", "needle"),
    [
        (b"", "leer.txt", "leer"),
        (b"", "leer.pdf", "leer"),
        (b"das ist kein pdf", "falsch.pdf", "kein PDF"),
        (b"%PDF-1.4 kaputt", "kaputt.pdf", "beschädigt"),
    ],
)
def test_bad_input_exit_2(tmp_path: Path, content: bytes, name: str, needle: str) -> None:
    p = tmp_path / name
    p.write_bytes(content)
    code, out, err = _run(p)
    assert code == 2 and out == ""
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_encrypted_and_image_only_exit_2(tmp_path: Path) -> None:
    enc = tmp_path / "enc.pdf"
    enc.write_bytes(_pdf(encrypt="pw"))
    img = tmp_path / "scan.pdf"
    img.write_bytes(_pdf(text=False))
    for path, needle in ((enc, "verschlüsselt"), (img, "Textebene")):
        code, _, err = _run(path)
        assert code == 2 and needle in err and err.count("\n") == 1


def test_missing_file_and_directory(tmp_path: Path) -> None:
    code, _, err = _run(tmp_path / "gibtsnicht.pdf")
    assert code == 2 and "nicht gefunden" in err
    code, _, err = _run(tmp_path)
    assert code == 2 and err.count("\n") == 1


def test_huge_text_refused(tmp_path: Path) -> None:
    p = tmp_path / "gross.txt"
    with open(p, "wb") as fh:
        fh.truncate(50 * 1024 * 1024 + 1)
    code, _, err = _run(p)
    assert code == 2 and "zu groß" in err


def test_model_json_roundtrip() -> None:
    parsed = (
        parse_anfrage((TEXT_DIR / "rvr-14-1923_fraktionsanfrage.txt").read_text(encoding="utf-8"))
        if TEXT_DIR.is_dir()
        else ParsedAnfrage(reference="1/2")
    )
    data = json.loads(json.dumps(parsed.to_json_dict(), ensure_ascii=False))
    assert ParsedAnfrage.from_json_dict(data) == parsed
    assert ParsedAnfrage.from_json_dict({}) == ParsedAnfrage()


FEED = (
    "Betreff: Kita-Plätze im Nordend\n\n"
    + "Im Ortsteil Nordend fehlen Kita-Plätze, viele Eltern warten seit Monaten auf eine Zusage. "
    * 3
    + "\n\nWir fragen die Verwaltung:\n1. Wie viele Kinder warten auf einen Platz?\n"
)


def test_reader_prefers_usable_feed_text() -> None:
    result = read_document(_pdf(), FEED, "application/pdf")
    assert result.status == "ok" and result.error is None
    assert result.parsed is not None and result.parsed.subject == "Kita-Plätze im Nordend"
    assert result.pages == 0


def test_reader_falls_back_to_pdf_when_feed_text_short() -> None:
    result = read_document(_pdf(), "kurz", "application/pdf")
    assert result.status == "ok" and result.pages == 1
    assert result.parsed is not None and result.parsed.questions[0].number == "1"


def test_reader_statuses() -> None:
    assert read_document(_pdf(text=False), None, "application/pdf").status == "no_text_layer"
    enc = read_document(_pdf(encrypt="x"), None, "application/pdf")
    assert enc.status == "error" and enc.error and "verschlüsselt" in enc.error
    assert read_document(b"kein pdf", None, "application/pdf").status == "error"
    assert read_document(None, None, None).status == "error"
    assert read_document(b"", None, None).status == "error"
    txt = read_document(FEED.encode("cp1252", "replace"), None, "text/plain")
    assert txt.status == "ok"
