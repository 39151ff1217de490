"""Real data in, real data out: Wuhan at 300 m, 7 classes, solved, exported and re-imported.

The whole path a planner takes with a land-cover raster: import with the no-change mask,
solve with a per-class demand table that targets the two forests separately, export a
GeoTIFF on the source 30 m grid and a GeoPackage, check the export against the source data,
and re-import the GeoTIFF.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio

from data.db import connect, query_df
from data.exports import ExportBundle, export
from data.importers.raster import import_raster
from data.landscape import load_landscape
from solver import Scenario, Status, solve
from solver.demand import parse_rows
from solver.validate import check_allocation
from tests.conftest import require_wuhan

MAPPINGS = Path(__file__).resolve().parents[2] / "data" / "mappings"
DEMAND = [  # ha; the 2010 areas at 300 m are 4,695 (evergreen) and 10,115 (deciduous)
    {"class": "evergreen_forest", "target_ha": 4_800.0},
    {"class": "deciduous_forest", "target_ha": 10_300.0},
    {"class": "grassland", "min_ha": 900.0},
    {"class": "built", "max_ha": 53_500.0},
]


def lean_mapping(tmp_path: Path) -> Path:
    """wuhan.toml without derived drivers (they do not matter here and cost time)."""
    text = (MAPPINGS / "wuhan.toml").read_text(encoding="utf-8").replace(
        'class_table = "wuhan_classes.csv"',
        f'class_table = "{(MAPPINGS / "wuhan_classes.csv").as_posix()}"')
    path = tmp_path / "wuhan_lean.toml"
    path.write_text(text + "\n[derived]\ndistance_to = []\nshare_of = []\n", encoding="utf-8")
    return path


def scenario() -> Scenario:
    """Balanced levers, growth anywhere (a raster has no 城镇开发边界), the demand table."""
    s = Scenario.from_dict({"name": "wuhan-7", "growth": {"only_inside_boundary": False},
                            "weights": {"compactness": 0.0},
                            "solver": {"time_limit_s": 60.0, "workers": 2, "seed": 7}})
    return s.with_demand(parse_rows(DEMAND))


@pytest.mark.wuhan
@pytest.mark.slow
def test_wuhan_300m_solved_exported_and_reimported(tmp_path: Path) -> None:
    wuhan = require_wuhan()
    mapping = lean_mapping(tmp_path)
    store = import_raster(wuhan / "LULCs" / "wh2010_refy.tif", tmp_path / "w.duckdb", mapping,
                          300, no_change=wuhan / "WaterWuhan.tif").db_path
    land, s = load_landscape(store), scenario()
    result = solve(land, s)
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert check_allocation(land, s, result.assignment) == []
    assert all(t["met"] for t in result.targets if t["key"].startswith("demand."))
    codes = np.asarray(land.class_codes)[result.assignment]
    assert set(codes) <= set(range(1, 8)) and 7 in codes  # source codes, forests apart
    assignment = {"parcel_id": land.parcel_id, "land_use": codes}
    bundle = ExportBundle(store_path=store, name="wuhan-7",
                          assignment=pd.DataFrame(assignment))

    tif = export(bundle, tmp_path / "allocation.tif")
    with rasterio.open(tif) as out, rasterio.open(wuhan / "LULCs" / "wh2010_refy.tif") as src, \
            rasterio.open(wuhan / "WaterWuhan.tif") as mask:
        after, before, restricted = out.read(1), src.read(1), mask.read(1) == 0
        assert out.transform == src.transform and out.crs == src.crs
        valid = before != src.nodata
    assert int(((after != before) & restricted & valid).sum()) == 0  # no restricted pixel moved
    assert int(((after != before) & valid).sum()) > 0                # and the plan changes land

    gpkg = gpd.read_file(export(bundle, tmp_path / "allocation.gpkg"))
    assert gpkg.area.sum() / 10_000 == pytest.approx(gpkg["area_ha"].sum(), rel=0.005)
    assert (gpkg.area / 10_000).to_numpy() == pytest.approx(gpkg["area_ha"].to_numpy(), rel=1e-6)
    assert set(gpkg["use_after"]) == set(codes) and "evergreen_forest" in set(
        gpkg["use_after_key"])

    again = import_raster(tif, tmp_path / "again.duckdb", mapping, 300).db_path
    con = connect(again)
    try:
        reread = query_df(con, "SELECT parcel_id, land_use FROM parcels ORDER BY parcel_id")
    finally:
        con.close()
    assert reread["parcel_id"].tolist() == land.parcel_id.tolist()
    assert (reread["land_use"].to_numpy() == codes).all()  # cell for cell
