"""The house rules of issue 12 that import-linter cannot state: no import cycle, no huge module.

The layering itself (which package may import which) is declared as import-linter contracts in
pyproject.toml and checked by `lint-imports` in .ci/run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
MAX_NON_BLANK_LINES = 600


def _imports(graph: grimp.ImportGraph, module: str) -> Iterator[str]:
    return iter(sorted(graph.find_modules_directly_imported_by(module)))


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, _imports(graph, root))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, _imports(graph, child)))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycle_among_bot_and_jobs() -> None:
    # grimp also sees imports inside functions: a cycle hidden that way still counts.
    graph = grimp.build_graph("bot", "jobs")
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for module in ("a", "b", "c"):
        graph.add_module(module)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="c")
    graph.add_import(importer="c", imported="a")
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_module_over_600_non_blank_lines() -> None:
    too_long = {}
    seen = 0
    for package in ("bot", "jobs"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            seen += 1
            lines = sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
            if lines > MAX_NON_BLANK_LINES:
                too_long[str(path.relative_to(ROOT))] = lines
    assert seen > 50  # the walk found the code
    assert too_long == {}


def test_every_package_says_what_lives_there() -> None:
    inits = [init for package in ("bot", "jobs") for init in (ROOT / package).rglob("__init__.py")]
    assert len(inits) >= 8
    missing = [
        str(init.relative_to(ROOT))
        for package in ("bot", "jobs")
        for init in sorted((ROOT / package).rglob("__init__.py"))
        if "migrations" not in init.parts and len(init.read_text(encoding="utf-8").strip()) < 40
    ]
    assert missing == []
