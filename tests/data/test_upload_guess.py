"""First guesses for uploads (data/importers/guess.py), text parcel ids and zone layers."""

from __future__ import annotations

from pathlib import Path

import duckdb
import geopandas as gpd
import numpy as np
import pytest
import shapely

from data.importers.errors import DataImportError
from data.importers.guess import (
    TABLES_BY_KEY,
    guess_classes,
    guess_columns,
    recognise,
    role_from_gbt,
    role_from_name,
)
from data.importers.raster import import_raster
from data.importers.vector import import_parcels
from tests.parcel_files import grid_parcels, write
from tests.upload_files import CLASS_NAMES, WUHAN_LANDUSE, chinese_parcels, wuhan_crop

WUHAN_BOUNDS = (114.2, 30.4, 114.4, 30.6)   # inside the Wuhan table's place
ELSEWHERE = (100.0, 25.0, 100.2, 25.2)      # Yunnan: same codes, not Wuhan's table


@pytest.mark.parametrize(("name", "role"), [
    *zip(CLASS_NAMES, ("cropland", "forest", "grassland", "water", "built", "unused"), strict=True),
    ("水浇地", "cropland"), ("乔木林地", "forest"), ("坑塘水面", "water"), ("城镇村及工矿用地", "built"),
    ("裸土地", "unused"), ("Built-up", "built"), ("Trees", "forest"), ("Bare ground", "unused"),
    ("Crops", "cropland"), ("Rangeland", "grassland"),
])
def test_class_names_name_their_role(name: str, role: str) -> None:
    assert role_from_name(name) == role


@pytest.mark.parametrize("name", ["foo", "7", "", "Mixed forest and cropland"])
def test_unknown_names_are_not_guessed(name: str) -> None:
    assert role_from_name(name) is None


@pytest.mark.parametrize(("code", "role"), [
    ("0101", "cropland"), ("0301K", "forest"), ("03", "forest"), ("201", "built"),
    (101, "cropland"), ("1109", "built"), ("1203", "cropland"), ("12", "unused"), ("1", None),
])
def test_gbt_codes(code: object, role: str | None) -> None:
    assert role_from_gbt(code) == role


def test_wuhan_codes_are_recognised_in_wuhan_only() -> None:
    """The reported bug: Wuhan's 1 grassland … 7 evergreen forest read as the app's 1..6."""
    codes = list(range(1, 8))
    table = recognise(codes, WUHAN_BOUNDS)
    assert table is TABLES_BY_KEY["wuhan"]
    guesses = guess_classes(codes, table)
    assert guesses["1"] == "grassland" and guesses["4"] == "built"
    assert guesses["6"] == "water" and guesses["7"] == "evergreen_forest"
    # elsewhere 1..7 could be CLCD or any local table: no silent guess
    assert recognise(codes, ELSEWHERE) is None
    assert set(guess_classes(codes, None).values()) == {None}


def test_distinctive_tables_are_recognised_and_small_codes_are_not() -> None:
    assert recognise(["0101", "0301", "1001", "201"]).key == "gbt"
    assert recognise([11, 12, 21, 51, 61]).key == "resdc"
    assert recognise([10, 20, 30, 40, 50, 80, 95]).key == "worldcover"
    assert recognise([10, 20, 30, 40, 50, 80]) is None   # WorldCover or GlobeLand30
    assert recognise(range(1, 7)) is None                # this app's 1..6, CLCD, …
    assert recognise(range(1, 7), column="land_use").key == "app"


def test_columns_of_a_survey_layer_are_guessed() -> None:
    guess = guess_columns(chinese_parcels())
    assert (guess["parcel_id"], guess["land_use"], guess["region"]) == ("BSM", "DLMC", "XZQMC")
    assert guess["in_urban_boundary"] == "CZKFBJ" and guess["is_basic_farmland"] is None


def _mapping(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_text_ids_are_stored_as_their_digits(tmp_path: Path) -> None:
    source = write(chinese_parcels(), tmp_path / "p.gpkg")
    classes = "\n".join(f'"{n}" = "{r}"' for n, r in zip(
        CLASS_NAMES, ("cropland", "forest", "grassland", "water", "built", "unused"), strict=True))
    mapping = _mapping(tmp_path, f'[columns]\nparcel_id = "BSM"\nland_use = "DLMC"\n'
                                 f'in_urban_boundary = "CZKFBJ"\n[classes]\n{classes}\n')
    report = import_parcels(source, tmp_path / "s.duckdb", mapping)
    assert any("'P0000' → 0" in w for w in report.warnings)
    with duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True) as con:
        rows = con.sql("SELECT parcel_id, in_urban_boundary FROM parcels ORDER BY 1").fetchall()
    assert [r[0] for r in rows] == list(range(30))
    assert [r[1] for r in rows] == [i % 3 == 0 for i in range(30)]


def test_text_ids_without_one_prefix_are_numbered_in_file_order(tmp_path: Path) -> None:
    gdf = grid_parcels()
    gdf["parcel_id"] = ["a1", "b1", "c7", "x", "y", "z", "u", "v", "w"]
    report = import_parcels(write(gdf, tmp_path / "p.gpkg"), tmp_path / "s.duckdb")
    assert any("1..n in file order" in w for w in report.warnings)


def test_duplicate_text_ids_are_refused_naming_them(tmp_path: Path) -> None:
    gdf = grid_parcels()
    gdf["parcel_id"] = ["P1", "P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"]
    with pytest.raises(DataImportError, match="duplicated ids.*'P1'"):
        import_parcels(write(gdf, tmp_path / "p.gpkg"), tmp_path / "s.duckdb")


def test_a_zone_layer_flags_the_parcels_it_covers(tmp_path: Path) -> None:
    parcels = write(grid_parcels(), tmp_path / "p.gpkg")
    # the left column of the 3×3 grid of 100 m squares
    zone = gpd.GeoDataFrame(geometry=[shapely.box(600_000, 3_300_000, 600_100, 3_300_300)],
                            crs="EPSG:32649").to_crs(4326)
    layer = write(zone, tmp_path / "boundary.geojson")
    import_parcels(parcels, tmp_path / "s.duckdb", zone_layers={"in_urban_boundary": layer})
    with duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True) as con:
        inside = con.sql("SELECT parcel_id FROM parcels WHERE in_urban_boundary "
                         "ORDER BY 1").fetchall()
    assert [r[0] for r in inside] == [1, 4, 7]


def test_a_zone_layer_elsewhere_is_refused(tmp_path: Path) -> None:
    parcels = write(grid_parcels(), tmp_path / "p.gpkg")
    zone = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)], crs="EPSG:4326")
    with pytest.raises(DataImportError, match="covers none of the parcels"):
        import_parcels(parcels, tmp_path / "s.duckdb",
                       zone_layers={"is_red_line": write(zone, tmp_path / "z.gpkg")})


@pytest.mark.skipif(not WUHAN_LANDUSE.exists(), reason="needs ../shared/data/wuhan")
def test_a_raster_zone_mask_flags_cells_where_most_pixels_are_inside(tmp_path: Path) -> None:
    import rasterio

    raster = wuhan_crop(tmp_path / "wh.tif")
    with rasterio.open(raster) as src:
        profile = {**src.profile, "dtype": "uint8", "nodata": 255}
    mask = np.zeros((200, 200), dtype=np.uint8)
    mask[:, :100] = 1  # the western half
    with rasterio.open(tmp_path / "urban.tif", "w", **profile) as dst:
        dst.write(mask, 1)
    mapping = _mapping(tmp_path, 'class_table = "' + str(TABLES_BY_KEY["wuhan"].class_table)
                       + '"\n')
    import_raster(raster, tmp_path / "s.duckdb", mapping, 900.0,
                  zones={"in_urban_boundary": tmp_path / "urban.tif"})
    with duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True) as con:
        cols = con.sql("SELECT grid_col, bool_and(in_urban_boundary), bool_or(in_urban_boundary) "
                       "FROM parcels GROUP BY 1 ORDER BY 1").fetchall()
    # 10-pixel cells: columns 0..9 lie in the western half, 10..19 outside
    assert all(c[1] for c in cols if c[0] < 10) and not any(c[2] for c in cols if c[0] >= 10)
