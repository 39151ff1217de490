"""The only home of ``st.cache_*``: store reads, map frames and solve results.

Everything cached is keyed by the store path and its content version, so a rebuilt or
re-imported store is never served from a stale cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import streamlit as st

from dashboard.components import grid_maps, maps
from data import store
from data.coefficients import load_coefficients
from data.db import connect, query, query_df
from data.grid import GridSpec
from data.indicators import compute_indicators
from data.landscape import landscape_from_tables
from data.paths import ensure_demo_store, list_stores
from solver.landscape import Landscape

MAX_CACHED_RESULTS = 32
MAX_PARALLEL_SOLVES = 2  # the machines have 2 cores; further solves wait their turn
# Larger stores are solved only on request, one at a time, and not by the multi-solve pages
# (1 M cells: 8.8 s and 1.1 GB; Wuhan's 5.3 M cells of 30 m: 10 s to load, 40–50 s to solve,
# a server peak of 6.6 GB, on 2 cores and 24 GB).
AUTO_SOLVE_MAX = 1_000_000
AUTO_SOLVE_MAX_ENV = "LANDALLOC_AUTO_SOLVE_MAX"
GRID_CELL_COLUMNS = ("parcel_id", "grid_row", "grid_col", "region_id", "land_use", "is_red_line",
                     "is_basic_farmland", "in_urban_boundary")
# The distributed (Dask) solve: a server's own scheduler (empty: a local cluster) and the
# local cluster's worker processes (empty: one per core).
DASK_SCHEDULER_ENV = "LANDALLOC_DASK_SCHEDULER"
DASK_WORKERS_ENV = "LANDALLOC_DASK_WORKERS"


@st.cache_resource(max_entries=8)
def _connection(path: str, mtime_ns: int) -> duckdb.DuckDBPyConnection:
    # One read-only connection per store file version, shared by every session; each read
    # takes its own cursor (data.db.query_df), so sessions on other threads do not collide.
    return connect(path)


def connection(path: str) -> duckdb.DuckDBPyConnection:
    """The shared read-only connection of a store (reopened when the file is replaced)."""
    return _connection(path, Path(path).stat().st_mtime_ns)


def available_stores() -> list[Path]:
    """The demo store (built on first use) and every imported store."""
    ensure_demo_store()
    return list_stores()


def store_version(path: str) -> str:
    """Content hash of the store: the cache key for everything read from it."""
    return query(connection(path), "SELECT value FROM meta WHERE key = 'version'")[0][0]


@st.cache_data(max_entries=8, show_spinner=False)
def store_overview(path: str, version: str) -> dict[str, pd.DataFrame | dict]:
    """Meta, classes, regions, the per-class summary of a store and the description of its
    learned suitability (None when it has none)."""
    con = connection(path)
    return {"meta": store.read_meta(con), "classes": store.read_classes(con),
            "regions": store.read_regions(con), "summary": store.summary_table(con),
            "learned": store.read_learned_description(con)}


# Frames of a million rows and more are shared (st.cache_resource), never copied: st.cache_data
# would pickle and unpickle them on every rerun (≈ 1 GB for the 5.3 M cells of Wuhan at 30 m).
# Callers must not modify them.

@st.cache_resource(max_entries=4, show_spinner=False)
def parcel_attributes(path: str, version: str) -> pd.DataFrame:
    """Parcel attributes without geometry, ordered by id (the solver's parcel order; shared,
    read-only)."""
    return store.read_parcels(connection(path))


@st.cache_resource(max_entries=4, show_spinner=False)
def adjacency(path: str, version: str) -> pd.DataFrame:
    """Neighbour pairs of the store (shared, read-only)."""
    return store.read_adjacency(connection(path))


def n_parcels(path: str, version: str) -> int:
    """Number of parcels (grid cells) of a store."""
    counted = store_overview(path, version)["meta"].get("n_parcels")
    return int(counted) if counted else int(query(connection(path),
                                                  "SELECT count(*) FROM parcels")[0][0])


def auto_solve_max() -> int:
    """The most parcels a page solves on its own (``$LANDALLOC_AUTO_SOLVE_MAX``, default
    :data:`AUTO_SOLVE_MAX`)."""
    value = os.environ.get(AUTO_SOLVE_MAX_ENV, "")
    return int(value) if value.strip().isdigit() else AUTO_SOLVE_MAX


def is_large(path: str, version: str) -> bool:
    """Whether a store has more parcels than pages solve on opening: it is solved only on
    request, one large solve at a time, and not by the pages that solve many times."""
    return n_parcels(path, version) > auto_solve_max()


# ---- grid stores: maps as images -------------------------------------------------------------

@st.cache_resource(max_entries=4, show_spinner=False)
def grid_spec(path: str, version: str) -> GridSpec | None:
    """The source grid of a grid store; None for a parcel (polygon) store or an older store
    without a ``grid`` table."""
    return store.read_grid(connection(path))


def is_grid(path: str, version: str) -> bool:
    """Whether a store is a grid (raster import): its maps are images, never polygons."""
    return grid_spec(path, version) is not None


@st.cache_resource(max_entries=4, show_spinner=False)
def grid_cells(path: str, version: str) -> pd.DataFrame:
    """What a grid map needs per cell, in the solver's parcel order: row, column, current use
    and the zone flags (a light read: no attributes, no geometry; shared, read-only)."""
    return query_df(connection(path), f"SELECT {', '.join(GRID_CELL_COLUMNS)} FROM parcels "
                                      "ORDER BY parcel_id")


@st.cache_resource(max_entries=4, show_spinner=False)
def grid_canvas(path: str, version: str) -> grid_maps.GridCanvas:
    """Which cell each pixel of the store's map images shows, and the images' corners (a
    polygon store drawn as an image: its parcels painted in Web Mercator)."""
    if not is_grid(path, version):
        import shapely

        parcels = store.read_parcels(connection(path), with_geometry=True)
        return grid_maps.polygon_canvas(shapely.from_wkb(
            parcels["geom_wgs84_wkb"].map(bytes).to_numpy()))
    cells = grid_cells(path, version)
    return grid_maps.grid_canvas(grid_spec(path, version), cells["grid_row"].to_numpy(),
                                 cells["grid_col"].to_numpy())


@st.cache_data(max_entries=8, show_spinner=False)
def region_cell_counts(path: str, version: str) -> pd.Series:
    """Cells per region id (regions without cells left out), in region-id order."""
    ids = map_cells(path, version)["region_id"].to_numpy()
    found, counts = np.unique(ids, return_counts=True)
    return pd.Series(counts, index=found.astype(np.int64))


def map_cells(path: str, version: str) -> pd.DataFrame:
    """Current use, region and zone flags per parcel in the solver's order: a grid store's
    light cell read, a polygon store's attributes (it has no grid columns)."""
    return grid_cells(path, version) if is_grid(path, version) else parcel_attributes(path,
                                                                                        version)


@st.cache_resource(max_entries=8, show_spinner=False)
def region_canvas(path: str, version: str, region_id: int) -> grid_maps.GridCanvas:
    """Which cell each pixel of a region's map image shows: the grid (or a polygon store's
    parcels painted as an image) cropped to the region's cells, at up to
    :data:`grid_maps.MAX_PX` on its long side; cells of other regions are left transparent."""
    cells = map_cells(path, version)
    positions = np.flatnonzero(cells["region_id"].to_numpy() == region_id)
    grid = grid_spec(path, version)
    if grid is not None:
        return grid_maps.region_canvas(grid, cells["grid_row"].to_numpy()[positions],
                                       cells["grid_col"].to_numpy()[positions], positions)
    import shapely

    wkb = query_df(connection(path), "SELECT geom_wgs84_wkb FROM parcels WHERE region_id = ? "
                                     "ORDER BY parcel_id", [int(region_id)])["geom_wgs84_wkb"]
    return grid_maps.subset_canvas(grid_maps.polygon_canvas(shapely.from_wkb(
        wkb.map(bytes).to_numpy())), positions)


def map_canvas(path: str, version: str, region_id: int | None = None) -> grid_maps.GridCanvas:
    """The canvas of the whole store's map images, or of one region's (``region_id``)."""
    if region_id is None:
        return grid_canvas(path, version)
    return region_canvas(path, version, int(region_id))


def values_digest(values: np.ndarray) -> str:
    """A short hash of a per-parcel array (a cache key that never hashes millions of items)."""
    array = np.ascontiguousarray(values)
    return hashlib.blake2b(array.tobytes(), digest_size=12).hexdigest() + str(array.dtype)


def grid_bitmap(path: str, version: str, values: np.ndarray, palette: grid_maps.Palette,
                outline: bool = False, region_id: int | None = None) -> str:
    """PNG data URL of a grid map: per-parcel palette indices painted on the store's grid
    (``region_id``: on that region's cropped canvas, see :func:`region_canvas`).

    Cached per store version and content (the same allocation is never painted twice).
    """
    region = None if region_id is None else int(region_id)
    return _grid_bitmap(path, version, values_digest(values), palette, outline, region, values)


@st.cache_data(max_entries=64, show_spinner=False)
def _grid_bitmap(path: str, version: str, digest: str, palette: grid_maps.Palette,
                 outline: bool, region_id: int | None, _values: np.ndarray) -> str:
    return grid_maps.bitmap_url(map_canvas(path, version, region_id), _values, palette, outline)


@st.cache_data(max_entries=4, show_spinner=False)
def map_frame(path: str, version: str) -> pd.DataFrame:
    """Polygon rings (WGS 84) with the attributes a tooltip shows; built once per store."""
    con = connection(path)
    parcels = store.read_parcels(con, with_geometry=True)
    parcels["row"] = np.arange(len(parcels))  # position in the solver's parcel order (by id)
    frame = maps.parcel_frame(parcels[["row", "parcel_id", "region_id", "land_use", "area_ha", "lon",
                                       "lat", "slope_deg", "farmland_grade", "geom_wgs84_wkb"]])
    names = store.read_regions(con).set_index("region_id")["name_zh"]
    frame["region"] = frame["region_id"].map(names).fillna("")
    frame["area_ha"] = frame["area_ha"].round(2)
    frame["slope_deg"] = frame["slope_deg"].round(1)
    frame["farmland_grade"] = frame["farmland_grade"].astype("Int64").astype(str).replace("<NA>", "–")
    return frame


@st.cache_data(max_entries=4, show_spinner=False)
def zone_outlines(path: str, version: str) -> dict[str, list]:
    """Dissolved outlines of the red line, basic farmland and urban boundary (WGS 84)."""
    import shapely

    parcels = store.read_parcels(connection(path), with_geometry=True)
    outlines = {}
    for flag in maps.OVERLAY_COLORS:
        chosen = parcels.loc[parcels[flag].fillna(False).astype(bool), "geom_wgs84_wkb"]
        outlines[flag] = maps.zone_rings(shapely.from_wkb(chosen.map(bytes).to_numpy()))
    return outlines


@st.cache_data(max_entries=4, show_spinner=False)
def region_frame(path: str, version: str) -> pd.DataFrame:
    """Region outlines (WGS 84 rings) with names; dissolved from the parcels when a store has
    no region polygons (raster imports without --regions). Grid stores: traced from the
    cells' region ids on the grid (no polygon per cell)."""
    import geopandas as gpd
    import shapely

    con = connection(path)
    regions = store.read_regions(con, with_geometry=True)
    grid = grid_spec(path, version)
    if grid is not None:
        return _grid_region_frame(path, version, grid, regions)
    parcels = store.read_parcels(con, with_geometry=True)
    cells = gpd.GeoSeries(shapely.from_wkb(parcels["geom_wgs84_wkb"].map(bytes).to_numpy()),
                          crs=4326)
    outlines = cells.groupby(parcels["region_id"].to_numpy()).agg(
        lambda g: shapely.union_all(g.to_numpy(), grid_size=1e-6))
    geometry = outlines.reindex(regions["region_id"]).to_numpy()
    frame = maps.parcel_frame(pd.DataFrame({
        "region_id": regions["region_id"], "name_zh": regions["name_zh"],
        "name_en": regions["name_en"], "geom_wgs84_wkb": shapely.to_wkb(geometry)}))
    return frame


def _grid_region_frame(path: str, version: str, grid: GridSpec,
                       regions: pd.DataFrame) -> pd.DataFrame:
    """Region outlines of a grid store, traced from its cells' region ids (no cell polygons)."""
    import shapely

    cells = query_df(connection(path), "SELECT grid_row, grid_col, region_id FROM parcels")
    outlines = grid_maps.region_outlines(grid, cells["grid_row"].to_numpy(),
                                         cells["grid_col"].to_numpy(),
                                         cells["region_id"].to_numpy())
    regions = regions[regions["region_id"].isin(list(outlines))]  # a region without cells: no map
    geometry = [outlines[int(r)] for r in regions["region_id"]]
    return maps.parcel_frame(pd.DataFrame({
        "region_id": regions["region_id"].to_numpy(), "name_zh": regions["name_zh"].to_numpy(),
        "name_en": regions["name_en"].to_numpy(), "geom_wgs84_wkb": shapely.to_wkb(geometry)}))


@st.cache_resource(max_entries=4, show_spinner=False)
def landscape(path: str, version: str) -> Landscape:
    """The solver's input for a store (kept as an object: numpy arrays, never copied), with
    its learned suitability when it has one (writing that bumps ``version``)."""
    con = connection(path)
    parcels = parcel_attributes(path, version)
    classes = store.read_classes(con)
    ids, codes = parcels["parcel_id"].to_numpy(), classes["code"].tolist()
    return landscape_from_tables(parcels, classes, store.read_regions(con),
                                 adjacency(path, version),
                                 store.read_suitability_matrix(con, ids, codes), coefficients(),
                                 store.read_learned_suitability_matrix(con, ids, codes))


@st.cache_resource(show_spinner=False)
def coefficients():
    """The shipped indicator coefficients (ESV, carbon, grain yields) with their sources."""
    return load_coefficients()


def indicators(path: str, version: str, result_key: str, codes) -> pd.DataFrame:
    """The indicator table of an allocation (codes per parcel in id order) vs. the baseline.

    Cached by the codes' digest, not the codes themselves (hashing millions of codes on every
    rerun would cost seconds).
    """
    codes = np.asarray(codes, dtype=np.int64)
    return _indicators(path, version, result_key, values_digest(codes), codes)


@st.cache_data(max_entries=64, show_spinner=False)
def _indicators(path: str, version: str, result_key: str, digest: str,
                _codes: np.ndarray) -> pd.DataFrame:
    overview = store_overview(path, version)
    return compute_indicators(parcel_attributes(path, version), adjacency(path, version),
                              overview["classes"], overview["regions"], _codes, coefficients())


@st.cache_data(max_entries=16, show_spinner=False)
def sweep_plan(path: str, version: str, preset: str):
    """The lever and range that bind on ``preset`` (:func:`data.sweep.choose_sweep`: up to
    its time budget of probe solves), found once per store version for every session."""
    from data import sweep
    from data.presets import load_preset

    return sweep.choose_sweep(load_preset(preset),
                              sweep.objective_probe(landscape(path, version)))


# ---- uploads (every widget change on the upload form reruns the page) ------------------------
# An upload's temporary path is unique per uploaded file, so it is the cache key.

@st.cache_resource(max_entries=2, show_spinner=False)
def uploaded_vector(path: str):
    """An uploaded vector file read once (up to 500 MB; the form only reads it)."""
    from data.importers.vector import read_vector

    return read_vector(Path(path))


@st.cache_data(max_entries=4, show_spinner=False)
def uploaded_raster_summary(path: str) -> dict:
    """Codes with pixel counts, WGS 84 bounds and the grid's size (read once per upload)."""
    from rasterio.transform import array_bounds
    from rasterio.warp import transform_bounds

    from data.importers.raster import read_grid

    grid = read_grid(Path(path))
    codes, counts = np.unique(grid.values[grid.valid], return_counts=True)
    rows, cols = grid.values.shape
    bounds = None
    if grid.crs is not None:  # west, south, east, north
        bounds = transform_bounds(grid.crs, "EPSG:4326", *array_bounds(rows, cols, grid.transform))
    return {"counts": pd.Series(counts, index=codes.tolist()), "bounds": bounds, "rows": rows,
            "cols": cols, "pixel_m": grid.pixel_m, "crs": str(grid.crs)}


# ---- solving ---------------------------------------------------------------------------------

@dataclass
class SolveJob:
    """A solve running on a worker thread; the page polls ``progress`` and ``result``."""

    progress: list = field(default_factory=list)  # ProgressEvent objects, appended by the solver
    result: object | None = None
    error: BaseException | None = None
    started: float = field(default_factory=time.perf_counter)
    done: threading.Event = field(default_factory=threading.Event)


@st.cache_resource
def _result_cache() -> tuple[OrderedDict, threading.Lock]:
    return OrderedDict(), threading.Lock()


@st.cache_resource
def _solve_slots() -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(MAX_PARALLEL_SOLVES)


@st.cache_resource
def _large_solve_lock() -> threading.Lock:
    return threading.Lock()  # two solves of millions of cells would not fit in memory together


def cached_result(key: str):
    """The settled result of this store version and scenario (see
    :func:`solver.result.is_settled`), or None: an interim one is never served as the answer."""
    entry = _cache_entry(key)
    return entry[0] if entry is not None and entry[1] else None


def interim_result(key: str):
    """The best result a time-limited solve of this scenario left, or None; a new solve starts
    from it and keeps whichever is better (:func:`solver.result.best_of_runs`)."""
    entry = _cache_entry(key)
    return entry[0] if entry is not None and not entry[1] else None


def _cache_entry(key: str) -> tuple[object, bool] | None:
    results, lock = _result_cache()
    with lock:
        if key in results:
            results.move_to_end(key)
            return results[key]
    return None


def remember_result(key: str, result, settled: bool) -> None:
    """Keep ``result`` for every session; ``settled`` ones are served as the answer, interim
    ones only as the start of the next solve of the same scenario."""
    results, lock = _result_cache()
    with lock:
        results[key] = (result, settled)
        results.move_to_end(key)
        while len(results) > MAX_CACHED_RESULTS:
            results.popitem(last=False)


def keep_result(key: str, result, scenario) -> object:
    """Store a new result of ``scenario`` for every session and return what to show.

    An interim result left by an earlier time-limited solve of the same scenario is combined
    with the new one (the better allocation under the tighter bound), so solving again never
    shows a worse answer, and whether the combination is settled decides if later sessions
    get it as the answer or solve again from it.
    """
    from solver.result import best_of_runs, is_settled

    earlier = interim_result(key)
    if earlier is not None:
        result = best_of_runs(result, earlier)
    remember_result(key, result, settled=is_settled(result, scenario.solver.target_gap_pct))
    return result


def start_job(work, large: bool = False) -> SolveJob:
    """Run ``work(on_progress)`` on a worker thread, at most :data:`MAX_PARALLEL_SOLVES` at
    once (further solves wait for a slot) and ``large`` ones one at a time; the page polls
    the returned job."""
    job = SolveJob()

    def run() -> None:
        with _large_solve_lock() if large else contextlib.nullcontext(), _solve_slots():
            job.started = time.perf_counter()
            try:
                job.result = work(job.progress.append)
            except BaseException as exc:  # reported on the page, never lost with the thread
                job.error = exc
            finally:
                job.done.set()

    threading.Thread(target=run, name="solve", daemon=True).start()
    return job


def start_solve(land: Landscape, scenario, hint: np.ndarray | None = None) -> SolveJob:
    """``solver.solve`` on a worker thread (see :func:`start_job`; over
    :data:`AUTO_SOLVE_MAX` parcels one at a time)."""
    from solver import solve

    return start_job(lambda progress: solve(land, scenario, hint=hint, on_progress=progress),
                     large=land.n_parcels > auto_solve_max())


def dask_scheduler() -> str | None:
    """The scheduler a distributed solve runs on (``$LANDALLOC_DASK_SCHEDULER``, e.g.
    tcp://10.0.0.5:8786), or None for a local cluster started for each solve."""
    return os.environ.get(DASK_SCHEDULER_ENV, "").strip() or None


def dask_workers() -> int | None:
    """Worker processes of a local cluster (``$LANDALLOC_DASK_WORKERS``; None: one per core)."""
    value = os.environ.get(DASK_WORKERS_ENV, "").strip()
    return int(value) if value.isdigit() else None


def start_distributed_solve(land: Landscape, scenario,
                            max_block_cells: int | None = None) -> SolveJob:
    """``solver.distributed.solve_distributed`` on a worker thread, on the cluster of
    :func:`dask_scheduler` (a local one, started and stopped around the solve, by default);
    one at a time like every large solve (see :func:`start_job`). The job's progress is a
    list of ``ProvinceEvent`` and its result a ``ProvinceOutcome``."""
    from solver.distributed import cluster, solve_distributed

    def work(progress) -> object:
        with cluster(dask_scheduler(), dask_workers()) as client:
            return solve_distributed(land, scenario, client, on_progress=progress,
                                     max_block_cells=max_block_cells)

    return start_job(work, large=True)


def start_period_solve(land: Landscape, period_scenario) -> SolveJob:
    """``solver.orchestrate.solve_periods`` on a worker thread (see :func:`start_job`)."""
    from solver.orchestrate import solve_periods

    return start_job(lambda progress: solve_periods(land, period_scenario, on_progress=progress))
