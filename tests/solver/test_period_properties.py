"""Property tests: tiny random multi-period instances, joint model vs an exhaustive search
(every period's assignments enumerated and checked by the single-period validator, periods
linked by dynamic programming), every solution checked by the period validator."""

from __future__ import annotations

import itertools

import numpy as np
from conftest import make_landscape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import Status
from solver.orchestrate import solve_periods
from solver.period_validate import (
    check_periods,
    period_objective_tolerance,
    period_objective_value,
)
from solver.periods import PeriodScenario
from solver.validate import check_allocation, objective_value

USES = ["cropland", "forest", "grassland", "built"]


@st.composite
def instances(draw: st.DrawFn) -> tuple:
    n = draw(st.integers(2, 3))
    current = draw(st.lists(st.sampled_from(USES), min_size=n, max_size=n))
    current[0] = "built"
    land = make_landscape(
        current, area=draw(st.lists(st.sampled_from([0.5, 1.0, 2.0]), min_size=n, max_size=n)),
        suit={k: draw(st.lists(st.integers(0, 100), min_size=n, max_size=n)) for k in USES},
        basic=draw(st.lists(st.integers(0, n - 1), max_size=1)),
        boundary=draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n)),
        regions=[0] + draw(st.lists(st.integers(0, 1), min_size=n - 1, max_size=n - 1)),
        edges=[(i, i + 1) for i in range(n - 1)])
    n_periods = draw(st.integers(2, 3))
    periods = []
    for t in range(n_periods):
        periods.append({
            "name": f"P{t}", "year": 2030 + 5 * t,
            "weight": draw(st.sampled_from([1.0, 2.0])),
            "growth": {"min_new_built_ha": draw(st.sampled_from([0.0, 0.0, 0.5])) * (t + 1),
                       "region_max_new_built_ha": {"R0": draw(st.sampled_from([0.5, 2.0, 9.0]))}},
            "farmland": {"quota_pct": draw(st.sampled_from([0.0, 50.0, 100.0]))},
            "conversion": {"allow_reclamation": draw(st.booleans())},
            **({"max_period_changed_pct": draw(st.sampled_from([25.0, 60.0]))}
               if draw(st.booleans()) else {}),
        })
    data = {"farmland": {"balance": draw(st.booleans())},
            "growth": {"expansion_cap": 5.0}, "conversion": {"max_changed_pct": 100.0},
            "weights": {"compactness": draw(st.sampled_from([0.0, 1.0]))},
            "solver": {"time_limit_s": 3.0, "target_gap_pct": 0.0}, "periods": periods}
    return land, PeriodScenario.from_dict(data)


def _valid_per_period(land, ps: PeriodScenario, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Every assignment the single-period validator accepts for period t, and its objective."""
    rows, values = [], []
    for combo in itertools.product(range(land.n_classes), repeat=land.n_parcels):
        a = np.array(combo)
        if not check_allocation(land, ps.scenario(t), a):
            rows.append(a)
            values.append(ps.periods[t].weight * objective_value(land, ps.scenario(t), a))
    return np.array(rows).reshape(-1, land.n_parcels), np.array(values)


def _linked(land, ps: PeriodScenario, t: int, prev: np.ndarray, cur: np.ndarray) -> np.ndarray:
    """(|prev|, |cur|) bool: may period t's ``cur`` follow period t−1's ``prev``."""
    built = land.class_index("built")
    ok = np.ones((prev.shape[0], cur.shape[0]), bool)
    if not ps.scenario(t).conversion.allow_reclamation:
        reverts = (prev[:, None, :] == built) & (cur[None, :, :] != built)
        ok &= ~reverts.any(axis=2)
    cap = ps.periods[t].max_period_changed_pct
    if cap is not None:
        moved = ((prev[:, None, :] != cur[None, :, :]) * land.area_ha).sum(axis=2)
        ok &= moved <= cap / 100 * land.area_ha.sum() + 1e-9
    return ok


def exhaustive(land, ps: PeriodScenario) -> float | None:
    """Best joint objective by dynamic programming over periods (None = infeasible)."""
    assigns, best = _valid_per_period(land, ps, 0)
    cap = ps.periods[0].max_period_changed_pct
    if cap is not None and assigns.size:
        moved = ((assigns != land.current) * land.area_ha).sum(axis=1)
        best = np.where(moved <= cap / 100 * land.area_ha.sum() + 1e-9, best, -np.inf)
    for t in range(1, ps.n_periods):
        cur, values = _valid_per_period(land, ps, t)
        if cur.size == 0 or assigns.size == 0:
            return None
        link = _linked(land, ps, t, assigns, cur)
        best = np.where(link, best[:, None], -np.inf).max(axis=0) + values
        assigns = cur
    return float(best.max()) if best.size and np.isfinite(best.max()) else None


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_joint_model_matches_exhaustive_search(case: tuple) -> None:
    land, ps = case
    result = solve_periods(land, ps)
    best = exhaustive(land, ps)
    if result.status in (Status.OPTIMAL, Status.FEASIBLE):
        assert check_periods(land, ps, result.assignment) == []
        value = period_objective_value(land, ps, result.assignment)
        assert abs(value - result.objective) <= period_objective_tolerance(land, ps)
        assert best is not None and value >= best - 1e-4
    else:
        assert result.status == Status.INFEASIBLE and result.assignment is None
        assert best is None


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_phased_start_is_valid_and_its_bound_holds(case: tuple) -> None:
    """The period-by-period plan passes the period validator and scores at most the optimum;
    the sum of the periods' own bounds is at least the optimum."""
    from solver.period_model import build_period_model
    from solver.period_start import phased_start

    land, ps = case
    ps = PeriodScenario.from_dict({**ps.to_dict(), "weights": {"compactness": 1.0}})
    start = phased_start(land, ps, 3.0)
    best = exhaustive(land, ps)
    scale = build_period_model(land, ps).instance.obj_scale
    if start.plan is not None:
        assert check_periods(land, ps, start.plan) == []
        assert best is not None
        assert period_objective_value(land, ps, start.plan) <= best + 1e-4
    if start.bound_units is not None and best is not None:
        assert start.bound_units / scale >= best - 1e-4
