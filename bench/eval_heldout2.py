"""Score the Anfrage parser against the second held-out corpus in ``tests/document/heldout2``.

The documents (``NAME.txt`` + hand-written gold ``NAME.json``) were written, texts and gold, before
the parser was run on any of them. Half of them are RVR/rubin Fraktionsanfragen, the genre the bot
is built for; the rest are Niedersachsen Kleine Anfragen (pypdf-style text) and SessionNet/ALLRIS
municipal Anfragen.

Scoring is shared with ``eval_parser.py`` / ``eval_heldout.py`` (imported, not copied): each
document goes through ``bot.document.cli.run_parse(path, as_json=True, ...)``; a question matches
when its number matches and the difflib ratio of the whitespace-normalised texts is >= 0.9; the 7
fields must equal the gold value. Prints the misses per document; the last two lines are
``question F1: X.XXX`` and ``field accuracy: X.XXX``.

    .venv/bin/python bench/eval_heldout2.py [-v]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HELDOUT2_DIR = ROOT / "tests" / "document" / "heldout2"


# Sibling scripts import each other like the other bench scripts do.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_heldout as _eh  # noqa: E402


def corpus() -> list[tuple[str, Path, dict[str, Any]]]:
    docs: list[tuple[str, Path, dict[str, Any]]] = []
    for txt in sorted(HELDOUT2_DIR.glob("*.txt")):
        gold_path = txt.with_suffix(".json")
        if gold_path.exists():
            docs.append((txt.stem, txt, json.loads(gold_path.read_text(encoding="utf-8"))))
    return docs


def evaluate(verbose: bool = False) -> Any:
    """Score every document of the second held-out set; return an ``eval_parser.Totals``."""
    return _eh.evaluate(verbose=verbose, docs=corpus())


def main(argv: list[str] | None = None) -> int:
    return _eh.report(str(HELDOUT2_DIR.relative_to(ROOT)), corpus(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
