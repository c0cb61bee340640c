from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.document.layouts import build_all

TEXT_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "anfrage-texts"
GOLD_DIR = Path(__file__).resolve().parent / "gold"


def load_gold(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLD_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return data


def text_names() -> list[str]:
    return sorted(p.stem for p in GOLD_DIR.glob("*.json"))


@pytest.fixture(scope="session")
def generated_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_all(tmp_path_factory.mktemp("layouts"))


@pytest.fixture(scope="session")
def texts_available() -> None:
    if not TEXT_DIR.is_dir():
        pytest.skip(f"corpus not found: {TEXT_DIR}")
