"""Trade-off sweeps: which levers can be swept, which one binds, step values and the runner.

A sweep solves one scenario with one numeric lever set to each of a few values. It only says
something when the lever *binds*: between two values where the scenario stays feasible and
the optimum moves. :func:`choose_sweep` finds such a lever and range for a scenario from a
few quick probes (exact core, no compactness: feasibility does not depend on the objective
and the exact core answers in well under a second on the demo and on Wuhan at 300 m).

No Streamlit here: the runner takes a solve function and a callback.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from solver import Landscape
from solver.scenario import LeverSpec, Scenario, ScenarioError, lever_specs

#: Levers tried for the default sweep, in this order, with the direction that tightens them
#: (+1: a higher value asks more, e.g. more new construction; −1: a lower value asks more).
BINDING_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("growth.min_new_built_ha", +1), ("farmland.quota_pct", +1),
    ("ecology.min_ecological_pct", +1), ("conversion.max_changed_pct", -1),
)
PROBE_TIME_S = 5.0          # time limit of one probe solve
EDGE_STEPS = 6              # bisection steps towards the feasibility edge
MAX_DOUBLINGS = 10          # expansion steps before giving up on finding the edge
FLAT_REL_TOL = 1e-3         # objective changes below this share are "the same optimum"
PLAN_BUDGET_S = 45.0        # the lever search gives up after this long (large stores)


@dataclass
class SweepPoint:
    """One step of a sweep.

    ``values`` holds the whole-area indicator values (empty without a solution); ``error``
    the reason a step could not be built (e.g. a value the scenario refuses); ``note_zh`` /
    ``note_en`` why a step has no solution (the solver's explanation of the conflict).
    """

    value: float
    scenario: Scenario | None
    status: str
    gap: float | None = None
    wall_time_s: float = 0.0
    assignment: np.ndarray | None = None
    values: dict[str, float] = field(default_factory=dict)
    error: str = ""
    objective: float | None = None
    note_zh: str = ""
    note_en: str = ""

    @property
    def feasible(self) -> bool:
        return self.assignment is not None

    def note(self, lang: str) -> str:
        """Why this step has no solution, in ``lang`` ('' for solved steps)."""
        text = self.note_zh if lang == "zh" else self.note_en
        return text or self.error


@dataclass(frozen=True)
class SweepPlan:
    """A lever and range to sweep, and what the probes found.

    Attributes
    ----------
    key : str
        Dotted lever key.
    lo, hi : float
        Sweep range (both ends feasible when ``binds``).
    binds : bool
        The optimum moves between ``lo`` and ``hi`` (False: a fallback range, nothing binds).
    objective_lo, objective_hi : float or None
        Probe objectives (points, no compactness) at the two ends.
    edge : float or None
        First lever value found infeasible beyond ``hi`` (None when not searched or not found).
    eased : dict
        Other levers set to their tightest feasible value because the scenario as given is
        infeasible (``{key: value}``; empty when it is feasible). The sweep starts from
        :meth:`base`.
    """

    key: str
    lo: float
    hi: float
    binds: bool
    objective_lo: float | None = None
    objective_hi: float | None = None
    edge: float | None = None
    eased: dict[str, float] = field(default_factory=dict)
    timed_out: bool = False

    def base(self, scenario: Scenario) -> Scenario:
        """``scenario`` with the eased levers applied (the scenario every step starts from)."""
        for key, value in self.eased.items():
            scenario = scenario.with_value(key, value)
        return scenario


def numeric_levers() -> list[LeverSpec]:
    """The levers a sweep may step: those whose scenario field declares a ``sweep``
    (plain numbers of the planning sections; no per-region tables, no solver knobs)."""
    return [spec for spec in lever_specs() if spec.sweep is not None]


def lever_value(scenario: Scenario, key: str) -> float:
    """Current value of a dotted numeric lever."""
    section, name = key.split(".", 1)
    return float(getattr(getattr(scenario, section), name))


def default_range(scenario: Scenario, spec: LeverSpec) -> tuple[float, float]:
    """The lever's typical range (declared on its field), else a range around the scenario's
    value; inside the lever's valid bounds."""
    typical = spec.sweep.typical if spec.sweep is not None else None
    if typical is not None:
        lo, hi = typical
    else:
        value = lever_value(scenario, spec.key)
        span = abs(value) * 0.5 if value else (10.0 if spec.hi is None else (spec.hi - spec.lo) / 4)
        lo, hi = value - span, value + span
    lo = max(lo, spec.lo)
    return lo, hi if spec.hi is None else min(hi, spec.hi)


def step_values(lo: float, hi: float, n: int) -> list[float]:
    """``n`` evenly spaced lever values from ``lo`` to ``hi`` (both included), tidily rounded.

    Raises
    ------
    ValueError
        When ``n < 1`` or ``hi < lo``.
    """
    if n < 1 or hi < lo:
        raise ValueError(f"need n ≥ 1 and lo ≤ hi, got n={n}, lo={lo}, hi={hi}")
    if n == 1 or hi == lo:
        return [float(lo)]
    step = (hi - lo) / (n - 1)
    decimals = max(0, 2 - int(math.floor(math.log10(step)))) if step > 0 else 2
    return [round(lo + i * step, decimals) for i in range(n)]


# ---- which lever binds ----------------------------------------------------------------------

Probe = Callable[[Scenario], "float | None"]


def objective_probe(landscape: Landscape, time_limit_s: float = PROBE_TIME_S) -> Probe:
    """``probe(scenario)``: its objective (points) without compactness, None when infeasible.

    Feasibility is checked first without building an explanation (an infeasible probe costs
    one proof, not the explanation's extra solves).
    """
    from solver.model import solve_quietly
    from solver.orchestrate import solve

    def probe(scenario: Scenario) -> float | None:
        quick = dataclasses.replace(
            scenario, weights=dataclasses.replace(scenario.weights, compactness=0.0))
        quick = quick.with_value("solver.time_limit_s", float(time_limit_s))
        if not solve_quietly(landscape, quick, time_limit_s):
            return None
        result = solve(landscape, quick)
        return result.objective if result.has_solution else None

    return probe


def objectives_differ(a: float | None, b: float | None, rel_tol: float = FLAT_REL_TOL) -> bool:
    """Whether two objectives are different optima (not rounding or search noise)."""
    if a is None or b is None:
        return False
    return abs(a - b) > rel_tol * max(1.0, abs(a), abs(b))


class _OutOfTime(Exception):
    """The lever search ran past its budget."""


def choose_sweep(base: Scenario, probe: Probe,
                 candidates: tuple[tuple[str, int], ...] = BINDING_CANDIDATES,
                 budget_s: float = PLAN_BUDGET_S) -> SweepPlan:
    """The first candidate lever that binds on ``base``, with a range where it does.

    For each candidate the range runs from its loose end (the typical range's end, or the
    scenario's own value when that is looser) to the tightest value that is still feasible
    (found by doubling, then bisection). The lever binds when the probe objective differs
    between the two ends. Without any binding lever the first candidate's typical range is
    returned with ``binds=False`` (the page then says why its curves are flat).

    When the scenario as given is infeasible and a candidate's own value is the cause (its
    loose end is feasible), that lever is eased to its tightest feasible value before the
    next candidate is tried (:attr:`SweepPlan.eased`), so a sweep still has feasible steps.
    After ``budget_s`` seconds of probing the search stops with the fallback range and
    ``timed_out=True``.
    """
    specs = {spec.key: spec for spec in numeric_levers()}
    eased: dict[str, float] = {}
    timed = _with_deadline(probe, time.monotonic() + budget_s)
    for key, tighten in candidates:
        if key not in specs:
            continue
        current = SweepPlan(key, 0.0, 0.0, False, eased=dict(eased)).base(base)
        try:
            plan, tightest = _binding_range(current, specs[key], tighten, timed)
        except _OutOfTime:
            return _fallback(base, specs, candidates, eased, timed_out=True)
        if plan is not None:
            return dataclasses.replace(plan, eased=dict(eased))
        value = lever_value(base, key)
        if tightest is not None and (value - tightest) * tighten > 0:
            eased[key] = tightest  # the given value is infeasible here: ease it, try the next
    return _fallback(base, specs, candidates, eased)


def _fallback(base: Scenario, specs: dict[str, LeverSpec],
              candidates: tuple[tuple[str, int], ...], eased: dict[str, float],
              timed_out: bool = False) -> SweepPlan:
    """The first candidate's typical range, when no lever was found to bind."""
    key = next(k for k, _ in candidates if k in specs)
    lo, hi = default_range(base, specs[key])
    return SweepPlan(key, lo, hi, binds=False, eased=eased, timed_out=timed_out)


def _with_deadline(probe: Probe, deadline: float) -> Probe:
    def timed(scenario: Scenario) -> float | None:
        if time.monotonic() > deadline:
            raise _OutOfTime
        return probe(scenario)

    return timed


def _within(spec: LeverSpec, value: float) -> float:
    value = max(spec.lo, value)
    return value if spec.hi is None else min(spec.hi, value)


def _at(base: Scenario, key: str, value: float, probe: Probe) -> float | None:
    try:
        return probe(base.with_value(key, value))
    except ScenarioError:
        return None


def _binding_range(base: Scenario, spec: LeverSpec, tighten: int, probe: Probe
                   ) -> tuple[SweepPlan | None, float | None]:
    """Loose end → feasibility edge of one lever if the optimum moves between them, and the
    tightest feasible value found (None when even the loose end is infeasible)."""
    typical = default_range(base, spec)
    value = lever_value(base, spec.key)
    loose = min(typical[0], value) if tighten > 0 else max(typical[1], value)
    loose = _within(spec, loose)
    at_loose = _at(base, spec.key, loose, probe)
    if at_loose is None:
        return None, None  # infeasible even at the loose end: this lever cannot be the one
    tight, at_tight, edge = _feasibility_edge(base, spec, tighten, loose, value, probe)
    if not objectives_differ(at_loose, at_tight):
        return None, tight
    lo, hi = sorted((loose, tight))
    plan = SweepPlan(spec.key, lo, hi, True, at_loose if tighten > 0 else at_tight,
                     at_tight if tighten > 0 else at_loose, edge)
    return plan, tight


def _feasibility_edge(base: Scenario, spec: LeverSpec, tighten: int, loose: float,
                      value: float, probe: Probe) -> tuple[float, float | None, float | None]:
    """Tightest feasible value from ``loose`` (with its objective) and the first infeasible."""
    ok, at_ok, bad = loose, _at(base, spec.key, loose, probe), None
    step = max(abs(value - loose), abs(loose) * 0.25, 1.0)
    for _ in range(MAX_DOUBLINGS):
        trial = _within(spec, ok + tighten * step)
        if trial == ok:
            break
        objective = _at(base, spec.key, trial, probe)
        if objective is None:
            bad = trial
            break
        ok, at_ok, step = trial, objective, step * 2
    if bad is None:
        return ok, at_ok, None
    for _ in range(EDGE_STEPS):
        mid = _tidy((ok + bad) / 2, abs(bad - ok))
        if mid in (ok, bad):
            break
        objective = _at(base, spec.key, mid, probe)
        if objective is None:
            bad = mid
        else:
            ok, at_ok = mid, objective
    return ok, at_ok, bad


def _tidy(value: float, width: float) -> float:
    """``value`` rounded to about a tenth of ``width`` (sweep ends people can read)."""
    if width <= 0:
        return value
    decimals = max(0, 1 - int(math.floor(math.log10(width))))
    return round(value, decimals)


# ---- the runner -----------------------------------------------------------------------------

SolveFn = Callable[[Scenario, "np.ndarray | None"], Any]
EvaluateFn = Callable[[Scenario, Any], dict[str, float]]
StepCallback = Callable[[int, int, SweepPoint], None]


def run_sweep(base: Scenario, key: str, values: list[float], solve: SolveFn,
              evaluate: EvaluateFn | None = None, on_step: StepCallback | None = None
              ) -> list[SweepPoint]:
    """Solve ``base`` with ``key`` set to each of ``values`` in turn.

    Parameters
    ----------
    base : Scenario
        The scenario every step starts from.
    key : str
        Dotted lever key, e.g. ``"farmland.quota_pct"``.
    values : list of float
        Lever values, solved in this order.
    solve : callable
        ``solve(scenario, hint) -> AllocationResult``; ``hint`` is the previous feasible step's
        assignment (None at first), so neighbouring steps warm-start each other.
    evaluate : callable, optional
        ``evaluate(scenario, result) -> {indicator: value}`` for feasible steps.
    on_step : callable, optional
        ``on_step(index, n, point)`` after each step (progress bars).

    Returns
    -------
    list of SweepPoint
        One per value; infeasible or unsolved steps have ``feasible == False`` and say why
        (``note_zh`` / ``note_en``).
    """
    points, hint = [], None
    for i, value in enumerate(values):
        point = _solve_step(base, key, value, hint, solve, evaluate)
        if point.feasible:
            hint = point.assignment
        points.append(point)
        if on_step is not None:
            on_step(i, len(values), point)
    return points


def _solve_step(base: Scenario, key: str, value: float, hint: np.ndarray | None,
                solve: SolveFn, evaluate: EvaluateFn | None) -> SweepPoint:
    try:
        scenario = base.with_value(key, value)
    except ScenarioError as exc:  # e.g. min above max: reported like an infeasible step
        return SweepPoint(value, None, "INVALID", error=str(exc), note_zh=str(exc),
                          note_en=str(exc))
    result = solve(scenario, hint)
    point = SweepPoint(value, scenario, str(result.status), result.gap, result.wall_time_s,
                       objective=getattr(result, "objective", None))
    if result.has_solution:
        point.assignment = np.asarray(result.assignment)
        point.values = evaluate(scenario, result) if evaluate is not None else {}
    else:
        point.note_zh, point.note_en = _why_unsolved(result)
    return point


def _why_unsolved(result: Any) -> tuple[str, str]:
    """The conflict behind a step without solution: the explanation, else the solver's line."""
    explanation = getattr(result, "explanation", None)
    if explanation is not None:
        return (" ".join(str(explanation.message_zh).split()),
                " ".join(str(explanation.message_en).split()))
    return str(getattr(result, "message_zh", "") or ""), str(getattr(result, "message", "") or "")


def infeasible_values(points: list[SweepPoint]) -> list[float]:
    """Lever values of the steps without a solution."""
    return [p.value for p in points if not p.feasible]


def is_flat(points: list[SweepPoint], rel_tol: float = FLAT_REL_TOL) -> bool:
    """Whether every solved step has the same optimum (within the steps' proven gaps).

    A flat sweep means the lever does not bind anywhere in the range: the optimum already
    satisfies each value, so the curves are flat lines.
    """
    solved = [p for p in points if p.feasible and p.objective is not None]
    if len(solved) < 2:
        return False
    values = np.array([p.objective for p in solved], dtype=float)
    gap = max((p.gap or 0.0) for p in solved)
    tol = max(rel_tol, gap) * max(1.0, float(np.abs(values).max()))
    return float(values.max() - values.min()) <= tol
