"""Read models: what the formatters and commands need, assembled from the store."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.document.answers import answer_excerpts
from bot.domain import AnfrageView, SessionInfo
from bot.faction import clean_subject, split_factions
from bot.store.answer_pairing import pairing_of
from bot.store.documents import main_file
from bot.store.labels import committee_label, organization_names
from bot.store.schema import (
    AgendaItemRow,
    AnswerLink,
    ConsultationRow,
    DocumentRow,
    FileRow,
    MeetingRow,
    PaperRow,
)


def _sessions(
    session: Session, paper_id: str, parsed: dict[str, object] | None
) -> list[SessionInfo]:
    consultations = session.scalars(
        select(ConsultationRow)
        .where(ConsultationRow.paper_id == paper_id)
        .order_by(ConsultationRow.position)
    ).all()
    item_ids = [c.agenda_item_id for c in consultations if c.agenda_item_id]
    cons_ids = [c.id for c in consultations]
    items = (
        {
            a.id: a
            for a in session.scalars(
                select(AgendaItemRow).where(
                    AgendaItemRow.id.in_(item_ids) | AgendaItemRow.consultation_id.in_(cons_ids)
                )
            ).all()
        }
        if cons_ids
        else {}
    )
    by_consultation = {a.consultation_id: a for a in items.values() if a.consultation_id}
    # Some servers link the meeting only through the agenda item, not the consultation.
    meeting_ids = [c.meeting_id for c in consultations if c.meeting_id] + [
        a.meeting_id for a in items.values()
    ]
    meetings = (
        {m.id: m for m in session.scalars(select(MeetingRow).where(MeetingRow.id.in_(meeting_ids)))}
        if meeting_ids
        else {}
    )
    org_ids = [o for c in consultations for o in c.organization_ids] + [
        o for m in meetings.values() for o in m.organization_ids
    ]
    names = organization_names(session, org_ids)
    out: list[SessionInfo] = []
    for c in consultations:
        item = items.get(c.agenda_item_id or "") or by_consultation.get(c.id)
        meeting = meetings.get(c.meeting_id or (item.meeting_id if item else ""))
        committee = committee_label(
            names,
            c.organization_ids or [],
            meeting.name if meeting else None,
            (meeting.organization_ids or []) if meeting else [],
        )
        out.append(
            SessionInfo(
                committee=committee,
                role=c.role,
                start=meeting.start if meeting and not meeting.deleted else None,
                agenda_number=item.number if item else None,
                result=item.result if item else None,
                cancelled=bool(meeting and meeting.cancelled),
                meeting_id=meeting.id if meeting else c.meeting_id,
            )
        )
    if not out and parsed:
        # The feed has no Beratungsfolge: fall back to the one printed in the document.
        for pc in parsed.get("consultations") or []:  # type: ignore[attr-defined]
            if isinstance(pc, dict) and pc.get("committee"):
                when = pc.get("date")
                out.append(
                    SessionInfo(
                        committee=pc["committee"],
                        role=pc.get("role"),
                        start=None,
                        agenda_number=pc.get("agenda_item"),
                        session_date=date.fromisoformat(when) if isinstance(when, str) else None,
                    )
                )
    return out


def load_anfrage(session: Session, paper_id: str) -> AnfrageView | None:
    paper = session.get(PaperRow, paper_id)
    if paper is None:
        return None
    file = main_file(session, paper_id)
    doc = session.get(DocumentRow, file.id) if file else None
    parsed = doc.parsed if doc and doc.status == "ok" else None
    factions: tuple[str, ...] = ()
    if paper.faction:
        factions = split_factions(paper.faction)
    elif parsed and parsed.get("factions"):
        factions = tuple(str(f) for f in parsed["factions"])
    questions = tuple(
        (
            str(q.get("number") or ""),
            str(q.get("text") or ""),
            tuple(str(i) for i in q.get("items") or ()),
        )
        for q in (parsed.get("questions") or [] if parsed else [])
        if isinstance(q, dict)
    )
    answer = session.get(AnswerLink, paper_id)
    pairing = pairing_of(session, paper_id) if answer else None
    note = None
    if doc and doc.status == "no_text_layer":
        note = "Das Dokument hat keine Textebene (gescannt); die Fragen stehen im PDF."
    elif doc and doc.status == "error":
        note = "Das Dokument konnte nicht gelesen werden; die Fragen stehen im PDF."
    parsed_subject = parsed.get("subject") if parsed else None
    signatories = tuple(str(s) for s in (parsed.get("signatories") or ()) if s) if parsed else ()
    department = None
    if paper.under_direction_of:
        names = organization_names(session, [paper.under_direction_of])
        department = names.get(paper.under_direction_of)
    return AnfrageView(
        paper_id=paper.id,
        reference=paper.ref_norm or paper.reference,
        subject=clean_subject(
            paper.name, parsed_subject if isinstance(parsed_subject, str) else None
        ),
        paper_type=paper.paper_type,
        date=paper.date,
        factions=factions,
        questions=questions,
        sessions=tuple(_sessions(session, paper_id, parsed)),
        web=paper.web,
        document_url=(file.access_url or file.download_url) if file else None,
        deleted=paper.deleted,
        answered_on=answer.answered_on if answer else None,
        answer_url=answer.url if answer else None,
        document_note=note,
        department=department,
        signatories=signatories,
        answer_document_url=answer_document_url(session, answer),
        answer_lines=tuple(answer_excerpts(pairing)) if pairing else (),
        answered_by=pairing.answered_by if pairing else None,
    )


def answer_document_url(session: Session, answer: AnswerLink | None) -> str | None:
    """The answer's document: the answer file itself, or the answer paper's main file."""
    if answer is None:
        return None
    file = None
    if answer.answer_file_id:
        file = session.get(FileRow, answer.answer_file_id)
    elif answer.answer_paper_id:
        file = main_file(session, answer.answer_paper_id)
    return (file.access_url or file.download_url) if file else None
