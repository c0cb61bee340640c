"""The installed `anfragebot` command, run as a user would: a real process, real servers."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.demo.server import FeedReply as Reply
from bot.demo.server import FeedServer
from tests.fake_slack import FakeSlack
from tests.rvr_feed import standard_rvr

EXE = str(Path(sys.executable).with_name("anfragebot"))


def run(
    args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {
        k: v for k, v in os.environ.items() if not k.startswith("SLACK_") and k != "DATABASE_URL"
    }
    full_env.update(env or {})
    return subprocess.run(
        [EXE, *args], capture_output=True, text=True, timeout=120, env=full_env, cwd=cwd
    )


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[[sources]]\nname = "rvr"\nurl = "ftp://x"\n', "sources[0].url"),
        (
            '[[sources]]\nname = "rvr"\nurl = "https://x/oparl"\nrequests_per_second = "fast"\n',
            "sources[0].requests_per_second",
        ),
        ("[slack]\nannounce_max_age_days = -1\n", "slack.announce_max_age_days"),
        ('[reminders]\nlead_times = ["zwei Tage"]\n', "reminders.lead_times"),
        ('[reminders]\ntimezone = "Mars/Olympus"\n', "reminders.timezone"),
        ("poll_minutes = 0\n", "poll_minutes"),
        ("[database\nurl = 1", "not valid TOML"),
    ],
)
def test_bad_config_exits_nonzero_with_one_line_naming_the_key(
    tmp_path: Path, toml: str, key: str
) -> None:
    cfg = write_config(tmp_path, toml)
    result = run(["--config", str(cfg), "poll", "--once"])
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and key in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_example_config_is_valid(tmp_path: Path) -> None:
    from bot.config import load_config
    from tests.paths import ROOT

    config = load_config(ROOT / "config.example.toml", {})
    assert config.sources[0].url == "https://ruhrparlament.de/oparl"
    assert config.slack.channel == "C0123456789" and config.slack.announce_max_age_days == 14
    assert str(config.reminders.timezone) == "Europe/Berlin"


def test_env_overrides(tmp_path: Path) -> None:
    from bot.config import load_config

    cfg = write_config(
        tmp_path, '[database]\nurl = "sqlite:///a.db"\n[slack]\napi_url = "http://a/api"\n'
    )
    config = load_config(
        cfg,
        {
            "DATABASE_URL": "sqlite:///b.db",
            "SLACK_API_URL": "http://b/api/",
            "SLACK_BOT_TOKEN": "xoxb-1",
        },
    )
    assert config.database_url == "sqlite:///b.db"
    assert config.slack.api_url == "http://b/api/"
    assert config.slack.bot_token == "xoxb-1" and "xoxb-1" not in repr(config)


def test_poll_once_posts_through_env_contract(
    tmp_path: Path, feed: FeedServer, slack: FakeSlack
) -> None:
    rvr = standard_rvr(feed.base_url, date(2025, 1, 10))
    feed.routes.update(rvr.routes())
    cfg = write_config(
        tmp_path,
        f'''
[database]
url = "sqlite:///{tmp_path / "x.db"}"
[[sources]]
name = "rvr"
url = "{rvr.system_url}"
requests_per_second = 0
[slack]
channel = "C0123456789"
announce_max_age_days = 14
[reminders]
lead_times = ["2d"]
timezone = "Europe/Berlin"
''',
    )
    env = {
        "SLACK_BOT_TOKEN": "xoxb-secret-token",
        "SLACK_API_URL": slack.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'env.db'}",
    }
    first = run(["--config", str(cfg), "poll", "--once", "--now", "2025-01-10T09:00:00"], env)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "env.db").exists() and not (tmp_path / "x.db").exists()
    assert [p["channel"] for p in slack.announcements()] == ["C0123456789"]
    everything = len(slack.posts())
    assert (
        slack.calls_to("chat.postMessage")[0].headers["Authorization"] == "Bearer xoxb-secret-token"
    )
    second = run(["--config", str(cfg), "poll", "--once", "--now", "2025-01-10T09:15:00"], env)
    assert second.returncode == 0 and len(slack.posts()) == everything
    assert "xoxb-secret-token" not in first.stderr + second.stderr

    status = run(["--config", str(cfg), "status"], env)
    assert status.returncode == 0
    assert "rvr: letzter Erfolg 10.01.2025 09:15" in status.stdout
    assert "gesendet, 0 ausstehend, 0 geparkt" in status.stdout


def test_failed_source_exits_one_and_names_the_reason(tmp_path: Path, feed: FeedServer) -> None:
    # Issue 11 changed this from exit 0: when every source failed, cron must mail someone.
    feed.hook = lambda path: Reply(status=200, body=b"<html>Wartungsarbeiten</html>")
    cfg = write_config(
        tmp_path,
        f'[database]\nurl = "sqlite:///{tmp_path / "x.db"}"\n'
        f'[[sources]]\nname = "rvr"\nurl = "{feed.base_url}/oparl/system"\n'
        "requests_per_second = 0\n",
    )
    result = run(["--config", str(cfg), "poll", "--once"])
    assert result.returncode == 1
    assert "source rvr failed" in result.stderr and "HTML instead of JSON" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_prints_the_announcements() -> None:
    result = run(["demo"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("--- Nachricht an #anfragen-demo ---") == 2
    assert "Neue Anfrage 14/2101" in result.stdout
    assert "Zweiter Lauf: 0 Nachrichten" in result.stdout
