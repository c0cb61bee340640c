"""What a poll would post, without posting or recording anything (`poll --once --dry-run`),
and the operator lines of a poll that cannot deliver (no SLACK_BOT_TOKEN)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from bot.runtime import Runtime
from bot.slack.notifier import render_text
from bot.store.deliveries import Claimed
from bot.store.overview import (
    due_deliveries,
    has_delivery,
    held_back,
    unrouted_anfragen,
    waiting_deliveries,
)
from bot.store.schema import PaperRow
from bot.store.subscriptions import channels_for
from bot.store.views import load_anfrage
from jobs.announce import _document_settled
from jobs.deliver import NotReady, Rendered
from jobs.render import make_renderer

if TYPE_CHECKING:
    from jobs.poll import PollReport

log = logging.getLogger(__name__)


def log_no_token(rt: Runtime, now: datetime) -> None:
    with rt.factory() as session:
        waiting = waiting_deliveries(session)
    log.warning(
        "SLACK_BOT_TOKEN is not set: nothing sent, %d deliveries stay pending for the first run "
        "with the token (preview: anfragebot poll --once --dry-run)",
        waiting,
    )


def log_held_back(rt: Runtime, source: str, now: datetime) -> None:
    """The first sync announces only recent Anfragen; say how many older ones stay silent."""
    with rt.factory() as session:
        n = held_back(session, source, now)
    if n:
        log.info(
            "source %s: %d Anfragen older than announce_max_age_days (%d) held back, "
            "not announced",
            source,
            n,
            rt.config.slack.announce_max_age_days,
        )


def dry_run(rt: Runtime, now: datetime, out: TextIO) -> PollReport:
    """Sync (the store mirrors the feed), then print every message the next poll would send.
    Adds no delivery, claims none, marks none: the next real poll sends all of them."""
    from jobs.poll import sync_all  # jobs.poll imports this module

    report = sync_all(rt, now, route=False)
    messages = [*_announcements(rt, now), *_due(rt, now)]
    for item, rendered in messages:
        where = item.channel
        if rendered.update_ts:
            where = f"{item.channel} (Aktualisierung von {rendered.update_ts})"
        elif rendered.thread_ts:
            where = f"{item.channel} (Antwort im Thread {rendered.thread_ts})"
        print(f"\n--- Probelauf: Nachricht an {where} ---", file=out)
        print(render_text(rendered.blocks) or rendered.text, file=out)
    print(
        f"\nProbelauf: {len(messages)} Nachricht(en) würden gesendet; "
        "nichts wurde gesendet oder als gesendet vermerkt.",
        file=out,
    )
    return report


def _render(rt: Runtime, now: datetime, items: list[Claimed]) -> list[tuple[Claimed, Rendered]]:
    render = make_renderer(now=now, tz=rt.config.reminders.timezone)
    out: list[tuple[Claimed, Rendered]] = []
    with rt.factory() as session:
        for item in items:
            try:
                rendered = render(session, item)
            except NotReady:
                continue  # e.g. a thread reply whose parent is not posted yet: not this round
            if rendered is not None:
                out.append((item, rendered))
        session.rollback()
    return out


def _announcements(rt: Runtime, now: datetime) -> list[tuple[Claimed, Rendered]]:
    """The announcements routing would add now (the same decisions as jobs/announce.py)."""
    items: list[Claimed] = []
    with rt.factory() as session:
        for paper_id in unrouted_anfragen(session):
            paper = session.get(PaperRow, paper_id)
            if paper is None or not _document_settled(session, paper, now):
                continue
            view = load_anfrage(session, paper_id)
            if view is None:
                continue
            for channel in channels_for(session, view, paper.source, rt.config.slack.channel):
                if has_delivery(session, "announce", channel, paper_id):
                    continue
                items.append(
                    Claimed(
                        id=0,
                        kind="announce",
                        channel=channel,
                        key=paper_id,
                        paper_id=paper_id,
                        payload={},
                        attempts=0,
                        created_at=now,
                        last_error=None,
                    )
                )
        session.rollback()
    return _render(rt, now, items)


def _due(rt: Runtime, now: datetime) -> list[tuple[Claimed, Rendered]]:
    with rt.factory() as session:
        items = due_deliveries(session, now)
    return _render(rt, now, items)
