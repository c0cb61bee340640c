"""Where the bot may send a request for a URL it found in a feed: the origin rules shared by the
OParl client (`bot/feed/client.py`, `[[sources]] feed_hosts`) and the document download
(`bot/document/download.py`, `[[sources]] document_hosts`).

Every URL in a feed is untrusted input. A URL may be fetched when it is http(s) and its origin
(scheme, host, port) is the origin of the source's configured System URL (an `http://` source
may be upgraded to `https://` on the same host), or its host is one the operator listed. The
configured URL, not the System object's `id`, is the anchor: the configuration is what the
operator trusts; the System object is served by the server whose URLs are being checked.

Pure: no I/O here (the download adds DNS and address checks on top)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

Origin = tuple[str, str, int]  # scheme, host (lower case), port

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of an http(s) URL; None for other schemes or a URL without host."""
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port that is not a number, a broken IPv6 literal
        return None
    if scheme not in DEFAULT_PORTS or not host or port is None:
        return None
    return scheme, host, port


def show_origin(origin: Origin) -> str:
    scheme, host, port = origin
    return f"{scheme}://{host}:{port}"


@dataclass(frozen=True)
class HostRule:
    """One `document_hosts` / `feed_hosts` entry: a host name or IP, optionally with a port
    ("files.ris.example", "files.ris.example:8443", "https://files.ris.example")."""

    host: str
    port: int | None = None

    @classmethod
    def parse(cls, entry: str) -> HostRule:
        text = entry.strip().lower()
        if "://" in text:
            origin = origin_of(text)
            if origin is None:
                raise ValueError(f"not an http(s) URL: {entry!r}")
            explicit = urlsplit(text).port
            return cls(origin[1], explicit)
        try:
            parsed = urlsplit(f"//{text}")
            hostname, port = parsed.hostname, parsed.port
        except ValueError as e:  # "host:abc", "host:99999"
            raise ValueError(f"not a host name: {entry!r}") from e
        if not hostname or parsed.path not in ("", "/"):
            raise ValueError(f"not a host name: {entry!r}")
        return cls(hostname.rstrip("."), port)

    def matches(self, origin: Origin) -> bool:
        _scheme, host, port = origin
        if host != self.host:
            return False
        return port == self.port if self.port is not None else port in DEFAULT_PORTS.values()

    def show(self) -> str:
        return self.host + (f":{self.port}" if self.port else "")


@dataclass(frozen=True)
class OriginPolicy:
    """The source's own origin plus the hosts the operator listed."""

    source_origin: Origin
    hosts: tuple[HostRule, ...] = ()

    def allows_origin(self, origin: Origin) -> bool:
        if origin == self.source_origin:
            return True
        scheme, host, port = self.source_origin
        # http://ris.example → https://ris.example: the same server, upgraded.
        if (scheme, port) == ("http", 80) and origin == ("https", host, 443):
            return True
        return any(rule.matches(origin) for rule in self.hosts)

    def allows(self, url: str) -> bool:
        origin = origin_of(url)
        return origin is not None and self.allows_origin(origin)

    def describe(self) -> str:
        extra = ", ".join(r.show() for r in self.hosts)
        return show_origin(self.source_origin) + (f" oder {extra}" if extra else "")


def origin_policy(source_url: str, hosts: Sequence[str] = ()) -> OriginPolicy:
    """The policy of a source: its configured System URL and a list of host entries (checked
    by the config loader; a bad entry raises ValueError here too)."""
    origin = origin_of(source_url)
    if origin is None:
        raise ValueError(f"source URL is not http(s): {source_url!r}")
    return OriginPolicy(origin, tuple(HostRule.parse(h) for h in hosts))
