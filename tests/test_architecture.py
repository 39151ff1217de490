"""The one-way layering of docs/ARCHITECTURE.md: dashboard → data → solver."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def modules(package: str) -> list[Path]:
    return sorted((REPO_ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", modules("data"), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_data_never_imports_streamlit_or_dashboard(path):
    assert not imported_top_levels(path) & {"streamlit", "dashboard"}


@pytest.mark.parametrize("path", modules("solver"), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_solver_imports_nothing_of_ours_except_its_cli(path):
    forbidden = {"streamlit", "dashboard"} | ({"data"} if path.name != "__main__.py" else set())
    assert not imported_top_levels(path) & forbidden


@pytest.mark.parametrize("path", modules("wording"), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_the_wording_catalogue_imports_nothing_of_ours(path):
    """Every layer renders its words from ``wording``; it must sit below all of them."""
    assert not imported_top_levels(path) & {"streamlit", "dashboard", "data", "solver"}


@pytest.mark.parametrize("path", sorted((REPO_ROOT / "dashboard" / "views").glob("*.py")),
                         ids=lambda p: p.name)
def test_a_page_is_a_function_of_the_page_context(path):
    """docs/DESIGN.md: ``def page(ctx: PageContext)``; the module only defines things and
    ends with ``page(page_context())`` (no repeated opening lines at module level)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    body = [node for node in tree.body
            if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
    *definitions, last = body
    allowed = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign,
               ast.AnnAssign)
    assert all(isinstance(node, allowed) for node in definitions)
    for node in definitions:  # module constants only: no calls into Streamlit or services
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            assert not any(isinstance(n, ast.Call) for n in ast.walk(node.value)), ast.unparse(node)
    page = next(n for n in definitions if isinstance(n, ast.FunctionDef) and n.name == "page")
    assert [a.arg for a in page.args.args] == ["ctx"]
    assert ast.unparse(last) == "page(page_context())"
