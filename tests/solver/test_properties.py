"""Property tests: tiny random instances, solver vs brute force, all checked by the validator."""

from __future__ import annotations

from conftest import make_landscape
from helpers import brute_force
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import Scenario, Status, solve
from solver.validate import check_allocation, objective_tolerance, objective_value

USES = ["cropland", "forest", "grassland", "built"]


@st.composite
def instances(draw: st.DrawFn) -> tuple:
    n = draw(st.integers(2, 5))
    current = draw(st.lists(st.sampled_from(USES), min_size=n, max_size=n))
    current[0] = "built"  # a town, so the expansion cap leaves room to grow
    land = make_landscape(
        current, area=draw(st.lists(st.sampled_from([0.5, 1.0, 2.0]), min_size=n, max_size=n)),
        suit={k: draw(st.lists(st.integers(0, 100), min_size=n, max_size=n)) for k in USES},
        red=draw(st.lists(st.integers(0, n - 1), max_size=1)),
        basic=draw(st.lists(st.integers(0, n - 1), max_size=1)),
        boundary=draw(st.lists(st.integers(0, n - 1), max_size=n)),
        edges=[(i, i + 1) for i in range(n - 1)])
    data = {
        "farmland": {"quota_pct": draw(st.sampled_from([0.0, 90.0, 100.0, 120.0])),
                     "balance": draw(st.booleans())},
        "ecology": {"red_line_mode": draw(st.sampled_from(["locked", "ecological_only", "off"])),
                    "min_ecological_pct": draw(st.sampled_from([0.0, 100.0]))},
        "growth": {"min_new_built_ha": draw(st.sampled_from([0.0, 0.5, 1.0, 3.0])),
                   "expansion_cap": draw(st.sampled_from([1.0, 2.0, 5.0]))},
        "conversion": {"max_changed_pct": draw(st.sampled_from([10.0, 50.0, 100.0])),
                       "allow_reclamation": draw(st.booleans())},
        "weights": {"compactness": draw(st.sampled_from([0.0, 1.0, 5.0]))},
        "solver": {"time_limit_s": 2.0, "target_gap_pct": 0.0},
    }
    return land, Scenario.from_dict(data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_solver_matches_brute_force(case: tuple) -> None:
    land, scenario = case
    if land.n_parcels > 4:
        scenario = scenario.with_value("growth.min_new_built_ha", 0.0)
    result = solve(land, scenario)
    classes = [land.class_keys.index(k) for k in (*USES, "water", "unused")]
    best = brute_force(land, scenario, classes) if land.n_parcels <= 4 else "skip"
    if result.status in (Status.OPTIMAL, Status.FEASIBLE):
        assert check_allocation(land, scenario, result.assignment) == []
        value = objective_value(land, scenario, result.assignment)
        assert abs(value - result.objective) <= objective_tolerance(land)
        if best != "skip":
            assert best is not None and value >= best - 1e-4
    else:
        assert result.status == Status.INFEASIBLE and result.assignment is None
        assert best is None or best == "skip"
