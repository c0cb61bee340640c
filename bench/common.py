"""Shared pieces of the benchmark suite: machine facts, the local feed server, scaled feeds,
PostgreSQL scratch schemas and peak-memory readings.

Every benchmark measures its figure against a baseline taken in the same run on the same
machine, so the ratios mean something even when the absolute numbers do not travel.
"""

from __future__ import annotations

import json
import os
import platform
import re
import sqlite3
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.demo.server import FeedServer  # noqa: E402

PG_URL = os.environ.get(
    "ANFRAGEBOT_BENCH_POSTGRES_URL",
    os.environ.get(
        "ANFRAGEBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
)

# Local servers only: proxies must never see benchmark traffic.
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_var, None)
os.environ["NO_PROXY"] = "127.0.0.1,localhost"


def peak_rss_mb() -> float:
    """Peak resident set size of this process (VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def postgres_version() -> str | None:
    try:
        import psycopg

        with psycopg.connect(pg_dsn(), connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else None
    except Exception:  # noqa: BLE001 - "not reachable" is an answer here
        return None


def machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "ram_gb": round(_ram_gb(), 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version(),
        "platform": platform.platform(),
    }


# -- PostgreSQL scratch schemas ---------------------------------------------------------------


def pg_dsn() -> str:
    return PG_URL.replace("postgresql+psycopg://", "postgresql://")


@contextmanager
def pg_schema() -> Iterator[str]:
    """A fresh schema in the benchmark database, dropped afterwards; yields its SQLAlchemy URL."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        sep = "&" if "?" in PG_URL else "?"
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(pg_dsn(), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# -- feeds ------------------------------------------------------------------------------------


def keepalive_server(routes: dict[str, bytes] | None = None) -> FeedServer:
    """The tests' FeedServer, speaking HTTP/1.1 so clients keep their connection open (as real
    RIS servers do); it always sends Content-Length, which is all keep-alive needs."""
    server = FeedServer(routes)
    handler = server.httpd.RequestHandlerClass
    handler.protocol_version = "HTTP/1.1"  # type: ignore[attr-defined]
    # Headers and body are written separately: without TCP_NODELAY, Nagle + delayed ACK add
    # ~40 ms to every keep-alive response.
    handler.disable_nagle_algorithm = True  # type: ignore[attr-defined]
    return server


_PAGE = re.compile(r"paper\?page=(\d+)")
_LAST = re.compile(r'("last"\s*:\s*"[^"]*paper\?page=)\d+')


def huertgenwald_routes(base_url: str, papers: int | None = None) -> tuple[dict[str, bytes], int]:
    """The real Hürtgenwald crawl; with `papers`, its paper list repeated under new ids until
    at least that many papers exist (files and consultations get new ids too; meetings and
    organizations are shared). Returns (routes, number of paper objects)."""
    from tests import huertgenwald

    routes = huertgenwald.routes(base_url)
    prefix = huertgenwald.LOCAL_PATH + "body/1/paper"
    base_pages: dict[int, str] = {}
    for path, body in routes.items():
        if path == prefix:
            base_pages[1] = body.decode("utf-8")
        elif path.startswith(prefix + "?page="):
            base_pages[int(path.rsplit("=", 1)[1])] = body.decode("utf-8")
    per_copy = sum(len(json.loads(t)["data"]) for t in base_pages.values())
    if papers is None or papers <= per_copy:
        return routes, per_copy
    n_base = max(base_pages)
    copies = -(-papers // per_copy)
    total_pages = copies * n_base
    for path in [p for p in routes if p == prefix or p.startswith(prefix + "?")]:
        del routes[path]
    for k in range(copies):
        for p, text in base_pages.items():
            body = text
            if k:
                for kind in ("paper", "file", "consultation"):
                    body = body.replace(f"/body/1/{kind}/", f"/body/1/{kind}/c{k}x")
            body = _PAGE.sub(lambda m, k=k: f"paper?page={int(m.group(1)) + k * n_base}", body)
            body = _LAST.sub(lambda m: f"{m.group(1)}{total_pages}", body)
            if k < copies - 1 and p == n_base:
                # The copy's last page links on to the next copy's first page.
                data = json.loads(body)
                data.setdefault("links", {})["next"] = (
                    f"{base_url}{prefix}?page={(k + 1) * n_base + 1}"
                )
                body = json.dumps(data, ensure_ascii=False)
            raw = body.encode("utf-8")
            routes[f"{prefix}?page={p + k * n_base}"] = raw
            if k == 0 and p == 1:
                routes[prefix] = raw
    return routes, per_copy * copies


def md_table(header: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)
