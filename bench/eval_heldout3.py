"""Score the parser on the third held-out set: municipal Anfragen and the administration's answers.

``tests/document/heldout3/anfragen`` holds municipal Anfragen (SessionNet, ALLRIS, SD.NET,
more! rubin, rubin layouts around the Ruhr), several of them with prose or unnumbered questions,
and Anträge/Vorlagen that must yield no questions; ``tests/document/heldout3/answers`` holds answer
documents (Beantwortung, Stellungnahme der Verwaltung, Antwort) with hand-labelled pairings. Texts
and gold were written before the parser was changed for them (docs/parser-eval.md).

Every document is scored twice: as its ``.txt`` and as a PDF printed from it with the renderer of
``eval_pdf_roundtrip.py`` (fonts, running headers, page footers, tables, hyphenation vary per
document). Both go through ``bot.document.cli.run_parse`` (what ``anfragebot parse FILE --json``
runs); an answer is parsed with its Anfrage as context (``--anfrage``) when the gold names one.

Scores (scoring shared with ``eval_parser.py``, imported, not copied):

- question F1 over the Anfragen, overall and on the prose/unnumbered ones (gold ``"prose": true``);
- field accuracy over 7 fields: reference, date, paper_type, subject, factions, the first
  Beratungsfolge entry (committee + date) and signatories;
- answer pairing accuracy: per question of an answer document, right when an answered question's
  passage matches the gold passage (difflib ratio >= 0.85, or the gold passage contained in a
  passage at most 1.3 x as long) and it is not flagged unanswered, or when an unanswered question
  is flagged in ``unanswered``; ``answered_by`` accuracy is reported beside it.

The last four lines are ``question F1``, ``question F1 (prose/unnumbered)``, ``field accuracy``,
``answer pairing accuracy``.

    .venv/bin/python bench/eval_heldout3.py [-v] [--text-only] [--blind]

``--blind`` scores ``tests/document/heldout3b`` instead: a small check set written the same way
after the parser work (its first run is the honest estimate of the work's generalisation).
"""

from __future__ import annotations

import difflib
import inspect
import io
import json
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HELDOUT3_DIR = ROOT / "tests" / "document" / "heldout3"
# A small blind check set in the same layout, written after the parser work and scored once.
BLIND_DIR = ROOT / "tests" / "document" / "heldout3b"

# Sibling scripts import each other like the other bench scripts do.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_parser as _ep  # noqa: E402
import eval_pdf_roundtrip as _rt  # noqa: E402

from bot.document.cli import run_parse  # noqa: E402

FIELDS = (
    "reference",
    "date",
    "paper_type",
    "subject",
    "factions",
    "first_consultation",
    "signatories",
)
PASSAGE_RATIO = 0.85


def _load(folder: Path) -> list[tuple[str, Path, dict[str, Any]]]:
    docs = []
    for txt in sorted(folder.glob("*.txt")):
        gold = txt.with_suffix(".json")
        if gold.exists():
            docs.append((txt.stem, txt, json.loads(gold.read_text(encoding="utf-8"))))
    return docs


def anfragen(base: Path = HELDOUT3_DIR) -> list[tuple[str, Path, dict[str, Any]]]:
    return _load(base / "anfragen")


def answers(base: Path = HELDOUT3_DIR) -> list[tuple[str, Path, dict[str, Any]]]:
    return _load(base / "answers")


def parse(path: Path, anfrage: Path | None = None) -> tuple[dict[str, Any] | None, str | None]:
    """``anfragebot parse PATH --json [--anfrage ANFRAGE]``; (JSON, None) or (None, error)."""
    out, err = io.StringIO(), io.StringIO()
    kwargs: dict[str, Any] = {}
    if anfrage is not None and "anfrage" in inspect.signature(run_parse).parameters:
        kwargs["anfrage"] = str(anfrage)
    code = run_parse(str(path), True, out, err, **kwargs)
    if code != 0:
        return None, err.getvalue().strip()
    return json.loads(out.getvalue()), None


def _first_consultation(data: dict[str, Any]) -> tuple[str, str | None] | None:
    cons = data.get("consultations") or []
    return (_ep._norm(cons[0].get("committee", "")), cons[0].get("date")) if cons else None


def field_hits(pred: dict[str, Any], gold: dict[str, Any]) -> dict[str, bool]:
    hits = {}
    for f in FIELDS:
        if f == "first_consultation":
            hits[f] = _first_consultation(pred) == _first_consultation(gold)
        else:
            hits[f] = _ep._field_equal(f, pred.get(f), gold.get(f))
    return hits


def passage_matches(pred: str, gold: str) -> bool:
    p, g = _ep._norm(pred), _ep._norm(gold)
    if not p or not g:
        return False
    if difflib.SequenceMatcher(None, p, g).ratio() >= PASSAGE_RATIO:
        return True
    return g in p and len(p) <= 1.3 * len(g)


@dataclass
class AnswerScore:
    name: str
    right: int
    total: int
    answered_by: bool
    misses: list[str] = field(default_factory=list)


def score_answer(name: str, pred: dict[str, Any] | None, gold: dict[str, Any]) -> AnswerScore:
    gold_numbers = [a["number"] for a in gold["answers"]] + list(gold["unanswered"])
    if pred is None:
        return AnswerScore(name, 0, len(gold_numbers), False, ["(no output)"])
    by_number = {str(a.get("number")): a for a in pred.get("answers") or []}
    flagged = {str(n) for n in pred.get("unanswered") or []}
    right, misses = 0, []
    for ga in gold["answers"]:
        got = by_number.get(ga["number"], {}).get("answer") or ""
        if ga["number"] not in flagged and passage_matches(got, ga["answer"]):
            right += 1
        else:
            why = "flagged unanswered" if ga["number"] in flagged else repr(_ep._norm(got)[:90])
            misses.append(f"answer {ga['number']}: got {why}")
    for n in gold["unanswered"]:
        if n in flagged:
            right += 1
        else:
            misses.append(f"answer {n}: not flagged unanswered")
    answered_by = pred.get("answered_by") == gold["answered_by"]
    if not answered_by:
        misses.append(f"answered_by: got {pred.get('answered_by')!r}, want {gold['answered_by']!r}")
    return AnswerScore(name, right, len(gold_numbers), answered_by, misses)


@dataclass
class Report:
    anfragen: list[tuple[_ep.DocScore, dict[str, bool], bool]] = field(default_factory=list)
    answers: list[AnswerScore] = field(default_factory=list)

    def f1(self, prose_only: bool = False) -> float:
        docs = [d for d, _, prose in self.anfragen if prose or not prose_only]
        return _ep.Totals(docs).f1

    def precision_recall(self) -> tuple[float, float]:
        t = _ep.Totals([d for d, _, _ in self.anfragen])
        return t.precision, t.recall

    def per_field(self) -> dict[str, float]:
        n = len(self.anfragen)
        return {f: sum(h[f] for _, h, _ in self.anfragen) / n for f in FIELDS}

    def field_accuracy(self) -> float:
        pf = self.per_field()
        return sum(pf.values()) / len(pf)

    def pairing_accuracy(self) -> float:
        total = sum(a.total for a in self.answers)
        return sum(a.right for a in self.answers) / total if total else 0.0

    def answered_by_accuracy(self) -> float:
        return sum(a.answered_by for a in self.answers) / len(self.answers)


def _anfrage_misses(pred: dict[str, Any] | None, gold: dict[str, Any]) -> list[str]:
    if pred is None:
        return ["(no output)"]
    out = [
        f"{f}: got {pred.get(f) if f != 'first_consultation' else _first_consultation(pred)!r}"
        for f, ok in field_hits(pred, gold).items()
        if not ok
    ]
    gold_qs = gold.get("questions") or []
    pred_qs = pred.get("questions") or []
    used: set[int] = set()
    for gq in gold_qs:
        hit = next(
            (i for i, pq in enumerate(pred_qs) if i not in used and _ep.question_matches(pq, gq)),
            None,
        )
        if hit is None:
            out.append(f"missed Q{gq['number']}: {_ep._norm(gq['text'])[:80]!r}")
        else:
            used.add(hit)
    out += [
        f"extra Q{pq.get('number')}: {_ep._norm(pq.get('text', ''))[:80]!r}"
        for i, pq in enumerate(pred_qs)
        if i not in used
    ]
    return out


def _variants(name: str, txt: Path, gold: dict[str, Any], pdf_dir: Path | None) -> list[Path]:
    paths = [txt]
    if pdf_dir is not None:
        pdf = pdf_dir / f"{name}.pdf"
        _rt.render_pdf(txt.read_text(encoding="utf-8"), pdf, name, gold)
        paths.append(pdf)
    return paths


def evaluate(pdf_dir: Path | None, verbose: bool = False, base: Path = HELDOUT3_DIR) -> Report:
    """Score text (and, with ``pdf_dir``, PDF) variants of every document under ``base``."""
    rep = Report()
    for name, txt, gold in anfragen(base):
        for path in _variants(name, txt, gold, pdf_dir):
            pred, error = parse(path)
            doc = _ep.score(f"{name}{path.suffix}", pred, gold, error)
            rep.anfragen.append((doc, field_hits(pred or {}, gold), bool(gold.get("prose"))))
            if verbose:
                for miss in _anfrage_misses(pred, gold):
                    print(f"  {name}{path.suffix}: {miss}")
    for name, txt, gold in answers(base):
        context = base / "anfragen" / f"{gold['anfrage']}.txt" if gold.get("anfrage") else None
        for path in _variants(name, txt, {"reference": None}, pdf_dir):
            pred, _ = parse(path, context)
            sc = score_answer(f"{name}{path.suffix}", pred, gold)
            rep.answers.append(sc)
            if verbose:
                for miss in sc.misses:
                    print(f"  {sc.name}: {miss}")
    return rep


def print_report(rep: Report) -> None:
    p, r = rep.precision_recall()
    n_prose = sum(1 for _, _, prose in rep.anfragen if prose)
    print(f"anfragen: {len(rep.anfragen)} scored ({n_prose} prose/unnumbered)")
    print(f"answer documents: {len(rep.answers)} scored")
    for f, acc in rep.per_field().items():
        print(f"  {f:20s} {acc:.3f}")
    print(f"question precision: {p:.3f}")
    print(f"question recall: {r:.3f}")
    print(f"answered_by accuracy: {rep.answered_by_accuracy():.3f}")
    print(f"question F1: {rep.f1():.3f}")
    print(f"question F1 (prose/unnumbered): {rep.f1(prose_only=True):.3f}")
    print(f"field accuracy: {rep.field_accuracy():.3f}")
    print(f"answer pairing accuracy: {rep.pairing_accuracy():.3f}")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    verbose = "-v" in args
    base = BLIND_DIR if "--blind" in args else HELDOUT3_DIR
    print(f"held-out corpus: {base.relative_to(ROOT)} (text + PDF)")
    if verbose:
        print("misses:")
    if "--text-only" in args:
        rep = evaluate(None, verbose, base)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            rep = evaluate(Path(tmp), verbose, base)
    print()
    print_report(rep)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
