"""What a sync remembers between polls: per source (first sync done, last success or error) and
per OParl list (watermark, read mode, resume point, last page reached, last error). jobs/sync.py
reads and writes it only through these functions.

A list's progress is written in the same transaction as the page it belongs to
(`save_progress`), so a crash leaves a resume point that matches what was stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.store import quarantine as qstore
from bot.store.db import transaction
from bot.store.schema import ListState, MeetingRow, OrganizationRow, PaperRow, Source

# The lists a sync reads, in the order it reads them: papers first, so a failing meeting or
# organization list never delays an announcement.
LIST_KINDS = ("paper", "meeting", "organization")
_MODELS: dict[str, Any] = {
    "paper": PaperRow,
    "meeting": MeetingRow,
    "organization": OrganizationRow,
}


def begin_source(factory: sessionmaker[Session], name: str, url: str, now: datetime) -> bool:
    """Record the attempt; returns True while the source's first sync is not over."""
    with transaction(factory) as session:
        state = session.get(Source, name)
        if state is None:
            state = Source(name=name, system_url=url, first_sync_done=False)
            session.add(state)
        state.system_url = url
        state.last_attempt_at = now
        return not state.first_sync_done


def end_source(
    factory: sessionmaker[Session],
    name: str,
    now: datetime,
    *,
    papers_complete: bool,
    error: str | None,
) -> None:
    with transaction(factory) as session:
        state = session.get(Source, name)
        assert state is not None
        if papers_complete:
            # The first sync is over once every paper has been seen (announce_max_age_days
            # applied to them): a failing meeting list must not keep it going for ever.
            state.first_sync_done = True
        if error is None:
            state.last_success_at = now
        else:
            state.last_error = error
            state.last_error_at = now


def known_lists(factory: sessionmaker[Session], source: str) -> list[tuple[str, str]]:
    """(kind, url) of the lists read before, papers first: a poll whose System or Body request
    fails still reads them (a flaky entry point must not hold back every list behind it)."""
    with factory() as session:
        rows = session.execute(
            select(ListState.kind, ListState.url).where(
                ListState.source == source, ListState.kind.is_not(None)
            )
        ).all()
    found = [(str(k), str(u)) for k, u in rows if k in LIST_KINDS]
    return sorted(found, key=lambda item: LIST_KINDS.index(item[0]))


@dataclass(frozen=True)
class ListSnapshot:
    """A list's state as the sync found it at the start of its read."""

    watermark: datetime | None = None
    mode: str | None = None
    full_sync_at: datetime | None = None
    resume_url: str | None = None
    resume_started_at: datetime | None = None
    tail_url: str | None = None


def list_snapshot(factory: sessionmaker[Session], url: str) -> ListSnapshot:
    with factory() as session:
        state = session.get(ListState, url)
        if state is None:
            return ListSnapshot()
        return ListSnapshot(
            watermark=state.watermark,
            mode=state.mode,
            full_sync_at=state.full_sync_at,
            resume_url=state.resume_url,
            resume_started_at=state.resume_started_at,
            tail_url=state.tail_url,
        )


def resume_point(factory: sessionmaker[Session], url: str) -> str | None:
    return list_snapshot(factory, url).resume_url


def _state(session: Session, source: str, url: str, kind: str | None = None) -> ListState:
    state = session.get(ListState, url)
    if state is None:
        state = ListState(url=url, source=source, last_count=0)
        session.add(state)
    if kind:
        state.kind = kind
    return state


def save_progress(
    session: Session,
    source: str,
    url: str,
    kind: str,
    *,
    tail_url: str | None,
    resume: tuple[str | None, datetime] | None,
) -> None:
    """In the transaction of the page saved: the last page reached (`tail_url`, if given) and
    the next page to read with the start of the read (`resume`; a next page of None: the end)."""
    state = _state(session, source, url, kind)
    if tail_url is not None:
        state.tail_url = tail_url
    if resume is not None:
        next_url, started = resume
        state.resume_url = next_url
        state.resume_started_at = started if next_url else None


def forget_resume_point(factory: sessionmaker[Session], source: str, url: str) -> None:
    """The page to resume at is gone (404): the next poll starts over."""
    with transaction(factory) as session:
        state = _state(session, source, url)
        state.resume_url = None
        state.resume_started_at = None


def record_list_error(
    factory: sessionmaker[Session], source: str, kind: str, url: str, error: str, now: datetime
) -> None:
    with transaction(factory) as session:
        state = _state(session, source, url, kind)
        state.last_error = error[:2000]
        state.last_error_at = now


def finish_list(
    factory: sessionmaker[Session],
    source: str,
    url: str,
    kind: str,
    *,
    watermark: datetime,
    count: int,
    mode: str | None,
    full: bool,
    now: datetime,
) -> None:
    """A list read to its end: move the watermark, clear the resume point and the error, and
    release the pages of it that were quarantined."""
    with transaction(factory) as session:
        state = _state(session, source, url, kind)
        state.watermark = watermark
        state.last_count = count
        state.mode = mode
        state.resume_url = None
        state.resume_started_at = None
        state.last_complete_at = now
        state.last_error = None
        state.last_error_at = None
        if full:
            state.full_sync_at = now
        qstore.release_pages(session, source, url)


def count_unknown(factory: sessionmaker[Session], kind: str, ids: Iterable[str]) -> int:
    """How many of these ids of one list kind the store has never seen."""
    wanted = set(ids)
    if not wanted:
        return 0
    model = _MODELS[kind]
    with factory() as session:
        known = set(session.scalars(select(model.id).where(model.id.in_(wanted))).all())
    return len(wanted - known)


def table_of(kind: str) -> str:
    """The table a list kind fills ("papers", …): what progress reports name."""
    return str(_MODELS[kind].__tablename__)


def meeting_stored(factory: sessionmaker[Session], meeting_id: str) -> bool:
    with factory() as session:
        return session.get(MeetingRow, meeting_id) is not None
