"""Validate a learned change model: learn on one period, allocate the next, score it.

``python -m data validate-change`` (see :func:`validate_change`): learn the transition potential
on train-start → train-end; allocate start → end with the end map's exact class areas as the
demand table (locked cells counted in their start class) and the no-change mask as hard locks,
with the engine; score the allocation against the real end map next to three baselines scored
by the same code — no change (the null model), a random placement of the demanded change, and
the nearest-same-class rule — and write the scores (JSON), the allocated map and an agreement
map (GeoTIFFs on the end map's grid).
"""

from __future__ import annotations

import json
import resource
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio

from data.change import maps
from data.change.allocate import (
    DEFAULT_INERTIA,
    ChangeProblem,
    allocate_change,
    nearest_class_scores,
    random_scores,
    transition_scores,
)
from data.change.potential import PotentialModel, fit_potential
from data.change.scores import AGREEMENT_NODATA, agreement_map, change_scores
from data.grid import cells_to_pixels
from data.importers.errors import DataImportError
from data.importers.mapping import Mapping
from solver.result import AllocationResult

FORMAT = "landalloc-change-validation/1"
BASELINES = ("null", "random", "nearest")


@dataclass(frozen=True)
class ValidationInputs:
    """The command's inputs (paths as given)."""

    train_start: Path
    train_end: Path
    start: Path
    end: Path
    mapping: Path
    no_change: Path | None = None
    drivers: tuple[tuple[str, Path], ...] = ()
    cell_size_m: float = 30.0
    inertia: float = DEFAULT_INERTIA
    compactness: float = 0.0
    neighbourhood: bool = True
    time_limit_s: float = 300.0
    seed: int = 0


def validate_change(inputs: ValidationInputs, out_json: Path, map_path: Path | None = None,
                    progress=None) -> dict:
    """Run the whole validation and write its outputs.

    Parameters
    ----------
    inputs : ValidationInputs
    out_json : Path
        Scores and model description (JSON).
    map_path : Path, optional
        The allocated map (GeoTIFF, end map's grid, source class codes); the agreement map is
        written beside it as ``<name>.agreement.tif``.
    progress : callable
        Receives one line per step.

    Returns
    -------
    dict
        What the JSON holds.
    """
    started = time.perf_counter()
    progress = progress or print_step
    mapping = maps.load(inputs.mapping)
    paths = [inputs.start, inputs.end, inputs.train_start, inputs.train_end]
    _check_distinct(paths)
    cells, per_pixel = maps.open_grid(paths, mapping, inputs.cell_size_m)
    start, end, train_start, train_end = (maps.class_map(cells, p, path)
                                          for p, path in zip(per_pixel, paths, strict=True))
    del per_pixel
    progress(f"{len(cells.cells):,} cells of {cells.cell_m:g} m "
             f"({time.perf_counter() - started:.1f} s)")
    static = maps.static_drivers(cells, mapping, dict(inputs.drivers))
    categorical = ("class", *maps.categorical_drivers(mapping, dict(inputs.drivers)))
    model = _learn(cells, train_start, train_end, static, categorical, inputs, progress)
    locked = (maps.restricted_cells(cells, inputs.no_change, mapping)
              if inputs.no_change is not None else np.zeros(len(cells.cells), dtype=bool))
    drivers = maps.with_static(maps.map_drivers(cells, start, inputs.neighbourhood), static)
    potential = model.predict(drivers)
    problem = _problem(cells, start, end, locked)
    runs = _allocate_all(problem, potential, drivers, inputs, progress)
    result = _report(inputs, cells, model, problem, end, runs, started)
    if map_path is not None:
        result["maps"] = write_maps(cells, mapping, start, end, runs["learned"][1], map_path,
                                    out_json)
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


def print_step(line: str) -> None:
    print(line, flush=True)  # a long run's steps show as they happen, also in a log file


def _check_distinct(paths: list[Path]) -> None:
    start, end, train_start, train_end = (p.resolve() for p in paths)
    if start == end or train_start == train_end:
        raise DataImportError("a period's start and end are the same map",
                              "give the maps of different years")


def _learn(cells: maps.CellGrid, train_start: maps.ClassMap, train_end: maps.ClassMap,
           static: pd.DataFrame, categorical: tuple[str, ...], inputs: ValidationInputs,
           progress) -> PotentialModel:
    drivers = maps.with_static(maps.map_drivers(cells, train_start, inputs.neighbourhood), static)
    model = fit_potential(drivers, train_end.cls.astype(int), cells.class_keys, categorical,
                          seed=inputs.seed)
    progress(f"learned {train_start.path.name} → {train_end.path.name} on "
             f"{model.training['rows']:,} cells in {model.training['seconds']:.1f} s "
             f"(held-out accuracy {model.training['accuracy']:.3f})")
    return model


def _problem(cells: maps.CellGrid, start: maps.ClassMap, end: maps.ClassMap,
             locked: np.ndarray) -> ChangeProblem:
    # The end map's class areas, except that locked cells keep their start class: real change
    # on locked cells (a mask drawn in another year) can be reached by no model — it scores as
    # misses for all — and demanding it would make the allocation infeasible.
    end_cls = np.where(locked, start.cls, end.cls)
    demand = np.bincount(end_cls, weights=cells.area_ha, minlength=cells.n_classes)
    edges, edge_m = grid_edges(cells)
    return ChangeProblem(start.cls.astype(np.int32), cells.area_ha, locked, demand,
                         cells.class_keys, cells.class_roles, cells.class_codes, edges, edge_m)


def grid_edges(cells: maps.CellGrid) -> tuple[np.ndarray, np.ndarray]:
    """Rook neighbour pairs (i < j) of the cells, as cell positions, and their edge length."""
    position = cells.to_grid(np.arange(len(cells.cells)), -1)
    pairs = [np.column_stack([position[:, :-1].ravel(), position[:, 1:].ravel()]),
             np.column_stack([position[:-1, :].ravel(), position[1:, :].ravel()])]
    edges = np.vstack(pairs)
    edges = np.sort(edges[(edges >= 0).all(axis=1)], axis=1).astype(np.int64)
    return edges, np.full(len(edges), cells.cell_m)


def _allocate_all(problem: ChangeProblem, potential: np.ndarray, drivers: pd.DataFrame,
                  inputs: ValidationInputs, progress) -> dict:
    """The learned model and the baselines, each allocated by the engine to the same demand."""
    n, k = len(problem.current), len(problem.class_keys)
    distance = drivers[[f"dist_{key}_m" for key in problem.class_keys]].to_numpy()
    candidates = {
        "learned": transition_scores(potential, problem.current, inputs.inertia),
        "random": random_scores(n, k, problem.current, inputs.seed),
        "nearest": nearest_class_scores(distance, problem.current),
    }
    runs = {"null": (None, problem.current.copy(), 0.0)}
    for name, scores in candidates.items():
        t0 = time.perf_counter()
        compactness = inputs.compactness if name == "learned" else 0.0
        result = allocate_change(problem, scores, inputs.time_limit_s, inputs.seed, compactness)
        if result.assignment is None:
            raise DataImportError(f"the {name} allocation found no map: {result.message}",
                                  "check that the end map's class areas can be reached")
        runs[name] = (result, np.asarray(result.assignment), time.perf_counter() - t0)
        progress(f"{name}: {result.status.value} in {time.perf_counter() - t0:.1f} s")
    return runs


def _report(inputs: ValidationInputs, cells: maps.CellGrid, model: PotentialModel,
            problem: ChangeProblem, end: maps.ClassMap, runs: dict, started: float) -> dict:
    scores = {}
    for name, (_, simulated, _) in runs.items():
        scores[name] = change_scores(problem.current, end.cls, simulated, cells.n_classes,
                                     weights=cells.area_ha, restricted=problem.locked
                                     ).to_dict(cells.class_keys)
    learned = runs["learned"][0]
    best = max(BASELINES, key=lambda b: scores[b]["fom"])
    return {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": _inputs_dict(inputs),
        "grain": {"cell_m": cells.cell_m, "cells": int(len(cells.cells)),
                  "restricted_cells": int(problem.locked.sum()),
                  "area_ha": round(float(cells.area_ha.sum()), 2)},
        "classes": [{"key": key, "role": role, "code": code} for key, role, code in zip(
            cells.class_keys, cells.class_roles, cells.class_codes, strict=True)],
        "model": {"kind": "LightGBM multiclass (transition potential)",
                  "features": list(model.features), "categorical": list(model.categorical),
                  "training": model.training, "importance": model.importance,
                  "inertia": inputs.inertia, "compactness_weight": inputs.compactness,
                  "neighbourhood_drivers": inputs.neighbourhood},
        "allocation": _allocation_dict(learned, runs["learned"][2]),
        "scores": scores,
        "best_baseline": best,
        "margin_over_best_baseline": round(scores["learned"]["fom"] - scores[best]["fom"], 4),
        "seconds": round(time.perf_counter() - started, 1),
        "peak_memory_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 2),
    }


def _inputs_dict(inputs: ValidationInputs) -> dict:
    return {"train_start": inputs.train_start.name, "train_end": inputs.train_end.name,
            "start": inputs.start.name, "end": inputs.end.name,
            "mapping": inputs.mapping.name,
            "no_change": inputs.no_change.name if inputs.no_change else None,
            "drivers": {name: Path(path).name for name, path in inputs.drivers},
            "cell_size_m": inputs.cell_size_m, "seed": inputs.seed,
            "neighbourhood": inputs.neighbourhood, "compactness": inputs.compactness,
            "time_limit_s": inputs.time_limit_s}


def _allocation_dict(result: AllocationResult, seconds: float) -> dict:
    return {"status": result.status.value, "objective": result.objective,
            "bound": result.best_bound, "gap": result.gap,
            "seconds": round(seconds, 1), "engine_seconds": round(result.wall_time_s, 1)}


def write_maps(cells: maps.CellGrid, mapping: Mapping, start: maps.ClassMap, end: maps.ClassMap,
               simulated: np.ndarray, map_path: Path, out_json: Path) -> dict:
    """Write the allocated map (source class codes) and the agreement map on the end grid.

    Returns the paths relative to the JSON's folder (how the data page finds them).
    """
    ref = cells.reference
    source_codes = _source_codes(mapping, cells)
    nodata = _class_nodata(source_codes)
    allocated = cells_to_pixels(cells.to_grid(source_codes[simulated], nodata), cells.blocks.k,
                                ref.values.shape)
    agreement_cells = agreement_map(start.cls, end.cls, simulated).astype(np.uint8)
    agreement = cells_to_pixels(cells.to_grid(agreement_cells, AGREEMENT_NODATA),
                                cells.blocks.k, ref.values.shape)
    agreement_path = map_path.with_name(f"{map_path.stem}.agreement.tif")
    map_path.parent.mkdir(parents=True, exist_ok=True)
    _write_tif(map_path, allocated, ref, nodata)
    _write_tif(agreement_path, agreement.astype(np.uint8), ref, AGREEMENT_NODATA)
    folder = out_json.resolve().parent
    return {"allocated": _relative(map_path, folder), "agreement": _relative(agreement_path, folder)}


def _source_codes(mapping: Mapping, cells: maps.CellGrid) -> np.ndarray:
    """The raster code that stands for each class: the smallest source code mapped to it (the
    class's own store code when the mapping maps codes to themselves)."""
    by_key: dict[str, int] = {}
    for code, key in mapping.classes.items():
        text = code.rstrip("*")
        if text.lstrip("-").isdigit() and not code.endswith("*"):
            by_key[key] = min(by_key.get(key, int(text)), int(text))
    return np.array([by_key.get(key, code) for key, code in
                     zip(cells.class_keys, cells.class_codes, strict=True)], dtype=np.int32)


def _class_nodata(codes: np.ndarray) -> int:
    return 255 if codes.max() < 255 and codes.min() >= 0 else -9999


def _write_tif(path: Path, values: np.ndarray, ref: maps.Grid, nodata: int) -> None:
    dtype = "uint8" if nodata == 255 else "int32"
    with rasterio.open(path, "w", driver="GTiff", height=values.shape[0], width=values.shape[1],
                       count=1, dtype=dtype, crs=ref.crs, transform=ref.transform, nodata=nodata,
                       compress="deflate") as dst:
        dst.write(values.astype(dtype), 1)


def _relative(path: Path, folder: Path) -> str:
    try:
        return str(path.resolve().relative_to(folder))
    except ValueError:
        return str(path.resolve())
