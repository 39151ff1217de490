"""Learn a store's suitability from observed change: ``python -m data learn-suitability``.

The store must be a grid store imported from the period's end map (``import-raster``, the same
mapping and cell size): the model learns start → end on the store's grid and scores every cell
for what it is likely to become next, from its state in the end map. The scores the objective
uses are :func:`data.change.allocate.transition_scores` — ``100·P`` for a change to a class,
``100·inertia`` for keeping the current one — the same scores ``validate-change`` validates.
They are stored beside the rule scores (``learned_suitability``); a scenario picks one with
``[suitability] source``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from data import store
from data.change import maps
from data.change.allocate import DEFAULT_INERTIA, transition_scores
from data.change.potential import PotentialModel, fit_potential
from data.change.validate import print_step
from data.db import connect
from data.importers.errors import DataImportError

#: Share of the store's cells whose class must match the end map's (else the store is from
#: another map, and scores for "what comes next" would start from the wrong state).
MIN_MATCHING_SHARE = 0.99


def learn_store_suitability(db_path: Path, start: Path, end: Path, mapping_path: Path,
                            drivers: dict[str, Path] | None = None,
                            inertia: float = DEFAULT_INERTIA, seed: int = 0,
                            progress=None) -> dict:
    """Fit the change model on ``start`` → ``end`` and store its scores in ``db_path``.

    Parameters
    ----------
    db_path : Path
        A grid store imported from ``end`` (same grid and cell size).
    start, end : Path
        Land-use maps at the start and the end of the observed period.
    mapping_path : Path
        The import mapping (classes and drivers).
    drivers : dict, optional
        Driver name → raster on the maps' grid, as for ``import-raster``.
    inertia : float
        Value of keeping a class (0..1), against the probability of a change.
    seed : int

    Returns
    -------
    dict
        The description stored with the scores.
    """
    drivers, progress = drivers or {}, progress or print_step
    parcels, spec, codes = _store_cells(db_path)
    mapping = maps.load(mapping_path)
    cells, per_pixel = maps.open_grid([end, start], mapping, spec.cell_m)
    _check_same_grid(cells, spec, end)
    end_map, start_map = (maps.class_map(cells, p, path)
                          for p, path in zip(per_pixel, [end, start], strict=True))
    static = maps.static_drivers(cells, mapping, drivers)
    categorical = ("class", *maps.categorical_drivers(mapping, drivers))
    model = fit_potential(maps.with_static(maps.map_drivers(cells, start_map), static),
                          end_map.cls.astype(int), cells.class_keys, categorical, seed=seed)
    progress(f"learned {start.name} → {end.name} on {model.training['rows']:,} cells in "
             f"{model.training['seconds']:.1f} s")
    potential = model.predict(maps.with_static(maps.map_drivers(cells, end_map), static))
    table = _score_table(parcels, cells, codes, potential, end_map.cls, inertia)
    description = _description(start, end, model, inertia, len(parcels))
    store.write_learned_suitability(db_path, table, description)
    return description


def _store_cells(db_path: Path) -> tuple[pd.DataFrame, object, list[int]]:
    con = connect(db_path)
    try:
        spec = store.read_grid(con)
        if spec is None:
            raise DataImportError(
                f"{Path(db_path).name} is a parcel store, not a grid store",
                "learn-suitability needs a store imported from the end map with import-raster")
        parcels = store.read_parcels(con)[["parcel_id", "land_use", "grid_row", "grid_col"]]
        codes = store.read_classes(con)["code"].astype(int).tolist()
    finally:
        con.close()
    return parcels, spec, codes


def _check_same_grid(cells: maps.CellGrid, spec, end: Path) -> None:
    ref = cells.reference
    same = (ref.values.shape == spec.pixels.shape and cells.blocks.k == spec.block_pixels
            and ref.transform.almost_equals(spec.transform, precision=1e-6))
    if not same:
        raise DataImportError(
            f"{end.name} is not on the store's grid ({spec.cell_m:g} m cells of a "
            f"{spec.pixels.shape[0]}×{spec.pixels.shape[1]} raster at origin "
            f"{spec.transform.c:.2f}, {spec.transform.f:.2f})",
            "give the map the store was imported from as --end, or import the store from it")


def _score_table(parcels: pd.DataFrame, cells: maps.CellGrid, codes: list[int],
                 potential: np.ndarray, end_class: np.ndarray, inertia: float) -> pd.DataFrame:
    """Tidy (parcel_id, land_use, score) for every store parcel and class.

    A store cell outside the maps' common cells (nodata in the start map) has no evidence of
    change: it keeps its class at the inertia's value and scores 0 elsewhere.
    """
    position = pd.Series(np.arange(len(cells.cells)), index=cells.cells)
    block = parcels["grid_row"].to_numpy() * cells.blocks.n_cols + parcels["grid_col"].to_numpy()
    found = position.reindex(block).to_numpy()
    current = pd.Series(np.arange(len(codes)), index=codes).reindex(
        parcels["land_use"]).to_numpy().astype(int)
    matched = ~np.isnan(found)
    cell = found[matched].astype(int)
    _check_store_state(current[matched], end_class[cell])
    learned = np.zeros((len(parcels), len(codes)))
    learned[matched] = potential[cell]
    scores = transition_scores(learned, current, inertia)
    n, k = scores.shape
    return pd.DataFrame({"parcel_id": np.repeat(parcels["parcel_id"].to_numpy(), k),
                         "land_use": np.tile(np.asarray(codes), n),
                         "score": np.clip(scores.ravel(), 0.0, 100.0)})


def _check_store_state(store_class: np.ndarray, end_class: np.ndarray) -> None:
    """The store must hold the end map's classes (the state the scores start from)."""
    share = float((store_class == end_class).mean()) if len(store_class) else 1.0
    if share < MIN_MATCHING_SHARE:
        raise DataImportError(
            f"only {share:.0%} of the store's cells have the class the end map gives them",
            "give the map the store was imported from as --end (with the same mapping)")


def _description(start: Path, end: Path, model: PotentialModel, inertia: float,
                 n_parcels: int) -> dict:
    years = [_year(start), _year(end)]
    return {"method": "LightGBM multiclass transition potential (data/change/potential.py)",
            "train_start": start.name, "train_end": end.name,
            **({"start_year": years[0], "end_year": years[1]} if all(years) else {}),
            "inertia": inertia, "parcels": n_parcels, "training": model.training,
            "features": list(model.features), "importance": model.importance,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds")}


def _year(path: Path) -> int | None:
    """A four-digit year in a file name (wh2005_refy.tif → 2005), if there is one."""
    found = re.findall(r"(?<!\d)(19\d{2}|20\d{2})(?!\d)", path.stem)
    return int(found[-1]) if found else None
