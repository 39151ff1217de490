"""What moves the learned model's Figure of Merit on Wuhan (issue 13): model and allocation
variants side by side, in one process, from one load of the maps.

A script, not a test. It learns 2003 → 2005 and allocates 2005 → 2010 exactly as
``python -m data validate-change`` does (same maps, drivers, locks, demand, engine and scoring
code) and varies one thing at a time:

* the model — the default; wider neighbourhoods (class shares up to 33 cells) with a faster
  learning rate; a more regularised model (15 leaves, ≥ 2,000 cells a leaf, 200 rounds); the
  default plus the cell's grid coordinates as drivers (lets the trees remember *where* the
  training period's change happened);
* the allocation of the default model's potential — the inertia (0.07, 0.1, 0.15) and a
  Gaussian smoothing of each class's potential over neighbouring cells (σ in cells), which
  favours changing whole patches the way real change comes.

Each row reports the training period's held-out log loss (in-period skill) next to the FoM
against the real 2010 map (skill carried to the next period), and the times.

    python tests/bench/bench_change_variants.py --grain 300              # ≈ 3 min
    python tests/bench/bench_change_variants.py --grain 30               # ≈ 70 min, 12 GB
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from data.change import maps  # noqa: E402
from data.change.allocate import allocate_change, transition_scores  # noqa: E402
from data.change.potential import PotentialModel, fit_potential  # noqa: E402
from data.change.scores import change_scores  # noqa: E402
from data.change.validate import _problem  # noqa: E402

WUHAN = ROOT.parent / "shared" / "data" / "wuhan"


@dataclass(frozen=True)
class ModelVariant:
    """One way to learn the potential."""

    name: str
    radii: tuple[int, ...] = maps.SHARE_RADII_CELLS
    params: dict = field(default_factory=dict)
    rounds: int = 400
    coordinates: bool = False


MODELS = (
    ModelVariant("default"),
    ModelVariant("wider shares (≤ 33 cells), lr 0.1", (1, 3, 8, 17, 33), {"learning_rate": 0.1}),
    ModelVariant("regularised (15 leaves, 200 rounds)", params={
        "num_leaves": 15, "min_data_in_leaf": 2000}, rounds=200),
    ModelVariant("default + grid coordinates", coordinates=True),
)
#: (inertia, smoothing σ in cells) tried on the default model's potential.
ALLOCATIONS = ((0.07, 0.0), (0.15, 0.0), (0.1, 0.6), (0.1, 1.0), (0.14, 1.0))


@dataclass
class Period:
    """The maps, drivers and locks of one grain, loaded once."""

    cells: maps.CellGrid
    train_start: maps.ClassMap
    start: maps.ClassMap
    end: maps.ClassMap
    static: pd.DataFrame
    locked: np.ndarray


def load_period(grain: int) -> Period:
    """Wuhan 2003 (train start), 2005 (train end = start) and 2010 at ``grain`` metres."""
    mapping = maps.load(ROOT / "data" / "mappings" / "wuhan.toml")
    lulc = WUHAN / "LULCs"
    paths = [lulc / "wh2005_refy.tif", lulc / "wh2010_refy.tif", lulc / "wh2003_refy.tif"]
    cells, per_pixel = maps.open_grid(paths, mapping, grain)
    start, end, train_start = (maps.class_map(cells, p, path)
                               for p, path in zip(per_pixel, paths, strict=True))
    drivers = {name: WUHAN / "DriveFactors" / file for name, file in
               (("dem", "wh_df_dem.tif"), ("pop", "wh_Pop.tif"), ("soil", "wh_soiltype.tif"))}
    static = maps.static_drivers(cells, mapping, drivers)
    locked = maps.restricted_cells(cells, WUHAN / "WaterWuhan.tif", mapping)
    return Period(cells, train_start, start, end, static, locked)


def drivers_of(period: Period, state: maps.ClassMap, variant: ModelVariant) -> pd.DataFrame:
    """The drivers of ``state`` as ``variant`` describes cells."""
    table = maps.with_static(maps.map_drivers(period.cells, state, radii=variant.radii),
                             period.static)
    if variant.coordinates:
        rows, cols = np.divmod(period.cells.cells, period.cells.shape[1])
        table["grid_x"], table["grid_y"] = cols.astype(np.float32), rows.astype(np.float32)
    return table


def learn(period: Period, variant: ModelVariant) -> tuple[PotentialModel, np.ndarray, float]:
    """Fit on 2003 → 2005; the 2005 map's potential and the prediction's seconds."""
    model = fit_potential(drivers_of(period, period.train_start, variant),
                          period.start.cls.astype(int), period.cells.class_keys,
                          ("class", "soil"), seed=0, rounds=variant.rounds,
                          params=variant.params)
    started = time.perf_counter()
    potential = model.predict(drivers_of(period, period.start, variant))
    return model, potential, time.perf_counter() - started


def smoothed(period: Period, potential: np.ndarray, sigma: float) -> np.ndarray:
    """Each class's potential averaged over neighbouring cells (Gaussian, σ cells), cells
    outside the study area left out."""
    if sigma <= 0:
        return potential
    cells = period.cells
    weight = ndimage.gaussian_filter(cells.to_grid(np.ones(len(potential), np.float32), 0.0),
                                     sigma)
    out = np.empty_like(potential)
    for k in range(potential.shape[1]):
        total = ndimage.gaussian_filter(cells.to_grid(potential[:, k], 0.0), sigma)
        out[:, k] = (total / np.maximum(weight, 1e-6)).ravel()[cells.cells]
    return out


def score(period: Period, potential: np.ndarray, inertia: float) -> dict:
    """Allocate 2005 → 2010 to 2010's class areas with the engine; scores against 2010."""
    problem = _problem(period.cells, period.start, period.end, period.locked)
    started = time.perf_counter()
    result = allocate_change(problem, transition_scores(potential, problem.current, inertia))
    seconds = time.perf_counter() - started
    scores = change_scores(problem.current, period.end.cls, np.asarray(result.assignment),
                           period.cells.n_classes, weights=period.cells.area_ha,
                           restricted=problem.locked).to_dict(period.cells.class_keys)
    return {"status": result.status.value, "allocation s": round(seconds, 1),
            **{key: scores[key] for key in ("fom", "hits", "misses", "wrong_hits",
                                            "false_alarms", "restricted_changed")}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grain", type=int, default=300, help="cell size in metres")
    args = parser.parse_args()
    period = load_period(args.grain)
    print(f"{len(period.cells.cells):,} cells of {period.cells.cell_m:g} m", flush=True)
    rows = []
    for variant in MODELS:
        model, potential, predict_s = learn(period, variant)
        common = {"held-out log loss (2003→05)": model.training["log_loss"],
                  "rounds": model.training["rounds"], "training s": model.training["seconds"],
                  "prediction s": round(predict_s, 1)}
        allocations = ALLOCATIONS if variant is MODELS[0] else ()
        for inertia, sigma in ((0.1, 0.0), *allocations):
            rows.append({"model": variant.name, "inertia": inertia, "smoothing σ": sigma,
                         **common, **score(period, smoothed(period, potential, sigma), inertia)})
            print(rows[-1], flush=True)
    print()
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
