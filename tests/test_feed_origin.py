"""Every URL from a feed is untrusted: the OParl client reads only the origin of the source's
configured System URL and the hosts listed in `[[sources]] feed_hosts` (bot/netpolicy.py).
`links.next`, list URLs of the System and Body objects, object ids (meeting links) and every
redirect hop are checked before a request; a refused URL costs no request, is named in one
line (log, `status`), and the rest of the poll goes on.

Two real servers on 127.0.0.1 with different ports are two origins; the other one always
serves what it is asked, so a test that wrongly fetched from it would see data, not a 404."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.config import Config, SlackConfig, SourceConfig, config_from_dict
from bot.demo.server import FeedReply as Reply
from bot.demo.server import FeedServer
from bot.errors import ConfigError, FeedError
from bot.feed.client import FeedRefused, OParlClient
from bot.netpolicy import origin_policy
from bot.runtime import build_runtime
from bot.slack.notifier import SlackNotifier
from bot.store.schema import MeetingAlias, MeetingRow, PaperRow
from jobs.poll import poll_once
from tests.document_servers import CHANNEL, T0, TODAY, make_rt, status_text
from tests.fake_slack import FakeSlack
from tests.rvr_feed import RvrFeed, standard_rvr

PAPERS = "/oparl/body/1/paper"


@pytest.fixture
def other() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def _port(server: FeedServer) -> int:
    return int(server.httpd.server_address[1])


def _feed(base: str, papers: int = 6) -> RvrFeed:
    rvr = RvrFeed(base=base, today=TODAY, page_size=2)
    org = rvr.add_org(10, "Verkehrsausschuss")
    rvr.add_meeting(501, org, "2025-02-06T15:00:00+01:00")
    for n in range(1, papers + 1):
        rvr.add_paper(100 + n, f"14/{100 + n}", f"Vorlage {n}", "Beschlussvorlage", "2025-01-02")
    return rvr


def _paper_ids(rt_factory: Any) -> set[str]:
    with rt_factory() as s:
        return set(s.scalars(select(PaperRow.id)))


def _meeting_ids(rt_factory: Any) -> set[str]:
    with rt_factory() as s:
        return set(s.scalars(select(MeetingRow.id)))


def _next_elsewhere(feed: FeedServer, other: FeedServer, rvr: RvrFeed) -> str:
    """Page 1 of the paper list says `links.next` is on the other server, which serves the
    rest of the list (as the council's own server would)."""
    routes = rvr.routes()
    first = json.loads(routes[PAPERS])
    elsewhere = f"{other.base_url}{PAPERS}?page=2"
    first["links"]["next"] = elsewhere
    routes[PAPERS] = routes[f"{PAPERS}?page=1"] = json.dumps(first).encode()
    feed.routes.update(routes)
    other.routes.update(rvr.routes())
    return elsewhere


# None: the whole list is read in the poll's process; 1: from page 2 on in the page reader
# process (bot/feed/reader.py), whose client gets the same policy through its ClientSpec.
@pytest.mark.parametrize("reader_after", [None, 1])
def test_links_next_to_another_origin_is_not_fetched(
    db_url: str, feed: FeedServer, other: FeedServer, slack: FakeSlack, reader_after: int | None
) -> None:
    rvr = _feed(feed.base_url)
    elsewhere = _next_elsewhere(feed, other, rvr)
    rt = make_rt(db_url, rvr.system_url, slack.base_url)
    rt.reader_after_pages = reader_after
    try:
        report = poll_once(rt, T0)
        stored = _paper_ids(rt.factory)
        meetings = _meeting_ids(rt.factory)
        status = status_text(rt)
    finally:
        rt.close()

    assert other.requests == []  # not one request to the other origin
    [source] = report.sources
    assert not source.ok
    assert source.error is not None
    assert f"paper list {rvr.body}/paper" in source.error
    assert f"Abruf verweigert: {elsewhere}" in source.error
    assert "[[sources]] feed_hosts" in source.error
    # The papers of page 1 (read before the link) are stored, the rest are not.
    page_one = {p["id"] for p in rvr.papers[:2]}
    assert stored == page_one
    # The other lists of the source went on.
    assert meetings == {m["id"] for m in rvr.meetings}
    # `status` names the refused URL and how to allow it.
    assert "Abruf verweigert" in status and elsewhere in status and "feed_hosts" in status


def test_a_listed_feed_host_is_read(
    sqlite_url: str, feed: FeedServer, other: FeedServer, slack: FakeSlack
) -> None:
    rvr = _feed(feed.base_url)
    _next_elsewhere(feed, other, rvr)
    rt = make_rt(
        sqlite_url, rvr.system_url, slack.base_url, feed_hosts=(f"127.0.0.1:{_port(other)}",)
    )
    try:
        report = poll_once(rt, T0)
        stored = _paper_ids(rt.factory)
    finally:
        rt.close()
    assert report.sources[0].ok, report.sources[0].error
    assert f"{PAPERS}?page=2" in other.requests
    assert stored == {p["id"] for p in rvr.papers}


def test_a_redirect_to_another_origin_is_refused(
    db_url: str, feed: FeedServer, other: FeedServer, slack: FakeSlack
) -> None:
    rvr = _feed(feed.base_url)
    feed.routes.update(rvr.routes())
    other.routes.update(rvr.routes())
    hops = {
        # The meeting list moves to another server: refused, the hop is never asked.
        "/oparl/body/1/meeting": f"{other.base_url}/oparl/body/1/meeting",
        # A redirect on the council's own server is followed.
        PAPERS: f"{PAPERS}?page=1",
    }
    feed.hook = lambda path: (
        Reply(status=302, headers={"Location": hops[path]}) if path in hops else None
    )
    rt = make_rt(db_url, rvr.system_url, slack.base_url)
    try:
        report = poll_once(rt, T0)
        stored = _paper_ids(rt.factory)
        meetings = _meeting_ids(rt.factory)
    finally:
        rt.close()
    assert other.requests == []
    assert "/oparl/body/1/meeting" in feed.requests  # asked once, answered with the redirect
    assert feed.requests.count("/oparl/body/1/meeting") == 1  # permanent: no retries
    error = report.sources[0].error or ""
    assert f"meeting list {rvr.body}/meeting" in error
    assert f"Weiterleitung — Abruf verweigert: {other.base_url}/oparl/body/1/meeting" in error
    assert meetings == set()
    assert stored == {p["id"] for p in rvr.papers}  # the same-origin redirect was followed


def test_a_system_whose_body_list_points_elsewhere_fails_alone(
    sqlite_url: str, feed: FeedServer, other: FeedServer, slack: FakeSlack
) -> None:
    with FeedServer() as good_server:
        bad = _feed(feed.base_url)
        feed.routes.update(bad.routes())
        system = json.loads(feed.routes["/oparl/system"])
        system["body"] = f"{other.base_url}/oparl/body"
        feed.routes["/oparl/system"] = json.dumps(system).encode()
        other.routes.update(_feed(other.base_url).routes())
        good = standard_rvr(good_server.base_url, TODAY)
        good_server.routes.update(good.routes())
        config = Config(
            database_url=sqlite_url,
            sources=(
                SourceConfig(name="bad", url=bad.system_url, requests_per_second=0),
                SourceConfig(name="good", url=good.system_url, requests_per_second=0),
            ),
            slack=SlackConfig(channel=CHANNEL, api_url=slack.base_url, bot_token="xoxb-test"),
        )
        rt = build_runtime(
            config,
            notifier=SlackNotifier("xoxb-test", slack.base_url, timeout=5),
            http=httpx.Client(timeout=5, trust_env=False),
            pace_seconds=0,
            retry_backoff_seconds=0.01,
        )
        try:
            report = poll_once(rt, T0)
            stored = _paper_ids(rt.factory)
            status = status_text(rt)
        finally:
            rt.close()
    assert other.requests == []
    failed, fine = report.sources
    assert not failed.ok
    assert failed.error == (
        f"Abruf verweigert: {other.base_url}/oparl/body liegt nicht auf dem Server der Quelle "
        f"(http://127.0.0.1:{_port(feed)}); weitere Server: [[sources]] feed_hosts"
    )
    assert fine.ok, fine.error
    assert stored == {p["id"] for p in good.papers}
    assert slack.announcements(CHANNEL)  # the good source's new Anfrage went out
    assert f"bad: letzter Erfolg nie\n    letzter Fehler 10.01.2025 09:00: {failed.error}" in status


def test_a_meeting_link_elsewhere_does_not_stop_the_others(
    sqlite_url: str, feed: FeedServer, other: FeedServer, slack: FakeSlack
) -> None:
    """Consultations naming meetings that are not in the meeting list: the bot reads them one
    by one. One on another origin is skipped without a request; the next is still read."""
    rvr = _feed(feed.base_url, papers=2)
    org = rvr.organizations[0]["id"]
    hidden = f"{rvr.body}/meeting/777"  # on the council's server, not in its meeting list
    elsewhere = f"{other.base_url}/oparl/body/1/meeting/666"
    for paper, meeting in zip(rvr.papers, (elsewhere, hidden), strict=True):
        paper["consultation"] = [
            rvr.obj(
                "Consultation",
                f"{paper['id']}/consultation",
                meeting=meeting,
                organization=[org],
            )
        ]
    feed.routes.update(rvr.routes())
    lone = rvr.obj("Meeting", hidden, name="Sondersitzung", start="2025-02-20T10:00:00+01:00")
    feed.routes["/oparl/body/1/meeting/777"] = json.dumps(lone).encode()
    other.routes["/oparl/body/1/meeting/666"] = json.dumps(
        rvr.obj("Meeting", elsewhere, name="Fremd", start="2025-02-21T10:00:00+01:00")
    ).encode()
    rt = make_rt(sqlite_url, rvr.system_url, slack.base_url)
    try:
        report = poll_once(rt, T0)
        meetings = _meeting_ids(rt.factory)
        with rt.factory() as s:
            aliases = {a.alias_id: a.meeting_id for a in s.scalars(select(MeetingAlias))}
    finally:
        rt.close()
    assert report.sources[0].ok, report.sources[0].error
    assert other.requests == []
    assert "/oparl/body/1/meeting/777" in feed.requests
    assert hidden in meetings and elsewhere not in meetings
    assert aliases.get(elsewhere) is None  # not found: tried again later, still unasked


# -- the client and the configuration --------------------------------------------------------


def test_the_client_refuses_before_any_request(feed: FeedServer, other: FeedServer) -> None:
    other.routes["/x"] = b"{}"
    feed.routes["/x"] = b'{"id": "x"}'
    policy = origin_policy(f"{feed.base_url}/oparl/system")
    with httpx.Client(timeout=5, trust_env=False) as http:
        client = OParlClient(http, policy=policy, requests_per_second=0)
        assert client.get_object(f"{feed.base_url}/x") == {"id": "x"}
        for url in (
            f"{other.base_url}/x",
            "file:///etc/passwd",
            f"http://localhost:{_port(feed)}/x",
        ):
            with pytest.raises(FeedRefused) as refused:
                client.get_object(url)
            assert refused.value.permanent and refused.value.url == url
    assert other.requests == [] and feed.requests == ["/x"]
    assert client.requests == 1


def test_too_many_redirects_on_the_same_origin_end(feed: FeedServer) -> None:
    feed.hook = lambda path: Reply(status=302, headers={"Location": path + "x"})
    policy = origin_policy(f"{feed.base_url}/oparl/system")
    with httpx.Client(timeout=5, trust_env=False) as http:
        client = OParlClient(http, policy=policy, requests_per_second=0)
        with pytest.raises(FeedError, match="more than 5 redirects"):
            client.get_object(f"{feed.base_url}/a")
    assert len(feed.requests) == 6


def test_policy_rules() -> None:
    policy = origin_policy("http://ris.example/oparl/system", ["api.ris.example:8443"])
    assert policy.allows("http://ris.example/oparl/body")
    assert policy.allows("https://ris.example/oparl/body")  # the same host, upgraded
    assert policy.allows("https://API.ris.example:8443/p")
    assert not policy.allows("https://api.ris.example/p")  # only the listed port
    assert not policy.allows("http://ris.example:8080/p")
    assert not policy.allows("https://evil.example/p")
    assert not policy.allows("ftp://ris.example/p")
    strict = origin_policy("https://ris.example/oparl/system")
    assert not strict.allows("http://ris.example/oparl/body")  # no downgrade


def test_feed_hosts_are_read_from_the_config() -> None:
    data = {"sources": [{"name": "rvr", "url": "https://ris.example/oparl"}]}
    assert config_from_dict(data, {}).sources[0].feed_hosts == ()
    data["sources"][0]["feed_hosts"] = ["api.example", "https://files.example:444"]
    assert config_from_dict(data, {}).sources[0].feed_hosts == (
        "api.example",
        "https://files.example:444",
    )


@pytest.mark.parametrize("bad", ["", "ftp://x.example", "x.example/path", "x.example:abc", 7])
def test_bad_feed_hosts_name_the_key(bad: object) -> None:
    data = {"sources": [{"name": "rvr", "url": "https://ris.example/oparl", "feed_hosts": [bad]}]}
    with pytest.raises(ConfigError, match=r"^sources\[0\]\.feed_hosts: ") as e:
        config_from_dict(data, {})
    assert "\n" not in str(e.value)


def test_feed_hosts_must_be_a_list() -> None:
    data = {"sources": [{"name": "rvr", "url": "https://ris.example/oparl", "feed_hosts": "a"}]}
    with pytest.raises(ConfigError, match=r"sources\[0\]\.feed_hosts: expected a list"):
        config_from_dict(data, {})
