"""Pure builders of grid-store maps: a PNG of the cell grid on its WGS 84 corners.

A grid store (raster import) has no polygon per cell. Its maps are one ``BitmapLayer`` each:
a palette PNG in which every pixel shows one cell's colour (transparent where there is no
cell), placed on the four WGS 84 corners of the grid (a UTM grid is slightly rotated in
WGS 84). Large grids are sampled down to :data:`MAX_PX` on the long side (nearest cell), small
ones are blown up by a whole factor to at least :data:`MIN_PX`, so cell edges stay sharp.

The work is split so that a map costs one gather per rerun: :func:`grid_canvas` (once per
store) records which parcel each image pixel shows; :func:`bitmap_url` paints per-parcel
palette indices through it. No Streamlit, no database here.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import pyproj
import shapely
from PIL import Image

from dashboard.components.maps import hex_to_rgba, view_state
from data.grid import GridSpec, cell_index_grid, label_polygons

MAX_PX = 2000  # long side of a map image: 2,931² cells of 30 m are sampled down to this
MIN_PX = 1000  # small grids are blown up by a whole factor to at least this (sharp cell edges)
TRANSPARENT = (0, 0, 0, 0)
FALLBACK = (128, 128, 128, 255)  # a code the class table lacks
PALE_ALPHA = 70  # unchanged cells when changes are highlighted
UNCHANGED = (225, 225, 225, 255)  # light grey: cells that do not differ (difference maps)
NO_REGION = -1

Palette = tuple[tuple[int, int, int, int], ...]


@dataclass(frozen=True, eq=False)
class GridCanvas:
    """Which parcel each pixel of a grid store's map image shows, and where the image lies.

    Parameters
    ----------
    pixel_parcel : (height, width) int32 ndarray
        Parcel position (the solver's parcel order, by id) shown at each pixel, −1 for none.
    corners : list of [lon, lat]
        WGS 84 corners of the image in ``BitmapLayer`` order: left-bottom, left-top,
        right-top, right-bottom.
    """

    pixel_parcel: np.ndarray
    corners: list[list[float]]

    @property
    def size(self) -> tuple[int, int]:
        """Image width and height in pixels."""
        return self.pixel_parcel.shape[1], self.pixel_parcel.shape[0]


def image_shape(cell_shape: tuple[int, int], max_px: int = MAX_PX,
                min_px: int = MIN_PX) -> tuple[int, int]:
    """Image rows and columns for a grid of ``cell_shape`` cells.

    Grids longer than ``max_px`` are scaled down to it; grids shorter than ``min_px`` are
    scaled up by the smallest whole factor that reaches it, without passing ``max_px``.
    """
    rows, cols = cell_shape
    long_side = max(rows, cols, 1)
    if long_side > max_px:
        scale = max_px / long_side
        return max(1, round(rows * scale)), max(1, round(cols * scale))
    factor = max(1, min(-(-min_px // long_side), max_px // long_side))
    return rows * factor, cols * factor


def nearest_index(n_cells: int, n_pixels: int) -> np.ndarray:
    """The cell whose centre is nearest to each pixel centre along one axis."""
    centres = (np.arange(n_pixels) + 0.5) * (n_cells / n_pixels)
    return np.minimum(centres.astype(np.int64), n_cells - 1)


def grid_corners(grid: GridSpec) -> list[list[float]]:
    """WGS 84 corners of the whole cell grid, in ``BitmapLayer`` order (lb, lt, rt, rb)."""
    rows, cols = grid.cell_shape
    return window_corners(grid, 0, rows, 0, cols)


def window_corners(grid: GridSpec, row0: int, row1: int, col0: int,
                   col1: int) -> list[list[float]]:
    """WGS 84 corners of the cells ``[row0, row1) × [col0, col1)`` of the grid, in
    ``BitmapLayer`` order (lb, lt, rt, rb)."""
    t = grid.cell_transform()
    left, right = t.c + col0 * t.a, t.c + col1 * t.a
    top, bottom = t.f + row0 * t.e, t.f + row1 * t.e
    x = np.array([left, left, right, right])
    y = np.array([bottom, top, top, bottom])
    lon, lat = pyproj.Transformer.from_crs(grid.crs, 4326, always_xy=True).transform(x, y)
    return [[round(float(a), 7), round(float(b), 7)] for a, b in zip(lon, lat, strict=True)]


def grid_canvas(grid: GridSpec, rows: np.ndarray, cols: np.ndarray, max_px: int = MAX_PX,
                min_px: int = MIN_PX) -> GridCanvas:
    """The pixel → parcel map of a grid store's map image.

    Parameters
    ----------
    grid : GridSpec
        The store's source grid.
    rows, cols : ndarray of int
        ``grid_row`` / ``grid_col`` of every parcel, in the solver's parcel order.
    max_px, min_px : int
        Bounds of the image's long side (see :func:`image_shape`).

    Returns
    -------
    GridCanvas
        Pixel → parcel positions and the image's WGS 84 corners.
    """
    shape = grid.cell_shape
    cells = cell_index_grid(np.asarray(rows), np.asarray(cols), shape)
    height, width = image_shape(shape, max_px, min_px)
    picked = cells[np.ix_(nearest_index(shape[0], height), nearest_index(shape[1], width))]
    return GridCanvas(picked.astype(np.int32), grid_corners(grid))


def region_canvas(grid: GridSpec, rows: np.ndarray, cols: np.ndarray, positions: np.ndarray,
                  max_px: int = MAX_PX, min_px: int = MIN_PX) -> GridCanvas:
    """The pixel → parcel map of one region's map image: the grid cropped to the bounding box
    of the region's cells (other cells in the box are left out, drawn transparent).

    Parameters
    ----------
    grid : GridSpec
        The store's source grid.
    rows, cols : ndarray of int
        ``grid_row`` / ``grid_col`` of the region's cells (at least one).
    positions : ndarray of int
        The same cells' positions in the solver's parcel order (what the image shows).
    max_px, min_px : int
        Bounds of the image's long side (see :func:`image_shape`).

    Returns
    -------
    GridCanvas
        Pixel → parcel positions (−1 outside the region) and the box's WGS 84 corners.
    """
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    if rows.size == 0:
        raise ValueError("a region's map needs at least one cell")
    row0, col0 = int(rows.min()), int(cols.min())
    shape = (int(rows.max()) + 1 - row0, int(cols.max()) + 1 - col0)
    box = np.full(shape, -1, dtype=np.int64)
    box[rows - row0, cols - col0] = np.asarray(positions, dtype=np.int64)
    height, width = image_shape(shape, max_px, min_px)
    picked = box[np.ix_(nearest_index(shape[0], height), nearest_index(shape[1], width))]
    return GridCanvas(picked.astype(np.int32),
                      window_corners(grid, row0, row0 + shape[0], col0, col0 + shape[1]))


def subset_canvas(canvas: GridCanvas, positions: np.ndarray) -> GridCanvas:
    """A canvas painted from a subset of the parcels (pixel values index ``positions``) turned
    into one that names the parcels' positions in the whole store."""
    positions = np.asarray(positions, dtype=np.int64)
    shown = canvas.pixel_parcel
    pixel_parcel = np.where(shown >= 0, positions[np.maximum(shown, 0)], -1).astype(np.int32)
    return GridCanvas(pixel_parcel, canvas.corners)


def polygon_canvas(geometries: np.ndarray, max_px: int = MAX_PX) -> GridCanvas:
    """The pixel → parcel map of a polygon store drawn as one image.

    A hundred thousand polygons cost tens of MB of JSON per rerun (pydeck has no binary
    transport); painted into an image of at most ``max_px`` on the long side they cost the
    same few hundred kB as a grid store. Each pixel shows the parcel covering its centre
    (parcels smaller than a pixel vanish at overview, as on any printed map). The image is
    painted in Web Mercator, the map's own projection, so its rows and columns stay straight
    on the four corners.

    Parameters
    ----------
    geometries : ndarray of shapely geometries
        WGS 84 parcel polygons in the solver's parcel order.
    max_px : int
        Long side of the image.

    Returns
    -------
    GridCanvas
        Pixel → parcel positions (−1 outside every parcel) and the WGS 84 corners.
    """
    from rasterio.features import rasterize
    from rasterio.transform import from_bounds

    to_mercator = pyproj.Transformer.from_crs(4326, 3857, always_xy=True)
    projected = shapely.transform(np.asarray(geometries), lambda xy: np.column_stack(
        to_mercator.transform(xy[:, 0], xy[:, 1])))
    x0, y0, x1, y1 = shapely.total_bounds(projected)
    scale = max_px / max(x1 - x0, y1 - y0)
    width, height = max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale))
    pixels = rasterize(((g, i) for i, g in enumerate(projected) if g is not None),
                       out_shape=(height, width), fill=-1, dtype="int32",
                       transform=from_bounds(x0, y0, x1, y1, width, height))
    lon, lat = pyproj.Transformer.from_crs(3857, 4326, always_xy=True).transform(
        [x0, x0, x1, x1], [y0, y1, y1, y0])
    corners = [[round(float(a), 7), round(float(b), 7)] for a, b in zip(lon, lat, strict=True)]
    return GridCanvas(pixels, corners)


def pixel_indices(canvas: GridCanvas, values: np.ndarray) -> np.ndarray:
    """Palette index of every pixel: ``values`` of the parcel it shows, 0 where none."""
    values = np.asarray(values, dtype=np.uint8)
    shown = canvas.pixel_parcel
    return np.where(shown >= 0, values[np.maximum(shown, 0)], 0).astype(np.uint8)


def edge_pixels(image: np.ndarray) -> np.ndarray:
    """Keep only the pixels of a painted area that touch another value (its outline)."""
    padded = np.pad(image, 1, mode="constant")
    centre = padded[1:-1, 1:-1]
    differs = np.zeros(image.shape, dtype=bool)
    for shifted in (padded[:-2, 1:-1], padded[2:, 1:-1], padded[1:-1, :-2], padded[1:-1, 2:]):
        differs |= shifted != centre
    return np.where(differs, image, 0).astype(np.uint8)


def png_data_url(image: np.ndarray, palette: Palette) -> str:
    """A palette PNG (entry 0 should be transparent) as a ``data:`` URL.

    Parameters
    ----------
    image : (height, width) uint8 ndarray
        Palette index per pixel.
    palette : tuple of (r, g, b, a)
        At most 256 colours; alpha is kept per entry (PNG ``tRNS``).

    Returns
    -------
    str
        ``data:image/png;base64,...``
    """
    if len(palette) > 256:
        raise ValueError(f"a palette PNG holds at most 256 colours, got {len(palette)}")
    picture = Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8), mode="P")
    picture.putpalette([channel for color in palette for channel in color[:3]])
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", transparency=bytes(c[3] for c in palette),
                 compress_level=6)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def bitmap_url(canvas: GridCanvas, values: np.ndarray, palette: Palette,
               outline: bool = False) -> str:
    """The map image of per-parcel palette indices (``outline``: only the areas' edges)."""
    image = pixel_indices(canvas, values)
    return png_data_url(edge_pixels(image) if outline else image, palette)


def bitmap_layer(url: str, corners: list[list[float]], layer_id: str) -> pdk.Layer:
    """A ``BitmapLayer`` of a map image on the grid's corners (cells drawn sharp, not blurred)."""
    # pydeck sends a bare string as a deck.gl expression ("@@=..."); a quoted one as text.
    return pdk.Layer("BitmapLayer", id=layer_id, image=f"'{url}'", bounds=corners, pickable=False,
                     texture_parameters={"minFilter": "nearest", "magFilter": "nearest"})


def grid_view(canvas: GridCanvas, width_px: int = 380, height_px: int = 460) -> pdk.ViewState:
    """A view that fits the grid's corners into a map of the given pixel size."""
    lon, lat = np.array(canvas.corners).T
    return view_state(lon, lat, width_px, height_px)


# ---- per-parcel palette indices --------------------------------------------------------------

def class_palette(classes: pd.DataFrame) -> tuple[dict[int, int], list[tuple[int, int, int, int]]]:
    """Palette position of every class code (1, 2, … in class-table order) and its colour."""
    positions = {int(code): i + 1 for i, code in enumerate(classes["code"])}
    colors = [tuple(hex_to_rgba(str(color))) for color in classes["color"]]
    return positions, colors


def class_positions(codes: np.ndarray, positions: dict[int, int]) -> np.ndarray:
    """Palette position per parcel from its class code (codes the table lacks: the last + 1)."""
    if not positions:  # an empty class table: every parcel is "unknown"
        return np.ones(len(codes), dtype=np.uint8)
    at = pd.Index(list(positions)).get_indexer(np.asarray(codes, dtype=np.int64))
    found = np.array(list(positions.values()), dtype=np.int64)[np.maximum(at, 0)]
    return np.where(at >= 0, found, len(positions) + 1).astype(np.uint8)


def landuse_values(codes: np.ndarray, classes: pd.DataFrame,
                   before: np.ndarray | None = None) -> tuple[np.ndarray, Palette]:
    """Per-parcel palette indices and palette of a land-use map.

    With ``before``, cells whose class did not change are drawn pale (alpha
    :data:`PALE_ALPHA`), so the changed ones stand out in their new colour.
    """
    positions, colors = class_palette(classes)
    values = class_positions(codes, positions)
    palette = (TRANSPARENT, *colors, FALLBACK)
    if before is None:
        return values, palette
    pale = tuple((r, g, b, PALE_ALPHA) for r, g, b, _ in palette[1:])
    unchanged = np.asarray(before) == np.asarray(codes)
    return np.where(unchanged, values + len(palette) - 1, values).astype(np.uint8), palette + pale


def difference_values(codes_a: np.ndarray, codes_b: np.ndarray,
                      classes: pd.DataFrame) -> tuple[np.ndarray, Palette]:
    """Palette indices of a difference map: the 'to' class colour where the allocations
    differ, light grey where they agree."""
    positions, colors = class_palette(classes)
    values = class_positions(codes_b, positions) + 1
    same = np.asarray(codes_a) == np.asarray(codes_b)
    return np.where(same, 1, values).astype(np.uint8), (TRANSPARENT, UNCHANGED, *colors, FALLBACK)


def category_values(category: np.ndarray, colors: list[list[int]],
                    none_color: list[int]) -> tuple[np.ndarray, Palette]:
    """Palette indices of a categorical map: category ``i`` → ``colors[i % len]``, −1 →
    ``none_color`` (e.g. the period in which a parcel first changes)."""
    category = np.asarray(category, dtype=np.int64)
    values = np.where(category >= 0, category % len(colors) + 2, 1).astype(np.uint8)
    return values, (TRANSPARENT, tuple(none_color), *(tuple(c) for c in colors))


def mask_values(mask: np.ndarray, color: list[int]) -> tuple[np.ndarray, Palette]:
    """Palette indices of one flag (e.g. the ecological red line): its colour where set."""
    return np.asarray(mask, dtype=bool).astype(np.uint8), (TRANSPARENT, tuple(color))


# ---- region outlines -------------------------------------------------------------------------

def region_outlines(grid: GridSpec, rows: np.ndarray, cols: np.ndarray,
                    region_ids: np.ndarray) -> dict[int, shapely.Geometry]:
    """Outline of each region of a grid store, traced from its cells (WGS 84).

    Parameters
    ----------
    grid : GridSpec
        The store's source grid.
    rows, cols, region_ids : ndarray of int
        ``grid_row``, ``grid_col`` and ``region_id`` of every cell.

    Returns
    -------
    dict
        Region id → (multi)polygon in WGS 84, simplified by one cell edge (the staircase of
        cell edges would otherwise send thousands of vertices per region).
    """
    raster = np.full(grid.cell_shape, NO_REGION, dtype=np.int32)
    raster[np.asarray(rows), np.asarray(cols)] = np.asarray(region_ids, dtype=np.int32)
    outlines = label_polygons(raster, grid.cell_transform(), background=NO_REGION)
    wgs84 = gpd.GeoSeries(list(outlines.values()), crs=grid.crs).simplify(grid.cell_m).to_crs(4326)
    return dict(zip(outlines, wgs84.to_numpy(), strict=True))
