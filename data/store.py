"""Build and read parcel stores.

A store is written into a temporary file next to the target and moved into place only when
it is complete, so a failed or killed build never leaves a half-written store and never
touches an existing one.

The one later addition to an existing store is a suitability learned from observed change
(:func:`write_learned_suitability`): its table, its description and a new content version are
written in place in one DuckDB transaction, so a failed or killed write leaves the store as it
was. Stores without it (all stores written before issue 13) simply have no learned scores.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from data import suitability
from data.classes import CLASSES_CAS, TABLE_COLUMNS, class_roles, read_class_table
from data.db import StoreError, connect, load_sql, query, query_df
from data.grid import GridSpec

MAP_SIMPLIFY_M = 5.0  # WGS 84 map copies are simplified by this tolerance (metres) before reprojecting

PARCEL_ATTRIBUTES: dict[str, object] = {
    "slope_deg": float, "elevation_m": float, "farmland_grade": "Int64",
    "eco_importance": float, "population": float, "dist_urban_m": float,
    "dist_road_m": float, "is_basic_farmland": bool, "is_red_line": bool,
    "in_urban_boundary": bool, "no_conversion": bool,
}
GRID_COLUMNS = ("crs", "pixel_m", "block_pixels", "origin_x", "origin_y", "pixel_rows",
                "pixel_cols", "pixels")
FLAG_COLUMNS = ("is_basic_farmland", "is_red_line", "in_urban_boundary", "no_conversion")
LEARNED_TABLE = "learned_suitability"        # optional table: data/sql/learned_suitability.sql
LEARNED_META_KEY = "learned_suitability"     # meta: JSON description of the learned scores
RULES_VERSION_KEY = "rules_version"          # meta: the version before any learned scores
SCORE_TABLES = ("suitability", LEARNED_TABLE)
SCORE_COLUMNS = ("parcel_id", "land_use", "score")


@dataclass
class StoreContent:
    """Everything a store holds, before it is written.

    Parameters
    ----------
    parcels : GeoDataFrame
        In a metric CRS; columns parcel_id, region_id, land_use (class code) and any of
        :data:`PARCEL_ATTRIBUTES`. ``area_ha`` is computed from the geometry when absent.
    regions : DataFrame
        region_id, name_zh, name_en, optional population and geometry (metric, shapely).
    meta : dict
        name_zh, name_en, source, synthetic ('true'/'false') and anything else worth keeping.
    classes : DataFrame, optional
        The class table; CAS 6 classes by default.
    adjacency : DataFrame, optional
        parcel_a < parcel_b, shared_m; computed from the geometry when absent.
    class_shares : DataFrame, optional
        parcel_id, land_use, share; 1.0 for the parcel's own class when absent.
    grid : GridSpec, optional
        Grid stores: the source grid. ``parcels`` is then a plain DataFrame with ``grid_row``,
        ``grid_col`` and ``geom_wkb`` (a polygon only for cells cut by nodata, else None).
    drivers : DataFrame, optional
        parcel_id and one float column per derived driver (``parcel_drivers`` table).
    """

    parcels: gpd.GeoDataFrame | pd.DataFrame
    regions: pd.DataFrame
    meta: dict[str, str]
    classes: pd.DataFrame = field(default_factory=lambda: read_class_table(CLASSES_CAS))
    adjacency: pd.DataFrame | None = None
    class_shares: pd.DataFrame | None = None
    grid: GridSpec | None = None
    drivers: pd.DataFrame | None = None

    @property
    def crs(self) -> pyproj.CRS | None:
        """The metric CRS of the parcels."""
        if self.grid is not None:
            return pyproj.CRS.from_user_input(self.grid.crs)
        return self.parcels.crs


def polygon_adjacency(parcels: gpd.GeoDataFrame) -> pd.DataFrame:
    """Neighbour pairs with the length of their shared boundary (metres).

    Pairs that only touch at a corner have no shared length and are left out.
    """
    geoms = parcels.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    shared = shapely.length(
        shapely.intersection(shapely.boundary(geoms[left]), shapely.boundary(geoms[right]))
    )
    ids = parcels["parcel_id"].to_numpy()
    pairs = pd.DataFrame({"parcel_a": ids[left], "parcel_b": ids[right], "shared_m": shared})
    swap = pairs["parcel_a"] > pairs["parcel_b"]
    pairs.loc[swap, ["parcel_a", "parcel_b"]] = pairs.loc[swap, ["parcel_b", "parcel_a"]].to_numpy()
    return pairs[pairs["shared_m"] > 1e-6].reset_index(drop=True)


def _parcel_table(parcels: gpd.GeoDataFrame) -> pd.DataFrame:
    """The parcels table rows: attributes typed, geometry as WKB, WGS 84 copy and centroid."""
    table = _parcel_columns(parcels)
    area = parcels["area_ha"] if "area_ha" in parcels else parcels.geometry.area / 10_000
    table["area_ha"] = np.asarray(area, dtype=float)
    table["geom_wkb"] = shapely.to_wkb(parcels.geometry.to_numpy())
    wgs84 = parcels.geometry.simplify(MAP_SIMPLIFY_M).to_crs(4326)
    table["geom_wgs84_wkb"] = shapely.to_wkb(wgs84.to_numpy())
    centroids = parcels.geometry.centroid.to_crs(4326)
    table["lon"], table["lat"] = centroids.x.to_numpy(), centroids.y.to_numpy()
    return _with_attributes(table, parcels)


def _grid_parcel_table(parcels: pd.DataFrame, grid: GridSpec) -> pd.DataFrame:
    """Grid-store rows: no polygon per cell, the centre from the grid (cut cells: their own)."""
    table = _parcel_columns(parcels)
    table["area_ha"] = parcels["area_ha"].to_numpy(dtype=float)
    table["grid_row"] = parcels["grid_row"].to_numpy(dtype=np.int64)
    table["grid_col"] = parcels["grid_col"].to_numpy(dtype=np.int64)
    table["geom_wkb"] = parcels["geom_wkb"].to_numpy() if "geom_wkb" in parcels else None
    table["geom_wgs84_wkb"] = None
    x, y = grid.cell_centres(table["grid_row"].to_numpy(), table["grid_col"].to_numpy())
    cut = table["geom_wkb"].notna().to_numpy()
    if cut.any():
        centres = shapely.centroid(shapely.from_wkb(table.loc[cut, "geom_wkb"].to_numpy()))
        x[cut], y[cut] = shapely.get_x(centres), shapely.get_y(centres)
    to_wgs84 = pyproj.Transformer.from_crs(grid.crs, 4326, always_xy=True)
    table["lon"], table["lat"] = to_wgs84.transform(x, y)
    return _with_attributes(table, parcels)


def _parcel_columns(parcels: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "parcel_id": parcels["parcel_id"].astype("int64").to_numpy(),
        "region_id": parcels["region_id"].astype("int64").to_numpy(),
        "land_use": parcels["land_use"].astype("int64").to_numpy(),
    })


def _with_attributes(table: pd.DataFrame, parcels: pd.DataFrame) -> pd.DataFrame:
    for column, dtype in PARCEL_ATTRIBUTES.items():
        default = False if dtype is bool else np.nan
        values = parcels[column] if column in parcels else pd.Series(default, index=parcels.index)
        table[column] = values.astype(dtype).to_numpy()
    return table


def _region_table(regions: pd.DataFrame) -> pd.DataFrame:
    table = regions[["region_id", "name_zh", "name_en"]].copy()
    table["population"] = regions["population"] if "population" in regions else np.nan
    geometry = regions["geometry"] if "geometry" in regions else pd.Series(None, index=regions.index)
    table["geom_wkb"] = [shapely.to_wkb(g) if isinstance(g, shapely.Geometry) else None
                         for g in geometry]
    return table


def _class_rows(classes: pd.DataFrame) -> pd.DataFrame:
    """The land_classes rows; a table without roles (built in code) takes its keys as roles."""
    rows = classes.assign(role=class_roles(classes)) if "role" not in classes else classes
    return rows[list(TABLE_COLUMNS)]


def content_version(*tables: pd.DataFrame) -> str:
    """A short hash of the stored content: the cache key for everything read from a store."""
    digest = hashlib.sha256()
    for table in tables:
        plain = table.drop(columns=[c for c in table.columns if c.endswith("wkb")])
        digest.update(pd.util.hash_pandas_object(plain, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def write_store(db_path: str | Path, content: StoreContent,
                weights_path: str | Path | None = None) -> Path:
    """Write a complete parcel store to ``db_path`` atomically.

    Parameters
    ----------
    db_path : str or Path
        Target ``.duckdb`` file; replaced only once the new store is complete.
    content : StoreContent
        Parcels (metric CRS), regions, classes, meta and optional adjacency / class shares.
    weights_path : str or Path, optional
        Suitability weights TOML (default ``data/coefficients/suitability.toml``).

    Returns
    -------
    Path
        The written store.
    """
    db_path = Path(db_path)
    if content.crs is None or not content.crs.is_projected:
        raise ValueError("parcels must be in a projected (metric) CRS before they are stored")
    parcels = (_parcel_table(content.parcels) if content.grid is None
               else _grid_parcel_table(content.parcels, content.grid))
    adjacency = (content.adjacency if content.adjacency is not None
                 else polygon_adjacency(content.parcels))
    shares = (content.class_shares if content.class_shares is not None
              else parcels[["parcel_id", "land_use"]].assign(share=1.0))
    weights = suitability.load_weights(weights_path)
    scores = suitability.suitability_scores(parcels, content.classes, weights)
    meta = {
        **content.meta, "crs": content.crs.to_string(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "suitability_weights": suitability.weights_json(weights),
        "version": content_version(parcels, adjacency, content.classes, scores),
        "n_parcels": str(len(parcels)),
    }
    tables = {
        "meta": pd.DataFrame({"key": list(meta), "value": [str(v) for v in meta.values()]}),
        "land_classes": _class_rows(content.classes),
        "regions": _region_table(content.regions),
        "parcels": parcels,
        "class_shares": shares[["parcel_id", "land_use", "share"]],
        "suitability": scores,
        "adjacency": adjacency[["parcel_a", "parcel_b", "shared_m"]],
        "grid": pd.DataFrame([content.grid.to_row()] if content.grid is not None else [],
                             columns=GRID_COLUMNS),
    }
    drivers = (content.drivers if content.drivers is not None
               else pd.DataFrame({"parcel_id": parcels["parcel_id"]}))
    return _write_atomically(db_path, tables, drivers)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_stale_temps(db_path: Path) -> list[Path]:
    """Delete temporary files of earlier writes to ``db_path`` whose process has died.

    A write killed mid-way (SIGKILL, power loss) leaves ``.<name>.tmp<pid>`` (and its
    ``.wal``) next to the store; they never replace the store, but they would pile up. Files of
    a write that is still running (its process is alive) are left alone.
    """
    removed = []
    prefix = f".{db_path.name}.tmp"
    for leftover in db_path.parent.glob(f"{glob.escape(prefix)}*"):
        pid = leftover.name[len(prefix):].removesuffix(".wal")
        if pid.isdigit() and not _pid_alive(int(pid)):
            leftover.unlink(missing_ok=True)
            removed.append(leftover)
    return removed


def _write_atomically(db_path: Path, tables: dict[str, pd.DataFrame],
                      drivers: pd.DataFrame) -> Path:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(db_path)
    tmp = db_path.with_name(f".{db_path.name}.tmp{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute(load_sql("schema"))
            for name, frame in tables.items():
                con.register("incoming", frame)
                columns = ", ".join(frame.columns)
                con.execute(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM incoming")
                con.unregister("incoming")
            con.register("incoming", drivers)
            con.execute("CREATE TABLE parcel_drivers AS SELECT * FROM incoming")
            con.unregister("incoming")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, db_path)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return db_path


# ---- learned suitability (written into an existing store) ----------------------------------

def write_learned_suitability(db_path: str | Path, scores: pd.DataFrame,
                              description: Mapping) -> None:
    """Store a suitability learned from observed change, replacing any earlier one.

    Parameters
    ----------
    db_path : str or Path
        An existing parcel store. It is opened for writing, so no other process may have it
        open at the time (stop a dashboard that shows it, then start it again).
    scores : DataFrame
        Columns parcel_id, land_use (class code) and score (finite, 0..100): one row for every
        parcel of the store and every class code of its class table, each exactly once.
    description : dict
        Free-form, kept as JSON in meta ``learned_suitability`` (training maps and years,
        validation scores, driver importances, created_at, ...). ``start_year`` and
        ``end_year`` (see :func:`learned_years`) label the choice in the dashboard.

    Raises
    ------
    ValueError
        When the scores or the description are not as above; the message names the problem
        and the fix, and nothing is written.
    StoreError
        When the store is missing, is not a parcel store or is open in another process.

    Notes
    -----
    The table, the description and a new meta ``version`` (from the rule-suitability version,
    kept as ``rules_version``, the scores and the description) are written in one DuckDB
    transaction: on any error it is rolled back and the store keeps what it had. Everything
    cached by store version (the dashboard's landscape, results) is thus read afresh.
    """
    text = _description_json(description)
    con = _open_for_writing(Path(db_path))
    try:
        ids, codes = _store_keys(con)
        matrix = checked_learned_matrix(scores, ids, codes)
        meta = read_meta(con)
        rules_version = meta.get(RULES_VERSION_KEY, meta.get("version", ""))
        digest = hashlib.sha256(f"{rules_version}|{text}".encode())
        for array in (ids, np.asarray(codes, dtype=np.int64), matrix):
            digest.update(np.ascontiguousarray(array).tobytes())
        table = pd.DataFrame({"parcel_id": np.repeat(ids, len(codes)),
                              "land_use": np.tile(np.asarray(codes, dtype=np.int32), len(ids)),
                              "score": matrix.ravel()})
        _replace_learned(con, table, {LEARNED_META_KEY: text, RULES_VERSION_KEY: rules_version,
                                      "version": digest.hexdigest()[:16]})
    finally:
        con.close()


def checked_learned_matrix(scores: pd.DataFrame, parcel_ids: np.ndarray,
                           codes: list[int]) -> np.ndarray:
    """The tidy learned scores as an (n parcels × K classes) array in the given order.

    Raises ``ValueError`` naming the problem and the fix unless ``scores`` has the columns
    parcel_id, land_use and score, every parcel × class pair exactly once, and finite scores
    in 0..100.
    """
    if not isinstance(scores, pd.DataFrame):
        raise ValueError(_learned_problem(f"scores must be a table (DataFrame), got "
                                          f"{type(scores).__name__}", "pass a DataFrame"))
    missing = [c for c in SCORE_COLUMNS if c not in scores.columns]
    if missing:
        raise ValueError(_learned_problem(
            f"columns {missing} are missing (it has {list(scores.columns)[:10]})",
            "give the columns parcel_id, land_use (class code) and score"))
    pid, code = _integer_column(scores, "parcel_id"), _integer_column(scores, "land_use")
    value = _checked_scores(scores, pid, code)
    n, k = len(parcel_ids), len(codes)
    row = _positions(pid, parcel_ids, "parcel id(s)", "the store's parcels",
                     "score only the parcels of this store")
    col = _positions(code, np.asarray(codes), "class code(s)",
                     f"the store's class table (codes {list(codes)})",
                     "use the land_use codes of the store's class table")
    key = row * k + col
    _check_each_once(np.bincount(key, minlength=n * k), parcel_ids, codes)
    matrix = np.empty(n * k)
    matrix[key] = value
    return matrix.reshape(n, k)


def _learned_problem(problem: str, fix: str) -> str:
    return f"learned suitability refused: {problem}. Fix: {fix}. Nothing was written."


def _integer_column(scores: pd.DataFrame, column: str) -> np.ndarray:
    values = pd.to_numeric(scores[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values != np.round(values))
    if bad.any():
        first = scores[column].iloc[int(np.flatnonzero(bad)[0])]
        raise ValueError(_learned_problem(
            f"{int(bad.sum())} row(s) have a {column} that is not a whole number (first: "
            f"{first!r})", f"give {column} as integers"))
    return values.astype(np.int64)


def _checked_scores(scores: pd.DataFrame, pid: np.ndarray, code: np.ndarray) -> np.ndarray:
    value = pd.to_numeric(scores["score"], errors="coerce").to_numpy(dtype=float)
    for bad, what, fix in (
            (~np.isfinite(value), "a score that is not a finite number (NaN, inf or text)",
             "score every row; fill gaps before writing"),
            (np.isfinite(value) & ((value < 0) | (value > 100)), "a score outside 0..100",
             "rescale or clip the scores to 0..100")):
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raw = scores["score"].iloc[i]
            raw = raw.item() if isinstance(raw, np.generic) else raw
            raise ValueError(_learned_problem(
                f"{int(bad.sum())} row(s) have {what} (first: parcel {pid[i]}, class "
                f"{code[i]}, score {raw!r})", fix))
    return value


def _positions(values: np.ndarray, known: np.ndarray, what: str, where: str,
               fix: str) -> np.ndarray:
    at = pd.Index(known).get_indexer(values)
    unknown = np.unique(values[at < 0])
    if unknown.size:
        raise ValueError(_learned_problem(
            f"{unknown.size} {what} not in {where}: {unknown[:5].tolist()}"
            f"{' …' if unknown.size > 5 else ''}", fix))
    return at.astype(np.int64)


def _check_each_once(counts: np.ndarray, parcel_ids: np.ndarray, codes: list[int]) -> None:
    k = len(codes)
    for bad, what in ((counts > 1, "appear more than once"), (counts == 0, "have no score")):
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise ValueError(_learned_problem(
                f"{int(bad.sum())} parcel × class pair(s) {what} (first: parcel "
                f"{parcel_ids[first // k]}, class {codes[first % k]}); the store has "
                f"{len(parcel_ids):,} parcels × {k} classes",
                "give exactly one row for every parcel of the store and every class code"))


def _json_value(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _description_json(description: Mapping) -> str:
    if not isinstance(description, Mapping):
        raise ValueError(_learned_problem(
            f"the description must be a dict, got {type(description).__name__}",
            "describe the training maps, years and scores in a dict"))
    try:
        return json.dumps(dict(description), ensure_ascii=False, sort_keys=True,
                          default=_json_value)
    except (TypeError, ValueError) as exc:
        raise ValueError(_learned_problem(f"the description cannot be stored as JSON ({exc})",
                                          "use numbers, text, lists and dicts")) from exc


def _open_for_writing(path: Path) -> duckdb.DuckDBPyConnection:
    try:
        con = connect(path, read_only=False)
    except StoreError as exc:
        if "lock" not in str(exc).lower() and "configuration" not in str(exc).lower():
            raise
        raise StoreError(f"{exc}\nThe store is open elsewhere (e.g. a running dashboard); "
                         "stop it and run this again.") from exc
    if not {"meta", "parcels", "land_classes"} <= {name for (name,) in query(
            con, "SELECT table_name FROM information_schema.tables")}:
        con.close()
        raise StoreError(f"{path} is not a parcel store (no meta, parcels or land_classes "
                         "table); build one with `python -m data import-raster` first.")
    return con


def _store_keys(con: duckdb.DuckDBPyConnection) -> tuple[np.ndarray, list[int]]:
    """Parcel ids (ascending) and class codes (ascending) of a store."""
    ids = query_df(con, "SELECT parcel_id FROM parcels ORDER BY parcel_id")["parcel_id"]
    codes = query_df(con, "SELECT code FROM land_classes ORDER BY code")["code"]
    return ids.to_numpy(dtype=np.int64), [int(c) for c in codes]


def _replace_learned(con: duckdb.DuckDBPyConnection, table: pd.DataFrame,
                     meta: dict[str, str]) -> None:
    """Drop and rewrite the learned table and set ``meta`` keys in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DROP TABLE IF EXISTS {LEARNED_TABLE}")
        con.execute(load_sql("learned_suitability"))
        con.register("incoming_learned", table)
        con.execute(f"INSERT INTO {LEARNED_TABLE} (parcel_id, land_use, score) "
                    "SELECT parcel_id, land_use, score FROM incoming_learned")
        con.unregister("incoming_learned")
        _set_meta(con, meta)
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # a failed COMMIT has already rolled back
            con.execute("ROLLBACK")
        raise
    con.execute("CHECKPOINT")  # fold the WAL into the file: readers see one complete store


def _set_meta(con: duckdb.DuckDBPyConnection, meta: dict[str, str]) -> None:
    con.executemany("INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [[key, str(value)] for key, value in meta.items()])


# ---- reading -------------------------------------------------------------------------------

def read_meta(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The store's meta table as a dict."""
    return dict(query(con, "SELECT key, value FROM meta"))


def read_classes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The land-use class table, ordered by code."""
    return query_df(con, "SELECT * FROM land_classes ORDER BY code")


def read_regions(con: duckdb.DuckDBPyConnection, with_geometry: bool = False) -> pd.DataFrame:
    """Regions with their population (and WKB geometry when asked), ordered by id."""
    columns = "*" if with_geometry else "region_id, name_zh, name_en, population"
    return query_df(con, f"SELECT {columns} FROM regions ORDER BY region_id")


def read_parcels(con: duckdb.DuckDBPyConnection, with_geometry: bool = False,
                 wgs84: bool = True) -> pd.DataFrame:
    """All parcel attributes ordered by id; WKB columns only when asked.

    Grid stores keep no polygon per cell: asked for geometry, the cells are built from the grid
    here (metric and, unless ``wgs84`` is false, WGS 84 WKB), so every reader sees the same
    columns for every store.
    """
    columns = "*" if with_geometry else "* EXCLUDE (geom_wkb, geom_wgs84_wkb)"
    parcels = query_df(con, f"SELECT {columns} FROM parcels ORDER BY parcel_id")
    grid = read_grid(con) if with_geometry else None
    return parcels if grid is None else _with_cell_geometry(parcels, grid, wgs84)


def read_grid(con: duckdb.DuckDBPyConnection) -> GridSpec | None:
    """The source grid of a grid store (None for a parcel store, or one written before grid
    stores existed: it has no ``grid`` table and keeps its polygons)."""
    tables = query(con, "SELECT table_name FROM information_schema.tables WHERE table_name = 'grid'")
    if not tables:
        return None
    rows = query_df(con, "SELECT * FROM grid")
    return GridSpec.from_row(rows.iloc[0].to_dict()) if len(rows) else None


def cell_geometry(parcels: pd.DataFrame, grid: GridSpec) -> np.ndarray:
    """Metric polygons of grid-store parcels: the cell square, or the stored cut polygon."""
    boxes = grid.cell_boxes(parcels["grid_row"].to_numpy(), parcels["grid_col"].to_numpy())
    cut = parcels["geom_wkb"].notna().to_numpy() if "geom_wkb" in parcels else np.zeros(len(boxes), bool)
    if cut.any():
        boxes[cut] = shapely.from_wkb(parcels.loc[cut, "geom_wkb"].map(bytes).to_numpy())
    return boxes


def _with_cell_geometry(parcels: pd.DataFrame, grid: GridSpec, wgs84: bool) -> pd.DataFrame:
    geometry = cell_geometry(parcels, grid)
    if not wgs84:  # metric exports: reprojecting millions of cells would double the cost
        return parcels.assign(geom_wkb=shapely.to_wkb(geometry), geom_wgs84_wkb=None)
    lonlat = gpd.GeoSeries(geometry, crs=grid.crs).to_crs(4326)  # squares: nothing to simplify
    return parcels.assign(geom_wkb=shapely.to_wkb(geometry),
                          geom_wgs84_wkb=shapely.to_wkb(lonlat.to_numpy()))


def read_drivers(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Derived drivers (parcel_id and one column per driver), ordered by parcel id."""
    return query_df(con, "SELECT * FROM parcel_drivers ORDER BY parcel_id")


def read_adjacency(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Neighbour pairs (parcel_a < parcel_b) with shared boundary length in metres."""
    return query_df(con, "SELECT parcel_a, parcel_b, shared_m FROM adjacency")


def read_suitability_matrix(con: duckdb.DuckDBPyConnection, parcel_ids: np.ndarray,
                            codes: list[int]) -> np.ndarray:
    """Suitability as an (n parcels × K classes) array in the given parcel and class order."""
    return _score_matrix(con, "suitability", parcel_ids, codes)


def read_learned_suitability_matrix(con: duckdb.DuckDBPyConnection, parcel_ids: np.ndarray,
                                    codes: list[int]) -> np.ndarray | None:
    """Suitability learned from observed change as an (n × K) array, like
    :func:`read_suitability_matrix`; None when the store has none (see
    :func:`write_learned_suitability`)."""
    if not _has_table(con, LEARNED_TABLE):
        return None
    return _score_matrix(con, LEARNED_TABLE, parcel_ids, codes)


def read_learned_description(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The description stored with the learned suitability (training maps and years, scores,
    importances, created_at, ...); None when the store has no learned suitability."""
    rows = query(con, "SELECT value FROM meta WHERE key = ?", [LEARNED_META_KEY])
    if not rows or not _has_table(con, LEARNED_TABLE):
        return None
    return json.loads(rows[0][0])


def learned_years(description: dict | None) -> tuple[int, int] | None:
    """The training period (start year, end year) of a learned suitability, if its description
    gives one: ``start_year`` / ``end_year``, or ``years`` / ``train_years`` as two years, at the
    top level or under ``training``."""
    if not isinstance(description, dict):
        return None
    for where in (description, description.get("training")):
        if not isinstance(where, dict):
            continue
        pair = ([where.get("start_year"), where.get("end_year")] if "start_year" in where
                else where.get("years", where.get("train_years")))
        try:
            start, end = (int(year) for year in pair)
        except (TypeError, ValueError):
            continue
        return start, end
    return None


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(query(con, "SELECT table_name FROM information_schema.tables "
                           "WHERE table_name = ?", [name]))


def _score_matrix(con: duckdb.DuckDBPyConnection, table: str, parcel_ids: np.ndarray,
                  codes: list[int]) -> np.ndarray:
    # One class at a time into a preallocated matrix: a pivot of the tidy table would hold
    # several copies of its 37 million rows at Wuhan's 30 m.
    if table not in SCORE_TABLES:  # identifiers only from the allowlist
        raise ValueError(f"unknown score table {table!r}")
    matrix = np.full((len(parcel_ids), len(codes)), 50.0)
    position = pd.Index(parcel_ids)
    cur = con.cursor()
    try:
        for j, code in enumerate(codes):
            rows = cur.execute(f"SELECT parcel_id, score FROM {table} WHERE land_use = ?",
                               [int(code)]).fetchnumpy()
            at = position.get_indexer(rows["parcel_id"])
            matrix[at[at >= 0], j] = np.asarray(rows["score"], dtype=float)[at >= 0]
    finally:
        cur.close()
    return matrix


def read_parcels_gdf(db_path: str | Path, wgs84: bool = False) -> gpd.GeoDataFrame:
    """Parcels with geometry (metric CRS, or simplified WGS 84 for maps) as a GeoDataFrame."""
    con = connect(db_path)
    try:
        crs = read_meta(con)["crs"]
        table = read_parcels(con, with_geometry=True)
    finally:
        con.close()
    column = "geom_wgs84_wkb" if wgs84 else "geom_wkb"
    geometry = shapely.from_wkb(table[column].map(bytes).to_numpy())
    attributes = table.drop(columns=["geom_wkb", "geom_wgs84_wkb"])
    return gpd.GeoDataFrame(attributes, geometry=geometry, crs=4326 if wgs84 else crs)


def summary_table(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Parcel count, area and flagged area per class: the store at a glance."""
    return query_df(con, load_sql("class_summary"))
