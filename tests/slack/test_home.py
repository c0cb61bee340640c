"""The App Home tab: `app_home_opened` over signed HTTP and over Socket Mode → `views.publish`
for that user, rendered from the store; escaping and Slack's 100-block limit at 500 open
Anfragen."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.slack.home import MAX_VIEW_BLOCKS, home_view
from bot.store.db import make_engine, migrate, session_factory, transaction
from bot.store.deliveries import enqueue
from bot.store.follows import add_follow
from bot.store.home import load_home
from bot.store.schema import MeetingRow, PaperRow
from bot.store.subscriptions import add_subscription
from tests.fake_slack import FakeSlack
from tests.slack.conftest import blocks_text
from tests.slack.test_http import Served, sign
from tests.slack.test_http import served as served  # noqa: F401 - the fixture
from tests.slack.test_socket_mode import Bot
from tests.slack.test_socket_mode import bot as bot  # noqa: F401 - the fixture

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2025, 1, 10, 8, 0, tzinfo=UTC)
HOSTILE = "Radweg <!channel> & <https://evil.example|klick> *fett* \u202eumgedreht"


def home_event(user: str) -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": "T1",
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": f"Ev{time.monotonic_ns()}",
        "event_time": int(time.time()),
        "event": {
            "type": "app_home_opened",
            "user": user,
            "channel": f"D{user}",
            "tab": "home",
            "event_ts": "1700000000.000100",
        },
    }


def wait_view(slack: FakeSlack, user: str, count: int = 1) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while len(slack.published_views(user)) < count:
        assert time.monotonic() < deadline, "no views.publish"
        time.sleep(0.02)
    published = slack.published_views(user)[-1]
    view = published["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


def test_home_over_signed_http_names_the_open_anfragen(served: Served) -> None:
    served.command('abo fraktion:"Die Linke"', channel="CABO")
    served.command("folgen 14/1923", user="U7")
    body = json.dumps(home_event("U7")).encode()
    headers = sign(body)
    headers["Content-Type"] = "application/json"
    status, _ = served.post(body, headers)
    assert status == 200
    view = wait_view(served.slack, "U7")
    assert view["type"] == "home"
    assert len(view["blocks"]) <= MAX_VIEW_BLOCKS
    text = blocks_text(view["blocks"])
    assert "Offene Anfragen (2)" in text
    assert "14/1923" in text and "14/1950" in text
    assert "Zusammenarbeit der Kommunalen Integrationszentren" in text
    assert "Nächste Sitzungen mit Anfragen" in text and "TOP 12" in text
    assert '<#CABO> · *1* · `fraktion:"Die Linke"`' in text
    follows = text.split("Sie folgen", 1)[1]
    assert "14/1923" in follows and "offen" in follows
    # The Messages tab fires the same event: no view for it; unsigned requests get nothing.
    other = home_event("U8")
    other["event"]["tab"] = "messages"
    raw = json.dumps(other).encode()
    headers = sign(raw)
    headers["Content-Type"] = "application/json"
    assert served.post(raw, headers)[0] == 200
    unsigned = json.dumps(home_event("U9")).encode()
    assert served.post(unsigned, {"Content-Type": "application/json"})[0] == 401
    time.sleep(0.5)
    assert served.slack.published_views("U8") == []
    assert served.slack.published_views("U9") == []


def test_home_over_socket_mode(bot: Bot) -> None:
    envelope_id, _ = bot.envelope("events_api", home_event("U7"))
    assert set(bot.acked(envelope_id)) == {"envelope_id"}
    view = wait_view(bot.slack, "U7")
    text = blocks_text(view["blocks"])
    assert "14/1923" in text and "Offene Anfragen (2)" in text


def _paper(i: int, now: datetime) -> PaperRow:
    return PaperRow(
        id=f"https://ris.example/paper/{i}",
        source="rvr",
        reference=f"14/{i}",
        ref_norm=f"14/{i}",
        ref_compact=f"14{i}",
        name=f"{HOSTILE} {i}",
        paper_type="Anfrage",
        date=date(2024, 1, 1) + timedelta(days=i % 300),
        web=f"https://ris.example/vorgang/{i}",
        is_anfrage=True,
        announce_state="routed",
        first_seen_at=now,
        updated_at=now,
    )


def test_home_at_500_open_anfragen_stays_escaped_and_within_100_blocks(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate(engine)
        factory = session_factory(engine)
        with transaction(factory) as session:
            for i in range(1000, 1500):
                session.add(_paper(i, NOW))
            session.add(
                MeetingRow(
                    id="https://ris.example/meeting/1",
                    source="rvr",
                    name=f"Ausschuss {HOSTILE}",
                    start=NOW + timedelta(days=3),
                    organization_ids=[],
                )
            )
        with transaction(factory) as session:
            for i in range(1000, 1500):
                pid = f"https://ris.example/paper/{i}"
                enqueue(
                    session,
                    kind="announce",
                    channel="C1",
                    key=pid,
                    now=NOW,
                    paper_id=pid,
                    already_told=True,
                )
            for i in range(1000, 1100):
                add_follow(session, "U7", f"https://ris.example/paper/{i}", now=NOW)
            for n in range(120):
                add_subscription(
                    session,
                    f"C{n}",
                    [{"field": "text", "value": HOSTILE, "negate": False}],
                    created_by="U1",
                    now=NOW,
                )
        with factory() as session:
            data = load_home(session, "U7", now=NOW, tz=TZ, default_channel="C1")
        assert data.open_total == 500
        view = home_view(data, now=NOW, tz=TZ)
        blocks = view["blocks"]
        assert len(blocks) <= MAX_VIEW_BLOCKS
        text = blocks_text(blocks)
        assert "Offene Anfragen (500)" in text
        assert "… und 460 weitere" in text  # 40 shown
        assert "… und 70 weitere" in text  # follows: 30 of 100 shown
        assert "… und 90 weitere" in text  # abos: 30 of 120 shown
        assert "<!channel>" not in text and "&lt;!channel&gt;" in text
        assert "<https://evil.example" not in text
        assert "\u202e" not in text
        assert all(len(b["text"]["text"]) <= 3000 for b in blocks if "text" in b)
        # Oldest first: the first open line is one of the earliest dated papers.
        first = next(line for line in text.splitlines() if line.startswith("*14/"))
        assert "01.01.2024" in first
    finally:
        engine.dispose()
