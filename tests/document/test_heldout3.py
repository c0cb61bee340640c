"""Third held-out set (municipal layouts, prose questions, answers with hand-labelled pairings),
written before the parser was changed for it, scored as text and as PDF through
``anfragebot parse --json`` (bench/eval_heldout3.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _module() -> object:
    path = ROOT / "bench" / "eval_heldout3.py"
    spec = importlib.util.spec_from_file_location("eval_heldout3", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_heldout3"] = module
    spec.loader.exec_module(module)
    return module


def test_heldout3_targets_hold(tmp_path: Path) -> None:
    ev = _module()
    assert len(ev.anfragen()) >= 15  # type: ignore[attr-defined]
    assert sum(bool(g.get("prose")) for _, _, g in ev.anfragen()) >= 5  # type: ignore[attr-defined]
    assert sum(not g["questions"] for _, _, g in ev.anfragen()) >= 2  # type: ignore[attr-defined]
    assert len(ev.answers()) >= 15  # type: ignore[attr-defined]
    rep = ev.evaluate(tmp_path)  # type: ignore[attr-defined]
    assert rep.f1() >= 0.95, f"question F1 {rep.f1():.3f}"
    assert rep.f1(prose_only=True) >= 0.90, f"prose F1 {rep.f1(prose_only=True):.3f}"
    assert rep.field_accuracy() >= 0.95, f"field accuracy {rep.field_accuracy():.3f}"
    assert rep.pairing_accuracy() >= 0.90, f"pairing accuracy {rep.pairing_accuracy():.3f}"
