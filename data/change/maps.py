"""Land-use maps of several years on one grid of cells, and the drivers of change per cell.

A change model learns from a start and an end map of the same place and is validated on a later
pair. This module reads such maps with an import mapping (the same ``[classes]``, ``[drivers]``
and ``[no_change]`` tables and the same checks as ``python -m data import-raster``), aggregates
them to square cells of ``k × k`` pixels (majority class, as the importer does) and describes
each cell by the drivers a land-change model uses:

* the static drivers of the mapping (block mean, sum or majority; slope from a DEM);
* for the map at hand: the cell's class, the distance in metres to the nearest cell of every
  class, and the share of every class among the cells within 1, 3 and 8 cells (a disk) — the
  neighbourhood effect of cellular-automata models, given to the learner as drivers.

Everything is computed on the cell grid (``grids as grids``): at 30 m a cell is a pixel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage, signal

from data.classes import class_roles, read_class_table
from data.importers.errors import DataImportError
from data.importers.mapping import Mapping, load_mapping
from data.importers.raster import (
    Blocks,
    Grid,
    aggregate,
    block_pixels,
    check_landuse_grid,
    check_same_grid,
    class_counts,
    classify,
    read_grid,
    slope_degrees,
)
from data.importers.report import ImportReport

#: Neighbourhood radii in cells of the class-share drivers.
SHARE_RADII_CELLS: tuple[int, ...] = (1, 3, 8)
#: Distance given to a cell when a class is absent from the whole map (metres).
FAR_M = 1.0e6


@dataclass(frozen=True)
class CellGrid:
    """The cells shared by a set of maps: blocks of ``k × k`` pixels of the reference grid.

    ``cells`` are the block indices (row-major over ``blocks``) valid in every map.
    """

    reference: Grid
    blocks: Blocks
    cells: np.ndarray
    area_ha: np.ndarray
    class_keys: tuple[str, ...]
    class_roles: tuple[str, ...]
    class_codes: tuple[int, ...]
    warnings: list[str] = field(default_factory=list)

    @property
    def shape(self) -> tuple[int, int]:
        return self.blocks.n_rows, self.blocks.n_cols

    @property
    def cell_m(self) -> float:
        return self.reference.pixel_m * self.blocks.k

    @property
    def n_classes(self) -> int:
        return len(self.class_keys)

    def to_grid(self, per_cell: np.ndarray, fill: float) -> np.ndarray:
        """Spread per-cell values over the (cell rows, cell cols) grid, ``fill`` elsewhere."""
        out = np.full(self.blocks.n_rows * self.blocks.n_cols, fill, dtype=np.result_type(
            per_cell.dtype, np.asarray(fill).dtype))
        out[self.cells] = per_cell
        return out.reshape(self.shape)


@dataclass(frozen=True)
class ClassMap:
    """One year's map on a :class:`CellGrid`: class index and class shares of every cell."""

    path: Path
    cls: np.ndarray        # (n cells,) class index (majority)
    shares: np.ndarray     # (n cells, K) float32 share of each class's valid pixels


def open_grid(paths: list[Path], mapping: Mapping, cell_size_m: float
              ) -> tuple[CellGrid, list[np.ndarray]]:
    """Read land-use rasters on one grid, classify them and keep the cells valid in all.

    Parameters
    ----------
    paths : list of Path
        Land-use rasters (GeoTIFF), the first being the reference grid; all must share it.
    mapping : Mapping
        The import mapping (``[classes]`` and the class table).
    cell_size_m : float
        Cell edge in metres (a whole number of pixels).

    Returns
    -------
    (CellGrid, list of numpy.ndarray)
        The common cells and each raster's per-pixel class index (−1 on nodata).
    """
    report = ImportReport(Path("."))
    reference = read_grid(paths[0])
    check_landuse_grid(reference)
    classes = read_class_table(mapping.class_table)
    blocks = Blocks(reference.values.shape, block_pixels(reference.pixel_m, cell_size_m, report))
    per_pixel, valid_blocks = [], np.ones(blocks.n_rows * blocks.n_cols, dtype=bool)
    for path in paths:
        grid = reference if path == paths[0] else read_grid(path)
        check_same_grid(reference, grid, f"land-use map {path.name}")
        index = classify(grid, mapping, classes)
        per_pixel.append(index)
        valid_blocks &= blocks.count(index >= 0) > 0
    cells = np.flatnonzero(valid_blocks)
    if cells.size == 0:
        raise DataImportError("the land-use maps share no valid cell",
                              "check that they cover the same area and their nodata values")
    valid_all = np.logical_and.reduce([index >= 0 for index in per_pixel])
    area = blocks.count(valid_all)[cells] * reference.pixel_m ** 2 / 10_000
    roles = class_roles(classes)
    return CellGrid(reference, blocks, cells, area.astype(float), tuple(classes["key"]),
                    tuple(str(r) for r in roles),
                    tuple(int(c) for c in classes["code"]), report.warnings), per_pixel


def class_map(cells: CellGrid, per_pixel: np.ndarray, path: Path) -> ClassMap:
    """Majority class and class shares of every cell of ``cells`` (ties: the class listed
    first in the class table)."""
    counts = class_counts(cells.blocks, per_pixel, cells.n_classes)[cells.cells]
    total = np.maximum(counts.sum(axis=1, keepdims=True), 1)
    return ClassMap(path, counts.argmax(axis=1).astype(np.int16),
                    (counts / total).astype(np.float32))


def static_drivers(cells: CellGrid, mapping: Mapping, drivers: dict[str, Path]
                   ) -> pd.DataFrame:
    """Driver rasters aggregated per cell as the mapping says (plus slope from a DEM).

    Columns are the driver names (``soil``, ``dem`` …), ``slope_deg`` for a DEM with a
    ``slope_column``; a majority-aggregated driver is categorical (kept as its codes).
    """
    unknown = set(drivers) - set(mapping.drivers)
    if unknown:
        raise DataImportError(
            f"drivers {sorted(unknown)} are not described in the mapping "
            f"(it has {sorted(mapping.drivers) or 'none'})",
            "add a [drivers.NAME] table to the mapping file or fix the --driver NAME")
    ref, table = cells.reference, pd.DataFrame(index=np.arange(len(cells.cells)))
    for name, path in sorted(drivers.items()):
        spec, driver = mapping.drivers[name], read_grid(Path(path))
        check_same_grid(ref, driver, f"driver {name!r}")
        valid = driver.valid & ref.valid
        pixels = driver.values if spec.scale == 1 else driver.values * spec.scale
        table[name] = aggregate(cells.blocks, pixels, valid, spec.aggregation)[cells.cells]
        if spec.slope_column:
            slope = slope_degrees(driver.values, driver.valid, ref.pixel_m)
            table["slope_deg"] = aggregate(cells.blocks, slope, np.isfinite(slope) & ref.valid,
                                           "mean")[cells.cells]
    return table.astype(np.float32)


def categorical_drivers(mapping: Mapping, drivers: dict[str, Path]) -> list[str]:
    """Names of the drivers that are categories (majority-aggregated, e.g. soil units)."""
    return [name for name in sorted(drivers) if mapping.drivers[name].aggregation == "majority"]


def restricted_cells(cells: CellGrid, mask_path: Path, mapping: Mapping) -> np.ndarray:
    """Cells locked by a no-change mask, by the mapping's ``[no_change]`` rule."""
    mask = read_grid(Path(mask_path))
    check_same_grid(cells.reference, mask, "no-change mask")
    ref = cells.reference
    restricted = np.isin(mask.values, mapping.no_change.restricted) & mask.valid & ref.valid
    n_restricted = cells.blocks.count(restricted)[cells.cells]
    if mapping.no_change.rule == "any":
        return n_restricted > 0
    return 2 * n_restricted > cells.blocks.count(ref.valid)[cells.cells]


def map_drivers(cells: CellGrid, state: ClassMap, neighbourhood: bool = True,
                radii: tuple[int, ...] = SHARE_RADII_CELLS) -> pd.DataFrame:
    """Drivers that depend on the map: class, distance to and neighbourhood shares of each class.

    Distances are between cell centres (Euclidean, metres); shares count the cells' class
    shares within a disk of each radius in ``radii`` (cells), cells outside the study area left
    out (``neighbourhood=False`` leaves the shares out, to measure what they add).
    """
    table = pd.DataFrame({"class": state.cls.astype(np.float32)})
    majority = cells.to_grid(state.cls.astype(np.int16), -1)
    inside = cells.to_grid(np.ones(len(cells.cells), dtype=np.float32), 0.0)
    for k, key in enumerate(cells.class_keys):
        table[f"dist_{key}_m"] = _distance_to(majority == k, cells)
    for radius in radii if neighbourhood else ():
        disk = _disk(radius)
        known = signal.fftconvolve(inside, disk, mode="same")
        for k, key in enumerate(cells.class_keys):
            share = signal.fftconvolve(cells.to_grid(state.shares[:, k], 0.0), disk, mode="same")
            values = (share / np.maximum(known, 1e-6)).ravel()[cells.cells]
            table[f"share_{key}_r{radius}"] = np.clip(values, 0.0, 1.0).astype(np.float32)
    return table


def with_static(table: pd.DataFrame, static: pd.DataFrame) -> pd.DataFrame:
    """Map-dependent drivers side by side with the static ones (same cell order)."""
    return pd.concat([table, static.reset_index(drop=True)], axis=1)


def _distance_to(target: np.ndarray, cells: CellGrid) -> np.ndarray:
    if not target.any():
        return np.full(len(cells.cells), FAR_M, dtype=np.float32)
    distance = ndimage.distance_transform_edt(~target) * cells.cell_m
    return distance.ravel()[cells.cells].astype(np.float32)


def _disk(radius: int) -> np.ndarray:
    offsets = np.arange(-radius, radius + 1)
    return (offsets[:, None] ** 2 + offsets[None, :] ** 2 <= radius ** 2).astype(np.float32)


def load(mapping_path: str | Path) -> Mapping:
    """The import mapping (re-exported so callers need one import)."""
    return load_mapping(mapping_path)
