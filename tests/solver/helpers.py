"""Solve-and-validate helper used by every end-to-end test."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import numpy as np

from solver import solve
from solver.landscape import Landscape
from solver.result import AllocationResult, Status
from solver.scenario import Scenario
from solver.validate import check_allocation, objective_tolerance, objective_value


def solve_checked(land: Landscape, scenario: Scenario, **kwargs) -> AllocationResult:
    """Solve; when there is a solution assert the validator finds no violation and agrees."""
    result = solve(land, scenario, **kwargs)
    if result.status in (Status.OPTIMAL, Status.FEASIBLE):
        assert check_allocation(land, scenario, result.assignment) == []
        recomputed = objective_value(land, scenario, result.assignment)
        assert abs(recomputed - result.objective) <= objective_tolerance(land)
        assert result.best_bound is not None and result.best_bound >= result.objective - 1e-6
    else:
        assert result.assignment is None
    return result


def brute_force(land: Landscape, scenario: Scenario, classes: Iterable[int]) -> float | None:
    """Best objective over every assignment (of ``classes``) the validator accepts;
    None when none is valid."""
    best = None
    for combo in itertools.product(list(classes), repeat=land.n_parcels):
        a = np.array(combo)
        if not check_allocation(land, scenario, a):
            value = objective_value(land, scenario, a)
            best = value if best is None else max(best, value)
    return best


def feasible(result: AllocationResult) -> bool:
    return result.status in (Status.OPTIMAL, Status.FEASIBLE)


def uses(land: Landscape, result: AllocationResult) -> list[str]:
    return [land.class_keys[c] for c in np.asarray(result.assignment)]
