"""A feasible phased plan to start the joint multi-period search from, built period by period.

The joint model (``solver.period_model``) proves its bound with the LP, but CP-SAT took most of
a minute to find a good phased plan with compactness on the demo county. Periods share one
structure: targets are cumulative and built-up land stays built-up. So the last period is
solved alone with the single-period search (exact core, then the compactness search), and
each earlier period alone with new construction only where the later period builds:
built(t) ≤ built(t + 1) holds by construction. A first-period conversion cap is a conversion
budget of period 0 alone. Whatever the construction misses (e.g. caps between two periods)
the period validator catches; such a plan is not used.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from solver.instance import Instance, build_instance
from solver.landscape import Landscape
from solver.model import AllocationModel, run_search
from solver.period_validate import check_periods
from solver.periods import PeriodScenario
from solver.targets import floor_units

#: Large models bound each period alone by its own search, to half the usual gap: the
#: periods' gaps add up (demo county, 3 periods: 1.27 % at 1 % each).
ALONE_GAP_PCT = 0.5
PLAN_SOLVE_MIN_S = 3.0
PAIRS_PER_SECOND = 6_000.0


def _follow_later(inst: Instance, later: np.ndarray, built: int) -> Instance | None:
    """``inst`` with use ``built`` allowed only where ``later`` is built (None when some
    parcel is left without any use)."""
    allowed = inst.allowed.copy()
    allowed[later != built, built] = False
    if not allowed.any(axis=1).all():
        return None
    return replace(inst, allowed=allowed)


def _first_period_cap(inst: Instance, ps: PeriodScenario) -> Instance:
    cap = ps.periods[0].max_period_changed_pct
    if cap is None:
        return inst
    cap_units = floor_units(cap / 100.0 * int(inst.area.sum()))
    current = inst.limits.changed_max
    limit = cap_units if current is None else min(current, cap_units)
    return replace(inst, limits=replace(inst.limits, changed_max=limit))


@dataclass
class PhasedStart:
    """A phased plan (or None) and an upper bound of the joint objective (or None), both in
    the joint model's units (status quo 0 in every period)."""

    plan: np.ndarray | None
    bound_units: float | None


def _solve(inst: Instance, s, budget_s: float, gap_pct: float):

    config = replace(s.solver, time_limit_s=max(budget_s, 0.2), target_gap_pct=gap_pct)
    search, _ = run_search(AllocationModel(inst), config)
    return search


def phased_start(landscape: Landscape, ps: PeriodScenario, budget_s: float) -> PhasedStart:
    """A phased plan built last period first, and the sum of the periods' own bounds.

    The plan: the last period solved alone, then each earlier period with new construction
    only where the later one builds; it must pass the period validator. The bound: every
    period's own rules are part of the joint model, so the weighted sum of bounds of the
    periods solved alone bounds the joint objective (the links between periods only cut it
    down); each period's bound is the LP of the period alone where that LP is cheap (tight:
    the demo's three sum to within 0.02 % of the joint LP), else its own search's bound.
    The LPs run in a thread beside the plan's solves.

    Parameters
    ----------
    landscape : Landscape
    ps : PeriodScenario
    budget_s : float
        Wall-clock seconds for all the solves together.

    Returns
    -------
    PhasedStart
    """
    t0 = time.monotonic()
    periods = ps.n_periods
    # the first-period conversion cap concerns period 0 alone: part of its own rules
    insts = [build_instance(landscape, ps.scenario(t)) for t in range(periods)]
    insts[0] = _first_period_cap(insts[0], ps)
    # the periods' LPs (HiGHS releases the GIL) run beside the plan's solves (CP-SAT, numba):
    # on 2 cores the bound costs no extra wall time
    with ThreadPoolExecutor(max_workers=1) as pool:
        lps = [pool.submit(_lp_bound, inst, budget_s / periods) for inst in insts]
        plan, last_bound = _plan(landscape, ps, insts, budget_s, t0)
        own = [job.result() for job in lps]
    own[-1] = _min(own[-1], last_bound)
    bounds = [b if b is not None else _search_bound(insts[t], ps.scenario(t),
                                                    budget_s - (time.monotonic() - t0))
              for t, b in enumerate(own)]
    if any(b is None for b in bounds):
        return PhasedStart(plan, None)
    weights = [p.weight for p in ps.periods]
    # the joint model rounds weight × coefficient once per term: exact for whole weights
    slack = sum(0.5 * _terms(inst) for w, inst in zip(weights, insts, strict=True)
                if float(w) != round(w))
    return PhasedStart(plan, sum(w * b for w, b in zip(weights, bounds, strict=True)) + slack)


def _plan(landscape: Landscape, ps: PeriodScenario, insts: list[Instance], budget_s: float,
          t0: float) -> tuple[np.ndarray | None, float | None]:
    """The plan (or None) and the bound the last period's own search proved."""
    periods = ps.n_periods
    left = budget_s - (time.monotonic() - t0)
    last = _solve(insts[-1], ps.scenario(periods - 1), min(left / periods, _cap(insts[-1])),
                  ps.scenario(periods - 1).solver.target_gap_pct)
    if last.assignment is None:
        return None, last.bound_units()
    left = budget_s - (time.monotonic() - t0)
    return _backward(landscape, ps, insts, last.assignment, left), last.bound_units()


def _cap(inst: Instance) -> float:
    """Seconds one period's plan solve may take at most: the demo's restricted first period
    (17k changeable pairs) found its best plan within 3 s and nothing better in 6 s; larger
    models get proportionally more. A plan period stopping short of its own gap target would
    otherwise hold the answer back when the limit is generous."""
    return max(PLAN_SOLVE_MIN_S, inst.changeable_pairs / PAIRS_PER_SECOND)


def _min(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)


def _lp_bound(inst: Instance, budget_s: float) -> float | None:
    """The LP bound of one period alone where that LP is cheap (else None)."""

    model = AllocationModel(inst)
    if model.too_large_for_lp:
        return None
    lp = model.solve_lp(max(budget_s, 0.5))
    return lp.bound_units if lp.status == "optimal" else None


def _search_bound(inst: Instance, s, budget_s: float) -> float | None:
    """The bound one period's own search proves (at least the exact core's, at once)."""
    return _solve(inst, s, max(budget_s, 0.2), ALONE_GAP_PCT).bound_units()


def _terms(inst: Instance) -> int:
    """Objective coefficients of one period (each rounded once in the joint model)."""
    return int(inst.mutable.sum()) * inst.allowed.shape[1] + int(inst.edge_reward.size)


def _backward(landscape: Landscape, ps: PeriodScenario, insts: list[Instance],
              last: np.ndarray, budget_s: float) -> np.ndarray | None:
    """The plan from the last period's allocation backwards (None if a step fails)."""
    t0 = time.monotonic()
    n, periods = landscape.n_parcels, ps.n_periods
    built = landscape.class_index("built")
    plan = np.empty((n, periods), np.int64)
    plan[:, -1] = later = last
    for t in reversed(range(periods - 1)):
        inst: Instance | None = insts[t]
        if built >= 0 and not ps.scenario(t + 1).conversion.allow_reclamation:
            inst = _follow_later(inst, later, built)
            if inst is None:
                return None
        left = budget_s - (time.monotonic() - t0)
        if left <= 0.2:
            return None
        search = _solve(inst, ps.scenario(t), min(left / max(t + 1, 1), _cap(inst)),
                        ps.scenario(t).solver.target_gap_pct)
        if search.assignment is None or search.proven_infeasible:
            return None
        plan[:, t] = later = search.assignment
    return plan if not check_periods(landscape, ps, plan) else None
