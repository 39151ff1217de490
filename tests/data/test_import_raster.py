"""Raster importer: block aggregation, drivers, mask, regions, bad input and the Wuhan data."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine

from data.db import connect, query_df
from data.importers import DataImportError
from data.importers.raster import import_raster
from data.store import read_adjacency, read_meta, read_parcels, read_regions
from tests.conftest import require_wuhan

MAPPINGS = Path(__file__).resolve().parents[2] / "data" / "mappings"
WUHAN_MAPPING = MAPPINGS / "wuhan.toml"  # codes 1..7 as in the Wuhan data
CRS = "EPSG:32649"
X0, Y0, PIXEL = 500_000.0, 3_300_060.0, 10.0
ND = -128
# 6 × 6 pixels of 10 m, 20 m cells → 3 × 3 blocks (Wuhan codes: 1 grass, 2/7 forest,
# 3 crop, 4 built, 5 bare, 6 water). Block (1, 1) is a 2–2 tie of bare and cropland; block
# (1, 2) is all nodata (dropped); block (2, 1) has one nodata pixel.
LANDUSE = np.array([
    [3, 3, 4, 4, 6, 6],
    [3, 1, 4, 4, 6, 6],
    [2, 7, 5, 5, ND, ND],
    [7, 3, 3, 3, ND, ND],
    [3, 3, 6, 6, 3, 3],
    [3, 3, 6, ND, 3, 3],
], dtype=np.int8)
# wuhan_classes.csv keeps the source codes: 1 grassland .. 7 evergreen forest
EXPECTED_USE = [3, 4, 6, 7, 3, 3, 6, 3]  # the tie in block (1, 1) goes to the lower code


def wuhan_mapping(tmp_path: Path, old: str = "", new: str = "") -> Path:
    """A copy of wuhan.toml with ``old`` replaced (its class table still found)."""
    text = WUHAN_MAPPING.read_text(encoding="utf-8").replace(
        'class_table = "wuhan_classes.csv"',
        f'class_table = "{(MAPPINGS / "wuhan_classes.csv").as_posix()}"')
    assert old in text
    path = tmp_path / "m.toml"
    path.write_text(text.replace(old, new) if old else text, encoding="utf-8")
    return path


def from_origin(west: float, north: float, x_size: float, y_size: float) -> Affine:
    return Affine(x_size, 0.0, west, 0.0, -y_size, north)


def write_tif(path: Path, array: np.ndarray, nodata: float | None = ND, crs: str = CRS,
              transform=None) -> Path:
    transform = transform or from_origin(X0, Y0, PIXEL, PIXEL)
    with rasterio.open(path, "w", driver="GTiff", height=array.shape[0], width=array.shape[1],
                       count=1, dtype=array.dtype, crs=crs, transform=transform,
                       nodata=nodata) as dst:
        dst.write(array, 1)
    return path


def store(db: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    con = connect(db)
    try:
        return read_parcels(con), read_regions(con), read_adjacency(con), read_meta(con)
    finally:
        con.close()


def stored_class_pixels(db: Path, pixel_ha: float) -> pd.Series:
    """Σ share × area per store class, in pixels."""
    con = connect(db)
    try:
        table = query_df(con, "SELECT s.land_use, sum(s.share * p.area_ha) AS ha FROM "
                              "class_shares s JOIN parcels p USING (parcel_id) GROUP BY 1")
    finally:
        con.close()
    return table.set_index("land_use")["ha"].sort_index() / pixel_ha


@pytest.fixture
def landuse(tmp_path: Path) -> Path:
    return write_tif(tmp_path / "lu.tif", LANDUSE)


# ---- what a good import stores --------------------------------------------------------------

def test_blocks_majority_shares_adjacency(tmp_path: Path, landuse: Path) -> None:
    report = import_raster(landuse, tmp_path / "s.duckdb", WUHAN_MAPPING, 20)
    parcels, regions, adjacency, meta = store(tmp_path / "s.duckdb")
    assert list(parcels["land_use"]) == EXPECTED_USE
    assert report.n_parcels == 8 and report.n_dropped == 1 and len(regions) == 1
    assert parcels["area_ha"].iloc[6] == pytest.approx(0.03)  # 3 valid pixels × 0.01 ha
    assert len(adjacency) == 12 - 3  # rook pairs of 3 × 3 minus those of the dropped block
    assert set(adjacency["shared_m"]) == {20.0}
    assert meta["cell_size_m"] == "20" and meta["crs"] == CRS
    # class shares reproduce the raster's class areas exactly (7 classes, source codes)
    raster = pd.Series(LANDUSE[LANDUSE != ND]).value_counts().sort_index()
    assert stored_class_pixels(tmp_path / "s.duckdb", 0.01).to_numpy() == pytest.approx(
        raster.to_numpy(), rel=1e-12)
    assert report.aggregation_error["grassland"] == {"ha": -0.01, "pct": -100.0}
    assert report.aggregation_error["cropland"]["ha"] == pytest.approx(0.02)


def test_grid_store_geometry_leaves_out_nodata(tmp_path: Path, landuse: Path) -> None:
    """No polygon per cell is stored except where nodata cuts a cell; read back, polygon
    areas equal area_ha and the cut cell covers only its three valid pixels."""
    import_raster(landuse, tmp_path / "s.duckdb", WUHAN_MAPPING, 20)
    con = connect(tmp_path / "s.duckdb")
    try:
        stored = query_df(con, "SELECT count(geom_wkb) AS n, count(grid_row) AS g FROM parcels")
        parcels = read_parcels(con, with_geometry=True)
    finally:
        con.close()
    assert stored["n"].iloc[0] == 1 and stored["g"].iloc[0] == 8
    area = shapely.area(shapely.from_wkb(parcels["geom_wkb"].map(bytes).to_numpy())) / 10_000
    assert area == pytest.approx(parcels["area_ha"].to_numpy())
    cut = shapely.from_wkb(bytes(parcels["geom_wkb"].iloc[6]))
    assert cut.equals(shapely.box(X0 + 20, Y0 - 60, X0 + 40, Y0 - 40).difference(
        shapely.box(X0 + 30, Y0 - 60, X0 + 40, Y0 - 50)))
    assert parcels["lon"].between(111.0, 111.001).all() and parcels["geom_wgs84_wkb"].notna().all()


def test_cell_size_not_a_multiple_is_rounded(tmp_path: Path, landuse: Path) -> None:
    report = import_raster(landuse, tmp_path / "s.duckdb", WUHAN_MAPPING, 31)
    assert report.n_parcels == 4  # 3 pixels = 30 m cells → 2 × 2 blocks
    assert any("using 3 pixels = 30 m" in w for w in report.warnings)


def test_drivers_mean_sum_majority_slope(tmp_path: Path, landuse: Path) -> None:
    dem = np.tile(np.arange(6, dtype=np.float32) * 2, (6, 1))   # rises 2 m per 10 m eastwards
    dem[0, 0] = -9999
    pop = np.ones((6, 6), dtype=np.uint32)
    soil = np.array([[5, 5, 1, 2, 9, 9]] * 6, dtype=np.uint32)
    mapping = wuhan_mapping(tmp_path, "[drivers.soil]", "[drivers.soil]\ncolumn = \"farmland_grade\"")
    drivers = {"dem": write_tif(tmp_path / "dem.tif", dem, nodata=-9999),
               "pop": write_tif(tmp_path / "pop.tif", pop, nodata=None),
               "soil": write_tif(tmp_path / "soil.tif", soil, nodata=None)}
    import_raster(landuse, tmp_path / "s.duckdb", mapping, 20, drivers=drivers)
    parcels, regions, _, _ = store(tmp_path / "s.duckdb")
    assert parcels["elevation_m"].iloc[0] == pytest.approx(4 / 3)  # (2 + 0 + 2) / 3 valid pixels
    assert list(parcels["elevation_m"].iloc[1:3]) == pytest.approx([5.0, 9.0])
    # wuhan.toml: population = density × 0.0009 km² per pixel, summed over land-use pixels
    assert list(parcels["population"]) == pytest.approx(
        [4 * 0.0009] * 6 + [3 * 0.0009, 4 * 0.0009])
    assert regions["population"].iloc[0] == pytest.approx(31 * 0.0009)
    assert parcels["slope_deg"].to_numpy() == pytest.approx(
        np.full(8, np.degrees(np.arctan(0.2))), abs=1e-9)
    assert list(parcels["farmland_grade"]) == [5, 1, 9, 5, 1, 5, 1, 9]  # ties: smaller value


def test_derived_drivers_are_cell_means(tmp_path: Path, landuse: Path) -> None:
    """Distance to built land and the built share around each pixel, averaged per cell; the
    distance also fills dist_urban_m (a suitability factor)."""
    mapping = wuhan_mapping(tmp_path)
    mapping.write_text(mapping.read_text(encoding="utf-8") + (
        '\n[derived]\ndistance_to = ["built", "forest"]\nshare_of = ["built"]\n'
        'share_radius_m = 10\n'), encoding="utf-8")
    import_raster(landuse, tmp_path / "s.duckdb", mapping, 20)
    con = connect(tmp_path / "s.duckdb")
    try:
        drivers = query_df(con, "SELECT * FROM parcel_drivers ORDER BY parcel_id")
        urban = query_df(con, "SELECT dist_urban_m FROM parcels ORDER BY parcel_id")
    finally:
        con.close()
    assert list(drivers.columns) == ["parcel_id", "dist_built_m", "dist_forest_m",
                                     "share_built_10m"]
    # cell (0, 0): pixels 20, 10, 20, 10 m from the built block; cell (0, 1) is built
    assert drivers["dist_built_m"].iloc[:2].tolist() == pytest.approx([15.0, 0.0])
    # forest role = codes 2 and 7 (pixels (2, 0), (2, 1), (3, 0)): 20, 20, 10, 10 m away
    assert drivers["dist_forest_m"].iloc[0] == pytest.approx(15.0)
    # plus-shaped 10 m windows (clipped at the edge): built (0, 2) is 1 of the 4 pixels around
    # (0, 1), built (1, 2) 1 of the 5 around (1, 1); none near (0, 0) and (1, 0)
    assert drivers["share_built_10m"].iloc[0] == pytest.approx((0 + 1 / 4 + 0 + 1 / 5) / 4)
    assert urban["dist_urban_m"].tolist() == pytest.approx(drivers["dist_built_m"].tolist())


@pytest.mark.parametrize(("rule", "expected"), [("majority", [2]), ("any", [2, 6])])
def test_no_change_mask(tmp_path: Path, landuse: Path, rule: str, expected: list[int]) -> None:
    mask = np.ones((6, 6), dtype=np.uint8)
    mask[0:2, 4:6] = 0       # block 2: 4 of 4 restricted
    mask[4, 2] = 0           # block 7: 1 of 3 valid land-use pixels restricted
    mask[5, 5] = 255         # nodata counts as allowed
    mapping = wuhan_mapping(tmp_path, 'rule = "any"', f'rule = "{rule}"')
    import_raster(landuse, tmp_path / "s.duckdb", mapping, 20,
                  no_change=write_tif(tmp_path / "mask.tif", mask, nodata=255))
    parcels, *_ = store(tmp_path / "s.duckdb")
    assert list(np.flatnonzero(parcels["no_conversion"])) == expected


def region_file(tmp_path: Path, boxes: dict[str, tuple[float, float, float, float]]) -> Path:
    """Region polygons (given in the raster CRS) written in WGS 84 as the Wuhan file is."""
    frame = gpd.GeoDataFrame({"name": list(boxes)},
                             geometry=[shapely.box(*b) for b in boxes.values()], crs=CRS)
    path = tmp_path / "regions.gpkg"
    frame.to_crs(4326).to_file(path)
    return path


def test_regions_by_centroid(tmp_path: Path, landuse: Path) -> None:
    regions = region_file(tmp_path, {"西区": (X0, Y0 - 60, X0 + 20, Y0),
                                     "东区": (X0 + 20, Y0 - 60, X0 + 60, Y0),
                                     "远区": (X0 + 5000, Y0, X0 + 6000, Y0 + 1000)})
    report = import_raster(landuse, tmp_path / "s.duckdb", WUHAN_MAPPING, 20,
                           regions_path=regions)
    parcels, stored, *_ = store(tmp_path / "s.duckdb")
    assert list(stored["name_zh"]) == ["西区", "东区", "远区"]
    assert list(parcels["region_id"]) == [1, 2, 2, 1, 2, 1, 2, 2]
    con = connect(tmp_path / "s.duckdb")
    with_polygons = query_df(con, "SELECT count(*) AS n FROM regions WHERE geom_wkb IS NOT NULL")
    con.close()
    assert with_polygons["n"].iloc[0] == 3
    assert any("1 regions have no parcels" in w for w in report.warnings)


@pytest.mark.parametrize(("outside", "n_parcels"), [("nearest", 8), ("drop", 3)])
def test_parcels_outside_regions(tmp_path: Path, landuse: Path, outside: str,
                                 n_parcels: int) -> None:
    regions = region_file(tmp_path, {"西区": (X0, Y0 - 60, X0 + 20, Y0)})
    mapping = wuhan_mapping(tmp_path, 'outside = "nearest"', f'outside = "{outside}"')
    report = import_raster(landuse, tmp_path / "s.duckdb", mapping, 20, regions_path=regions)
    parcels, *_ = store(tmp_path / "s.duckdb")
    assert len(parcels) == n_parcels and list(parcels["parcel_id"]) == list(
        range(1, n_parcels + 1))
    assert any("5 parcels" in w for w in report.warnings)


# ---- bad input ------------------------------------------------------------------------------

@pytest.fixture
def existing_store(tmp_path: Path, landuse: Path) -> Path:
    return import_raster(landuse, tmp_path / "store.duckdb", WUHAN_MAPPING, 20).db_path


def assert_fails(existing_store: Path, match: str, landuse: Path, **kwargs) -> str:
    before = hashlib.sha256(existing_store.read_bytes()).hexdigest()
    with pytest.raises(DataImportError, match=match) as info:
        import_raster(landuse, existing_store, kwargs.pop("mapping", WUHAN_MAPPING),
                      kwargs.pop("cell", 20), **kwargs)
    assert hashlib.sha256(existing_store.read_bytes()).hexdigest() == before
    assert "Fix:" in str(info.value)
    return str(info.value)


def test_missing_raster(tmp_path: Path, existing_store: Path) -> None:
    assert_fails(existing_store, "does not exist", tmp_path / "nope.tif")


def test_not_a_raster(tmp_path: Path, existing_store: Path) -> None:
    (tmp_path / "lu.tif").write_bytes(b"II*\x00 truncated")
    assert_fails(existing_store, "cannot read lu.tif as a raster", tmp_path / "lu.tif")


def test_unknown_raster_codes(tmp_path: Path, existing_store: Path) -> None:
    array = LANDUSE.copy()
    array[0, :3] = 8
    message = assert_fails(existing_store, "class codes", write_tif(tmp_path / "x.tif", array))
    assert "8 (3 pixels)" in message and "[classes]" in message


def test_driver_on_another_grid(tmp_path: Path, existing_store: Path, landuse: Path) -> None:
    shifted = write_tif(tmp_path / "dem.tif", np.zeros((6, 6), np.float32), nodata=-9999,
                        transform=from_origin(X0 + 5, Y0, PIXEL, PIXEL))
    message = assert_fails(existing_store, "different grid", landuse, drivers={"dem": shifted})
    assert "dem.tif: 6×6" in message and "lu.tif: 6×6" in message and "gdalwarp" in message


def test_mask_with_another_shape(tmp_path: Path, existing_store: Path, landuse: Path) -> None:
    mask = write_tif(tmp_path / "mask.tif", np.ones((5, 6), np.uint8), nodata=255)
    assert_fails(existing_store, "no-change mask raster is on a different grid", landuse,
                 no_change=mask)


def test_unknown_driver_name(tmp_path: Path, existing_store: Path, landuse: Path) -> None:
    assert_fails(existing_store, r"drivers \['roads'\] are not described", landuse,
                 drivers={"roads": landuse})


def test_geographic_raster(tmp_path: Path, existing_store: Path) -> None:
    lonlat = write_tif(tmp_path / "ll.tif", LANDUSE, crs="EPSG:4326",
                       transform=from_origin(114.0, 30.5, 0.0003, 0.0003))
    assert_fails(existing_store, "not a metric projected CRS", lonlat)


def test_all_nodata(tmp_path: Path, existing_store: Path) -> None:
    empty = write_tif(tmp_path / "empty.tif", np.full((6, 6), ND, np.int8))
    assert_fails(existing_store, "no valid pixels", empty)


def test_region_file_without_name_column(tmp_path: Path, existing_store: Path,
                                         landuse: Path) -> None:
    regions = region_file(tmp_path, {"西区": (X0, Y0 - 60, X0 + 60, Y0)})
    mapping = wuhan_mapping(tmp_path, 'column = "name"', 'column = "NAME99"')
    message = assert_fails(existing_store, "no name column 'NAME99'", landuse, mapping=mapping,
                           regions_path=regions)
    assert "'name'" in message


def test_bad_aggregation_in_mapping(tmp_path: Path, existing_store: Path, landuse: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text('[drivers.pop]\ncolumn = "population"\naggregation = "median"\n')
    assert_fails(existing_store, "drivers.pop.aggregation", landuse, mapping=mapping)


# ---- the real Wuhan data --------------------------------------------------------------------

def import_wuhan(tmp_path: Path, cell: float) -> tuple:
    wuhan = require_wuhan()
    landuse = wuhan / "LULCs" / "wh2010_refy.tif"
    drivers = {"dem": wuhan / "DriveFactors" / "wh_df_dem.tif",
               "pop": wuhan / "DriveFactors" / "wh_Pop.tif",
               "soil": wuhan / "DriveFactors" / "wh_soiltype.tif"}
    start = time.perf_counter()
    report = import_raster(landuse, tmp_path / f"wuhan_{cell:g}.duckdb", WUHAN_MAPPING, cell,
                           drivers=drivers, no_change=wuhan / "WaterWuhan.tif",
                           regions_path=wuhan / "districts" / "wuhan_districts.shp")
    print(f"\nWuhan at {cell:g} m: {time.perf_counter() - start:.1f} s\n{report.format()}")
    with rasterio.open(landuse) as src:
        codes, counts = np.unique(src.read(1, masked=True).compressed(), return_counts=True)
    return report, pd.Series(counts, index=codes)


@pytest.mark.wuhan
def test_wuhan_1km_keeps_seven_classes_and_their_areas(tmp_path: Path) -> None:
    report, raster = import_wuhan(tmp_path, 1000)
    stored = stored_class_pixels(report.db_path, 0.09)
    assert list(stored.index) == list(range(1, 8))  # the source codes, both forests kept apart
    assert stored.to_numpy() == pytest.approx(raster.sort_index().to_numpy(), rel=1e-9)
    parcels, regions, adjacency, meta = store(report.db_path)
    assert len(regions) == 13 and report.n_regions == 13
    assert parcels["region_id"].nunique() == 13
    assert meta["cell_size_m"] == "990"  # 33 pixels of 30 m, with a warning
    assert parcels["area_ha"].sum() == pytest.approx(raster.sum() * 0.09)
    majority = parcels.groupby("land_use")["area_ha"].sum()
    keys = dict(enumerate(["grassland", "deciduous_forest", "cropland", "built", "bare",
                           "water", "evergreen_forest"], start=1))
    for code, key in keys.items():
        error = report.aggregation_error[key]["ha"]
        assert majority.get(code, 0.0) - raster[code] * 0.09 == pytest.approx(error)
    assert abs(report.aggregation_error["cropland"]["pct"]) < 25  # dominant class: small error
    # the grain table says what the majority rule distorts; only 30 m keeps all within 5 %
    assert report.grain["worst_pct"].iloc[-1] > 50 and report.recommended_cell_m() == 30.0
    assert parcels["no_conversion"].any() and parcels["farmland_grade"].isna().all()
    assert parcels["elevation_m"].between(-45, 266).all()
    assert len(adjacency) > 1.8 * len(parcels)


@pytest.mark.wuhan
def test_wuhan_300m_grid_store(tmp_path: Path) -> None:
    report, raster = import_wuhan(tmp_path, 300)
    parcels, regions, adjacency, _ = store(report.db_path)
    n_blocks = int(np.ceil(2931 / 10)) ** 2
    assert report.n_parcels + report.n_dropped == n_blocks
    assert parcels["area_ha"].sum() == pytest.approx(raster.sum() * 0.09)
    assert parcels["area_ha"].max() == pytest.approx(9.0)
    assert len(regions) == 13 and parcels["region_id"].nunique() == 13
    assert 1.8 * len(parcels) < len(adjacency) < 2 * len(parcels)
    # any restricted pixel locks its cell: the locked cells hold every restricted pixel
    flagged = parcels[parcels["no_conversion"]]
    with rasterio.open(require_wuhan() / "WaterWuhan.tif") as src:
        restricted_ha = (src.read(1) == 0).sum() * 0.09
    assert flagged["area_ha"].sum() >= restricted_ha
    assert parcels["population"].sum() == pytest.approx(sum(regions["population"]), rel=1e-9)
