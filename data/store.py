"""Build and read parcel stores.

A store is written into a temporary file next to the target and moved into place only when
it is complete, so a failed or killed build never leaves a half-written store and never
touches an existing one.
"""

from __future__ import annotations

import glob
import hashlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from data import suitability
from data.classes import CLASSES_CAS, TABLE_COLUMNS, class_roles, read_class_table
from data.db import connect, load_sql, query, query_df
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
    # One class at a time into a preallocated matrix: a pivot of the tidy table would hold
    # several copies of its 37 million rows at Wuhan's 30 m.
    matrix = np.full((len(parcel_ids), len(codes)), 50.0)
    position = pd.Index(parcel_ids)
    cur = con.cursor()
    try:
        for j, code in enumerate(codes):
            rows = cur.execute("SELECT parcel_id, score FROM suitability WHERE land_use = ?",
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
