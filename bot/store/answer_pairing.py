"""Store side of the answer pairing (issue 16 item 4): which answer file to read for each linked
answer, the Anfrage's stored parse as context, and the pairing itself."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.document.model import Answer, AnswerPairing
from bot.store.batches import chunks
from bot.store.documents import main_files
from bot.store.schema import AnswerLink, AnswerPairingRow, DocumentRow, FileRow, PaperRow
from bot.store.upsert import upsert


@dataclass(frozen=True)
class AnswerFile:
    """The file holding the administration's answer to one Anfrage."""

    anfrage_id: str
    source: str
    file_id: str
    # The paper the file belongs to: the answer paper, or the Anfrage itself (rule "file").
    owner_id: str


def answer_files(session: Session) -> list[AnswerFile]:
    """The linked answers whose file still needs reading or pairing: the answer paper's main
    file, or the answer file on the Anfrage's own paper. Answers paired at their file's current
    version, answers without a file and answers of deleted Anfragen are left out.

    Runs after every poll over every answer ever linked: a few bulk queries, no query per link."""
    links = session.execute(
        select(
            AnswerLink.anfrage_id, AnswerLink.answer_paper_id, AnswerLink.answer_file_id
        ).order_by(AnswerLink.linked_at, AnswerLink.anfrage_id)
    ).all()
    done = {
        a: (f, v)
        for a, f, v in session.execute(
            select(
                AnswerPairingRow.anfrage_id, AnswerPairingRow.file_id, AnswerPairingRow.version_key
            )
        ).all()
    }
    anfragen: dict[str, str] = {}
    for part in chunks([a for a, _, _ in links]):
        rows = session.execute(
            select(PaperRow.id, PaperRow.source).where(
                PaperRow.id.in_(part), PaperRow.deleted.is_(False)
            )
        ).all()
        anfragen.update({i: src for i, src in rows})
    mains = {
        paper_id: (row.id, row.version_key)
        for paper_id, row in main_files(
            session, [p for _, p, _ in links if p], FileRow.id, FileRow.version_key
        ).items()
    }
    own: dict[str, tuple[str, str]] = {}
    for part in chunks([f for _, p, f in links if not p and f]):
        rows = session.execute(
            select(FileRow.id, FileRow.version_key).where(FileRow.id.in_(part))
        ).all()
        own.update({i: (i, v) for i, v in rows})
    out: list[AnswerFile] = []
    for anfrage_id, paper_id, file_id in links:
        source = anfragen.get(anfrage_id)
        found = mains.get(paper_id) if paper_id else own.get(file_id or "")
        if source is None or found is None or done.get(anfrage_id) == found:
            continue
        out.append(AnswerFile(anfrage_id, source, found[0], paper_id or anfrage_id))
    return out


@dataclass(frozen=True)
class PairingInput:
    """The answer file's current version and its read text (None until it was read)."""

    file_id: str
    version_key: str
    text: str | None


def pairing_input(session: Session, anfrage_id: str, file_id: str) -> PairingInput | None:
    """What pairing the answer needs, or None when the file is gone or its current version is
    paired already."""
    file = session.get(FileRow, file_id)
    if file is None:
        return None
    row = session.get(AnswerPairingRow, anfrage_id)
    if row is not None and (row.file_id, row.version_key) == (file.id, file.version_key):
        return None
    doc = session.get(DocumentRow, file.id)
    read = doc is not None and doc.status == "ok" and doc.version_key == file.version_key
    return PairingInput(file.id, file.version_key, doc.text if read and doc else None)


def save_pairing(
    session: Session,
    anfrage_id: str,
    answer: PairingInput,
    pairing: dict[str, Any],
    now: datetime,
) -> None:
    upsert(
        session,
        AnswerPairingRow.__table__,  # type: ignore[arg-type]
        [
            {
                "anfrage_id": anfrage_id,
                "file_id": answer.file_id,
                "version_key": answer.version_key,
                "pairing": pairing,
                "paired_at": now,
            }
        ],
    )


def pairing_of(session: Session, anfrage_id: str) -> AnswerPairing | None:
    """The stored pairing, or None when there is none or it pairs no question."""
    row = session.get(AnswerPairingRow, anfrage_id)
    if row is None or not (row.pairing or {}).get("answers"):
        return None
    return _from_json(row.pairing)


def _from_json(data: dict[str, Any]) -> AnswerPairing:
    answers = tuple(
        Answer(
            number=str(a.get("number") or ""),
            question=str(a.get("question") or ""),
            answer=str(a.get("answer") or ""),
        )
        for a in data.get("answers") or ()
        if isinstance(a, dict)
    )
    by = data.get("answered_by")
    return AnswerPairing(
        answers=answers,
        unanswered=tuple(str(n) for n in data.get("unanswered") or ()),
        answered_by=str(by) if by else None,
    )


def pairing_keys(session: Session, anfrage_ids: Sequence[str]) -> dict[str, str]:
    """A short key per Anfrage whose pairing shows something: it changes with the pairing, so
    the parent message is updated when a pairing arrives or changes."""
    out: dict[str, str] = {}
    for part in chunks(list(anfrage_ids)):
        for row in session.scalars(
            select(AnswerPairingRow).where(AnswerPairingRow.anfrage_id.in_(part))
        ):
            if (row.pairing or {}).get("answers"):
                blob = json.dumps(row.pairing, sort_keys=True, ensure_ascii=False)
                out[row.anfrage_id] = hashlib.sha256(blob.encode()).hexdigest()[:12]
    return out
