"""The compactness search: its bound against brute force, its answer against the exact core.

Tiny random grids (cycles, so the decomposition has several forests): every bound the dual
decomposition evaluates, at any multipliers, must be at least the true optimum; the search's
answer must pass the validator and never fall below the exact core's allocation (the optimum
without compactness) scored with compactness.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from conftest import make_landscape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import Scenario
from solver.compact import PottsDual, compact_search, polish_windows
from solver.config import SolverConfig
from solver.instance import Instance, build_instance
from solver.model import AllocationModel, _exact_phase, _Search, _solve_restricted, run_search
from solver.validate import check_allocation

USES = ["cropland", "forest", "grassland", "built"]
#: New construction land asked of the 20 × 20 grid (seed 6), share of its built land: 25.6 ha,
#: where its forests' labels at zero prices build 18.75 ha.
GROWTH_SHARE = 0.1


def grid_edges(rows: int, cols: int) -> list[tuple[int, int]]:
    edges = []
    for r, c in itertools.product(range(rows), range(cols)):
        i = r * cols + c
        if c + 1 < cols:
            edges.append((i, i + 1))
        if r + 1 < rows:
            edges.append((i, i + cols))
    return edges


@st.composite
def grids(draw: st.DrawFn) -> tuple:
    rows, cols = draw(st.sampled_from([(2, 2), (2, 3)]))
    n = rows * cols
    current = draw(st.lists(st.sampled_from(USES), min_size=n, max_size=n))
    current[0] = "built"
    land = make_landscape(
        current, area=draw(st.lists(st.sampled_from([0.5, 1.0, 2.0]), min_size=n, max_size=n)),
        suit={k: draw(st.lists(st.integers(0, 100), min_size=n, max_size=n)) for k in USES},
        red=draw(st.lists(st.integers(0, n - 1), max_size=1)),
        boundary=draw(st.lists(st.integers(0, n - 1), max_size=n)),
        edges=grid_edges(rows, cols))
    data = {
        "farmland": {"quota_pct": draw(st.sampled_from([0.0, 90.0, 100.0])),
                     "balance": draw(st.booleans())},
        "ecology": {"min_ecological_pct": draw(st.sampled_from([0.0, 100.0]))},
        "growth": {"min_new_built_ha": draw(st.sampled_from([0.0, 0.5, 1.0])),
                   "expansion_cap": 5.0},
        "conversion": {"max_changed_pct": draw(st.sampled_from([30.0, 100.0])),
                       "water_fixed": True},
        "weights": {"compactness": draw(st.sampled_from([1.0, 5.0, 20.0]))},
        "solver": {"time_limit_s": 5.0, "target_gap_pct": 0.0, "workers": 1},
    }
    return land, Scenario.from_dict(data)


def brute_force_units(inst: Instance) -> int | None:
    """Best objective (units, status quo 0) over every assignment the validator accepts."""
    land, best = inst.landscape, None
    choices = [np.flatnonzero(row) for row in inst.allowed]
    for combo in itertools.product(*choices):
        a = np.array(combo)
        if check_allocation(land, inst.scenario, a) == []:
            units = inst.units_of(a)
            best = units if best is None else max(best, units)
    return best


def exact_start(inst: Instance) -> np.ndarray | None:
    """The exact core's allocation (no compactness search)."""
    search = _Search(time.monotonic(), 5.0)
    _exact_phase(AllocationModel(inst), inst.scenario.solver, search, [], None)
    return search.assignment


def random_multipliers(dual: PottsDual, rng: np.random.Generator) -> PottsDual:
    """``dual`` at arbitrary corrections and prices: weak duality holds for every one."""
    dual.delta += rng.normal(0, 1e6, dual.delta.shape) * dual.member[:, :, None]
    dual.delta -= (dual.delta.sum(axis=0) / np.maximum(dual.count, 1)[:, None]) * dual.member[
        :, :, None]
    rows = dual.rows
    rows.mu[:] = rng.uniform(0, 50, rows.mu.size) * ~np.isnan(rows.lo)
    rows.nu[:] = rng.uniform(0, 50, rows.nu.size) * ~np.isnan(rows.hi)
    for r in range(rows.mu.size):
        at = rows.entries(r)
        dual.theta[rows.node[at], rows.cls[at]] += rows.price[r] * rows.weight[at]
    return dual


def randomly_priced(case: tuple, seed: int) -> tuple[PottsDual, int, int] | None:
    """The dual of a drawn grid at random multipliers, the grid's brute-force optimum and its
    status-quo units; None when no allocation is valid."""
    land, scenario = case
    inst = build_instance(land, scenario)
    best = brute_force_units(inst)
    if best is None:
        return None
    return (random_multipliers(PottsDual(inst), np.random.default_rng(seed)), best,
            inst.status_quo_units)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grids(), st.integers(0, 2**16))
def test_every_decomposition_bound_is_at_least_the_optimum(case: tuple, seed: int) -> None:
    priced = randomly_priced(case, seed)
    if priced is None:
        return
    dual, best, sq = priced
    assert dual.evaluate() - sq >= best - 1
    for _ in range(60):  # and along the subgradient path
        assert dual.iterate(best + sq) - sq >= best - 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grids())
def test_search_answer_is_valid_and_never_below_the_exact_core(case: tuple) -> None:
    land, scenario = case
    inst = build_instance(land, scenario)
    start = exact_start(inst)
    if start is None:
        return
    config = SolverConfig(time_limit_s=5.0, target_gap_pct=0.0, workers=1)
    window_calls = []

    def window(sub: Instance, free: np.ndarray, hint: np.ndarray, budget: float):
        window_calls.append(int(free.sum()))
        fixed = np.where(free, -1, hint).astype(np.int64)
        out = AllocationModel(sub.restrict(fixed)).solve_cpsat(config, budget, hint)
        return None if out.assignment is None else (out.assignment, out.objective_units)

    out = compact_search(inst, config, start, time.monotonic() + 1.0, _solve_restricted, window)
    assert check_allocation(land, scenario, out.assignment) == []
    assert out.objective_units == inst.units_of(out.assignment)
    assert out.objective_units >= inst.units_of(start)
    best = brute_force_units(inst)
    assert best is not None and out.objective_units <= best
    assert out.bound_units is not None and out.bound_units >= best - 1


def test_solve_reports_a_bound_at_least_the_brute_force_optimum() -> None:
    land = make_landscape(["built", "cropland", "forest", "cropland", "grassland", "forest"],
                          suit={"built": [90, 80, 10, 70, 20, 10]}, edges=grid_edges(2, 3))
    s = Scenario.from_dict({"weights": {"compactness": 10.0},
                            "growth": {"min_new_built_ha": 1.0, "expansion_cap": 5.0},
                            "farmland": {"quota_pct": 0.0, "balance": False},
                            "ecology": {"min_ecological_pct": 0.0},
                            "conversion": {"max_changed_pct": 100.0},
                            "solver": {"time_limit_s": 5.0, "target_gap_pct": 0.0}})
    inst = build_instance(land, s)
    best = brute_force_units(inst)
    search, phases = run_search(AllocationModel(inst), s.solver)
    assert any(p.startswith("compact:") for p in phases)
    assert search.bound_units() >= best - 1
    assert search.objective_units == best


def test_windows_cover_the_free_parcels_in_connected_pieces() -> None:
    land = make_landscape(["cropland"] * 30, edges=grid_edges(5, 6))
    inst = build_instance(land, Scenario.from_dict({}))
    free = np.zeros(30, bool)
    free[[0, 1, 2, 6, 7, 20, 21, 27]] = True
    windows = polish_windows(inst, free, max_cells=4)
    assert sorted(np.concatenate(windows).tolist()) == np.flatnonzero(free).tolist()
    assert all(w.size <= 4 for w in windows)


def test_demo_with_compactness_is_deterministic(demo_store) -> None:
    """Same inputs and seed, same answer: the search counts steps, not seconds (the limit is
    generous so that it does not bind even on a loaded machine)."""
    from helpers import solve_checked

    from data.landscape import load_landscape
    from data.presets import load_preset

    land = load_landscape(demo_store)
    s = load_preset("balanced").with_value("solver.time_limit_s", 60.0)
    runs = [solve_checked(land, s) for _ in range(2)]
    assert any(p.startswith("compact:") for p in runs[0].phases)
    assert runs[0].gap <= 0.01
    assert np.array_equal(runs[0].assignment, runs[1].assignment)
    assert runs[0].best_bound == runs[1].best_bound


def test_a_start_better_than_the_exact_core_survives_the_exact_phase() -> None:
    """A block's second round starts from its compact allocation: the exact core's
    allocation (no compactness) must not replace it."""
    from solver.synthetic import grid_landscape

    land = grid_landscape(20, 20, seed=6)
    s = Scenario.from_dict({"weights": {"compactness": 3.0},
                            "solver": {"time_limit_s": 10.0, "workers": 1}})
    model = AllocationModel(build_instance(land, s))
    core = exact_start(model.instance)
    compact, _ = run_search(model, s.solver)
    assert compact.objective_units > model.objective_units(core)  # a better start exists
    search = _Search(time.monotonic(), 10.0)
    search.assignment, search.objective_units = compact.assignment, compact.objective_units
    _exact_phase(model, s.solver, search, [], None)
    assert np.array_equal(search.assignment, compact.assignment)
    assert search.objective_units == compact.objective_units
    assert search.flow_bound is not None  # the core still ran and gave its bound


def test_models_too_large_for_the_search_keep_the_exact_core_answer(monkeypatch) -> None:
    """Above MAX_SEARCH_PAIRS (Wuhan at 30 m) the compactness search is skipped: the exact
    core's allocation comes back with its bound, and the phases say why."""
    import solver.model as model_module

    land = make_landscape(["built", "cropland", "forest", "cropland", "grassland", "forest"],
                          suit={"built": [90, 80, 10, 70, 20, 10]}, edges=grid_edges(2, 3))
    s = Scenario.from_dict({"weights": {"compactness": 10.0},
                            "farmland": {"quota_pct": 0.0, "balance": False},
                            "ecology": {"min_ecological_pct": 0.0},
                            "conversion": {"max_changed_pct": 100.0},
                            "solver": {"time_limit_s": 5.0}})
    monkeypatch.setattr(model_module, "MAX_SEARCH_PAIRS", 1)
    search, phases = run_search(AllocationModel(build_instance(land, s)), s.solver)
    assert "compact skipped: too large" in phases
    assert search.assignment is not None and check_allocation(land, s, search.assignment) == []
    assert search.bound_units() >= search.objective_units


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grids(), st.integers(0, 2**16))
def test_the_price_line_search_only_lowers_the_bound_and_keeps_it_valid(case: tuple,
                                                                        seed: int) -> None:
    priced = randomly_priced(case, seed)
    if priced is None:
        return
    dual, best, sq = priced
    before = dual.evaluate()
    after = dual._line_search_prices(before, best + sq)
    assert after <= before + 1e-9 * abs(before)
    assert after - sq >= best - 1
    assert after == pytest.approx(dual.evaluate(), rel=1e-12)  # prices and labels agree


def test_a_binding_row_left_unpriced_gets_its_price_from_the_line_search() -> None:
    """At zero prices the forests build less than the growth target: the bound is loose
    until that row is priced, which the line search does in one call."""
    from solver.synthetic import grid_landscape

    land = grid_landscape(20, 20, seed=6)
    built = float(land.area_ha[land.current == land.class_index("built")].sum())
    s = Scenario.from_dict({"growth": {"min_new_built_ha": round(GROWTH_SHARE * built, 1),
                                       "only_inside_boundary": False},
                            "weights": {"compactness": 3.0},
                            "solver": {"time_limit_s": 10.0, "workers": 1}})
    inst = build_instance(land, s)
    start = exact_start(inst)
    assert start is not None and check_allocation(land, s, start) == []
    primal = inst.units_of(start) + inst.status_quo_units
    dual = PottsDual(inst)
    growth = next(k for k, t in enumerate(inst.targets)
                  if t.key.startswith("growth.min_new_built"))
    before = dual.evaluate()
    after = dual._line_search_prices(before, primal)
    assert dual.rows.price[growth] > 0
    assert primal - 1 <= after < before
