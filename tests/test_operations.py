"""Issue 11, operator safety, through the installed `anfragebot` command as a user meets it:
strict configuration, no token, `--dry-run`, one database whatever the working directory,
`check`, `--version`, exit codes and an honest `status`."""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from importlib.metadata import version
from pathlib import Path

import pytest

from bot.demo.server import FeedReply as Reply
from bot.demo.server import FeedServer
from tests.fake_slack import FakeSlack, Fault
from tests.rvr_feed import RvrFeed, standard_rvr
from tests.test_cli import run, write_config

NOW = "2025-01-10T09:00:00"
LATER = "2025-01-10T09:15:00"
CHANNEL = "C0123456789"


def rvr_config(tmp_path: Path, rvr: RvrFeed, *, db: str | None = None, extra: str = "") -> Path:
    url = db if db is not None else f"sqlite:///{tmp_path / 'bot.db'}"
    return write_config(
        tmp_path,
        f'[database]\nurl = "{url}"\n'
        f'[[sources]]\nname = "rvr"\nurl = "{rvr.system_url}"\nrequests_per_second = 0\n'
        f'[slack]\nchannel = "{CHANNEL}"\nannounce_max_age_days = 14\npace_seconds = 0\n' + extra,
    )


@pytest.fixture
def rvr(feed: FeedServer) -> RvrFeed:
    scenario = standard_rvr(feed.base_url, date(2025, 1, 10))
    feed.routes.update(scenario.routes())
    return scenario


def slack_env(slack: FakeSlack, token: str | None = "xoxb-ops-test") -> dict[str, str]:
    env = {"SLACK_API_URL": slack.base_url}
    if token:
        env["SLACK_BOT_TOKEN"] = token
    return env


def delivery_rows(db: Path) -> list[tuple[str, str, str, str | None]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT kind, key, status, ts FROM deliveries ORDER BY kind, key"))


def announced_keys(slack: FakeSlack) -> list[str]:
    return sorted(p["metadata"]["event_payload"]["key"] for p in slack.announcements())


# -- 1. strict configuration ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "named", "suggested"),
    [
        ('[slack]\nchanel = "C0123456789"\n', "slack.chanel", "slack.channel"),
        ('[[source]]\nname = "rvr"\nurl = "https://x/oparl"\n', "[[source]]", "[[sources]]"),
        ('[slak]\nchannel = "C0123456789"\n', "[slak]", "[slack]"),
        ("poll_minute = 5\n", "poll_minute", "poll_minutes"),
        (
            '[[sources]]\nname = "rvr"\nurl = "https://x/oparl"\ntimeout_secs = 5\n',
            "sources[0].timeout_secs",
            "sources[0].timeout_seconds",
        ),
        ("[database]\nfile = 'x.db'\n", "database.file", None),
    ],
)
def test_unknown_key_exits_2_naming_it_with_a_suggestion(
    tmp_path: Path, toml: str, named: str, suggested: str | None
) -> None:
    cfg = write_config(tmp_path, toml)
    result = run(["--config", str(cfg), "poll", "--once"], cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert named in lines[0]
    if suggested:
        assert f"did you mean {suggested}?" in lines[0]
    else:
        assert "did you mean" not in lines[0]
    assert not (tmp_path / "anfragebot.db").exists()


def test_keys_other_features_read_are_known(tmp_path: Path) -> None:
    from bot.config import load_config

    cfg = write_config(
        tmp_path,
        '[database]\nurl = "sqlite:///x.db"\ninstance = "fraktion-a"\n'
        '[[sources]]\nname = "rvr"\nurl = "https://x/oparl"\n'
        'document_hosts = ["files.example.org"]\n',
    )
    assert load_config(cfg, {}).sources[0].name == "rvr"


@pytest.mark.parametrize("command", [["poll", "--once"], ["run"], ["remind", "--once"], ["serve"]])
def test_missing_config_file_exits_2_saying_how_to_create_one(
    tmp_path: Path, command: list[str]
) -> None:
    result = run(command, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cp config.example.toml config.toml" in lines[0]
    assert list(tmp_path.iterdir()) == []  # no database created wherever it was started


def test_config_toml_in_the_working_directory_is_found(tmp_path: Path, rvr: RvrFeed) -> None:
    rvr_config(tmp_path, rvr)
    result = run(["poll", "--once", "--now", NOW], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "bot.db").exists()


def test_version_parse_and_demo_need_no_config(tmp_path: Path) -> None:
    result = run(["--version"], cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"anfragebot {version('anfragebot')}"
    assert re.fullmatch(r"anfragebot \d+\.\d+\.\d+\S*", result.stdout.strip())
    text = tmp_path / "anfrage.txt"
    text.write_text("Anfrage der Fraktion Die Linke\n\n1. Wie viele Radwege gibt es?\n")
    parse = run(["parse", str(text)], cwd=tmp_path)
    assert parse.returncode == 0, parse.stderr
    assert "Wie viele Radwege gibt es?" in parse.stdout
    demo = run(["demo"], cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert list(tmp_path.iterdir()) == [text]  # neither created a database here


# -- relative SQLite paths -----------------------------------------------------------------------


def test_same_config_from_two_working_directories_uses_one_database(
    tmp_path: Path, rvr: RvrFeed, slack: FakeSlack
) -> None:
    home = tmp_path / "etc"
    home.mkdir()
    cfg = rvr_config(home, rvr, db="sqlite:///anfragebot.db")
    shell, cron = tmp_path / "shell", tmp_path / "cron"
    shell.mkdir()
    cron.mkdir()
    env = slack_env(slack)
    first = run(["--config", str(cfg), "poll", "--once", "--now", NOW], env, cwd=shell)
    assert first.returncode == 0, first.stderr
    posted = len(slack.posts())
    assert announced_keys(slack) == ["announce:" + f"{rvr.body}/paper/1923"]
    second = run(
        ["--config", "../etc/config.toml", "poll", "--once", "--now", LATER], env, cwd=cron
    )
    assert second.returncode == 0, second.stderr
    assert len(slack.posts()) == posted  # nothing twice
    assert (home / "anfragebot.db").exists()
    assert not (shell / "anfragebot.db").exists() and not (cron / "anfragebot.db").exists()


# -- 2. no token, nothing used up ----------------------------------------------------------------


def test_no_token_leaves_everything_pending_then_the_token_delivers_it_once(
    tmp_path: Path, rvr: RvrFeed, slack: FakeSlack
) -> None:
    cfg = rvr_config(tmp_path, rvr)
    without = run(["--config", str(cfg), "poll", "--once", "--now", NOW], slack_env(slack, None))
    assert without.returncode == 0, without.stderr
    warnings = [line for line in without.stderr.splitlines() if "SLACK_BOT_TOKEN" in line]
    assert len(warnings) == 1 and "stay pending" in warnings[0]
    assert slack.calls == []  # nothing reached Slack …
    rows = delivery_rows(tmp_path / "bot.db")
    assert rows and all(status != "sent" or ts is None for _, _, status, ts in rows)
    assert ("announce", f"{rvr.body}/paper/1923", "pending", None) in rows  # … and nothing used up
    status = run(["--config", str(cfg), "status"], slack_env(slack, None))
    assert "0 gesendet, " in status.stdout and "SLACK_BOT_TOKEN ist nicht gesetzt" in status.stdout

    # The same feed delivered by a setup that had the token from the start: the reference.
    reference = FakeSlack()
    try:
        ref_dir = tmp_path / "reference"
        ref_dir.mkdir()
        ref_cfg = rvr_config(ref_dir, rvr)
        done = run(
            ["--config", str(ref_cfg), "poll", "--once", "--now", LATER], slack_env(reference)
        )
        assert done.returncode == 0, done.stderr
        expected = sorted(p["metadata"]["event_payload"]["key"] for p in reference.posts())
    finally:
        reference.stop()

    env = slack_env(slack)
    with_token = run(["--config", str(cfg), "poll", "--once", "--now", LATER], env)
    assert with_token.returncode == 0, with_token.stderr
    sent = sorted(p["metadata"]["event_payload"]["key"] for p in slack.posts())
    assert sent == expected and len(set(sent)) == len(sent)
    again = run(["--config", str(cfg), "poll", "--once", "--now", "2025-01-10T09:30:00"], env)
    assert again.returncode == 0 and len(slack.posts()) == len(sent)
    rows = delivery_rows(tmp_path / "bot.db")
    assert ("announce", f"{rvr.body}/paper/1923", "sent") in [r[:3] for r in rows]


def test_dry_run_prints_what_would_be_posted_and_changes_no_delivery_state(
    tmp_path: Path, rvr: RvrFeed, slack: FakeSlack
) -> None:
    cfg = rvr_config(tmp_path, rvr)
    env = slack_env(slack)
    dry = run(["--config", str(cfg), "poll", "--once", "--dry-run", "--now", NOW], env)
    assert dry.returncode == 0, dry.stderr
    assert f"--- Probelauf: Nachricht an {CHANNEL} ---" in dry.stdout
    assert "14 / 1923" in dry.stdout or "14/1923" in dry.stdout
    assert "Probelauf: 1 Nachricht(en) würden gesendet" in dry.stdout
    assert slack.calls == []
    assert delivery_rows(tmp_path / "bot.db") == []
    again = run(["--config", str(cfg), "poll", "--once", "--dry-run", "--now", NOW], env)
    assert again.stdout.count("--- Probelauf: Nachricht an") == 1 and slack.calls == []

    real = run(["--config", str(cfg), "poll", "--once", "--now", NOW], env)
    assert real.returncode == 0, real.stderr
    assert announced_keys(slack) == ["announce:" + f"{rvr.body}/paper/1923"]


def test_dry_run_of_rows_already_pending_leaves_them_pending(
    tmp_path: Path, rvr: RvrFeed, slack: FakeSlack
) -> None:
    cfg = rvr_config(tmp_path, rvr)
    run(["--config", str(cfg), "poll", "--once", "--now", NOW], slack_env(slack, None))
    before = delivery_rows(tmp_path / "bot.db")
    dry = run(
        ["--config", str(cfg), "poll", "--once", "--dry-run", "--now", LATER], slack_env(slack)
    )
    assert dry.returncode == 0, dry.stderr
    assert f"--- Probelauf: Nachricht an {CHANNEL} ---" in dry.stdout
    assert delivery_rows(tmp_path / "bot.db") == before and slack.calls == []


def test_dry_run_shows_the_thread_reply_and_parent_update_an_answer_would_bring(
    tmp_path: Path, rvr: RvrFeed, feed: FeedServer, slack: FakeSlack
) -> None:
    cfg = rvr_config(tmp_path, rvr)
    env = slack_env(slack)
    assert run(["--config", str(cfg), "poll", "--once", "--now", NOW], env).returncode == 0
    rvr.add_paper(
        1951,
        "14/1951",
        "Beantwortung der Anfrage 14/1923",
        "Beantwortung einer Anfrage",
        "2025-01-20",
    )
    feed.routes.update(rvr.routes())
    calls, rows = len(slack.calls), delivery_rows(tmp_path / "bot.db")
    answered = "2025-01-21T09:00:00"
    dry = run(["--config", str(cfg), "poll", "--once", "--dry-run", "--now", answered], env)
    assert dry.returncode == 0, dry.stderr
    assert f"Nachricht an {CHANNEL} (Antwort im Thread " in dry.stdout
    assert f"Nachricht an {CHANNEL} (Aktualisierung von " in dry.stdout
    assert "Probelauf: 2 Nachricht(en) würden gesendet" in dry.stdout
    assert len(slack.calls) == calls and delivery_rows(tmp_path / "bot.db") == rows

    real = run(["--config", str(cfg), "poll", "--once", "--now", answered], env)
    assert real.returncode == 0, real.stderr
    new = slack.calls[calls:]
    assert [c.method for c in new if c.method.startswith("chat.")] == [
        "chat.postMessage",
        "chat.update",
    ]


# -- 3. check ------------------------------------------------------------------------------------


def check_env(slack: FakeSlack, **extra: str) -> dict[str, str]:
    return {**slack_env(slack), **extra}


def marks(stdout: str) -> list[str]:
    lines = stdout.strip().splitlines()
    assert lines and all(line[:2] in ("✓ ", "✗ ") for line in lines), stdout
    return lines


def test_check_all_good(tmp_path: Path, rvr: RvrFeed, slack: FakeSlack) -> None:
    slack.socket_url = "ws://127.0.0.1:9/socket"
    cfg = rvr_config(tmp_path, rvr)
    env = check_env(slack, SLACK_APP_TOKEN="xapp-1-test", SLACK_SIGNING_SECRET="s3cr3t")
    result = run(["--config", str(cfg), "check", "--http"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = marks(result.stdout)
    assert all(line.startswith("✓") for line in lines)
    text = "\n".join(lines)
    assert "configuration:" in text and "database:" in text and "schema at revision" in text
    assert re.search(r"source rvr: OParl 1\.\d", text)
    assert "SLACK_BOT_TOKEN: valid" in text
    assert f"channel {CHANNEL}" in text and "is a member" in text
    assert "SLACK_APP_TOKEN" in text and "SLACK_SIGNING_SECRET" in text
    assert [c.method for c in slack.calls].count("chat.postMessage") == 0
    assert {"auth.test", "conversations.info", "apps.connections.open"} <= {
        c.method for c in slack.calls
    }
    assert "xoxb-ops-test" not in result.stdout + result.stderr


def test_check_bad_feed_names_the_source(
    tmp_path: Path, feed: FeedServer, slack: FakeSlack
) -> None:
    feed.hook = lambda path: Reply(status=200, body=b"<html>Wartungsarbeiten</html>")
    cfg = write_config(
        tmp_path,
        f'[[sources]]\nname = "kaputt"\nurl = "{feed.base_url}/oparl/system"\n'
        f'requests_per_second = 0\n[slack]\nchannel = "{CHANNEL}"\n',
    )
    result = run(["--config", str(cfg), "check"], check_env(slack))
    assert result.returncode == 1
    failing = [line for line in marks(result.stdout) if line.startswith("✗")]
    assert len(failing) == 1 and "source kaputt" in failing[0] and "HTML" in failing[0]
    assert "Traceback" not in result.stderr


def test_check_without_token_names_the_variable(tmp_path: Path, rvr: RvrFeed) -> None:
    cfg = rvr_config(tmp_path, rvr)
    result = run(["--config", str(cfg), "check"])
    assert result.returncode == 1
    failing = [line for line in marks(result.stdout) if line.startswith("✗")]
    assert len(failing) == 1 and "SLACK_BOT_TOKEN: not set" in failing[0]


def test_check_reports_channels_the_bot_is_not_in_and_bad_tokens(
    tmp_path: Path, rvr: RvrFeed, slack: FakeSlack
) -> None:
    slack.not_member.add(CHANNEL)
    cfg = rvr_config(tmp_path, rvr)
    result = run(["--config", str(cfg), "check", "--http"], check_env(slack))
    assert result.returncode == 1
    failing = [line for line in marks(result.stdout) if line.startswith("✗")]
    assert any(f"channel {CHANNEL}" in line and "not a member" in line for line in failing)
    assert any("SLACK_SIGNING_SECRET: not set" in line for line in failing)

    slack.faults.append(Fault(method="auth.test", error="invalid_auth"))
    slack.faults.append(Fault(method="apps.connections.open", error="not_allowed"))
    bad = run(["--config", str(cfg), "check"], check_env(slack, SLACK_APP_TOKEN="xapp-1-x"))
    failing = [line for line in marks(bad.stdout) if line.startswith("✗")]
    assert bad.returncode == 1
    assert any("SLACK_BOT_TOKEN" in line and "invalid_auth" in line for line in failing)
    assert any("SLACK_APP_TOKEN" in line and "not_allowed" in line for line in failing)


def test_check_bad_config_is_one_failing_line(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, '[slack]\nchanel = "C1"\n')
    result = run(["--config", str(cfg), "check"])
    assert result.returncode == 1
    assert marks(result.stdout) == [
        f"✗ configuration: {cfg}: unknown key slack.chanel (did you mean slack.channel?)"
    ]


def test_check_shows_the_quirks_a_sync_detected(
    tmp_path: Path, rvr: RvrFeed, slack: FakeSlack
) -> None:
    cfg = rvr_config(tmp_path, rvr)
    first = run(["--config", str(cfg), "poll", "--once", "--now", NOW], slack_env(slack))
    assert first.returncode == 0, first.stderr
    with sqlite3.connect(tmp_path / "bot.db") as conn:
        conn.execute("UPDATE list_state SET mode = 'tail' WHERE url LIKE '%paper%'")
    result = run(["--config", str(cfg), "check"], check_env(slack))
    source_line = next(line for line in marks(result.stdout) if "source rvr" in line)
    assert "synced" in source_line and "ignores modified_since" in source_line
    assert "papers" in source_line


# -- 5. exit codes -------------------------------------------------------------------------------


def test_exit_1_only_when_every_source_failed(
    tmp_path: Path, rvr: RvrFeed, feed: FeedServer, slack: FakeSlack
) -> None:
    broken = f"{feed.base_url}/kaputt/system"
    feed.hook = lambda path: Reply(status=404, body=b"gone") if path.startswith("/kaputt") else None
    cfg = rvr_config(
        tmp_path,
        rvr,
        extra=f'[[sources]]\nname = "kaputt"\nurl = "{broken}"\nrequests_per_second = 0\n',
    )
    one_failed = run(["--config", str(cfg), "poll", "--once", "--now", NOW], slack_env(slack))
    assert one_failed.returncode == 0, one_failed.stderr
    assert "source kaputt failed" in one_failed.stderr

    only_broken = write_config(
        tmp_path,
        f'[database]\nurl = "sqlite:///{tmp_path / "b.db"}"\n'
        f'[[sources]]\nname = "kaputt"\nurl = "{broken}"\nrequests_per_second = 0\n',
    )
    all_failed = run(["--config", str(only_broken), "poll", "--once"], slack_env(slack))
    assert all_failed.returncode == 1
    assert "every source failed (kaputt)" in all_failed.stderr


def test_exit_1_when_a_delivery_was_parked_in_this_run(
    tmp_path: Path, rvr: RvrFeed, slack: FakeSlack
) -> None:
    slack.faults.append(Fault(method="chat.postMessage", error="not_in_channel"))
    cfg = rvr_config(tmp_path, rvr)
    env = slack_env(slack)
    parked = run(["--config", str(cfg), "poll", "--once", "--now", NOW], env)
    assert parked.returncode == 1, parked.stderr
    assert "parked" in parked.stderr
    status = run(["--config", str(cfg), "status"], env)
    assert "1 geparkt" in status.stdout
    calm = run(["--config", str(cfg), "poll", "--once", "--now", LATER], env)
    assert calm.returncode == 0, calm.stderr  # parked earlier, nothing new parked now


def test_exit_2_for_usage_and_for_nothing_to_poll(tmp_path: Path) -> None:
    assert run(["poll"], cwd=tmp_path).returncode == 2  # --once missing
    assert run(["frobnicate"], cwd=tmp_path).returncode == 2
    cfg = write_config(tmp_path, '[slack]\nchannel = "C1"\n')
    empty = run(["--config", str(cfg), "poll", "--once"])
    assert empty.returncode == 2 and "no [[sources]]" in empty.stderr


# -- 9. honest status and visible long work ------------------------------------------------------


def test_status_lists_configured_sources_before_their_first_sync(
    tmp_path: Path, rvr: RvrFeed
) -> None:
    cfg = rvr_config(tmp_path, rvr)
    # `check` (the README's first step) creates the database; `status` itself creates none.
    assert run(["--config", str(cfg), "status"]).returncode == 2
    run(["--config", str(cfg), "check"])
    status = run(["--config", str(cfg), "status"])
    assert status.returncode == 0, status.stderr
    assert "  rvr: noch nicht abgerufen" in status.stdout


def test_status_counts_as_sent_only_what_slack_accepted(
    tmp_path: Path, rvr: RvrFeed, slack: FakeSlack
) -> None:
    cfg = rvr_config(tmp_path, rvr)
    env = slack_env(slack)
    run(["--config", str(cfg), "poll", "--once", "--now", NOW], env)
    rows = delivery_rows(tmp_path / "bot.db")
    told_silently = [r for r in rows if r[2] == "sent" and r[3] is None]
    assert told_silently, rows  # the first sync records events without posting them
    accepted = len(slack.posts()) + len(slack.calls_to("chat.update"))
    status = run(["--config", str(cfg), "status"], env)
    assert f"Zustellungen: {accepted} gesendet, 0 ausstehend, 0 geparkt" in status.stdout
    assert f"{len(told_silently)} übersprungen" in status.stdout


def test_log_lines_carry_the_zone_and_held_back_anfragen_are_counted(
    tmp_path: Path, rvr: RvrFeed, slack: FakeSlack
) -> None:
    cfg = rvr_config(tmp_path, rvr)
    result = run(["--config", str(cfg), "poll", "--once", "--now", NOW], slack_env(slack))
    lines = result.stderr.strip().splitlines()
    assert lines
    stamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d (INFO|WARNING|ERROR) ")
    assert all(stamp.match(line) for line in lines), lines
    # 14/1800 (June 2024) is older than announce_max_age_days = 14 on the first sync.
    assert any(
        "source rvr: 1 Anfragen older than announce_max_age_days (14) held back" in line
        for line in lines
    )
