"""Derived drivers: distance and neighbourhood rasters computed per pixel from the land use.

Land-change models explain conversions with "how far to the nearest town" and "how much of
the surroundings is built". This module computes such drivers for every pixel of the
classified land-use raster (and from vector layers such as roads); the raster importer then
averages each one over a grid cell's valid pixels (block mean), like a driver raster.

Definitions (``p`` = pixel edge in metres; *valid* = not nodata in the land-use raster;
*name* = a class key, or a role key meaning every class with that role):

``dist_{name}_m``
    Euclidean distance in metres from the pixel centre to the nearest pixel centre whose class
    is *name* (0 on those pixels), exact (``scipy.ndimage.distance_transform_edt``, sampling
    ``p``). Distances are measured in a straight line through any class and through nodata
    (no barriers); only pixels inside the raster count, nothing is known beyond its edge.
    float32; NaN on nodata pixels; NaN everywhere when no pixel has the class.
``share_{name}_{R}m``
    Share (0..1) of the valid pixels in a circular window that are of class *name*. The
    window holds every pixel whose centre lies at most ``R`` metres from the pixel's centre
    (the pixel itself included; ``R < p`` means the pixel alone). It is clipped at the raster
    edge, and nodata pixels count in neither the numerator nor the denominator, so the share
    is one of known land. float32; NaN on nodata pixels. ``R`` is ``share_radius_m`` (whole
    metres in the column name); window counts come from FFT overlap-add convolution with the
    disk and are rounded to whole pixels, so they are exact.
``dist_{layer}_m``
    As ``dist_{name}_m``, the targets being the pixels touched by any feature of a vector
    layer (``rasterio.features.rasterize`` with ``all_touched=True``: every pixel a line or
    polygon passes through, the pixel a point lies in), after reprojection to the raster's
    CRS. Touched pixels count as targets even where the land use is nodata (a road along the
    study area's edge); features outside the raster's extent are ignored. Distances run
    pixel centre to pixel centre, so they carry up to ``p / √2`` of rounding.

Mapping file (``source`` in messages)::

    [derived]
    distance_to = ["built", "water"]     # class keys or role keys
    share_of = ["built", "cropland"]
    share_radius_m = 1000                # positive, at most 50 km
    layers = ["road"]                    # each given on the command line as road=FILE

Names must be lower-case ASCII identifiers (``[a-z0-9_]+``) as they become column names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import affine
import geopandas as gpd
import numpy as np
import pyogrio
import rasterio.features
from rasterio.transform import array_bounds
from rasterio.warp import transform_bounds
from scipy import ndimage, signal

from data.importers.errors import DataImportError, examples

#: Keys of the mapping file's [derived] table.
DERIVED_KEYS = ("distance_to", "share_of", "share_radius_m", "layers")
#: Largest neighbourhood radius (m): beyond it the window is a region, not a neighbourhood.
MAX_RADIUS_M = 50_000.0
#: Command-line option that gives a layer's file, as named in messages.
LAYER_OPTION = "--layer"
NAME_PATTERN = re.compile(r"[a-z0-9_]+")
#: Rows per convolution strip (see :func:`window_count`).
STRIP_ROWS = 512


@dataclass(frozen=True)
class DerivedSpec:
    """Which derived drivers to compute (see the module docstring for their definitions)."""

    distance_to: tuple[str, ...] = ()
    share_of: tuple[str, ...] = ()
    share_radius_m: float = 1000.0
    layers: tuple[str, ...] = ()


# ---- the mapping file's [derived] table -----------------------------------------------------

def parse_derived(source: str, table: dict) -> DerivedSpec:
    """Validate a mapping file's ``[derived]`` table.

    Parameters
    ----------
    source : str
        Mapping file name, for messages.
    table : dict
        The parsed TOML table (keys ``distance_to``, ``share_of``, ``share_radius_m``,
        ``layers``; all optional).

    Returns
    -------
    DerivedSpec
        The drivers to compute; column names are checked too (see :func:`column_names`).

    Raises
    ------
    DataImportError
        Unknown keys, a value that is not a list, an entry that is not a string, a radius that
        is not a positive number or is above 50 km, a bad or duplicate name.
    """
    if not isinstance(table, dict):
        raise DataImportError(f"{source}: [derived] is {type(table).__name__}, not a table",
                              "write it as a [derived] section with keys " + ", ".join(DERIVED_KEYS))
    unknown = sorted(set(table) - set(DERIVED_KEYS))
    if unknown:
        raise DataImportError(f"{source}: [derived] has unknown keys {examples(unknown)}",
                              "use only " + ", ".join(DERIVED_KEYS) + " (check the spelling)")
    spec = DerivedSpec(
        distance_to=_names(source, table, "distance_to"), share_of=_names(source, table, "share_of"),
        share_radius_m=_radius(source, table.get("share_radius_m", DerivedSpec.share_radius_m)),
        layers=_names(source, table, "layers"))
    column_names(spec, source)
    return spec


def _names(source: str, table: dict, key: str) -> tuple[str, ...]:
    """A list of strings (TOML array) as a tuple."""
    value = table.get(key, [])
    if not isinstance(value, list):
        raise DataImportError(f"{source}: [derived] {key} = {value!r} is not a list",
                              f'write a list, e.g. {key} = ["built"]')
    bad = [v for v in value if not isinstance(v, str)]
    if bad:
        raise DataImportError(f"{source}: [derived] {key} has entries that are not strings: "
                              f"{examples(bad)}", f'quote every name, e.g. {key} = ["built"]')
    return tuple(value)


def _radius(source: str, value: object) -> float:
    """A positive radius in metres, at most :data:`MAX_RADIUS_M`."""
    # bool is an int in Python, but `share_radius_m = true` is a mistake, not 1 m
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise DataImportError(f"{source}: [derived] share_radius_m = {value!r} is not a positive "
                              "number", "give the radius in metres, e.g. share_radius_m = 1000")
    if value > MAX_RADIUS_M:
        raise DataImportError(f"{source}: [derived] share_radius_m = {value:g} m is above the "
                              f"limit of {MAX_RADIUS_M:g} m",
                              "use a neighbourhood radius in metres, e.g. 1000 (not kilometres "
                              "or a region size)")
    return float(value)


def column_names(spec: DerivedSpec, source: str = "[derived]") -> list[str]:
    """Parcel column names of the drivers of ``spec``, in the order :func:`pixel_drivers` yields.

    Parameters
    ----------
    spec : DerivedSpec
        The drivers.
    source : str, optional
        Where the names come from, for messages.

    Returns
    -------
    list of str
        ``dist_{name}_m`` (distance_to), ``share_{name}_{R}m`` (share_of), ``dist_{layer}_m``.

    Raises
    ------
    DataImportError
        A name that is not ``[a-z0-9_]+``, or two drivers with the same column.
    """
    names = [*spec.distance_to, *spec.share_of, *spec.layers]
    bad = [n for n in names if not NAME_PATTERN.fullmatch(n)]
    if bad:
        raise DataImportError(f"{source}: derived driver names {examples(bad)} are not lower-case "
                              "ASCII identifiers", "use class keys or role keys made of a-z, 0-9 "
                              "and _ (e.g. \"built\"), and such layer names (e.g. road=roads.gpkg)")
    columns = ([f"dist_{n}_m" for n in spec.distance_to]
               + [f"share_{n}_{int(spec.share_radius_m)}m" for n in spec.share_of]
               + [f"dist_{n}_m" for n in spec.layers])
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if twice:
        raise DataImportError(f"{source}: derived drivers give the columns {examples(twice)} "
                              "more than once", "list each name once, and give a layer a name "
                              "that is not also in distance_to")
    return columns


def resolve_targets(names: tuple[str, ...], class_keys: list[str],
                    class_roles: list[str]) -> dict[str, list[int]]:
    """Class indices of each name: the class with that key and every class with that role.

    Parameters
    ----------
    names : tuple of str
        Class keys or role keys.
    class_keys, class_roles : list of str
        Key and role of every class, in class-index order.

    Returns
    -------
    dict
        Name → sorted class indices (never empty).

    Raises
    ------
    DataImportError
        A name that is neither a key nor a role; the message lists the known ones.
    """
    targets = {name: [i for i, (key, role) in enumerate(zip(class_keys, class_roles, strict=True))
                      if name in (key, role)] for name in names}
    unknown = [name for name, found in targets.items() if not found]
    if unknown:
        raise DataImportError(
            f"derived drivers name unknown classes {examples(unknown)}",
            f"use a class key ({', '.join(class_keys)}) or a role "
            f"({', '.join(dict.fromkeys(class_roles))})")
    return targets


# ---- per-pixel drivers ----------------------------------------------------------------------

def distance_to_classes(class_index: np.ndarray, targets: list[int], pixel_m: float) -> np.ndarray:
    """Distance (m) from every pixel centre to the nearest pixel of the ``targets`` classes.

    Parameters
    ----------
    class_index : numpy.ndarray
        2-D class indices, −1 for nodata.
    targets : list of int
        Class indices to measure the distance to.
    pixel_m : float
        Pixel edge in metres.

    Returns
    -------
    numpy.ndarray
        float32, 0 on target pixels, NaN on nodata pixels; all NaN when no pixel is a target.
    """
    return distance_to_mask(np.isin(class_index, targets), class_index >= 0, pixel_m)


def distance_to_mask(mask: np.ndarray, valid: np.ndarray, pixel_m: float) -> np.ndarray:
    """Distance (m) from every pixel centre to the nearest ``mask`` pixel centre.

    Parameters
    ----------
    mask : numpy.ndarray
        2-D bool, the target pixels (they count even where ``valid`` is False).
    valid : numpy.ndarray
        2-D bool, pixels that get a value.
    pixel_m : float
        Pixel edge in metres.

    Returns
    -------
    numpy.ndarray
        float32, 0 on ``mask`` pixels, NaN where not ``valid``; all NaN when ``mask`` is empty.
    """
    if not mask.any():
        return np.full(mask.shape, np.nan, dtype=np.float32)
    # the EDT measures to the nearest zero, so the targets are the zeros
    distance = ndimage.distance_transform_edt(~mask, sampling=pixel_m).astype(np.float32)
    distance[~valid] = np.nan
    return distance


def disk_kernel(radius_m: float, pixel_m: float) -> np.ndarray:
    """Window of the pixels whose centres lie within ``radius_m`` of the centre pixel's.

    Returns
    -------
    numpy.ndarray
        Square float64 array of 0/1, odd edge ``2·floor(radius_m / pixel_m) + 1`` (1×1 when the
        radius is below one pixel).
    """
    reach_px = radius_m / pixel_m
    offsets = np.arange(-math.floor(reach_px + 1e-9), math.floor(reach_px + 1e-9) + 1)
    squared = offsets[:, None] ** 2 + offsets[None, :] ** 2
    # tolerance: a radius of exactly k pixels includes the pixels at k (e.g. 30 m at 30 m)
    return (squared <= reach_px ** 2 + 1e-9).astype(np.float64)


def window_count(mask: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Number of ``mask`` pixels in the window around every pixel (float64, whole numbers).

    The convolution runs on strips of rows (with the window's reach of rows above and below
    as a halo): FFT convolution needs several times its input in memory, a strip's worth is
    small, and the result is the same as on the whole raster.
    """
    if kernel.size == 1:
        return mask.astype(np.float64)
    reach, rows = kernel.shape[0] // 2, mask.shape[0]
    step = max(STRIP_ROWS, 4 * reach)   # halo rows stay a small part of a strip
    counts = np.empty(mask.shape, dtype=np.float64)
    for start in range(0, rows, step):
        low, high = max(0, start - reach), min(rows, start + step + reach)
        strip = signal.oaconvolve(mask[low:high].astype(np.float64), kernel, mode="same")
        counts[start:start + step] = strip[start - low:start - low + step]
    # the counts are integers: rounding removes the FFT noise exactly (abs: no −0 from −1e-13)
    return np.abs(np.rint(counts, out=counts), out=counts)


def share_within_radius(class_index: np.ndarray, targets: list[int], radius_m: float,
                        pixel_m: float) -> np.ndarray:
    """Share of the valid pixels within ``radius_m`` that are of the ``targets`` classes.

    Parameters
    ----------
    class_index : numpy.ndarray
        2-D class indices, −1 for nodata.
    targets : list of int
        Class indices counted in the numerator.
    radius_m : float
        Window radius in metres (pixel centres at distance <= radius; below one pixel: the
        pixel itself).
    pixel_m : float
        Pixel edge in metres.

    Returns
    -------
    numpy.ndarray
        float32 in 0..1, NaN on nodata pixels; nodata pixels are left out of both counts.
    """
    valid, kernel = class_index >= 0, disk_kernel(radius_m, pixel_m)
    return _share(np.isin(class_index, targets), valid, window_count(valid, kernel), kernel)


def _share(target: np.ndarray, valid: np.ndarray, valid_count: np.ndarray,
           kernel: np.ndarray) -> np.ndarray:
    """Target count / valid count on valid pixels (the valid count is shared by all targets)."""
    share = np.full(target.shape, np.nan, dtype=np.float32)
    # a valid pixel is in its own window, so valid_count >= 1 wherever it is divided
    np.divide(window_count(target & valid, kernel), valid_count, out=share, where=valid)
    return np.clip(share, 0.0, 1.0, out=share)


# ---- vector layers --------------------------------------------------------------------------

def rasterize_layer(path: str | Path, transform: affine.Affine, shape: tuple[int, int],
                    crs) -> np.ndarray:
    """Pixels touched by the features (points, lines, polygons) of a vector file.

    Parameters
    ----------
    path : str or Path
        Any vector file GDAL reads (GeoPackage, Shapefile, GeoJSON...) with a CRS.
    transform : affine.Affine
        The land-use raster's transform.
    shape : tuple of int
        The land-use raster's (rows, columns).
    crs : rasterio.crs.CRS or str
        The land-use raster's CRS; features are reprojected to it.

    Returns
    -------
    numpy.ndarray
        2-D bool, True on every pixel a feature touches (``all_touched=True``).

    Raises
    ------
    DataImportError
        The file is missing or unreadable, has no CRS or no feature inside the grid.
    """
    path = Path(path)
    bounds = array_bounds(shape[0], shape[1], transform)   # west, south, east, north
    geometries = _read_layer(path, bounds, crs)
    mask = np.zeros(shape, dtype=bool)
    if len(geometries):
        mask = rasterio.features.rasterize(((g, 1) for g in geometries), out_shape=shape,
                                           transform=transform, fill=0, all_touched=True,
                                           dtype="uint8").astype(bool)
    if not mask.any():
        raise DataImportError(
            f"layer file {path.name} has no features inside the land-use grid (bounds "
            f"{', '.join(f'{b:.0f}' for b in bounds)} in {crs})",
            "check that the layer covers the study area and that its CRS is the one its "
            "coordinates are in (a wrong .prj puts the features elsewhere)")
    return mask


def _read_layer(path: Path, bounds: tuple[float, ...], crs) -> gpd.GeoSeries:
    """Non-empty geometries of the features whose envelope meets ``bounds``, in ``crs``."""
    if not path.exists():
        raise DataImportError(f"layer file {path} does not exist",
                              f"check the path given with {LAYER_OPTION} NAME=FILE")
    try:
        file_crs = pyogrio.read_info(path)["crs"]
    except Exception as exc:  # pyogrio/GDAL raise many types for unreadable files
        raise _unreadable(path, exc) from exc
    if file_crs is None:
        raise DataImportError(f"layer file {path.name} has no CRS",
                              f"assign the CRS its coordinates are in, e.g. `ogr2ogr -a_srs "
                              f"EPSG:4326 fixed.gpkg {path.name}`")
    try:
        # read only the grid's surroundings: a national road file need not fit in memory
        box = transform_bounds(crs, file_crs, *bounds, densify_pts=21)
        features = gpd.read_file(path, bbox=box, columns=[])
    except Exception as exc:
        raise _unreadable(path, exc) from exc
    geometries = features.geometry.to_crs(crs)
    return geometries[~(geometries.isna() | geometries.is_empty)]


def _unreadable(path: Path, exc: Exception) -> DataImportError:
    return DataImportError(f"cannot read layer file {path.name} as a vector file: {exc}",
                           "pass a GeoPackage, Shapefile or GeoJSON (re-export it from your GIS "
                           "if it is truncated)")


# ---- all drivers of a spec ------------------------------------------------------------------

def pixel_drivers(class_index: np.ndarray, valid: np.ndarray, class_keys: list[str],
                  class_roles: list[str], pixel_m: float, transform: affine.Affine, crs,
                  spec: DerivedSpec, layer_paths: dict[str, Path]) -> Iterator[tuple[str, np.ndarray]]:
    """Per-pixel rasters of every driver of ``spec``, one at a time.

    Everything that can fail (names, layer files, rasterisation) is checked when this is
    called, before any driver is computed; the arrays are then computed lazily, one per step,
    so only one driver array is alive at a time.

    Parameters
    ----------
    class_index : numpy.ndarray
        2-D class indices (−1 or anything where ``valid`` is False).
    valid : numpy.ndarray
        2-D bool, valid land-use pixels.
    class_keys, class_roles : list of str
        Key and role of every class, in class-index order.
    pixel_m : float
        Pixel edge in metres.
    transform : affine.Affine
        The land-use raster's transform.
    crs : rasterio.crs.CRS or str
        The land-use raster's CRS.
    spec : DerivedSpec
        The drivers.
    layer_paths : dict
        Layer name → vector file; exactly the names in ``spec.layers``.

    Returns
    -------
    Iterator of (str, numpy.ndarray)
        (column name, float32 array, NaN on invalid pixels) in :func:`column_names` order.

    Raises
    ------
    DataImportError
        Bad or duplicate names, unknown classes, layers without a file or files without a
        layer, unreadable layer files.
    """
    columns = column_names(spec)
    _check_layers(spec.layers, layer_paths)
    distance_targets = resolve_targets(spec.distance_to, class_keys, class_roles)
    share_targets = resolve_targets(spec.share_of, class_keys, class_roles)
    masks = {n: rasterize_layer(layer_paths[n], transform, valid.shape, crs) for n in spec.layers}
    index = np.where(valid, class_index, -1)
    arrays = _driver_arrays(index, valid, pixel_m, spec, distance_targets, share_targets, masks)
    return zip(columns, arrays, strict=True)


def _check_layers(layers: tuple[str, ...], layer_paths: dict[str, Path]) -> None:
    """Every layer of the spec has a file, and every file a layer."""
    missing = [n for n in layers if n not in layer_paths]
    extra = sorted(set(layer_paths) - set(layers))
    if missing:
        raise DataImportError(f"[derived] layers {examples(missing)} have no file",
                              f"give each on the command line as {LAYER_OPTION} NAME=FILE, e.g. "
                              f"{LAYER_OPTION} {missing[0]}=roads.gpkg")
    if extra:
        raise DataImportError(f"layer files were given for {examples(extra)}, which the "
                              "mapping's [derived] layers does not list",
                              f"add them to [derived] layers (e.g. layers = [\"{extra[0]}\"]) or "
                              f"drop the {LAYER_OPTION} option")


def _driver_arrays(index: np.ndarray, valid: np.ndarray, pixel_m: float, spec: DerivedSpec,
                   distance_targets: dict[str, list[int]], share_targets: dict[str, list[int]],
                   masks: dict[str, np.ndarray]) -> Iterator[np.ndarray]:
    """The driver arrays in column order, computed when asked for."""
    for name in spec.distance_to:
        yield distance_to_classes(index, distance_targets[name], pixel_m)
    if spec.share_of:
        kernel = disk_kernel(spec.share_radius_m, pixel_m)
        valid_count = window_count(valid, kernel)   # the same denominator for every class
        for name in spec.share_of:
            yield _share(np.isin(index, share_targets[name]), valid, valid_count, kernel)
        del valid_count
    for name in spec.layers:
        yield distance_to_mask(masks.pop(name), valid, pixel_m)   # pop: free each mask once used
