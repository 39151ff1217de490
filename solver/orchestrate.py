"""From a scenario to a typed result: the top of the solver package.

``solve`` (one period) and ``solve_periods`` (several, jointly) build the model, run the one
search (``solver.model.run_search``), explain an infeasible scenario (``solver.explain``,
``solver.period_explain``) and assemble the result. Every other solver module sits below this
one and none imports it (``tests/solver/test_layers.py`` checks that the package has no import
circle), so the explanation may re-solve through the search without importing back up.
"""

from __future__ import annotations

import time

import numpy as np

from solver.config import ProgressEvent
from solver.explain import Explanation, explain_infeasibility
from solver.instance import Instance, build_instance
from solver.landscape import Landscape
from solver.model import AllocationModel, ProgressFn, _Search, run_search, search_status
from solver.period_explain import PeriodExplanation, explain_periods
from solver.period_model import PeriodModel, build_period_model, period_hint
from solver.period_start import PhasedStart, phased_start
from solver.periods import PeriodScenario
from solver.result import (
    AllocationResult,
    PeriodResult,
    Status,
    area_tables,
    changed_in_period,
    period_of_change,
    relative_gap,
)
from solver.scenario import Scenario
from solver.validate import term_values
from wording import both

START_SHARE = 0.8  # of the time limit for the phased start and bound (solver.period_start)


# ----- one period -------------------------------------------------------------------------
def _valid_hint(hint: np.ndarray | AllocationResult | None, n: int) -> np.ndarray | None:
    if isinstance(hint, AllocationResult):
        hint = hint.assignment
    if hint is None:
        return None
    hint = np.asarray(hint)
    return hint.astype(np.int64) if hint.shape == (n,) else None


def solve(landscape: Landscape, scenario: Scenario,
          hint: np.ndarray | AllocationResult | None = None,
          on_progress: ProgressFn | None = None) -> AllocationResult:
    """Optimise land use of ``landscape`` under ``scenario``.

    Parameters
    ----------
    landscape : Landscape
    scenario : Scenario
        Levers, weights and solver settings (``scenario.solver.time_limit_s`` always applies).
    hint : array or AllocationResult, optional
        A previous assignment (e.g. the last scenario's result) to warm-start from.
    on_progress : callable, optional
        Called with a :class:`~solver.config.ProgressEvent` at each new incumbent or bound.

    Returns
    -------
    AllocationResult
        Status, objective and bound (points), gap, assignment (OPTIMAL/FEASIBLE only),
        breakdowns, and an explanation when the levers contradict (INFEASIBLE).
    """
    t0 = time.monotonic()
    inst = build_instance(landscape, scenario)
    model = AllocationModel(inst)
    hint_arr = _valid_hint(hint, landscape.n_parcels)
    search, phases = run_search(model, scenario.solver, hint_arr, on_progress)
    status = search_status(search)
    explanation = None
    if status == Status.INFEASIBLE:
        # the rest of the time limit, at least 10 s: small cases end in well under a second,
        # while at millions of parcels one verifying re-solve takes about a minute
        left = scenario.solver.time_limit_s - (time.monotonic() - t0)
        explanation = explain_infeasibility(landscape, scenario, max(10.0, left), inst)
    result = build_result(model, search, status, phases, time.monotonic() - t0, explanation)
    if on_progress is not None:
        on_progress(ProgressEvent("done", result.wall_time_s, result.objective,
                                  result.best_bound, result.gap, scenario.solver.time_limit_s))
    return result


def build_result(model: AllocationModel, search: _Search, status: Status, phases: list[str],
                 wall: float, explanation: Explanation | None) -> AllocationResult:
    """Assemble the typed result; the assignment only for OPTIMAL / FEASIBLE."""
    inst = model.instance
    land = inst.landscape
    common = _search_fields(model, search, status, phases, wall, explanation, "solve")
    a = common["assignment"]
    by_class, by_region = area_tables(land, a)
    changed = (a != land.current) if a is not None else np.zeros(land.n_parcels, bool)
    return AllocationResult(
        **common, n_parcels=land.n_parcels, n_mutable=int(inst.mutable.sum()),
        terms=term_values(land, inst.scenario, a) if a is not None else {},
        area_by_class_ha=by_class, area_by_region_class_ha=by_region,
        changed_parcels=int(changed.sum()),
        changed_area_ha=round(float(land.area_ha[changed].sum()), 4),
        targets=target_table(inst, a))


def _search_fields(model: AllocationModel, search: _Search, status: Status,
                   phases: list[str], wall: float,
                   explanation: Explanation | PeriodExplanation | None, words: str
                   ) -> dict:
    """The fields every result takes from the search: status, objective, bound and gap in
    points, times, the assignment (only with a solution), phases and the status message
    (the explanation's, or the catalogue's ``{words}_{status}``)."""
    scale = model.instance.obj_scale
    ok = status in (Status.OPTIMAL, Status.FEASIBLE)
    bound = search.bound_units()
    objective = search.objective_units / scale if ok else None
    best_bound = bound / scale if bound is not None and status != Status.INFEASIBLE else None
    if explanation is not None:
        msg_en, msg_zh = explanation.message_en, explanation.message_zh
    else:
        msg_zh, msg_en = both(f"{words}_{status}")
    return {"status": status, "objective": objective, "best_bound": best_bound,
            "gap": relative_gap(objective, best_bound) if ok else None, "wall_time_s": wall,
            "time_to_first_s": search.first_s if ok else None,
            "assignment": search.assignment if ok else None,
            "n_variables": model.n_variables, "n_constraints": model.n_constraints,
            "explanation": explanation,
            "lp_bound": search.lp_bound / scale if search.lp_bound is not None else None,
            "phases": tuple(phases), "message": msg_en, "message_zh": msg_zh}


def target_table(inst: Instance, assignment: np.ndarray | None) -> tuple[dict, ...]:
    """Met / unmet rows of every area lever (ha), for the summary and the CLI."""
    land, scale = inst.landscape, inst.area_scale
    rows = []
    for t in inst.targets:
        after = None if assignment is None else t.measure(land, inst.area, assignment)
        rows.append({
            "key": t.key, "label_zh": t.lever.label_zh, "label_en": t.lever.label_en,
            "min_ha": None if t.lo is None else t.lo / scale,
            "max_ha": None if t.hi is None else t.hi / scale,
            "before_ha": t.measure(land, inst.area, land.current) / scale,
            "after_ha": None if after is None else after / scale,
            "met": None if after is None else t.slack(after) == 0})
    return tuple(rows)


# ----- several periods, jointly ------------------------------------------------------------
def _solution_fields(land: Landscape, ps: PeriodScenario, a: np.ndarray | None) -> dict:
    if a is None:
        return {}
    tables = [area_tables(land, a[:, t]) for t in range(ps.n_periods)]
    terms = tuple(term_values(land, ps.scenario(t), a[:, t]) for t in range(ps.n_periods))
    return {
        "period_of_change": period_of_change(land.current, a),
        "period_objective": tuple(float(sum(v.weighted_points for v in tm.values()))
                                  for tm in terms),
        "period_terms": terms,
        "area_by_period_class_ha": tuple(c for c, _ in tables),
        "area_by_period_region_class_ha": tuple(r for _, r in tables),
        "changed_in_period_ha": changed_in_period(land, a),
    }


def build_period_result(model: PeriodModel, search: _Search, status: Status,
                        phases: list[str], wall: float,
                        explanation: PeriodExplanation | None) -> PeriodResult:
    """Assemble the typed result; assignment and per-period tables only with a solution."""
    land, ps = model.instance.landscape, model.ps
    common = _search_fields(model, search, status, phases, wall, explanation, "periods")
    if common["assignment"] is not None:
        common["assignment"] = common["assignment"].astype(np.int32)
    return PeriodResult(
        **common, period_names=ps.names, years=tuple(p.year for p in ps.periods),
        weights=tuple(p.weight for p in ps.periods), n_parcels=land.n_parcels,
        **_solution_fields(land, ps, common["assignment"]))


def solve_periods(landscape: Landscape, period_scenario: PeriodScenario,
                  on_progress: ProgressFn | None = None,
                  hint: np.ndarray | AllocationResult | None = None) -> PeriodResult:
    """Optimise land use of every period jointly (one model, ``solver.period_model``).

    Parameters
    ----------
    landscape : Landscape
    period_scenario : PeriodScenario
        Base levers, periods and their overrides; ``base.solver.time_limit_s`` always applies.
    on_progress : callable, optional
        Called with :class:`~solver.config.ProgressEvent` (objective = sum over periods).
    hint : array or AllocationResult, optional
        A single-period solution (n,) (e.g. of the final-period targets) or an (n, T) array.

    Returns
    -------
    PeriodResult
        Status, objective, bound, gap, assignment per period (n × T), per-period areas and
        objective terms, and a per-period/per-region explanation when infeasible.
    """
    t0 = time.monotonic()
    ps = period_scenario
    config = ps.base.solver
    model = build_period_model(landscape, ps)
    start = period_hint(landscape, ps.n_periods, hint)
    phased = PhasedStart(None, None)
    if any(inst.has_compactness for inst in model.instances):
        # CP-SAT is slow to find a good compact phased plan; build one period by period
        phased = phased_start(landscape, ps, START_SHARE * config.time_limit_s)
    plan = phased.plan
    search, phases = run_search(model, config, start if plan is None else plan,
                                       on_progress, plan, t0, phased.bound_units)
    if plan is not None:
        phases.insert(0, "phased_start")
    status = search_status(search)
    explanation = None
    if status == Status.INFEASIBLE:
        explanation = explain_periods(landscape, ps, min(config.time_limit_s, 10.0))
    result = build_period_result(model, search, status, phases, time.monotonic() - t0,
                                 explanation)
    if on_progress is not None:
        on_progress(ProgressEvent("done", result.wall_time_s, result.objective,
                                  result.best_bound, result.gap, config.time_limit_s))
    return result
