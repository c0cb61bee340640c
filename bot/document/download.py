"""Download one document, only from where the council keeps its documents, within caps.

Every URL in a feed is untrusted: a compromised or misconfigured council server could point a
`File.accessUrl` (or a redirect) at an internal service, and the bot would post what it finds
there as the Anfrage's questions. So a document is fetched only

- over http(s),
- from the origin (scheme, host, port) of the source's configured System URL, or from a host
  the operator listed in `[[sources]] document_hosts`,
- from addresses that are public: loopback, private, link-local and other non-global addresses
  are refused unless the source's own origin is such an address (an intranet or test setup);
  then that origin and the listed hosts may be,

and every redirect hop is checked again (redirects are followed here, never by httpx). The
connection goes to the address that was checked (no second DNS lookup that could answer
differently); the Host header and the TLS server name stay the host name. The
body is streamed with a size cap and an overall deadline per document, checked on every chunk,
so a server that sends one byte every few seconds cannot hold a poll for minutes.

The origin is the configured `url`, not the System object's `id`: the configuration is what the
operator trusts; the System object is served by the same server whose URLs we are checking.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from bot.document.limits import DocumentLimits
from bot.netpolicy import (
    DEFAULT_PORTS,
    HostRule,
    Origin,
    OriginPolicy,
    origin_of,
    origin_policy,
    show_origin,
)

__all__ = [
    "DocumentFetchError",
    "FetchPolicy",
    "HostRule",
    "Origin",
    "check_url",
    "download",
    "make_policy",
    "origin_of",
]

# host, port → the IP addresses it resolves to (the system resolver, or a fake in unit tests)
Resolver = Callable[[str, int], list[str]]

_DEFAULT_PORTS = DEFAULT_PORTS
_REDIRECTS = {301, 302, 303, 307, 308}


class DocumentFetchError(Exception):
    """A document could not be fetched. `refused`: we did not ask (origin or address refused)."""

    def __init__(self, reason: str, *, refused: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.refused = refused


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class FetchPolicy(OriginPolicy):
    """The origin rules of `bot/netpolicy.py` (with `document_hosts`), plus: the source's own
    origin resolves to a non-public address (intranet, tests on 127.0.0.1)."""

    private_ok: bool = False


def make_policy(
    source_url: str, document_hosts: Sequence[str] = (), resolve: Resolver = system_resolver
) -> FetchPolicy:
    base = origin_policy(source_url, document_hosts)
    origin = base.source_origin
    try:
        addresses = resolve(origin[1], origin[2])
    except OSError:
        addresses = []  # unknown now: treat as public (the stricter choice)
    private = any(not _is_public(a) for a in addresses)
    return FetchPolicy(origin, base.hosts, private)


def check_url(
    url: str, policy: FetchPolicy, resolve: Resolver = system_resolver
) -> tuple[Origin, list[str]]:
    """Raise DocumentFetchError(refused=True) unless `url` may be fetched; return its origin
    and the checked addresses (IPv4 first), which are the ones to connect to."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    origin = origin_of(url)
    if origin is None:
        raise DocumentFetchError(
            f"Abruf verweigert: nur http(s)-Adressen werden abgerufen ({scheme or 'ohne Schema'})",
            refused=True,
        )
    if not policy.allows_origin(origin):
        raise DocumentFetchError(
            f"Abruf verweigert: {show_origin(origin)} ist nicht der Server der "
            f"Quelle ({policy.describe()}); weitere Server: [[sources]] document_hosts",
            refused=True,
        )
    try:
        addresses = resolve(origin[1], origin[2])
    except OSError as e:
        raise DocumentFetchError(f"Servername {origin[1]} nicht auflösbar ({e})") from e
    if not addresses:
        raise DocumentFetchError(f"Servername {origin[1]} nicht auflösbar")
    for address in addresses:
        if not _is_public(address) and not policy.private_ok:
            raise DocumentFetchError(
                f"Abruf verweigert: {origin[1]} zeigt auf die interne Adresse {address}",
                refused=True,
            )
    return origin, sorted(addresses, key=lambda a: ":" in a)


def _pinned(url: str, origin: Origin, address: str) -> tuple[str, str, dict[str, Any]]:
    """`url` aimed at the checked `address`: (URL with the IP, Host header, httpx extensions).

    Connecting to the address we checked, not to whatever a second DNS answer says, closes
    the gap between check and connect (DNS rebinding). TLS still verifies the host name (SNI).
    """
    scheme, host, port = origin
    parts = urlsplit(url)
    ip = address.split("%", 1)[0]
    literal = f"[{ip}]" if ":" in ip else ip
    pinned = urlunsplit((scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
    name = f"[{host}]" if ":" in host else host
    host_header = name if port == _DEFAULT_PORTS[scheme] else f"{name}:{port}"
    return pinned, host_header, ({"sni_hostname": host} if scheme == "https" else {})


def download(
    http: httpx.Client,
    url: str,
    policy: FetchPolicy,
    limits: DocumentLimits,
    *,
    resolve: Resolver = system_resolver,
    before_request: Callable[[], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> bytes:
    """The document's bytes, or DocumentFetchError with a reason (German, shown in `status`)."""
    deadline = clock() + limits.download_seconds
    for _hop in range(limits.max_redirects + 1):
        origin, addresses = check_url(url, policy, resolve)
        location = _get(http, url, origin, addresses, limits, deadline, before_request, clock)
        if isinstance(location, bytes):
            return location
        url = urljoin(url, location)
    raise DocumentFetchError(f"mehr als {limits.max_redirects} Weiterleitungen")


def _get(
    http: httpx.Client,
    url: str,
    origin: Origin,
    addresses: list[str],
    limits: DocumentLimits,
    deadline: float,
    before_request: Callable[[], None] | None,
    clock: Callable[[], float],
) -> bytes | str:
    """One hop: the body, or the redirect's Location. Tries the checked addresses in turn
    while connecting fails."""
    for i, address in enumerate(addresses):
        remaining = deadline - clock()
        if remaining <= 0:
            raise DocumentFetchError(_too_slow(limits))
        if before_request is not None:
            before_request()
        pinned, host_header, extensions = _pinned(url, origin, address)
        read_timeout = http.timeout.read or remaining
        timeout = httpx.Timeout(min(remaining, read_timeout), connect=min(remaining, 10.0))
        headers = {
            "Host": host_header,
            "Accept": "*/*",
            # identity: a gzip body could inflate far beyond what was counted on the wire
            "Accept-Encoding": "identity",
            # no pooled connection to this IP is reused for another host name
            "Connection": "close",
        }
        try:
            request = http.build_request(
                "GET", pinned, headers=headers, timeout=timeout, extensions=extensions
            )
            resp = http.send(request, stream=True, follow_redirects=False)
            try:
                if resp.status_code in _REDIRECTS:
                    location = resp.headers.get("location")
                    if not location:
                        raise DocumentFetchError(f"HTTP {resp.status_code} ohne Location")
                    return str(location)
                if resp.status_code >= 400:
                    raise DocumentFetchError(f"HTTP {resp.status_code}")
                return _read_capped(resp, limits, deadline, clock)
            finally:
                resp.close()
        except httpx.ConnectError as e:
            if i + 1 < len(addresses):
                continue
            raise DocumentFetchError(f"Verbindungsfehler: {type(e).__name__}") from e
        except httpx.TimeoutException as e:
            raise DocumentFetchError(_too_slow(limits)) from e
        except httpx.HTTPError as e:
            raise DocumentFetchError(f"Verbindungsfehler: {type(e).__name__}") from e
    raise DocumentFetchError("keine Adresse erreichbar")


def _read_capped(
    resp: httpx.Response, limits: DocumentLimits, deadline: float, clock: Callable[[], float]
) -> bytes:
    declared = resp.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise DocumentFetchError(_too_big(limits))
    chunks: list[bytes] = []
    size = 0
    for chunk in resp.iter_raw():
        size += len(chunk)
        if size > limits.max_bytes:
            raise DocumentFetchError(_too_big(limits))
        if clock() > deadline:
            raise DocumentFetchError(_too_slow(limits))
        chunks.append(chunk)
    return b"".join(chunks)


def _too_big(limits: DocumentLimits) -> str:
    return f"Dokument größer als {limits.max_bytes / 1_048_576:g} MB (Abbruch)"


def _too_slow(limits: DocumentLimits) -> str:
    return f"Download dauerte länger als {limits.download_seconds:g} s (Abbruch)"
