"""Derived drivers: distances, neighbourhood shares, vector layers and the [derived] table.

Every expected value below is worked out by hand on a 5 × 6 raster of 30 m pixels (distances
from Pythagoras in whole pixels, shares by counting the window), not by the module's formulas.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from pyproj import Transformer

from data.importers import DataImportError, derived
from data.importers.derived import (
    DerivedSpec,
    column_names,
    distance_to_classes,
    distance_to_mask,
    parse_derived,
    pixel_drivers,
    rasterize_layer,
    resolve_targets,
    share_within_radius,
)

CRS = "EPSG:32649"
X0, Y0, PIXEL = 500_000.0, 3_300_000.0, 30.0   # north-west corner: Wuhan's UTM zone
TRANSFORM = Affine(PIXEL, 0.0, X0, 0.0, -PIXEL, Y0)
N = np.nan
# Classes: 0 crop and 1 paddy share the role cropland, 2 town (built), 3 lake (water), 4 bare
# (unused, absent from the raster). −1 is nodata.
KEYS = ["crop", "paddy", "town", "lake", "bare"]
ROLES = ["cropland", "cropland", "built", "water", "unused"]
RASTER = np.array([
    [3, 3, 3, 3, 3, 0],
    [3, 2, 3, 3, 3, 3],
    [3, 3, 3, -1, 3, 3],
    [3, 3, 3, 3, 3, 3],
    [1, 3, 3, 3, 3, 3],
], dtype=np.int8)
VALID = RASTER >= 0
# √2·30 = 42.43, √5·30 = 67.08, √8·30 = 84.85, √10·30 = 94.87, √13·30 = 108.17,
# √17·30 = 123.69, √18·30 = 127.28, √20·30 = 134.16
DIST_TOWN = [  # to the one town pixel (1, 1)
    [42.43, 30.0, 42.43, 67.08, 94.87, 123.69],
    [30.0, 0.0, 30.0, 60.0, 90.0, 120.0],
    [42.43, 30.0, 42.43, N, 94.87, 123.69],
    [67.08, 60.0, 67.08, 84.85, 108.17, 134.16],
    [94.87, 90.0, 94.87, 108.17, 127.28, 150.0],
]
DIST_CROPLAND = [  # the nearer of crop (0, 5) and paddy (4, 0)
    [120.0, 120.0, 90.0, 60.0, 30.0, 0.0],
    [90.0, 94.87, 94.87, 67.08, 42.43, 30.0],
    [60.0, 67.08, 84.85, N, 67.08, 60.0],
    [30.0, 42.43, 67.08, 94.87, 94.87, 90.0],
    [0.0, 30.0, 60.0, 90.0, 120.0, 120.0],
]
# 45 m: the 3 × 3 window (diagonals at 42.43 m). E.g. (1, 4): 9 pixels less the nodata one,
# crop (0, 5) among them → 1/8; (3, 1): 9 valid, paddy (4, 0) → 1/9; corners: 4 pixels.
SHARE_CROPLAND_45 = [
    [0, 0, 0, 0, 1 / 6, 1 / 4],
    [0, 0, 0, 0, 1 / 8, 1 / 6],
    [0, 0, 0, N, 0, 0],
    [1 / 6, 1 / 9, 0, 0, 0, 0],
    [1 / 4, 1 / 6, 0, 0, 0, 0],
]
# A line from the centre of (0, 0) to the centre of (1, 2) crosses column edges at 22.5 m and
# 37.5 m below the top and the row edge 45 m east: it touches (0, 0), (0, 1), (1, 1), (1, 2).
LINE = shapely.LineString([(X0 + 15, Y0 - 15), (X0 + 75, Y0 - 45)])
POINT = shapely.Point(X0 + 140, Y0 - 100)   # inside pixel (3, 4)
TOUCHED = [(0, 0), (0, 1), (1, 1), (1, 2), (3, 4)]
DIST_ROAD = [  # to the nearest of TOUCHED
    [0.0, 0.0, 30.0, 42.43, 67.08, 94.87],
    [30.0, 0.0, 0.0, 30.0, 60.0, 67.08],
    [42.43, 30.0, 30.0, N, 30.0, 42.43],
    [67.08, 60.0, 60.0, 30.0, 0.0, 30.0],
    [94.87, 90.0, 67.08, 42.43, 30.0, 42.43],
]


def close(actual: np.ndarray, expected: list) -> None:
    assert actual.dtype == np.float32
    assert not np.signbit(actual[~np.isnan(actual)]).any()   # no −0 from FFT noise either
    np.testing.assert_allclose(actual, np.array(expected, dtype=float), atol=0.005)


def write_layer(path: Path, geometries: list, crs: str | None = CRS) -> Path:
    frame = gpd.GeoDataFrame({"id": range(len(geometries))}, geometry=geometries, crs=crs)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="'crs' was not provided")
        frame.to_file(path)
    return path


def mask_of(pixels: list[tuple[int, int]]) -> np.ndarray:
    mask = np.zeros(RASTER.shape, dtype=bool)
    mask[tuple(np.array(pixels).T)] = True
    return mask


def raises(match: str):
    return pytest.raises(DataImportError, match=match)


# ---- distances ------------------------------------------------------------------------------

def test_distance_to_one_class_in_metres_with_nan_on_nodata():
    close(distance_to_classes(RASTER, [2], PIXEL), DIST_TOWN)


def test_distance_to_a_role_takes_the_nearer_of_its_classes():
    targets = resolve_targets(("cropland", "paddy"), KEYS, ROLES)
    assert targets == {"cropland": [0, 1], "paddy": [1]}
    close(distance_to_classes(RASTER, targets["cropland"], PIXEL), DIST_CROPLAND)
    only_paddy = distance_to_classes(RASTER, targets["paddy"], PIXEL)
    assert only_paddy[0, 5] == pytest.approx(192.09, abs=0.005)   # √41 · 30 to (4, 0)


def test_distance_to_an_absent_class_is_all_nan():
    assert np.isnan(distance_to_classes(RASTER, [4], PIXEL)).all()


def test_distance_to_mask_counts_targets_on_nodata_pixels_but_gives_them_nan():
    valid = VALID.copy()
    valid[0, 5] = False   # a target pixel outside the valid land
    distance = distance_to_mask(mask_of([(0, 5)]), valid, PIXEL)
    assert np.isnan(distance[0, 5]) and np.isnan(distance[2, 3])
    assert distance[1, 4] == pytest.approx(42.43, abs=0.005)
    assert distance[4, 0] == pytest.approx(192.09, abs=0.005)


# ---- shares ---------------------------------------------------------------------------------

def test_share_in_a_3_by_3_window_clipped_at_the_edge_without_nodata():
    close(share_within_radius(RASTER, [0, 1], 45.0, PIXEL), SHARE_CROPLAND_45)


def test_share_in_a_60_m_disk():
    # offsets with dr² + dc² <= 4: 13 pixels; (1, 2) at 67.08 m is out
    town = share_within_radius(RASTER, [2], 60.0, PIXEL)
    assert town[2, 2] == pytest.approx(1 / 12)   # 13 in the grid, less nodata (2, 3)
    assert town[0, 0] == pytest.approx(1 / 6)    # (0,0) (0,1) (0,2) (1,0) (1,1) (2,0)
    # (1, 3): (1, 1) is 2 columns away, exactly 60 m: in; 13 less (−1, 3) outside, less nodata
    assert town[1, 3] == pytest.approx(1 / 11)
    water = share_within_radius(RASTER, [3], 60.0, PIXEL)
    assert water[2, 2] == pytest.approx(11 / 12)
    # (1, 4): 11 pixels in the grid, less nodata (2, 3); crop (0, 5) at 42.43 m is in
    cropland = share_within_radius(RASTER, [0, 1], 60.0, PIXEL)
    assert cropland[1, 4] == pytest.approx(1 / 10)
    assert np.isnan(cropland[2, 3])


def test_share_radius_exactly_one_pixel_includes_the_four_neighbours():
    cropland = share_within_radius(RASTER, [0, 1], 30.0, PIXEL)
    assert cropland[0, 4] == pytest.approx(1 / 4)   # (0,3) (0,4) (0,5) (1,4)
    assert cropland[1, 4] == pytest.approx(0.0)     # (0, 5) is diagonal: 42.43 m
    assert cropland[1, 3] == pytest.approx(0.0) and cropland[2, 4] == pytest.approx(0.0)
    assert share_within_radius(RASTER, [3], 30.0, PIXEL)[1, 3] == pytest.approx(3 / 3)


def test_share_radius_below_half_a_pixel_is_the_pixel_itself():
    expected = np.where(VALID, np.isin(RASTER, [0, 1]), np.nan)
    close(share_within_radius(RASTER, [0, 1], 10.0, PIXEL), expected.tolist())


def test_share_is_the_same_across_convolution_strips(monkeypatch):
    # strips of 4 rows (4 × the 1-pixel reach): the paddy pixel (4, 0) is in the second strip
    monkeypatch.setattr(derived, "STRIP_ROWS", 1)
    close(share_within_radius(RASTER, [0, 1], 45.0, PIXEL), SHARE_CROPLAND_45)


def test_share_across_real_strip_boundaries():
    # 1,200 × 3 pixels, targets at (511, 1), (512, 1) on either side of the first strip edge and
    # (1023, 2) just before the second; 3 × 3 windows hold 9 pixels, 6 in the edge columns
    tall = np.zeros((1200, 3), dtype=np.int8)
    tall[511, 1] = tall[512, 1] = tall[1023, 2] = 1
    expected = np.zeros(tall.shape)
    expected[510:514] = [[1 / 6, 1 / 9, 1 / 6], [2 / 6, 2 / 9, 2 / 6], [2 / 6, 2 / 9, 2 / 6],
                         [1 / 6, 1 / 9, 1 / 6]]
    expected[1022:1025, 1:] = [1 / 9, 1 / 6]
    close(share_within_radius(tall, [1], 45.0, PIXEL), expected.tolist())


def test_share_of_an_absent_class_is_zero_on_valid_pixels():
    share = share_within_radius(RASTER, [4], 1000.0, PIXEL)
    assert (share[VALID] == 0).all() and np.isnan(share[~VALID]).all()


# ---- vector layers --------------------------------------------------------------------------

def test_rasterize_a_line_and_a_point_and_measure_to_them(tmp_path):
    path = write_layer(tmp_path / "road.gpkg", [LINE, POINT])
    mask = rasterize_layer(path, TRANSFORM, RASTER.shape, CRS)
    np.testing.assert_array_equal(mask, mask_of(TOUCHED))
    close(distance_to_mask(mask, VALID, PIXEL), DIST_ROAD)


def test_rasterize_reprojects_a_wgs84_layer(tmp_path):
    to_wgs84 = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    # the centre of pixel (2, 1) and a line through the centres of the bottom row
    point = shapely.Point(to_wgs84.transform(X0 + 45, Y0 - 75))
    line = shapely.LineString([to_wgs84.transform(X0 + 15, Y0 - 135),
                               to_wgs84.transform(X0 + 165, Y0 - 135)])
    path = write_layer(tmp_path / "wgs84.geojson", [point, line], crs="EPSG:4326")
    mask = rasterize_layer(path, TRANSFORM, RASTER.shape, CRS)
    np.testing.assert_array_equal(mask, mask_of([(2, 1)] + [(4, c) for c in range(6)]))


def test_rasterize_errors(tmp_path):
    with raises("missing.gpkg does not exist"):
        rasterize_layer(tmp_path / "missing.gpkg", TRANSFORM, RASTER.shape, CRS)
    garbage = tmp_path / "garbage.gpkg"
    garbage.write_bytes(b"not a geopackage")
    with raises("cannot read layer file garbage.gpkg"):
        rasterize_layer(garbage, TRANSFORM, RASTER.shape, CRS)
    no_crs = write_layer(tmp_path / "nocrs.gpkg", [POINT], crs=None)
    with raises("nocrs.gpkg has no CRS"):
        rasterize_layer(no_crs, TRANSFORM, RASTER.shape, CRS)
    far = write_layer(tmp_path / "far.gpkg", [shapely.Point(X0 + 5_000, Y0)])
    with raises("far.gpkg has no features inside the land-use grid"):
        rasterize_layer(far, TRANSFORM, RASTER.shape, CRS)
    empty = write_layer(tmp_path / "empty.gpkg", [])
    with raises("empty.gpkg has no features inside"):
        rasterize_layer(empty, TRANSFORM, RASTER.shape, CRS)


# ---- the [derived] table --------------------------------------------------------------------

def test_parse_derived_reads_a_full_table_and_defaults():
    spec = parse_derived("wuhan.toml", {"distance_to": ["built", "water"], "share_of": ["built"],
                                        "share_radius_m": 500, "layers": ["road"]})
    assert spec == DerivedSpec(("built", "water"), ("built",), 500.0, ("road",))
    assert parse_derived("wuhan.toml", {}) == DerivedSpec()
    assert column_names(spec) == ["dist_built_m", "dist_water_m", "share_built_500m",
                                  "dist_road_m"]


@pytest.mark.parametrize(("table", "message"), [
    ({"distance": ["built"]}, r"m.toml: \[derived\] has unknown keys 'distance'"),
    ({"distance_to": "built"}, r"distance_to = 'built' is not a list"),
    ({"share_of": ["built", 3]}, r"share_of has entries that are not strings: 3"),
    ({"layers": [["road"]]}, r"layers has entries that are not strings"),
    ({"share_radius_m": 0}, r"share_radius_m = 0 is not a positive number"),
    ({"share_radius_m": -100.0}, r"share_radius_m = -100.0 is not a positive number"),
    ({"share_radius_m": "1000"}, r"share_radius_m = '1000' is not a positive number"),
    ({"share_radius_m": True}, r"share_radius_m = True is not a positive number"),
    ({"share_radius_m": float("nan")}, r"share_radius_m = nan is not a positive number"),
    ({"share_radius_m": 60_000}, r"share_radius_m = 60000 m is above the limit of 50000 m"),
    ({"distance_to": ["Built"]}, r"names 'Built' are not lower-case ASCII"),
    ({"share_of": ["建设用地"]}, r"names '建设用地' are not lower-case ASCII"),
    ({"distance_to": ["road"], "layers": ["road"]}, r"columns 'dist_road_m' more than once"),
    ({"distance_to": ["built", "built"]}, r"columns 'dist_built_m' more than once"),
    (["built"], r"\[derived\] is list, not a table"),
])
def test_parse_derived_errors_name_the_problem(table, message):
    with raises(message) as caught:
        parse_derived("m.toml", table)
    assert caught.value.fix


def test_resolve_targets_lists_the_known_keys_and_roles():
    with raises("unknown classes 'urban'.*crop, paddy, town, lake, bare.*cropland, built, water"):
        resolve_targets(("urban", "town"), KEYS, ROLES)


# ---- all drivers ----------------------------------------------------------------------------

def test_pixel_drivers_yields_every_column_in_order(tmp_path):
    road = write_layer(tmp_path / "road.gpkg", [LINE, POINT])
    spec = DerivedSpec(distance_to=("town", "cropland"), share_of=("cropland",),
                       share_radius_m=45.0, layers=("road",))
    # class indices under nodata are ignored: `valid` decides
    index = np.where(VALID, RASTER, 2)
    drivers = pixel_drivers(index, VALID, KEYS, ROLES, PIXEL, TRANSFORM, CRS, spec,
                            {"road": road})
    got = dict(drivers)
    assert list(got) == ["dist_town_m", "dist_cropland_m", "share_cropland_45m", "dist_road_m"]
    close(got["dist_town_m"], DIST_TOWN)
    close(got["dist_cropland_m"], DIST_CROPLAND)
    close(got["share_cropland_45m"], SHARE_CROPLAND_45)
    close(got["dist_road_m"], DIST_ROAD)


@pytest.mark.parametrize(("spec", "layers", "message"), [
    (DerivedSpec(layers=("road",)), {}, r"layers 'road' have no file.*--layer road="),
    (DerivedSpec(), {"rail": Path("rail.gpkg")}, r"given for 'rail', which the mapping"),
    (DerivedSpec(distance_to=("Town",)), {}, r"'Town' are not lower-case ASCII"),
    (DerivedSpec(share_of=("forest",)), {}, r"unknown classes 'forest'"),
    (DerivedSpec(layers=("road",)), {"road": Path("nowhere.gpkg")}, r"nowhere.gpkg does not"),
])
def test_pixel_drivers_fails_when_called_before_computing_anything(spec, layers, message):
    with raises(message):
        pixel_drivers(RASTER, VALID, KEYS, ROLES, PIXEL, TRANSFORM, CRS, spec, layers)
