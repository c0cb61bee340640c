"""Shared fixtures: real local servers (OParl, Slack), real SQLite and PostgreSQL databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.demo.server import FeedServer
from tests.fake_slack import FakeSlack
from tests.paths import ROOT, SHARED  # noqa: E402,F401

PG_URL = os.environ.get(
    "ANFRAGEBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PG_REQUIRED = os.environ.get("ANFRAGEBOT_REQUIRE_POSTGRES") == "1"

# slack_sdk and httpx honour proxy variables even for 127.0.0.1: tests talk to local servers only.
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_var, None)
os.environ["NO_PROXY"] = "127.0.0.1,localhost"
for _var in (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "DATABASE_URL",
    "SLACK_API_URL",
):
    os.environ.pop(_var, None)


def _pg_problem() -> str | None:
    try:
        import psycopg

        dsn = PG_URL.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, connect_timeout=3):
            return None
    except Exception as e:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(e).__name__}: {e}".splitlines()[0]


_PG_PROBLEM = _pg_problem()


def postgres_url() -> str:
    """A fresh schema in the test database, so tests (and parallel runs) never share tables."""
    if _PG_PROBLEM:
        message = f"PostgreSQL not reachable at {PG_URL}: {_PG_PROBLEM}"
        if PG_REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    dsn = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    _created_schemas.append(schema)
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


_created_schemas: list[str] = []


@pytest.fixture(scope="session", autouse=True)
def _drop_pg_schemas() -> Iterator[None]:
    yield
    if _created_schemas and not _PG_PROBLEM:
        import psycopg

        dsn = PG_URL.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True) as conn:
            for schema in _created_schemas:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def pytest_report_header() -> list[str]:
    state = "reachable" if not _PG_PROBLEM else f"NOT reachable ({_PG_PROBLEM})"
    return [f"PostgreSQL at {PG_URL}: {state}" + (" (required)" if PG_REQUIRED else "")]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bot.db'}"
    return postgres_url()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
def pg_url() -> str:
    return postgres_url()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    yield fake
    fake.stop()


@pytest.fixture
def feed() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server
