"""What a poll would post, without posting or recording anything (`poll --once --dry-run`),
and the operator lines of a poll that cannot deliver (no SLACK_BOT_TOKEN)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from sqlalchemy.orm import Session, sessionmaker

from bot.runtime import Runtime
from bot.slack.notifier import render_text
from bot.store.deliveries import Claimed
from bot.store.overview import due_deliveries, held_back, scratch, waiting_deliveries
from jobs.announce import route_pending
from jobs.deliver import NotReady, Rendered
from jobs.follow import after_sync
from jobs.lifecycle import follow_up
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
    """Sync (the store mirrors the feed), then route and follow up exactly as a poll would, in
    a transaction that is rolled back, and print every message the poll would send. No
    delivery is added, claimed or marked: the next real poll sends all of them."""
    from jobs.poll import sync_all  # jobs.poll imports this module

    report = sync_all(rt, now, route=False)
    with scratch(rt.config.database_url) as factory:
        route_pending(factory, default_channel=rt.config.slack.channel, now=now)
        follow_up(factory, now=now, tz=rt.config.reminders.timezone)
        after_sync(factory, now=now, tz=rt.config.reminders.timezone)  # follower DMs
        messages = _render_due(factory, rt, now)
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


def _render_due(
    factory: sessionmaker[Session], rt: Runtime, now: datetime
) -> list[tuple[Claimed, Rendered]]:
    render = make_renderer(now=now, tz=rt.config.reminders.timezone)
    out: list[tuple[Claimed, Rendered]] = []
    with factory() as session:
        for item in due_deliveries(session, now):
            try:
                rendered = render(session, item)
            except NotReady:
                continue  # e.g. a thread reply whose parent is not posted yet: not this round
            if rendered is not None:
                out.append((item, rendered))
    return out
