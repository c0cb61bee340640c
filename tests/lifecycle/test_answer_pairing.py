"""Issue 16 item 4 end to end: the answer PDF read through the document policy and sandbox,
paired question by question, shown in the answer's thread reply, the parent and the lookup."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.demo.server import FeedServer
from bot.runtime import Runtime
from bot.slack.commands import answer as command_answer
from bot.store.answer_pairing import pairing_of
from bot.store.db import transaction
from bot.store.schema import AnswerPairingRow, DocumentRow
from jobs.poll import poll_once
from tests.fake_slack import FakeSlack
from tests.helpers import at, make_config, make_runtime
from tests.lifecycle.answer_pdf import answer_pdf
from tests.lifecycle.scenario import (
    CHANNEL,
    FIRST_POLL,
    Scenario,
    build,
    parent_ts,
    replies,
    text_of,
)

TZ = ZoneInfo("Europe/Berlin")
ANSWER_DAY = "2025-01-20"
SECOND_POLL = "2025-01-21T09:00:00+01:00"


def _publish_answer(
    scenario: Scenario, *, pdf: bytes | None = None, url: str | None = None
) -> None:
    """The answer paper 14/1951 with its PDF as mainFile (served by the council's server)."""
    feed = scenario.feed
    feed.add_paper(
        1951,
        "14/1951",
        "Beantwortung der Anfrage 14/1923",
        "Beantwortung einer Anfrage",
        ANSWER_DAY,
    )
    if url is not None:
        scenario.paper(1951)["mainFile"]["accessUrl"] = url
    scenario.publish()
    scenario.server.routes["/files/1951.pdf"] = pdf if pdf is not None else answer_pdf()


def _lookup_text(rt: Runtime) -> str:
    with transaction(rt.factory) as session:
        reply = command_answer(
            session, "14/1923", CHANNEL, "U1", at(SECOND_POLL), TZ, default_channel=CHANNEL
        )
    # Only the text blocks: the detail view ends with a share button (elements are objects).
    texts = [b for b in reply.blocks if b.get("type") != "actions"]
    return text_of({"text": reply.text, "blocks": texts})


def _assert_excerpts(body: str) -> None:
    assert "*Frage 1:* Die Kommunalen Integrationszentren treffen sich viermal im Jahr" in body
    assert "*Frage 3:* nicht beantwortet" in body
    assert "*Frage 4:* Die Verwaltung plant Schulungen zur interkulturellen Kompetenz" in body
    # The council's text is shown as written and can neither ping nor format.
    assert "beteiligt &lt;!channel&gt; \u2217x\u2217 und berichtet" in body
    assert "<!channel>" not in body
    assert "*x*" not in body
    assert "Fachbereich Integration" in body


def _blocks_within_limits(message: dict[str, Any]) -> None:
    blocks = message.get("blocks") or []
    assert len(blocks) <= 50
    for b in blocks:
        if "text" in b:
            assert len(b["text"]["text"]) <= 3000


def test_answer_pdf_gives_one_reply_with_excerpts_and_the_lookup_shows_them(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    scenario = build(feed)
    rt = make_runtime(make_config(db_url, scenario.feed.system_url, slack_url=slack.base_url))
    try:
        poll_once(rt, at(FIRST_POLL))
        posts_before = len(slack.posts())
        _publish_answer(scenario)
        poll_once(rt, at(SECOND_POLL))

        parent = parent_ts(rt, scenario.paper_id(1923))
        new = slack.posts()[posts_before:]
        assert len(new) == 1
        reply = new[0]
        assert reply["thread_ts"] == parent
        body = text_of(reply)
        assert "Beantwortet am 20.01.2025 (nach 14 Tagen)" in body
        _assert_excerpts(body)
        assert "*Frage 2:*" in body
        _blocks_within_limits(reply)
        # The answer was read through the document machinery (a documents row) and stored.
        with rt.factory() as session:
            doc = session.get(DocumentRow, f"{scenario.body}/file/1951")
            assert doc is not None and doc.status == "ok" and doc.pages == 1
            pairing = pairing_of(session, scenario.paper_id(1923))
        assert pairing is not None and pairing.unanswered == ("3",)
        # The parent's status shows the same, updated in place once.
        updates = [c.args for c in slack.calls_to("chat.update")]
        assert [u["ts"] for u in updates] == [parent]
        _assert_excerpts(text_of(updates[0]))

        poll_once(rt, at("2025-01-21T09:15:00+01:00"))
        assert len(slack.posts()) == posts_before + 1
        assert len(slack.calls_to("chat.update")) == 1
        assert len(replies(slack)) == 1

        _assert_excerpts(_lookup_text(rt))
    finally:
        rt.close()


def test_unreadable_answer_replies_without_excerpts_and_a_later_read_updates_the_parent(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    """A broken PDF is quarantined: the reply goes out at once without excerpts; when the
    retry (1 h later) reads a repaired file, the parent is updated, and no second reply."""
    scenario = build(feed)
    rt = make_runtime(make_config(db_url, scenario.feed.system_url, slack_url=slack.base_url))
    try:
        poll_once(rt, at(FIRST_POLL))
        posts_before = len(slack.posts())
        _publish_answer(scenario, pdf=b"%PDF-1.4\nnot really a pdf\n%%EOF\n")
        poll_once(rt, at(SECOND_POLL))

        new = slack.posts()[posts_before:]
        assert len(new) == 1
        body = text_of(new[0])
        assert "Beantwortet am 20.01.2025" in body
        assert "Frage 1" not in body
        with rt.factory() as session:
            doc = session.get(DocumentRow, f"{scenario.body}/file/1951")
            assert doc is not None and doc.problem == "read" and doc.next_attempt_at is not None
            assert session.get(AnswerPairingRow, scenario.paper_id(1923)) is None
        updates_before = len(slack.calls_to("chat.update"))

        scenario.server.routes["/files/1951.pdf"] = answer_pdf()
        poll_once(rt, at("2025-01-21T10:30:00+01:00"))  # after the 1 h backoff

        assert len(slack.posts()) == posts_before + 1  # still one reply
        updates = [c.args for c in slack.calls_to("chat.update")][updates_before:]
        assert [u["ts"] for u in updates] == [parent_ts(rt, scenario.paper_id(1923))]
        _assert_excerpts(text_of(updates[0]))

        poll_once(rt, at("2025-01-21T10:45:00+01:00"))
        assert len(slack.posts()) == posts_before + 1
        assert len(slack.calls_to("chat.update")) == updates_before + 1
    finally:
        rt.close()


def test_answer_outside_the_councils_origin_is_refused_and_the_reply_still_goes_out(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    scenario = build(feed)
    rt = make_runtime(make_config(db_url, scenario.feed.system_url, slack_url=slack.base_url))
    try:
        poll_once(rt, at(FIRST_POLL))
        posts_before = len(slack.posts())
        _publish_answer(scenario, url="http://127.0.0.2:9/files/1951.pdf")
        poll_once(rt, at(SECOND_POLL))

        new = slack.posts()[posts_before:]
        assert len(new) == 1
        assert "Beantwortet am 20.01.2025" in text_of(new[0])
        assert "Frage 1" not in text_of(new[0])
        with rt.factory() as session:
            doc = session.get(DocumentRow, f"{scenario.body}/file/1951")
            assert doc is not None and doc.problem == "refused"
    finally:
        rt.close()


def test_answer_file_on_the_anfrages_own_paper_is_read_and_paired(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    """Somacos style: the answer is a later file on the Anfrage's own paper (rule "file")."""
    scenario = build(feed)
    rt = make_runtime(make_config(db_url, scenario.feed.system_url, slack_url=slack.base_url))
    try:
        poll_once(rt, at(FIRST_POLL))
        posts_before = len(slack.posts())
        body = scenario.body
        scenario.change(
            scenario.paper(1923),
            ANSWER_DAY,
            auxiliaryFile=[
                scenario.feed.obj(
                    "File",
                    f"{body}/file/19231",
                    name="Stellungnahme der Verwaltung",
                    mimeType="application/pdf",
                    accessUrl=f"{scenario.feed.base}/files/1923-antwort.pdf",
                )
            ],
        )
        scenario.server.routes["/files/1923-antwort.pdf"] = answer_pdf()
        poll_once(rt, at(SECOND_POLL))

        new = slack.posts()[posts_before:]
        assert len(new) == 1 and new[0]["thread_ts"] == parent_ts(rt, scenario.paper_id(1923))
        _assert_excerpts(text_of(new[0]))
        with rt.factory() as session:
            row = session.get(AnswerPairingRow, scenario.paper_id(1923))
            assert row is not None and row.file_id == f"{body}/file/19231"

        poll_once(rt, at("2025-01-21T09:15:00+01:00"))
        assert len(slack.posts()) == posts_before + 1
    finally:
        rt.close()
