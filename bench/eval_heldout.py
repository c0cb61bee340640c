"""Score the Anfrage parser against the held-out corpus in ``tests/document/heldout``.

The held-out documents (``NAME.txt`` + hand-written gold ``NAME.json``) were written without running
the parser, so this score is independent of the parser's own output (unlike ``eval_parser.py``,
whose gold labels were produced by running the parser and then checked by hand).

Every document goes through ``bot.document.cli.run_parse(path, as_json=True, ...)``, i.e. exactly
what ``anfragebot parse FILE --json`` prints. Scoring is the same as in ``eval_parser.py``: a
question matches when its number matches and the difflib ratio of the whitespace-normalised texts
is >= 0.9; fields (reference, date, paper_type, subject, factions, consultations, signatories) must
be equal. Prints the misses per document; the last two lines are ``question F1: X.XXX`` and
``field accuracy: X.XXX``.

    .venv/bin/python bench/eval_heldout.py [-v]
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HELDOUT_DIR = ROOT / "tests" / "document" / "heldout"


# Sibling scripts import each other like the other bench scripts do.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_parser as _ep  # noqa: E402


def corpus() -> list[tuple[str, Path, dict[str, Any]]]:
    docs: list[tuple[str, Path, dict[str, Any]]] = []
    for txt in sorted(HELDOUT_DIR.glob("*.txt")):
        gold_path = txt.with_suffix(".json")
        if gold_path.exists():
            docs.append((txt.stem, txt, json.loads(gold_path.read_text(encoding="utf-8"))))
    return docs


def _misses(pred: dict[str, Any] | None, gold: dict[str, Any]) -> list[str]:
    """Human-readable differences between a prediction and its gold label."""
    if pred is None:
        return ["(no output)"]
    out: list[str] = []
    for f in _ep.FIELDS:
        if not _ep._field_equal(f, pred.get(f), gold.get(f)):
            out.append(f"{f}: got {pred.get(f)!r}, want {gold.get(f)!r}")
    pred_qs = list(pred.get("questions") or [])
    used: set[int] = set()
    for gq in gold.get("questions") or []:
        hit = next(
            (i for i, pq in enumerate(pred_qs) if i not in used and _ep.question_matches(pq, gq)),
            None,
        )
        if hit is None:
            same_no = [pq for pq in pred_qs if str(pq.get("number")) == str(gq["number"])]
            got = _ep._norm(same_no[0]["text"]) if same_no else "(none)"
            out.append(f"missed Q{gq['number']}: want {_ep._norm(gq['text'])!r}; got {got!r}")
        else:
            used.add(hit)
    for i, pq in enumerate(pred_qs):
        if i not in used:
            out.append(f"extra Q{pq.get('number')}: {_ep._norm(pq.get('text', ''))[:90]!r}")
    return out


def evaluate(
    verbose: bool = False, docs: Iterable[tuple[str, Path, dict[str, Any]]] | None = None
) -> Any:
    """Score every held-out document (default: this set); return an ``eval_parser.Totals``."""
    scores = []
    for name, path, gold in corpus() if docs is None else docs:
        pred, error = _ep.parse_file(path)
        scores.append(_ep.score(name, pred, gold, error))
        if verbose:
            for line in _misses(pred, gold):
                print(f"  {name}: {line}")
    return _ep.Totals(scores)


def report(
    title: str, docs: Iterable[tuple[str, Path, dict[str, Any]]], argv: list[str] | None
) -> int:
    """The command line of both held-out scripts: `-v` prints every miss first."""
    args = sys.argv[1:] if argv is None else argv
    verbose = "-v" in args or "--verbose" in args
    print(f"held-out corpus: {title}")
    if verbose:
        print("misses:")
    totals = evaluate(verbose=verbose, docs=docs)
    print()
    _ep.print_report(totals)
    return 0


def main(argv: list[str] | None = None) -> int:
    return report(str(HELDOUT_DIR.relative_to(ROOT)), corpus(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
