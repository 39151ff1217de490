"""Monitoring on real data, end to end: a Wuhan store from the 2005 map at 300 m, a plan solved
on it and saved, the 2010 map imported as the survey; the suspected violations inside the
open-water no-change mask must equal those counted directly from the three rasters."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio

from data import store
from data.__main__ import main
from data.db import connect
from data.landscape import load_landscape
from data.library import load_scenario
from data.monitoring.compare import monitor, plan_from_saved
from data.monitoring.survey import list_surveys, load_survey
from solver.orchestrate import solve
from solver.scenario import Scenario
from tests.conftest import REPO_ROOT, require_wuhan
from tests.monitoring_cases import save_plan

MAPPING = REPO_ROOT / "data" / "mappings" / "wuhan.toml"
K = 10  # 300 m cells of 30 m pixels
PLAN = "2015规划"


@pytest.fixture(scope="module")
def wuhan(tmp_path_factory) -> dict[str, Path]:
    """The 2005 store at 300 m with a solved, saved plan; the 2010 map imported as a survey."""
    folder = require_wuhan()
    out = tmp_path_factory.mktemp("monitor_wuhan")
    db = out / "wuhan2005_300m.duckdb"
    assert main(["import-raster", "--landuse", str(folder / "LULCs" / "wh2005_refy.tif"),
                 "--no-change", str(folder / "WaterWuhan.tif"),
                 "--regions", str(folder / "districts" / "wuhan_districts.shp"),
                 "--cell-size", "300", "--mapping", str(MAPPING), "--db", str(db)]) == 0
    _solve_and_save(db)
    assert main(["import-survey", "--db", str(db), "--survey",
                 str(folder / "LULCs" / "wh2010_refy.tif"), "--mapping", str(MAPPING),
                 "--year", "2010", "--name", "2010监测"]) == 0
    return {"db": db, "folder": folder, "out": out}


def _solve_and_save(db: Path) -> None:
    land = load_landscape(db)
    scenario = Scenario.from_dict({
        "name": "plan_2015", "farmland": {"quota_pct": 95.0},
        "growth": {"min_new_built_ha": 8000.0, "max_new_built_ha": 12000.0,
                   "only_inside_boundary": False, "expansion_cap": 1.6},
        "solver": {"time_limit_s": 60.0}})
    result = solve(land, scenario)
    assert result.assignment is not None, result.status
    codes = np.asarray(land.class_codes)[np.asarray(result.assignment)]
    save_plan(db, PLAN, scenario, codes, summary=result.to_summary_dict())


def _blocks(values: np.ndarray, fill: int) -> np.ndarray:
    rows, cols = -(-values.shape[0] // K), -(-values.shape[1] // K)
    padded = np.full((rows * K, cols * K), fill, dtype=values.dtype)
    padded[:values.shape[0], :values.shape[1]] = values
    return padded.reshape(rows, K, cols, K).swapaxes(1, 2).reshape(rows, cols, K * K)


def _majority(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Majority code of each 300 m block (ties: the lower code) and whether it has data."""
    with rasterio.open(path) as src:
        values, nodata = src.read(1).astype(np.int16), src.nodata
    valid = values != nodata
    blocks = _blocks(np.where(valid, values, -1), -1)
    counts = np.stack([(blocks == code).sum(axis=2) for code in range(1, 8)], axis=2)
    return counts.argmax(axis=2) + 1, counts.sum(axis=2) > 0


def _restricted(folder: Path) -> np.ndarray:
    """Blocks with any open-water (0) mask pixel on valid 2005 land use (mapping rule "any")."""
    with rasterio.open(folder / "WaterWuhan.tif") as src:
        mask, mask_nodata = src.read(1), src.nodata
    with rasterio.open(folder / "LULCs" / "wh2005_refy.tif") as src:
        landuse, nodata = src.read(1), src.nodata
    restricted = (mask == 0) & (mask != mask_nodata) & (landuse != nodata)
    return _blocks(restricted, False).any(axis=2)


def test_no_change_violations_equal_the_raster_count(wuhan):
    folder, db = wuhan["folder"], wuhan["db"]
    base, has_base = _majority(folder / "LULCs" / "wh2005_refy.tif")
    later, has_later = _majority(folder / "LULCs" / "wh2010_refy.tif")
    changed_in_mask = has_base & has_later & _restricted(folder) & (base != later)
    expected = int(changed_in_mask.sum())
    assert expected > 500  # thousands of open-water cells changed use 2005 → 2010

    survey = load_survey(db, "2010监测")
    con = connect(db)
    try:
        ids = store.read_parcels(con)["parcel_id"].to_numpy()
    finally:
        con.close()
    plan = plan_from_saved(load_scenario(db, PLAN), ids, survey.year, 2005, 2015)
    report = monitor(db, plan, survey)
    assert report.totals()["no_change"]["parcels"] == expected
    flagged = report.parcels[report.parcels["no_change"]]
    rows = store_cells(db).set_index("parcel_id").loc[flagged["parcel_id"]]
    assert changed_in_mask[rows["grid_row"], rows["grid_col"]].all()
    # a land-cover raster carries no red line, basic farmland or urban boundary: said, not faked
    assert set(report.unchecked) == {"red_line", "basic_farmland", "outside_boundary"}
    assert report.totals()["red_line"]["parcels"] == 0
    # every realised change is either planned or not: the deviation areas add up to the store
    assert sum(report.deviation_area().values()) == pytest.approx(
        report.parcels["area_ha"].sum())


def store_cells(db: Path) -> pd.DataFrame:
    con = connect(db)
    try:
        return store.read_parcels(con)[["parcel_id", "grid_row", "grid_col"]]
    finally:
        con.close()


def test_monitor_command_on_wuhan(wuhan, capsys):
    db, out = wuhan["db"], wuhan["out"]
    summary = out / "summary.json"
    code = main(["monitor", "--db", str(db), "--scenario", PLAN, "--survey", "2010监测",
                 "--base-year", "2005", "--plan-year", "2015", "--summary", str(summary)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    result = json.loads(summary.read_text(encoding="utf-8"))
    assert result["elapsed_pct"] == 50.0
    assert result["violations"]["no_change"]["parcels"] > 500
    # the plan's growth band was 8,000–12,000 ha; Wuhan built about 17,800 ha in 2005–2010
    growth_cap = next(t for t in result["targets"] if t["key"] == "growth.max_new_built_ha")
    assert growth_cap["status"] == "red" and growth_cap["reason"] == "cap_exceeded"
    assert growth_cap["survey_ha"] > 12_000
    assert "no_change" in printed and "not checked" in printed
    # importing the survey left the store and its saved plan untouched
    assert list_surveys(db)["stale"].tolist() == [False]
