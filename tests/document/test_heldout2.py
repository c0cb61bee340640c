"""Second held-out set: documents in ``tests/document/heldout2`` with hand-written gold labels,
written before the parser was run on them, scored through ``anfragebot parse --json``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_heldout2_targets_hold() -> None:
    path = ROOT / "bench" / "eval_heldout2.py"
    spec = importlib.util.spec_from_file_location("eval_heldout2", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_heldout2"] = module
    spec.loader.exec_module(module)
    totals = module.evaluate()
    assert len(totals.docs) >= 16
    rvr = [d for d in totals.docs if d.name.startswith("rvr-")]
    assert len(rvr) >= 8
    assert totals.f1 >= 0.95, f"heldout2 question F1 {totals.f1:.3f} < 0.95"
    assert totals.field_accuracy >= 0.90, (
        f"heldout2 field accuracy {totals.field_accuracy:.3f} < 0.90"
    )
