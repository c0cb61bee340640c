"""`slack-manifest.yml` is valid YAML and asks for what the code uses: the command, the bot
events it listens to, and a scope for every Web API method it calls."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.slack.app import COMMAND
from tests.paths import ROOT

# Web API method → the bot scope it needs (None: no scope beyond the token).
SCOPES: dict[str, set[str] | None] = {
    "chat.postMessage": {"chat:write"},
    "chat.update": {"chat:write"},
    "conversations.history": {"channels:history", "groups:history", "im:history"},
    "conversations.replies": {"channels:history", "groups:history", "im:history"},
    "conversations.open": {"im:write"},
    "views.publish": None,
}


def manifest() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "slack-manifest.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def sources() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "bot").rglob("*.py")))


def test_manifest_has_the_command_and_home_tab() -> None:
    data = manifest()
    commands = [c["command"] for c in data["features"]["slash_commands"]]
    assert commands == [COMMAND]
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    assert data["features"]["app_home"]["messages_tab_enabled"] is True
    assert "commands" in data["oauth_config"]["scopes"]["bot"]


def test_manifest_subscribes_to_every_event_the_code_handles() -> None:
    handled = set(re.findall(r'@app\.event\("([a-z_]+)"\)', sources()))
    assert "app_home_opened" in handled
    events = set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    assert handled <= events, handled - events
    assert events <= handled, f"subscribed but never handled: {events - handled}"


def test_manifest_has_a_scope_for_every_method_the_code_calls() -> None:
    code = sources()
    called = set(re.findall(r'_call\(\s*"([a-z]+\.[A-Za-z]+)"', code))
    called |= {"conversations.history", "conversations.replies"} & set(
        re.findall(r'"(conversations\.(?:history|replies))"', code)
    )
    if "views_publish(" in code:
        called.add("views.publish")
    assert {"chat.postMessage", "conversations.open", "views.publish"} <= called
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    for method in sorted(called):
        assert method in SCOPES, f"{method}: add its scope to this test and the manifest"
        needed = SCOPES[method]
        if needed:
            assert needed <= scopes, f"{method} needs {needed - scopes}"
    unused = scopes - {"commands"} - {s for v in SCOPES.values() if v for s in v}
    assert not unused, f"scopes nothing uses: {unused}"


def test_readme_documents_the_new_features() -> None:
    readme = Path(ROOT / "README.md").read_text(encoding="utf-8")
    for needle in ("App Home", "/anfrage kalender", "/anfrage folgen", "im:write", "ical"):
        assert needle in readme, needle
