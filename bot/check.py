"""`anfragebot check`: test a setup before going live, one ✓/✗ line per item.

Configuration, database (reachable, migrated), every source (System and Body answer, OParl
version, quirks), SLACK_BOT_TOKEN (`auth.test`), the bot's membership in every configured or
subscribed channel (`conversations.info`), SLACK_APP_TOKEN when set (`apps.connections.open`)
and SLACK_SIGNING_SECRET for HTTP mode. Exit 0 when every line is ✓, else 1. Nothing is posted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx
from alembic.runtime.migration import MigrationContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from bot.config import NO_CONFIG_FILE, Config, SourceConfig, load_config
from bot.errors import BotError
from bot.feed.client import OParlClient, make_http_client
from bot.feed.quirks import decode_json, is_placeholder_value, raise_for_error_object
from bot.runtime import database_engine, feed_policy
from bot.slack.notifier import redact
from bot.store.db import migrate, session_factory
from bot.store.overview import known_sources, list_modes, subscribed_channels

OK, FAIL = "✓", "✗"
_VERSION = re.compile(r"/(\d+\.\d+)/?$")


@dataclass
class Report:
    out: TextIO
    failures: int = 0
    lines: list[str] = field(default_factory=list)

    def item(self, ok: bool, text: str) -> None:
        line = f"{OK if ok else FAIL} {redact(text)}"
        self.lines.append(line)
        if not ok:
            self.failures += 1
        print(line, file=self.out, flush=True)


def run_check(
    path: Path | None,
    environ: Mapping[str, str],
    out: TextIO,
    *,
    http: bool = False,
    http_client: httpx.Client | None = None,
) -> int:
    report = Report(out)
    config = _check_config(report, path, environ)
    if config is None:
        return 1
    engine = _check_database(report, config)
    factory = session_factory(engine) if engine is not None else None
    try:
        for source in config.sources:
            _check_source(report, source, factory, http_client)
        _check_slack(report, config, factory, http=http)
    finally:
        if engine is not None:
            engine.dispose()
    return 1 if report.failures else 0


def _check_config(report: Report, path: Path | None, environ: Mapping[str, str]) -> Config | None:
    if path is None:
        report.item(False, f"configuration: {NO_CONFIG_FILE}")
        return None
    try:
        config = load_config(path, environ)
    except BotError as e:
        report.item(False, f"configuration: {e}")
        return None
    if not config.sources:
        report.item(False, f"configuration: {path}: no [[sources]] configured, nothing to poll")
        return config
    channel = config.slack.channel or "no default channel"
    report.item(
        True, f"configuration: {path} ({len(config.sources)} source(s), channel {channel})"
    )
    return config


def _check_database(report: Report, config: Config) -> Engine | None:
    """Every command migrates on start; so does check, then reports the revision."""
    try:
        engine = database_engine(config)
    except BotError as e:
        report.item(False, f"database: {e}")
        return None
    shown = engine.url.render_as_string(hide_password=True)
    try:
        migrate(engine)
        with engine.connect() as conn:
            revision = MigrationContext.configure(conn).get_current_revision()
    except BotError as e:  # the store's message names the database already
        engine.dispose()
        report.item(False, f"database: {str(e).splitlines()[0]}")
        return None
    except Exception as e:  # noqa: BLE001 - any failure is the line's answer
        engine.dispose()
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        report.item(False, f"database: {shown}: {reason}")
        return None
    report.item(True, f"database: {shown}: reachable, schema at revision {revision}")
    return engine


# -- sources -------------------------------------------------------------------------------------


def _check_source(
    report: Report,
    source: SourceConfig,
    factory: sessionmaker[Any] | None,
    http_client: httpx.Client | None,
) -> None:
    http = http_client or make_http_client(source.timeout_seconds)
    client = OParlClient(
        http,
        policy=feed_policy(source),
        requests_per_second=source.requests_per_second,
        max_retries=1,
        deadline_seconds=max(30.0, source.timeout_seconds * 2),
    )
    quirks: list[str] = []
    try:
        system = _object(client, source.url, quirks)
        bodies_url = system.get("body")
        if not isinstance(bodies_url, str):
            raise BotError(f"{source.url}: not an OParl System (no body list)")
        bodies = _list_page(client, bodies_url, quirks)
        if not bodies:
            raise BotError(f"{bodies_url}: the body list is empty")
        papers_url = bodies[0].get("paper")
        if not isinstance(papers_url, str):
            raise BotError(f"{bodies_url}: the first body has no paper list")
        _list_page(client, papers_url, quirks)
    except BotError as e:
        report.item(False, f"source {source.name}: {e}")
        return
    finally:
        if http_client is None:
            http.close()
    raw_version = str(system.get("oparlVersion") or "")
    found = _VERSION.search(raw_version)
    version = f"OParl {found.group(1)}" if found else f"OParl version {raw_version or 'missing'}"
    names = ", ".join(str(b.get("shortName") or b.get("name") or b.get("id")) for b in bodies[:3])
    quirks += _stored_quirks(factory, source.name, bodies)
    state = _sync_state(factory, source.name)
    text = f"source {source.name}: {version}, {len(bodies)} body(ies) ({names}); {state}"
    if quirks:
        text += "; quirks: " + ", ".join(dict.fromkeys(quirks))
    report.item(True, text)


def _object(client: OParlClient, url: str, quirks: list[str]) -> dict[str, Any]:
    data = _json(client, url, quirks)
    raise_for_error_object(data, url)
    if not isinstance(data, dict):
        raise BotError(f"{url}: expected a JSON object")
    return data


def _list_page(client: OParlClient, url: str, quirks: list[str]) -> list[dict[str, Any]]:
    data = _json(client, url, quirks)
    if isinstance(data, list):
        quirks.append("bare JSON array instead of a list object")
        items = data
    else:
        raise_for_error_object(data, url)
        items = data.get("data", [])
        if isinstance(items, dict):
            quirks.append("single object where a list is expected")
            items = [items]
    objects = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
    values = (v for i in objects for v in i.values())
    if any(isinstance(v, str) and v and is_placeholder_value(v) for v in values):
        quirks.append('"N/A" or blank placeholders for empty fields')
    return objects


def _json(client: OParlClient, url: str, quirks: list[str]) -> Any:
    body = client.get_bytes(url)
    assert body is not None
    try:
        return json.loads(body.decode("utf-8-sig", errors="replace"))
    except json.JSONDecodeError:
        data = decode_json(body, url)  # raises FeedError when the lenient reading fails too
        quirks.append("control characters inside JSON strings")
        return data


_LIST_KEYS = {"paper": "papers", "meeting": "meetings", "organization": "organizations"}


def _stored_quirks(
    factory: sessionmaker[Any] | None, source: str, bodies: list[dict[str, Any]]
) -> list[str]:
    """What earlier syncs found out (jobs/sync.py, list_state.mode)."""
    if factory is None:
        return []
    with factory() as session:
        modes = list_modes(session, source)
    names = {b.get(k): v for b in bodies for k, v in _LIST_KEYS.items() if b.get(k)}
    tail = sorted(str(names.get(url, url)) for url, mode in modes.items() if mode == "tail")
    if not tail:
        return []
    return [f"ignores modified_since or dates every object alike ({', '.join(tail)})"]


def _sync_state(factory: sessionmaker[Any] | None, source: str) -> str:
    if factory is None:
        return "sync state unknown"
    with factory() as session:
        state = known_sources(session).get(source)
    if state is None or not state.first_sync_done:
        return "not synced yet"
    return "synced"


# -- Slack ---------------------------------------------------------------------------------------


def _slack_call(client: WebClient, method: str, **kwargs: Any) -> dict[str, Any]:
    """One Web API call; raises BotError naming the method and Slack's error code."""
    try:
        resp = client.api_call(method, data=kwargs)
    except SlackApiError as e:
        raise BotError(f"{method}: {e.response.get('error') or 'error'}") from None
    except (SlackClientError, OSError, ValueError) as e:
        raise BotError(f"{method}: {type(e).__name__}: {e}") from None
    return dict(resp.data) if isinstance(resp.data, dict) else {}


def _check_slack(
    report: Report, config: Config, factory: sessionmaker[Any] | None, *, http: bool
) -> None:
    slack = config.slack
    if not slack.bot_token:
        report.item(
            False,
            "SLACK_BOT_TOKEN: not set; nothing is posted until it is (deliveries wait), "
            "channels not checked",
        )
    else:
        bot = WebClient(token=slack.bot_token, base_url=slack.api_url, timeout=10)
        bot.retry_handlers = []
        try:
            who = _slack_call(bot, "auth.test")
        except BotError as e:
            report.item(False, f"SLACK_BOT_TOKEN: {e}")
        else:
            report.item(
                True,
                f"SLACK_BOT_TOKEN: valid (bot {who.get('user') or who.get('user_id')}"
                f" in team {who.get('team') or who.get('team_id')})",
            )
            _check_channels(report, bot, config, factory)
    if slack.app_token:
        app = WebClient(token=slack.app_token, base_url=slack.api_url, timeout=10)
        app.retry_handlers = []
        try:
            _slack_call(app, "apps.connections.open")
        except BotError as e:
            report.item(False, f"SLACK_APP_TOKEN: {e} (Socket Mode cannot connect)")
        else:
            report.item(True, "SLACK_APP_TOKEN: Socket Mode connection allowed")
    if slack.signing_secret:
        report.item(True, "SLACK_SIGNING_SECRET: set (anfragebot serve verifies requests)")
    elif http:
        report.item(
            False,
            "SLACK_SIGNING_SECRET: not set; HTTP mode (anfragebot serve) needs it "
            "(Basic Information → App Credentials → Signing Secret)",
        )


def _check_channels(
    report: Report, bot: WebClient, config: Config, factory: sessionmaker[Any] | None
) -> None:
    channels = [config.slack.channel] if config.slack.channel else []
    if factory is not None:
        with factory() as session:
            channels += subscribed_channels(session)
    for channel in dict.fromkeys(channels):
        try:
            info = _slack_call(bot, "conversations.info", channel=channel)
        except BotError as e:
            report.item(False, f"channel {channel}: {e} (use the channel ID, C…)")
            continue
        meta = info.get("channel") or {}
        name = f" (#{meta['name']})" if meta.get("name") else ""
        if meta.get("is_member"):
            report.item(True, f"channel {channel}{name}: the bot is a member")
        else:
            report.item(
                False,
                f"channel {channel}{name}: the bot is not a member; invite it with "
                "/invite @<bot name> in the channel",
            )
