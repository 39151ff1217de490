"""A newer land survey (年度变更调查, a land-cover map) read onto a store's parcels and kept.

A survey file — a class raster (GeoTIFF) or polygons with a class column (GeoPackage,
Shapefile, GeoJSON, GeoParquet) — is mapped into the store's own class system with the same
mapping files the importers use (``[classes]``: source code → class key; a vector's class
column is ``[columns] land_use``). Each parcel takes the survey's class the way the store's
own classes were made:

* grid store, raster survey: the survey must lie on the store's source grid (same CRS, pixel
  size, origin and extent); each cell takes the class of its pixels by the mapping's
  aggregation rule (majority by default), exactly as ``import-raster`` did for the base map;
* grid store, polygons: the polygons are burnt onto the source grid, then as above;
* parcel store, raster: the survey must be in the store's CRS; each parcel takes the majority
  class of the pixels whose centres it covers (parcels smaller than a pixel: the pixel under
  their representative point);
* parcel store, polygons: each parcel takes the class covering most of its area.

Parcels the survey does not cover keep no survey class (``land_use`` NULL: "no data").

Surveys are kept in a sidecar ``<store>.surveys.duckdb`` next to the store (like the scenario
library), so importing one never touches the store — its base map, version and saved
scenarios stay exactly as they were. Each survey records the store version it was read onto;
a store rebuilt since then makes it stale.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from data import store
from data.db import connect, query_df
from data.errors import DataImportError, examples
from data.grid import NODATA, GridSpec
from data.importers.aggregation import cell_classes
from data.importers.mapping import Mapping, load_mapping

SIDECAR_SUFFIX = ".surveys.duckdb"
RASTER_SUFFIXES = (".tif", ".tiff")
MAX_NAME_CHARS = 60
YEAR_RANGE = (1900, 2200)
SCHEMA = """
CREATE TABLE IF NOT EXISTS surveys (
    name          VARCHAR PRIMARY KEY,
    year          INTEGER NOT NULL,
    source        VARCHAR NOT NULL,   -- file name the survey was read from
    imported_at   VARCHAR NOT NULL,   -- ISO time, UTC
    store_version VARCHAR NOT NULL,   -- meta.version of the store it was read onto
    n_parcels     INTEGER NOT NULL,
    n_missing     INTEGER NOT NULL,   -- parcels the survey does not cover
    report        VARCHAR NOT NULL    -- JSON: class areas, how it was read
);
CREATE TABLE IF NOT EXISTS survey_land_use (
    name      VARCHAR NOT NULL,
    parcel_id INTEGER NOT NULL,
    land_use  INTEGER             -- store class code; NULL where the survey has no data
);
"""
T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class SurveyLayer:
    """A survey as stored: one class code per parcel (−1 where the survey has no data).

    Attributes
    ----------
    name : str
        The layer's name (unique per store).
    year : int
        Survey year.
    source : str
        File it was read from.
    imported_at : str
        ISO time (UTC).
    store_version, current_store_version : str
        Store version it was read onto, and the store's version now.
    land_use : DataFrame
        ``parcel_id, land_use`` ordered by parcel id; −1 marks parcels without survey data.
    report : dict
        Class areas (ha, by key), parcels without data, how the survey was read.
    """

    name: str
    year: int
    source: str
    imported_at: str
    store_version: str
    current_store_version: str
    land_use: pd.DataFrame
    report: dict = field(default_factory=dict)

    @property
    def stale(self) -> bool:
        """True when the store's parcels changed after the survey was read onto them."""
        return self.store_version != self.current_store_version

    def codes_for(self, parcel_ids: np.ndarray) -> np.ndarray:
        """Survey class code of each parcel in ``parcel_ids`` order (−1: no data).

        Raises
        ------
        DataImportError
            The survey was read onto other parcels (the store was rebuilt since).
        """
        codes = pd.Series(self.land_use["land_use"].to_numpy(),
                          index=self.land_use["parcel_id"].to_numpy()).reindex(parcel_ids)
        if codes.isna().any():
            raise DataImportError(
                f"survey '{self.name}' has no row for {int(codes.isna().sum()):,} parcels of the "
                "store (the store was rebuilt after the survey was imported)",
                f"import the survey again: `python -m data import-survey ... --name {self.name} "
                "--replace`")
        return codes.to_numpy(dtype=np.int64)


@dataclass
class SurveyReport:
    """What an import read: parcels, parcels without data, class areas, timing."""

    name: str
    year: int
    source: str
    how: str
    n_parcels: int = 0
    n_missing: int = 0
    class_area_ha: dict[str, float] = field(default_factory=dict)
    base_area_ha: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {"how": self.how, "n_parcels": self.n_parcels, "n_missing": self.n_missing,
                "class_area_ha": self.class_area_ha, "base_area_ha": self.base_area_ha,
                "seconds": round(self.seconds, 2)}

    def format(self) -> str:
        """Plain-text summary for the command line."""
        lines = [f"survey '{self.name}' ({self.year}) from {self.source}: {self.how}",
                 f"  {self.n_parcels:,} parcels, {self.n_missing:,} without survey data, "
                 f"{self.seconds:.1f} s",
                 "  class areas (ha): survey vs store base map"]
        for key, area in self.class_area_ha.items():
            base = self.base_area_ha.get(key, 0.0)
            lines.append(f"    {key:<22} {area:>14,.1f}   base {base:>14,.1f}   "
                         f"change {area - base:+,.1f}")
        return "\n".join(lines)


# ---- the sidecar ------------------------------------------------------------------------------

def sidecar_path(store_path: str | Path) -> Path:
    """``<stem>.surveys.duckdb`` next to the store."""
    store_path = Path(store_path)
    return store_path.with_name(f"{store_path.stem}{SIDECAR_SUFFIX}")


def _with_sidecar(store_path: str | Path, work: Callable[[duckdb.DuckDBPyConnection], T],
                  write: bool, attempts: int = 20) -> T:
    """Run ``work`` on the sidecar, retrying briefly while another process holds it."""
    path = sidecar_path(store_path)
    for attempt in range(attempts):
        try:
            con = duckdb.connect(str(path), read_only=not write)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or attempt == attempts - 1:
                raise DataImportError(f"the survey file {path.name} is busy or unreadable "
                                      f"({exc})", "try again in a moment") from exc
            time.sleep(0.25)
            continue
        try:
            if write:
                con.execute(SCHEMA)
            return work(con)
        finally:
            con.close()
    raise AssertionError("unreachable")


def check_name(name: object) -> str:
    """A survey name: 1–60 printable characters."""
    text = str(name).strip() if name is not None else ""
    if not text or len(text) > MAX_NAME_CHARS or not text.isprintable():
        raise DataImportError(f"survey name {name!r} is not usable",
                              f"give a name of 1 to {MAX_NAME_CHARS} printable characters, "
                              "e.g. 2010年度变更调查")
    return text


def check_year(year: object) -> int:
    """A survey year within 1900..2200."""
    try:
        value = int(str(year).strip())
    except (TypeError, ValueError):
        value = None
    if value is None or not YEAR_RANGE[0] <= value <= YEAR_RANGE[1] or (
            isinstance(year, float) and not year.is_integer()):
        raise DataImportError(f"survey year {year!r} is not a year",
                              f"give the survey's year as a whole number between "
                              f"{YEAR_RANGE[0]} and {YEAR_RANGE[1]}, e.g. --year 2010")
    return value


def list_surveys(store_path: str | Path) -> pd.DataFrame:
    """Stored surveys of a store (newest year first): name, year, source, imported_at,
    n_parcels, n_missing, stale."""
    columns = ["name", "year", "source", "imported_at", "n_parcels", "n_missing", "stale"]
    if not sidecar_path(store_path).exists():
        return pd.DataFrame(columns=columns)
    version = _store_version(store_path)
    table = _with_sidecar(store_path, lambda con: query_df(
        con, "SELECT * FROM surveys ORDER BY year DESC, name"), write=False)
    table["stale"] = table["store_version"] != version
    return table[columns]


def load_survey(store_path: str | Path, name: str) -> SurveyLayer:
    """A stored survey by name.

    Raises
    ------
    DataImportError
        No survey of that name (the message lists the stored ones).
    """
    known = list_surveys(store_path)
    if name not in set(known["name"]):
        listing = ", ".join(known["name"]) or "none yet"
        raise DataImportError(f"this store has no survey named {name!r} (stored: {listing})",
                              "import it first: `python -m data import-survey --db STORE "
                              "--survey FILE --mapping M.toml --year YEAR --name NAME`")

    def read(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
        header = query_df(con, "SELECT * FROM surveys WHERE name = ?", [name])
        uses = query_df(con, "SELECT parcel_id, coalesce(land_use, -1) AS land_use "
                             "FROM survey_land_use WHERE name = ? ORDER BY parcel_id", [name])
        return header, uses

    header, uses = _with_sidecar(store_path, read, write=False)
    row = header.iloc[0]
    return SurveyLayer(name=name, year=int(row["year"]), source=str(row["source"]),
                       imported_at=str(row["imported_at"]),
                       store_version=str(row["store_version"]),
                       current_store_version=_store_version(store_path),
                       land_use=uses.astype({"parcel_id": np.int64, "land_use": np.int64}),
                       report=json.loads(row["report"]))


def delete_survey(store_path: str | Path, name: str) -> None:
    """Remove a stored survey (nothing else changes)."""
    load_survey(store_path, name)  # names the stored ones when it is unknown

    def work(con: duckdb.DuckDBPyConnection) -> None:
        with _transaction(con):
            con.execute("DELETE FROM survey_land_use WHERE name = ?", [name])
            con.execute("DELETE FROM surveys WHERE name = ?", [name])

    _with_sidecar(store_path, work, write=True)


@contextlib.contextmanager
def _transaction(con: duckdb.DuckDBPyConnection):
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise


def _store_version(store_path: str | Path) -> str:
    con = connect(store_path)
    try:
        return store.read_meta(con).get("version", "")
    finally:
        con.close()


# ---- import -----------------------------------------------------------------------------------

def import_survey(store_path: str | Path, survey_path: str | Path,
                  mapping_path: str | Path | None, year: object, name: str | None = None,
                  replace: bool = False) -> SurveyReport:
    """Read a survey onto a store's parcels and keep it as a dated layer.

    Parameters
    ----------
    store_path : str or Path
        The parcel store (opened read-only; it is not changed).
    survey_path : str or Path
        Class raster (.tif) or polygon file with a class column.
    mapping_path : str or Path, optional
        Mapping TOML (``[classes]``, ``[columns] land_use``, ``[aggregation] land_use``) into
        the store's classes; default: the store's own class codes and keys.
    year : int
        Survey year.
    name : str, optional
        Layer name; default ``"<year> <file stem>"``.
    replace : bool
        Replace a stored survey of the same name (otherwise that is an error).

    Returns
    -------
    SurveyReport

    Raises
    ------
    DataImportError
        Unreadable file, another grid or CRS, class codes the mapping does not cover, classes
        the store does not have, a survey covering no parcel, a name already taken; nothing is
        written then.
    """
    started = time.perf_counter()
    year_value = check_year(year)
    survey_path = Path(survey_path)
    label = check_name(name if name is not None else f"{year_value} {survey_path.stem}")
    taken = set(list_surveys(store_path)["name"])
    if label in taken and not replace:
        raise DataImportError(f"this store already has a survey named {label!r}",
                              "choose another --name, or pass --replace to overwrite it")
    codes, how, tables = read_survey(store_path, survey_path, mapping_path)
    report = _report(label, year_value, survey_path, how, codes, tables, started)
    version = tables.meta.get("version", "")
    frame = pd.DataFrame({"name": label, "parcel_id": tables.parcels["parcel_id"].to_numpy(),
                          "land_use": pd.array(np.where(codes < 0, pd.NA, codes),
                                               dtype="Int64")})

    def work(con: duckdb.DuckDBPyConnection) -> None:
        with _transaction(con):
            con.execute("DELETE FROM survey_land_use WHERE name = ?", [label])
            con.execute("DELETE FROM surveys WHERE name = ?", [label])
            con.execute("INSERT INTO surveys VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [label, year_value, survey_path.name,
                         datetime.now(UTC).isoformat(timespec="seconds"), version,
                         report.n_parcels, report.n_missing, json.dumps(report.to_json())])
            con.register("incoming_survey", frame)
            con.execute("INSERT INTO survey_land_use SELECT name, parcel_id, land_use "
                        "FROM incoming_survey")
            con.unregister("incoming_survey")
        con.execute("CHECKPOINT")

    _with_sidecar(store_path, work, write=True)
    report.seconds = time.perf_counter() - started
    return report


@dataclass(frozen=True)
class _StoreParts:
    meta: dict[str, str]
    classes: pd.DataFrame
    parcels: pd.DataFrame   # parcel_id, land_use, area_ha, grid_row, grid_col (+ geom_wkb)
    grid: GridSpec | None


def _read_store(store_path: str | Path, geometry: bool) -> _StoreParts:
    con = connect(store_path)
    try:
        grid = store.read_grid(con)
        columns = "parcel_id, land_use, area_ha, grid_row, grid_col"
        if geometry and grid is None:
            columns += ", geom_wkb"
        parcels = query_df(con, f"SELECT {columns} FROM parcels ORDER BY parcel_id")
        return _StoreParts(store.read_meta(con), store.read_classes(con), parcels, grid)
    finally:
        con.close()


def read_survey(store_path: str | Path, survey_path: str | Path,
                mapping_path: str | Path | None) -> tuple[np.ndarray, str, _StoreParts]:
    """The survey's class code for every parcel of the store (−1: no data), without storing.

    Returns
    -------
    codes : (n,) int64
        In the store's parcel-id order.
    how : str
        One line on how the survey was read (for reports).
    tables : the store parts read on the way (meta, classes, parcels, grid).
    """
    survey_path = Path(survey_path)
    if not Path(store_path).is_file():
        raise DataImportError(f"no parcel store at {store_path}",
                              "build or import the store first (python -m data import-raster "
                              "or import-parcels)")
    tables = _read_store(store_path, geometry=True)
    mapping = load_mapping(mapping_path)
    raster = survey_path.suffix.lower() in RASTER_SUFFIXES
    if tables.grid is not None:
        pixels = (_raster_pixels(survey_path, tables, mapping) if raster
                  else _burnt_pixels(survey_path, tables, mapping))
        codes = _cell_codes(pixels, tables, mapping.land_use_rule)
        how = (f"{'raster' if raster else 'polygons'} on the store's {tables.grid.cell_m:g} m "
               f"grid, {mapping.land_use_rule} of each cell's pixels")
    elif raster:
        codes = _raster_on_parcels(survey_path, tables, mapping)
        how = "raster: majority of the pixels in each parcel"
    else:
        codes = _polygons_on_parcels(survey_path, tables, mapping)
        how = "polygons: class covering most of each parcel"
    if (codes < 0).all():
        raise DataImportError(f"survey {survey_path.name} covers none of the store's parcels",
                              "check that the survey belongs to this area and that its CRS is "
                              "the one its coordinates are in")
    return codes, how, tables


def _store_class_index(resolved: dict[object, str | None], source: str,
                       tables: _StoreParts, mapping: Mapping) -> dict[object, int]:
    """Source code → index into the store's class table; unknown codes and classes the store
    does not have are errors naming them and the fix."""
    unmapped = [code for code, key in resolved.items() if key is None]
    keys = list(tables.classes["key"])
    mapping_name = mapping.path.name if mapping.path else "the mapping"
    if unmapped:
        raise DataImportError(
            f"{source} has {len(unmapped)} class codes {mapping_name} does not cover: "
            f"{examples(unmapped, 10)}",
            f"add them to [classes] in {mapping_name}, e.g. \"{unmapped[0]}\" = \"{keys[0]}\" "
            f"(this store's class keys: {', '.join(keys)}), or make them the file's nodata")
    foreign = sorted({key for key in resolved.values() if key not in keys})
    if foreign:
        raise DataImportError(
            f"{source} maps to classes this store does not have: {', '.join(foreign)} "
            f"(the store's classes: {', '.join(keys)})",
            f"map those codes to the store's own class keys in [classes] of {mapping_name}; "
            "a survey is read in the store's class system")
    index = {key: i for i, key in enumerate(keys)}
    return {code: index[key] for code, key in resolved.items()}


# grid stores: survey pixels on the source grid, aggregated like the import -------------------

def _raster_pixels(path: Path, tables: _StoreParts, mapping: Mapping) -> np.ndarray:
    """Class index (into the store's classes) of every source pixel, −1 where no data."""
    from data.importers.raster import read_grid

    survey = read_grid(path)
    _check_on_grid(survey, tables.grid)
    return _pixel_classes(survey, tables, mapping).astype(np.int16)


def _pixel_classes(survey, tables: _StoreParts, mapping: Mapping) -> np.ndarray:
    """Store class index of every survey pixel (−1 where the raster has no data); codes the
    mapping does not cover or classes the store lacks are errors."""
    present = np.unique(survey.values[survey.valid])
    if not len(present):
        return np.full(survey.values.shape, -1, dtype=np.int64)
    lookup = _store_class_index(mapping.resolve_codes(present.tolist()), survey.path.name,
                                tables, mapping)
    table = np.array([lookup[c] for c in present.tolist()], dtype=np.int64)
    position = np.searchsorted(present, survey.values).clip(0, len(present) - 1)
    return np.where(survey.valid, table[position], -1)


def _check_on_grid(survey, grid: GridSpec) -> None:
    same_crs = survey.crs is not None and pyproj.CRS(grid.crs).equals(
        pyproj.CRS.from_user_input(survey.crs.to_wkt()))
    same = (same_crs and survey.values.shape == grid.pixels.shape
            and survey.transform.almost_equals(grid.transform, precision=1e-6))
    if same:
        return
    t, (rows, cols) = grid.transform, grid.pixels.shape
    bounds = f"{t.c} {t.f - rows * grid.pixel_m} {t.c + cols * grid.pixel_m} {t.f}"
    raise DataImportError(
        f"the survey raster is on a different grid than the store — {survey.describe()}; the "
        f"store: {rows}×{cols} pixels of {grid.pixel_m:g} m, origin ({t.c:.2f}, {t.f:.2f}), "
        f"CRS {pyproj.CRS(grid.crs).to_string()}",
        f"align it to the store's grid: `gdalwarp -t_srs {pyproj.CRS(grid.crs).to_string()} "
        f"-tr {grid.pixel_m:g} {grid.pixel_m:g} -te {bounds} -r near {survey.path.name} "
        "aligned.tif`")


def _burnt_pixels(path: Path, tables: _StoreParts, mapping: Mapping) -> np.ndarray:
    """Survey polygons burnt onto the store's source grid (class index, −1 outside)."""
    from rasterio import features

    grid = tables.grid
    polygons, index = _survey_polygons(path, tables, mapping, pyproj.CRS(grid.crs))
    burnt = features.rasterize(
        ((geom, int(i)) for geom, i in zip(polygons, index, strict=True)),
        out_shape=grid.pixels.shape, transform=grid.transform, fill=-1, dtype="int16")
    return np.where(grid.pixels != NODATA, burnt, -1).astype(np.int16)


def _cell_codes(pixels: np.ndarray, tables: _StoreParts, rule: str) -> np.ndarray:
    """Each store cell's class code from the survey pixels inside it (−1: none valid)."""
    from data.importers.raster import Blocks, class_counts

    grid, classes = tables.grid, tables.classes
    blocks = Blocks(pixels.shape, grid.block_pixels)
    rows = tables.parcels["grid_row"].to_numpy(dtype=np.int64)
    cols = tables.parcels["grid_col"].to_numpy(dtype=np.int64)
    counts = class_counts(blocks, pixels, len(classes))[rows * blocks.n_cols + cols]
    covered = counts.sum(axis=1) > 0
    codes = np.full(len(rows), -1, dtype=np.int64)
    if covered.any():
        chosen = cell_classes(counts[covered], rule)
        codes[covered] = classes["code"].to_numpy(dtype=np.int64)[chosen]
    return codes


# parcel (polygon) stores ----------------------------------------------------------------------

def _parcel_geometry(tables: _StoreParts) -> np.ndarray:
    # DuckDB hands BLOBs over as bytearray, which shapely does not take
    return shapely.from_wkb([bytes(wkb) for wkb in tables.parcels["geom_wkb"]])


def _raster_on_parcels(path: Path, tables: _StoreParts, mapping: Mapping) -> np.ndarray:
    """Majority survey class of the pixels whose centres each parcel covers."""
    from rasterio import features
    from rasterio import transform as rio_transform

    from data.importers.raster import read_grid

    survey = read_grid(path)
    store_crs = pyproj.CRS(tables.meta["crs"])
    if survey.crs is None or not store_crs.equals(pyproj.CRS.from_user_input(survey.crs.to_wkt())):
        raise DataImportError(
            f"the survey raster {path.name} is in {survey.crs}, the store in "
            f"{store_crs.to_string()}",
            f"reproject it first: `gdalwarp -t_srs {store_crs.to_string()} -r near {path.name} "
            "reprojected.tif`")
    pixel_class = _pixel_classes(survey, tables, mapping)
    geometry = _parcel_geometry(tables)
    n, k = len(geometry), len(tables.classes)
    owner = features.rasterize(((g, i + 1) for i, g in enumerate(geometry)),
                               out_shape=survey.values.shape, transform=survey.transform,
                               fill=0, dtype="int32")
    hit = (owner > 0) & (pixel_class >= 0)
    counts = np.bincount((owner[hit] - 1).astype(np.int64) * k + pixel_class[hit],
                         minlength=n * k).reshape(n, k)
    codes = np.full(n, -1, dtype=np.int64)
    class_codes = tables.classes["code"].to_numpy(dtype=np.int64)
    covered = counts.sum(axis=1) > 0
    codes[covered] = class_codes[counts[covered].argmax(axis=1)]
    # parcels smaller than a pixel: the pixel under their representative point
    small = np.flatnonzero(~covered)
    if len(small):
        points = shapely.get_coordinates(shapely.point_on_surface(geometry[small]))
        rows, cols = rio_transform.rowcol(survey.transform, points[:, 0], points[:, 1])
        rows, cols = np.asarray(rows), np.asarray(cols)
        inside = ((rows >= 0) & (rows < pixel_class.shape[0]) & (cols >= 0)
                  & (cols < pixel_class.shape[1]))
        found = np.full(len(small), -1, dtype=np.int64)
        found[inside] = pixel_class[rows[inside], cols[inside]]
        codes[small[found >= 0]] = class_codes[found[found >= 0]]
    return codes


def _survey_polygons(path: Path, tables: _StoreParts, mapping: Mapping,
                     crs: pyproj.CRS) -> tuple[np.ndarray, np.ndarray]:
    """Survey polygons in ``crs`` and the store class index of each."""
    from data.importers.report import ImportReport
    from data.importers.vector import assign_crs, check_geometry_types, read_vector, repair_geometries

    gdf = assign_crs(read_vector(path), mapping, path)
    check_geometry_types(gdf, path)
    column = mapping.source_column("land_use")
    if column not in gdf.columns:
        others = [c for c in gdf.columns if c != gdf.geometry.name]
        raise DataImportError(f"{path.name} has no class column {column!r} (columns: "
                              f"{examples(others, 12)})",
                              "name the survey's class column in the mapping: [columns] "
                              "land_use = \"DLBM\"")
    values = gdf[column]
    if values.isna().any():
        raise DataImportError(f"{path.name}: class column {column!r} is empty in "
                              f"{int(values.isna().sum())} features",
                              "give every survey polygon a class code (or drop those features)")
    lookup = _store_class_index(mapping.resolve_codes(list(values.unique())),
                                f"{path.name} (column {column!r})", tables, mapping)
    geometry, keep = repair_geometries(gdf.geometry, path, ImportReport(path))
    geometry = geometry[keep].to_crs(crs)
    index = values[keep].map(lookup).to_numpy(dtype=np.int64)
    return geometry.to_numpy(), index


def _polygons_on_parcels(path: Path, tables: _StoreParts, mapping: Mapping) -> np.ndarray:
    """The survey class covering most of each parcel's area."""
    crs = pyproj.CRS(tables.meta["crs"])
    polygons, index = _survey_polygons(path, tables, mapping, crs)
    parcels = gpd.GeoDataFrame({"row": np.arange(len(tables.parcels))},
                               geometry=_parcel_geometry(tables), crs=crs)
    survey = gpd.GeoDataFrame({"cls": index}, geometry=polygons, crs=crs)
    pieces = gpd.overlay(parcels, survey, how="intersection", keep_geom_type=True)
    n, k = len(parcels), len(tables.classes)
    area = np.zeros((n, k))
    np.add.at(area, (pieces["row"].to_numpy(), pieces["cls"].to_numpy()),
              pieces.geometry.area.to_numpy())
    codes = np.full(n, -1, dtype=np.int64)
    covered = area.sum(axis=1) > 0
    codes[covered] = tables.classes["code"].to_numpy(dtype=np.int64)[area[covered].argmax(axis=1)]
    return codes


def _report(name: str, year: int, path: Path, how: str, codes: np.ndarray, tables: _StoreParts,
            started: float) -> SurveyReport:
    area = tables.parcels["area_ha"].to_numpy(dtype=float)
    keys = dict(zip(tables.classes["code"], tables.classes["key"], strict=True))
    base = tables.parcels["land_use"].to_numpy()
    report = SurveyReport(name, year, path.name, how, n_parcels=len(codes),
                          n_missing=int((codes < 0).sum()))
    for code, key in keys.items():
        report.class_area_ha[key] = round(float(area[codes == code].sum()), 2)
        report.base_area_ha[key] = round(float(area[base == code].sum()), 2)
    report.seconds = time.perf_counter() - started
    return report
