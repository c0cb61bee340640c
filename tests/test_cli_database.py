"""Read-only commands (`status`, `lookup`, `ical`, `requeue`) never create a database: without
one they say so in one line and exit 2, leaving the directory as it was. `poll`, `run` and
`serve` still create it on a fresh machine (README Quickstart)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.demo.server import FeedServer
from tests.rvr_feed import RvrFeed
from tests.test_cli import run, write_config
from tests.test_operations import rvr, rvr_config  # noqa: F401 - rvr is a fixture

READ_ONLY = [["status"], ["lookup", "14/1923"], ["ical"], ["requeue"]]


@pytest.mark.parametrize("args", READ_ONLY, ids=lambda a: a[0])
def test_without_config_and_database_url_nothing_is_created(
    tmp_path: Path, args: list[str]
) -> None:
    result = run(args, cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    [line] = result.stderr.strip().splitlines()
    assert line == (
        "anfragebot: no database configured (no config file, no DATABASE_URL) and "
        f"{tmp_path / 'anfragebot.db'} does not exist: pass --config PATH or set DATABASE_URL"
    )
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []  # no anfragebot.db, no lock file


@pytest.mark.parametrize("args", READ_ONLY, ids=lambda a: a[0])
def test_a_configured_database_that_does_not_exist_is_named(
    tmp_path: Path, args: list[str]
) -> None:
    missing = tmp_path / "data" / "bot.db"
    (tmp_path / "data").mkdir()
    cfg = write_config(tmp_path, f'[database]\nurl = "sqlite:///{missing}"\n')
    result = run(["--config", str(cfg), *args], cwd=tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"anfragebot: database not found: {missing} (")
    assert not missing.exists() and list((tmp_path / "data").iterdir()) == []
    # DATABASE_URL pointing nowhere: the same line, with the path it names.
    env_db = tmp_path / "env.db"
    result = run(args, {"DATABASE_URL": f"sqlite:///{env_db}"}, cwd=tmp_path)
    assert result.returncode == 2
    assert f"database not found: {env_db}" in result.stderr
    assert not env_db.exists()


def test_read_only_commands_work_once_the_database_exists(
    tmp_path: Path,
    rvr: RvrFeed,  # noqa: F811 - the fixture
) -> None:
    cfg = rvr_config(tmp_path, rvr)
    db = tmp_path / "bot.db"
    before = run(["--config", str(cfg), "status"])
    assert before.returncode == 2 and not db.exists()
    # The first poll (a fresh machine, no token) creates the database ...
    poll = run(["--config", str(cfg), "poll", "--once", "--now", "2025-01-10T09:00:00"])
    assert poll.returncode == 0, poll.stderr
    assert db.exists()
    # ... and from then on every read-only command reads it.
    status = run(["--config", str(cfg), "status"])
    assert status.returncode == 0, status.stderr
    assert "rvr: letzter Erfolg 10.01.2025 09:00" in status.stdout
    lookup = run(["--config", str(cfg), "lookup", "--now", "2025-01-10T09:00", "14/1923"])
    assert lookup.returncode == 0 and "14/1923" in lookup.stdout
    ical = run(["--config", str(cfg), "ical", "--now", "2025-01-10T09:00"])
    assert ical.returncode == 0 and ical.stdout.startswith("BEGIN:VCALENDAR")
    requeue = run(["--config", str(cfg), "requeue"])
    assert requeue.returncode == 0 and "0 parked" in requeue.stdout


def test_poll_still_creates_the_database_on_a_fresh_machine(
    tmp_path: Path, feed: FeedServer
) -> None:
    """The first command of the README's setup after `check`: `poll --once` in the directory
    of a fresh config.toml (default database url) creates anfragebot.db next to it."""
    write_config(
        tmp_path,
        f'[[sources]]\nname = "rvr"\nurl = "{feed.base_url}/oparl/system"\n'
        "requests_per_second = 0\n",
    )
    result = run(["poll", "--once"], cwd=tmp_path)
    assert result.returncode == 1  # the empty feed server fails: still, the database is made
    db = tmp_path / "anfragebot.db"
    assert db.exists()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
    assert run(["status"], cwd=tmp_path).returncode == 0
