"""Overdue answers and interim replies: thread replies under the announcement (issue 13).

| kind  | key                          | message                                         |
|-------|------------------------------|-------------------------------------------------|
| event | `{paper}|overdue`            | reply: the answer is überfällig (once, ever)    |
| event | `{paper}|interim|{id}`       | reply: an interim reply, not yet the answer     |

The overdue key holds no date: whatever the clock says on a later run (or after it was moved),
the outbox's unique (kind, channel, key) lets the notice be queued once per channel. It is
queued by `remind --once` / `run` (jobs/remind.py) and rendered at send time, when an
Anfrage answered in the meantime gets nothing.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.classify import is_interim
from bot.config import DeadlinesConfig
from bot.deadlines import answer_due, overdue_days
from bot.slack import texts
from bot.slack.blocks import fmt_date
from bot.slack.escape import Mrkdwn, fill, link, ours
from bot.store.db import transaction
from bot.store.deliveries import enqueue
from bot.store.documents import main_file
from bot.store.lifecycle import chunks, tracked
from bot.store.schema import AnswerLink, Delivery, FileRow, PaperRow

log = logging.getLogger(__name__)

EVENT = "event"
_STEM = re.compile(r"^(.+?)\s*[-/.]\s*\d{1,3}$")


def overdue_key(paper_id: str) -> str:
    return f"{paper_id}|overdue"


def enqueue_overdue(
    factory: sessionmaker[Session], *, now: datetime, tz: ZoneInfo, deadlines: DeadlinesConfig
) -> int:
    """One overdue notice per channel the Anfrage was announced in; returns rows added."""
    if not deadlines.answer_days and not any(d for _, d in deadlines.paper_types):
        return 0
    today = now.astimezone(tz).date()
    added = 0
    with transaction(factory) as session:
        rows = session.execute(
            select(Delivery.channel, PaperRow.id, PaperRow.date, PaperRow.paper_type)
            .join(PaperRow, PaperRow.id == Delivery.paper_id)
            .outerjoin(AnswerLink, AnswerLink.anfrage_id == PaperRow.id)
            .where(
                Delivery.kind == "announce",
                Delivery.status == "sent",
                AnswerLink.anfrage_id.is_(None),
                PaperRow.deleted.is_(False),
                PaperRow.date.is_not(None),
            )
        ).all()
        for channel, paper_id, filed_on, paper_type in rows:
            due = answer_due(filed_on, paper_type, deadlines)
            if due is None or not overdue_days(due, today):
                continue
            added += enqueue(
                session,
                kind=EVENT,
                channel=channel,
                key=overdue_key(paper_id),
                now=now,
                paper_id=paper_id,
                payload={"type": "overdue", "due": due.isoformat()},
            )
    if added:
        log.info("queued %d overdue notice(s)", added)
    return added


def overdue_line(
    session: Session, paper: PaperRow, payload: dict[str, Any], today: date
) -> Mrkdwn | None:
    """At send time: nothing when answered, deleted, or (a clock moved back) not overdue."""
    if paper.deleted or session.get(AnswerLink, paper.id) is not None:
        return None
    try:
        due = date.fromisoformat(str(payload.get("due")))
    except ValueError:
        return None
    late = overdue_days(due, today)
    if not late:
        return None
    return fill(texts.EVENT_OVERDUE, date=fmt_date(due), days=_days(late))


def _days(n: int) -> Mrkdwn:
    return ours(texts.OVERDUE_DAY) if n == 1 else fill(texts.OVERDUE_DAYS, n=n)


# -- interim replies -----------------------------------------------------------------------------


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
        stem = _STEM.match(ref or "")
        if stem and stem.group(1).casefold() in refs:
            targets.add(refs[stem.group(1).casefold()])
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


def enqueue_interims(factory: sessionmaker[Session], *, now: datetime) -> int:
    """One reply per interim reply and channel the Anfrage was announced in."""
    added = 0
    with transaction(factory) as session:
        rows = tracked(session, sent_only=False)
        channels: dict[str, list[str]] = {}
        for t in rows:
            channels.setdefault(t.paper_id, []).append(t.channel)
        for anfrage_id, kind, interim_id in find_interims(session, sorted(channels)):
            for channel in channels[anfrage_id]:
                added += enqueue(
                    session,
                    kind=EVENT,
                    channel=channel,
                    key=f"{anfrage_id}|interim|{interim_id}",
                    now=now,
                    paper_id=anfrage_id,
                    payload={"type": "interim", kind: interim_id},
                )
    return added


def interim_line(session: Session, payload: dict[str, Any], today: date) -> Mrkdwn | None:
    url: str | None = None
    day: date | None = None
    if payload.get("paper"):
        paper = session.get(PaperRow, str(payload["paper"]))
        if paper is None or paper.deleted:
            return None
        file = main_file(session, paper.id)
        url = paper.web or ((file.access_url or file.download_url) if file else None)
        day = paper.date
    elif payload.get("file"):
        f = session.get(FileRow, str(payload["file"]))
        if f is None:
            return None
        url = f.access_url or f.download_url
    else:
        return None
    return fill(
        texts.EVENT_INTERIM,
        date=fmt_date(day or today),
        link=link(url, ours(texts.EVENT_INTERIM_LABEL)),
    )
