"""Parse time on pathological texts: seconds per 100 KB for each shape in
``tests/document/hostile_texts.py`` (clean + parse, as ``anfragebot parse`` runs them).

Target (issue 10/16): no input over a second per 100 KB; a 150,000-character token well under a
second. The last line is ``worst: X.XXX s per 100 KB (<shape>)``.

    .venv/bin/python bench/eval_parse_time.py [SIZE]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.document.anfrage import parse_cleaned_anfrage  # noqa: E402
from bot.document.clean import clean_text  # noqa: E402
from tests.document.hostile_texts import BUILDERS  # noqa: E402


def measure(size: int) -> list[tuple[str, int, float]]:
    rows = []
    for name, build in BUILDERS.items():
        text = build(size)
        started = time.perf_counter()
        parse_cleaned_anfrage(clean_text(text))
        rows.append((name, len(text.encode("utf-8")), time.perf_counter() - started))
    return rows


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    size = int(args[0]) if args else 150_000
    rows = measure(size)
    worst = ("", 0.0)
    for name, nbytes, secs in rows:
        per = secs / (nbytes / 100_000)
        worst = max(worst, (name, per), key=lambda w: w[1])
        print(f"{name:28s} {nbytes:9d} B  {secs:7.3f} s  {per:6.3f} s/100KB")
    print(f"worst: {worst[1]:.3f} s per 100 KB ({worst[0]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
