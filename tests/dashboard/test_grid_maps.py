"""Grid-store maps: images of the cell grid on its WGS 84 corners, never a polygon per cell."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from affine import Affine
from PIL import Image

from dashboard.components import grid_maps, maps
from data.grid import GridSpec

CRS = "EPSG:32649"
X0, Y0 = 760_000.0, 3_400_000.0  # east of the central meridian (111° E), as Wuhan
CLASSES = pd.DataFrame({"code": [1, 3, 4], "color": ["#9ccc65", "#f2d16b", "#d84315"],
                        "name_zh": ["草地", "耕地", "城镇用地"]})
GRASS, CROP, BUILT = (156, 204, 101, 255), (242, 209, 107, 255), (216, 67, 21, 255)


def grid_spec(pixel_rows: int, pixel_cols: int, block: int = 1, pixel_m: float = 30.0) -> GridSpec:
    pixels = np.zeros((pixel_rows, pixel_cols), dtype=np.int16)
    return GridSpec(CRS, Affine(pixel_m, 0, X0, 0, -pixel_m, Y0), block, pixels)


def decode(url: str) -> Image.Image:
    assert url.startswith("data:image/png;base64,")
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGBA")


# 2 × 3 cells (2 × 2 pixels each, the last column cut by the raster edge); cell (1, 0) has no
# parcel. Parcels in id order: (0,0) (0,1) (0,2) (1,1) (1,2).
ROWS, COLS = np.array([0, 0, 0, 1, 1]), np.array([0, 1, 2, 1, 2])
CODES = np.array([1, 3, 4, 3, 1])


@pytest.fixture
def small_grid() -> GridSpec:
    return grid_spec(4, 5, block=2)


def test_image_shape_samples_large_grids_down_and_blows_small_ones_up():
    assert grid_maps.image_shape((2931, 2931)) == (2000, 2000)  # Wuhan 30 m
    assert grid_maps.image_shape((294, 294)) == (1176, 1176)  # Wuhan 300 m: 4 px per cell
    assert grid_maps.image_shape((10, 3000)) == (7, 2000)
    assert grid_maps.image_shape((700, 900)) == (1400, 1800)  # × 2, not past 2,000
    assert grid_maps.image_shape((1500, 1200)) == (1500, 1200)  # between the bounds: as is


def test_nearest_index_picks_the_cell_under_each_pixel():
    assert grid_maps.nearest_index(3, 6).tolist() == [0, 0, 1, 1, 2, 2]
    assert grid_maps.nearest_index(6, 3).tolist() == [1, 3, 5]
    assert grid_maps.nearest_index(2931, 2000).max() == 2930


def test_canvas_maps_pixels_to_parcels_and_blank_cells_to_minus_one(small_grid):
    canvas = grid_maps.grid_canvas(small_grid, ROWS, COLS, min_px=1)
    assert canvas.pixel_parcel.tolist() == [[0, 1, 2], [-1, 3, 4]]
    blown_up = grid_maps.grid_canvas(small_grid, ROWS, COLS, min_px=6)
    assert blown_up.size == (6, 4)  # whole factor 2: each cell is 2 × 2 pixels
    assert blown_up.pixel_parcel[2:, :2].tolist() == [[-1, -1], [-1, -1]]
    assert blown_up.pixel_parcel[:2, 4:].tolist() == [[2, 2], [2, 2]]


def test_bitmap_has_the_class_colours_at_known_cells_and_no_colour_without_a_cell(small_grid):
    canvas = grid_maps.grid_canvas(small_grid, ROWS, COLS, min_px=6)
    values, palette = grid_maps.landuse_values(CODES, CLASSES)
    image = decode(grid_maps.bitmap_url(canvas, values, palette))
    assert image.size == (6, 4)
    assert image.getpixel((0, 0)) == GRASS and image.getpixel((1, 1)) == GRASS  # cell (0, 0)
    assert image.getpixel((2, 0)) == CROP and image.getpixel((5, 1)) == BUILT
    assert image.getpixel((0, 3))[3] == 0  # cell (1, 0): no parcel, transparent
    assert image.getpixel((3, 2)) == CROP and image.getpixel((4, 3)) == GRASS


def test_large_grids_are_sampled_down_to_the_longest_side():
    grid = grid_spec(3000, 1500)
    rows, cols = np.divmod(np.arange(3000 * 1500), 1500)
    codes = np.where(rows < 1500, 1, 4)  # north half grassland, south half built
    canvas = grid_maps.grid_canvas(grid, rows, cols, max_px=500)
    image = decode(grid_maps.bitmap_url(canvas, *grid_maps.landuse_values(codes, CLASSES)))
    assert image.size == (250, 500)
    assert image.getpixel((100, 10)) == GRASS and image.getpixel((100, 490)) == BUILT


def test_corners_are_the_grid_corners_in_wgs84_in_bitmap_layer_order(small_grid):
    corners = grid_maps.grid_corners(small_grid)
    to_wgs84 = pyproj.Transformer.from_crs(CRS, 4326, always_xy=True)
    # 2 × 3 cells of 60 m: the whole cell grid (its cut last column included)
    expected = [to_wgs84.transform(x, y) for x, y in (
        (X0, Y0 - 120), (X0, Y0), (X0 + 180, Y0), (X0 + 180, Y0 - 120))]
    assert np.allclose(corners, expected, atol=1e-7)
    (lb, lt, rt, rb) = corners
    assert lt[1] > lb[1] and rt[0] > lt[0]  # left-bottom, left-top, right-top, right-bottom
    assert lb[0] != lt[0]  # east of the zone's central meridian: rotated in WGS 84, not a box


def test_changes_highlighted_leave_unchanged_cells_pale(small_grid):
    canvas = grid_maps.grid_canvas(small_grid, ROWS, COLS, min_px=1)
    after = CODES.copy()
    after[1] = 4  # cell (0, 1): cropland → built
    values, palette = grid_maps.landuse_values(after, CLASSES, before=CODES)
    image = decode(grid_maps.bitmap_url(canvas, values, palette))
    assert image.getpixel((1, 0)) == BUILT  # changed: full colour
    assert image.getpixel((0, 0)) == GRASS[:3] + (grid_maps.PALE_ALPHA,)  # unchanged: pale


def test_difference_category_and_unknown_codes(small_grid):
    canvas = grid_maps.grid_canvas(small_grid, ROWS, COLS, min_px=1)
    other = np.array([1, 4, 4, 3, 99])
    image = decode(grid_maps.bitmap_url(canvas, *grid_maps.difference_values(CODES, other,
                                                                              CLASSES)))
    assert image.getpixel((0, 0)) == grid_maps.UNCHANGED and image.getpixel((1, 0)) == BUILT
    assert image.getpixel((2, 1)) == grid_maps.FALLBACK  # a code the class table lacks
    periods = np.array([-1, 0, 1, 2, -1])
    colours = [[10, 0, 0, 255], [0, 10, 0, 255]]
    image = decode(grid_maps.bitmap_url(canvas, *grid_maps.category_values(
        periods, colours, [200, 200, 200, 255])))
    assert image.getpixel((0, 0)) == (200, 200, 200, 255)
    assert [image.getpixel((1, 0)), image.getpixel((2, 0)), image.getpixel((1, 1))] == [
        (10, 0, 0, 255), (0, 10, 0, 255), (10, 0, 0, 255)]


def test_zone_outline_keeps_only_the_edge_of_the_flagged_area():
    grid = grid_spec(5, 5)
    rows, cols = np.divmod(np.arange(25), 5)
    canvas = grid_maps.grid_canvas(grid, rows, cols, min_px=1)
    flagged = np.zeros(25, dtype=bool)
    flagged[[6, 7, 8, 11, 12, 13, 16, 17, 18]] = True  # the 3 × 3 centre
    values, palette = grid_maps.mask_values(flagged, [200, 0, 0, 255])
    image = decode(grid_maps.bitmap_url(canvas, values, palette, outline=True))
    alpha = np.array(image)[:, :, 3]
    assert alpha[1:4, 1:4].tolist() == [[255, 255, 255], [255, 0, 255], [255, 255, 255]]
    assert alpha[0].sum() == 0 and alpha[:, 0].sum() == 0


def test_deck_of_a_grid_sends_one_bitmap_layer_and_no_polygons(small_grid):
    canvas = grid_maps.grid_canvas(small_grid, ROWS, COLS)
    url = grid_maps.bitmap_url(canvas, *grid_maps.landuse_values(CODES, CLASSES))
    layer = grid_maps.bitmap_layer(url, canvas.corners, "current")
    spec = json.loads(maps.build_deck([layer], grid_maps.grid_view(canvas), None).to_json())
    (sent,) = spec["layers"]
    assert sent["@@type"] == "BitmapLayer" and sent["image"] == url
    assert sent["bounds"] == canvas.corners and len(sent["bounds"]) == 4
    assert sent["textureParameters"] == {"minFilter": "nearest", "magFilter": "nearest"}
    assert "PolygonLayer" not in json.dumps(spec) and spec.get("mapProvider") is None
    lon, lat = np.array(canvas.corners).T
    assert lon.min() < spec["initialViewState"]["longitude"] < lon.max()
    assert lat.min() < spec["initialViewState"]["latitude"] < lat.max()


def test_class_positions_follow_the_class_table_order():
    positions, colors = grid_maps.class_palette(CLASSES)
    assert positions == {1: 1, 3: 2, 4: 3} and colors[2] == BUILT
    assert grid_maps.class_positions(np.array([4, 1, 7, 3]), positions).tolist() == [3, 1, 4, 2]


def test_region_outlines_trace_the_cells_of_each_region():
    grid = grid_spec(4, 6, block=1, pixel_m=100.0)
    rows, cols = np.divmod(np.arange(24), 6)
    regions = np.where(cols < 2, 1, 2)  # region 1: the west 2 columns, region 2: the rest
    outlines = grid_maps.region_outlines(grid, rows, cols, regions)
    assert sorted(outlines) == [1, 2]
    to_utm = pyproj.Transformer.from_crs(4326, CRS, always_xy=True)
    west = shapely.transform(outlines[1], lambda xy: np.column_stack(to_utm.transform(*xy.T)))
    assert west.area == pytest.approx(200 * 400, rel=1e-3)
    assert west.bounds == pytest.approx((X0, Y0 - 400, X0 + 200, Y0), abs=0.5)
