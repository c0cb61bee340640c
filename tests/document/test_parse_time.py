"""Parse time stays linear in the input: pathological texts (one 150,000-character word, runs of
tabs, thousands of numbered lines …) are parsed in well under a second on a quiet machine.

The bound asserted here is deliberately generous (a busy 2-core machine runs the suite); before
the fix the long token alone took minutes. bench/eval_parse_time.py measures the real figures."""

from __future__ import annotations

import time

import pytest

from bot.document.anfrage import parse_cleaned_anfrage
from bot.document.clean import clean_text
from tests.document.hostile_texts import BUILDERS

SIZE = 150_000
GUARD_SECONDS = 8.0


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_pathological_text_parses_in_linear_time(name: str) -> None:
    text = BUILDERS[name](SIZE)
    assert len(text) >= SIZE * 0.9
    started = time.perf_counter()
    parsed = parse_cleaned_anfrage(clean_text(text))
    elapsed = time.perf_counter() - started
    assert elapsed < GUARD_SECONDS, f"{name}: {elapsed:.1f} s for {len(text)} characters"
    # The valid Anfrage around the noise is still read (a list of 99 numbered questions may
    # rightly win over the single one).
    assert parsed.subject == "Parkraum am Bahnhof"
    assert parsed.questions
    if name != "numbered lines":
        assert parsed.questions[0].text.startswith("Wie viele Stellplätze")


def test_long_token_keeps_dehyphenation() -> None:
    # The tail-only search must still join a word broken at a line end.
    assert clean_text("Verkehrs-\nplanung") == "Verkehrsplanung"
    assert clean_text("a" * 5000 + "-\nplanung") == "a" * 5000 + "planung"
