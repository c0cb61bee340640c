"""OParl HTTP client: polite (rate limit per source), patient (bounded retries) and suspicious
(overall deadline, size cap, pagination-loop guard, and no request to a URL outside the
source's origin: `links.next`, list URLs of the System and Body objects, object ids and every
redirect hop come from the feed and are checked against the source's `OriginPolicy`, see
bot/netpolicy.py). Returns raw JSON dicts to `jobs/sync.py`."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlencode, urljoin

import httpx

from bot.errors import FeedError
from bot.feed.parse import Rejected
from bot.feed.quirks import decode_json, raise_for_error_object
from bot.netpolicy import OriginPolicy, origin_of

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 50 * 1024 * 1024
MAX_PAGES = 20_000
MAX_RETRIES = 3
RETRY_STATUS = {429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 60.0
MAX_REDIRECTS = 5
REDIRECT_STATUS = {301, 302, 303, 307, 308}
# How much of a refused URL a message repeats (a hostile feed chooses its length).
_URL_SHOWN = 200


class FeedGaveUp(FeedError):
    """Retries used up for one URL. `bad_content`: the last answer arrived but could not be
    decoded (HTML, truncated or hostile JSON, an error object), not a network or HTTP fault."""

    def __init__(self, reason: str, *, url: str, bad_content: bool) -> None:
        super().__init__(reason)
        self.url = url
        self.bad_content = bad_content


class FeedRefused(FeedError):
    """A URL from the feed (or a redirect) outside the source's origin and `feed_hosts`: not
    requested. Permanent: asking again changes nothing until the operator allows the host.
    The message is shown in `status` (German, like the document refusals)."""

    def __init__(self, url: str, policy: OriginPolicy, *, via: str | None = None) -> None:
        shown = url[:_URL_SHOWN]
        if origin_of(url) is None:
            why = f"Abruf verweigert: {shown} ist keine http(s)-Adresse"
        else:
            why = (
                f"Abruf verweigert: {shown} liegt nicht auf dem Server der Quelle "
                f"({policy.describe()}); weitere Server: [[sources]] feed_hosts"
            )
        if via is not None:
            why = f"{via[:_URL_SHOWN]}: Weiterleitung — {why}"
        super().__init__(why, permanent=True)
        self.url = url


def _version() -> str:
    try:
        return version("anfragebot")
    except PackageNotFoundError:
        return "0"


USER_AGENT = f"anfragebot/{_version()} (OParl poller for council factions; python-httpx)"


def make_http_client(timeout_seconds: float = 30.0) -> httpx.Client:
    """The default httpx client: explicit timeouts (httpx's 5 s default is too short for RIS).
    It follows no redirect: the OParl client and the document download follow them themselves,
    checking every hop against the source's origin."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout_seconds, connect=10.0),
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        follow_redirects=False,
        trust_env=False,
    )


def format_since(moment: datetime) -> str:
    """`modified_since` value: UTC, no microseconds, `Z` (nothing a server must percent-decode)."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Throttle:
    """At most `rate` requests per second (0 = unlimited), shared by threads of one source."""

    rate: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _next: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self) -> None:
        if self.rate <= 0:
            return
        with self._lock:
            now = self.clock()
            delay = self._next - now
            self._next = max(now, self._next) + 1.0 / self.rate
        if delay > 0:
            self.sleep(delay)


@dataclass(frozen=True)
class Parsed:
    """A page's objects as the page reader process (bot/feed/reader.py) parsed them: their raw
    JSON stays in that process. `days`: the distinct `modified` days of the raw objects."""

    objects: list[Any]
    rejected: list[Rejected]
    days: frozenset[str]
    size: int


@dataclass(frozen=True)
class Page:
    url: str
    items: list[dict[str, Any]]
    links: dict[str, str]
    # `pagination.totalElements` when the server sends it: lets a long first sync estimate.
    total: int | None = None
    # Set (and `items` empty) for a page that arrives parsed from the page reader process.
    parsed: Parsed | None = None

    @property
    def size(self) -> int:
        """How many objects the page held."""
        return len(self.items) if self.parsed is None else self.parsed.size

    def ids(self) -> list[str]:
        """The ids of the page's objects (`parse_page` keeps only items with a string id)."""
        return [str(i["id"]) for i in self.items]


@dataclass(frozen=True)
class ClientSpec:
    """What it takes to build an equal client in another process (bot/feed/reader.py)."""

    timeout_seconds: float
    requests_per_second: float
    max_retries: int
    backoff_seconds: float
    deadline_seconds: float
    policy: OriginPolicy | None = None


class OParlClient:
    """`policy`: the origins this client may ask (the source's System URL and `feed_hosts`);
    any other URL raises FeedRefused before a request is made. The runtime and `check` always
    pass the source's policy; None (tests of the HTTP mechanics, benchmarks) checks nothing."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        policy: OriginPolicy | None = None,
        requests_per_second: float = 2.0,
        max_retries: int = MAX_RETRIES,
        backoff_seconds: float = 1.0,
        deadline_seconds: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        spec: ClientSpec | None = None,
        reader_after_pages: int | None = None,
    ) -> None:
        self.http = http
        self.policy = policy
        # A client with a `spec` may hand a long full read to a page reader process after
        # this many pages (None: never; tests set it low to exercise that path).
        self.spec = spec
        self.reader_after_pages = reader_after_pages
        self.throttle = Throttle(requests_per_second, sleep=sleep)
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.deadline_seconds = deadline_seconds
        self.sleep = sleep
        self.requests = 0

    @classmethod
    def from_spec(
        cls,
        spec: ClientSpec,
        *,
        http: httpx.Client | None = None,
        reader_after_pages: int | None = None,
    ) -> OParlClient:
        """A client with these settings; `http`: a client to share (default: a new one)."""
        return cls(
            http or make_http_client(spec.timeout_seconds),
            policy=spec.policy,
            requests_per_second=spec.requests_per_second,
            max_retries=spec.max_retries,
            backoff_seconds=spec.backoff_seconds,
            deadline_seconds=spec.deadline_seconds,
            spec=spec,
            reader_after_pages=reader_after_pages,
        )

    # -- single requests -------------------------------------------------------------------

    def check(self, url: str, *, via: str | None = None) -> None:
        """Raise FeedRefused unless the policy allows `url` (nothing is requested)."""
        if self.policy is not None and not self.policy.allows(url):
            log.warning(
                "refused %s%s: not on the source's server (%s); allow its host with "
                "[[sources]] feed_hosts",
                url[:_URL_SHOWN],
                f" (redirect from {via[:_URL_SHOWN]})" if via else "",
                self.policy.describe().replace(" oder ", " or "),
            )
            raise FeedRefused(url, self.policy, via=via)

    def _fetch_once(self, url: str) -> tuple[int, bytes, httpx.Headers]:
        """One GET, following redirects here (never in httpx), each hop checked first."""
        deadline = time.monotonic() + self.deadline_seconds
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            self.check(current, via=None if current == url else url)
            self.throttle.wait()
            self.requests += 1
            with self.http.stream("GET", current, follow_redirects=False) as resp:
                if resp.status_code in REDIRECT_STATUS:
                    location = resp.headers.get("location")
                    if not location:
                        raise FeedError(
                            f"{url}: HTTP {resp.status_code} without Location", permanent=True
                        )
                    current = urljoin(current, location)
                    continue
                return resp.status_code, self._read(resp, url, deadline), resp.headers
        raise FeedError(f"{url}: more than {MAX_REDIRECTS} redirects", permanent=True)

    def _read(self, resp: httpx.Response, url: str, deadline: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in resp.iter_bytes():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise FeedError(f"{url}: response larger than {MAX_BODY_BYTES} bytes")
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout(f"overall deadline of {self.deadline_seconds}s")
            chunks.append(chunk)
        return b"".join(chunks)

    def get_bytes(self, url: str, *, allow_404: bool = False) -> bytes | None:
        """GET with bounded retries on 5xx/429/timeouts/connection errors; 4xx is final."""
        result = self._with_retries(url, allow_404, lambda body: body)
        return None if result is None else bytes(result)

    def get_json(self, url: str, *, allow_404: bool = False) -> Any:
        """GET and decode, retrying what a council server gets wrong now and then: besides
        5xx/429/timeouts/resets also an HTML maintenance page, a truncated body or an OParl
        error object served with HTTP 200 ("Zeitüberschreitung bei der Abfrage")."""
        return self._with_retries(url, allow_404, partial(_decode_checked, url=url))

    def _with_retries(self, url: str, allow_404: bool, decode: Callable[[bytes], Any]) -> Any:
        attempt = 0
        while True:
            bad_content = False
            try:
                status, body, headers = self._fetch_once(url)
            except (httpx.TimeoutException, httpx.TransportError) as e:
                reason = f"{type(e).__name__}: {e}".strip()
                status, body, headers = 0, b"", httpx.Headers()
            else:
                reason = f"HTTP {status}"
                if status < 400:
                    try:
                        return decode(body)
                    except FeedError as e:
                        if e.permanent:
                            raise
                        reason, bad_content = _strip_url(str(e), url), True
                elif status == 404 and allow_404:
                    return None
                elif status not in RETRY_STATUS:
                    raise FeedError(f"{url}: HTTP {status}", permanent=400 <= status < 500)
            attempt += 1
            if attempt > self.max_retries:
                # One line per give-up; the caller leaves the rest for the next poll.
                log.warning("giving up on %s after %d attempts: %s", url, attempt, reason)
                raise FeedGaveUp(
                    f"{url}: {reason} after {attempt} attempts", url=url, bad_content=bad_content
                )
            self.sleep(self._retry_delay(attempt, headers))

    def _retry_delay(self, attempt: int, headers: httpx.Headers) -> float:
        retry_after = headers.get("Retry-After")
        if retry_after and retry_after.strip().isdigit():
            # Bounded: a poll must end; what the server still refuses waits for the next one.
            return min(float(retry_after), MAX_RETRY_AFTER)
        return float(self.backoff_seconds * (2 ** (attempt - 1)))

    def get_object(self, url: str) -> dict[str, Any]:
        data = self.get_json(url)
        raise_for_error_object(data, url)
        return dict(data)

    def get_object_or_none(self, url: str) -> dict[str, Any] | None:
        """An object, or None when the server says 404 (final: the id does not exist)."""
        data = self.get_json(url, allow_404=True)
        if data is None:
            return None
        raise_for_error_object(data, url)
        return dict(data)

    # -- lists ------------------------------------------------------------------------------

    def page(self, url: str, *, allow_404: bool = False) -> Page | None:
        """One list page (None: 404 allowed and received)."""
        data = self.get_json(url, allow_404=allow_404)
        if data is None:
            return None
        return parse_page(data, url)

    def pages(
        self, list_url: str, params: dict[str, str] | None = None, *, start_url: str | None = None
    ) -> Generator[Page, None, None]:
        """Follow `links.next` only. A filtered list answering 404 is empty (SD.NET)."""
        url: str | None = start_url or _with_params(list_url, params)
        filtered = bool(params)
        seen_urls: set[str] = set()
        seen_fingerprints: set[tuple[str, ...]] = set()
        while url and len(seen_urls) < MAX_PAGES:
            if url in seen_urls:
                log.warning("pagination loop at %s: stopping", url)
                return
            seen_urls.add(url)
            page = self.page(url, allow_404=filtered)
            if page is None:
                return
            fingerprint = tuple(str(i.get("id")) for i in page.items)
            if fingerprint and fingerprint in seen_fingerprints:
                # Somacos: one shared server returns the same page for every ?page=n.
                log.warning("pagination loop at %s (same page again): stopping", url)
                return
            seen_fingerprints.add(fingerprint)
            yield page
            url = page.links.get("next")


def _with_params(url: str, params: dict[str, str] | None) -> str:
    if not params:
        return url
    # Somacos rejects percent-encoded filter values: keep `:` as it is.
    query = urlencode(params, safe=":")
    return f"{url}{'&' if '?' in url else '?'}{query}"


def _with_ids(raw_items: list[Any]) -> list[dict[str, Any]]:
    """The objects of a list that have a string id (nothing downstream can use the others)."""
    return [i for i in raw_items if isinstance(i, dict) and isinstance(i.get("id"), str)]


def parse_page(data: Any, url: str) -> Page:
    if isinstance(data, list):
        # Some servers send a bare array instead of a list object.
        return Page(url=url, items=_with_ids(data), links={})
    raise_for_error_object(data, url)
    raw_items = data.get("data", [])
    if isinstance(raw_items, dict):
        raw_items = [raw_items]
    if not isinstance(raw_items, list):
        raise FeedError(f"{url}: list page without a data array")
    links = data.get("links") if isinstance(data.get("links"), dict) else {}
    # Some 1.0 servers put `next` at the top level.
    if "next" not in links and isinstance(data.get("next"), str):
        links = {**links, "next": data["next"]}
    items = _with_ids(raw_items)
    clean_links = {k: v for k, v in links.items() if isinstance(v, str) and v}
    pagination = data.get("pagination")
    total = pagination.get("totalElements") if isinstance(pagination, dict) else None
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        total = None
    return Page(url=url, items=items, links=clean_links, total=total)


def _decode_checked(body: bytes, *, url: str) -> Any:
    """Decode a body; an OParl error object (any HTTP 200 body saying "error") raises a
    transient FeedError, so it is retried like a 5xx."""
    data = decode_json(body, url)
    if isinstance(data, dict):
        raise_for_error_object(data, url)
    return data


def _strip_url(message: str, url: str) -> str:
    prefix = f"{url}: "
    return message[len(prefix) :] if message.startswith(prefix) else message
