"""Vector parcel importer: formats, mapping, geometry repair, regions and every bad input."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from data.db import connect
from data.importers import DataImportError
from data.importers.vector import import_parcels
from data.store import read_adjacency, read_meta, read_parcels, read_regions
from tests.parcel_files import CRS, SIDE, grid_parcels, write

MAPPINGS = Path(__file__).resolve().parents[2] / "data" / "mappings"


def store_tables(db: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    con = connect(db)
    try:
        return read_parcels(con), read_regions(con), read_adjacency(con), read_meta(con)
    finally:
        con.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def existing_store(tmp_path: Path) -> Path:
    """A valid store that failed imports must leave byte-identical."""
    db = tmp_path / "store.duckdb"
    import_parcels(write(grid_parcels(), tmp_path / "good.gpkg"), db)
    return db


def assert_fails(existing_store: Path, source: Path, match: str, **kwargs) -> str:
    """Import must raise DataImportError matching ``match`` and leave the store untouched."""
    before = digest(existing_store)
    with pytest.raises(DataImportError, match=match) as info:
        import_parcels(source, existing_store, **kwargs)
    assert digest(existing_store) == before
    assert "Fix:" in str(info.value)
    return str(info.value)


# ---- what a good import stores --------------------------------------------------------------

def test_grid_gpkg_counts_areas_adjacency_regions(tmp_path: Path) -> None:
    gdf = grid_parcels(region=list("AAABBBCCC"), population=[10.0] * 9)
    report = import_parcels(write(gdf, tmp_path / "p.gpkg"), tmp_path / "s.duckdb")
    parcels, regions, adjacency, meta = store_tables(tmp_path / "s.duckdb")
    assert report.n_parcels == len(parcels) == 9 and report.n_regions == 3
    assert parcels["area_ha"].to_numpy() == pytest.approx(np.ones(9))
    assert report.class_area_ha == {"cropland": 2.0, "forest": 2.0, "grassland": 2.0,
                                    "water": 1.0, "built": 1.0, "unused": 1.0}
    assert len(adjacency) == 12  # rook pairs of a 3×3 grid; corner contacts are not neighbours
    assert adjacency["shared_m"].to_numpy() == pytest.approx(np.full(12, SIDE))
    assert list(regions["name_zh"]) == ["A", "B", "C"]
    assert list(regions["population"]) == [30.0, 30.0, 30.0]
    assert meta["crs"] == CRS and meta["synthetic"] == "false"


@pytest.mark.parametrize("suffix", [".shp", ".geojson", ".parquet", ".zip"])
def test_formats(tmp_path: Path, suffix: str) -> None:
    gdf = grid_parcels()
    if suffix == ".zip":
        write(gdf, tmp_path / "p.shp")
        source = tmp_path / "p.zip"
        with zipfile.ZipFile(source, "w") as archive:
            for part in tmp_path.glob("p.*"):
                if part.suffix != ".zip":
                    archive.write(part, f"folder/{part.name}")
    else:
        source = write(gdf.to_crs(4326) if suffix == ".geojson" else gdf, tmp_path / f"p{suffix}")
    report = import_parcels(source, tmp_path / "s.duckdb", name="测试")
    parcels, regions, adjacency, meta = store_tables(tmp_path / "s.duckdb")
    assert len(parcels) == 9 and len(adjacency) == 12
    assert parcels["area_ha"].sum() == pytest.approx(9.0, rel=1e-3)
    assert list(regions["name_zh"]) == ["测试"] and meta["name_zh"] == "测试"
    assert meta["crs"] == CRS  # GeoJSON (WGS 84) goes to the UTM zone of its centroid: 49N
    assert any("reprojected" in w for w in report.warnings) == (suffix == ".geojson")


def test_example_vector_mapping_sandiao_codes(tmp_path: Path) -> None:
    codes = ["0101", "0102", "0103", "0301K", "0404", "1101", "0702", "1203", "1207"]
    gdf = grid_parcels(BSM=[420_100_000 + i for i in range(9)], DLBM=codes,
                       ZLDWMC=["甲村"] * 5 + ["乙村"] * 4)
    gdf = gdf.drop(columns=["parcel_id", "land_use"])
    import_parcels(write(gdf, tmp_path / "dltb.gpkg"), tmp_path / "s.duckdb",
                   mapping_path=MAPPINGS / "example_vector.toml")
    parcels, regions, _, meta = store_tables(tmp_path / "s.duckdb")
    # cropland 1, forest 2, grassland 3, water 4, built 5, unused 6 (classes_cas.csv)
    assert list(parcels["land_use"]) == [1, 1, 1, 2, 3, 4, 5, 1, 6]
    assert parcels["parcel_id"].iloc[0] == 420_100_000
    assert sorted(regions["name_zh"]) == ["乙村", "甲村"]
    assert meta["name_zh"] == "示例县（三调图斑）"


def test_role_keys_and_attributes(tmp_path: Path) -> None:
    gdf = grid_parcels(1, 3, slope_deg=[1.0, None, 30.0], is_basic_farmland=["是", "否", None])
    gdf["land_use"] = ["cropland", "built", "forest"]
    report = import_parcels(write(gdf, tmp_path / "p.gpkg"), tmp_path / "s.duckdb")
    parcels, *_ = store_tables(tmp_path / "s.duckdb")
    assert list(parcels["land_use"]) == [1, 5, 2]
    assert parcels["slope_deg"].isna().tolist() == [False, True, False]
    assert list(parcels["is_basic_farmland"]) == [True, False, False]
    assert any("slope_deg: 1 parcels have no value" in w for w in report.warnings)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_mapped_crs_and_area_column(tmp_path: Path) -> None:
    gdf = grid_parcels(1, 2, TBMJ=[10_000.0, 10_000.0]).set_crs(None, allow_override=True)
    mapping = tmp_path / "m.toml"
    mapping.write_text('crs = "EPSG:32649"\narea_scale = 0.0001\n[columns]\narea_ha = "TBMJ"\n')
    import_parcels(write(gdf, tmp_path / "p.shp"), tmp_path / "s.duckdb", mapping_path=mapping)
    parcels, _, _, meta = store_tables(tmp_path / "s.duckdb")
    assert meta["crs"] == CRS and list(parcels["area_ha"]) == [1.0, 1.0]


def test_repairs_invalid_and_rejects_empty(tmp_path: Path) -> None:
    gdf = grid_parcels(1, 4)
    x, y = 600_000, 3_300_000
    bowtie = shapely.Polygon([(x, y), (x + SIDE, y + SIDE), (x + SIDE, y), (x, y + SIDE)])
    gdf.loc[0, "geometry"] = bowtie      # self-intersecting: make_valid gives two triangles
    gdf.loc[3, "geometry"] = shapely.Polygon()
    report = import_parcels(write(gdf, tmp_path / "p.gpkg"), tmp_path / "s.duckdb")
    parcels, *_ = store_tables(tmp_path / "s.duckdb")
    assert (report.n_repaired, report.n_rejected, report.n_parcels) == (1, 1, 3)
    assert parcels.loc[0, "area_ha"] == pytest.approx(0.5)  # the two triangles of the bow-tie
    assert "rejected 1" in report.format()


# ---- bad input: DataImportError, message with the fix, store untouched ----------------------

def test_missing_file(tmp_path: Path, existing_store: Path) -> None:
    assert_fails(existing_store, tmp_path / "nope.gpkg", "does not exist")


def test_wrong_format_txt(tmp_path: Path, existing_store: Path) -> None:
    source = tmp_path / "parcels.txt"
    source.write_text("parcel_id,land_use\n1,1\n")
    assert_fails(existing_store, source, r"format \.txt is not supported")


def test_corrupt_gpkg(tmp_path: Path, existing_store: Path) -> None:
    good = write(grid_parcels(), tmp_path / "full.gpkg").read_bytes()
    source = tmp_path / "truncated.gpkg"
    source.write_bytes(good[:1500])
    assert_fails(existing_store, source, "cannot read truncated.gpkg as GeoPackage")


def test_empty_file(tmp_path: Path, existing_store: Path) -> None:
    source = tmp_path / "empty.geojson"
    source.write_text('{"type": "FeatureCollection", "features": []}')
    assert_fails(existing_store, source, "has no features")


def test_zip_without_shapefile(tmp_path: Path, existing_store: Path) -> None:
    source = tmp_path / "upload.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("readme.txt", "no shapefile here")
    message = assert_fails(existing_store, source, r"contains no \.shp")
    assert "readme.txt" in message


def test_missing_land_use_column(tmp_path: Path, existing_store: Path) -> None:
    source = write(grid_parcels().rename(columns={"land_use": "DLBM"}), tmp_path / "p.gpkg")
    message = assert_fails(existing_store, source, "no column 'land_use'")
    assert "DLBM" in message and "[columns] land_use" in message


def test_text_in_numeric_column(tmp_path: Path, existing_store: Path) -> None:
    people = ["12", "abc", "7", "n/a", "1", "2", "3", "4", "5"]
    source = write(grid_parcels(population=people), tmp_path / "p.gpkg")
    message = assert_fails(existing_store, source, "column 'population'.*not numeric")
    assert "'abc'" in message and "'n/a'" in message


def test_unknown_class_codes(tmp_path: Path, existing_store: Path) -> None:
    gdf = grid_parcels()
    gdf["land_use"] = [1, 2, 3, 9, 9, 42, 1, 1, 1]
    message = assert_fails(existing_store, write(gdf, tmp_path / "p.gpkg"), "class codes")
    assert "9 (2×)" in message and "42 (1×)" in message and "[classes]" in message


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_no_crs(tmp_path: Path, existing_store: Path) -> None:
    gdf = grid_parcels().set_crs(None, allow_override=True)
    message = assert_fails(existing_store, write(gdf, tmp_path / "p.shp"), "no coordinate")
    assert "ogr2ogr -a_srs" in message and "crs =" in message


def test_all_geometries_invalid(tmp_path: Path, existing_store: Path) -> None:
    gdf = grid_parcels(1, 2)
    x, y = 600_000, 3_300_000
    gdf["geometry"] = [shapely.Polygon(), shapely.Polygon([(x, y), (x + 1, y), (x + 2, y)])]
    assert_fails(existing_store, write(gdf, tmp_path / "p.gpkg"), "none of the 2 geometries")


@pytest.mark.parametrize("kind", ["points", "lines"])
def test_wrong_geometry_type(tmp_path: Path, existing_store: Path, kind: str) -> None:
    gdf = grid_parcels()
    gdf["geometry"] = gdf.centroid if kind == "points" else gdf.boundary
    assert_fails(existing_store, write(gdf, tmp_path / "p.gpkg"), "are not polygons")


def test_duplicate_ids(tmp_path: Path, existing_store: Path) -> None:
    gdf = grid_parcels()
    gdf["parcel_id"] = [1, 2, 3, 3, 5, 6, 7, 7, 9]
    message = assert_fails(existing_store, write(gdf, tmp_path / "p.gpkg"), "2 duplicated ids")
    assert "3" in message and "7" in message


def test_negative_attribute(tmp_path: Path, existing_store: Path) -> None:
    source = write(grid_parcels(dist_road_m=[-5.0] + [1.0] * 8), tmp_path / "p.gpkg")
    assert_fails(existing_store, source, "dist_road_m.*out of range")


def test_nan_area_column(tmp_path: Path, existing_store: Path) -> None:
    source = write(grid_parcels(TBMJ=[None] + [1.0] * 8), tmp_path / "p.gpkg")
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\narea_ha = "TBMJ"\n')
    assert_fails(existing_store, source, "empty or NaN in 1", mapping_path=mapping)


def test_bad_mapping_role_key(tmp_path: Path, existing_store: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text('[classes]\n"1" = "farmland"\n')
    source = write(grid_parcels(), tmp_path / "p.gpkg")
    assert_fails(existing_store, source, "class keys that classes_cas.csv does not have",
                 mapping_path=mapping)
