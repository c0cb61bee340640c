"""Answer detection (all four rules) and what the channel sees when an answer is published."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.demo.server import FeedServer
from bot.store.schema import AnswerLink
from jobs.answers import FileFacts, PaperFacts, match_answers
from jobs.poll import poll_once
from tests.fake_slack import FakeSlack
from tests.helpers import at, make_config, make_runtime
from tests.lifecycle.scenario import FIRST_POLL, anfrage_text, build, parent_ts, replies, text_of


def test_published_answer_gives_one_reply_and_an_updated_parent(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    scenario = build(feed)
    rt = make_runtime(make_config(db_url, scenario.feed.system_url, slack_url=slack.base_url))
    try:
        poll_once(rt, at(FIRST_POLL))
        posts_before = len(slack.posts())
        scenario.feed.add_paper(
            1951,
            "14/1951",
            "Beantwortung der Anfrage 14/1923",
            "Beantwortung einer Anfrage",
            "2025-01-20",
        )
        scenario.publish()
        poll_once(rt, at("2025-01-21T09:00:00+01:00"))

        parent = parent_ts(rt, scenario.paper_id(1923))
        new = slack.posts()[posts_before:]
        assert len(new) == 1
        reply = new[0]
        assert reply["thread_ts"] == parent
        body = text_of(reply)
        assert "Beantwortet am 20.01.2025 (nach 14 Tagen)" in body
        assert f"<{feed.base_url}/vorgang/1951|Antwort 14/1951>" in body
        updates = [c.args for c in slack.calls_to("chat.update")]
        assert [u["ts"] for u in updates] == [parent]
        assert "beantwortet am 20.01.2025" in text_of(updates[0])
        assert slack.stored("C0123456789")[0]["ts"] == parent  # edited in place, not reposted

        poll_once(rt, at("2025-01-21T09:15:00+01:00"))
        assert len(slack.posts()) == posts_before + 1
        assert len(slack.calls_to("chat.update")) == 1
        assert len(replies(slack)) == 1
    finally:
        rt.close()


def test_every_answer_is_linked_to_its_anfrage_with_the_rule(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    scenario = build(feed)
    f = scenario.feed
    body = f.body

    def pid(num: int) -> str:
        return f"{body}/paper/{num}"

    # 1. related: the Anfrage names its answer as subordinated paper (an administration report).
    f.add_paper(
        2001,
        "14/2001",
        "Radwege im Emscherpark",
        "Fraktionsanfrage",
        "2025-01-06",
        text=anfrage_text("Wie viele?"),
        subordinatedPaper=[pid(2101)],
    )
    f.add_paper(2101, "14/2101", "Sachstand Radwege", "Mitteilungsvorlage", "2025-01-15")
    # 2. reference stem
    f.add_paper(
        2002,
        "14/2002",
        "Wasserqualität der Ruhr",
        "Fraktionsanfrage",
        "2025-01-06",
        text=anfrage_text("Wie sauber?"),
    )
    f.add_paper(
        2102, "14/2002-1", "Antwort der Verwaltung", "Beantwortung einer Anfrage", "2025-01-16"
    )
    # 3a. answer type, the title names the reference (printed with spaces)
    f.add_paper(
        2003,
        "14/2003",
        "Stand der Grünflächenpflege",
        "Fraktionsanfrage",
        "2025-01-06",
        text=anfrage_text("Wer mäht?"),
    )
    f.add_paper(
        2103,
        "14/2103",
        "Beantwortung der Anfrage 14 / 2003 (Fraktion Die Linke)",
        "Beantwortung einer Anfrage",
        "2025-01-17",
    )
    # 3b. answer type, the title names the subject
    f.add_paper(
        2004,
        "14/2004",
        "Förderprogramm für Stadtteilbibliotheken im Ruhrgebiet",
        "Fraktionsanfrage",
        "2025-01-06",
        text=anfrage_text("Wie viel Geld?"),
    )
    f.add_paper(
        2104,
        "14/2104",
        "Stellungnahme: „Förderprogramm für Stadtteilbibliotheken im Ruhrgebiet“",
        "Stellungnahme der Verwaltung",
        "2025-01-18",
    )
    # 4. a second file on the Anfrage's own paper
    f.add_paper(
        2005,
        "14/2005",
        "Barrierefreiheit von Haltestellen",
        "Fraktionsanfrage",
        "2025-01-06",
        text=anfrage_text("Wann?"),
        auxiliaryFile=[
            f.obj(
                "File",
                f"{body}/file/20051",
                name="Antwort der Verwaltung",
                accessUrl=f"{f.base}/files/2005-antwort.pdf",
            )
        ],
    )
    # Not answers: an unanswered Anfrage, a Beschlussvorlage naming it, an answer to "14/20".
    f.add_paper(
        2006,
        "14/2006",
        "Offene Frage",
        "Fraktionsanfrage",
        "2025-01-06",
        text=anfrage_text("Wer weiß?"),
    )
    f.add_paper(2106, "14/2106", "Maßnahmen zu 14/2006", "Beschlussvorlage", "2025-01-19")
    f.add_paper(
        2107,
        "14/2107",
        "Beantwortung der Anfrage 14/20",
        "Beantwortung einer Anfrage",
        "2025-01-19",
    )
    scenario.publish()
    rt = make_runtime(make_config(db_url, f.system_url, slack_url=slack.base_url))
    try:
        poll_once(rt, at("2025-01-20T09:00:00+01:00"))
        with rt.factory() as session:
            links = {
                row.anfrage_id: (row.answer_paper_id, row.answer_file_id, row.rule, row.answered_on)
                for row in session.scalars(select(AnswerLink))
            }
    finally:
        rt.close()
    assert links == {
        pid(2001): (pid(2101), None, "related", date(2025, 1, 15)),
        pid(2002): (pid(2102), None, "reference", date(2025, 1, 16)),
        pid(2003): (pid(2103), None, "title", date(2025, 1, 17)),
        pid(2004): (pid(2104), None, "title", date(2025, 1, 18)),
        pid(2005): (None, f"{body}/file/20051", "file", date(2025, 1, 20)),
        # from standard_rvr: "Beantwortung der Anfrage 14/1800" for an Anfrage never announced
        pid(1800): (pid(1930), None, "title", date(2025, 1, 8)),
    }
    # Announced with its answer already there: the reply with the link follows at once.
    answered = [p for p in replies(slack) if "Beantwortet am" in text_of(p)]
    assert len(answered) == 5
    assert any("2005-antwort.pdf" in text_of(p) for p in answered)


def _paper(
    pid: str,
    ref: str,
    name: str,
    *,
    anfrage: bool = False,
    answer: bool = False,
    day: date | None = None,
    related: tuple[str, ...] = (),
) -> PaperFacts:
    return PaperFacts(
        pid, "rvr", ref, name, None, day or date(2025, 1, 10), None, anfrage, answer, related
    )


def test_rules_apply_in_order_and_an_answer_is_used_once() -> None:
    a = _paper("a", "14/1", "Gleicher Titel für zwei Anfragen", anfrage=True, day=date(2025, 1, 1))
    b = _paper("b", "14/2", "Gleicher Titel für zwei Anfragen", anfrage=True, day=date(2025, 1, 5))
    c = _paper("c", "14/3", "Noch eine Anfrage zu etwas", anfrage=True, day=date(2025, 1, 5))
    # Points at `a` explicitly and names `b`'s subject: the relation wins, `b` stays open.
    ans = _paper(
        "x", "14/9", "Antwort: Gleicher Titel für zwei Anfragen", answer=True, related=("a",)
    )
    # A title naming an Anfrage is weak evidence: not for an answer dated before it.
    early = _paper("y", "14/77", "Beantwortung der Anfrage 14/3", answer=True, day=date(2025, 1, 1))
    files = {"c": [FileFacts("fc", "c", "main", "Anfrage", None, 0)]}
    links = match_answers([a, b, c], [ans, early], files, today=date(2025, 2, 1))
    assert [(link.anfrage_id, link.answer_paper_id, link.rule) for link in links] == [
        ("a", "x", "related")
    ]
    # Two Anfragen with the same subject: the answer goes to the latest one filed before it.
    ans2 = _paper("z", "14/10", "Beantwortung: Gleicher Titel für zwei Anfragen", answer=True)
    links = match_answers([a, b], [ans2], {}, today=date(2025, 2, 1))
    assert [(link.anfrage_id, link.rule) for link in links] == [("b", "title")]
