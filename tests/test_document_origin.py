"""Documents are fetched only from the council (issue 10, item 7): the source's own origin and
the hosts listed in `document_hosts`, over http(s), public addresses only, every redirect hop
checked. A refused document is recorded with its reason, shown by `status`, and the Anfrage is
still announced with what the feed says."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from bot.config import config_from_dict
from bot.demo.server import FeedReply as Reply
from bot.demo.server import FeedServer
from bot.document.download import (
    DocumentFetchError,
    HostRule,
    check_url,
    download,
    make_policy,
)
from bot.document.limits import DocumentLimits
from bot.errors import ConfigError
from bot.store.schema import DocumentRow
from jobs.poll import poll_once
from tests.document_servers import (
    CHANNEL,
    T0,
    TODAY,
    add_anfrage,
    anfrage_text,
    announced_ids,
    make_rt,
    post_text,
    status_text,
    text_pdf,
)
from tests.fake_slack import FakeSlack
from tests.rvr_feed import RvrFeed

QUESTIONS = [
    "Fraktionsanfrage Fraktion Die Linke",
    "",
    "1. Wie viele Schulen im Ruhrgebiet haben eine Photovoltaikanlage auf dem Dach?",
    "2. Welche Schulen sollen bis zum Jahr 2027 eine solche Anlage erhalten?",
    "3. Wie hoch sind die Kosten je Anlage und wer traegt sie?",
    "4. Welche Foerdermittel des Landes werden dafuer eingesetzt und in welcher Hoehe?",
]


@pytest.fixture
def other() -> Iterator[FeedServer]:
    """Another server on this machine: an internal service the council must not reach."""
    with FeedServer() as server:
        server.routes["/files/secret.pdf"] = text_pdf(["Geheim: interne Daten"] + QUESTIONS)
        yield server


def _port(server: FeedServer) -> int:
    return int(server.httpd.server_address[1])


def _doc(rt_factory: object, paper_id: str) -> DocumentRow:
    with rt_factory() as s:  # type: ignore[operator]
        return s.scalars(select(DocumentRow).where(DocumentRow.paper_id == paper_id)).one()


def test_documents_outside_the_council_are_not_fetched(
    db_url: str, feed: FeedServer, other: FeedServer, slack: FakeSlack
) -> None:
    rvr = RvrFeed(base=feed.base_url, today=TODAY)
    port = add_anfrage(rvr, 3001, accessUrl=f"{other.base_url}/files/secret.pdf")
    host = add_anfrage(rvr, 3002, accessUrl=f"http://localhost:{_port(feed)}/files/3002.pdf")
    local_file = add_anfrage(rvr, 3003, accessUrl="file:///etc/passwd")
    redirect = add_anfrage(rvr, 3004, accessUrl=f"{feed.base_url}/files/3004.pdf")
    same_origin = add_anfrage(rvr, 3005, accessUrl=f"{feed.base_url}/files/3005.pdf")
    plain = add_anfrage(rvr, 3006, text=anfrage_text(6))
    feed.routes.update(rvr.routes())
    feed.routes["/files/3002.pdf"] = text_pdf(QUESTIONS)
    feed.routes["/files/3005-real.pdf"] = text_pdf(QUESTIONS)
    hops = {
        "/files/3004.pdf": f"{other.base_url}/files/secret.pdf",  # off the council's server
        "/files/3005.pdf": "/files/3005-real.pdf",  # same origin: followed
    }
    feed.hook = lambda path: (
        Reply(status=302, headers={"Location": hops[path]}) if path in hops else None
    )
    rt = make_rt(db_url, rvr.system_url, slack.base_url)
    try:
        report = poll_once(rt, T0)
        assert report.sources[0].ok, report.sources[0].error
        status = status_text(rt)
        docs = {pid: _doc(rt.factory, pid) for pid in (port, host, local_file, redirect)}
        followed = _doc(rt.factory, same_origin)
    finally:
        rt.close()

    assert other.requests == []  # the internal service never saw a request
    assert "/files/3002.pdf" not in feed.requests
    assert "/files/3004.pdf" in feed.requests  # the hop on the council's server was asked
    for pid, doc in docs.items():
        assert doc.problem == "refused", (pid, doc.error)
        assert doc.error and doc.error.startswith("Abruf verweigert"), doc.error
        assert doc.next_attempt_at is not None  # tried again later (config may change)
    assert f"127.0.0.1:{_port(other)}" in (docs[port].error or "")
    assert f"localhost:{_port(feed)}" in (docs[host].error or "")
    assert "nur http(s)" in (docs[local_file].error or "")
    assert f"127.0.0.1:{_port(other)}" in (docs[redirect].error or "")
    assert followed.status == "ok" and followed.problem is None

    # `status` names each refused document with its reason.
    assert "Dokumente in Quarantäne: 4" in status
    for pid in (port, host, local_file, redirect):
        assert f"14/{pid.rsplit('/', 1)[1]} (verweigert" in status
    assert "nur http(s)-Adressen" in status and "file:///etc/passwd" in status

    # Every Anfrage is announced in this one poll; the refused ones with the feed's data,
    # and nothing from the internal service reached Slack.
    posts = slack.announcements(CHANNEL)
    assert sorted(announced_ids(posts)) == sorted(
        [port, host, local_file, redirect, same_origin, plain]
    )
    texts = {pid: post_text(p) for pid, p in zip(announced_ids(posts), posts, strict=True)}
    assert all("Geheim" not in t for t in texts.values())
    assert "Anfrage 3001" in texts[port]
    assert "Photovoltaikanlage" in texts[same_origin]  # the same-origin redirect was read
    assert "Photovoltaikanlage" not in texts[host]


def test_a_listed_document_host_is_fetched(
    sqlite_url: str, feed: FeedServer, other: FeedServer, slack: FakeSlack
) -> None:
    rvr = RvrFeed(base=feed.base_url, today=TODAY)
    listed = add_anfrage(rvr, 3101, accessUrl=f"{other.base_url}/files/3101.pdf")
    feed.routes.update(rvr.routes())
    other.routes["/files/3101.pdf"] = text_pdf(QUESTIONS)
    rt = make_rt(
        sqlite_url, rvr.system_url, slack.base_url, document_hosts=(f"127.0.0.1:{_port(other)}",)
    )
    try:
        poll_once(rt, T0)
        doc = _doc(rt.factory, listed)
        status = status_text(rt)
    finally:
        rt.close()
    assert other.requests == ["/files/3101.pdf"]
    assert doc.status == "ok" and doc.problem is None
    assert "Quarantäne" not in status
    [post] = slack.announcements(CHANNEL)
    assert "Photovoltaikanlage" in post_text(post)


# -- the rules, with a resolver passed in (no DNS, no network) ------------------------------

PUBLIC = "93.184.216.34"
DNS = {
    "ris.example": [PUBLIC],
    "dokumente.example": ["10.1.2.3"],  # a listed host that resolves internally
    "cdn.example": [PUBLIC, "2606:2800:220:1::1"],
    "rebind.example": [PUBLIC, "127.0.0.1"],
    "mapped.example": ["::ffff:127.0.0.1"],
}


def resolve(host: str, port: int) -> list[str]:
    if host in DNS:
        return DNS[host]
    if host.replace(".", "").isdigit():
        return [host]
    raise OSError("unknown host")


def refused(url: str, policy: object) -> str:
    with pytest.raises(DocumentFetchError) as info:
        check_url(url, policy, resolve)  # type: ignore[arg-type]
    assert info.value.refused
    return info.value.reason


def test_public_source_rules() -> None:
    hosts = ["dokumente.example", "cdn.example", "rebind.example", "mapped.example"]
    policy = make_policy("https://ris.example/oparl/system", hosts, resolve)
    assert not policy.private_ok
    assert check_url("https://ris.example/files/1.pdf", policy, resolve)
    assert check_url("HTTPS://RIS.EXAMPLE:443/files/1.pdf", policy, resolve)
    assert check_url("https://cdn.example/1.pdf", policy, resolve)  # listed, public
    assert check_url("http://cdn.example/1.pdf", policy, resolve)  # listed: http or https
    assert "nicht der Server" in refused("http://ris.example/files/1.pdf", policy)  # port 80
    assert "nicht der Server" in refused("https://ris.example:8443/1.pdf", policy)
    assert "nicht der Server" in refused("https://cdn.example:8443/1.pdf", policy)
    assert "nicht der Server" in refused("https://evil.example/1.pdf", policy)
    assert "nicht der Server" in refused("http://169.254.169.254/latest/meta-data", policy)
    assert "interne Adresse 10.1.2.3" in refused("https://dokumente.example/1.pdf", policy)
    assert "interne Adresse 127.0.0.1" in refused("https://rebind.example/1.pdf", policy)
    assert "interne Adresse ::ffff:127.0.0.1" in refused("https://mapped.example/1", policy)
    for url in ("file:///etc/passwd", "ftp://ris.example/1.pdf", "gopher://ris.example/"):
        assert "nur http(s)" in refused(url, policy)
    with pytest.raises(DocumentFetchError) as info:  # unknown name: not refused, retried later
        check_url(
            "https://ris.example/1.pdf",
            make_policy("https://ris.example/", [], resolve),
            lambda host, port: [],
        )
    assert not info.value.refused


def test_http_source_may_be_upgraded_to_https() -> None:
    policy = make_policy("http://ris.example/oparl/system", [], resolve)
    assert check_url("https://ris.example/1.pdf", policy, resolve)
    assert "nicht der Server" in refused("https://ris.example:8443/1.pdf", policy)


def test_private_source_allows_only_its_own_origin() -> None:
    policy = make_policy("http://127.0.0.1:8080/oparl/system", ["127.0.0.1:9000"], resolve)
    assert policy.private_ok
    assert check_url("http://127.0.0.1:8080/files/1.pdf", policy, resolve)
    assert check_url("http://127.0.0.1:9000/files/1.pdf", policy, resolve)  # listed
    assert "nicht der Server" in refused("http://127.0.0.1:8081/files/1.pdf", policy)
    assert "nicht der Server" in refused("http://10.0.0.1:8080/files/1.pdf", policy)
    assert "nicht der Server" in refused("https://127.0.0.1:8080/files/1.pdf", policy)


@pytest.mark.parametrize(
    ("entry", "rule"),
    [
        ("dokumente.example", HostRule("dokumente.example")),
        ("Dokumente.Example:8443", HostRule("dokumente.example", 8443)),
        ("https://dokumente.example", HostRule("dokumente.example")),
        ("https://dokumente.example:444/", HostRule("dokumente.example", 444)),
    ],
)
def test_document_hosts_entries(entry: str, rule: HostRule) -> None:
    assert HostRule.parse(entry) == rule


@pytest.mark.parametrize("bad", ["", "ftp://x.example", "x.example/pfad", 3, ["a"]])
def test_bad_document_hosts_name_the_key(bad: object) -> None:
    data = {
        "sources": [{"name": "rvr", "url": "https://ris.example/oparl", "document_hosts": [bad]}]
    }
    with pytest.raises(ConfigError, match=r"sources\[0\]\.document_hosts"):
        config_from_dict(data, {})


def test_document_hosts_are_read_from_the_config() -> None:
    data = {
        "sources": [
            {"name": "rvr", "url": "https://ris.example/oparl", "document_hosts": ["a.example"]}
        ]
    }
    assert config_from_dict(data, {}).sources[0].document_hosts == ("a.example",)
    without = {"sources": [{"name": "rvr", "url": "https://ris.example/oparl"}]}
    assert config_from_dict(without, {}).sources[0].document_hosts == ()


# -- download itself, against a local server --------------------------------------------------


def test_download_connects_to_the_address_it_checked(other: FeedServer) -> None:
    """The name below exists only in the resolver passed in (`.test` never resolves in DNS):
    the file arrives only because the download connects to the address it checked, not to a
    second DNS answer (which is how DNS rebinding would slip past the check)."""
    port = _port(other)
    other.routes["/files/pinned.pdf"] = b"%PDF-1.4 pinned"
    names = {"docs.anfragebot.test": ["127.0.0.1"], "127.0.0.1": ["127.0.0.1"]}
    policy = make_policy(
        f"http://127.0.0.1:{port}/oparl/system",
        [f"docs.anfragebot.test:{port}"],
        lambda host, _port: names[host],
    )
    with httpx.Client(timeout=5, trust_env=False) as http:
        body = download(
            http,
            f"http://docs.anfragebot.test:{port}/files/pinned.pdf",
            policy,
            DocumentLimits(),
            resolve=lambda host, _port: names[host],
        )
    assert body == b"%PDF-1.4 pinned"
    assert other.requests == ["/files/pinned.pdf"]


def test_redirect_loops_and_error_statuses_end_with_a_reason(other: FeedServer) -> None:
    other.hook = lambda path: (
        Reply(status=302, headers={"Location": "/loop"}) if path == "/loop" else None
    )
    policy = make_policy(f"{other.base_url}/oparl/system")
    limits = DocumentLimits(max_redirects=3)
    with httpx.Client(timeout=5, trust_env=False) as http:
        with pytest.raises(DocumentFetchError, match="mehr als 3 Weiterleitungen"):
            download(http, f"{other.base_url}/loop", policy, limits)
        with pytest.raises(DocumentFetchError, match="HTTP 404"):
            download(http, f"{other.base_url}/missing.pdf", policy, limits)
    assert other.requests.count("/loop") == 4  # the first request and three redirects
