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

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HELDOUT2_DIR = ROOT / "tests" / "document" / "heldout2"


def _load(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_eh = _load("eval_heldout")
_ep = _load("eval_parser")


def corpus() -> list[tuple[str, Path, dict[str, Any]]]:
    docs: list[tuple[str, Path, dict[str, Any]]] = []
    for txt in sorted(HELDOUT2_DIR.glob("*.txt")):
        gold_path = txt.with_suffix(".json")
        if gold_path.exists():
            docs.append((txt.stem, txt, json.loads(gold_path.read_text(encoding="utf-8"))))
    return docs


def evaluate(verbose: bool = False) -> Any:
    """Score every document of the second held-out set; return an ``eval_parser.Totals``."""
    scores = []
    for name, path, gold in corpus():
        pred, error = _ep.parse_file(path)
        scores.append(_ep.score(name, pred, gold, error))
        if verbose:
            for line in _eh._misses(pred, gold):
                print(f"  {name}: {line}")
    return _ep.Totals(scores)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    verbose = "-v" in args or "--verbose" in args
    print(f"held-out corpus: {HELDOUT2_DIR.relative_to(ROOT)}")
    if verbose:
        print("misses:")
    totals = evaluate(verbose=verbose)
    print()
    print(f"{'document':58} {'gold':>4} {'pred':>4} {'P':>6} {'R':>6} {'F1':>6}  fields")
    for d in totals.docs:
        bad = [f for f, ok in d.fields.items() if not ok]
        fields = "ok" if not bad else "wrong: " + ", ".join(bad)
        if d.error:
            fields = f"ERROR {d.error}"
        print(
            f"{d.name[:58]:58} {d.n_gold:4d} {d.n_pred:4d} "
            f"{d.precision:6.3f} {d.recall:6.3f} {d.f1:6.3f}  {fields}"
        )
    print()
    print("per-field accuracy: " + ", ".join(f"{k} {v:.3f}" for k, v in totals.per_field().items()))
    print(f"documents: {len(totals.docs)}, gold questions: {sum(d.n_gold for d in totals.docs)}")
    print(f"question precision: {totals.precision:.3f}")
    print(f"question recall: {totals.recall:.3f}")
    print(f"question F1: {totals.f1:.3f}")
    print(f"field accuracy: {totals.field_accuracy:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
