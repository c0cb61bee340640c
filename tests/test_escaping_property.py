"""Property: no council text can trigger anything in Slack, whatever message carries it.

Hostile strings — Slack's control sequences (`<!channel>`, `<!here>`, `<@U…>`, `<#C…>`,
`<!subteam^…>`, `<!date^…>`, `<https://…|…>`), `&` and entities, formatting (`*fett*`,
`_kursiv_`, `~weg~`, backticks, a line starting with `>`), bare `@channel`, zero-width and bidi
control characters — go into EVERY field of every renderer, and the whole payload (`text`,
every mrkdwn and plain_text object, every other string) is walked and checked.

Renderers covered (every function that turns council text into a Slack payload):

Pure formatters, with hypothesis (many examples each):
  1. bot.slack.blocks.announcement            – announcements and parent updates (chat.update)
  2. bot.slack.commands.detail                – `/anfrage 14/1923`, with share button
  3. bot.slack.commands.detail(shared_by=…)   – the shared message ("Im Kanal teilen")
  4. bot.slack.lifecycle_blocks.reminder      – reminders before a session
  5. lifecycle_blocks.thread_reply + agenda_line (put on an agenda / moved)
  6. lifecycle_blocks.thread_reply + cancelled_line (cancelled / removed from the calendar)
  7. lifecycle_blocks.thread_reply + result_line
  8. lifecycle_blocks.thread_reply + answered_line
  9. lifecycle_blocks.digest                  – weekly digest of open Anfragen
 10. bot.slack.escape.link / user_mention     – the only producers of `<…>`

Through the real pipeline (hostile OParl feed → poll → store → outbox → fake Slack), with
hypothesis choosing the hostile strings (few examples: each runs the whole pipeline):
 11. bot.outbox.render.make_renderer → announcement, bot.outbox.threads.render_update (parent
     update), bot.outbox.threads.render_event (thread reply "Beraten"),
     bot.outbox.reminders.render_reminder, bot.outbox.digest.render_digest — every
     chat.postMessage / chat.update the fake Slack received;
 12. bot.slack.commands.answer for every verb: lookup (one hit, several, none with
     suggestions), suche, sitzungen (all / one committee), offen, abo (created / syntax
     error), abos, abo-ende, hilfe and unknown text — plus bot.slack.commands.share.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import DigestConfig
from bot.demo.server import FeedServer
from bot.domain import AnfrageView, SessionInfo
from bot.slack import lifecycle_blocks as lb
from bot.slack import texts
from bot.slack.blocks import announcement
from bot.slack.commands import answer, detail, share
from bot.slack.escape import link, mrkdwn, ours, plain_text, user_mention
from bot.store.db import make_engine, session_factory, transaction
from jobs.poll import poll_once
from jobs.remind import remind_once
from tests.fake_slack import FakeSlack
from tests.helpers import at, make_config, make_runtime
from tests.rvr_feed import standard_rvr

TZ = ZoneInfo("Europe/Berlin")
NOW = at("2025-01-10T09:00:00+01:00")
CHANNEL = "C0123456789"

CONTROL = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123ABC>",
    "<#C0123456|allgemein>",
    "<!subteam^S0123|@rat>",
    "<!date^1392734382^{date_pretty}|Feb 18>",
    "<https://evil.example|Klick>",
    "<mailto:a@evil.example|Post>",
    "&",
    "&amp;",
    "&lt;!channel&gt;",
    "Bürger & Rat",
]
FORMATTING = ["*fett*", "_kursiv_", "~weg~", "`code`", "```block```"]
QUOTE = ["> zitat", "\n> zitat", "\n  >zitat"]
BARE = ["@channel", "@here", "@everyone"]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u200e", "\u202e", "\u2066", "\u2069", "\ufeff", "\xad"]
FRAGMENTS = CONTROL + FORMATTING + QUOTE + BARE + INVISIBLE + ["Radweg", "Ausschuss", "14/1923"]

# Text a hostile council could send: fragments joined by spaces, random text in between.
hostile = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=30)), min_size=1, max_size=8
).map(" ".join)
hostile_or_none = st.one_of(st.none(), hostile)
urls = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "https://ris.example/vorgang/1",
            "http://ris.example/a?x=1&y=2",
            "HTTPS://ris.example/Upper",
            "https://ris.example/a|b<c>d e",
            "https://ris.example/<!channel>",
            "https://evil.example|Klick>",
            "https://ris.example/\u202edoc.pdf",
            "javascript:alert(1)",
            "ftp://ris.example/x",
            "https://",
            "//ris.example/x",
            "<https://evil.example|x>",
        ]
    ),
    hostile,
    hostile.map(lambda s: "https://ris.example/" + s),
)

# -- the checks -----------------------------------------------------------------------------

ALLOWED_LINK = re.compile(r"<(https?://[^\s<>|]+)\|([^<>]*)>")
ALLOWED_MENTION = re.compile(r"<@[UW][A-Z0-9]+>")
ENTITY = re.compile(r"&(amp|lt|gt);")
BARE_BROADCAST = re.compile(r"(?<![\w＠])@(channel|here|everyone)\b", re.IGNORECASE)
QUOTE_LINE = re.compile(r"(^|\n)[ \t]*&gt;")


# Strings Slack never shows: a button's value and action_id come back to us unchanged.
DATA_KEYS = {"value", "action_id"}


def walk(value: Any, path: str = "") -> Iterator[tuple[str, str, str]]:
    """(path, kind, string) for every string in a payload; kind: mrkdwn, plain_text, other."""
    if isinstance(value, dict):
        kind = value.get("type")
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                yield f"{path}.text", ("plain_text" if kind == "plain_text" else "mrkdwn"), item
            elif key not in DATA_KEYS:
                yield from walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from walk(item, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, "other", value


def invisible(text: str) -> list[str]:
    return [
        f"U+{ord(c):04X}" for c in text if c not in "\n\t" and unicodedata.category(c)[0] == "C"
    ]


def check_mrkdwn(where: str, text: str, users: frozenset[str]) -> None:
    rest = text
    for m in ALLOWED_LINK.finditer(text):
        url = m.group(1)
        assert not re.search(r"[\s|<>\"]", url), (where, url)
        assert re.match(r"(?i)https?://[^/?#\s]+", url), (where, url)
    rest = ALLOWED_LINK.sub("", rest)
    for m in ALLOWED_MENTION.finditer(rest):
        assert m.group(0)[2:-1] in users, (where, m.group(0))
    rest = ALLOWED_MENTION.sub("", rest)
    assert "<" not in rest and ">" not in rest, (where, text)
    assert "&" not in ENTITY.sub("", text), (where, text)
    # What a reader sees: link targets are not formatted, their labels are.
    shown = ALLOWED_LINK.sub(lambda m: m.group(2), text)
    for fragment in FORMATTING:
        assert fragment not in shown, (where, fragment, text)
    assert not BARE_BROADCAST.search(shown), (where, text)
    assert not QUOTE_LINE.search(shown), (where, text)


def check_plain(where: str, text: str) -> None:
    assert "<" not in text and ">" not in text, (where, text)
    assert not re.search(r"&#?\w+;", text), (where, text)


def check_payload(payload: Any, users: frozenset[str] = frozenset()) -> int:
    """Every string in `payload` is safe; returns how many texts were checked."""
    checked = 0
    for where, kind, text in walk(payload):
        assert not invisible(text), (where, invisible(text), text)
        if kind == "mrkdwn":
            check_mrkdwn(where, text, users)
        elif kind == "plain_text":
            check_plain(where, text)
        checked += kind != "other"
    return checked


def message(text: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"text": text, "blocks": blocks}


# -- 1–10: the pure formatters ----------------------------------------------------------------


sessions = st.builds(
    SessionInfo,
    committee=hostile_or_none,
    role=hostile_or_none,
    start=st.sampled_from([None, NOW + timedelta(days=3), NOW - timedelta(days=3)]),
    agenda_number=hostile_or_none,
    result=hostile_or_none,
    cancelled=st.booleans(),
    session_date=st.sampled_from([None, date(2025, 2, 6)]),
)
questions = st.tuples(hostile, hostile, st.lists(hostile, max_size=2).map(tuple))
views = st.builds(
    AnfrageView,
    paper_id=hostile,
    reference=hostile_or_none,
    subject=hostile_or_none,
    paper_type=hostile_or_none,
    date=st.sampled_from([None, date(2025, 1, 6)]),
    factions=st.lists(hostile, max_size=3).map(tuple),
    questions=st.one_of(
        st.lists(questions, max_size=3).map(tuple),
        questions.map(lambda q: (q,) * 17),  # more than shown: the "weitere Fragen" link
    ),
    sessions=st.lists(sessions, max_size=3).map(tuple),
    web=urls,
    document_url=urls,
    deleted=st.booleans(),
    answered_on=st.sampled_from([None, date(2025, 2, 1)]),
    answer_url=urls,
    document_note=hostile_or_none,
)


@settings(max_examples=300, deadline=None)
@given(view=views)
def test_announcement_and_parent_update(view: AnfrageView) -> None:
    text, blocks = announcement(view, now=NOW, tz=TZ)
    assert check_payload(message(text, blocks)) >= 3


@settings(max_examples=300, deadline=None)
@given(view=views, user=st.one_of(st.sampled_from(["U7", "W0ABC"]), hostile))
def test_lookup_detail_and_shared_message(view: AnfrageView, user: str) -> None:
    text, blocks = detail(view, NOW, TZ, share_button=True)
    check_payload(message(text, blocks))
    assert any(b["type"] == "actions" for b in blocks)
    text, blocks = detail(view, NOW, TZ, share_button=False, shared_by=user)
    check_payload(message(text, blocks), users=frozenset({"U7", "W0ABC"}))


entries = st.builds(
    lb.AgendaEntry,
    reference=hostile_or_none,
    subject=hostile_or_none,
    top=hostile_or_none,
    web=urls,
)


@settings(max_examples=300, deadline=None)
@given(
    committee=hostile_or_none,
    location=hostile_or_none,
    meeting_web=urls,
    items=st.lists(entries, min_size=1, max_size=5),
)
def test_reminder(
    committee: str | None, location: str | None, meeting_web: str | None, items: list[Any]
) -> None:
    text, blocks = lb.reminder(
        committee=committee,
        start=NOW + timedelta(days=2),
        location=location,
        meeting_web=meeting_web,
        entries=items,
        tz=TZ,
    )
    assert blocks[0]["type"] == "header"
    check_payload(message(text, blocks))


@settings(max_examples=300, deadline=None)
@given(
    reference=hostile_or_none,
    committee=hostile_or_none,
    top=hostile_or_none,
    result=hostile,
    url=urls,
    answer_ref=hostile_or_none,
    flag=st.booleans(),
)
def test_thread_replies(
    reference: str | None,
    committee: str | None,
    top: str | None,
    result: str,
    url: str | None,
    answer_ref: str | None,
    flag: bool,
) -> None:
    start = NOW + timedelta(days=5)
    lines = [
        lb.agenda_line(committee, start, top, TZ, moved=flag),
        lb.cancelled_line(committee, start if flag else None, TZ, deleted=flag),
        lb.result_line(committee, start, top, result, TZ),
        lb.answered_line(
            answered_on=date(2025, 2, 1), filed_on=date(2025, 1, 6), url=url, answer_ref=answer_ref
        ),
        ours(texts.EVENT_DELETED),
    ]
    for line in lines:
        text, blocks = lb.thread_reply(reference, line)
        check_payload(message(text, blocks))


digest_entries = st.builds(
    lb.DigestEntry,
    reference=hostile_or_none,
    subject=hostile_or_none,
    filed_on=st.sampled_from([None, date(2025, 1, 6)]),
    days_open=st.integers(0, 400),
    web=urls,
)


@settings(max_examples=200, deadline=None)
@given(week=hostile, items=st.lists(digest_entries, max_size=30))
def test_digest(week: str, items: list[Any]) -> None:
    text, blocks = lb.digest(week, items)
    check_payload(message(text, blocks))


@settings(max_examples=500, deadline=None)
@given(text=hostile, url=urls, user=st.one_of(st.none(), hostile))
def test_the_building_blocks(text: str, url: str | None, user: str | None) -> None:
    check_payload({"text": mrkdwn(text)})
    check_payload({"type": "plain_text", "text": plain_text(text)})
    check_payload({"text": link(url, mrkdwn(text))})
    check_payload({"text": user_mention(user)})


def test_ordinary_text_is_shown_unchanged() -> None:
    """The escaping changes nothing a council normally writes (gender star, snake case, & as
    an entity is what Slack shows as &)."""
    for text in (
        "Radweg entlang der Emscher: Planungsstand 2025",
        "Bürger*innen und Wähler*innen",
        "Sachstand Projekt Radweg_Nord (Teil 2/3)",
        "Fraktion Die Linke, Fraktion BÜNDNIS 90/DIE GRÜNEN",
        "Kosten von ca. 5.000 € – Frage 3a) bis c)?",
    ):
        assert mrkdwn(text) == text
        assert plain_text(text) == text
    assert mrkdwn("Verkehr & Mobilität") == "Verkehr &amp; Mobilität"
    assert plain_text("Verkehr & Mobilität") == "Verkehr & Mobilität"
    assert mrkdwn("*fett* _kursiv_ ~weg~ `code`") == "∗fett∗ ＿kursiv＿ ∼weg∼ ˋcodeˋ"
    assert mrkdwn("<!channel> @here") == "&lt;!channel&gt; ＠here"
    assert plain_text("<!channel> &lt;") == "‹!channel› ＆lt;"
    assert link("https://ris.example/a b|c", ours("x")) == "<https://ris.example/a%20b%7Cc|x>"
    assert link("javascript:alert(1)", ours("x")) == "x"
    assert user_mention("U7") == "<@U7>" and user_mention("<!here>") == "&lt;!here&gt;"


# -- 11–12: through the real pipeline and the store -------------------------------------------


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    names=st.lists(hostile, min_size=12, max_size=12),
    web=urls,
    # Without control characters: a file URL with one makes the document fetch raise
    # httpx.InvalidURL and ends the poll (jobs/documents.py, reported separately); the
    # escaping of such URLs is covered by the pure tests above.
    file_url=urls.filter(lambda u: u is None or not invisible(u)),
)
def test_every_message_and_command_reply_from_a_hostile_feed(
    names: list[str], web: str | None, file_url: str | None
) -> None:
    with tempfile.TemporaryDirectory() as tmp, FeedServer() as server:
        slack = FakeSlack()
        try:
            _pipeline(Path(tmp), server, slack, names, web, file_url)
        finally:
            slack.stop()


def _hostile_feed(server: FeedServer, names: list[str], web: str | None, file_url: str | None):  # type: ignore[no-untyped-def]
    feed = standard_rvr(server.base_url, date(2025, 1, 10))
    (committee, location, top, item, role, subject, ptype, ref, question, faction, meeting) = names[
        :11
    ]
    for org in feed.organizations:
        org["name"] = committee if org.get("organizationType") != "Fraktion" else faction
    kultur = feed.meetings[0]
    kultur["name"] = meeting
    kultur["location"]["description"] = location
    if web is not None:
        kultur["web"] = web
    agenda = kultur["agendaItem"][0]
    agenda.update(number=top, name=item)
    paper = next(p for p in feed.papers if p["id"].endswith("/paper/1923"))
    paper.update(name=subject, reference="14/1923 " + ref, paperType="Fraktionsanfrage " + ptype)
    if web is not None:
        paper["web"] = web
    paper["consultation"][0]["role"] = role
    paper["mainFile"]["name"] = names[11]
    paper["mainFile"]["text"] = (
        f"Fraktionsanfrage {faction}\n\n1. {question}\n2. {subject} ?\n   a) {item}\n"
    )
    older = next(p for p in feed.papers if p["id"].endswith("/paper/1800"))
    older.update(name=subject + " (alt)")
    if file_url is not None:
        older["mainFile"]["accessUrl"] = file_url
    server.routes.update(feed.routes())
    return feed, kultur, agenda


def _pipeline(
    tmp: Path,
    server: FeedServer,
    slack: FakeSlack,
    names: list[str],
    web: str | None,
    file_url: str | None,
) -> None:
    feed, kultur, agenda = _hostile_feed(server, names, web, file_url)
    db_url = f"sqlite:///{tmp / 'escape.db'}"
    config = make_config(db_url, feed.system_url, slack_url=slack.base_url, max_age=400)
    config = replace(config, digest=DigestConfig(enabled=True, weekday=1, hour=9))
    rt = make_runtime(config)
    try:
        poll_once(rt, NOW)  # announcements
        remind_once(rt, at("2025-01-13T09:05:00+01:00"))  # Monday: the digest
        remind_once(rt, at("2025-02-04T16:00:00+01:00"))  # two days before: the reminder
        agenda["result"] = names[4] + " " + names[6]
        # The server stamps the change with its own clock (the sync asks with modified_since).
        stamp = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
        kultur["modified"] = agenda["modified"] = stamp
        feed.meetings.remove(kultur)  # lists are sorted by `modified`, oldest first
        feed.meetings.append(kultur)
        server.routes.update(feed.routes())
        poll_once(rt, at("2025-02-07T09:00:00+01:00"))  # "Beraten": reply and parent update
    finally:
        rt.close()

    sent = [c.args for c in slack.calls if c.method in ("chat.postMessage", "chat.update")]
    kinds = {
        str(((p.get("metadata") or {}).get("event_payload") or {}).get("key", "")).split(":")[0]
        for p in sent
    }
    replies = [p for p in sent if p.get("thread_ts")]
    assert any("Beraten" in p.get("text", "") for p in replies), ("no result reply", kinds)
    assert any("Erinnerung" in p.get("text", "") for p in sent), ("no reminder", kinds)
    assert any("offene Anfrage" in p.get("text", "") for p in sent), ("no digest", kinds)
    assert slack.calls_to("chat.update"), "no parent update was rendered"
    for payload in sent:
        check_payload({"text": payload.get("text"), "blocks": payload.get("blocks")})

    engine = make_engine(db_url)
    try:
        factory = session_factory(engine)
        commands = [
            "14/1923",
            "1923",
            "14/19",  # several or a suggestion
            "14/9999",
            "suche Radweg",
            "suche " + names[5][:40],
            "sitzungen",
            "sitzungen " + names[0][:40],
            "offen",
            f'abo text:"{names[5][:40].replace(chr(34), "")}" gremium:Ausschuss',
            "abo " + names[1][:60],
            "abos",
            "abo-ende 99",
            "hilfe",
            names[2][:80],
        ]
        now = at("2025-02-07T10:00:00+01:00")
        for command in commands:
            with transaction(factory) as session:
                reply = answer(session, command, CHANNEL, "U1", now, TZ, default_channel=CHANNEL)
            check_payload(message(reply.text, reply.blocks), users=frozenset({"U1"}))
        with transaction(factory) as session:
            for user in ("U7", names[3]):
                reply = share(session, f"{feed.body}/paper/1923", user, now, TZ)
                check_payload(message(reply.text, reply.blocks), users=frozenset({"U7"}))
    finally:
        engine.dispose()
