"""What the parser reads out of an Anfrage, and its JSON form (stored, re-read later)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


def _date_or_none(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class Question:
    number: str
    text: str
    items: tuple[str, ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        return {"number": self.number, "text": self.text, "items": list(self.items)}

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> Question:
        return cls(
            number=str(data["number"]),
            text=str(data.get("text") or ""),
            items=tuple(str(i) for i in data.get("items") or ()),
        )


@dataclass(frozen=True)
class PrintedConsultation:
    """One line of the Beratungsfolge printed on the paper (not the feed's OParl consultation,
    ``bot.domain.Consultation``)."""

    committee: str
    role: str | None = None
    date: dt.date | None = None
    agenda_item: str | None = None

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "committee": self.committee,
            "role": self.role,
            "date": _iso(self.date),
            "agenda_item": self.agenda_item,
        }

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> PrintedConsultation:
        return cls(
            committee=str(data["committee"]),
            role=data.get("role"),
            date=_date_or_none(data.get("date")),
            agenda_item=data.get("agenda_item"),
        )


@dataclass(frozen=True)
class ParsedAnfrage:
    reference: str | None = None
    date: dt.date | None = None
    paper_type: str | None = None
    subject: str | None = None
    factions: tuple[str, ...] = ()
    questions: tuple[Question, ...] = ()
    consultations: tuple[PrintedConsultation, ...] = ()
    signatories: tuple[str, ...] = field(default=())

    def to_json_dict(self) -> dict[str, Any]:
        """The stable JSON shape printed by ``anfragebot parse --json`` and stored by the bot."""
        return {
            "reference": self.reference,
            "date": _iso(self.date),
            "paper_type": self.paper_type,
            "subject": self.subject,
            "factions": list(self.factions),
            "questions": [q.to_json_dict() for q in self.questions],
            "consultations": [c.to_json_dict() for c in self.consultations],
            "signatories": list(self.signatories),
        }

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> ParsedAnfrage:
        return cls(
            reference=data.get("reference"),
            date=_date_or_none(data.get("date")),
            paper_type=data.get("paper_type"),
            subject=data.get("subject"),
            factions=tuple(str(f) for f in data.get("factions") or ()),
            questions=tuple(Question.from_json_dict(q) for q in data.get("questions") or ()),
            consultations=tuple(
                PrintedConsultation.from_json_dict(c) for c in data.get("consultations") or ()
            ),
            signatories=tuple(str(s) for s in data.get("signatories") or ()),
        )


@dataclass(frozen=True)
class Answer:
    """One question of an Anfrage and the passage of the answer document that answers it."""

    number: str
    question: str
    answer: str

    def to_json_dict(self) -> dict[str, Any]:
        return {"number": self.number, "question": self.question, "answer": self.answer}


@dataclass(frozen=True)
class AnswerPairing:
    """The answer document read question by question (empty for a document that is no answer).

    ``unanswered`` holds the numbers of questions with no passage or only a deferral ("wird
    nachgereicht"); ``answered_by`` the signing department or office where printed."""

    answers: tuple[Answer, ...] = ()
    unanswered: tuple[str, ...] = ()
    answered_by: str | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """The keys ``anfragebot parse --json`` adds to the parse result."""
        return {
            "answers": [a.to_json_dict() for a in self.answers],
            "unanswered": list(self.unanswered),
            "answered_by": self.answered_by,
        }
