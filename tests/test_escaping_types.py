"""The escaping is enforced by types: mypy (strict, as in CI) refuses a raw `str` where a block
builder, a template or a link wants escaped text, and accepts the escaped forms."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.paths import ROOT

FORGOTTEN = """
from bot.slack.blocks import context, fields, header, section
from bot.slack.escape import fill, link, ours

council: str = "<!channel>"
section(council)  # line 6
context(council)  # line 7
header(council)  # line 8
fields([council])  # line 9
fill("{x}", x=council)  # line 10
link("https://ris.example", council)  # line 11
"""

ESCAPED = """
from bot.slack.blocks import context, fields, header, section
from bot.slack.escape import fill, link, mrkdwn, ours, plain_text

council: str = "<!channel>"
section(mrkdwn(council))
context(fill("TOP {x}", x=mrkdwn(council)))
header(plain_text(council))
fields([mrkdwn(council)])
link("https://ris.example", ours("Im Ratsinformationssystem"))
"""


def run_mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(source, encoding="utf-8")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--ignore-missing-imports",
            "--no-error-summary",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(snippet),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_raw_council_text_does_not_type_check(tmp_path: Path) -> None:
    done = run_mypy(tmp_path, FORGOTTEN)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = {int(m.group(1)) for m in re.finditer(r"snippet\.py:(\d+): error", done.stdout)}
    assert lines == {6, 7, 8, 9, 10, 11}, done.stdout


def test_escaped_text_type_checks(tmp_path: Path) -> None:
    done = run_mypy(tmp_path, ESCAPED)
    assert done.returncode == 0, done.stdout + done.stderr
