"""Aggregate a land-cover raster (and driver rasters) into square grid parcels.

Each parcel is a block of ``k × k`` pixels (``k = round(cell_size / pixel size)``). Everything
is done with numpy block reshapes (the raster is padded with nodata to a multiple of ``k``),
never per-pixel Python loops:

* ``area_ha`` = valid land-use pixels × pixel area, so the stored class shares add up to the
  raster's class areas exactly; blocks without a valid land-use pixel are dropped;
* ``land_use`` = the majority class (ties go to the lower store code); ``class_shares`` keeps
  the share of every class in the block;
* drivers are aggregated over the block's pixels that are valid in both the driver and the
  land-use raster, by ``mean``, ``sum`` (counts such as population) or ``majority``
  (categorical); the DEM also gives ``slope_deg`` (degrees, from the 30 m DEM before
  aggregation);
* the no-change mask sets ``no_conversion`` where the majority (or, with ``rule = "any"``, at
  least one) of the block's valid land-use pixels are restricted.

Driver and mask rasters must share the land-use raster's grid (shape, transform, CRS): they are
not resampled, a mismatch is an error that prints the ``gdalwarp`` command that aligns them.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
import shapely
from affine import Affine
from scipy import ndimage

from data.classes import class_roles, read_class_table
from data.grid import NODATA, GridSpec, cells_to_pixels, grid_adjacency, label_polygons
from data.importers.aggregation import cell_classes
from data.importers.derived import pixel_drivers, rasterize_layer
from data.importers.errors import DataImportError, examples
from data.importers.mapping import (
    DriverSpec,
    Mapping,
    NoChangeSpec,
    default_derived,
    load_mapping,
)
from data.importers.report import ImportReport
from data.importers.vector import MAX_PARCELS, read_vector
from data.importers.zones import ZONES, check_zone_columns
from data.store import StoreContent, write_store


@dataclass(frozen=True)
class Grid:
    """One raster band with its valid-pixel mask and georeferencing."""

    path: Path
    values: np.ndarray
    valid: np.ndarray
    transform: Affine
    crs: rasterio.crs.CRS | None

    @property
    def pixel_m(self) -> float:
        return abs(self.transform.a)

    def describe(self) -> str:
        t = self.transform
        return (f"{self.path.name}: {self.values.shape[0]}×{self.values.shape[1]} pixels of "
                f"{abs(t.a):g}×{abs(t.e):g}, origin ({t.c:.2f}, {t.f:.2f}), CRS {self.crs}")


@dataclass(frozen=True)
class Blocks:
    """The block layout: ``k``-pixel square blocks over a raster of ``shape``."""

    shape: tuple[int, int]
    k: int

    @property
    def n_rows(self) -> int:
        return -(-self.shape[0] // self.k)

    @property
    def n_cols(self) -> int:
        return -(-self.shape[1] // self.k)

    def split(self, array: np.ndarray, fill: object) -> np.ndarray:
        """(n blocks, k·k) view of ``array`` padded with ``fill``, blocks in row-major order."""
        pad = ((0, self.n_rows * self.k - self.shape[0]), (0, self.n_cols * self.k - self.shape[1]))
        padded = np.pad(array, pad, constant_values=fill)
        k = self.k
        return (padded.reshape(self.n_rows, k, self.n_cols, k).swapaxes(1, 2)
                .reshape(self.n_rows * self.n_cols, k * k))

    def count(self, mask: np.ndarray) -> np.ndarray:
        """True pixels per block."""
        return self.split(mask, False).sum(axis=1)

    def total(self, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Sum of ``values`` over the ``mask`` pixels of each block (float64)."""
        return self.split(np.where(mask, values, 0).astype(np.float64), 0.0).sum(axis=1)


def import_raster(landuse: str | Path, db_path: str | Path, mapping_path: str | Path,
                  cell_size_m: float, drivers: dict[str, str | Path] | None = None,
                  regions_path: str | Path | None = None, no_change: str | Path | None = None,
                  name: str | None = None,
                  layers: dict[str, str | Path] | None = None,
                  land_use_rule: str | None = None,
                  zones: dict[str, str | Path] | None = None) -> ImportReport:
    """Aggregate a land-cover raster into a store of square grid parcels.

    Parameters
    ----------
    landuse : str or Path
        Class raster (GeoTIFF) in a projected metric CRS, north up, square pixels.
    db_path : str or Path
        Target ``.duckdb`` store; replaced only when the import succeeds.
    mapping_path : str or Path
        Mapping TOML: [classes] (raster code → role key), [drivers.NAME], [regions],
        [no_change].
    cell_size_m : float
        Parcel edge in metres; rounded to a whole number of pixels (a warning says so).
    drivers : dict, optional
        Driver name (a [drivers.NAME] table of the mapping) → raster on the same grid.
    regions_path : str or Path, optional
        Region polygons (any vector format); a parcel goes to the region containing its
        centroid, parcels outside all regions to the nearest one (``[regions] outside =
        "drop"`` drops them). Without it the store has one region.
    no_change : str or Path, optional
        Mask raster on the same grid; values in ``[no_change] restricted`` are restricted.
    name : str, optional
        Store (and single region) name.
    layers : dict, optional
        Vector layer name (listed in the mapping's ``[derived] layers``) → file: distance to
        its features becomes a driver (``dist_NAME_m``).
    land_use_rule : {'majority', 'preserve_area'}, optional
        How a cell's class is chosen (overrides the mapping's ``[aggregation] land_use``).
    zones : dict, optional
        Zone flag (``is_basic_farmland``, ``is_red_line``, ``in_urban_boundary``) → a mask
        raster on the land-use grid (non-zero valid pixels are in the zone) or a polygon layer;
        a cell is in the zone when more than half of its valid land-use pixels are.

    Returns
    -------
    ImportReport
        Counts, class areas and the majority aggregation error per class.
    """
    start = time.perf_counter()
    report, mapping = ImportReport(Path(db_path)), load_mapping(mapping_path)
    grid = read_grid(Path(landuse))
    check_landuse_grid(grid)
    blocks = Blocks(grid.values.shape, block_pixels(grid.pixel_m, cell_size_m, report))
    classes = read_class_table(mapping.class_table)
    class_index = classify(grid, mapping, classes)
    counts = class_counts(blocks, class_index, len(classes))
    keep = np.flatnonzero(counts.sum(axis=1) > 0)
    check_parcel_count(len(keep), blocks.k, grid.pixel_m, Path(landuse))
    parcels = grid_parcels(grid, blocks, keep, counts[keep], classes,
                           land_use_rule or mapping.land_use_rule)
    parcels["geom_wkb"] = cut_cell_polygons(grid, blocks, keep)
    add_drivers(parcels, grid, blocks, keep, mapping, drivers or {}, report)
    if no_change is not None:
        parcels["no_conversion"] = no_change_flags(grid, blocks, keep, no_change,
                                                   mapping.no_change)
    check_zone_columns(zones or {})
    for column, zone in (zones or {}).items():
        parcels[column] = zone_flags(grid, blocks, keep, Path(zone), column)
    derived = derived_drivers(parcels, grid, blocks, keep, class_index, classes, mapping,
                              layers or {}, report)
    parcels = parcels.join(derived)  # carried through the region step, which may drop cells
    spec = grid_spec(grid, blocks, class_index, classes)
    parcels, regions = raster_regions(parcels, grid, spec, mapping, regions_path, name, report)
    report.n_dropped = blocks.n_rows * blocks.n_cols - len(parcels)
    content = StoreContent(
        parcels=parcels.drop(columns=["block", *derived.columns]), regions=regions, classes=classes,
        adjacency=grid_adjacency(parcels["parcel_id"].to_numpy(), parcels["grid_row"].to_numpy(),
                                 parcels["grid_col"].to_numpy(), spec.cell_m),
        class_shares=share_table(parcels, counts, classes), meta=_meta(grid, blocks, mapping, name),
        grid=spec, drivers=parcels[["parcel_id", *derived.columns]])
    write_store(db_path, content)
    _summarise(report, parcels, regions, classes, class_index, grid, start)
    report.grain = grain_distortion(class_index, len(classes), grid.pixel_m, blocks.k,
                                    tuple(classes["key"]))
    return report


# ---- reading and checking -------------------------------------------------------------------

def check_parcel_count(n_parcels: int, k: int, pixel_m: float, path: Path) -> None:
    """Refuse more than :data:`~data.importers.vector.MAX_PARCELS` parcels, suggesting a cell
    size (a whole number of pixels) that fits, before any geometry or adjacency is built."""
    if n_parcels <= MAX_PARCELS:
        return
    cell_m = k * pixel_m
    fits = math.ceil(k * math.sqrt(n_parcels / MAX_PARCELS)) * pixel_m
    raise DataImportError(
        f"{path.name} at {cell_m:g} m cells gives {n_parcels:,} parcels, over the limit of "
        f"{MAX_PARCELS:,}",
        f"use a coarser cell size (--cell-size {fits:g} or more) or split the raster by region")


def read_grid(path: Path) -> Grid:
    """Band 1 of a raster with its valid mask (not nodata, finite)."""
    if not path.exists():
        raise DataImportError(f"raster {path} does not exist", "check the path and file name")
    try:
        with rasterio.open(path) as src:
            values, nodata, transform, crs = src.read(1), src.nodata, src.transform, src.crs
    except rasterio.errors.RasterioError as exc:
        raise DataImportError(f"cannot read {path.name} as a raster: {exc}",
                              "pass a GeoTIFF (re-export it if it is truncated)") from exc
    valid = np.ones(values.shape, dtype=bool) if nodata is None else values != nodata
    if values.dtype.kind == "f":
        valid &= np.isfinite(values)
    return Grid(path, values, valid, transform, crs)


def check_landuse_grid(grid: Grid) -> None:
    """A north-up raster with square pixels in a projected metric CRS."""
    t = grid.transform
    warp = (f"reproject it, e.g. `gdalwarp -t_srs EPSG:326NN -tr {target_resolution(grid)} "
            f"-r near {grid.path.name} fixed.tif` (NN = your UTM zone)")
    if grid.crs is None:
        raise DataImportError(f"{grid.path.name} has no CRS", "assign the right one with "
                              f"`gdal_edit.py -a_srs EPSG:xxxx {grid.path.name}`, or " + warp)
    if not grid.crs.is_projected or grid.crs.linear_units not in ("metre", "meter"):
        raise DataImportError(f"{grid.path.name} is in {grid.crs}, not a metric projected CRS",
                              warp)
    if t.b != 0 or t.d != 0 or t.e >= 0 or not np.isclose(abs(t.a), abs(t.e)):
        raise DataImportError(f"{grid.path.name} is rotated, south-up or has non-square pixels "
                              f"({abs(t.a):g}×{abs(t.e):g})", warp)
    if not grid.valid.any():
        raise DataImportError(f"{grid.path.name} has no valid pixels (all nodata)",
                              "check the nodata value and that this is the land-use raster")


def target_resolution(grid: Grid) -> str:
    """The raster's own pixel size in metres for a gdalwarp hint (degrees: about 111.32 km/°)."""
    t = grid.transform
    degrees = grid.crs is not None and grid.crs.is_geographic
    size = [abs(v) * (111_320 if degrees else 1) for v in (t.a, t.e)]
    return " ".join(f"{round(v, 2):g}" for v in size)


def check_same_grid(grid: Grid, other: Grid, role: str) -> None:
    """Driver and mask rasters must share the land-use grid (no silent resampling)."""
    same = (grid.values.shape == other.values.shape and other.crs == grid.crs
            and grid.transform.almost_equals(other.transform, precision=1e-6))
    if not same:
        t, (rows, cols) = grid.transform, grid.values.shape
        bounds = f"{t.c} {t.f + rows * t.e} {t.c + cols * t.a} {t.f}"
        raise DataImportError(
            f"{role} raster is on a different grid than the land-use raster — "
            f"{other.describe()}; land use {grid.describe()}",
            f"align it: `gdalwarp -t_srs {grid.crs} -tr {t.a:g} {abs(t.e):g} -te {bounds} "
            f"-r average {other.path.name} aligned.tif` (use -r near for categories)")


def block_pixels(pixel_m: float, cell_size_m: float, report: ImportReport) -> int:
    """Pixels per block edge: cell size rounded to a whole number of pixels (warn if changed)."""
    if not cell_size_m > 0:
        raise DataImportError(f"cell size {cell_size_m} m is not positive",
                              "pass --cell-size in metres, e.g. 300 or 1000")
    k = max(1, round(cell_size_m / pixel_m))
    if not np.isclose(k * pixel_m, cell_size_m, rtol=1e-6):
        report.warnings.append(f"cell size {cell_size_m:g} m is not a multiple of the "
                               f"{pixel_m:g} m pixel: using {k} pixels = {k * pixel_m:g} m cells")
    return k


def classify(grid: Grid, mapping: Mapping, classes: pd.DataFrame) -> np.ndarray:
    """Index into ``classes`` of every pixel (−1 for nodata); unmapped codes are an error."""
    raster_codes, pixel_counts = np.unique(grid.values[grid.valid], return_counts=True)
    resolved = mapping.resolve_codes(raster_codes.tolist())
    unknown = [(c, n) for c, n in zip(raster_codes.tolist(), pixel_counts, strict=True)
               if resolved[c] is None]
    if unknown:
        listing = ", ".join(f"{c} ({n:,} pixels)" for c, n in unknown[:10])
        raise DataImportError(
            f"{grid.path.name} has {len(unknown)} class codes the mapping does not cover: "
            f"{listing}",
            f"add them to [classes] in {mapping.path.name if mapping.path else 'the mapping'}, "
            f"e.g. \"{unknown[0][0]}\" = \"{classes['key'].iloc[0]}\" (class keys: "
            f"{', '.join(classes['key'])}), add them to the class table, or make them the "
            "raster's nodata value")
    key_index = {key: i for i, key in enumerate(classes["key"])}
    lookup = np.array([key_index[resolved[c]] for c in raster_codes.tolist()], dtype=np.int16)
    position = np.searchsorted(raster_codes, grid.values).clip(0, len(raster_codes) - 1)
    return np.where(grid.valid, lookup[position], -1).astype(np.int16)


def class_counts(blocks: Blocks, class_index: np.ndarray, n_classes: int) -> np.ndarray:
    """(n blocks, K) pixel counts of each class."""
    split = blocks.split(class_index, -1)
    return np.stack([(split == j).sum(axis=1, dtype=np.int32) for j in range(n_classes)], axis=1)


# ---- parcels --------------------------------------------------------------------------------

def grid_parcels(grid: Grid, blocks: Blocks, keep: np.ndarray, counts: np.ndarray,
                 classes: pd.DataFrame, rule: str = "majority") -> pd.DataFrame:
    """Kept blocks as grid cells (row, column) with their class (by ``rule``, see
    :mod:`data.importers.aggregation`) and valid area."""
    pixel_ha = grid.pixel_m ** 2 / 10_000
    return pd.DataFrame({
        "parcel_id": np.arange(1, len(keep) + 1), "block": keep,
        "grid_row": keep // blocks.n_cols, "grid_col": keep % blocks.n_cols,
        "land_use": classes["code"].to_numpy()[cell_classes(counts, rule)],
        "area_ha": counts.sum(axis=1) * pixel_ha,
    })


def cut_cell_polygons(grid: Grid, blocks: Blocks, keep: np.ndarray) -> np.ndarray:
    """WKB polygon of the valid pixels of each cell that nodata cuts into (None elsewhere).

    Whole cells need no polygon (the grid gives their square); a cut cell's polygon covers only
    its valid pixels, so that polygon areas equal ``area_ha`` and no export covers nodata.
    """
    inside = blocks.count(np.ones(grid.values.shape, dtype=bool))[keep]
    cut = blocks.count(grid.valid)[keep] < inside
    result = np.full(len(keep), None, dtype=object)
    if not cut.any():
        return result
    label = np.zeros(blocks.n_rows * blocks.n_cols, dtype=np.int32)
    label[keep[cut]] = np.flatnonzero(cut) + 1
    per_pixel = cells_to_pixels(label.reshape(blocks.n_rows, blocks.n_cols), blocks.k,
                                grid.values.shape)
    polygons = label_polygons(np.where(grid.valid, per_pixel, 0), grid.transform)
    result[np.array(list(polygons)) - 1] = shapely.to_wkb(list(polygons.values()))
    return result


def grid_spec(grid: Grid, blocks: Blocks, class_index: np.ndarray,
              classes: pd.DataFrame) -> GridSpec:
    """The source grid kept in the store: every pixel's store class code."""
    codes = np.append(classes["code"].to_numpy(dtype=np.int32), np.int32(NODATA))
    return GridSpec(str(grid.crs), grid.transform, blocks.k, codes[class_index])


def share_table(parcels: pd.DataFrame, counts: np.ndarray, classes: pd.DataFrame) -> pd.DataFrame:
    """class_shares rows (share > 0) of the stored parcels."""
    kept = counts[parcels["block"].to_numpy()]
    shares = kept / kept.sum(axis=1, keepdims=True)
    parcel, klass = np.nonzero(shares)
    return pd.DataFrame({"parcel_id": parcels["parcel_id"].to_numpy()[parcel],
                         "land_use": classes["code"].to_numpy()[klass],
                         "share": shares[parcel, klass]})


# ---- drivers and the no-change mask ---------------------------------------------------------

def add_drivers(parcels: pd.DataFrame, grid: Grid, blocks: Blocks, keep: np.ndarray,
                mapping: Mapping, drivers: dict[str, str | Path], report: ImportReport) -> None:
    """Aggregate every given driver raster into its parcel column (in place)."""
    unknown = set(drivers) - set(mapping.drivers)
    if unknown:
        raise DataImportError(
            f"drivers {sorted(unknown)} are not described in the mapping "
            f"(it has {sorted(mapping.drivers) or 'none'})",
            "add a [drivers.NAME] table (column, aggregation) to the mapping file or fix the "
            "--driver NAME")
    for name, path in drivers.items():
        spec, driver = mapping.drivers[name], read_grid(Path(path))
        check_same_grid(grid, driver, f"driver {name!r}")
        valid = driver.valid & grid.valid
        pixels = driver.values if spec.scale == 1 else driver.values * spec.scale
        values = aggregate(blocks, pixels, valid, spec.aggregation)[keep]
        _store_driver(parcels, spec, values, report)
        if spec.slope_column:
            # Terrain slope needs only the DEM; it is averaged over the land-use pixels.
            slope = slope_degrees(driver.values, driver.valid, grid.pixel_m)
            parcels[spec.slope_column] = aggregate(blocks, slope, np.isfinite(slope) & grid.valid,
                                                   "mean")[keep]


def _store_driver(parcels: pd.DataFrame, spec: DriverSpec, values: np.ndarray,
                  report: ImportReport) -> None:
    if spec.column is None:
        n_values = len(np.unique(values[np.isfinite(values)]))
        report.warnings.append(f"driver {spec.name!r} aggregated ({spec.aggregation}, "
                               f"{n_values} distinct values) but not stored: the mapping gives "
                               "it no parcel column")
    elif spec.column == "farmland_grade":
        parcels[spec.column] = pd.array(np.round(values), dtype="Int64")
    else:
        parcels[spec.column] = values


def aggregate(blocks: Blocks, values: np.ndarray, valid: np.ndarray, how: str) -> np.ndarray:
    """Per block mean, sum or majority of the valid pixels (NaN where a block has none)."""
    if how == "majority":
        return block_majority(blocks, values, valid)
    n = blocks.count(valid)
    total = blocks.total(values, valid)
    with np.errstate(invalid="ignore", divide="ignore"):
        result = total / n if how == "mean" else total
    return np.where(n > 0, result, np.nan)


def block_majority(blocks: Blocks, values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Most frequent valid value per block (ties: the smaller value), NaN when none."""
    split, mask = blocks.split(values, 0), blocks.split(valid, False)
    block_id = np.nonzero(mask)[0]
    uniq, inverse = np.unique(split[mask], return_inverse=True)
    pairs, n = np.unique(block_id.astype(np.int64) * len(uniq) + inverse, return_counts=True)
    block, value = pairs // len(uniq), pairs % len(uniq)
    order = np.lexsort((value, -n, block))
    first = order[np.r_[True, block[order][1:] != block[order][:-1]]]
    result = np.full(len(split), np.nan)
    result[block[first]] = uniq[value[first]]
    return result


def slope_degrees(dem: np.ndarray, valid: np.ndarray, pixel_m: float) -> np.ndarray:
    """Slope in degrees from a DEM (central differences; NaN next to nodata)."""
    elevation = np.where(valid, dem, np.nan).astype(np.float64)
    d_row, d_col = np.gradient(elevation, pixel_m)
    return np.degrees(np.arctan(np.hypot(d_row, d_col)))


def derived_drivers(parcels: pd.DataFrame, grid: Grid, blocks: Blocks, keep: np.ndarray,
                    class_index: np.ndarray, classes: pd.DataFrame, mapping: Mapping,
                    layers: dict[str, str | Path], report: ImportReport) -> pd.DataFrame:
    """Distance and neighbourhood drivers (``data/importers/derived.py``), cell means.

    Returns one float32 column per driver, aligned with ``parcels``; the distance to built land
    also fills ``dist_urban_m`` (a suitability factor) unless a driver raster already did.
    """
    roles = class_roles(classes)
    spec = mapping.derived if mapping.derived is not None else default_derived(roles)
    arrays = pixel_drivers(class_index, grid.valid, list(classes["key"]), roles, grid.pixel_m,
                           grid.transform, grid.crs, spec, {k: Path(v) for k, v in layers.items()})
    table = pd.DataFrame(index=parcels.index)
    for column, per_pixel in arrays:
        values = aggregate(blocks, per_pixel, grid.valid & np.isfinite(per_pixel), "mean")[keep]
        if np.isnan(values).all():
            report.warnings.append(f"derived driver {column}: no pixel of that class (all empty)")
        table[column] = values.astype(np.float32)
    if "dist_built_m" in table and parcels.get("dist_urban_m", pd.Series(dtype=float)).isna().all():
        parcels["dist_urban_m"] = table["dist_built_m"].astype(float)
    return table


def no_change_flags(grid: Grid, blocks: Blocks, keep: np.ndarray, path: str | Path,
                    spec: NoChangeSpec) -> np.ndarray:
    """no_conversion per parcel from a restriction mask (mask nodata counts as allowed)."""
    mask = read_grid(Path(path))
    check_same_grid(grid, mask, "no-change mask")
    restricted = np.isin(mask.values, spec.restricted) & mask.valid & grid.valid
    n_restricted = blocks.count(restricted)[keep]
    if spec.rule == "any":
        return n_restricted > 0
    return 2 * n_restricted > blocks.count(grid.valid)[keep]


RASTER_SUFFIXES = (".tif", ".tiff")


def zone_flags(grid: Grid, blocks: Blocks, keep: np.ndarray, path: Path, column: str) -> np.ndarray:
    """Cells of which more than half the valid land-use pixels lie in the zone.

    The zone is a mask raster on the land-use grid (non-zero valid pixels are inside) or a
    polygon layer (rasterised on the grid, pixels touched count as inside).
    """
    name = ZONES[column][1]
    if path.suffix.lower() in RASTER_SUFFIXES:
        mask = read_grid(path)
        check_same_grid(grid, mask, f"{name} mask")
        inside = mask.valid & (mask.values != 0)
    else:
        inside = rasterize_layer(path, grid.transform, grid.values.shape, grid.crs)
    inside &= grid.valid
    if not inside.any():
        raise DataImportError(f"{name} mask {path.name} has no zone pixel on valid land use",
                              "zone pixels must be non-zero (1 = in the zone, 0 = outside) and "
                              "overlap the land-use raster")
    return 2 * blocks.count(inside)[keep] > blocks.count(grid.valid)[keep]


# ---- regions --------------------------------------------------------------------------------

def raster_regions(parcels: pd.DataFrame, grid: Grid, spec: GridSpec, mapping: Mapping,
                   regions_path: str | Path | None, name: str | None,
                   report: ImportReport) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assign cells to region polygons by cell centre (or one region without polygons)."""
    if regions_path is None:
        parcels["region_id"] = 1
        name_zh = name or mapping.names.get("name_zh", grid.path.stem)
        name_en = name or mapping.names.get("name_en", grid.path.stem)
        return parcels, _region_table(pd.DataFrame({"region_id": [1], "name_zh": [name_zh],
                                                    "name_en": [name_en]}), parcels)
    polygons = region_polygons(Path(regions_path), grid, mapping)
    region_id = locate(parcels, polygons, spec, mapping.outside, report)
    parcels = parcels.assign(region_id=region_id)
    if mapping.outside == "drop":
        parcels = parcels[parcels["region_id"] > 0].reset_index(drop=True)
        parcels["parcel_id"] = np.arange(1, len(parcels) + 1)
    empty = polygons.loc[~polygons["region_id"].isin(parcels["region_id"]), "name_zh"]
    if len(empty):
        report.warnings.append(f"{len(empty)} regions have no parcels: {examples(empty)}")
    return parcels, _region_table(polygons, parcels)


def region_polygons(path: Path, grid: Grid, mapping: Mapping) -> gpd.GeoDataFrame:
    """Region polygons dissolved by name, in the raster's CRS, ids 1..R in file order."""
    source = read_vector(path)
    if source.crs is None:
        raise DataImportError(f"region file {path.name} has no CRS",
                              f"add one with `ogr2ogr -a_srs EPSG:4326 fixed.gpkg {path.name}`")
    column = mapping.region_column or "name"
    if column not in source.columns:
        raise DataImportError(
            f"region file {path.name} has no name column {column!r} "
            f"(columns: {examples([c for c in source.columns if c != 'geometry'], 12)})",
            "set [regions] column = \"YOUR_NAME_COLUMN\" in the mapping file")
    source = source.assign(name_zh=source[column].astype(str).str.strip()).to_crs(grid.crs)
    source["geometry"] = source.geometry.make_valid()
    dissolved = source.dissolve(by="name_zh", sort=False).reset_index()
    dissolved["region_id"] = np.arange(1, len(dissolved) + 1)
    dissolved["name_en"] = dissolved["name_zh"].map(lambda n: mapping.region_names_en.get(n, n))
    return dissolved[["region_id", "name_zh", "name_en", "geometry"]]


def locate(parcels: pd.DataFrame, polygons: gpd.GeoDataFrame, spec: GridSpec, outside: str,
           report: ImportReport) -> np.ndarray:
    """Region id of the polygon containing each cell centre; outside: nearest region or 0.

    Polygons are burnt into the cell grid (a cell belongs to the polygon holding its centre);
    a cell outside every polygon takes the region of the nearest burnt cell.
    """
    burnt = rasterio.features.rasterize(
        zip(polygons.geometry, polygons["region_id"], strict=True), out_shape=spec.cell_shape,
        transform=spec.cell_transform(), fill=0, dtype=np.int32)
    rows, cols = parcels["grid_row"].to_numpy(), parcels["grid_col"].to_numpy()
    region = burnt[rows, cols].astype(np.int64)
    lost = region == 0
    if lost.any() and outside == "nearest" and burnt.any():
        distance, (near_row, near_col) = ndimage.distance_transform_edt(
            burnt == 0, return_indices=True)
        region[lost] = burnt[near_row[rows[lost], cols[lost]], near_col[rows[lost], cols[lost]]]
        far = distance[rows[lost], cols[lost]].max() * spec.cell_m
        report.warnings.append(
            f"{int(lost.sum())} parcels have their centre outside every region polygon; "
            f"assigned to the nearest region (at most {far:,.0f} m away)")
    elif lost.any():
        report.warnings.append(f"dropped {int(lost.sum())} parcels whose centre lies "
                               "outside every region polygon")
    return region


def _region_table(regions: pd.DataFrame, parcels: pd.DataFrame) -> pd.DataFrame:
    table = pd.DataFrame(regions.drop(columns="geometry", errors="ignore"))
    if "geometry" in regions:
        table["geometry"] = list(regions.geometry)
    if "population" in parcels and parcels["population"].notna().any():
        by_region = parcels.groupby("region_id")["population"].sum()
        table["population"] = table["region_id"].map(by_region).fillna(0.0).to_numpy()
    return table


# ---- aggregation distortion by grain --------------------------------------------------------

GRAIN_STEPS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 33, 40, 50, 67)
MAX_DISTORTION_PCT = 5.0


def grain_distortion(class_index: np.ndarray, n_classes: int, pixel_m: float, chosen_k: int,
                     keys: tuple[str, ...]) -> pd.DataFrame:
    """Majority-rule class area error (% of the raster's class area) at candidate cell sizes.

    Returns one row per cell size (``cell_m``, one column per class key, ``worst_pct``); the
    chosen grain is always among them. A class absent from the raster has no error.
    """
    raster = np.bincount(class_index[class_index >= 0], minlength=n_classes).astype(float)
    rows = []
    for k in sorted(set(GRAIN_STEPS) | {chosen_k}):
        blocks = Blocks(class_index.shape, k)
        counts = class_counts(blocks, class_index, n_classes)
        present = counts.sum(axis=1) > 0
        majority = np.bincount(counts[present].argmax(axis=1),
                               weights=counts[present].sum(axis=1), minlength=n_classes)
        with np.errstate(invalid="ignore", divide="ignore"):
            pct = np.where(raster > 0, 100 * (majority - raster) / raster, 0.0)
        rows.append({"cell_m": k * pixel_m, **dict(zip(keys, pct, strict=True)),
                     "worst_pct": float(np.abs(pct).max())})
    return pd.DataFrame(rows)


# ---- meta and report ------------------------------------------------------------------------

def _meta(grid: Grid, blocks: Blocks, mapping: Mapping, name: str | None) -> dict[str, str]:
    return {"name_zh": name or mapping.names.get("name_zh", grid.path.stem),
            "name_en": name or mapping.names.get("name_en", grid.path.stem),
            "source": mapping.names.get("source", grid.path.name),
            "imported_from": grid.path.name,
            "mapping": mapping.path.name if mapping.path else "default",
            "synthetic": "false", "cell_size_m": f"{blocks.k * grid.pixel_m:g}",
            "pixel_size_m": f"{grid.pixel_m:g}", "block_pixels": str(blocks.k)}


def _summarise(report: ImportReport, parcels: pd.DataFrame, regions: pd.DataFrame,
               classes: pd.DataFrame, class_index: np.ndarray, grid: Grid,
               start: float) -> None:
    """Class areas as stored (majority) against the raster's pixel areas."""
    pixel_ha = grid.pixel_m ** 2 / 10_000
    raster_ha = np.bincount(class_index[class_index >= 0], minlength=len(classes)) * pixel_ha
    stored = parcels.groupby("land_use")["area_ha"].sum()
    for code, key, pixels in zip(classes["code"], classes["key"], raster_ha, strict=True):
        area = float(stored.get(code, 0.0))
        report.class_area_ha[key] = area
        report.aggregation_error[key] = {
            "ha": area - pixels, "pct": 100 * (area - pixels) / pixels if pixels else 0.0}
    report.n_parcels, report.n_regions = len(parcels), len(regions)
    report.seconds = time.perf_counter() - start
