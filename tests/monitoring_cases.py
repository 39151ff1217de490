"""A small real grid store with a hand-made plan and a survey in which every kind of finding is
planted at a known cell (monitoring tests of the data layer, the dashboard and the browser).

12 × 12 pixels of 30 m (one cell each, 0.09 ha), Wuhan's seven classes, two regions (West:
columns 0–5, East: 6–11), every zone::

    rows 0–3   forest (W) | water (E)        red line: rows 0–3 × cols 0–3
                                               no-change mask: rows 0–1 × cols 6–11
    rows 4–7   cropland                       basic farmland: rows 4–5
    rows 8–11  built 0–2, grassland 3–8, built 9–11
                                               urban boundary: rows 6–11 × cols 0–2 and 9–11

The plan turns cropland into built land at (6,0) (6,1) (7,0) (7,1) and (6,10) (6,11), grassland
into forest at (10,6) (10,7) and (11,3). The survey (year 2025; base 2020, plan 2030) shows:

* red line: (0,0) (0,1) forest → cropland                               2 cells
* basic farmland: (4,7) (4,8) (5,8) cropland → built (outside boundary)  3 cells
* no-change mask: (0,10) water → cropland                               1 cell
* outside boundary: those 3 and (9,4) grassland → built                 4 cells
* cropland unbalanced: East takes 4 cells of cropland for construction ((4,7) (4,8) (5,8)
  (6,10)) and gains 2 ((0,10) (2,10)); West takes 3 and gains 4 ((0,0) (0,1) (3,5) (11,3))
                                                                         4 cells (East)
* as planned (6,0) (6,1) (7,0) (6,10); not realised (7,1) (6,11) (10,6) (10,7); different
  (11,3) (planned forest, now cropland); no data (11,11); unplanned: the other 9 changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from affine import Affine

from data import store
from data.db import connect
from data.importers.raster import import_raster
from data.indicators import compute_indicators
from data.library import save_scenario
from data.monitoring.compare import Plan
from data.monitoring.survey import import_survey
from solver.scenario import Scenario
from tests.conftest import REPO_ROOT

CRS = "EPSG:32649"
X0, Y0, PIXEL, SIZE = 500_000.0, 3_300_000.0, 30.0, 12
NODATA = 0  # land-use nodata (class codes are 1..7)
CELL_HA = PIXEL * PIXEL / 10_000
FOREST, CROP, BUILT, GRASS, WATER = 2, 3, 4, 1, 6
BASE_YEAR, SURVEY_YEAR, PLAN_YEAR = 2020, 2025, 2030
PLAN_NAME, SURVEY_NAME = "2030规划", "2025变更调查"

PLANNED = {(6, 0): BUILT, (6, 1): BUILT, (7, 0): BUILT, (7, 1): BUILT, (6, 10): BUILT,
           (6, 11): BUILT, (10, 6): FOREST, (10, 7): FOREST, (11, 3): FOREST}
SURVEYED = {(0, 0): CROP, (0, 1): CROP, (3, 5): CROP, (4, 7): BUILT, (4, 8): BUILT,
            (5, 8): BUILT, (0, 10): CROP, (2, 10): CROP, (9, 4): BUILT, (6, 0): BUILT,
            (6, 1): BUILT, (7, 0): BUILT, (6, 10): BUILT, (11, 3): CROP, (11, 11): NODATA}
EXPECTED_CELLS = {
    "red_line": {(0, 0), (0, 1)},
    "basic_farmland": {(4, 7), (4, 8), (5, 8)},
    "no_change": {(0, 10)},
    "outside_boundary": {(4, 7), (4, 8), (5, 8), (9, 4)},
    "cropland_unbalanced": {(4, 7), (4, 8), (5, 8), (6, 10)},
}
EXPECTED_DEVIATIONS = {
    "as_planned": {(6, 0), (6, 1), (7, 0), (6, 10)},
    "not_realised": {(7, 1), (6, 11), (10, 6), (10, 7)},
    "different": {(11, 3)},
    "no_data": {(11, 11)},
    "unplanned": {(0, 0), (0, 1), (3, 5), (4, 7), (4, 8), (5, 8), (0, 10), (2, 10), (9, 4)},
}

MAPPING = f"""
name_zh = "监测测试区"
name_en = "Monitoring test area"
class_table = "{(REPO_ROOT / 'data' / 'mappings' / 'wuhan_classes.csv').as_posix()}"
[regions]
column = "name"
[regions.name_en]
"西区" = "West"
"东区" = "East"
[no_change]
restricted = [0]
rule = "any"
"""


def base_map() -> np.ndarray:
    pixels = np.zeros((SIZE, SIZE), dtype=np.uint8)
    pixels[0:4, 0:6], pixels[0:4, 6:12] = FOREST, WATER
    pixels[4:8, :] = CROP
    pixels[8:12, :] = GRASS
    pixels[8:12, 0:3] = BUILT
    pixels[8:12, 9:12] = BUILT
    return pixels


def survey_map() -> np.ndarray:
    pixels = base_map()
    for (r, c), code in SURVEYED.items():
        pixels[r, c] = code
    return pixels


def plan_map() -> np.ndarray:
    pixels = base_map()
    for (r, c), code in PLANNED.items():
        pixels[r, c] = code
    return pixels


def zone(rows: slice, cols: slice) -> np.ndarray:
    mask = np.zeros((SIZE, SIZE), dtype=np.uint8)
    mask[rows, cols] = 1
    return mask


def write_tif(path: Path, pixels: np.ndarray, nodata: int | None = NODATA, crs: str = CRS,
              transform: Affine | None = None) -> Path:
    """A one-band GeoTIFF on the case's grid (or another one, for error cases)."""
    with rasterio.open(path, "w", driver="GTiff", height=pixels.shape[0],
                       width=pixels.shape[1], count=1, dtype=pixels.dtype, crs=crs,
                       nodata=nodata,
                       transform=transform or Affine(PIXEL, 0, X0, 0, -PIXEL, Y0)) as dst:
        dst.write(pixels, 1)
    return path


def write_mapping(folder: Path) -> Path:
    path = folder / "monitoring_mapping.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


def write_regions(folder: Path) -> Path:
    half = SIZE * PIXEL / 2
    frame = gpd.GeoDataFrame(
        {"name": ["西区", "东区"]},
        geometry=[shapely.box(X0, Y0 - SIZE * PIXEL, X0 + half, Y0),
                  shapely.box(X0 + half, Y0 - SIZE * PIXEL, X0 + 2 * half, Y0)], crs=CRS)
    path = folder / "monitoring_regions.gpkg"
    frame.to_file(path)
    return path


def scenario() -> Scenario:
    """Levers the plan keeps: quota 85 %, 0.5–0.6 ha of new construction land."""
    return Scenario.from_dict({
        "name": "monitoring_case", "farmland": {"quota_pct": 85.0},
        "growth": {"min_new_built_ha": 0.5, "max_new_built_ha": 0.6,
                   "only_inside_boundary": True}})


@dataclass(frozen=True)
class Case:
    db: Path
    survey_tif: Path
    mapping: Path
    folder: Path

    def cell_of(self, parcel_ids: np.ndarray) -> list[tuple[int, int]]:
        """(row, col) of parcels (one cell per pixel here)."""
        con = connect(self.db)
        try:
            parcels = store.read_parcels(con).set_index("parcel_id")
        finally:
            con.close()
        return [(int(parcels.at[p, "grid_row"]), int(parcels.at[p, "grid_col"]))
                for p in parcel_ids]

    def plan(self) -> Plan:
        return Plan(PLAN_NAME, scenario(), plan_codes(self.db), BASE_YEAR, PLAN_YEAR)


def plan_codes(db: Path) -> np.ndarray:
    con = connect(db)
    try:
        parcels = store.read_parcels(con)
    finally:
        con.close()
    return plan_map()[parcels["grid_row"], parcels["grid_col"]].astype(np.int64)


def build_case(folder: Path, save_plan: bool = True, import_the_survey: bool = True) -> Case:
    """Write the rasters, import the store, save the plan and import the survey."""
    folder.mkdir(parents=True, exist_ok=True)
    mapping = write_mapping(folder)
    landuse = write_tif(folder / "base_2020.tif", base_map())
    no_change = write_tif(folder / "no_change.tif", 1 - zone(slice(0, 2), slice(6, 12)),
                          nodata=255)
    zones = {"is_red_line": write_tif(folder / "red_line.tif", zone(slice(0, 4), slice(0, 4)),
                                      nodata=255),
             "is_basic_farmland": write_tif(folder / "basic.tif", zone(slice(4, 6), slice(0, 12)),
                                            nodata=255)}
    urban = zone(slice(6, 12), slice(0, 3)) | zone(slice(6, 12), slice(9, 12))
    zones["in_urban_boundary"] = write_tif(folder / "urban.tif", urban, nodata=255)
    db = folder / "monitoring.duckdb"
    import_raster(landuse, db, mapping, PIXEL, regions_path=write_regions(folder),
                  no_change=no_change, name="监测测试区", zones=zones)
    survey_tif = write_tif(folder / "survey_2025.tif", survey_map())
    case = Case(db, survey_tif, mapping, folder)
    if save_plan:
        save_plan_to_library(db)
    if import_the_survey:
        import_survey(db, survey_tif, mapping, SURVEY_YEAR, name=SURVEY_NAME)
    return case


def save_plan_to_library(db: Path) -> None:
    """The hand-made plan as a saved scenario, as the dashboard saves it."""
    save_plan(db, PLAN_NAME, scenario(), plan_codes(db), "trend", {"status": "FEASIBLE"})


def save_plan(db: Path, name: str, levers: Scenario, codes: np.ndarray, preset: str = "",
              summary: dict | None = None) -> None:
    """Save ``codes`` (one class code per parcel, in parcel-id order) with its indicators."""
    con = connect(db)
    try:
        parcels, classes = store.read_parcels(con), store.read_classes(con)
        regions, adjacency = store.read_regions(con), store.read_adjacency(con)
    finally:
        con.close()
    indicators = compute_indicators(parcels, adjacency, classes, regions, codes)
    save_scenario(db, name, levers.to_toml(), preset, summary or {"status": "FEASIBLE"},
                  pd.DataFrame({"parcel_id": parcels["parcel_id"], "land_use": codes}),
                  indicators, overwrite=True)
