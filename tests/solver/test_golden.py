"""Golden parcels: hand-picked parcels of a synthetic county, each with the reason it is here.

The scenario pushes hard for change (high growth target, large conversion budget, weights
that reward built land) so that a lock that is not honoured would show.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import feasible, solve_checked

from solver.landscape import Landscape
from solver.scenario import Scenario
from solver.synthetic import grid_landscape


@pytest.fixture(scope="module")
def county() -> Landscape:
    return grid_landscape(14, 18, seed=7)


@pytest.fixture(scope="module")
def pushed(county: Landscape) -> tuple[Scenario, np.ndarray]:
    built0 = county.area_ha[county.current == county.class_index("built")].sum()
    s = Scenario.from_dict({
        "farmland": {"quota_pct": 90.0, "balance": False},
        "growth": {"min_new_built_ha": 0.25 * built0, "expansion_cap": 2.0},
        "conversion": {"max_changed_pct": 40.0},
        "weights": {"suitability": 5.0, "conversion_cost": 0.0},
        "solver": {"time_limit_s": 5.0}})
    r = solve_checked(county, s)
    assert feasible(r)
    return s, r.assignment


def _first(mask: np.ndarray) -> int:
    idx = np.flatnonzero(mask)
    assert idx.size, "the synthetic county lacks this kind of parcel"
    return int(idx[0])


GOLDEN = {
    # label: (why it is golden, selector)
    "red_line_forest": ("生态保护红线 parcels keep their use in 'locked' mode",
                        lambda land: land.red_line & (land.current == 1)),
    "basic_farmland": ("永久基本农田 cropland stays cropland",
                       lambda land: land.basic_farmland & (land.current == 0)),
    "water": ("water_fixed: water stays water", lambda land: land.current == 3),
    "built": ("no reclamation: built land stays built", lambda land: land.current == 4),
    "outside_boundary_cropland": (
        "outside 城镇开发边界 a parcel never becomes built",
        lambda land: ~land.urban_boundary & (land.current == 0) & ~land.basic_farmland),
}


@pytest.mark.parametrize("label", list(GOLDEN))
def test_golden_parcel(label: str, county: Landscape, pushed: tuple) -> None:
    why, selector = GOLDEN[label]
    _, assignment = pushed
    mask = selector(county)
    i = _first(mask)
    if label == "outside_boundary_cropland":
        assert (assignment[mask] != county.class_index("built")).all(), why
        assert assignment[i] != county.class_index("built"), why
    else:
        assert (assignment[mask] == county.current[mask]).all(), why


def test_growth_happens_only_inside_boundary(county: Landscape, pushed: tuple) -> None:
    _, a = pushed
    new_built = (a == 4) & (county.current != 4)
    assert new_built.any() and county.urban_boundary[new_built].all()
