"""The solver package is layered: no import circle, orchestration on top.

Imports are read from the source (module level and inside functions alike; a deferred import
is still a circle), except those under ``if TYPE_CHECKING:``, which never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

SOLVER = Path(__file__).resolve().parents[2] / "solver"
#: Modules that compose the others and that no lower module may import.
TOP = {"solver.orchestrate", "solver.distributed", "solver.__main__"}


def _module_name(path: Path) -> str:
    return "solver" if path.name == "__init__.py" else f"solver.{path.stem}"


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imported(node: ast.AST) -> set[str]:
    """Solver modules named by the import statements under ``node`` (TYPE_CHECKING excluded)."""
    found: set[str] = set()
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child):
            found |= set().union(*(_imported(n) for n in child.orelse)) if child.orelse else set()
            continue
        if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
            if child.module == "solver":  # ``from solver import orchestrate`` names a module
                found |= {f"solver.{a.name}" for a in child.names
                          if (SOLVER / f"{a.name}.py").exists()} or {"solver"}
            elif child.module.startswith("solver."):
                found.add(child.module)
        elif isinstance(child, ast.Import):
            found |= {a.name for a in child.names if a.name.startswith("solver.")}
        found |= _imported(child)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module → solver modules it imports, for every module of the package."""
    graph = {}
    for path in sorted(SOLVER.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        name = _module_name(path)
        graph[name] = _imported(tree) - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a list of modules (first = last), or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_solver_package_has_no_import_circle() -> None:
    graph = import_graph()
    assert {"solver.model", "solver.explain", "solver.orchestrate"} <= set(graph)
    assert find_cycle(graph) is None, " → ".join(find_cycle(graph) or [])


def test_orchestration_is_imported_only_from_the_top() -> None:
    graph = import_graph()
    lower = {m: deps & TOP for m, deps in graph.items() if m not in TOP | {"solver"}}
    assert {m: d for m, d in lower.items() if d} == {}


def test_the_cycle_finder_finds_a_circle_through_a_deferred_import(tmp_path: Path) -> None:
    source = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from solver.c import C\n"
              "def f():\n    from solver.b import g\n")
    assert _imported(ast.parse(source)) == {"solver.b"}
    assert find_cycle({"solver.a": {"solver.b"}, "solver.b": {"solver.a"}}) == [
        "solver.a", "solver.b", "solver.a"]
    assert find_cycle({"solver.a": {"solver.b"}, "solver.b": set()}) is None
