"""The embedded demo county: deterministic, realistic proportions, zoning that makes sense."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from data.db import connect, query, query_df
from data.store import read_meta
from tests.conftest import REPO_ROOT


def class_areas(store) -> dict[str, float]:
    con = connect(store)
    rows = query(con, "SELECT c.key, sum(p.area_ha) FROM parcels p JOIN land_classes c "
                      "ON p.land_use = c.code GROUP BY 1")
    con.close()
    return dict(rows)


def test_default_demo_size_and_labels(demo_store):
    con = connect(demo_store)
    meta = read_meta(con)
    assert meta["name_zh"].startswith("示例县") and "synthetic" in meta["name_en"]
    assert query(con, "SELECT count(*) FROM parcels") == [(18_000,)]
    regions = query_df(con, "SELECT name_zh, name_en, population FROM regions")
    con.close()
    assert 6 <= len(regions) <= 10 and regions["population"].gt(0).all()


def test_demo_is_deterministic(tmp_path):
    from data.demo import build_demo

    versions = []
    for name in ("a.duckdb", "b.duckdb"):
        con = connect(build_demo(tmp_path / name, rows=20, cols=25))
        versions.append(read_meta(con)["version"])
        con.close()
    assert versions[0] == versions[1]


def test_demo_land_use_mix_is_plausible(demo_store):
    areas = class_areas(demo_store)
    total = sum(areas.values())
    assert set(areas) == {"cropland", "forest", "grassland", "water", "built", "unused"}
    assert 0.35 < areas["cropland"] / total < 0.65
    assert 0.2 < areas["forest"] / total < 0.5
    assert 0.01 < areas["built"] / total < 0.08


def test_demo_zoning_rules_hold(demo_store):
    con = connect(demo_store)
    checks = query_df(con, """
        SELECT
          sum(CASE WHEN is_basic_farmland AND land_use <> 1 THEN 1 ELSE 0 END) AS bf_not_crop,
          sum(CASE WHEN is_red_line AND land_use IN (1, 5) THEN 1 ELSE 0 END) AS red_on_crop_or_built,
          sum(CASE WHEN is_red_line AND is_basic_farmland THEN 1 ELSE 0 END) AS red_and_bf,
          sum(CASE WHEN land_use = 5 AND in_urban_boundary THEN area_ha END)
            / sum(CASE WHEN land_use = 5 THEN area_ha END) AS built_inside_share,
          avg(CASE WHEN land_use = 2 THEN slope_deg END) - avg(CASE WHEN land_use = 1
            THEN slope_deg END) AS forest_steeper_by
        FROM parcels""")
    con.close()
    row = checks.iloc[0]
    assert row.bf_not_crop == 0 and row.red_on_crop_or_built == 0 and row.red_and_bf == 0
    assert row.built_inside_share > 0.8
    assert row.forest_steeper_by > 2


def test_cli_build_demo_and_info(tmp_path):
    db = tmp_path / "cli.duckdb"
    build = subprocess.run([sys.executable, "-m", "data", "build-demo", "--db", str(db),
                            "--rows", "10", "--cols", "12"], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    info = subprocess.run([sys.executable, "-m", "data", "info", "--db", str(db)],
                          capture_output=True, text=True)
    assert info.returncode == 0 and "120 parcels" in info.stdout


@pytest.mark.parametrize("argv", [["info", "--db", "nowhere.duckdb"]])
def test_cli_missing_store_exits_1_with_fix(tmp_path, argv):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run([sys.executable, "-m", "data", *argv], capture_output=True,
                            text=True, cwd=tmp_path, env=env)
    assert result.returncode == 1 and "build-demo" in result.stderr
