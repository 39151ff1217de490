"""The default sweep binds: lever choice from probes (fake and real), easing, flat sweeps."""

from __future__ import annotations

import numpy as np
import pytest

from data import sweep as sweeps
from data.landscape import load_landscape
from data.presets import load_preset
from tests.dashboard.test_compare import tiny_store


def probe_of(objective, feasible):
    """A probe from two plain functions of the scenario (what the real one answers)."""
    calls = []

    def probe(scenario):
        calls.append(scenario)
        return objective(scenario) if feasible(scenario) else None

    probe.calls = calls
    return probe


def growth(s):
    return s.growth.min_new_built_ha


def test_growth_binds_up_to_its_feasibility_edge():
    probe = probe_of(lambda s: 10 - growth(s) / 100, lambda s: growth(s) <= 1000)
    plan = sweeps.choose_sweep(load_preset("balanced"), probe)
    assert plan.key == "growth.min_new_built_ha" and plan.binds
    assert plan.lo == 0.0 and 900 <= plan.hi <= 1000 < plan.edge
    assert plan.objective_lo == 10 and plan.objective_hi == pytest.approx(10 - plan.hi / 100)
    assert plan.eased == {} and len(probe.calls) < 20


def test_a_lever_that_never_moves_the_optimum_is_skipped():
    # growth is free up to 1000 ha but never changes the objective; the quota does up to 104 %
    probe = probe_of(lambda s: 5 - s.farmland.quota_pct / 100,
                     lambda s: growth(s) <= 1000 and s.farmland.quota_pct <= 104)
    plan = sweeps.choose_sweep(load_preset("balanced"), probe)
    assert plan.key == "farmland.quota_pct" and plan.binds
    assert plan.lo == 90.0 and 100 <= plan.hi <= 104 < plan.edge


def test_an_infeasible_preset_is_eased_on_the_lever_that_breaks_it():
    # no new construction is possible at all (the Wuhan grid under 协调发展): growth is eased to
    # 0 and the next lever that binds is swept from there
    probe = probe_of(lambda s: 3 - s.farmland.quota_pct / 50,
                     lambda s: growth(s) == 0 and s.farmland.quota_pct <= 108)
    plan = sweeps.choose_sweep(load_preset("balanced"), probe)
    assert plan.eased == {"growth.min_new_built_ha": 0.0}
    assert plan.key == "farmland.quota_pct" and plan.binds
    assert plan.base(load_preset("balanced")).growth.min_new_built_ha == 0.0


def test_without_a_binding_lever_the_plan_says_so():
    plan = sweeps.choose_sweep(load_preset("balanced"), probe_of(lambda s: 1.0, lambda s: True))
    assert not plan.binds and plan.key == "growth.min_new_built_ha"


def point(value, objective, gap=0.0):
    return sweeps.SweepPoint(value, None, "OPTIMAL", gap, 0.1, np.zeros(2), {"x": objective},
                             objective=objective)


def test_flat_means_the_same_optimum_within_the_proven_gap():
    assert sweeps.is_flat([point(90, 1.0503), point(95, 1.0504, 0.01), point(100, 1.0502)])
    assert not sweeps.is_flat([point(0, 9.13), point(450, 8.08), point(900, 6.66)])
    assert not sweeps.is_flat([point(0, 9.13), sweeps.SweepPoint(5, None, "INFEASIBLE")])


def test_unsolved_steps_carry_the_conflict_in_both_languages():
    class Explanation:
        message_zh, message_en = "新增建设用地下限\n过高", "minimum new construction\ntoo high"

    class Result:
        status, gap, wall_time_s, objective, has_solution = "INFEASIBLE", None, 1.0, None, False
        explanation = Explanation()

    [p] = sweeps.run_sweep(load_preset("balanced"), "growth.min_new_built_ha", [5e4],
                           lambda s, h: Result())
    assert p.note("zh") == "新增建设用地下限 过高" and p.note("en").startswith("minimum new")


@pytest.mark.slow
def test_on_a_real_store_the_chosen_range_is_feasible_and_the_optimum_moves(tmp_path):
    from solver import solve

    land = load_landscape(tiny_store(tmp_path))
    base = load_preset("balanced")
    plan = sweeps.choose_sweep(base, sweeps.objective_probe(land))
    assert plan.binds
    start = plan.base(base).with_value("solver.time_limit_s", 10.0)
    values = sweeps.step_values(plan.lo, plan.hi, 3)
    points = sweeps.run_sweep(start, plan.key, values, lambda s, h: solve(land, s, hint=h))
    assert all(p.feasible for p in points)
    objectives = {round(p.objective, 2) for p in points}
    assert len(objectives) == 3 and not sweeps.is_flat(points), objectives


def test_the_lever_search_stops_at_its_budget():
    import time

    def slow(scenario):
        time.sleep(0.05)
        return 1.0

    started = time.monotonic()
    plan = sweeps.choose_sweep(load_preset("balanced"), slow, budget_s=0.2)
    assert plan.timed_out and not plan.binds and time.monotonic() - started < 1.0
