"""`anfragebot demo`: the real pipeline, once, against the sample feed on 127.0.0.1."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.config import Config, SlackConfig, SourceConfig
from bot.demo.sample import build_routes
from bot.demo.server import FeedServer
from bot.runtime import build_runtime
from bot.slack.notifier import TerminalNotifier
from jobs.poll import poll_once


def run_demo(out: TextIO) -> int:
    now = datetime.now(UTC)
    with FeedServer() as server, tempfile.TemporaryDirectory() as tmp:
        server.routes.update(build_routes(server.base_url, now.date()))
        config = Config(
            database_url=f"sqlite:///{Path(tmp) / 'demo.db'}",
            sources=(
                SourceConfig(
                    name="demo-rvr", url=f"{server.base_url}/oparl/system", requests_per_second=0
                ),
            ),
            slack=SlackConfig(channel="#anfragen-demo"),
        )
        print(f"Demo: Beispiel-Ratsinformationssystem auf {server.base_url}/oparl/system", file=out)
        print("Demo: Kein SLACK_BOT_TOKEN gesetzt – Nachrichten werden hier ausgegeben.", file=out)
        rt = build_runtime(config, notifier=TerminalNotifier(out), pace_seconds=0)
        try:
            report = poll_once(rt, now)
            again = poll_once(rt, now)
        finally:
            rt.close()
        src = report.sources[0]
        print(
            f"\nDemo: {src.papers.new} Vorlagen gespeichert, {src.papers.new_anfragen} Anfragen, "
            f"{report.delivery.sent} Nachrichten. Zweiter Lauf: {again.delivery.sent} Nachrichten "
            "(jede Anfrage wird genau einmal gemeldet).",
            file=out,
        )
        if not src.ok:
            print(f"Demo: Fehler beim Abruf: {src.error}", file=out)
            return 1
    return 0
