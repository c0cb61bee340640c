# ruff: noqa: E501  (test data: long German sample lines are kept verbatim)
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.document.anfrage import parse_anfrage
from bot.document.extract import extract_pdf_text
from bot.document.model import ParsedAnfrage
from tests.document.conftest import TEXT_DIR, load_gold, text_names
from tests.document.layouts import LAYOUTS

FIELDS = ("reference", "date", "paper_type", "subject", "factions", "consultations", "signatories")


def _check_fields(parsed: dict[str, Any], gold: dict[str, Any]) -> None:
    for name in FIELDS:
        assert parsed[name] == gold[name], name
    assert [q["number"] for q in parsed["questions"]] == [q["number"] for q in gold["questions"]]
    for got, want in zip(parsed["questions"], gold["questions"], strict=True):
        assert got == want, f"question {want['number']}"


@pytest.mark.usefixtures("texts_available")
@pytest.mark.parametrize("name", text_names())
def test_gold_texts(name: str) -> None:
    text = (TEXT_DIR / f"{name}.txt").read_text(encoding="utf-8")
    _check_fields(parse_anfrage(text).to_json_dict(), load_gold(name))


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_gold_generated_pdfs(name: str, generated_pdfs: dict[str, Path]) -> None:
    extracted = extract_pdf_text(generated_pdfs[name].read_bytes())
    assert extracted.has_text_layer
    _check_fields(parse_anfrage(extracted.text).to_json_dict(), load_gold(f"generated/{name}"))


def test_parse_is_idempotent_on_clean_input() -> None:
    text = "Betreff: Radweg\n\nWir fragen:\n1. Wann kommt der Radweg?\n2. Was kostet er?"
    from bot.document.clean import clean_text

    assert parse_anfrage(text) == parse_anfrage(clean_text(text))


def _qs(text: str) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(q.number, q.text, q.items) for q in parse_anfrage(text).questions]


def test_paren_numbering() -> None:
    text = "Wir fragen:\n1) Wie viele Kita-Plätze fehlen?\n2) Wann wird gebaut?"
    assert _qs(text) == [("1", "Wie viele Kita-Plätze fehlen?", ()), ("2", "Wann wird gebaut?", ())]


def test_frage_n_numbering() -> None:
    text = "Frage 1: Wie oft fährt der Bus?\nFrage 2: Wie voll ist er?\n"
    assert [q[0] for q in _qs(text)] == ["1", "2"]


def test_numbers_inside_question_are_not_new_questions() -> None:
    text = (
        "Wir fragen die Verwaltung:\n"
        "1. Wie viele Anträge gingen seit dem\n"
        "1. Januar 2024 ein, und wie viele im\n"
        "2. Quartal 2024?\n"
        "2. Wie lange dauerte die Bearbeitung?"
    )
    qs = _qs(text)
    assert [q[0] for q in qs] == ["1", "2"]
    assert (
        qs[0][1]
        == "Wie viele Anträge gingen seit dem 1. Januar 2024 ein, und wie viele im 2. Quartal 2024?"
    )


def test_sachverhalt_list_before_questions() -> None:
    text = (
        "Sachverhalt:\n1. Der Radweg endet an der Kreuzung.\n2. Die Markierung fehlt.\n\n"
        "Wir fragen die Verwaltung:\n1. Wann wird der Radweg verlängert?\n2. Wann wird markiert?"
    )
    assert _qs(text) == [
        ("1", "Wann wird der Radweg verlängert?", ()),
        ("2", "Wann wird markiert?", ()),
    ]


def test_question_continues_after_question_mark() -> None:
    text = (
        "Ich frage die Landesregierung:\n"
        "1. Wie viele Fälle gab es? Bitte nach Landkreisen\naufschlüsseln.\n"
        "Antwort: Es gab 12 Fälle.\n"
    )
    assert _qs(text) == [("1", "Wie viele Fälle gab es? Bitte nach Landkreisen aufschlüsseln.", ())]


def test_answer_document_pairs_exclude_answers() -> None:
    text = (
        "Antwort der Verwaltung\n\nFrage 1: Wie viele Busse fahren?\nAntwort: Zwölf Busse.\n"
        "Frage 2: Wann kommt der Takt?\nAntwort: 2026.\n1. Im Januar.\n2. Im Juli.\n"
    )
    assert _qs(text) == [("1", "Wie viele Busse fahren?", ()), ("2", "Wann kommt der Takt?", ())]


def test_lettered_items_and_trailing_text() -> None:
    text = (
        "mit Antwort der Landesregierung\n"
        "5. Welche Anforderungen wurden hinsichtlich\n"
        "a) der Anzahl der Plätze,\n"
        "b) der Motorisierung\n"
        "festgelegt?\n"
        "Die Anforderungen wurden im Pflichtenheft festgelegt.\n"
    )
    text = "1. Erste Frage?\nAntwort eins.\n\n2. Zweite?\n\n3. Dritte?\n\n4. Vierte?\n\n" + text
    q5 = parse_anfrage(text).questions[4]
    assert q5.number == "5"
    assert q5.items == ("der Anzahl der Plätze,", "der Motorisierung")
    assert q5.text == "Welche Anforderungen wurden hinsichtlich festgelegt?"


def test_antrag_without_questions_yields_none() -> None:
    text = (
        "Antrag der Fraktion der SPD\nBetreff: Bürgerhaushalt\n\nDer Rat möge beschließen:\n"
        "1. Die Verwaltung erstellt ein Konzept.\n2. Es werden 50.000 Euro bereitgestellt.\n"
        "Begründung: Wer kennt die Ortsteile besser? Die Menschen vor Ort."
    )
    parsed = parse_anfrage(text)
    assert parsed.questions == ()
    assert parsed.paper_type == "Antrag"
    assert parsed.factions == ("Fraktion der SPD",)


def test_joint_factions() -> None:
    text = "Anfrage der Fraktion der SPD und der Fraktion Bündnis 90/Die Grünen\n\n1. Wann?"
    assert parse_anfrage(text).factions == ("Fraktion der SPD", "Fraktion Bündnis 90/Die Grünen")


def test_reference_normalised() -> None:
    assert parse_anfrage("Fraktionsanfrage\n14 / 1923\n").reference == "14/1923"
    assert parse_anfrage("Drucksache 141923\n").reference == "14/1923"
    assert parse_anfrage("Drucksache: DS/0815/2025\n").reference == "DS/0815/2025"


def test_signatories_strip_salutation_and_markdown() -> None:
    text = "1. Wann?\n\ngez. **Herr Wolfgang Freye**\n\ngez. Frau Dr. Anna Schmidt, Ratsfrau"
    assert parse_anfrage(text).signatories == ("Wolfgang Freye", "Dr. Anna Schmidt")


def test_tab_beratungsfolge() -> None:
    text = (
        "Beratungsfolge\tBeratungsstatus\tSitzung am\tTOP\n"
        "Ausschuss für Umwelt\tVorberatung\t06.02.2025\t5\n"
        "Rat der Stadt\tEntscheidung\t20.02.2025\t\n"
    )
    cs = parse_anfrage(text).consultations
    assert [(c.committee, c.role, c.date, c.agenda_item) for c in cs] == [
        ("Ausschuss für Umwelt", "Vorberatung", dt.date(2025, 2, 6), "5"),
        ("Rat der Stadt", "Entscheidung", dt.date(2025, 2, 20), None),
    ]


def test_empty_and_garbage() -> None:
    assert parse_anfrage("") == ParsedAnfrage()
    assert parse_anfrage("\x00\x01\ufffe???").questions == ()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000))
def test_never_raises_on_arbitrary_text(text: str) -> None:
    parse_anfrage(text)


_LINE = st.one_of(
    st.sampled_from(
        [
            "1. Wie viele?",
            "2) Was kostet das?",
            "Frage 3: Warum?",
            "a) erstens,",
            "- Punkt",
            "• Punkt?",
            "Antwort: Nein.",
            "Zu Frage 2:",
            "Beratungsfolge",
            "gez. Herr Max Muster",
            "Betreff: Test",
            "Drucksache 19/1234",
            "",
            "\f",
            "Bitte aufschlüsseln.",
            "Wir fragen:",
            "Ausschuss\tzur Kenntnis\t01.02.2025\t",
            "1 Fußnote",
            "- 2 -",
            "Integrations-",
        ]
    ),
    st.text(max_size=60),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINE, max_size=40))
def test_never_raises_on_structured_noise(lines: list[str]) -> None:
    parsed = parse_anfrage("\n".join(lines))
    ParsedAnfrage.from_json_dict(parsed.to_json_dict())


# --- General rules added for the second held-out set (tests/document/heldout2) ---------------


def test_reference_cited_in_body_prose_is_not_the_papers_own() -> None:
    text = (
        "Fraktionsanfrage Fraktion X\t\n14 / 2330\t\n\n\t30.06.2025\nFraktionsanfrage\töffentlich\n\n"
        "Betreff: Waldumbau\n\nAnfrage\n\n"
        "In der Antwort auf unsere Anfrage 14/1870 hat die Verwaltung folgende Schwerpunkte genannt.\n\n"
        "1. Wie viele Hektar sind geschädigt?\n"
    )
    assert parse_anfrage(text).reference == "14/2330"


def test_reference_label_closing_its_line_with_the_number_on_the_next() -> None:
    text = "Stadt Bergheim\tDrucksache\n2025/0521\nAnfrage\nBetreff: Parken\n\n1. Wie viele?\n"
    assert parse_anfrage(text).reference == "2025/0521"


def test_reference_with_hyphenated_letter_prefix_and_roman_period() -> None:
    text = "Bezirksverordnetenversammlung Pankow\nDrucksache - KA-0456/IX\n\nBetreff: Turnhalle\n"
    assert parse_anfrage(text).reference == "KA-0456/IX"


def test_vorlage_dash_number_line_is_not_the_paper_type() -> None:
    text = "Stadt X\nVorlage - AN/0187/2025\n\nAnfrage\nBetreff: Schulweg\n\n1. Wann?\n"
    assert parse_anfrage(text).paper_type == "Anfrage"


def test_landtag_subject_when_eingegangen_am_is_wrapped() -> None:
    text = (
        "Kleine Anfrage zur schriftlichen Beantwortung\nmit Antwort der Landesregierung\n"
        "Anfrage der Abgeordneten A B und C D (SPD)\n"
        "Antwort des Ministeriums namens der Landesregierung\n"
        "Studentisches Wohnen in Niedersachsen\n"
        "Anfrage der Abgeordneten A B und C D (SPD), eingegangen\n"
        "am 02.07.2026 - Drs. 19/11165,\n"
    )
    assert parse_anfrage(text).subject == "Studentisches Wohnen in Niedersachsen"


def test_unsigned_names_side_by_side_in_columns() -> None:
    text = (
        "Anfrage\nBetreff: Parken\n\nWir fragen:\n\n1. Wie viele Verwarnungen gab es?\n\n"
        "Bergheim, 07.07.2025\n\n"
        "Andreas Vollmer                     Petra Lindqvist\n"
        "Fraktionsvorsitzender               Ratsmitglied\n"
    )
    assert parse_anfrage(text).signatories == ("Andreas Vollmer", "Petra Lindqvist")


def test_inline_numbering_wrapped_over_lines() -> None:
    """'1. … 2. … 3.' in one paragraph that a PDF wrapped: items start in mid-line."""
    text = (
        "Anfrage\nBetreff: Radverbindung\n\n"
        "Wir fragen den Magistrat: 1. Welche Planungen gibt es für eine durchgehende Radverbindung\n"
        "zwischen Bahnhof und Burg? 2. Wann soll die Kaiserstraße Schutzstreifen für den Radverkehr\n"
        "erhalten? 3. Welche Kosten sind dafür im Haushalt 2025 eingeplant?\n\n"
        "Mit freundlichen Grüßen\n"
    )
    qs = parse_anfrage(text).questions
    assert [q.number for q in qs] == ["1", "2", "3"]
    assert qs[0].text.endswith("zwischen Bahnhof und Burg?")
    assert qs[1].text == "Wann soll die Kaiserstraße Schutzstreifen für den Radverkehr erhalten?"


def test_type_heading_with_author_line_is_still_header() -> None:
    """A running header pushes 'Anfrage' / 'der CDU-Fraktion' below line 3; the author line
    still belongs to the header."""
    text = (
        "Stadt Bergheim – 2025/0521\n\nStadt Bergheim\tDrucksache\n2025/0521\n"
        "Anfrage\nder CDU-Fraktion\nDatum: 07.07.2025\nBetreff: Parken\n\n"
        "Wir fragen:\n1. Wie viele Verwarnungen gab es?\n"
    )
    assert parse_anfrage(text).factions == ("CDU-Fraktion",)


def test_answer_date_when_antwort_line_wraps_twice() -> None:
    text = (
        "Kleine Anfrage zur schriftlichen Beantwortung\nmit Antwort der Landesregierung\n"
        "Anfrage der Abgeordneten A B (CDU)\n"
        "Antwort des Niedersächsischen Ministeriums für Inneres, Sport und Digitalisierung\n"
        "namens der\nLandesregierung vom 06.07.2026\n\n1. Wie viele?\n"
    )
    assert parse_anfrage(text).date == dt.date(2026, 7, 6)
