"""The outbox's renderer table: one renderer per message kind; a stored kind this version does
not know is parked with a clear reason, never posted and never retried in a loop."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.outbox.kinds import Kind, State
from bot.outbox.render import RENDERERS, UnknownKind, make_renderer, renderer_for
from bot.outbox.send import DeliveryReport, deliver_pending
from bot.slack.notifier import SlackNotifier
from bot.store.db import make_engine, migrate, session_factory, transaction
from bot.store.deliveries import enqueue
from bot.store.schema import Delivery
from tests.fake_slack import FakeSlack

NOW = datetime(2025, 1, 10, 8, 0, tzinfo=UTC)
TZ = ZoneInfo("Europe/Berlin")


def test_every_kind_has_exactly_one_renderer() -> None:
    assert set(RENDERERS) == set(Kind)
    assert len(RENDERERS) == len(Kind)
    # The stored strings stay what they were before the enums (no migration).
    assert [k.value for k in Kind] == ["announce", "event", "update", "reminder", "digest", "dm"]
    for kind in Kind:
        assert renderer_for(kind.value) is RENDERERS[kind]


def test_an_unknown_kind_names_itself() -> None:
    with pytest.raises(UnknownKind, match="unknown message kind 'fax'") as caught:
        renderer_for("fax")
    assert caught.value.permanent


def test_a_row_of_an_unknown_kind_is_parked_and_not_posted(tmp_path: Path) -> None:
    slack = FakeSlack()
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        migrate(engine)
        factory = session_factory(engine)
        with transaction(factory) as session:
            enqueue(session, kind="fax", channel="C0FAX", key="k1", now=NOW)
        notifier = SlackNotifier("xoxb-test", slack.base_url, timeout=5)
        report = deliver_pending(
            factory, notifier, make_renderer(now=NOW, tz=TZ), now=NOW, pace_seconds=0
        )
        with factory() as session:
            row = session.scalars(select(Delivery)).one()
    finally:
        engine.dispose()
        slack.stop()
    assert (report.sent, report.parked) == (0, 1)
    assert row.status == State.PARKED
    assert row.last_error == "unknown message kind 'fax': no renderer"
    assert slack.posts() == []


def test_report_counts_from_many_threads_add_up() -> None:
    report = DeliveryReport()

    def work() -> None:
        for _ in range(2000):
            report.count("sent")
            report.count("retried", error="x")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert report.sent == report.retried == 16000
    assert len(report.errors) == 16000
