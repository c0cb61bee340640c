"""What a poll would post, without posting or recording anything (`poll --once --dry-run`)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TextIO

from sqlalchemy.orm import Session, sessionmaker

from bot.outbox.message import NotReady, Rendered
from bot.outbox.render import UnknownKind
from bot.outbox.routing import route_pending
from bot.runtime import Runtime
from bot.slack import texts
from bot.slack.notifier import render_text
from bot.store.deliveries import Claimed
from bot.store.overview import due_deliveries, scratch
from jobs.poll import PollReport, after_sync, follow_up, renderer, sync_all

log = logging.getLogger(__name__)


def dry_run(rt: Runtime, now: datetime, out: TextIO) -> PollReport:
    """Sync (the store mirrors the feed), then route and follow up exactly as a poll would, in
    a transaction that is rolled back, and print every message the poll would send. No
    delivery is added, claimed or marked: the next real poll sends all of them."""
    report = sync_all(rt, now, route=False)
    with scratch(rt.config.database_url) as factory:
        route_pending(factory, default_channel=rt.config.slack.channel, now=now)
        follow_up(factory, now=now, tz=rt.config.reminders.timezone)
        # follower DMs
        after_sync(factory, now=now, tz=rt.config.reminders.timezone, deadlines=rt.config.deadlines)
        messages = _render_due(factory, rt, now)
    for item, rendered in messages:
        where = item.channel
        if rendered.update_ts:
            where = texts.PREVIEW_UPDATE.format(channel=item.channel, ts=rendered.update_ts)
        elif rendered.thread_ts:
            where = texts.PREVIEW_THREAD.format(channel=item.channel, ts=rendered.thread_ts)
        print(texts.PREVIEW_HEAD.format(where=where), file=out)
        print(render_text(rendered.blocks) or rendered.text, file=out)
    print(texts.PREVIEW_SUMMARY.format(n=len(messages)), file=out)
    return report


def _render_due(
    factory: sessionmaker[Session], rt: Runtime, now: datetime
) -> list[tuple[Claimed, Rendered]]:
    render = renderer(rt, now)
    out: list[tuple[Claimed, Rendered]] = []
    with factory() as session:
        for item in due_deliveries(session, now):
            try:
                rendered = render(session, item)
            except NotReady:
                continue  # e.g. a thread reply whose parent is not posted yet: not this round
            except UnknownKind:
                continue  # a real run parks it (see UnknownKind); a preview only leaves it out
            if rendered is not None:
                out.append((item, rendered))
    return out
