"""Delivery of 200 pending announcements to 5 channels at Slack's pace (one message per second
per channel): wall time of the real `deliver_pending` (channels in parallel) against the same
outbox sent serially (one worker), through the real SlackNotifier to a local fake Slack.

The pace is scaled down (default 0.05 s instead of 1 s) to keep the run short; the report
gives the implied wall time at 1 message/s too. Messages are one-section announcements rendered
by a stub renderer (rendering is not what is measured here).

    .venv/bin/python bench/bench_deliver.py [--messages 200] [--channels 5] [--pace 0.05]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import md_table  # noqa: E402

from bot.outbox.message import Rendered  # noqa: E402
from bot.outbox.send import deliver_pending  # noqa: E402
from bot.slack.notifier import SlackNotifier  # noqa: E402
from bot.store.db import make_engine, migrate, session_factory, transaction  # noqa: E402
from bot.store.deliveries import Claimed, enqueue  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402

NOW = datetime(2025, 1, 10, 8, 0, tzinfo=UTC)


def _render(_session: Any, item: Claimed) -> Rendered:
    text = f"Neue Anfrage {item.key}"
    return Rendered(
        text=text, blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    )


def _run(messages: int, channels: int, pace: float, workers: int, tmp: Path) -> dict[str, Any]:
    slack = FakeSlack()
    engine = make_engine(f"sqlite:///{tmp / f'deliver-{workers}.db'}")
    try:
        migrate(engine)
        factory = session_factory(engine)
        with transaction(factory) as session:
            for i in range(messages):
                enqueue(
                    session,
                    kind="announce",
                    channel=f"C{i % channels:04d}",
                    key=f"https://ris.example/paper/{i}",
                    now=NOW,
                )
        notifier = SlackNotifier("xoxb-bench", slack.base_url, timeout=5)
        t0 = time.perf_counter()
        report = deliver_pending(
            factory, notifier, _render, now=NOW, pace_seconds=pace, max_workers=workers
        )
        seconds = time.perf_counter() - t0
        assert report.sent == messages, report
        assert len(slack.posts()) == messages
        return {"seconds": seconds, "sent": report.sent}
    finally:
        engine.dispose()
        slack.stop()


def report(serial: dict[str, Any], parallel: dict[str, Any], args: argparse.Namespace) -> str:
    per_channel = -(-args.messages // args.channels)
    scale = 1.0 / args.pace if args.pace > 0 else float("inf")
    # At 1 msg/s the pauses dominate: each channel pauses between its own messages; one
    # worker pauses for every channel in turn, parallel workers pause side by side.
    pauses_serial = args.channels * (per_channel - 1)
    pauses_parallel = per_channel - 1
    implied_serial = pauses_serial + (serial["seconds"] - pauses_serial * args.pace)
    implied_parallel = pauses_parallel + (parallel["seconds"] - pauses_parallel * args.pace)
    lines = ["### 6. Delivery: 200 announcements to 5 channels at Slack's pace", ""]
    lines.append(
        f"{args.messages} pending announcements, {args.channels} channels, real "
        "`deliver_pending` + `SlackNotifier` against the local fake Slack (tests/fake_slack.py). "
        f"Pace scaled down to {args.pace} s per message per channel (×{scale:.0f} faster than "
        "Slack's ~1 message/s); baseline = the same outbox sent serially (one worker)."
    )
    lines.append("")
    rows = [
        [
            "serial (1 worker): baseline",
            f"{serial['seconds']:.2f}",
            "1.00×",
            f"{implied_serial:.0f}",
        ],
        [
            f"parallel ({args.channels} channels at once)",
            f"{parallel['seconds']:.2f}",
            f"{serial['seconds'] / parallel['seconds']:.2f}× faster",
            f"{implied_parallel:.0f}",
        ],
    ]
    lines.append(
        md_table(
            ["run", f"wall s at {args.pace} s pace", "vs serial", "implied wall s at 1 msg/s"],
            rows,
        )
    )
    lines.append("")
    lines.append(
        f"At 1 msg/s the ratio is ≈ {implied_serial / implied_parallel:.1f}× "
        f"(ideal: {args.channels}×, as each channel waits its own pace)."
    )
    lines.append("")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=200)
    ap.add_argument("--channels", type=int, default=5)
    ap.add_argument("--pace", type=float, default=0.05)
    ap.add_argument("--json", help="write raw results here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        serial = _run(args.messages, args.channels, args.pace, 1, tmp)
        parallel = _run(args.messages, args.channels, args.pace, 8, tmp)
    if args.json:
        import json

        Path(args.json).write_text(json.dumps({"serial": serial, "parallel": parallel}))
    print(report(serial, parallel, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
