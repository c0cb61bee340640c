# ruff: noqa: E501  (test data: long German sample lines are kept verbatim)
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.document.conftest import TEXT_DIR

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not TEXT_DIR.is_dir(), reason="corpus not found")
def test_eval_targets_hold() -> None:
    spec = importlib.util.spec_from_file_location("eval_parser", ROOT / "bench" / "eval_parser.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_parser"] = module
    spec.loader.exec_module(module)
    totals = module.evaluate()
    assert len(totals.docs) >= 19
    assert totals.f1 >= 0.95
    assert totals.field_accuracy >= 0.90
