"""Incremental poll when nothing changed: requests per list, against the pages of a full read.

- SD.NET (real Hürtgenwald crawl): honours `modified_since`, 404 for an empty filtered list.
- more! rubin-like (tests/rvr_feed.py, 500 papers, oldest first, 20 per page): `modified` is
  today on every object, so the filter returns everything.
- ALLRIS 4-like: the same feed with every `modified` = 2000-01-01; filters return nothing.

Then three new papers are added to the last two feeds: the next poll must find all of them.

    .venv/bin/python bench/bench_poll.py [--papers 500]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import keepalive_server, md_table  # noqa: E402

from bot.config import SourceConfig  # noqa: E402
from bot.demo.server import FeedReply as Reply  # noqa: E402
from bot.demo.server import FeedServer  # noqa: E402
from bot.store.db import make_engine, migrate, session_factory  # noqa: E402
from tests.rvr_feed import RvrFeed  # noqa: E402

LISTS = ("organization", "meeting", "paper")


class Allris4Feed(RvrFeed):
    def stamp(self) -> str:
        return "2000-01-01T00:00:00+01:00"


def _rubin(base: str, papers: int, *, allris: bool = False) -> RvrFeed:
    cls = Allris4Feed if allris else RvrFeed
    feed = cls(base=base, today=date(2025, 1, 10), page_size=20)
    orgs = [feed.add_org(10 + i, f"Ausschuss {i}") for i in range(30)]
    for i in range(60):
        feed.add_meeting(500 + i, orgs[i % 30], f"2024-{1 + i % 12:02d}-10T15:00:00+01:00")
    for i in range(papers):
        _paper(feed, 1000 + i)
    return feed


def _paper(feed: RvrFeed, num: int) -> None:
    feed.add_paper(
        num, f"14/{num}", f"Vorlage {num}", "Beschlussvorlage", "2024-12-01", text="Text"
    )


def _per_list(requests: list[str]) -> Counter[str]:
    out: Counter[str] = Counter()
    for path in requests:
        for name in LISTS:
            if f"/{name}" in path.split("?")[0]:
                out[name] += 1
                break
        else:
            out["system + body"] += 1
    return out


def _sync(server: FeedServer, system_url: str, db_url: str, now: datetime) -> dict[str, Any]:
    import httpx

    from bot.feed.client import OParlClient
    from jobs.sync import sync_source

    engine = make_engine(db_url)
    migrate(engine)
    before = len(server.requests)
    with httpx.Client(trust_env=False, timeout=10) as http:
        report = sync_source(
            OParlClient(http, requests_per_second=0),
            session_factory(engine),
            SourceConfig(name="bench", url=system_url, requests_per_second=0),
            now=now,
            announce_max_age_days=14,
            clock=lambda: now,
        )
    engine.dispose()
    assert report.ok, report.error
    return {
        "requests": _per_list(server.requests[before:]),
        "new_papers": report.papers.new,
    }


def run_case(name: str, papers: int, tmp: Path) -> dict[str, Any]:
    server = keepalive_server().start()
    try:
        db = f"sqlite:///{tmp / (name + '.db')}"
        t0 = datetime(2025, 1, 10, 8, 0, tzinfo=UTC)
        if name == "sdnet":
            sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
            from tests import huertgenwald

            server.routes.update(huertgenwald.routes(server.base_url))
            system = huertgenwald.system_url(server.base_url)
            feed = None
        else:
            feed = _rubin(server.base_url, papers, allris=name == "allris4")
            server.routes.update(feed.routes())
            system = feed.system_url
        full = _sync(server, system, db, t0)
        if name == "sdnet":
            # SD.NET answers 404 for an empty filtered list.
            server.hook = lambda path: Reply(status=404) if "modified_since=" in path else None
        elif name == "allris4":
            empty = json.dumps({"data": [], "links": {}}).encode()
            server.hook = lambda path: Reply(body=empty) if "modified_since=" in path else None
        idle = _sync(server, system, db, t0 + timedelta(minutes=15))
        result: dict[str, Any] = {"full": full, "idle": idle}
        if feed is not None:
            for num in (9001, 9002, 9003):
                _paper(feed, num)
            server.routes.update(feed.routes())
            result["new"] = _sync(server, system, db, t0 + timedelta(minutes=30))
        return result
    finally:
        server.stop()


def report(results: dict[str, dict[str, Any]], papers: int) -> str:
    lines = ["### 3. Incremental poll when nothing changed: requests per list", ""]
    lines.append(
        "Baseline = the pages of that list (what a poll costs when the server ignores "
        "`modified_since` and the list is read in full). Targets: 1 per list where the filter "
        "works, at most 2 where it does not. Plus the `system` request and the body list "
        f"(2 per poll). Synthetic feeds: {papers} papers, 60 meetings, 30 organizations, "
        "20 per page, oldest first."
    )
    lines.append("")
    rows = []
    labels = {
        "sdnet": "SD.NET, real Hürtgenwald crawl (filter works)",
        "rubin": "more! rubin-like (filter returns everything)",
        "allris4": "ALLRIS 4-like (filter returns nothing)",
    }
    for name, r in results.items():
        for lst in LISTS:
            full = r["full"]["requests"][lst]
            idle = r["idle"]["requests"][lst]
            new = r.get("new", {}).get("requests", {}).get(lst, "")
            rows.append([labels[name], lst, full, idle, f"{idle / full:.2f}×", new])
    lines.append(
        md_table(
            [
                "server",
                "list",
                "requests: full read (baseline)",
                "requests: idle poll",
                "vs baseline",
                "requests: poll after 3 new papers",
            ],
            rows,
        )
    )
    lines.append("")
    for name in ("rubin", "allris4"):
        if "new" in results.get(name, {}):
            lines.append(
                f"- {labels[name]}: the poll after 3 new papers stored "
                f"{results[name]['new']['new_papers']} new papers."
            )
    lines.append("")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--papers", type=int, default=500)
    ap.add_argument("--json", help="write raw results here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        results = {
            name: run_case(name, args.papers, Path(tmpdir))
            for name in ("sdnet", "rubin", "allris4")
        }
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    print(report(results, args.papers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
