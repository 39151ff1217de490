"""The solver package imports nothing of ours (only __main__ may import data)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import solver

ROOT = Path(__file__).resolve().parents[2]


def test_solver_modules_import_no_data_dashboard_or_streamlit() -> None:
    mods = [m.name for m in pkgutil.iter_modules(solver.__path__) if m.name != "__main__"]
    code = ("import sys\n" + "".join(f"import solver.{m}\n" for m in mods)
            + "bad = [m for m in sys.modules if m.split('.')[0] in "
              "('data', 'dashboard', 'streamlit')]\nprint(bad)\nassert not bad, bad\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_no_source_line_imports_data_outside_main() -> None:
    for path in Path(solver.__file__).parent.glob("*.py"):
        if path.name == "__main__.py":
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        imports = [ln.strip() for ln in lines if ln.strip().startswith(("import ", "from "))]
        for line in imports:
            top = line.split()[1].split(".")[0]
            assert top not in ("data", "dashboard", "streamlit"), (path, line)
