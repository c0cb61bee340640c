"""What the document sandbox costs: reading the same PDFs in-process (`read_document`) and
through the sandbox the poll uses (`read_sandboxed`: one forked child per document, with
memory, CPU, page and wall-clock limits), one after the other and two at a time.

    .venv/bin/python bench/bench_sandbox.py [--docs 20] [--pages 10]
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.document.limits import DocumentLimits  # noqa: E402
from bot.document.reader import DocumentResult, read_document  # noqa: E402
from bot.document.sandbox import read_sandboxed  # noqa: E402


def _inline(data: bytes) -> DocumentResult:
    return read_document(data, None, "application/pdf")


def _sandboxed(data: bytes) -> DocumentResult:
    return read_sandboxed(data, None, "application/pdf", DocumentLimits())


def _pages_per_s(read: Callable[[bytes], DocumentResult], docs: list[bytes], workers: int) -> float:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(read, docs))
    elapsed = time.perf_counter() - t0
    assert all(r.status == "ok" for r in results), {r.error for r in results}
    return sum(r.pages for r in results) / elapsed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=20)
    ap.add_argument("--pages", type=int, default=10)
    args = ap.parse_args()
    from tests.document.layouts import multipage_pdf

    with tempfile.TemporaryDirectory() as tmp:
        docs = []
        for i in range(args.docs):
            path = Path(tmp) / f"doc{i}.pdf"
            multipage_pdf(path, pages=args.pages)
            docs.append(path.read_bytes())
    _inline(docs[0])
    _sandboxed(docs[0])  # warm-up: starts the forkserver
    # Interleaved, one document in-process then the same in the sandbox, and medians: on a
    # shared machine the load changes faster than a whole pass takes.
    inline_s, sandbox_s = [], []
    for data in docs * 2:
        for read, times in ((_inline, inline_s), (_sandboxed, sandbox_s)):
            t0 = time.perf_counter()
            assert read(data).status == "ok"
            times.append(time.perf_counter() - t0)
    med_inline = sorted(inline_s)[len(inline_s) // 2]
    med_sandbox = sorted(sandbox_s)[len(sandbox_s) // 2]
    rows = [
        ("in-process, median per document", f"{med_inline * 1000:.0f} ms"),
        ("sandbox (as the poll reads), median per document", f"{med_sandbox * 1000:.0f} ms"),
        (
            "sandbox overhead per document (median difference)",
            f"{(med_sandbox - med_inline) * 1000:.0f} ms",
        ),
        ("pages/s in-process, 1 at a time", f"{args.pages / med_inline:.0f}"),
        ("pages/s sandbox, 1 at a time", f"{args.pages / med_sandbox:.0f}"),
        ("pages/s sandbox, 2 at a time", f"{_pages_per_s(_sandboxed, docs, 2):.0f}"),
    ]
    print(f"### Document sandbox ({platform.machine()}, Python {platform.python_version()})")
    print()
    print(f"{args.docs} generated Anfrage PDFs x {args.pages} pages (extract + clean + parse)")
    print()
    print("| measure | value |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
