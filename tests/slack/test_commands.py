"""`answer()` against a store filled by the real pipeline, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from bot.demo.server import FeedServer
from bot.slack.blocks import MAX_HEADER, MAX_SECTION
from bot.slack.commands import answer
from bot.store.db import make_engine, session_factory, transaction
from bot.store.schema import AnswerLink, PaperRow
from bot.store.search import reindex_papers, search
from jobs.poll import poll_once
from tests.fake_slack import FakeSlack
from tests.helpers import at, make_config, make_runtime
from tests.rvr_feed import RVR_TEXT, standard_rvr
from tests.slack.conftest import CHANNEL, TZ, Store, blocks_text


def test_lookup_in_every_printed_form(store: Store) -> None:
    for query in ("14/1923", "14 / 1923", "141923", "1923", "Drucksache 14/1923", "Drs. 14 / 1923"):
        reply = store.ask(query)
        assert reply.ephemeral
        assert reply.blocks[0]["text"]["text"] == "Drucksache 14/1923", query
        assert any(b["type"] == "actions" for b in reply.blocks), query
    text = blocks_text(store.ask("1923").blocks)
    assert "Fraktion Die Linke" in text and "TOP 12" in text and "eingereicht" not in text


def test_status_follows_the_clock_and_the_answer(store: Store) -> None:
    after = at("2025-03-01T09:00:00+01:00")
    text = blocks_text(store.ask("14/1923", now=after).blocks)
    assert "auf der Tagesordnung" not in text and "eingereicht" in text
    with transaction(store.factory) as session:
        paper = session.scalars(select(PaperRow).where(PaperRow.ref_norm == "14/1923")).one()
        session.add(
            AnswerLink(
                anfrage_id=paper.id,
                rule="test",
                answered_on=date(2025, 2, 20),
                url="https://example.org/antwort",
                linked_at=datetime.now(UTC),
            )
        )
    text = blocks_text(store.ask("14/1923", now=after).blocks)
    assert "beantwortet am 20.02.2025" in text and "https://example.org/antwort" in text
    # An answered Anfrage is no longer open.
    assert "14/1923" not in blocks_text(store.ask("offen").blocks)


def test_not_found_suggests_close_references(store: Store) -> None:
    reply = store.ask("14/1932")
    text = blocks_text(reply.blocks)
    assert reply.ephemeral and "Keine Drucksache `14/1932` gefunden" in text
    assert "14/1923" in text and "/anfrage suche" in text
    assert "Keine Drucksache" in blocks_text(store.ask("99/1").blocks)


def test_search_finds_subject_questions_and_document_text(store: Store) -> None:
    assert "14/1923" in blocks_text(store.ask("suche Integrationszentren").blocks)  # subject
    assert "14/1923" in blocks_text(
        store.ask("suche Sensibilisierung Mitarbeitenden").blocks
    )  # question
    assert "14/1950" in blocks_text(store.ask("suche Radwege").blocks)  # inflected
    assert "Nichts gefunden" in blocks_text(store.ask("suche Quantencomputer").blocks)
    assert "Wonach" in blocks_text(store.ask("suche").blocks)
    assert "Nichts gefunden" in blocks_text(store.ask('suche "*:( OR NOT -').blocks)


def test_search_newest_first_and_top_ten(store: Store) -> None:
    with transaction(store.factory) as session:
        for i in range(15):
            session.add(
                PaperRow(
                    id=f"x{i}",
                    source="rvr",
                    reference=f"14/30{i:02d}",
                    ref_norm=f"14/30{i:02d}",
                    name=f"Radverkehr Nummer {i}",
                    paper_type="Anfrage",
                    date=date(2024, 1, 1 + i),
                    first_seen_at=datetime.now(UTC),
                    updated_at=datetime.now(UTC),
                )
            )
        session.flush()
        reindex_papers(session, [f"x{i}" for i in range(15)])
        ids = search(session, "Radverkehr")
    assert ids == [f"x{i}" for i in range(14, 4, -1)]


def test_sessions_lists_upcoming_meetings_with_their_anfragen(store: Store) -> None:
    text = blocks_text(store.ask("sitzungen").blocks)
    assert "Do 06.02.2025 15:00 Uhr" in text and "Ausschuss für Kultur" in text
    assert "14/1923" in text and "TOP 12" in text
    assert "14/1923" in blocks_text(store.ask("sitzungen kultur").blocks)
    assert "Keine anstehenden Sitzungen für „Verkehr“" in blocks_text(
        store.ask("sitzungen Verkehr").blocks
    )
    later = at("2025-03-01T09:00:00+01:00")
    assert "Keine anstehenden Sitzungen" in blocks_text(store.ask("sitzungen", now=later).blocks)


def test_sessions_leave_out_allris_placeholder_meetings(store: Store) -> None:
    from bot.store.schema import MeetingRow

    with transaction(store.factory) as session:
        session.add(
            MeetingRow(
                id="placeholder",
                source="rvr",
                name="Sammeldatum Ausschuss für Kultur, Sport und Vielfalt",
                start=at("2025-12-31T00:00:00+01:00"),
                organization_ids=[],
            )
        )
    text = blocks_text(store.ask("sitzungen kultur").blocks)
    assert "06.02.2025" in text and "31.12.2025" not in text and "Sammeldatum" not in text


def test_open_lists_this_channels_unanswered_anfragen_oldest_first(store: Store) -> None:
    text = blocks_text(store.ask("offen").blocks)
    assert text.index("14/1923") < text.index("14/1950")
    assert "seit 4 Tagen" in text and "seit 1 Tag" in text
    assert "keine Anfragen offen" in blocks_text(store.ask("offen", channel="CELSE").blocks)


def test_subscriptions_lifecycle_and_routing(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    rvr = standard_rvr(feed.base_url, date(2025, 1, 10))
    feed.routes.update(rvr.routes())
    rt = make_runtime(make_config(db_url, rvr.system_url, slack_url=slack.base_url))
    engine = make_engine(db_url)
    factory = session_factory(engine)

    def ask(text: str, channel: str) -> str:
        with transaction(factory) as session:
            reply = answer(session, text, channel, "U1", at("2025-01-10T09:00:00+01:00"), TZ)
        return blocks_text(reply.blocks)

    try:
        poll_once(rt, at("2025-01-10T09:00:00+01:00"))
        assert "Abo 1 angelegt" in ask('abo text:Radweg !fraktion:"Die Linke"', "CRAD")
        assert "Abo 2 angelegt" in ask("abo gremium:Verkehrsausschuss", "CVERK")
        assert "Abo 3 angelegt" in ask("abo fraktion:linke", "CLINKE")
        assert "Abo 4 angelegt" in ask("abo fraktion:linke", "CGONE")
        assert "Abo 4 beendet" in ask("abo-ende 4", "CGONE")
        rvr.add_paper(
            1950,
            "14/1950",
            "Anfrage zu Radwegen am Emscher-Radweg",
            "Anfrage",
            "2025-01-09",
            text="Anfrage der SPD-Fraktion\n\n1. Wann wird der Radweg saniert?\n",
        )
        rvr.add_paper(
            1951,
            "14/1951",
            "Anfrage zum Radweg",
            "Fraktionsanfrage",
            "2025-01-09",
            text="Fraktionsanfrage Fraktion Die Linke\n\n1. Wo ist der Radweg?\n",
        )
        feed.routes.update(rvr.routes())
        poll_once(rt, at("2025-01-10T09:30:00+01:00"))
        refs = {
            c: [p["text"].split(" ")[2] for p in slack.posts(c)]
            for c in ("CRAD", "CVERK", "CLINKE", "CGONE")
        }
        assert refs == {"CRAD": ["14/1950"], "CVERK": [], "CLINKE": ["14/1951"], "CGONE": []}
        assert "14/1951" in [p["text"].split(" ")[2] for p in slack.posts(CHANNEL)]
    finally:
        rt.close()
        engine.dispose()


def test_escapes_council_text_and_respects_limits(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    many = "Fraktionsanfrage Fraktion Die Linke\n\n" + "".join(
        f"{i}. Ist <!channel> & <https://evil.example|hier> Frage {i} " + "lang " * 120 + "?\n"
        for i in range(1, 60)
    )
    rvr = standard_rvr(feed.base_url, date(2025, 1, 10))
    rvr.add_paper(
        1960,
        "14/1960",
        "Anfrage <!channel> & <@U123> " + "x" * 400,
        "Fraktionsanfrage",
        "2025-01-09",
        text=many,
    )
    feed.routes.update(rvr.routes())
    rt = make_runtime(make_config(db_url, rvr.system_url, slack_url=slack.base_url))
    engine = make_engine(db_url)
    try:
        poll_once(rt, at("2025-01-10T09:00:00+01:00"))
        with transaction(session_factory(engine)) as session:
            replies = [
                answer(session, q, CHANNEL, "U1", at("2025-01-10T09:00:00+01:00"), TZ)
                for q in ("14/1960", "suche channel", "offen", "sitzungen")
            ]
    finally:
        rt.close()
        engine.dispose()
    detail = replies[0]
    text = blocks_text(detail.blocks)
    assert "weitere Fragen" in text  # collapsed
    for reply in replies:
        everything = reply.text + blocks_text(reply.blocks)
        for raw in ("<!channel>", "<@U123>", "<https://evil.example|hier>"):
            assert raw not in everything
        assert len(reply.blocks) <= 50
        for b in reply.blocks:
            if b["type"] == "header":
                assert len(b["text"]["text"]) <= MAX_HEADER
            if b["type"] == "section" and "text" in b:
                assert len(b["text"]["text"]) <= MAX_SECTION
    assert "&lt;!channel&gt;" in blocks_text(detail.blocks)


def test_ambiguous_bare_number_lists_the_choices(store: Store) -> None:
    with transaction(store.factory) as session:
        session.add(
            PaperRow(
                id="other-source",
                source="kreis",
                reference="14/1923",
                ref_norm="14/1923",
                name="Andere Vorlage",
                paper_type="Vorlage",
                date=date(2025, 1, 2),
                first_seen_at=datetime.now(UTC),
                updated_at=datetime.now(UTC),
            )
        )
        session.flush()
        reindex_papers(session, ["other-source"])
    reply = store.ask("1923")
    text = blocks_text(reply.blocks)
    assert "mehrere Drucksachen" in text and "Andere Vorlage" in text and "Zusammenarbeit" in text
    assert RVR_TEXT  # the real document is what the store was filled with
