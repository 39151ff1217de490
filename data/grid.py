"""Grid stores: cells by row and column on a raster's grid, geometry only on demand.

A raster import keeps its source grid (:class:`GridSpec`: CRS, the pixel transform, the block
edge ``k`` in pixels and every source pixel's class code) in the store's ``grid`` table, and
each parcel its block ``grid_row`` / ``grid_col``. Cell polygons, centroids and a GeoTIFF on the
source grid are derived from these when they are asked for; a parcel only stores a polygon when
nodata cuts into its block (``geom_wkb``), so that polygon areas equal ``area_ha``.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
import shapely.geometry
from affine import Affine

NODATA = -1  # class code of a source pixel without data


@dataclass(frozen=True, eq=False)
class GridSpec:
    """The source grid of a raster import.

    Parameters
    ----------
    crs : str
        The raster's (metric, projected) CRS.
    transform : Affine
        Pixel transform of the source raster (north up, square pixels).
    block_pixels : int
        Cell edge in pixels: a cell is ``k × k`` source pixels.
    pixels : (rows, cols) int32
        Store class code of every source pixel, :data:`NODATA` where the raster has none.
    """

    crs: str
    transform: Affine
    block_pixels: int
    pixels: np.ndarray

    @property
    def pixel_m(self) -> float:
        return abs(self.transform.a)

    @property
    def cell_m(self) -> float:
        return self.block_pixels * self.pixel_m

    @property
    def cell_shape(self) -> tuple[int, int]:
        """Rows and columns of cells (the last row / column may be cut by the raster edge)."""
        k = self.block_pixels
        return -(-self.pixels.shape[0] // k), -(-self.pixels.shape[1] // k)

    def cell_transform(self) -> Affine:
        """Transform of a raster with one pixel per cell."""
        return self.transform @ Affine.scale(self.block_pixels)

    def cell_boxes(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Square cell polygons clipped to the raster's extent."""
        t, size = self.transform, self.cell_m
        x0, y1 = t.c + cols * size, t.f - rows * size
        right = t.c + self.pixels.shape[1] * self.pixel_m
        bottom = t.f - self.pixels.shape[0] * self.pixel_m
        return shapely.box(x0, np.maximum(y1 - size, bottom), np.minimum(x0 + size, right), y1)

    def cell_centres(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Centre coordinates of whole (unclipped) cells."""
        t, size = self.transform, self.cell_m
        return t.c + (cols + 0.5) * size, t.f - (rows + 0.5) * size

    def to_row(self) -> dict[str, object]:
        """The ``grid`` table row."""
        t = self.transform
        return {"crs": self.crs, "pixel_m": self.pixel_m, "block_pixels": self.block_pixels,
                "origin_x": t.c, "origin_y": t.f, "pixel_rows": self.pixels.shape[0],
                "pixel_cols": self.pixels.shape[1], "pixels": encode_pixels(self.pixels)}

    @classmethod
    def from_row(cls, row: dict) -> GridSpec:
        """Rebuild from a ``grid`` table row."""
        transform = Affine(row["pixel_m"], 0, row["origin_x"], 0, -row["pixel_m"], row["origin_y"])
        pixels = decode_pixels(bytes(row["pixels"]), (row["pixel_rows"], row["pixel_cols"]))
        return cls(row["crs"], transform, int(row["block_pixels"]), pixels)


def encode_pixels(pixels: np.ndarray) -> bytes:
    """Compressed int32 pixel codes (class rasters compress ~20×)."""
    buffer = io.BytesIO()
    np.save(buffer, pixels.astype(np.int32), allow_pickle=False)
    return zlib.compress(buffer.getvalue(), level=6)


def decode_pixels(blob: bytes, shape: tuple[int, int]) -> np.ndarray:
    """Inverse of :func:`encode_pixels` (the shape is checked)."""
    pixels = np.load(io.BytesIO(zlib.decompress(blob)), allow_pickle=False)
    if pixels.shape != tuple(shape):
        raise ValueError(f"grid pixels have shape {pixels.shape}, the grid table says {shape}")
    return pixels


def cell_index_grid(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(cell rows, cell cols) array of the parcel position at each cell, −1 where none."""
    index = np.full(shape, -1, dtype=np.int64)
    index[rows, cols] = np.arange(len(rows))
    return index


def cells_to_pixels(per_cell: np.ndarray, k: int, pixel_shape: tuple[int, int]) -> np.ndarray:
    """Spread a (cell rows, cell cols) array onto the source pixels (k × k per cell), cropped
    to the raster's extent."""
    spread = np.repeat(np.repeat(per_cell, k, axis=0), k, axis=1)
    return spread[:pixel_shape[0], :pixel_shape[1]]


def label_polygons(labels: np.ndarray, transform: Affine,
                   background: int = 0) -> dict[int, shapely.Geometry]:
    """The (multi)polygon of each label of an integer raster (``background`` left out),
    traced by ``rasterio.features.shapes`` and merged per label."""
    from rasterio import features  # only tracing needs rasterio

    pieces: dict[int, list] = {}
    for geometry, value in features.shapes(labels, mask=labels != background, connectivity=4,
                                           transform=transform):
        pieces.setdefault(int(value), []).append(shapely.geometry.shape(geometry))
    return {label: shapely.union_all(parts) for label, parts in sorted(pieces.items())}


def grid_adjacency(parcel_ids: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                   cell_m: float) -> pd.DataFrame:
    """Rook neighbours of grid cells (parcel_a < parcel_b, shared_m = the cell edge).

    Works on a dense cell-index array, so 5 million cells take seconds, not minutes.
    """
    shape = (int(rows.max()) + 1, int(cols.max()) + 1) if len(rows) else (0, 0)
    index = cell_index_grid(rows, cols, shape)
    pairs = []
    for first, second in ((index[:, :-1], index[:, 1:]), (index[:-1, :], index[1:, :])):
        both = (first >= 0) & (second >= 0)
        a, b = parcel_ids[first[both]], parcel_ids[second[both]]
        pairs.append((np.minimum(a, b), np.maximum(a, b)))
    a = np.concatenate([p[0] for p in pairs])
    b = np.concatenate([p[1] for p in pairs])
    return pd.DataFrame({"parcel_a": a, "parcel_b": b, "shared_m": np.full(len(a), float(cell_m))})


def source_pixels(grid: GridSpec, rows: np.ndarray, cols: np.ndarray, before: np.ndarray,
                  after: np.ndarray) -> np.ndarray:
    """An allocation on the source grid: the source pixels, with changed cells repainted.

    A cell whose class did not change keeps every source pixel (its minority classes and
    restricted pixels included); a cell that changed takes its new class on all its valid
    pixels. Re-importing the result at the same cell size gives the allocation back.
    """
    changed = np.full(grid.cell_shape, NODATA, dtype=np.int32)
    moved = np.asarray(before) != np.asarray(after)
    changed[rows[moved], cols[moved]] = np.asarray(after)[moved]
    per_pixel = cells_to_pixels(changed, grid.block_pixels, grid.pixels.shape)
    valid = grid.pixels != NODATA
    return np.where(valid & (per_pixel != NODATA), per_pixel, grid.pixels).astype(np.int32)
