"""Issue 10, feed side: new papers on lists without `links.last`, meetings compared by content,
consultations whose meeting id answers 404, hostile objects quarantined (SQLite and
PostgreSQL). The real pipeline against the local OParl server and the fake Slack server."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.demo.server import FeedServer
from bot.status import print_status
from bot.store.schema import FeedQuarantine, MeetingRow, PaperRow
from bot.store.search import search_documents
from jobs.poll import poll_once
from tests.fake_slack import FakeSlack
from tests.helpers import at, make_config, make_runtime
from tests.rvr_feed import RVR_TEXT, RvrFeed, standard_rvr

T0 = at("2025-01-10T09:00:00+01:00")
CHANNEL = "C0123456789"


def posted(slack: FakeSlack) -> list[str]:
    return [m["metadata"]["event_payload"]["key"] for m in slack.stored(CHANNEL)]


def blocks_text(post: dict[str, Any]) -> str:
    parts = [post.get("text", "")]
    for b in post.get("blocks", []):
        if "text" in b:
            parts.append(b["text"]["text"])
        parts += [f["text"] for f in b.get("fields", [])]
        parts += [e.get("text", "") for e in b.get("elements", [])]
    return "\n".join(parts)


def add_anfrage(feed: RvrFeed, num: int, **extra: Any) -> str:
    return feed.add_paper(
        num,
        f"14/{num}",
        f"Anfrage {num}",
        "Fraktionsanfrage",
        "2025-01-09",
        text=RVR_TEXT,
        **extra,
    )


# -- 3. oldest-first list without links.last -------------------------------------------------


class NoLastFeed(RvrFeed):
    """Oldest first, `next` only: no `links.last`, no `prev` (like some ALLRIS/SD.NET lists)."""

    def _list(self, path: str, items: list[dict[str, Any]]) -> dict[str, bytes]:
        out = {}
        for key, body in super()._list(path, items).items():
            page = json.loads(body)
            page["links"] = {k: v for k, v in page["links"].items() if k in ("next", "self")}
            out[key] = json.dumps(page).encode()
        return out


def test_new_paper_on_oldest_first_list_without_last_link_is_announced_next_poll(
    sqlite_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    rvr = NoLastFeed(base=feed.base_url, today=date(2025, 1, 10), page_size=3)
    org = rvr.add_org(10, "Verkehrsausschuss")
    rvr.add_meeting(501, org, "2025-02-06T15:00:00+01:00")
    for n in range(10):
        rvr.add_paper(100 + n, f"14/{100 + n}", f"Vorlage {n}", "Beschlussvorlage", "2024-12-01")
    feed.routes.update(rvr.routes())
    rt = make_runtime(make_config(sqlite_url, rvr.system_url, slack_url=slack.base_url))
    try:
        assert poll_once(rt, T0).sources[0].ok
        assert posted(slack) == []
        # One new Anfrage fills the last page, two more open a new page.
        new = [add_anfrage(rvr, 200), add_anfrage(rvr, 201)]
        feed.routes.update(rvr.routes())
        before = len(feed.requests)
        assert poll_once(rt, T0 + timedelta(minutes=15)).sources[0].ok
        paper_requests = [r for r in feed.requests[before:] if "/paper" in r]
        assert sorted(posted(slack)) == sorted(f"announce:{p}" for p in new)
        # From the page reached last time on, not the whole list (4 pages, then 5).
        assert len(paper_requests) <= 3, paper_requests
        new.append(add_anfrage(rvr, 202))
        feed.routes.update(rvr.routes())
        assert poll_once(rt, T0 + timedelta(minutes=30)).sources[0].ok
        assert sorted(posted(slack)) == sorted(f"announce:{p}" for p in new)
    finally:
        rt.close()


# -- 5. meetings compared by content ------------------------------------------------------------


def test_meeting_moved_and_cancelled_without_new_modified_is_noticed(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    rvr = standard_rvr(feed.base_url, date(2025, 1, 10))  # one `modified` for everything
    org = rvr.organizations[0]["id"]
    for n in range(5):  # 3 pages of meetings: the list is read from the end after the first poll
        rvr.add_meeting(600 + n, org, f"2025-03-{10 + n:02d}T15:00:00+01:00")
    feed.routes.update(rvr.routes())
    rt = make_runtime(make_config(db_url, rvr.system_url, slack_url=slack.base_url))
    anfrage = f"{rvr.body}/paper/1923"
    try:
        poll_once(rt, T0)
        assert posted(slack) == [f"announce:{anfrage}"]
        parent = slack.stored(CHANNEL)[0]["ts"]

        meeting = next(m for m in rvr.meetings if m["id"].endswith("/meeting/501"))
        middle = next(m for m in rvr.meetings if m["id"].endswith("/meeting/602"))  # page 2
        meeting["start"] = "2025-02-13T15:00:00+01:00"
        middle["cancelled"] = True
        feed.routes.update(rvr.routes())  # `modified` unchanged
        poll_once(rt, T0 + timedelta(minutes=15))
        with rt.factory() as s:
            moved = s.get(MeetingRow, meeting["id"])
            assert moved is not None and moved.start == at("2025-02-13T15:00:00+01:00")
            cancelled = s.get(MeetingRow, middle["id"])
            assert cancelled is not None and cancelled.cancelled
        notes = [p for p in slack.posts() if p.get("thread_ts") == parent]
        assert len(notes) == 1 and "13.02.2025" in blocks_text(notes[0])

        meeting["cancelled"] = True
        feed.routes.update(rvr.routes())
        poll_once(rt, T0 + timedelta(minutes=30))
        with rt.factory() as s:
            row = s.get(MeetingRow, meeting["id"])
            assert row is not None and row.cancelled
        notes = [p for p in slack.posts() if p.get("thread_ts") == parent]
        assert len(notes) == 2 and "abgesagt" in blocks_text(notes[1])
    finally:
        rt.close()


# -- 4. consultation meeting ids that answer 404 ----------------------------------------------


@pytest.mark.parametrize("link", ["agenda item in the list", "id prefix", "agenda item URL"])
def test_session_date_when_the_consultations_meeting_id_answers_404(
    link: str, sqlite_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    rvr = standard_rvr(feed.base_url, date(2025, 1, 10))
    paper = next(p for p in rvr.papers if p["id"].endswith("/paper/1923"))
    consultation = paper["consultation"][0]
    meeting = rvr.meetings[0]
    consultation.pop("organization")  # the committee must come from the meeting found
    consultation["meeting"] = f"{rvr.body}/meeting/ni_501"  # answers 404
    if link == "id prefix":
        consultation.pop("agendaItem")
    elif link == "agenda item URL":
        # The meeting list names its agenda item differently; the item's own URL knows the
        # meeting.
        meeting["agendaItem"][0]["id"] = f"{rvr.body}/agendaitem/other"
        consultation["meeting"] = f"{rvr.body}/meeting/x-17"
        item = rvr.obj("AgendaItem", consultation["agendaItem"], meeting=meeting["id"])
        feed.routes["/oparl/body/1/agendaitem/7001"] = json.dumps(item).encode()
    feed.routes.update(rvr.routes())
    rt = make_runtime(make_config(sqlite_url, rvr.system_url, slack_url=slack.base_url))
    try:
        poll_once(rt, T0)
    finally:
        rt.close()
    posts = [p for p in slack.announcements() if "14/1923" in p["text"]]
    assert len(posts) == 1
    body = blocks_text(posts[0])
    assert "Ausschuss für Kultur, Sport und Vielfalt" in body and "06.02.2025" in body, body


# -- 6. hostile objects -----------------------------------------------------------------------


def _hostile_feed(base: str) -> tuple[RvrFeed, set[str], dict[str, str]]:
    """Hostile papers first, ordinary Anfragen after them (oldest first)."""
    rvr = standard_rvr(base, date(2025, 1, 10))
    rvr.page_size = 4
    quarantined: dict[str, str] = {}
    pid = add_anfrage(rvr, 2001)
    rvr.papers[-1]["modified"] = "0001-01-01T00:00:00"
    quarantined[pid] = "date out of range"
    pid = add_anfrage(rvr, 2002)
    long_id = f"{rvr.body}/paper/{'9' * 2000}"
    rvr.papers[-1]["id"] = long_id
    quarantined[long_id[:200]] = "id longer than 1000"
    pid = add_anfrage(rvr, 2003)
    deep: Any = "x"
    for _ in range(5000):
        deep = [deep]
    rvr.papers[-1]["keyword"] = deep
    quarantined[pid] = "nested deeper"
    expected = {f"announce:{p['id']}" for p in rvr.papers if p["id"].endswith("/paper/1923")}
    pid = add_anfrage(rvr, 2004)
    rvr.papers[-1]["name"] = "Anfrage mit\u0000NUL"
    rvr.papers[-1]["mainFile"]["text"] = RVR_TEXT + "\u0000"
    expected.add(f"announce:{pid}")
    pid = add_anfrage(rvr, 2005)
    rvr.papers[-1]["reference"] = "14/" + "7" * 297
    expected.add(f"announce:{pid}")
    rvr.add_paper(2006, "14/2006", "Riesig " * 750_000, "Beschlussvorlage", "2025-01-09")
    for n in range(2010, 2014):
        expected.add(f"announce:{add_anfrage(rvr, n)}")
    return rvr, expected, quarantined


def _routes_with_deep_json(rvr: RvrFeed) -> dict[str, bytes]:
    """json.dumps itself cannot write 5,000 levels: splice the nesting in as text."""
    marker = "__DEEP__"
    for p in rvr.papers:
        if isinstance(p.get("keyword"), list):
            p["keyword"] = marker
    routes = rvr.routes()
    # Each paper also answers at its own URL (its id), as OParl servers do: retries read it.
    for p in rvr.papers:
        routes[p["id"].removeprefix(rvr.base)] = json.dumps(p).encode()
    deep = ("[" * 5000 + '"x"' + "]" * 5000).encode()
    return {k: v.replace(f'"{marker}"'.encode(), deep) for k, v in routes.items()}


def test_hostile_objects_are_quarantined_and_the_rest_is_announced(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    rvr, expected, quarantined = _hostile_feed(feed.base_url)
    feed.routes.update(_routes_with_deep_json(rvr))
    rt = make_runtime(make_config(db_url, rvr.system_url, slack_url=slack.base_url))
    try:
        report = poll_once(rt, T0)
        assert report.sources[0].ok, report.sources[0].error
        assert sorted(posted(slack)) == sorted(expected)  # all in the same poll
        with rt.factory() as s:
            rows = s.scalars(select(FeedQuarantine)).all()
            assert len(rows) == len(quarantined)
            for oid, reason in quarantined.items():
                row = next(r for r in rows if r.object_id.startswith(oid))
                assert reason in row.reason and row.kind == "paper"
                assert row.next_retry_at == T0 + timedelta(hours=1)
            nul = s.get(PaperRow, f"{rvr.body}/paper/2004")
            assert nul is not None and nul.name == "Anfrage mitNUL"
            ref = s.get(PaperRow, f"{rvr.body}/paper/2005")
            assert ref is not None and ref.reference == "14/" + "7" * 297 and ref.ref_norm is None
            huge = s.get(PaperRow, f"{rvr.body}/paper/2006")
            assert huge is not None and huge.name is not None and len(huge.name) > 5_000_000
            subject = s.scalar(
                select(search_documents.c.subject).where(search_documents.c.paper_id == huge.id)
            )
            assert subject is not None and len(subject) <= 2000  # indexed, capped
        out = io.StringIO()
        print_status(rt, T0, out)
        text = out.getvalue()
        assert "Quarantäne (3):" in text
        for reason in quarantined.values():
            assert reason in text, text

        # Retried after an hour: still broken → next retry 6 h later; nothing posted twice.
        report = poll_once(rt, T0 + timedelta(hours=1, minutes=1))
        assert report.sources[0].ok, report.sources[0].error
        with rt.factory() as s:
            attempts = sorted(r.attempts for r in s.scalars(select(FeedQuarantine)).all())
        assert attempts == [2, 2, 2]
        # The council fixes the date: the paper leaves the quarantine and is announced.
        fixed = next(p for p in rvr.papers if p["id"].endswith("/paper/2001"))
        fixed["modified"] = rvr.stamp()
        feed.routes.update(_routes_with_deep_json(rvr))
        poll_once(rt, T0 + timedelta(hours=8))
        assert f"announce:{fixed['id']}" in posted(slack)
        assert len(posted(slack)) == len(set(posted(slack)))
        with rt.factory() as s:
            assert len(s.scalars(select(FeedQuarantine)).all()) == 2
    finally:
        rt.close()


# -- 2. progress that survives; lists independent, papers first -------------------------------


def _small_rvr(base: str) -> RvrFeed:
    rvr = RvrFeed(base=base, today=date(2025, 1, 10), page_size=3)
    org = rvr.add_org(10, "Verkehrsausschuss")
    rvr.add_meeting(501, org, "2025-02-06T15:00:00+01:00")
    for n in range(10):  # 4 pages
        add_anfrage(rvr, 100 + n)
    return rvr


def _status(rt: Any) -> str:
    out = io.StringIO()
    print_status(rt, T0, out)
    return out.getvalue()


def test_saved_pages_stay_saved_and_the_next_poll_resumes(
    db_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    from bot.demo.server import FeedReply as Reply
    from bot.store.schema import ListState

    rvr = _small_rvr(feed.base_url)
    feed.routes.update(rvr.routes())
    broken = [True]
    feed.hook = lambda path: (
        Reply(status=502) if broken[0] and path.endswith("/paper?page=3") else None
    )
    rt = make_runtime(make_config(db_url, rvr.system_url, slack_url=slack.base_url))
    try:
        report = poll_once(rt, T0)
        assert not report.sources[0].ok and "page=3" in (report.sources[0].error or "")
        with rt.factory() as s:
            state = s.get(ListState, f"{rvr.body}/paper")
            assert state is not None and (state.resume_url or "").endswith("/paper?page=3")
            assert state.last_error and "HTTP 502" in state.last_error
            assert s.get(MeetingRow, f"{rvr.body}/meeting/501") is not None  # read anyway
        assert len(posted(slack)) == 6  # pages 1 and 2 were saved and announced
        text = _status(rt)
        assert "fortsetzen bei " + f"{rvr.base}/oparl/body/1/paper?page=3" in text, text
        assert "HTTP 502" in text

        broken[0] = False
        before = len(feed.requests)
        report = poll_once(rt, T0 + timedelta(minutes=15))
        assert report.sources[0].ok, report.sources[0].error
        paper_requests = [r for r in feed.requests[before:] if "/paper" in r]
        assert paper_requests[0] == "/oparl/body/1/paper?page=3"  # not from the start
        assert "/oparl/body/1/paper" not in paper_requests
        assert sorted(posted(slack)) == sorted(f"announce:{p['id']}" for p in rvr.papers)
        with rt.factory() as s:
            state = s.get(ListState, f"{rvr.body}/paper")
            assert state is not None and state.resume_url is None and state.last_error is None
            assert state.last_complete_at == T0 + timedelta(minutes=15)
        assert "fortsetzen bei" not in _status(rt)
    finally:
        rt.close()


def test_a_failing_meeting_list_never_keeps_papers_from_being_read(
    sqlite_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    from bot.demo.server import FeedReply as Reply

    rvr = _small_rvr(feed.base_url)
    feed.routes.update(rvr.routes())
    error = b'{"type": "https://schema.oparl.org/1.0/Error", "message": "Zeit\\u00fcberschreitung"}'
    feed.hook = lambda path: Reply(body=error) if "/meeting" in path else None
    rt = make_runtime(make_config(sqlite_url, rvr.system_url, slack_url=slack.base_url))
    try:
        report = poll_once(rt, T0)
        assert not report.sources[0].ok
        assert "meeting list" in (report.sources[0].error or "")
        assert "Zeitüberschreitung" in (report.sources[0].error or "")
    finally:
        rt.close()
    assert sorted(posted(slack)) == sorted(f"announce:{p['id']}" for p in rvr.papers)
    first_paper = next(i for i, r in enumerate(feed.requests) if "/paper" in r)
    first_meeting = next(i for i, r in enumerate(feed.requests) if "/meeting" in r)
    assert first_paper < first_meeting  # papers first
    # The error object was retried (transient), then left for the next poll.
    assert len([r for r in feed.requests if r == "/oparl/body/1/meeting"]) == 4


def test_lists_known_from_before_are_read_while_the_system_object_fails(
    sqlite_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    from bot.demo.server import FeedReply as Reply

    rvr = _small_rvr(feed.base_url)
    feed.routes.update(rvr.routes())
    rt = make_runtime(make_config(sqlite_url, rvr.system_url, slack_url=slack.base_url))
    try:
        assert poll_once(rt, T0).sources[0].ok
        new = add_anfrage(rvr, 300)
        feed.routes.update(rvr.routes())
        feed.hook = lambda path: Reply(status=503) if path == "/oparl/system" else None
        report = poll_once(rt, T0 + timedelta(minutes=15))
        assert not report.sources[0].ok and "HTTP 503" in (report.sources[0].error or "")
    finally:
        rt.close()
    assert f"announce:{new}" in posted(slack)
    assert len(posted(slack)) == len(set(posted(slack))) == 11


def test_session_date_found_through_the_committees_own_meeting_list(
    sqlite_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    """The meeting is neither under the consultation's id nor in the body's meeting list, but
    in the committee's `Organization.meeting` list, with an agenda item naming the
    consultation."""
    rvr = standard_rvr(feed.base_url, date(2025, 1, 10))
    paper = next(p for p in rvr.papers if p["id"].endswith("/paper/1923"))
    consultation = paper["consultation"][0]
    consultation.pop("agendaItem")
    consultation["meeting"] = f"{rvr.body}/meeting/zz-9"  # answers 404
    meeting = rvr.meetings.pop(0)
    meeting["agendaItem"][0]["consultation"] = consultation["id"]
    org = rvr.organizations[0]
    org_list = f"{rvr.body}/organization/10/meeting"
    feed.routes.update(rvr.routes())
    feed.routes["/oparl/body/1/organization/10"] = json.dumps({**org, "meeting": org_list}).encode()
    feed.routes["/oparl/body/1/organization/10/meeting"] = json.dumps(
        {"data": [meeting], "links": {}}
    ).encode()
    rt = make_runtime(make_config(sqlite_url, rvr.system_url, slack_url=slack.base_url))
    try:
        poll_once(rt, T0)
        with rt.factory() as s:
            assert s.get(MeetingRow, meeting["id"]) is not None
    finally:
        rt.close()
    posts = [p for p in slack.announcements() if "14/1923" in p["text"]]
    assert len(posts) == 1
    assert "06.02.2025" in blocks_text(posts[0]), blocks_text(posts[0])
