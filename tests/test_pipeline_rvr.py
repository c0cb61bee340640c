"""The walking skeleton end to end: RVR-like feed → store → fake Slack, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from bot.demo.server import FeedServer
from jobs.poll import poll_once
from tests.fake_slack import FakeSlack
from tests.helpers import at, make_config, make_runtime
from tests.rvr_feed import standard_rvr

NOW = "2025-01-10T09:00:00+01:00"


def _blocks_text(post: dict) -> str:
    parts = []
    for b in post["blocks"]:
        if "text" in b:
            parts.append(b["text"]["text"])
        parts += [f["text"] for f in b.get("fields", [])]
        parts += [e.get("text", "") for e in b.get("elements", [])]
    return "\n".join(parts)


def test_announces_each_anfrage_once_with_all_fields(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    rvr = standard_rvr(feed.base_url, date(2025, 1, 10))
    feed.routes.update(rvr.routes())
    rt = make_runtime(make_config(db_url, rvr.system_url, slack_url=slack.base_url))
    try:
        report = poll_once(rt, at(NOW))
        assert report.sources[0].ok, report.sources[0].error
        posts = slack.announcements()
        # 14/1923 is recent; 14/1800 is older than 14 days on the first sync;
        # the rest are no Anfragen.
        assert len(posts) == 1
        everything = len(slack.posts())
        post = posts[0]
        assert post["channel"] == "C0123456789"
        assert "14/1923" in post["text"] and "Zusammenarbeit" in post["text"]
        body = _blocks_text(post)
        for expected in (
            "Neue Anfrage 14/1923",
            "Zusammenarbeit der Kommunalen Integrationszentren im Ruhrgebiet",
            "Fraktion Die Linke",
            "06.01.2025",
            "Ausschuss für Kultur, Sport und Vielfalt",
            "06.02.2025",
            "TOP 12",
            "Welche Zusammenarbeit und welchen Erfahrungsaustausch",
            "Ist der RVR hieran beteiligt?",
            "Stärkung der interkulturellen Kompetenzen der Verwaltungen",
            f"{feed.base_url}/vorgang/1923",
            f"{feed.base_url}/files/1923.pdf",
        ):
            assert expected in body, expected
        assert post["metadata"]["event_payload"]["key"].startswith("announce:")

        # A second run posts nothing.
        poll_once(rt, at("2025-01-10T09:15:00+01:00"))
        assert len(slack.posts()) == everything

        # A paper added afterwards is announced on the next poll, even an old-dated one.
        rvr.add_paper(
            1950,
            "14/1950",
            "Anfrage zu Radwegen am Emscher-Radweg",
            "Anfrage",
            "2024-12-01",
            text="Anfrage der SPD-Fraktion\n\n1. Wann wird der Radweg saniert?\n",
        )
        rvr.add_paper(
            1951,
            "14/1951",
            "Beantwortung der Anfrage 14/1923",
            "Beantwortung einer Anfrage",
            "2025-01-11",
        )
        feed.routes.update(rvr.routes())
        poll_once(rt, at("2025-01-10T09:30:00+01:00"))
        posts = slack.announcements()
        assert [p["text"].split(" ")[2] for p in posts] == ["14/1923", "14/1950"]
        assert "SPD-Fraktion" in _blocks_text(posts[1])
    finally:
        rt.close()


def test_a_restarted_bot_posts_nothing_again(
    sqlite_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    rvr = standard_rvr(feed.base_url, date(2025, 1, 10))
    feed.routes.update(rvr.routes())
    config = make_config(sqlite_url, rvr.system_url, slack_url=slack.base_url)
    for minute in ("00", "15"):
        rt = make_runtime(config)  # a new process each time: only the database is shared
        poll_once(rt, at(f"2025-01-10T09:{minute}:00+01:00"))
        rt.close()
    assert len(slack.announcements()) == 1


def test_escapes_council_text(sqlite_url: str, feed: FeedServer, slack: FakeSlack) -> None:
    rvr = standard_rvr(feed.base_url, date(2025, 1, 10))
    rvr.add_paper(
        1960,
        "14/1960",
        "Anfrage <!channel> & <https://evil.example|Klick> <@U123>",
        "Fraktionsanfrage",
        "2025-01-09",
        text="Fraktionsanfrage Fraktion Die Linke\n\n1. Ist <!here> gefährlich & teuer?\n",
    )
    feed.routes.update(rvr.routes())
    rt = make_runtime(make_config(sqlite_url, rvr.system_url, slack_url=slack.base_url))
    try:
        poll_once(rt, at(NOW))
    finally:
        rt.close()
    post = next(p for p in slack.posts() if "14/1960" in p["text"])
    everything = post["text"] + _blocks_text(post)
    for raw in ("<!channel>", "<!here>", "<@U123>", "<https://evil.example|Klick>"):
        assert raw not in everything
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|Klick&gt;" in everything
