"""The answer, question by question, as blocks: escaped, collapsed, within Slack's limits."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.document.answers import answer_excerpts
from bot.document.model import Answer, AnswerPairing
from bot.domain import AnfrageView, SessionInfo
from bot.slack.answer_blocks import answer_sections
from bot.slack.blocks import MAX_BLOCKS, announcement
from bot.slack.commands import detail

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2025, 3, 1, 9, 0, tzinfo=TZ)
URL = "https://ris.example/vorgang/1951"


def _texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if "text" in b]


def _pairing(n: int, passage: str) -> AnswerPairing:
    answers = tuple(
        Answer(str(i), f"Frage {i}?", passage if i % 3 else "") for i in range(1, n + 1)
    )
    return AnswerPairing(answers, tuple(a.number for a in answers if not a.answer), "Amt 61")


def test_one_line_per_question_and_unanswered_marked() -> None:
    lines = answer_excerpts(_pairing(3, "Ja. Es gibt zwölf Stellen. Mehr folgt."))
    blocks = answer_sections(lines, URL, answered_by="Amt für <Verkehr>")
    body = "\n".join(_texts(blocks))
    assert "*Frage 1:* Ja. Es gibt zwölf Stellen." in body
    assert "*Frage 3:* nicht beantwortet" in body
    assert "Amt für &lt;Verkehr&gt;" in body
    assert "weitere Fragen" not in body


def test_long_answers_are_collapsed_with_a_link_and_stay_within_limits() -> None:
    passage = "Sehr lange Antwort mit vielen Worten. " * 40
    lines = answer_excerpts(_pairing(60, passage))
    assert all(len(line) <= 240 for line in lines)  # clipped to about 200 characters
    blocks = answer_sections(lines, URL)
    texts = _texts(blocks)
    assert 1 <= len(blocks) <= 4
    assert all(len(t) <= 3000 for t in texts)
    assert f"<{URL}|Antwort lesen>" in texts[-1]
    assert "… und 50 weitere Fragen" in texts[-1]


def test_no_room_no_blocks_and_an_unsafe_url_is_no_link() -> None:
    lines = answer_excerpts(_pairing(20, "Antwort."))
    assert answer_sections(lines, URL, room=0) == []
    body = "\n".join(_texts(answer_sections(lines, "javascript:alert(1)")))
    assert "javascript" not in body
    assert "… und 10 weitere Fragen in der Antwort." in body


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=400), st.integers(min_value=1, max_value=80))
def test_hostile_passages_never_form_slack_markup(passage: str, n: int) -> None:
    passage = f"<!channel> <@U123> *fett* `code` {passage}"
    view = AnfrageView(
        paper_id="p",
        reference="14/1923",
        subject="Betreff",
        paper_type="Fraktionsanfrage",
        date=date(2025, 1, 6),
        factions=("Fraktion Die Linke",),
        questions=tuple((str(i), "Frage? " * 60, ()) for i in range(1, 40)),
        sessions=tuple(
            SessionInfo(committee="Ausschuss", role=None, start=None, agenda_number=str(i))
            for i in range(10)
        ),
        web=URL,
        document_url=URL,
        answered_on=date(2025, 2, 1),
        answer_url=URL,
        answer_lines=tuple(answer_excerpts(_pairing(n, passage))),
        answered_by="Amt 61",
    )
    for _, blocks in (
        announcement(view, now=NOW, tz=TZ),
        detail(view, NOW, TZ, share_button=True),
    ):
        assert len(blocks) <= MAX_BLOCKS
        for text in _texts(blocks):
            assert len(text) <= 3000
            assert "<!channel>" not in text and "<@U123>" not in text
            assert "*fett*" not in text and "`" not in text
