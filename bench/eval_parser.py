"""Score the Anfrage parser against the gold labels.

Runs every corpus document through the same code path as ``anfragebot parse --json``
(``bot.document.cli.run_parse``): the real texts in ``../shared/anfrage-texts`` and the generated
PDFs of ``tests/document/layouts.py``. Prints per-document and total question precision/recall/F1
and per-field accuracy; the last two lines are ``question F1: X.XXX`` and ``field accuracy: X.XXX``.

    .venv/bin/python bench/eval_parser.py
"""

from __future__ import annotations

import difflib
import io
import json
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.document.cli import run_parse  # noqa: E402

TEXT_DIR = ROOT.parent / "shared" / "anfrage-texts"
GOLD_DIR = ROOT / "tests" / "document" / "gold"
FIELDS = ("reference", "date", "paper_type", "subject", "factions", "consultations", "signatories")
SIMILARITY = 0.9


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s or "").strip()


def question_matches(pred: dict[str, Any], gold: dict[str, Any]) -> bool:
    if str(pred.get("number")) != str(gold.get("number")):
        return False
    ratio = difflib.SequenceMatcher(None, _norm(pred.get("text", "")), _norm(gold["text"])).ratio()
    return ratio >= SIMILARITY


def _field_equal(name: str, pred: Any, gold: Any) -> bool:
    if name == "subject":
        return _norm(pred or "") == _norm(gold or "")
    return bool(pred == gold)


@dataclass
class DocScore:
    name: str
    tp: int
    n_pred: int
    n_gold: int
    fields: dict[str, bool] = field(default_factory=dict)
    error: str | None = None

    @property
    def precision(self) -> float:
        return self.tp / self.n_pred if self.n_pred else (1.0 if not self.n_gold else 0.0)

    @property
    def recall(self) -> float:
        return self.tp / self.n_gold if self.n_gold else (1.0 if not self.n_pred else 0.0)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(
    name: str, pred: dict[str, Any] | None, gold: dict[str, Any], error: str | None = None
) -> DocScore:
    gold_qs = gold.get("questions") or []
    if pred is None:
        return DocScore(name, 0, 0, len(gold_qs), {f: False for f in FIELDS}, error)
    pred_qs = pred.get("questions") or []
    used: set[int] = set()
    tp = 0
    for gq in gold_qs:
        for i, pq in enumerate(pred_qs):
            if i not in used and question_matches(pq, gq):
                used.add(i)
                tp += 1
                break
    fields = {f: _field_equal(f, pred.get(f), gold.get(f)) for f in FIELDS}
    return DocScore(name, tp, len(pred_qs), len(gold_qs), fields)


def parse_file(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    out, err = io.StringIO(), io.StringIO()
    code = run_parse(str(path), True, out, err)
    if code != 0:
        return None, err.getvalue().strip()
    return json.loads(out.getvalue()), None


def corpus(tmp: Path) -> list[tuple[str, Path, dict[str, Any]]]:
    docs: list[tuple[str, Path, dict[str, Any]]] = []
    for txt in sorted(TEXT_DIR.glob("*.txt")):
        gold_path = GOLD_DIR / f"{txt.stem}.json"
        if gold_path.exists():
            docs.append((txt.stem, txt, json.loads(gold_path.read_text(encoding="utf-8"))))
    from tests.document.layouts import build_all

    for name, pdf in build_all(tmp).items():
        gold_path = GOLD_DIR / "generated" / f"{name}.json"
        docs.append((f"pdf:{name}", pdf, json.loads(gold_path.read_text(encoding="utf-8"))))
    return docs


@dataclass
class Totals:
    docs: list[DocScore]

    @property
    def precision(self) -> float:
        n = sum(d.n_pred for d in self.docs)
        return sum(d.tp for d in self.docs) / n if n else 1.0

    @property
    def recall(self) -> float:
        n = sum(d.n_gold for d in self.docs)
        return sum(d.tp for d in self.docs) / n if n else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def field_accuracy(self) -> float:
        vals = [ok for d in self.docs for ok in d.fields.values()]
        return sum(vals) / len(vals) if vals else 1.0

    def per_field(self) -> dict[str, float]:
        return {f: sum(d.fields.get(f, False) for d in self.docs) / len(self.docs) for f in FIELDS}


def evaluate() -> Totals:
    with tempfile.TemporaryDirectory() as tmp:
        docs = [_score_one(name, path, gold) for name, path, gold in corpus(Path(tmp))]
    return Totals(docs)


def _score_one(name: str, path: Path, gold: dict[str, Any]) -> DocScore:
    pred, error = parse_file(path)
    return score(name, pred, gold, error)


def print_report(totals: Totals) -> None:
    """Per-document table and the totals; the last two lines are what the docs quote."""
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


def main() -> int:
    print_report(evaluate())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
