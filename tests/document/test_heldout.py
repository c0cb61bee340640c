"""Held-out targets: documents in ``tests/document/heldout`` with hand-written gold labels
(written without running the parser), scored through ``anfragebot parse --json``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_heldout_targets_hold() -> None:
    path = ROOT / "bench" / "eval_heldout.py"
    spec = importlib.util.spec_from_file_location("eval_heldout", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_heldout"] = module
    spec.loader.exec_module(module)
    totals = module.evaluate()
    assert len(totals.docs) >= 14
    assert totals.f1 >= 0.95, f"held-out question F1 {totals.f1:.3f} < 0.95"
    assert totals.field_accuracy >= 0.90, (
        f"held-out field accuracy {totals.field_accuracy:.3f} < 0.90"
    )
