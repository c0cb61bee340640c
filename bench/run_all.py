"""Run every benchmark and write docs/benchmarks.md (machine, date, figures with baselines).

    .venv/bin/python bench/run_all.py            # the full suite (~10 minutes on 2 cores)
    .venv/bin/python bench/run_all.py --quick    # tiny sizes, to check the scripts work

Each figure is a ratio against a baseline measured in the same run. PostgreSQL figures need
the server at ANFRAGEBOT_BENCH_POSTGRES_URL (default: the test database); without it they are
left out with a note.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, machine, md_table  # noqa: E402

BENCH = Path(__file__).resolve().parent


def _run(script: str, *args: str, timeout: float = 3600) -> tuple[str, float]:
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
    )
    seconds = time.perf_counter() - t0
    if out.returncode != 0:
        tail = "\n".join((out.stderr or out.stdout).strip().splitlines()[-15:])
        raise RuntimeError(f"{script} failed (exit {out.returncode}):\n{tail}")
    return out.stdout.strip(), seconds


def _section(title: str, body: str) -> str:
    return body if body.lstrip().startswith("#") else f"### {title}\n\n{body}\n"


def _demote(markdown: str) -> str:
    """Other scripts print their own headings: make them fit under ours."""
    out = []
    for line in markdown.splitlines():
        if line.startswith("#") and not line.startswith("###"):
            line = "###" + line.lstrip("#")
        out.append(line)
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="tiny sizes: check that it all runs")
    ap.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = ap.parse_args()
    info = machine()
    started = datetime.now(UTC)
    sections: list[str] = []
    summary: list[list[str]] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)

        # 1 + 2: full sync and scaling.
        sizes = "3000,6000" if args.quick else "10000,50000,100000"
        sync_args = ["--sizes", sizes, "--json", str(tmp / "sync.json")]
        sync_args += ["--repeat", "1"] if args.quick else ["--repeat", "3", "--scale-pg"]
        sync_args += ["--profile", str(tmp / "sync.prof")]
        if info["postgresql"] is None:
            sync_args.append("--no-pg")
            notes.append("PostgreSQL was not reachable: its sync figures are missing.")
        out, _ = _run("bench_sync.py", *sync_args)
        sections.append(out)
        sync: dict[str, Any] = json.loads((tmp / "sync.json").read_text())
        h = sync["huertgenwald"]
        for db in ("sqlite", "postgresql"):
            if db in h:
                summary.append(
                    [
                        f"1. Hürtgenwald full sync → {db}",
                        f"{h[db]['seconds']:.2f} s",
                        f"floor {h['floor']['seconds']:.2f} s",
                        f"{h[db]['seconds'] / h['floor']['seconds']:.1f}×",
                        "—",
                    ]
                )
        big = sync["scaled"][-1]
        for db in ("sqlite", "postgresql"):
            if db in big:
                ratio = big[db]["seconds"] / big["floor"]["seconds"]
                summary.append(
                    [
                        f"2. {big['papers']:,} papers full sync → {db}",
                        f"{big[db]['seconds']:.1f} s, peak RSS {big[db]['peak_rss_mb']:.0f} MB",
                        f"floor {big['floor']['seconds']:.1f} s",
                        f"{ratio:.1f}×",
                        f"≤ 2× floor: {'met' if ratio <= 2 else 'not met (see profile)'}; "
                        f"< 300 MB: {'met' if big[db]['peak_rss_mb'] < 300 else 'not met'}",
                    ]
                )
        small = sync["scaled"][0]
        if "sqlite" in small and "sqlite" in big:
            per_small = small["sqlite"]["seconds"] / small["papers"]
            per_big = big["sqlite"]["seconds"] / big["papers"]
            summary.append(
                [
                    "2. linearity (SQLite, time per paper)",
                    f"{per_big * 1e6:.0f} µs at {big['papers']:,}",
                    f"{per_small * 1e6:.0f} µs at {small['papers']:,}",
                    f"{per_big / per_small:.2f}×",
                    "linear (≈ 1×): "
                    + ("met" if per_big / per_small < 1.5 else "not met (see table)"),
                ]
            )

        # 3: incremental poll.
        out, _ = _run(
            "bench_poll.py",
            "--papers",
            "100" if args.quick else "500",
            "--json",
            str(tmp / "poll.json"),
        )
        sections.append(out)
        poll: dict[str, Any] = json.loads((tmp / "poll.json").read_text())
        for name, target in (("sdnet", 1), ("rubin", 2), ("allris4", 2)):
            idle = poll[name]["idle"]["requests"]
            full = poll[name]["full"]["requests"]
            worst = max(idle.get(lst, 0) for lst in ("organization", "meeting", "paper"))
            summary.append(
                [
                    f"3. idle poll, {name}: requests per list (max)",
                    str(worst),
                    f"full read of papers: {full.get('paper', 0)}",
                    f"{idle.get('paper', 0) / max(1, full.get('paper', 1)):.2f}×",
                    f"≤ {target}: {'met' if worst <= target else 'not met'}",
                ]
            )

        # 4: lookup latency (issue 4's script).
        if (BENCH / "bench_lookup.py").exists():
            lookup_args = ["--papers", "2000", "--queries", "30"] if args.quick else []
            if info["postgresql"] is None:
                lookup_args.append("--no-postgres")
            lookup_args += ["--json", str(tmp / "lookup.json")]
            try:
                out, _ = _run("bench_lookup.py", *lookup_args)
                sections.append(
                    _section("4. `/anfrage REF` and `/anfrage suche TEXT`", _demote(out))
                )
                papers = 2000 if args.quick else 100_000
                summary += _lookup_rows(json.loads((tmp / "lookup.json").read_text()), papers)
            except RuntimeError as e:
                sections.append(
                    f"### 4. `/anfrage` latency\n\nbench_lookup.py failed:\n\n```\n{e}\n```\n"
                )
                notes.append("bench_lookup.py failed in this run (see section 4).")
        else:
            sections.append(
                "### 4. `/anfrage` latency\n\nSkipped: bench/bench_lookup.py (issue 4) is not "
                "in this tree yet.\n"
            )
            notes.append("Lookup latency missing: bench/bench_lookup.py not present.")

        # 5: PDF pages/s (parser's script).
        pdf_args = ["--docs", "4", "--pages", "3"] if args.quick else []
        pdf_args += ["--json", str(tmp / "pdf.json")]
        try:
            out, _ = _run("bench_pdf.py", *pdf_args)
            sections.append(_section("5. PDF → questions", _demote(out)))
            summary += _pdf_rows(json.loads((tmp / "pdf.json").read_text()))
        except RuntimeError as e:
            sections.append(f"### 5. PDF → questions\n\nbench_pdf.py failed:\n\n```\n{e}\n```\n")
            notes.append("bench_pdf.py failed in this run (see section 5).")

        # 6: delivery.
        deliver_args = ["--json", str(tmp / "deliver.json")]
        if args.quick:
            deliver_args += ["--messages", "20", "--pace", "0.01"]
        out, _ = _run("bench_deliver.py", *deliver_args)
        sections.append(out)
        d: dict[str, Any] = json.loads((tmp / "deliver.json").read_text())
        ratio = d["serial"]["seconds"] / d["parallel"]["seconds"]
        summary.append(
            [
                "6. 200 announcements → 5 channels",
                f"{d['parallel']['seconds']:.2f} s (scaled pace)",
                f"serial {d['serial']['seconds']:.2f} s",
                f"{ratio:.1f}× faster",
                f"≈ 5×: {'met' if ratio >= 4.5 else 'not met'}",
            ]
        )

        # 7: the whole process, first and idle `poll --once` (issue 15).
        process_args = ["--json", str(tmp / "process.json")]
        process_args += ["--quick"] if args.quick else []
        if info["postgresql"] is None:
            process_args.append("--no-pg")
        out, _ = _run("bench_process.py", *process_args)
        sections.append(out)
        proc: dict[str, Any] = json.loads((tmp / "process.json").read_text())
        summary += _process_rows(proc["results"])

    finished = datetime.now(UTC)
    doc = [
        "# Benchmarks",
        "",
        "Generated by `.venv/bin/python bench/run_all.py`"
        + (" **--quick (tiny sizes, not the real figures)**" if args.quick else "")
        + f" on {started:%Y-%m-%d %H:%M} UTC "
        f"(took {(finished - started).total_seconds() / 60:.0f} min). Every figure is a ratio "
        "against a baseline measured in the same run on the same machine; absolute times "
        "only mean something next to their baseline.",
        "",
        md_table(
            ["machine", ""],
            [
                ["CPU", f"{info['cpu']} ({info['nproc']} cores visible)"],
                ["RAM", f"{info['ram_gb']} GB"],
                ["Python", info["python"]],
                ["SQLite", info["sqlite"]],
                ["PostgreSQL", info["postgresql"] or "not reachable"],
                ["OS", info["platform"]],
            ],
        ),
        "",
        "## Summary",
        "",
        md_table(["figure", "measured", "baseline", "ratio", "target"], summary),
        "",
    ]
    if notes:
        doc += ["Notes:", ""] + [f"- {n}" for n in notes] + [""]
    doc += [ANALYSIS, "## Details", ""]
    for section in sections:
        doc += [section.rstrip(), ""]
    Path(args.out).write_text("\n".join(doc).rstrip() + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


def _lookup_rows(rows: list[dict[str, Any]], papers: int) -> list[list[str]]:
    """Per database: the worst p99 of the reference look-ups and of the searches, against the
    p99 of a bare primary-key read measured in the same loop."""
    out = []
    for db in dict.fromkeys(r["database"] for r in rows):
        mine = [r for r in rows if r["database"] == db]
        base = next((r for r in mine if r["command"].startswith("baseline")), None)

        def other(c: str) -> bool:
            return c.startswith(("baseline", "whole process")) or "statistik" in c or "suche" in c

        for what, pick, limit in (
            ("`/anfrage REF`", lambda c: not other(c), 50.0),
            ("`/anfrage suche TEXT`", lambda c: "suche" in c, 50.0),
            # issue 13: inside Slack's 3 s with room to spare
            ("`/anfrage statistik`", lambda c: "statistik" in c and "process" not in c, 1000.0),
        ):
            chosen = [r for r in mine if pick(r["command"])]
            if not chosen:
                continue
            worst = max(chosen, key=lambda r: r["p99_ms"])
            ratio = f"{worst['p99_ms'] / base['p99_ms']:.1f}×" if base else "—"
            out.append(
                [
                    f"4. {what} p99, {db} ({papers:,} papers)",
                    f"{worst['p99_ms']:.1f} ms (p50 {worst['p50_ms']:.1f} ms)",
                    f"primary-key read p99 {base['p99_ms']:.1f} ms" if base else "—",
                    ratio,
                    f"p99 < {limit:.0f} ms: {'met' if worst['p99_ms'] < limit else 'not met'}",
                ]
            )
    return out


def _process_rows(results: list[dict[str, Any]]) -> list[list[str]]:
    """Issue 15's targets: the largest first poll against the floor (CPU time, as a busy
    machine leaves wall times meaningless), PostgreSQL against SQLite, the idle poll."""
    big, small = results[-1], results[0]
    out = []
    floor_cpu = big["floor"]["process_cpu_seconds"]
    for db in ("sqlite", "postgresql"):
        if db not in big:
            continue
        first, idle = big[db]["first"], big[db]["idle"]
        ratio = first["cpu_seconds"] / floor_cpu
        out.append(
            [
                f"7. first `poll --once`, {big['papers']:,} papers, {db} (whole process)",
                f"{first['seconds']:.1f} s wall, {first['cpu_seconds']:.1f} s CPU, "
                f"peak RSS {first['peak_rss_mb']:.0f} MB",
                f"floor {big['floor']['seconds']:.1f} s wall, {floor_cpu:.1f} s CPU",
                f"{ratio:.1f}× (CPU)",
                f"≤ 4× floor: {'met' if ratio <= 4 else 'not met'}; "
                f"< 300 MB: {'met' if first['peak_rss_mb'] < 300 else 'not met'}",
            ]
        )
        growth = idle["cpu_seconds"] / small[db]["idle"]["cpu_seconds"]
        out.append(
            [
                f"7. idle `poll --once`, {big['papers']:,} papers, {db} (whole process)",
                f"{idle['seconds']:.2f} s wall, {idle['cpu_seconds']:.2f} s CPU, "
                f"peak RSS {idle['peak_rss_mb']:.0f} MB",
                f"idle at {small['papers']:,}: {small[db]['idle']['cpu_seconds']:.2f} s CPU",
                f"{growth:.2f}× (CPU)",
                f"≤ 1.5 s: {'met' if idle['seconds'] <= 1.5 else 'not met'}; "
                f"< 120 MB: {'met' if idle['peak_rss_mb'] < 120 else 'not met'}; "
                f"growth < 1.2×: {'met' if growth < 1.2 else 'not met'}",
            ]
        )
    return out


def _pdf_rows(fig: dict[str, Any]) -> list[list[str]]:
    base = fig["baseline_pages_per_s"]
    return [
        [
            "5. PDF → questions, 1 process",
            f"{fig['pages_per_s']:.0f} pages/s",
            f"pdfium text extraction only {base:.0f} pages/s",
            f"{fig['pages_per_s'] / base:.2f}×",
            f"{fig['pages_per_doc']}-page PDF: {fig['median_ms_per_doc']:.0f} ms (median)",
        ],
        [
            f"5. PDF → questions, {fig['processes']} processes",
            f"{fig['pages_per_s_parallel']:.0f} pages/s",
            "1 process",
            f"{fig['pages_per_s_parallel'] / fig['pages_per_s']:.2f}×",
            f"≥ 300 pages/s on 2 cores: "
            f"{'met' if fig['pages_per_s_parallel'] >= 300 else 'not met'}",
        ],
    ]


ANALYSIS = """## Reading the figures

- **Full sync vs floor.** The floor only fetches and decodes JSON (≈ 30 µs per paper). A sync
  also turns every object into domain values (vendor fix-ups, dates, references), classifies it
  and writes three rows (paper, file, consultation) with their indexes. Upserts are one cached
  `INSERT … ON CONFLICT` statement per table run with `executemany` over batches of ~500
  objects per transaction; unchanged rows are skipped, children are deleted only for papers that
  existed before. What remains is CPU in Python (see the profile in section 2): parsing is the
  largest part, then SQLAlchemy's per-row parameter processing, then SQLite itself; the sync is
  CPU-bound on one core (a prefetching thread was tried and gained nothing under the GIL). On
  PostgreSQL the sync refreshes planner statistics (`ANALYZE`) after batch 2, 4, 8, …: without
  that, the per-batch `id IN (…)` look-up became a sequential scan on the growing table and a
  100k-paper sync took 89 s instead of ~24 s (time per paper grew 4× from 50k to 100k).
  **The 2× target is not met.** The sync's own work is ≈ 130 µs per paper on top of the floor's
  ≈ 30 µs; 2× would allow ≈ 30 µs for parsing, classifying and writing three rows, which pure
  Python with SQLAlchemy cannot reach (placeholder clean-up is already done lazily where values
  are read, not by rebuilding each object). What would close most of the gap: writing rows
  through the driver's `executemany` with plain tuples (skipping SQLAlchemy's per-row parameter
  processing, ≈ 20 % in the profile) and parsing pages in a second process while the first
  stores (two cores). Neither is done: the first duplicates the type handling of the schema,
  the second adds a process boundary to the poll for a one-time cost (only the first sync of a
  big council is a full read; later polls cost 1–2 requests per list, section 3).
- **Memory** stays flat with size: pages are streamed and saved in batches; nothing holds the
  whole list.
- **Incremental polls** on servers that ignore `modified_since` read the list from `links.last`
  backwards until a page holds only known ids (jobs/sync.py); such lists are detected on the
  first full read (every object `modified` on one day) or when a filtered answer holds objects
  older than the watermark, and remembered in `list_state.mode`. They are read in full once a
  day to pick up edits and deletions of old objects.
"""


if __name__ == "__main__":
    sys.exit(main())
