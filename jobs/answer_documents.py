"""Read each linked answer document and pair it question by question with its Anfrage
(issue 16 item 4).

The answer file (the answer paper's main file, or the answer file on the Anfrage's own paper) is
fetched and read by the same machinery as the Anfrage's document (jobs/documents.py: the
council-origin download policy, the sandboxed reader, quarantine with backoff 1 h, 6 h, 24 h).
Its text is then paired with the Anfrage's stored parse (`pair_cleaned_answers`, pure) and stored.

When the answer is linked, this runs in the same poll before the thread reply is queued, so the
reply normally carries the excerpts. Rule when the answer document cannot be read (refused,
quarantined, no text layer): the reply goes out at once without excerpts — it is never held
back — and is never edited; a pairing that arrives later (a retry succeeded, a new version of
the file) shows in the parent message, which is updated in place (bot/outbox/threads.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.document.answers import pair_cleaned_answers
from bot.document.model import ParsedAnfrage
from bot.store.answer_pairing import (
    AnswerFile,
    answer_files,
    pairing_input,
    save_pairing,
)
from bot.store.db import transaction
from bot.store.documents import file_version, parsed_document
from jobs.documents import Fetch, Read, read_one

log = logging.getLogger(__name__)

# Answers are few (one per Anfrage, once); this only bounds a first run over an old council.
ANSWER_BUDGET = 20


def read_answer_documents(
    factory: sessionmaker[Session],
    fetchers: Mapping[str, Fetch],
    *,
    now: datetime,
    read: Read,
    budget: int = ANSWER_BUDGET,
    seconds: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Read the answer documents not read yet (or due for a retry) and pair every answer whose
    document was read; `fetchers` by source name. Returns how many answers were paired."""
    with factory() as session:
        files = answer_files(session)
    stop_at = clock() + seconds if seconds is not None else None
    reads = paired = 0
    for af in files:
        fetch = fetchers.get(af.source)
        if fetch is None:
            continue
        try:
            if reads < budget and (stop_at is None or clock() <= stop_at):
                reads += _read_if_needed(factory, af, fetch, read, now)
            paired += _pair_if_needed(factory, af, now)
        except Exception as e:  # noqa: BLE001 - one answer never stops the others
            log.error("answer document of %s: %s: %s", af.anfrage_id, type(e).__name__, e)
    return paired


def _read_if_needed(
    factory: sessionmaker[Session], af: AnswerFile, fetch: Fetch, read: Read, now: datetime
) -> int:
    with factory() as session:
        snap = file_version(session, af.file_id, now)
    if snap is None or snap.settled:
        return 0  # gone, or read (or given up on) already
    read_one(factory, af.owner_id, snap, fetch, read, now, set_faction=False)
    return 1


def _pair_if_needed(factory: sessionmaker[Session], af: AnswerFile, now: datetime) -> int:
    with transaction(factory) as session:
        answer = pairing_input(session, af.anfrage_id, af.file_id)
        if answer is None or not answer.text:
            return 0  # gone, paired at this version, or not read yet
        parsed = parsed_document(session, af.anfrage_id)
        anfrage = ParsedAnfrage.from_json_dict(parsed) if parsed else None
        pairing = pair_cleaned_answers(answer.text, anfrage)  # stored text is cleaned already
        save_pairing(session, af.anfrage_id, answer, pairing.to_json_dict(), now)
    log.info(
        "answer to %s read: %d questions, %d unanswered",
        af.anfrage_id,
        len(pairing.answers),
        len(pairing.unanswered),
    )
    return 1
