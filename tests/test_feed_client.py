"""The OParl client against a real local server that misbehaves like real council servers."""

from __future__ import annotations

import json

import httpx
import pytest

from bot.demo.server import FeedReply as Reply
from bot.demo.server import FeedServer
from bot.errors import FeedError
from bot.feed.client import OParlClient, format_since
from bot.feed.parse import parse_meeting, parse_paper
from tests.helpers import at


def client(**kw: object) -> OParlClient:
    http = httpx.Client(timeout=httpx.Timeout(2.0), trust_env=False)
    return OParlClient(http, requests_per_second=0, backoff_seconds=0.01, **kw)  # type: ignore[arg-type]


def page(ids: list[str], next_url: str | None = None) -> bytes:
    links = {"next": next_url} if next_url else {}
    return json.dumps({"data": [{"id": i, "type": "x"} for i in ids], "links": links}).encode()


def test_retries_5xx_then_succeeds(feed: FeedServer) -> None:
    failures = iter([Reply(status=500), Reply(status=503)])
    feed.hook = lambda path: next(failures, None)
    feed.routes["/obj"] = b'{"id": "a", "type": "t"}'
    c = client()
    assert c.get_object(f"{feed.base_url}/obj")["id"] == "a"
    assert c.requests == 3


def test_gives_up_after_bounded_retries(feed: FeedServer) -> None:
    feed.hook = lambda path: Reply(status=500)
    with pytest.raises(FeedError, match="HTTP 500 after 4 attempts"):
        client().get_object(f"{feed.base_url}/obj")
    assert len(feed.requests) == 4


def test_timeout_is_a_feed_error(feed: FeedServer) -> None:
    feed.hook = lambda path: Reply(body=b"{}", delay=1.5)
    c = OParlClient(
        httpx.Client(timeout=0.3, trust_env=False),
        requests_per_second=0,
        max_retries=1,
        backoff_seconds=0.01,
    )
    with pytest.raises(FeedError, match="ReadTimeout"):
        c.get_object(f"{feed.base_url}/slow")


def test_control_characters_in_json_are_tolerated(feed: FeedServer) -> None:
    feed.routes["/p"] = b'{"id": "p1", "type": "t", "name": "Zeile\x01eins\x0bzwei"}'
    assert "eins" in client().get_object(f"{feed.base_url}/p")["name"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html><body>Wartung</body></html>", "HTML instead of JSON"),
        (
            b'{"type": "https://schema.oparl.org/1.0/Error", "message": "OParl is not active."}',
            "OParl is not active",
        ),
        (b'{"data": [', "invalid JSON"),
    ],
)
def test_broken_answers_name_the_reason(feed: FeedServer, body: bytes, message: str) -> None:
    feed.routes["/x"] = body
    with pytest.raises(FeedError, match=message):
        client().get_object(f"{feed.base_url}/x")


def test_follows_next_and_stops_on_loops(feed: FeedServer) -> None:
    base = feed.base_url
    feed.routes["/l"] = page(["1", "2"], f"{base}/l?page=2")
    feed.routes["/l?page=2"] = page(["3"], f"{base}/l?page=3")
    feed.routes["/l?page=3"] = page(["4"], f"{base}/l?page=2")  # loops back
    ids = [i["id"] for p in client().pages(f"{base}/l") for i in p.items]
    assert ids == ["1", "2", "3", "4"]


def test_same_page_for_every_page_number_stops(feed: FeedServer) -> None:
    base = feed.base_url
    for k in range(1, 50):
        feed.routes[f"/l?page={k}"] = page(["a", "b"], f"{base}/l?page={k + 1}")
    pages = list(client().pages(f"{base}/l?page=1"))
    assert len(pages) == 1


def test_empty_filtered_list_404_is_empty(feed: FeedServer) -> None:
    feed.hook = lambda path: Reply(status=404)
    since = format_since(at("2024-05-01T10:00:00.123456+02:00"))
    assert since == "2024-05-01T08:00:00Z"
    assert list(client().pages(f"{feed.base_url}/l", {"modified_since": since})) == []
    assert feed.requests == ["/l?modified_since=2024-05-01T08:00:00Z"]


def test_unfiltered_404_is_an_error(feed: FeedServer) -> None:
    with pytest.raises(FeedError, match="HTTP 404"):
        list(client().pages(f"{feed.base_url}/missing"))


def test_rate_limit_spaces_requests() -> None:
    slept: list[float] = []
    ticks = iter([0.0, 0.0, 0.0])
    from bot.feed.client import Throttle

    t = Throttle(2.0, clock=lambda: next(ticks), sleep=slept.append)
    t.wait()
    t.wait()
    t.wait()
    assert slept == [0.5, 1.0]


def test_vendor_quirks_in_objects() -> None:
    paper = parse_paper(
        {
            "id": "p",
            "name": "N/A",
            "reference": " ",
            "paperType": "Anfrage",
            "auxiliaryFile": {"id": "f", "accessUrl": "http://x/f.pdf"},  # object instead of list
            "consultation": [{"meeting": "m", "organization": "o"}],  # no role (SD.NET)
            "date": "2025-01-06",
        }
    )
    assert paper.name is None and paper.reference is None
    allris = parse_paper(
        {
            "id": "p2",
            "deleted": "N/A",
            "mainFile": "N/A",
            "auxiliaryFile": ["N/A", " "],
            "consultation": "N/A",
            "originatorOrganization": ["N/A", "o1"],
            "body": " ",
        }
    )
    assert allris.deleted is False and allris.main_file is None and allris.auxiliary_files == ()
    assert allris.consultations == () and allris.originator_organization_ids == ("o1",)
    assert allris.body_id is None
    assert [f.id for f in paper.auxiliary_files] == ["f"]
    assert paper.consultations[0].role is None and paper.consultations[0].organization_ids == ("o",)
    meeting = parse_meeting(
        {"id": "m", "start": "2026-09-23T19:00:00+02:00", "end": "2026-09-23T00:00:00+02:00"}
    )
    assert meeting.end is None  # end before start means unknown
    assert meeting.start == at("2026-09-23T17:00:00+00:00")


@pytest.mark.parametrize(
    "fault",
    [
        Reply(
            body=b'{"type": "https://schema.oparl.org/1.0/Error", "message": "Zeitueberschreitung"}'
        ),
        Reply(body=b'{"message": "Die Datenbankverbindung konnte nicht hergestellt werden"}'),
        Reply(body="Zeitüberschreitung bei der Abfrage".encode(), content_type="text/plain"),
        Reply(body=b"<html><h1>Wartungsarbeiten</h1></html>", content_type="text/html"),
        Reply(body=b'{"data": [{"id": "a"'),
        Reply(status=429, headers={"Retry-After": "0"}),
        Reply(reset=True),
    ],
    ids=["error-object", "message-only", "plain-text", "html", "truncated", "429", "reset"],
)
def test_transient_answers_are_retried_within_the_call(feed: FeedServer, fault: Reply) -> None:
    failures = iter([fault, fault])
    feed.hook = lambda path: next(failures, None)
    feed.routes["/obj"] = b'{"id": "a", "type": "t"}'
    c = client()
    assert c.get_object(f"{feed.base_url}/obj")["id"] == "a"
    assert c.requests == 3


def test_404_for_an_object_is_final(feed: FeedServer) -> None:
    c = client()
    assert c.get_object_or_none(f"{feed.base_url}/gone") is None
    with pytest.raises(FeedError) as caught:
        c.get_object(f"{feed.base_url}/gone")
    assert caught.value.permanent
    assert len(feed.requests) == 2  # no retries


def test_one_log_line_per_give_up(feed: FeedServer, caplog: pytest.LogCaptureFixture) -> None:
    feed.hook = lambda path: Reply(body=b"<html>Wartung</html>")
    with caplog.at_level("WARNING"), pytest.raises(FeedError, match="HTML instead of JSON"):
        client().get_object(f"{feed.base_url}/obj")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "giving up" in lines[0] and "HTML instead of JSON" in lines[0]


def test_json_nested_5000_deep_keeps_the_rest_of_the_page(feed: FeedServer) -> None:
    deep = "[" * 5000 + "1" + "]" * 5000
    feed.routes["/l"] = (
        '{"data": [{"id": "a", "keyword": ' + deep + '}, {"id": "b", "name": "ok"}], "links": {}}'
    ).encode()
    (p,) = list(client().pages(f"{feed.base_url}/l"))
    assert [i["id"] for i in p.items] == ["a", "b"]
    assert "nested deeper" in p.items[0]["__anfragebot_too_deep__"]
    assert "__anfragebot_too_deep__" not in p.items[1]


def test_a_bare_array_page_keeps_only_objects_with_an_id() -> None:
    # Some servers send a bare array as a list page; an object without an id is of no use
    # downstream (Page.ids() of a tail read must not fail on it).
    from bot.feed.client import parse_page

    page = parse_page([{"name": "x"}, {"id": "u1"}, "junk", {"id": 7}], "https://ris.example/p")
    assert page.ids() == ["u1"]
