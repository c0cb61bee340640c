"""The benchmark scripts run (on tiny sizes). No speed is asserted here: the targets live in
docs/benchmarks.md, measured by `bench/run_all.py`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.paths import ROOT

BENCH = ROOT / "bench"


def _run(script: str, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_sync_bench_runs(tmp_path: Path) -> None:
    raw = tmp_path / "sync.json"
    out = _run("bench_sync.py", "--sizes", "2500", "--repeat", "1", "--no-pg", "--json", str(raw))
    assert "Full sync of the real Hürtgenwald crawl" in out
    data = json.loads(raw.read_text())
    assert data["huertgenwald"]["papers"] == 2115
    assert data["huertgenwald"]["sqlite"]["papers"] == 2115
    scaled = data["scaled"][0]
    assert scaled["papers"] == 4230
    assert scaled["sqlite"]["papers"] == 4230
    assert scaled["floor"]["requests"] == scaled["pages"]


def test_poll_bench_runs(tmp_path: Path) -> None:
    raw = tmp_path / "poll.json"
    out = _run("bench_poll.py", "--papers", "60", "--json", str(raw))
    assert "Incremental poll" in out
    data = json.loads(raw.read_text())
    assert data["sdnet"]["idle"]["requests"]["paper"] == 1
    assert data["rubin"]["idle"]["requests"]["paper"] <= 2
    assert data["rubin"]["new"]["new_papers"] == 3
    assert data["allris4"]["new"]["new_papers"] == 3


def test_deliver_bench_runs(tmp_path: Path) -> None:
    raw = tmp_path / "deliver.json"
    out = _run(
        "bench_deliver.py", "--messages", "10", "--channels", "2", "--pace", "0", "--json", str(raw)
    )
    assert "Delivery" in out
    data = json.loads(raw.read_text())
    assert data["serial"]["sent"] == data["parallel"]["sent"] == 10


def test_process_bench_runs(tmp_path: Path) -> None:
    raw = tmp_path / "process.json"
    out = _run("bench_process.py", "--sizes", "100", "--no-pg", "--json", str(raw))
    assert "The whole process" in out
    result = json.loads(raw.read_text())["results"][0]
    assert result["papers"] == 2115
    sqlite = result["sqlite"]
    # The real console script stored the whole crawl and indexed it; the idle poll after it
    # exited cleanly too. Each figure is the child's own.
    assert sqlite["papers_stored"] == 2115
    assert sqlite["search_rows"] > 2000
    for run in (sqlite["first"], sqlite["idle"]):
        assert run["exit_code"] == 0
        assert run["peak_rss_mb"] > 20 and run["cpu_seconds"] > 0
    assert result["floor"]["requests"] > 80
