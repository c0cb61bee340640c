"""Configuration: a TOML file plus environment variables for secrets and overrides.

`load_config` is pure apart from reading the file: the environment is passed in, so tests and the
demo build configurations without touching `os.environ`.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.errors import ConfigError
from bot.netpolicy import HostRule

DEFAULT_DATABASE_URL = "sqlite:///anfragebot.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
NO_CONFIG_FILE = (
    "no configuration file: create one with `cp config.example.toml config.toml` and edit it "
    "(read from the working directory), or pass --config PATH"
)


@dataclass(frozen=True)
class SourceConfig:
    name: str
    url: str
    requests_per_second: float = 2.0
    timeout_seconds: float = 30.0
    # Hosts besides the System URL's own origin that documents may be fetched from
    # ("files.ris.example", "files.ris.example:8443" or "https://files.ris.example").
    document_hosts: tuple[str, ...] = ()
    # Hosts besides the System URL's own origin that the OParl client may read (list pages,
    # objects, redirects), in the same syntax: every other feed URL is refused unasked.
    feed_hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class SlackConfig:
    channel: str | None = None
    announce_max_age_days: int = 14
    api_url: str = DEFAULT_SLACK_API_URL
    bot_token: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    # Seconds between two messages to one channel (Slack allows about one per second).
    pace_seconds: float = 1.0


@dataclass(frozen=True)
class RemindersConfig:
    lead_times: tuple[timedelta, ...] = (timedelta(days=2),)
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Berlin"))
    morning_of: bool = False


@dataclass(frozen=True)
class DigestConfig:
    """Weekly list of open Anfragen per channel; `weekday` is ISO (1 = Monday)."""

    enabled: bool = False
    weekday: int = 1
    hour: int = 9


@dataclass(frozen=True)
class FactionConfig:
    """`[faction]`: whose Anfragen are "ours" (empty name: no faction configured)."""

    name: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n in (self.name, *self.aliases) if n)


@dataclass(frozen=True)
class DeadlinesConfig:
    """`[deadlines]`: calendar days the administration has to answer (0 = no deadlines)."""

    answer_days: int = 0
    paper_types: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class HttpConfig:
    """`anfragebot serve` as seen from outside: the base of calendar subscription URLs."""

    public_url: str | None = None


@dataclass(frozen=True)
class Config:
    database_url: str = DEFAULT_DATABASE_URL
    # `[database] instance`: part of the PostgreSQL advisory-lock keys (bot/store/locks.py).
    database_instance: str = ""
    sources: tuple[SourceConfig, ...] = ()
    slack: SlackConfig = field(default_factory=SlackConfig)
    reminders: RemindersConfig = field(default_factory=RemindersConfig)
    digest: DigestConfig = field(default_factory=DigestConfig)
    http: HttpConfig = field(default_factory=HttpConfig)
    # A float: fractions of a minute are for tests and benchmarks (`poll_minutes = 0.05`: 3 s).
    poll_minutes: float = 15
    log_level: str = "INFO"
    faction: FactionConfig = field(default_factory=FactionConfig)
    deadlines: DeadlinesConfig = field(default_factory=DeadlinesConfig)


_DURATION = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_duration(text: str, key: str) -> timedelta:
    """Parse `2d`, `12h`, `30m` (the lead-time syntax of `[reminders] lead_times`)."""
    m = _DURATION.match(text) if isinstance(text, str) else None
    if not m:
        raise ConfigError(f"{key}: expected a duration like '2d', '12h' or '30m', got {text!r}")
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{key}]: expected a table")
    return value


def _typed(table: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    name = f"{where}.{key}" if where else key
    value = table.get(key)
    if value is None:
        return None
    # bool is an int in Python; a number key must not accept `true`.
    if isinstance(value, bool) and kind in (int, float, (int, float)):
        raise ConfigError(f"{name}: expected a number, got {value!r}")
    if not isinstance(value, kind):
        raise ConfigError(f"{name}: expected {_kind_name(kind)}, got {value!r}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    if isinstance(kind, tuple):
        return " or ".join(k.__name__ for k in kind)
    return kind.__name__


def _sources(data: Mapping[str, Any]) -> tuple[SourceConfig, ...]:
    raw = data.get("sources", [])
    if not isinstance(raw, list):
        raise ConfigError("[[sources]]: expected an array of tables")
    sources = []
    for i, entry in enumerate(raw):
        where = f"sources[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a table")
        name = _typed(entry, "name", str, where)
        url = _typed(entry, "url", str, where)
        if not name:
            raise ConfigError(f"{where}.name: missing")
        if not url or not url.startswith(("http://", "https://")):
            raise ConfigError(f"{where}.url: expected an http(s) URL of an OParl System")
        rps = _typed(entry, "requests_per_second", (int, float), where)
        if rps is not None and rps < 0:
            raise ConfigError(f"{where}.requests_per_second: must be >= 0 (0 = no limit)")
        timeout = _typed(entry, "timeout_seconds", (int, float), where)
        if timeout is not None and not 0 < timeout <= 600:
            raise ConfigError(f"{where}.timeout_seconds: must be between 0 and 600 seconds")
        sources.append(
            SourceConfig(
                name=name,
                url=url,
                requests_per_second=2.0 if rps is None else float(rps),
                timeout_seconds=30.0 if timeout is None else float(timeout),
                document_hosts=_hosts(entry, where, "document_hosts"),
                feed_hosts=_hosts(entry, where, "feed_hosts"),
            )
        )
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise ConfigError("[[sources]].name: names must be unique")
    return tuple(sources)


def _hosts(entry: Mapping[str, Any], where: str, name: str) -> tuple[str, ...]:
    """`document_hosts` or `feed_hosts`: host entries as bot/netpolicy.py reads them."""
    raw = entry.get(name, [])
    key = f"{where}.{name}"
    if not isinstance(raw, list) or not all(isinstance(h, str) and h.strip() for h in raw):
        raise ConfigError(f'{key}: expected a list of host names like ["dokumente.ris.example"]')
    for host in raw:
        try:
            HostRule.parse(host)
        except ValueError as e:
            raise ConfigError(f"{key}: {e}") from e
    return tuple(h.strip() for h in raw)


def _slack(data: Mapping[str, Any], environ: Mapping[str, str]) -> SlackConfig:
    table = _table(data, "slack")
    channel = _typed(table, "channel", str, "slack")
    max_age = _typed(table, "announce_max_age_days", int, "slack")
    if max_age is not None and max_age < 0:
        raise ConfigError("slack.announce_max_age_days: must be >= 0")
    api_url = environ.get("SLACK_API_URL") or _typed(table, "api_url", str, "slack")
    api_url = api_url or DEFAULT_SLACK_API_URL
    if not api_url.endswith("/"):
        api_url += "/"
    pace = _typed(table, "pace_seconds", (int, float), "slack")
    if pace is not None and pace < 0:
        raise ConfigError("slack.pace_seconds: must be >= 0")
    return SlackConfig(
        pace_seconds=1.0 if pace is None else float(pace),
        channel=channel or None,
        announce_max_age_days=14 if max_age is None else max_age,
        api_url=api_url,
        bot_token=environ.get("SLACK_BOT_TOKEN") or None,
        app_token=environ.get("SLACK_APP_TOKEN") or None,
        signing_secret=environ.get("SLACK_SIGNING_SECRET") or None,
    )


def _reminders(data: Mapping[str, Any]) -> RemindersConfig:
    table = _table(data, "reminders")
    raw_leads = table.get("lead_times", ["2d"])
    if not isinstance(raw_leads, list):
        raise ConfigError('reminders.lead_times: expected a list like ["2d"]')
    leads = tuple(parse_duration(v, "reminders.lead_times") for v in raw_leads)
    tz_name = _typed(table, "timezone", str, "reminders") or "Europe/Berlin"
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ConfigError(f"reminders.timezone: unknown time zone {tz_name!r}") from e
    morning = _typed(table, "morning_of", bool, "reminders")
    return RemindersConfig(lead_times=leads, timezone=tz, morning_of=bool(morning))


_WEEKDAYS = {
    name: i
    for i, names in enumerate(
        (
            ("monday", "mon", "montag", "mo"),
            ("tuesday", "tue", "dienstag", "di"),
            ("wednesday", "wed", "mittwoch", "mi"),
            ("thursday", "thu", "donnerstag", "do"),
            ("friday", "fri", "freitag", "fr"),
            ("saturday", "sat", "samstag", "sa"),
            ("sunday", "sun", "sonntag", "so"),
        ),
        start=1,
    )
    for name in names
}


def _digest(data: Mapping[str, Any]) -> DigestConfig:
    table = _table(data, "digest")
    enabled = _typed(table, "enabled", bool, "digest")
    raw_day = table.get("weekday", "monday")
    if isinstance(raw_day, str) and raw_day.strip().lower() in _WEEKDAYS:
        weekday = _WEEKDAYS[raw_day.strip().lower()]
    elif isinstance(raw_day, int) and not isinstance(raw_day, bool) and 1 <= raw_day <= 7:
        weekday = raw_day
    else:
        raise ConfigError(
            f'digest.weekday: expected a weekday like "monday" or 1-7, got {raw_day!r}'
        )
    hour = _typed(table, "hour", int, "digest")
    if hour is not None and not 0 <= hour <= 23:
        raise ConfigError("digest.hour: must be 0-23")
    return DigestConfig(enabled=bool(enabled), weekday=weekday, hour=9 if hour is None else hour)


def faction_config(data: Mapping[str, Any]) -> FactionConfig:
    """`[faction] name`, `aliases`: matched like the `fraktion:` abo key (substring, any case)."""
    table = _table(data, "faction")
    name = (_typed(table, "name", str, "faction") or "").strip()
    raw = table.get("aliases", [])
    if not isinstance(raw, list) or not all(isinstance(a, str) and a.strip() for a in raw):
        raise ConfigError('faction.aliases: expected a list of names like ["Die Linke"]')
    if raw and not name:
        raise ConfigError("faction.aliases: set faction.name as well")
    return FactionConfig(name=name, aliases=tuple(a.strip() for a in raw))


def deadlines_config(data: Mapping[str, Any]) -> DeadlinesConfig:
    """`[deadlines] answer_days` and `[deadlines.paper_types] "Große Anfrage" = 42`."""
    table = _table(data, "deadlines")
    days = _typed(table, "answer_days", int, "deadlines")
    if days is not None and not 0 <= days <= 3650:
        raise ConfigError("deadlines.answer_days: must be between 0 and 3650 (0 = no deadlines)")
    raw = table.get("paper_types", {})
    if not isinstance(raw, dict):
        raise ConfigError('[deadlines.paper_types]: expected a table like "Große Anfrage" = 42')
    types = []
    for kind, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3650:
            raise ConfigError(
                f"deadlines.paper_types.{kind!r}: expected a number of days 0-3650, got {value!r}"
            )
        types.append((str(kind), value))
    return DeadlinesConfig(answer_days=days or 0, paper_types=tuple(types))
def _http(data: Mapping[str, Any]) -> HttpConfig:
    table = _table(data, "http")
    url = _typed(table, "public_url", str, "http")
    if url is not None and (not url.startswith(("http://", "https://")) or " " in url):
        raise ConfigError(f"http.public_url: expected an http(s) URL, got {url!r}")
    return HttpConfig(public_url=url.rstrip("/") if url else None)


# Every key the loader reads, per table (None: the top level). A key or table not listed here is
# a typo (`chanel`, `[[source]]`, `[slak]`): silently ignoring it lost announcements (issue 11).
# `[database] instance` is read by the lock keys, `[[sources]] document_hosts` by the documents,
# `[[sources]] feed_hosts` by the OParl client.
KNOWN_KEYS: dict[str | None, frozenset[str]] = {
    None: frozenset(
        {
            "poll_minutes",
            "log_level",
            "database",
            "sources",
            "slack",
            "reminders",
            "digest",
            "faction",
            "deadlines",
            "http",
        }
    ),
    "database": frozenset({"url", "instance"}),
    "sources": frozenset(
        {"name", "url", "requests_per_second", "timeout_seconds", "document_hosts", "feed_hosts"}
    ),
    "slack": frozenset({"channel", "announce_max_age_days", "api_url", "pace_seconds"}),
    "reminders": frozenset({"lead_times", "timezone", "morning_of"}),
    "digest": frozenset({"enabled", "weekday", "hour"}),
    # issue 13; `[deadlines.paper_types]` holds paper type names, any key is fine there.
    "faction": frozenset({"name", "aliases"}),
    "deadlines": frozenset({"answer_days", "paper_types"}),
    "http": frozenset({"public_url"}),
}
_ARRAY_TABLES = frozenset({"sources"})


def _shown(name: str, value: Any, where: str | None) -> str:
    """How the user wrote it: `[slak]`, `[[source]]`, `slack.chanel`, `poll_minute`."""
    if where is not None:
        return f"{where}.{name}"
    if name in _ARRAY_TABLES or (
        isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
    ):
        return f"[[{name}]]"
    return f"[{name}]" if isinstance(value, dict) else name


def unknown_keys(data: Mapping[str, Any]) -> list[str]:
    """One description per unknown key or table, with a suggestion when a known one is close."""
    problems: list[str] = []

    def check(table: Mapping[str, Any], kind: str | None, where: str | None) -> None:
        known = KNOWN_KEYS[kind]
        for name, value in table.items():
            if name in known:
                continue
            what = _shown(name, value, where)
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
            hint = f" (did you mean {_shown(close[0], value, where)}?)" if close else ""
            noun = "table" if what.startswith("[") else "key"
            problems.append(f"unknown {noun} {what}{hint}")

    check(data, None, None)
    for kind in (k for k in KNOWN_KEYS if k is not None):
        value = data.get(kind)
        if isinstance(value, dict):
            check(value, kind, kind)
        elif isinstance(value, list):
            for i, entry in enumerate(value):
                if isinstance(entry, dict):
                    check(entry, kind, f"{kind}[{i}]")
    return problems


def resolve_sqlite_path(url: str, base: Path) -> str:
    """A relative SQLite path is relative to the config file, not to wherever the command runs:
    cron and a shell started elsewhere must share one database (issue 11)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url  # make_engine names the bad URL
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return url
    if database.startswith("file:") or Path(database).is_absolute():
        return url
    return parsed.set(database=str(base / database)).render_as_string(hide_password=False)


def sqlite_file(url: str) -> Path | None:
    """The file of a file-backed SQLite URL (relative: to the working directory, as SQLite
    opens it); None for other databases, `:memory:`, SQLite URI filenames or a bad URL."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:") or parsed.query.get("uri"):
        return None
    return Path(database)


def config_from_dict(
    data: Mapping[str, Any], environ: Mapping[str, str], *, base_dir: Path | None = None
) -> Config:
    """`base_dir`: the config file's directory; relative SQLite paths are resolved against it."""
    problems = unknown_keys(data)
    if problems:
        raise ConfigError("; ".join(problems))
    db = _table(data, "database")
    url = _typed(db, "url", str, "database") or DEFAULT_DATABASE_URL
    if base_dir is not None:
        url = resolve_sqlite_path(url, base_dir)
    # DATABASE_URL belongs to the process environment (a service unit, a container): it is
    # used as given, a relative SQLite path relative to the working directory.
    url = environ.get("DATABASE_URL") or url
    poll = _typed(data, "poll_minutes", (int, float), "")
    if poll is not None and poll <= 0:
        raise ConfigError("poll_minutes: must be > 0")
    level = (_typed(data, "log_level", str, "") or "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"log_level: expected DEBUG, INFO, WARNING or ERROR, got {level!r}")
    return Config(
        database_url=url,
        database_instance=_typed(db, "instance", str, "database") or "",
        sources=_sources(data),
        slack=_slack(data, environ),
        reminders=_reminders(data),
        digest=_digest(data),
        http=_http(data),
        poll_minutes=poll or 15,
        log_level=level,
        faction=faction_config(data),
        deadlines=deadlines_config(data),
    )


def load_config(path: Path | None, environ: Mapping[str, str]) -> Config:
    """Read `path` (None = defaults only) and apply the environment on top."""
    if path is None:
        return config_from_dict({}, environ)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as e:
        raise ConfigError(f"config file not found: {path}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"config file {path} is not valid TOML: {e}") from e
    except OSError as e:
        raise ConfigError(f"config file {path} cannot be read: {e.strerror or e}") from e
    try:
        return config_from_dict(data, environ, base_dir=path.resolve().parent)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from e
