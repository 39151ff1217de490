"""Command line: exit codes 0 / 2 / 1 and the files it writes, on a tiny demo store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from data.presets import load_preset

ROOT = Path(__file__).resolve().parents[2]

try:  # the store is built by the data package (another engineer's module)
    from data.demo import build_demo
except ImportError:  # pragma: no cover - reported as a skip reason
    build_demo = None

pytestmark = pytest.mark.skipif(build_demo is None, reason="data.demo.build_demo not available")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("store") / "tiny.duckdb"
    build_demo(db, rows=12, cols=15, seed=1)
    return db


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "solver", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".gpkg"])
def test_solve_writes_result_and_summary(store: Path, tmp_path: Path, suffix: str) -> None:
    out, summary = tmp_path / f"r{suffix}", tmp_path / "s.json"
    toml = tmp_path / "small.toml"  # the farmland preset with a growth target this store fits
    toml.write_text(load_preset("farmland").with_value("growth.min_new_built_ha", 5.0)
                    .to_toml(), encoding="utf-8")
    p = run("solve", "--db", str(store), "--scenario", str(toml), "--out", str(out),
            "--summary", str(summary), "--time-limit", "5", "--workers", "2")
    assert p.returncode == 0, p.stderr
    s = json.loads(summary.read_text(encoding="utf-8"))
    for key in ("status", "objective", "best_bound", "gap", "wall_time_s", "n_parcels",
                "area_by_class_ha", "changed_parcels", "changed_area_ha"):
        assert key in s
    assert s["status"] in ("OPTIMAL", "FEASIBLE") and s["n_parcels"] == 180
    if suffix == ".gpkg":
        import geopandas as gpd

        table = gpd.read_file(out)
        assert table.geometry.notna().all()
    else:
        table = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert {"parcel_id", "use_before", "use_after", "use_after_key"} <= set(table.columns)
    assert len(table) == 180


def test_infeasible_exits_2_with_explanation(store: Path, tmp_path: Path) -> None:
    toml = tmp_path / "impossible.toml"
    toml.write_text('[growth]\nmin_new_built_ha = 100000.0\n[solver]\ntime_limit_s = 5.0\n',
                    encoding="utf-8")
    summary = tmp_path / "s.json"
    p = run("solve", "--db", str(store), "--scenario", str(toml), "--summary", str(summary))
    assert p.returncode == 2, p.stderr
    assert "growth.min_new_built_ha" in p.stdout and "新增建设用地" in p.stdout
    s = json.loads(summary.read_text(encoding="utf-8"))
    assert s["status"] == "INFEASIBLE" and s["explanation"]["suggestions"]


@pytest.mark.parametrize("args", [
    ["--db", "missing.duckdb", "--scenario", "trend"],
    ["--scenario", "no_such_preset"],
    ["--scenario", "trend", "--out", "result.xlsx"],
])
def test_errors_exit_1_without_traceback(store: Path, args: list[str]) -> None:
    if "--db" not in args:
        args = ["--db", str(store), *args]
    p = run("solve", *args)
    assert p.returncode == 1
    assert "error:" in p.stderr and "Traceback" not in p.stderr


def test_bad_scenario_value_exits_1(store: Path, tmp_path: Path) -> None:
    toml = tmp_path / "bad.toml"
    toml.write_text("[farmland]\nquota_pct = 500\n", encoding="utf-8")
    p = run("solve", "--db", str(store), "--scenario", str(toml))
    assert p.returncode == 1 and "farmland.quota_pct" in p.stderr
