"""Time the indicator table on a synthetic 25,000-parcel grid (numbers, not asserts).

Run from the repository root::

    python tests/bench/bench_indicators.py [--rows 125] [--cols 200] [--repeat 7]

The grid has rook adjacency (100 m shared edges, 1 ha cells), clumpy land use from smoothed
noise, 20 regions, random flags and grades, and an assignment that changes ~5 % of parcels.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.ndimage import uniform_filter

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from data.coefficients import load_coefficients  # noqa: E402
from data.indicators import compute_indicators, transition_matrix  # noqa: E402


def synthetic_store(rows: int, cols: int, seed: int = 0
                    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(parcels, adjacency, classes, regions) of a rows × cols grid of 1 ha cells."""
    rng = np.random.default_rng(seed)
    n = rows * cols
    noise = uniform_filter(rng.random((rows, cols)), size=9)
    cuts = np.quantile(noise, [0.40, 0.75, 0.80, 0.90, 0.995])
    land_use = np.searchsorted(cuts, noise).ravel() + 1   # codes 1..6, clumped
    r, c = np.divmod(np.arange(n), cols)
    parcels = pd.DataFrame({
        "parcel_id": np.arange(1, n + 1),
        "region_id": (r * 4 // rows) * 5 + (c * 5 // cols) + 1,
        "land_use": land_use,
        "area_ha": 1.0,
        "farmland_grade": np.where(rng.random(n) < 0.1, np.nan, rng.integers(1, 16, n)),
        "population": rng.gamma(2.0, 30.0, n),
        "is_basic_farmland": (land_use == 1) & (rng.random(n) < 0.6),
        "is_red_line": (land_use == 2) & (rng.random(n) < 0.4),
        "in_urban_boundary": noise.ravel() > np.quantile(noise, 0.85),
    })
    ids = np.arange(1, n + 1).reshape(rows, cols)
    pairs = np.vstack([np.column_stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()]),
                       np.column_stack([ids[:-1, :].ravel(), ids[1:, :].ravel()])])
    adjacency = pd.DataFrame({"parcel_a": pairs[:, 0], "parcel_b": pairs[:, 1],
                              "shared_m": 100.0})
    classes = pd.read_csv(Path(__file__).resolve().parents[2] / "data" / "coefficients"
                          / "classes_cas.csv")
    regions = pd.DataFrame({"region_id": np.arange(1, 21),
                            "name_zh": [f"乡镇{i}" for i in range(1, 21)],
                            "name_en": [f"Town {i}" for i in range(1, 21)],
                            "population": np.where(np.arange(20) % 4 == 0, np.nan, 20_000.0)})
    return parcels, adjacency, classes, regions


def changed_assignment(parcels: pd.DataFrame, share: float = 0.05, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    assignment = parcels["land_use"].to_numpy().copy()
    pick = rng.random(len(assignment)) < share
    assignment[pick] = rng.integers(1, 7, int(pick.sum()))
    return assignment


def timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=125)
    parser.add_argument("--cols", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    parcels, adjacency, classes, regions = synthetic_store(args.rows, args.cols)
    assignment = changed_assignment(parcels)
    print(f"{len(parcels):,} parcels, {len(adjacency):,} adjacency pairs, "
          f"{len(regions)} regions, {int((assignment != parcels['land_use']).sum()):,} changed")

    start = time.perf_counter()
    coefficients = load_coefficients()
    print(f"load_coefficients: {1000 * (time.perf_counter() - start):.1f} ms")

    table = compute_indicators(parcels, adjacency, classes, regions, assignment, coefficients)
    cases = {
        "compute_indicators (coefficients given)": lambda: compute_indicators(
            parcels, adjacency, classes, regions, assignment, coefficients),
        "compute_indicators (loads coefficients)": lambda: compute_indicators(
            parcels, adjacency, classes, regions, assignment),
        "transition_matrix": lambda: transition_matrix(parcels, classes, assignment),
    }
    for name, function in cases.items():
        times = timed(function, args.repeat)
        print(f"{name}: median {1000 * statistics.median(times):.1f} ms, "
              f"min {1000 * min(times):.1f} ms, max {1000 * max(times):.1f} ms "
              f"({args.repeat} runs)")
    print(f"{len(table)} indicator rows")


if __name__ == "__main__":
    main()
