"""Pathological document texts for the parse-time guard (tests) and bench/eval_parse_time.py.

Each builder returns about ``size`` characters around a small valid Anfrage. They target the
shapes that made the parser super-linear: one long token (a 150,000-character word in
``File.text`` made a poll take 3 minutes), long runs of tabs, thousands of numbered lines,
bullets, ``gez.`` lines, hyphenated line ends, ``?`` and digit runs.
"""

from __future__ import annotations

from collections.abc import Callable

HEAD = (
    "Anfrage der SPD-Fraktion\nBetreff: Parkraum am Bahnhof\n\n"
    "Wir fragen die Verwaltung:\n1. Wie viele Stellplätze gibt es?\n\n"
)


def _rep(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit))


BUILDERS: dict[str, Callable[[int], str]] = {
    "long token": lambda n: HEAD + _rep("a", n),
    "long uppercase token": lambda n: HEAD + _rep("A", n),
    "digits": lambda n: HEAD + _rep("7", n),
    "question marks": lambda n: HEAD + _rep("?", n),
    "short questions": lambda n: HEAD + _rep("Wie? ", n),
    "one long line": lambda n: HEAD + _rep("Das ist ein Satz mit Wörtern. ", n),
    "spaces": lambda n: HEAD + "a" + " " * n + "b",
    "tabs": lambda n: HEAD + "a" + "\t" * n + "b",
    "blank lines": lambda n: HEAD + "\n" * n,
    "dots": lambda n: HEAD + _rep(".", n),
    "dates": lambda n: HEAD + _rep("1.1.", n),
    "slashes": lambda n: HEAD + _rep("1/", n),
    "numbered lines": lambda n: HEAD + "".join(f"{i % 99}. Frage?\n" for i in range(n // 10)),
    "numbered lines without ?": lambda n: HEAD + _rep("1. Punkt\n", n),
    "hyphenated line ends": lambda n: HEAD + _rep("ab-\n", n),
    "bullets": lambda n: HEAD + _rep("- x\n", n),
    "gez lines": lambda n: HEAD + _rep("gez.\n", n),
    "short lines": lambda n: HEAD + _rep("x\n", n),
    "table rows": lambda n: HEAD + _rep("Gremium\tDatum\tTOP\n", n),
    "letter-spaced": lambda n: HEAD + _rep("A ", n),
}
