"""Allocation solver: scenario, integer instance, the one search, explanations, validator.

This package imports nothing else of the project (see docs/ARCHITECTURE.md); the command
line in ``solver/__main__.py`` is the only composition root that may read a parcel store.
"""

from typing import TYPE_CHECKING, Any

from solver.config import ProgressEvent, SolverConfig
from solver.landscape import Landscape
from solver.result import AllocationResult, Status
from solver.scenario import Scenario, ScenarioError

if TYPE_CHECKING:
    from solver.orchestrate import solve, solve_periods


def __getattr__(name: str) -> Any:
    # ``solve`` loads OR-Tools lazily, so the pure-numpy modules (scenario, instance, rules,
    # validate) import without it; e.g. the benchmark's HiGHS run cannot share a process
    # with OR-Tools (their bundled HiGHS symbols clash).
    if name in ("solve", "solve_periods"):
        from solver import orchestrate

        return getattr(orchestrate, name)
    raise AttributeError(f"module 'solver' has no attribute {name!r}")

__all__ = ["AllocationResult", "Landscape", "ProgressEvent", "Scenario", "ScenarioError",
           "SolverConfig", "Status", "solve", "solve_periods"]
