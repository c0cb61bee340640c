"""The strict loader and SQLite path resolution (issue 11, item 1), below the command line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import config_from_dict, load_config, resolve_sqlite_path, unknown_keys
from bot.errors import ConfigError
from tests.paths import ROOT


def test_every_key_the_example_documents_is_known_even_the_commented_ones(tmp_path: Path) -> None:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    # `# api_url = "…"`, `# pace_seconds = 1.0`, `# morning_of = false`: documented optional keys.
    uncommented = re.sub(r"(?m)^# (\w+ = )", r"\1", text)
    assert uncommented != text
    path = tmp_path / "config.toml"
    path.write_text(uncommented, encoding="utf-8")
    config = load_config(path, {})
    assert config.slack.pace_seconds == 1.0 and config.reminders.morning_of is False


def test_all_unknown_keys_are_named_in_one_message() -> None:
    data = {
        "poll_minute": 5,
        "slak": {"channel": "C1"},
        "source": [{"name": "a", "url": "https://x"}],
        "slack": {"chanel": "C1"},
        "sources": [{"name": "a", "url": "https://x"}, {"name": "b", "url": "https://y", "x": 1}],
    }
    problems = unknown_keys(data)
    assert problems == [
        "unknown key poll_minute (did you mean poll_minutes?)",
        "unknown table [slak] (did you mean [slack]?)",
        "unknown table [[source]] (did you mean [[sources]]?)",
        "unknown key sources[1].x",
        "unknown key slack.chanel (did you mean slack.channel?)",
    ]
    with pytest.raises(ConfigError) as e:
        config_from_dict(data, {})
    assert "\n" not in str(e.value) and str(e.value) == "; ".join(problems)


def test_known_keys_pass() -> None:
    assert unknown_keys({"slack": {"channel": "C1"}, "database": {"instance": "a"}}) == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///anfragebot.db", "sqlite:////etc/bot/anfragebot.db"),
        ("sqlite:///data/bot.db", "sqlite:////etc/bot/data/bot.db"),
        ("sqlite+pysqlite:///bot.db", "sqlite+pysqlite:////etc/bot/bot.db"),
        ("sqlite:////var/lib/bot.db", "sqlite:////var/lib/bot.db"),
        ("sqlite://", "sqlite://"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
        ("postgresql+psycopg://u:pw@db/bot", "postgresql+psycopg://u:pw@db/bot"),
        ("not a url", "not a url"),
    ],
)
def test_relative_sqlite_paths_resolve_against_the_config_directory(
    url: str, expected: str
) -> None:
    assert resolve_sqlite_path(url, Path("/etc/bot")) == expected


def test_environment_database_url_is_used_as_given(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("", encoding="utf-8")
    assert load_config(path, {}).database_url == f"sqlite:///{tmp_path / 'anfragebot.db'}"
    env = {"DATABASE_URL": "sqlite:///here.db"}
    assert load_config(path, env).database_url == "sqlite:///here.db"
