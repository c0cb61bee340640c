"""Benchmark PDF extraction + clean-up + parsing throughput.

Generates a corpus of multi-page Anfrage PDFs (reportlab) and measures pages/s through the same
path as ``anfragebot parse`` (extract_pdf_text -> parse_anfrage), single process and with one
worker per core. Prints a markdown snippet.

    .venv/bin/python bench/bench_pdf.py [--docs 20] [--pages 10]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.document.anfrage import parse_anfrage  # noqa: E402
from bot.document.extract import extract_pdf_text  # noqa: E402


def process(path: str) -> tuple[int, int, float, float]:
    data = Path(path).read_bytes()
    t0 = time.perf_counter()
    extracted = extract_pdf_text(data)
    t1 = time.perf_counter()
    parsed = parse_anfrage(extracted.text)
    t2 = time.perf_counter()
    return extracted.pages, len(parsed.questions), t1 - t0, t2 - t1


def extract_only(path: str) -> int:
    """The baseline: pdfium's own text extraction, nothing cleaned or parsed."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(Path(path).read_bytes())
    try:
        for page in pdf:
            page.get_textpage().get_text_range()
        return len(pdf)
    finally:
        pdf.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=20)
    ap.add_argument("--pages", type=int, default=10)
    ap.add_argument("--json", help="also write the figures here (for bench/run_all.py)")
    args = ap.parse_args()
    from tests.document.layouts import multipage_pdf

    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(args.docs):
            p = Path(tmp) / f"doc{i}.pdf"
            multipage_pdf(p, pages=args.pages)
            paths.append(str(p))
        process(paths[0])  # warm-up (imports, pdfium init)

        t0 = time.perf_counter()
        raw_pages = sum(extract_only(p) for p in paths)
        raw = time.perf_counter() - t0

        t0 = time.perf_counter()
        results = [process(p) for p in paths]
        serial = time.perf_counter() - t0
        pages = sum(r[0] for r in results)
        extract_s = sum(r[2] for r in results)
        parse_s = sum(r[3] for r in results)
        per_doc = [r[2] + r[3] for r in results]

        t0 = time.perf_counter()
        with ProcessPoolExecutor(max_workers=cores) as pool:
            par_results = list(pool.map(process, paths))
        parallel = time.perf_counter() - t0
        par_pages = sum(r[0] for r in par_results)

    questions = results[0][1]
    median_ms = sorted(per_doc)[len(per_doc) // 2] * 1000
    print(
        f"### PDF read benchmark ({platform.machine()}, {cores} cores, "
        f"Python {platform.python_version()})"
    )
    print()
    print(
        f"Corpus: {args.docs} generated Anfrage PDFs x {args.pages} pages "
        f"({pages} pages, {questions} questions per document)."
    )
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| baseline: pdfium text extraction only, 1 process | {raw_pages / raw:.0f} |")
    print(f"| pages/s, 1 process (extract + clean + parse) | {pages / serial:.0f} |")
    print(f"| pages/s, {cores} processes | {par_pages / parallel:.0f} |")
    print(f"| time per {args.pages}-page PDF (median) | {median_ms:.0f} ms |")
    print(f"| time per {args.pages}-page PDF (max) | {max(per_doc) * 1000:.0f} ms |")
    print(
        f"| share extraction / parsing | {extract_s / (extract_s + parse_s):.0%} / "
        f"{parse_s / (extract_s + parse_s):.0%} |"
    )
    if args.json:
        figures = {
            "baseline_pages_per_s": raw_pages / raw,
            "pages_per_s": pages / serial,
            "pages_per_s_parallel": par_pages / parallel,
            "processes": cores,
            "median_ms_per_doc": median_ms,
            "pages_per_doc": args.pages,
        }
        Path(args.json).write_text(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
