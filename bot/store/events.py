"""Store reads and commands of the outbox (bot/outbox): routing new Anfragen to channels, the
facts its events and renderers need, overdue notices and interim replies.

Most of it returns plain values or frozen read models; `meeting` still hands out the stored
meeting row, read (never written) by bot/outbox/reminders.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.classify import is_interim, reference_stem
from bot.store.documents import document_settled, main_file
from bot.store.kinds import AnnounceState, Kind, State
from bot.store.lifecycle import chunks
from bot.store.schema import AnswerLink, Delivery, FileRow, MeetingRow, PaperRow
from bot.store.views import answer_document_url

# -- routing new Anfragen ----------------------------------------------------------------------


def pending_announcements(session: Session) -> list[str]:
    """Ids of the papers waiting to be routed to channels, oldest first."""
    return list(
        session.scalars(
            select(PaperRow.id)
            .where(PaperRow.announce_state == AnnounceState.PENDING)
            .order_by(PaperRow.date, PaperRow.id)
        ).all()
    )


def routable_source(
    session: Session, paper_id: str, *, now: datetime, patience: timedelta
) -> str | None:
    """The source of a paper that is still pending and whose document is settled: read, or
    tried and quarantined/refused (retried later with backoff), or not read within `patience`
    (announced without the questions rather than not at all). None: not (yet) to be routed."""
    paper = session.get(PaperRow, paper_id)
    if paper is None or paper.announce_state != AnnounceState.PENDING:
        return None
    if not document_settled(session, paper.id) and now - paper.first_seen_at <= patience:
        return None
    return paper.source


def mark_routed(session: Session, paper_id: str) -> None:
    paper = session.get(PaperRow, paper_id)
    if paper is not None:
        paper.announce_state = AnnounceState.ROUTED


# -- facts for events and renderers ------------------------------------------------------------


@dataclass(frozen=True)
class EventPaper:
    """What a message about one paper shows of it."""

    id: str
    reference: str | None
    ref_norm: str | None
    name: str | None
    web: str | None
    date: date | None
    paper_type: str | None
    faction: str | None
    deleted: bool

    @property
    def label(self) -> str | None:
        """The reference as messages print it: normalised when known."""
        return self.ref_norm or self.reference


def paper_brief(session: Session, paper_id: str) -> EventPaper | None:
    p = session.get(PaperRow, paper_id)
    if p is None:
        return None
    return EventPaper(
        p.id, p.reference, p.ref_norm, p.name, p.web, p.date, p.paper_type, p.faction, p.deleted
    )


def deleted_flags(session: Session, paper_ids: list[str]) -> dict[str, bool]:
    """`deleted` of each of these papers the store knows (unknown ids are left out)."""
    out: dict[str, bool] = {}
    for part in chunks(paper_ids):
        found = session.execute(
            select(PaperRow.id, PaperRow.deleted).where(PaperRow.id.in_(part))
        ).all()
        out.update({pid: bool(gone) for pid, gone in found})
    return out


def answer_keys(session: Session) -> dict[str, str]:
    """Anfrage id → the id of its answer (the answer paper, else the answer file)."""
    rows = session.execute(
        select(AnswerLink.anfrage_id, AnswerLink.answer_paper_id, AnswerLink.answer_file_id)
    ).all()
    out: dict[str, str] = {}
    for anfrage_id, paper_id, file_id in rows:
        answer = paper_id or file_id
        if answer:
            out[anfrage_id] = answer
    return out


@dataclass(frozen=True)
class AnswerBrief:
    answered_on: date | None
    # The link recorded with the answer (a paper's web page or a file's URL) ...
    url: str | None
    # ... else the answer's document: used by the thread reply.
    document_url: str | None
    answer_ref: str | None


def answer_brief(session: Session, anfrage_id: str) -> AnswerBrief | None:
    link = session.get(AnswerLink, anfrage_id)
    if link is None:
        return None
    answer = session.get(PaperRow, link.answer_paper_id) if link.answer_paper_id else None
    return AnswerBrief(
        answered_on=link.answered_on,
        url=link.url,
        document_url=link.url or answer_document_url(session, link),
        answer_ref=(answer.ref_norm or answer.reference) if answer else None,
    )


def is_answered(session: Session, anfrage_id: str) -> bool:
    return session.get(AnswerLink, anfrage_id) is not None


def meeting(session: Session, meeting_id: str) -> MeetingRow | None:
    return session.get(MeetingRow, meeting_id)


# -- overdue answers and interim replies (issue 13) ----------------------------------------------


def announced_unanswered(session: Session) -> list[tuple[str, str, date | None, str | None]]:
    """(channel, paper id, filed on, paper type) of every announcement sent of an Anfrage that
    is neither answered nor deleted and has a date."""
    rows = session.execute(
        select(Delivery.channel, PaperRow.id, PaperRow.date, PaperRow.paper_type)
        .join(PaperRow, PaperRow.id == Delivery.paper_id)
        .outerjoin(AnswerLink, AnswerLink.anfrage_id == PaperRow.id)
        .where(
            Delivery.kind == Kind.ANNOUNCE,
            Delivery.status == State.SENT,
            AnswerLink.anfrage_id.is_(None),
            PaperRow.deleted.is_(False),
            PaperRow.date.is_not(None),
        )
    ).all()
    return [(c, p, d, t) for c, p, d, t in rows]


def find_interims(session: Session, paper_ids: list[str]) -> list[tuple[str, str, str]]:
    """(anfrage id, "paper"|"file", interim id) for interim replies to these Anfragen: papers
    named so that relate to the Anfrage (either direction) or extend/name its reference, and
    files named so on the Anfrage's own paper."""
    if not paper_ids:
        return []
    wanted = set(paper_ids)
    refs: dict[str, str] = {}
    related_of: dict[str, set[str]] = {}
    for part in chunks(paper_ids):
        for pid, ref, related in session.execute(
            select(PaperRow.id, PaperRow.ref_norm, PaperRow.related_paper_ids).where(
                PaperRow.id.in_(part)
            )
        ).all():
            if ref:
                refs[ref.casefold()] = pid
            related_of[pid] = {str(r) for r in related or ()}
    out: list[tuple[str, str, str]] = []
    candidates = session.execute(
        select(PaperRow.id, PaperRow.name, PaperRow.ref_norm, PaperRow.related_paper_ids).where(
            PaperRow.deleted.is_(False),
            PaperRow.is_anfrage.is_(False),
            PaperRow.name.ilike("%zwischen%"),
        )
    ).all()
    for cid, name, ref, related in candidates:
        if not is_interim(name):
            continue
        targets = {str(r) for r in related or ()} & wanted
        targets |= {pid for pid, rel in related_of.items() if cid in rel}
        stem = reference_stem(ref)
        if stem and stem in refs:
            targets.add(refs[stem])
        for token in re.findall(r"[\w/.-]+", (name or "").casefold()):
            if token.strip(".-/") in refs:
                targets.add(refs[token.strip(".-/")])
        out += [(t, "paper", cid) for t in sorted(targets)]
    for part in chunks(paper_ids):
        for fid, pid, name in session.execute(
            select(FileRow.id, FileRow.paper_id, FileRow.name).where(
                FileRow.paper_id.in_(part), FileRow.name.ilike("%zwischen%")
            )
        ).all():
            if is_interim(name):
                out.append((pid, "file", fid))
    return out


@dataclass(frozen=True)
class InterimBrief:
    url: str | None
    day: date | None


def interim_brief(session: Session, payload: dict[str, Any]) -> InterimBrief | None:
    """Link and date of an interim reply named by an event's payload (`paper` or `file`);
    None when it is gone."""
    if payload.get("paper"):
        paper = session.get(PaperRow, str(payload["paper"]))
        if paper is None or paper.deleted:
            return None
        file = main_file(session, paper.id)
        url = paper.web or ((file.access_url or file.download_url) if file else None)
        return InterimBrief(url, paper.date)
    if payload.get("file"):
        f = session.get(FileRow, str(payload["file"]))
        if f is None:
            return None
        return InterimBrief(f.access_url or f.download_url, None)
    return None
