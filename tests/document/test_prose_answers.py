# ruff: noqa: E501  (test data: long German sample lines are kept verbatim)
"""Questions in every common form, documents that must yield none, and answers paired question by
question in each answer layout. The texts here are not those of the held-out sets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.document.anfrage import parse_anfrage
from bot.document.answers import is_answer_document, pair_answers
from bot.document.model import ParsedAnfrage, Question

HEAD = "Stadt Castrop-Rauxel\nVorlage Nr. 2026/0101\nAnfrage\nDatum: 03.02.2026\n\nBetreff: Sanierung der Sporthalle Ickern\n\n"


def _texts(parsed: ParsedAnfrage) -> list[tuple[str, str]]:
    return [(q.number, q.text) for q in parsed.questions]


# --- question forms ----------------------------------------------------------------------------


def test_question_in_prose_with_ob_and_wie_viele() -> None:
    text = HEAD + (
        "Die Halle ist seit Oktober gesperrt.\n\n"
        "Wir fragen die Verwaltung, ob ein Gutachten zur Dachkonstruktion vorliegt und wie viele Vereine ausweichen mussten? "
        "Außerdem möchten wir wissen, wann die Halle wieder geöffnet wird?\n\ngez. Rita Lohmann\n"
    )
    assert _texts(parse_anfrage(text)) == [
        (
            "1",
            "Wir fragen die Verwaltung, ob ein Gutachten zur Dachkonstruktion vorliegt und wie viele Vereine ausweichen mussten?",
        ),
        ("2", "Außerdem möchten wir wissen, wann die Halle wieder geöffnet wird?"),
    ]


def test_indirect_requests_are_questions() -> None:
    text = HEAD + (
        "Vor diesem Hintergrund bitten wir um Auskunft, welche Kosten für die Sanierung veranschlagt sind.\n\n"
        "Zudem bitten wir um Mitteilung, ob Fördermittel beantragt wurden.\n\n"
        "Begründung:\nWarum dauert das so lange? Die Vereine warten seit Monaten.\n"
    )
    assert _texts(parse_anfrage(text)) == [
        (
            "1",
            "Vor diesem Hintergrund bitten wir um Auskunft, welche Kosten für die Sanierung veranschlagt sind.",
        ),
        ("2", "Zudem bitten wir um Mitteilung, ob Fördermittel beantragt wurden."),
    ]


def test_run_in_questions_after_lead_in_lose_the_lead_in() -> None:
    text = HEAD + (
        "Wir bitten um Beantwortung folgender Fragen: Wann beginnt die Sanierung? Wer trägt die Kosten? Gibt es Ersatzhallen?\n"
    )
    assert [t for _, t in _texts(parse_anfrage(text))] == [
        "Wann beginnt die Sanierung?",
        "Wer trägt die Kosten?",
        "Gibt es Ersatzhallen?",
    ]


def test_unnumbered_question_lines_after_lead_in() -> None:
    text = HEAD + (
        "Wir bitten um Beantwortung folgender Fragen:\n\n"
        "Wann beginnt die Sanierung?\nWer trägt die Kosten?\n"
    )
    assert _texts(parse_anfrage(text)) == [
        ("1", "Wann beginnt die Sanierung?"),
        ("2", "Wer trägt die Kosten?"),
    ]


def test_lettered_questions_keep_their_letters() -> None:
    text = (
        HEAD
        + "Wir fragen die Verwaltung:\na) Wann beginnt die Sanierung?\nb) Wer trägt die Kosten?\n"
    )
    assert _texts(parse_anfrage(text)) == [
        ("a", "Wann beginnt die Sanierung?"),
        ("b", "Wer trägt die Kosten?"),
    ]


def test_bulleted_questions_are_numbered() -> None:
    text = (
        HEAD
        + "Wir fragen die Verwaltung:\n• Wann beginnt die Sanierung?\n• Wer trägt die Kosten?\n"
    )
    assert _texts(parse_anfrage(text)) == [
        ("1", "Wann beginnt die Sanierung?"),
        ("2", "Wer trägt die Kosten?"),
    ]


def test_numbered_questions_unchanged() -> None:
    text = (
        HEAD
        + "Wir fragen die Verwaltung:\n1. Wann beginnt die Sanierung?\n2. Wer trägt die Kosten?\n"
    )
    assert _texts(parse_anfrage(text)) == [
        ("1", "Wann beginnt die Sanierung?"),
        ("2", "Wer trägt die Kosten?"),
    ]


@pytest.mark.parametrize(
    "body",
    [
        # An Antrag with a numbered Beschlussvorschlag.
        "Antrag\nBeschlussvorschlag:\n1. Die Verwaltung wird beauftragt, die Halle zu sanieren.\n2. Die Mittel werden bereitgestellt.\n",
        # Rhetorical questions in a Begründung.
        "Antrag\nDer Rat möge beschließen: Die Halle wird saniert.\n\nBegründung:\nWie lange sollen die Vereine noch warten? Wer übernimmt die Verantwortung?\n",
        # A question in the Sachverhalt of a Vorlage, no request.
        "Sachverhalt:\nWelche Anforderungen ergeben sich daraus? Im Wesentlichen die Barrierefreiheit.\n",
    ],
)
def test_documents_without_questions(body: str) -> None:
    assert parse_anfrage(HEAD + body).questions == ()


# --- answers -------------------------------------------------------------------------------------

ANFRAGE = ParsedAnfrage(
    questions=(
        Question("1", "Wie viele Vereine mussten wegen der Sperrung der Sporthalle ausweichen?"),
        Question("2", "Wann wird die Sporthalle wieder geöffnet?"),
        Question("3", "Welche Kosten entstehen für die Sanierung des Daches?"),
    )
)
ANSWER_HEAD = "Stadt Castrop-Rauxel\nBeantwortung einer Anfrage\nVorlage Nr. 2026/0101-1\nFachbereich: Sport\n\nBetreff: Sanierung der Sporthalle Ickern\n\n"
PASSAGES = {
    "1": "Elf Vereine nutzen derzeit andere Hallen.",
    "2": "Die Halle soll im September 2026 wieder öffnen.",
    "3": "Die Kosten werden auf 1,4 Mio. Euro geschätzt.",
}


def _answers(
    text: str, anfrage: ParsedAnfrage | None = ANFRAGE
) -> tuple[dict[str, str], list[str]]:
    pairing = pair_answers(text, anfrage)
    return {a.number: a.answer for a in pairing.answers}, list(pairing.unanswered)


@pytest.mark.parametrize(
    "label",
    ["Zu {n}.", "Zu Frage {n}:", "Antwort zu {n}", "Zu {n}.:"],
)
def test_labelled_answers(label: str) -> None:
    body = "".join(f"{label.format(n=n)}\n{p}\n\n" for n, p in PASSAGES.items())
    answers, unanswered = _answers(ANSWER_HEAD + body + "gez. Petra Sommer\n")
    assert answers == PASSAGES and unanswered == []


def test_relisted_questions_without_the_anfrage() -> None:
    body = "".join(
        f"Frage {q.number}: {q.text}\nAntwort: {PASSAGES[q.number]}\n\n" for q in ANFRAGE.questions
    )
    pairing = pair_answers(ANSWER_HEAD + body, None)
    assert [(a.number, a.question, a.answer) for a in pairing.answers] == [
        (q.number, q.text, PASSAGES[q.number]) for q in ANFRAGE.questions
    ]
    assert pairing.answered_by == "Fachbereich Sport"


def test_relisted_numbered_and_unnumbered_questions() -> None:
    numbered = "".join(f"{q.number}. {q.text}\n{PASSAGES[q.number]}\n\n" for q in ANFRAGE.questions)
    assert _answers(ANSWER_HEAD + numbered, None)[0] == PASSAGES
    quoted = "".join(f"„{q.text}“\nAntwort: {PASSAGES[q.number]}\n\n" for q in ANFRAGE.questions)
    assert _answers(ANSWER_HEAD + quoted, None)[0] == PASSAGES


def test_combined_answer_deferral_and_missing_question() -> None:
    body = (
        "Zu den Fragen 1 und 2:\nElf Vereine weichen aus; die Halle öffnet im September 2026.\n\n"
        "gez. Petra Sommer\n"
    )
    answers, unanswered = _answers(ANSWER_HEAD + body)
    assert (
        answers["1"]
        == answers["2"]
        == "Elf Vereine weichen aus; die Halle öffnet im September 2026."
    )
    assert unanswered == ["3"]
    deferred = "Zu 1.\nElf Vereine.\n\nZu 2.\nDer Termin kann derzeit nicht beantwortet werden.\n\nZu 3.\nDie Kostenschätzung wird nachgereicht.\n"
    assert _answers(ANSWER_HEAD + deferred)[1] == ["2", "3"]


def test_prose_block_is_split_by_question() -> None:
    body = (
        "Zur Anfrage nimmt die Verwaltung wie folgt Stellung:\n\n"
        "Wegen der Sperrung der Sporthalle mussten elf Vereine in andere Hallen ausweichen. "
        "Die Sporthalle wird voraussichtlich im September 2026 wieder geöffnet. "
        "Die Sanierung des Daches kostet nach der Kostenschätzung 1,4 Mio. Euro.\n\ngez. Petra Sommer\n"
    )
    answers, unanswered = _answers(ANSWER_HEAD + body)
    assert answers["1"].startswith("Wegen der Sperrung") and "September" in answers["2"]
    assert answers["3"].startswith("Die Sanierung des Daches") and unanswered == []


def test_an_anfrage_is_no_answer() -> None:
    text = (
        HEAD
        + "Wir fragen die Verwaltung:\n1. Wann beginnt die Sanierung?\n\nBeratungsfolge\tBeratungsart\nRat\tBeantwortung\n"
    )
    assert not is_answer_document(text)
    pairing = pair_answers(text, None)
    assert pairing.answers == () and pairing.unanswered == () and pairing.answered_by is None


def test_cli_parse_answer_with_anfrage(tmp_path: Path) -> None:
    anfrage = tmp_path / "anfrage.txt"
    anfrage.write_text(
        HEAD
        + "Wir fragen die Verwaltung:\n"
        + "".join(f"{q.number}. {q.text}\n" for q in ANFRAGE.questions),
        encoding="utf-8",
    )
    answer = tmp_path / "antwort.txt"
    answer.write_text(
        ANSWER_HEAD + "Zu 1.\nElf Vereine.\n\nZu 2.\nIm September.\n", encoding="utf-8"
    )
    exe = str(Path(sys.executable).with_name("anfragebot"))
    done = subprocess.run(
        [exe, "parse", str(answer), "--json", "--anfrage", str(anfrage)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["answers"] == [
        {"number": "1", "question": ANFRAGE.questions[0].text, "answer": "Elf Vereine."},
        {"number": "2", "question": ANFRAGE.questions[1].text, "answer": "Im September."},
        {"number": "3", "question": ANFRAGE.questions[2].text, "answer": ""},
    ]
    assert data["unanswered"] == ["3"] and data["answered_by"] == "Fachbereich Sport"
    assert data["reference"] == "2026/0101-1"  # every existing key is still there
    assert {"questions", "consultations", "signatories", "subject"} <= data.keys()


def test_answer_excerpts_for_the_thread_reply() -> None:
    body = (
        "Zu 1.\nElf Vereine nutzen derzeit andere Hallen. Das betrifft vor allem den Handball, den Turnverein und die Grundschulen im Stadtteil, die ihren Sportunterricht verlegen mussten.\n\n"
        "Zu 2.\nDer Termin wird nachgereicht.\n\ngez. Petra Sommer\n"
    )
    from bot.document.answers import answer_excerpts

    lines = answer_excerpts(pair_answers(ANSWER_HEAD + body, ANFRAGE), limit=60)
    assert lines == [
        "Frage 1: Elf Vereine nutzen derzeit andere Hallen.",
        "Frage 2: zurückgestellt – Der Termin wird nachgereicht.",
        "Frage 3: nicht beantwortet",
    ]
    long_word = answer_excerpts(
        pair_answers(ANSWER_HEAD + "Zu 1.\n" + "Sehr " * 40 + "lang.\n", ANFRAGE), limit=30
    )
    assert long_word[0].endswith("…") and len(long_word[0]) <= len("Frage 1: ") + 30
