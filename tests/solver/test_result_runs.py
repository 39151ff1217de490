"""Settled vs interim answers, and two runs of one scenario combined (issue 15, item 2).

A result that stopped on its time limit is not the answer to its scenario: the dashboard
solves it again from that allocation and keeps the better run under the tighter bound.
"""

from __future__ import annotations

import pytest

from data.landscape import load_landscape
from data.presets import load_preset
from solver.result import Status, best_of_runs, is_settled
from solver.validate import check_allocation, objective_tolerance, objective_value
from tests.solver.helpers import solve_checked


@pytest.fixture(scope="module")
def land(demo_store):
    """The full demo county: large enough that compactness is not proven optimal in 1 s."""
    return load_landscape(demo_store)


def test_optimal_and_infeasible_answers_are_settled(land):
    growth = load_preset("growth").with_value("weights.compactness", 0.0)
    optimal = solve_checked(land, growth)
    assert optimal.status == Status.OPTIMAL and is_settled(optimal, 1.0)
    impossible = solve_checked(land, growth.with_value("farmland.quota_pct", 130.0))
    assert impossible.status == Status.INFEASIBLE and is_settled(impossible, 1.0)


def test_a_gap_above_the_target_is_interim_and_within_it_settled(land):
    scenario = (load_preset("growth").with_value("weights.compactness", 2.0)
                .with_value("solver.target_gap_pct", 0.0).with_value("solver.time_limit_s", 1.0))
    result = solve_checked(land, scenario)
    assert result.status == Status.FEASIBLE and result.gap > 0
    assert not is_settled(result, 0.0)
    assert is_settled(result, result.gap * 100)  # stopped because it was good enough
    assert not is_settled(result, result.gap * 100 - 1e-3)


def test_two_runs_combine_to_the_better_allocation_under_the_tighter_bound(land):
    scenario = (load_preset("growth").with_value("weights.compactness", 2.0)
                .with_value("solver.target_gap_pct", 0.0).with_value("solver.time_limit_s", 1.0))
    first = solve_checked(land, scenario)
    second = solve_checked(land, scenario.with_value("solver.time_limit_s", 3.0), hint=first)
    for a, b in ((first, second), (second, first)):
        both = best_of_runs(a, b)
        assert both.objective == max(first.objective, second.objective)
        assert both.best_bound == min(first.best_bound, second.best_bound)
        assert both.best_bound >= both.objective - 1e-6  # still a valid bound of this answer
        assert both.gap == pytest.approx(
            max(both.best_bound - both.objective, 0) / max(abs(both.objective), 1.0))
        assert both.gap <= min(first.gap, second.gap) + 1e-12
        assert check_allocation(land, scenario, both.assignment) == []
        assert abs(objective_value(land, scenario, both.assignment) - both.objective) \
            <= objective_tolerance(land)


def test_a_run_without_allocation_never_replaces_one_with_it(land):
    growth = load_preset("growth").with_value("weights.compactness", 0.0)
    found = solve_checked(land, growth)
    nothing = solve_checked(land, growth.with_value("farmland.quota_pct", 130.0))
    assert best_of_runs(found, nothing) is found
    assert best_of_runs(nothing, found) is found
