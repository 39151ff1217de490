"""Custom class systems end to end: a 5-class island raster with its own source codes.

A class table (codes 11 rice, 12 coconut, 21 forest, 41 water, 51 built; rice and coconut are
both cropland-like) and a mapping pointing to it are written next to a small island raster
and a national-park mask. The tests import it into real DuckDB stores, solve a per-class
demand table with OR-Tools, check every allocation with the independent validator, export it
(GeoPackage, GeoTIFF on the source grid) and re-import the GeoTIFF; bad class tables are
refused before an existing store is touched, by the library and by the command line.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine

from data.db import connect, query_df
from data.exports import ExportBundle, export
from data.importers import DataImportError
from data.importers.raster import import_raster
from data.importers.vector import import_parcels
from data.landscape import load_landscape
from data.presets import load_preset
from data.store import read_parcels
from solver import Scenario, ScenarioError, Status, solve
from solver.landscape import Landscape
from solver.result import AllocationResult
from solver.validate import check_allocation

REPO = Path(__file__).resolve().parents[2]
CRS = "EPSG:32649"
X0, Y0, PIXEL, SIDE = 600_000.0, 2_150_000.0, 250.0, 40
PIXEL_HA = PIXEL * PIXEL / 10_000  # 6.25 ha
SEA = 0       # land-use nodata: the sea around the island
MASK_ND = 255  # mask: 0 = national park (restricted), 1 = allowed, 255 = nodata
CLASS_ROWS = (  # code, key, role, name_zh, name_en, color
    (11, "rice", "cropland", "水稻田", "Paddy rice", "#f2d16b"),
    (12, "coconut", "cropland", "椰林", "Coconut plantation", "#c0ca33"),
    (21, "forest", "forest", "林地", "Forest", "#2e7d32"),
    (41, "water", "water", "水域", "Water", "#1e88e5"),
    (51, "built", "built", "建设用地", "Built-up", "#d84315"),
)
CODES = tuple(row[0] for row in CLASS_ROWS)
KEYS = tuple(row[1] for row in CLASS_ROWS)
ROLES = tuple(row[2] for row in CLASS_ROWS)
HEADER = "code,key,role,name_zh,name_en,color"
ONE_PIXEL = (27, 9)  # the only restricted pixel of its 2 × 2 block at 500 m


# ---- the island, its class table, mapping and mask ----------------------------------------

def island_landuse() -> np.ndarray:
    """40 × 40 pixels: sea (nodata) around an island of rice, coconut, forest, a lake, a town."""
    rows, cols = np.mgrid[0:SIDE, 0:SIDE]
    radius = np.hypot(rows - 19.5, cols - 19.5)
    lu = np.where(cols < 20, 11, 21).astype(np.uint8)          # rice west, forest east
    lu[(rows >= 22) & (cols >= 20)] = 12                        # coconut south-east
    lu[radius > 15] = 12                                        # coconut along the coast
    lu[8:12, 8:13] = 41                                         # a lake
    lu[np.hypot(rows - 24, cols - 16) < 4] = 51                 # the town
    noise = np.random.default_rng(7).random((SIDE, SIDE))
    mixed = np.random.default_rng(8).choice(CODES, size=(SIDE, SIDE)).astype(np.uint8)
    lu = np.where(noise < 0.12, mixed, lu)                      # mixed 500 m blocks
    lu[radius > 18] = SEA
    return lu


def park_mask() -> np.ndarray:
    """National park (0) in the forested north-east, one stray restricted pixel, 1 elsewhere."""
    mask = np.ones((SIDE, SIDE), dtype=np.uint8)
    mask[5:13, 23:32] = 0  # odd start row: at 500 m its edge cells hold 2 restricted pixels
    mask[ONE_PIXEL] = 0
    mask[0, :] = MASK_ND   # mask nodata (over the sea) counts as allowed
    return mask


def write_tif(path: Path, array: np.ndarray, nodata: float | None) -> Path:
    """A one-band GeoTIFF on the island grid."""
    transform = Affine(PIXEL, 0.0, X0, 0.0, -PIXEL, Y0)
    with rasterio.open(path, "w", driver="GTiff", height=array.shape[0], width=array.shape[1],
                       count=1, dtype=array.dtype, crs=CRS, transform=transform,
                       nodata=nodata) as dst:
        dst.write(array, 1)
    return path


def class_csv(rows: tuple[tuple, ...] = CLASS_ROWS, header: str = HEADER) -> str:
    """Class table text; rows are cut to the header's columns."""
    width = len(header.split(","))
    return "\n".join([header, *(",".join(map(str, row[:width])) for row in rows)]) + "\n"


def write_mapping(folder: Path, table: str = "", extra: str = "") -> Path:
    """``classes.csv`` (``table``, default the island table) and ``m.toml`` pointing to it."""
    (folder / "classes.csv").write_text(table or class_csv(), encoding="utf-8")
    path = folder / "m.toml"
    path.write_text('name_zh = "椰岛"\nname_en = "Coconut Island"\n'
                    f'class_table = "classes.csv"\n{extra}', encoding="utf-8")
    return path


@dataclass(frozen=True)
class Island:
    """The island's files in one folder."""

    folder: Path
    landuse: Path
    mask: Path
    mapping: Path

    def import_at(self, cell_m: float, name: str) -> Path:
        db = self.folder / name
        import_raster(self.landuse, db, self.mapping, cell_m, no_change=self.mask)
        return db


def make_island(folder: Path) -> Island:
    folder.mkdir(parents=True, exist_ok=True)
    return Island(folder, write_tif(folder / "island.tif", island_landuse(), SEA),
                  write_tif(folder / "park.tif", park_mask(), MASK_ND), write_mapping(folder))


@pytest.fixture(scope="module")
def island(tmp_path_factory: pytest.TempPathFactory) -> Island:
    return make_island(tmp_path_factory.mktemp("island"))


@pytest.fixture(scope="module")
def store_500(island: Island) -> Path:
    return island.import_at(500, "island_500.duckdb")


def table(db: Path, sql: str) -> pd.DataFrame:
    con = connect(db)
    try:
        return query_df(con, sql)
    finally:
        con.close()


def parcels_of(db: Path) -> pd.DataFrame:
    con = connect(db)
    try:
        return read_parcels(con)
    finally:
        con.close()


def restricted_pixels() -> np.ndarray:
    """Pixels of the island inside the national park (the mask's restricted value on land)."""
    return (park_mask() == 0) & (island_landuse() != SEA)


def per_cell(pixels: np.ndarray, k: int) -> np.ndarray:
    """Pixel counts per k × k cell (the 40-pixel side is a multiple of k)."""
    n = SIDE // k
    return pixels.reshape(n, k, n, k).sum(axis=(1, 3))


# ---- 1. import: classes, areas, the no-change mask -----------------------------------------

def assert_class_table(db: Path) -> None:
    stored = table(db, "SELECT code, key, role, name_zh FROM land_classes ORDER BY code")
    assert list(stored["code"]) == list(CODES)
    assert list(stored["key"]) == list(KEYS)
    assert list(stored["role"]) == list(ROLES)
    assert list(stored["name_zh"]) == [row[3] for row in CLASS_ROWS]


def raster_class_ha() -> pd.Series:
    lu = island_landuse()
    codes, counts = np.unique(lu[lu != SEA], return_counts=True)
    return pd.Series(counts * PIXEL_HA, index=codes)


def test_import_at_250m_keeps_source_codes_areas_and_park(island: Island) -> None:
    """One pixel per cell: the store has the 5 source codes, keys and roles, every class's
    area is its pixel count × 6.25 ha, and exactly the park's pixels are no_conversion."""
    db = island.import_at(250, "island_250.duckdb")
    assert_class_table(db)
    parcels = parcels_of(db)
    stored = parcels.groupby("land_use")["area_ha"].sum()
    assert stored.to_numpy() == pytest.approx(raster_class_ha().to_numpy(), rel=1e-12)
    assert list(stored.index) == list(CODES)
    rows, cols = parcels["grid_row"].to_numpy(), parcels["grid_col"].to_numpy()
    assert np.array_equal(parcels["land_use"].to_numpy(), island_landuse()[rows, cols])
    locked = parcels["no_conversion"].fillna(False).to_numpy(dtype=bool)
    assert np.array_equal(locked, restricted_pixels()[rows, cols])
    assert locked.sum() == restricted_pixels().sum() > 60


def test_import_at_500m_locks_any_restricted_pixel(island: Island, store_500: Path) -> None:
    """2 × 2 pixels per cell: class shares keep the raster's class areas, and a cell with a
    single restricted pixel is locked too (the default rule is "any")."""
    assert_class_table(store_500)
    shares = table(store_500, "SELECT s.land_use, sum(s.share * p.area_ha) AS ha FROM "
                              "class_shares s JOIN parcels p USING (parcel_id) "
                              "GROUP BY 1 ORDER BY 1")
    assert list(shares["land_use"]) == list(CODES)
    assert shares["ha"].to_numpy() == pytest.approx(raster_class_ha().to_numpy(), rel=1e-12)
    parcels = parcels_of(store_500)
    rows, cols = parcels["grid_row"].to_numpy(), parcels["grid_col"].to_numpy()
    land = per_cell(island_landuse() != SEA, 2)[rows, cols]
    assert parcels["area_ha"].to_numpy() == pytest.approx(land * PIXEL_HA)
    n_restricted = per_cell(restricted_pixels(), 2)[rows, cols]
    locked = parcels["no_conversion"].fillna(False).to_numpy(dtype=bool)
    assert np.array_equal(locked, n_restricted > 0)
    one = (rows == ONE_PIXEL[0] // 2) & (cols == ONE_PIXEL[1] // 2)
    assert n_restricted[one].tolist() == [1] and locked[one].all()
    assert ((n_restricted > 0) & (n_restricted < land)).sum() > 1  # partly restricted cells


# ---- 2. solve a per-class demand table -----------------------------------------------------

def class_ha(land: Landscape, assignment: np.ndarray, key: str) -> float:
    return float(land.area_by_class(assignment)[land.class_keys.index(key)])


def demand_scenario(land: Landscape, compactness: float = 0.0,
                    delta_ha: float = 100.0) -> Scenario:
    """Balanced preset with the area levers opened and a demand table: rice −``delta_ha``,
    coconut +``delta_ha`` (exact; 100 ha = four whole 500 m cells), built at most +10 %;
    growth anywhere (a raster store has no 城镇开发边界)."""
    s = (load_preset("balanced")
         .with_value("growth.min_new_built_ha", 0.0)
         .with_value("ecology.min_ecological_pct", 0.0)
         .with_value("farmland.quota_pct", 0.0)
         .with_value("growth.expansion_cap", 5.0)
         .with_value("growth.only_inside_boundary", False)
         .with_value("weights.compactness", compactness)
         .with_value("solver.time_limit_s", 20.0)
         .with_value("solver.workers", 2)
         .with_value("solver.seed", 3))
    now = {key: class_ha(land, land.current, key) for key in ("rice", "coconut", "built")}
    return s.with_demand([{"class": "rice", "target_ha": now["rice"] - delta_ha},
                          {"class": "coconut", "target_ha": now["coconut"] + delta_ha},
                          {"class": "built", "max_ha": round(1.1 * now["built"], 2)}])


@dataclass(frozen=True)
class Solved:
    land: Landscape
    scenario: Scenario
    result: AllocationResult


@pytest.fixture(scope="module")
def solved(store_500: Path) -> Solved:
    land = load_landscape(store_500)
    scenario = demand_scenario(land)
    return Solved(land, scenario, solve(land, scenario))


def test_demand_rows_address_each_cropland_class(solved: Solved) -> None:
    """rice and coconut (both role cropland) are separate demand rows: both are met, the
    validator finds nothing, locked cells keep their use and the rice → coconut move is real."""
    land, s, r = solved.land, solved.scenario, solved.result
    assert r.status in (Status.OPTIMAL, Status.FEASIBLE)
    demand = {t["key"]: t for t in r.targets if t["key"].startswith("demand.")}
    assert set(demand) == {"demand.rice", "demand.coconut", "demand.built"}
    assert all(t["met"] for t in demand.values()), demand
    assert check_allocation(land, s, r.assignment) == []
    half_cell = 0.5 * land.area_ha.max()
    for key, change in (("rice", -100.0), ("coconut", 100.0)):
        moved = class_ha(land, r.assignment, key) - class_ha(land, land.current, key)
        assert abs(moved - change) <= half_cell + 1e-6
    assert class_ha(land, r.assignment, "built") <= 1.1 * class_ha(land, land.current, "built")
    locked = land.no_conversion
    assert locked.sum() > 10
    assert np.array_equal(r.assignment[locked], land.current[locked])


@pytest.mark.parametrize(("compactness", "delta_ha", "status"), [
    (0.0, 100.0, (Status.OPTIMAL, Status.FEASIBLE)),  # the exact core alone
    (1.0, 50.0, (Status.OPTIMAL,)),  # CP-SAT after it, run to its proof (no time-limit stop)
])
def test_same_inputs_and_seed_same_assignment(store_500: Path, compactness: float,
                                              delta_ha: float, status: tuple[Status]) -> None:
    """The store loaded twice and the same scenario and seed give the identical assignment,
    with and without the compactness term."""
    runs = []
    for _ in range(2):
        land = load_landscape(store_500)
        scenario = demand_scenario(land, compactness, delta_ha)
        result = solve(land, scenario)
        assert result.status in status
        assert check_allocation(land, scenario, result.assignment) == []
        runs.append(result.assignment)
    assert np.array_equal(runs[0], runs[1])
    assert (runs[0] != land.current).sum() >= 4  # 50 ha and more move: not the status quo


def test_rules_count_rice_and_coconut_together_by_role(store_500: Path) -> None:
    """The farmland quota and the ecological floor count classes by role: moving rice to
    coconut keeps the cropland role's area, so a 100 % quota and floor still hold."""
    land = load_landscape(store_500)
    scenario = (demand_scenario(land).with_value("farmland.quota_pct", 100.0)
                .with_value("ecology.min_ecological_pct", 100.0))
    result = solve(land, scenario)
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert check_allocation(land, scenario, result.assignment) == []
    cropland = land.role_classes("cropland")
    before, after = (land.area_by_class(a)[cropland].sum()
                     for a in (land.current, result.assignment))
    assert after >= before - 1e-6
    assert class_ha(land, result.assignment, "rice") < class_ha(land, land.current, "rice")


def test_demand_row_naming_a_shared_role_is_refused(store_500: Path) -> None:
    """With two cropland-like classes a demand row "cropland" is ambiguous: it is refused,
    listing the classes that can be named instead."""
    land = load_landscape(store_500)
    scenario = demand_scenario(land).with_demand([{"class": "cropland", "min_pct": 100.0}])
    with pytest.raises(ScenarioError, match="'cropland'") as info:
        solve(land, scenario)
    assert "role of several classes (rice, coconut)" in str(info.value)


# ---- 3. exports carry the source codes -----------------------------------------------------

def bundle(store: Path, solved: Solved) -> ExportBundle:
    land = solved.land
    codes = np.asarray(land.class_codes)[solved.result.assignment]
    return ExportBundle(store_path=store, name="椰岛 demand",
                        assignment=pd.DataFrame({"parcel_id": land.parcel_id, "land_use": codes}))


def test_geopackage_has_source_codes_and_areas(tmp_path: Path, store_500: Path,
                                               solved: Solved) -> None:
    """The GeoPackage's use_after are source codes with the table's keys, and every polygon's
    area (cut coastal cells included) equals area_ha."""
    out = export(bundle(store_500, solved), tmp_path / "alloc.gpkg")
    frame = gpd.read_file(out, layer="allocation")
    assert set(frame["use_after"]) <= set(CODES) and set(frame["use_after_key"]) <= set(KEYS)
    assert dict(zip(frame["use_after"], frame["use_after_key"], strict=True)).items() <= dict(
        zip(CODES, KEYS, strict=True)).items()
    assert frame["changed"].any() and not frame.loc[frame["no_conversion"], "changed"].any()
    expected = np.asarray(solved.land.class_codes)[solved.result.assignment]
    by_id = frame.set_index("parcel_id").loc[solved.land.parcel_id]
    assert np.array_equal(by_id["use_after"].to_numpy(), expected)
    assert (frame["area_ha"] < 4 * PIXEL_HA).any()  # there are cut cells on the coast
    area = shapely.area(frame.geometry.to_numpy()) / 10_000
    assert area == pytest.approx(frame["area_ha"].to_numpy(), rel=5e-3)


def test_geotiff_keeps_park_pixels_and_reimports_cell_for_cell(
        tmp_path: Path, island: Island, store_500: Path, solved: Solved) -> None:
    """The GeoTIFF on the source grid holds only source codes, keeps every national-park pixel
    as it was, and re-imported at 500 m with the same mapping gives the allocation back."""
    out = export(bundle(store_500, solved), tmp_path / "alloc.tif")
    with rasterio.open(out) as src:
        pixels, nodata = src.read(1), src.nodata
        assert src.crs.to_string() == CRS and src.transform.a == PIXEL
    source = island_landuse()
    assert pixels.shape == source.shape
    assert np.array_equal(pixels == nodata, source == SEA)
    assert set(np.unique(pixels[pixels != nodata]).tolist()) <= set(CODES)
    assert (pixels != np.where(source == SEA, nodata, source)).any()  # the allocation is in it
    park = park_mask() == 0
    assert np.array_equal(pixels[park], np.where(source[park] == SEA, nodata, source[park]))
    db = tmp_path / "again.duckdb"
    import_raster(out, db, island.mapping, 500, no_change=island.mask)
    again = parcels_of(db).set_index("parcel_id")
    expected = pd.Series(np.asarray(solved.land.class_codes)[solved.result.assignment],
                         index=solved.land.parcel_id)
    assert list(again.index) == list(expected.index)
    assert np.array_equal(again["land_use"].to_numpy(), expected.to_numpy())
    assert np.array_equal(again["no_conversion"].to_numpy(dtype=bool), solved.land.no_conversion)


# ---- 4. bad class tables are refused, the existing store untouched -------------------------

def rows_with(code: int, **changes: str) -> tuple[tuple, ...]:
    """The island table with the row of ``code`` changed (key=..., role=..., color=...)."""
    fields = ("code", "key", "role", "name_zh", "name_en", "color")
    return tuple(tuple(changes.get(f, v) for f, v in zip(fields, row, strict=True))
                 if row[0] == code else row for row in CLASS_ROWS)


NO_ROLE_HEADER = "code,key,name_zh,name_en,color"
BAD_TABLES = {  # case: (class table text, extra mapping TOML, expected message parts)
    "unknown role": (class_csv(rows_with(12, role="orchard")), "",
                     ("class 'coconut' (code 12) has role 'orchard'",
                      "Fix: set its role to one of cropland, forest")),
    "duplicate key": (class_csv(rows_with(12, key="rice")), "",
                      ("class key 'rice' is used by codes [11, 12]",
                       "Fix: give each class its own key")),
    "duplicate code": (class_csv((*CLASS_ROWS, (21, "mangrove", "forest", "红树林",
                                                "Mangrove", "#00695c"))), "",
                       ("class code 21 appears twice", "Fix: give each class its own code")),
    "unmapped raster code": (class_csv(tuple(r for r in CLASS_ROWS if r[0] != 41)), "",
                             ("island.tif has 1 class codes the mapping does not cover: 41 (",
                              "Fix: add them to [classes] in m.toml")),
    "key not an identifier": (class_csv(rows_with(11, key="Rice Paddy")), "",
                              ("class keys 'Rice Paddy' are not identifiers",
                               "Fix: use lower-case letters, digits and _")),
    "no role column": (class_csv(tuple(r[:2] + r[3:] for r in CLASS_ROWS), NO_ROLE_HEADER), "",
                       ("class 'rice' (code 11) has role 'rice'",
                        "Fix: set its role to one of cropland", "in the role column")),
    "bad colour": (class_csv(rows_with(21, color="green")), "",
                   ("classes 'forest' have no #rrggbb colour", "Fix: write colours as #rrggbb")),
    "[classes] key not in the table": (
        class_csv(), '[classes]\n"11" = "paddy"\n"12" = "coconut"\n',
        ("[classes] maps to class keys that classes.csv does not have: {'11': 'paddy'}",
         "Fix: map every code to one of ['built', 'coconut', 'forest', 'rice', 'water']")),
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def existing(tmp_path: Path, store_500: Path) -> Path:
    """A copy of the good 500 m store that a failed import must leave as it is."""
    copy = tmp_path / "existing.duckdb"
    copy.write_bytes(store_500.read_bytes())
    return copy


def bad_mapping(folder: Path, case: str) -> Path:
    text, extra, _ = BAD_TABLES[case]
    folder.mkdir(exist_ok=True)
    return write_mapping(folder, text, extra)


@pytest.mark.parametrize("case", list(BAD_TABLES))
def test_bad_class_table_is_refused_with_the_fix(tmp_path: Path, island: Island, existing: Path,
                                                 case: str) -> None:
    """Each bad table (or mapping) is refused naming the class or code and the fix, and the
    store that was there stays byte for byte the same."""
    mapping = bad_mapping(tmp_path / "bad", case)
    before = sha256(existing)
    with pytest.raises(DataImportError) as info:
        import_raster(island.landuse, existing, mapping, 500, no_change=island.mask)
    for part in BAD_TABLES[case][2]:
        assert part in str(info.value)
    assert sha256(existing) == before
    assert {p.name for p in existing.parent.iterdir()} == {"existing.duckdb", "bad"}


@pytest.mark.parametrize("case", ["unknown role", "unmapped raster code"])
def test_command_line_refuses_bad_class_table(tmp_path: Path, island: Island, existing: Path,
                                              case: str) -> None:
    """``python -m data import-raster`` exits 1 with "error:" and the fix, no traceback, and
    leaves the store alone."""
    mapping = bad_mapping(tmp_path / "bad", case)
    before = sha256(existing)
    run = subprocess.run(
        [sys.executable, "-m", "data", "import-raster", "--landuse", str(island.landuse),
         "--no-change", str(island.mask), "--cell-size", "500", "--mapping", str(mapping),
         "--db", str(existing)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr
    assert run.stderr.startswith("error:") and "Traceback" not in run.stderr
    assert all(part in run.stderr for part in BAD_TABLES[case][2])
    assert sha256(existing) == before


def test_classes_table_merges_source_codes_into_one_class(tmp_path: Path, island: Island) -> None:
    """The fix the duplicate-key message names works: a role-keyed table without a role column
    and [classes] mapping both rice (11) and coconut (12) to one cropland class."""
    table = "code,key,name_zh,name_en,color\n1,cropland,耕地,Cropland,#f2d16b\n" \
            "2,forest,林地,Forest,#2e7d32\n3,water,水域,Water,#1e88e5\n" \
            "5,built,建设用地,Built-up,#d84315\n"
    classes = '[classes]\n"11" = "cropland"\n"12" = "cropland"\n"21" = "forest"\n' \
              '"41" = "water"\n"51" = "built"\n'
    (tmp_path / "merged").mkdir()
    mapping = write_mapping(tmp_path / "merged", table, classes)
    db = tmp_path / "merged.duckdb"
    import_raster(island.landuse, db, mapping, 250)
    stored = table_of(db)
    assert list(stored["key"]) == ["cropland", "forest", "water", "built"]
    assert list(stored["role"]) == list(stored["key"])
    area = parcels_of(db).groupby("land_use")["area_ha"].sum()
    raster = raster_class_ha()
    assert area[1] == pytest.approx(raster[11] + raster[12])
    assert area[5] == pytest.approx(raster[51])


def table_of(db: Path) -> pd.DataFrame:
    return table(db, "SELECT code, key, role FROM land_classes ORDER BY code")


# ---- 5. a parcel file with its own class codes ---------------------------------------------

def write_parcel_file(path: Path) -> Path:
    """Four 200 m squares in a row: rice, coconut, coconut, forest (codes as text, 三调-style)."""
    boxes = [shapely.box(X0 + 200 * i, Y0 - 200, X0 + 200 * (i + 1), Y0) for i in range(4)]
    frame = gpd.GeoDataFrame({"BSM": [101, 102, 103, 104], "DLBM": ["11", "12", "12", "21"],
                              "ZLDWMC": ["东村", "东村", "西村", "西村"]},
                             geometry=boxes, crs=CRS)
    frame.to_file(path, layer="parcels", driver="GPKG")
    return path


def test_vector_import_keeps_codes_and_roles(tmp_path: Path) -> None:
    """import_parcels with a mapping pointing to the island class table stores the source
    codes 11/12/21, the table's keys and roles, and the solver sees two cropland classes."""
    mapping = write_mapping(tmp_path, extra='[columns]\nparcel_id = "BSM"\nland_use = "DLBM"\n'
                                            '[regions]\ncolumn = "ZLDWMC"\n')
    db = tmp_path / "parcels.duckdb"
    report = import_parcels(write_parcel_file(tmp_path / "parcels.gpkg"), db, mapping)
    parcels = parcels_of(db).sort_values("parcel_id")
    assert list(parcels["parcel_id"]) == [101, 102, 103, 104]
    assert list(parcels["land_use"]) == [11, 12, 12, 21]
    assert parcels["area_ha"].to_numpy() == pytest.approx([4.0] * 4)
    stored = table_of(db)
    assert list(stored["code"]) == list(CODES) and list(stored["role"]) == list(ROLES)
    assert report.class_area_ha == pytest.approx({"rice": 4.0, "coconut": 8.0, "forest": 4.0})
    land = load_landscape(db)
    assert land.class_codes == CODES and land.class_keys == KEYS
    assert land.role_classes("cropland") == [0, 1]
    assert land.current[np.argsort(land.parcel_id)].tolist() == [0, 1, 1, 2]
    assert land.n_regions == 2 and len(land.edges) == 3


# ---- defects found and fixed: messages, many classes, wide codes --------------------------

def test_unmapped_raster_code_fix_suggests_a_key_of_the_table(tmp_path: Path,
                                                              island: Island) -> None:
    """The fix for an unmapped raster code should name a key the class table has."""
    rows = tuple((51, "town", "built", "城镇", "Town", "#d84315") if r[0] == 51 else r
                 for r in CLASS_ROWS if r[0] != 41)
    mapping = write_mapping(tmp_path, class_csv(rows))
    with pytest.raises(DataImportError) as info:
        import_raster(island.landuse, tmp_path / "s.duckdb", mapping, 500)
    assert '= "built"' not in info.value.fix


def test_unmapped_vector_code_fix_names_the_table_keys(tmp_path: Path) -> None:
    """The fix for an unmapped parcel code should list rice, coconut, ... (the table's keys),
    not cropland, which this table's [classes] would refuse."""
    source = gpd.read_file(write_parcel_file(tmp_path / "p.gpkg"))
    source.loc[0, "DLBM"] = "99"
    source.to_file(tmp_path / "bad.gpkg", driver="GPKG")
    mapping = write_mapping(tmp_path, extra='[columns]\nparcel_id = "BSM"\nland_use = "DLBM"\n')
    with pytest.raises(DataImportError, match="'99'") as info:
        import_parcels(tmp_path / "bad.gpkg", tmp_path / "s.duckdb", mapping)
    assert "rice" in info.value.fix and "cropland" not in info.value.fix


def test_class_table_with_130_classes_imports(tmp_path: Path) -> None:
    """A detailed class table (130 classes, all in the raster) imports cell for cell."""
    rows = tuple((c, f"c{c}", "forest", f"类{c}", f"Class {c}", "#2e7d32") for c in range(1, 131))
    mapping = write_mapping(tmp_path, class_csv(rows))
    landuse = (np.arange(SIDE * SIDE).reshape(SIDE, SIDE) % 130 + 1).astype(np.uint8)
    db = tmp_path / "many.duckdb"
    import_raster(write_tif(tmp_path / "many.tif", landuse, SEA), db, mapping, 250)
    parcels = parcels_of(db).sort_values(["grid_row", "grid_col"])
    assert np.array_equal(parcels["land_use"].to_numpy(), landuse.ravel())


def test_class_code_beyond_int16_is_refused_or_exported_intact(tmp_path: Path) -> None:
    """A code the int16 grid cannot hold must be refused at import, or survive the export."""
    rows = tuple((40000, *r[1:]) if r[0] == 51 else r for r in CLASS_ROWS)
    mapping = write_mapping(tmp_path, class_csv(rows))
    landuse = island_landuse().astype(np.uint16)
    landuse[landuse == 51] = 40000
    db = tmp_path / "big.duckdb"
    try:
        import_raster(write_tif(tmp_path / "big.tif", landuse, SEA), db, mapping, 250)
    except DataImportError as exc:
        assert "40000" in str(exc) and "Fix:" in str(exc)
        return
    assignment = parcels_of(db)[["parcel_id", "land_use"]]
    out = export(ExportBundle(store_path=db, name="big", assignment=assignment),
                 tmp_path / "big_out.tif")
    with rasterio.open(out) as src:
        codes = set(np.unique(src.read(1)).tolist())
    assert codes == {-1, 11, 12, 21, 41, 40000}
