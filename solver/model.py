"""CP-SAT allocation model, its LP relaxation, and the LP-guided solve.

Solve strategy (all phases share one wall-clock limit, ``scenario.solver.time_limit_s``):

0. **Exact core** (``solver.exact``): the nested area targets as a min-cost flow, side rows
   priced by Lagrangian multipliers, split parcels closed by CP-SAT. Without compactness this
   usually ends the search at a proven gap of ≈ 0; it also proves infeasibility.
1. **LP relaxation** of the identical model (HiGHS through ``scipy.optimize.linprog``,
   at most 40 % of the time limit). Its optimum is a proven upper bound; if it is
   infeasible, so is the allocation problem. If it does not finish (large models with
   compactness), the LP without the compactness difference rows is solved instead: cheaper,
   weaker, still a valid bound.
2. **Restricted CP-SAT**: parcels whose LP values are integral are fixed to that use, the
   fractional rest is solved exactly by CP-SAT, hinted with the rounded LP. Any solution is
   feasible for the full model; its gap is measured against the LP bound.
3. **Full CP-SAT** (only if the gap is still above ``target_gap_pct``), hinted with the best
   solution so far (or the caller's hint, or the status quo), ``linearization_level=2``;
   the gap uses min(CP-SAT bound, LP bound).

The objective is in integer units (``OBJ_SCALE`` per point) and 0 at the status quo.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from ortools.sat.python import cp_model
from scipy.optimize import linprog

from solver.compact import CompactOutcome, compact_search
from solver.config import ProgressEvent, SolverConfig
from solver.exact import exact_phase
from solver.instance import OBJ_SCALE, Instance, build_instance
from solver.landscape import Landscape
from solver.result import Status, relative_gap
from solver.rules import (
    AllocationVars,
    Compactness,
    LinearBuilder,
    RelaxedCompactness,
    Rule,
    build_program,
    default_rules,
)
from solver.scenario import Scenario

ProgressFn = Callable[[ProgressEvent], None]
LP_INTEGRAL_TOL = 1e-6
#: Changeable (parcel, use) pairs above which only the exact core runs: the LP and CP-SAT
#: phases hold the whole program (Wuhan at 30 m: 19 million pairs, 4 GB to build, and the LP
#: went past 20 GB). Solves above it end with the exact core's allocation and proven bound.
MAX_SEARCH_PAIRS = 8_000_000
#: Changeable pairs above which the LP with compactness rows is not tried after the
#: compactness search: HiGHS did not finish it in 12 s on Wuhan at 300 m (140k pairs) and
#: took about 1 s on the demo county.
MAX_LP_PAIRS = 100_000
#: Changeable pairs above which the LP without compactness is not tried after the exact
#: core: on Wuhan at 120 m (194,023 changeable cells) HiGHS did not finish it in 34 s, and a 30 s
#: solve with a demand table ran 47.6 s and 2.4 GB waiting for it.
MAX_LINEAR_LP_PAIRS = 500_000
#: CP-SAT's deterministic-time budget of one compactness polish window: ~3 s of wall time
#: for 1,000 Wuhan cells on the 2-core machine.
WINDOW_DETERMINISTIC_S = 5.0
OPTIMAL_GAP = 1e-5  # proven within 0.001 % (the bound carries the flow's cost rounding) counts as optimal


@dataclass(frozen=True)
class LpOutcome:
    """LP relaxation result: status ('optimal' | 'infeasible' | 'unknown'), bound, values."""

    status: str
    bound_units: float | None
    values: np.ndarray | None
    wall_time_s: float


@dataclass(frozen=True)
class CpOutcome:
    """One CP-SAT run: status name, best assignment, objective and bound in units."""

    status: str
    assignment: np.ndarray | None
    objective_units: int | None
    bound_units: float | None
    first_solution_s: float | None
    wall_time_s: float


class AllocationModel:
    """The allocation problem of one :class:`~solver.instance.Instance` as an integer program.

    maximise   Σ_i Σ_c coef[i, c] x[i, c] + Σ_e w_e same_e − status_quo
    subject to Σ_c x[i, c] = 1 and the rules in ``solver.rules``.
    """

    def __init__(self, instance: Instance, rules: list[Rule] | None = None,
                 status_quo_zero: bool = True) -> None:
        self.instance, self.rules, self.status_quo_zero = instance, rules, status_quo_zero

    # The program is built on first use: the exact core works on the instance alone, and at
    # 5 million cells the program costs 4 GB and 20 s that a flow-only solve never needs.
    @cached_property
    def _program(self) -> tuple[LinearBuilder, AllocationVars]:
        return build_program(self.instance, self.rules)

    @cached_property
    def builder(self) -> LinearBuilder:
        return self._program[0]

    @cached_property
    def vars(self) -> AllocationVars:
        return self._program[1]

    @cached_property
    def offset_units(self) -> int:
        shift = self.instance.status_quo_units if self.status_quo_zero else 0
        return self.builder.offset - shift

    @property
    def too_large_for_search(self) -> bool:
        """Whether the LP and CP-SAT phases would not fit in memory (the exact core still
        runs: see :data:`MAX_SEARCH_PAIRS`)."""
        return self.instance.changeable_pairs > MAX_SEARCH_PAIRS

    @property
    def too_large_for_lp(self) -> bool:
        """Whether the LP with compactness rows is out of reach in seconds (see
        :data:`MAX_LP_PAIRS`)."""
        return self.instance.changeable_pairs > MAX_LP_PAIRS

    # ----- the interface the one search (``run_search``) works against ----------------------
    @property
    def uses_exact_core(self) -> bool:
        """The flow core applies to the allocation objective with the default rules only."""
        return self.rules is None

    def has_edge_vars(self) -> bool:
        return bool((self.vars.d >= 0).any())

    def relaxed(self) -> AllocationModel:
        """The model without compactness difference rows (a cheaper LP, still a valid bound)."""
        rules = [RelaxedCompactness() if isinstance(r, Compactness) else r
                 for r in (self.rules or default_rules())]
        return AllocationModel(self.instance, rules, self.status_quo_zero)

    def default_start(self) -> np.ndarray:
        """Where CP-SAT starts when no solution and no hint exist: the status quo."""
        return self.instance.landscape.current

    def restricted(self, fixed: np.ndarray) -> AllocationModel:
        """The same model with parcels ``fixed[i] >= 0`` fixed to that use."""
        return AllocationModel(self.instance.restrict(fixed), self.rules, self.status_quo_zero)

    @property
    def n_variables(self) -> int | None:
        """Variables of the program (None when it was never built)."""
        return self.builder.n_vars if self._built else None

    @property
    def n_constraints(self) -> int | None:
        return self.builder.n_rows if self._built else None

    @property
    def _built(self) -> bool:
        return "_program" in self.__dict__ or "builder" in self.__dict__

    def hint_vector(self, assignment: np.ndarray) -> np.ndarray:
        """Variable values (x and d) of an assignment; slack variables 0."""
        vec = self.vars.hint(assignment, self.builder.n_vars)
        e = self.instance.landscape.edges
        has = self.vars.d >= 0
        if has.any():
            vec[self.vars.d[has]] = assignment[e[has, 0]] != assignment[e[has, 1]]
        return vec

    def objective_units(self, assignment: np.ndarray) -> int:
        """Objective of an assignment in this program's units (slacks 0)."""
        values = self.hint_vector(assignment)
        return int(self.builder.objective() @ values) + self.offset_units

    # ----- LP relaxation ----------------------------------------------------------------
    def solve_lp(self, time_limit_s: float) -> LpOutcome:
        """Solve the LP relaxation; ``bound_units`` is a proven upper bound when optimal."""
        t0 = time.monotonic()
        if self.builder.n_vars == 0:
            return LpOutcome("unknown", None, None, 0.0)
        c, kwargs = _linprog_arrays(self.builder)
        res = linprog(-c / self.instance.obj_scale, method="highs",
                      options={"time_limit": max(time_limit_s, 0.1), "presolve": True}, **kwargs)
        wall = time.monotonic() - t0
        if res.status == 2:
            return LpOutcome("infeasible", None, None, wall)
        if res.status != 0 or res.x is None:
            return LpOutcome("unknown", None, None, wall)
        lp = -res.fun * self.instance.obj_scale + self.offset_units
        safe = lp + 1e-6 * max(abs(lp), self.instance.obj_scale)  # LP tolerances
        return LpOutcome("optimal", float(np.floor(safe)), res.x, wall)

    def lp_rounding(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(fixed, rounded): use of parcels integral in the LP (−1 otherwise), and argmax use."""
        x = self.vars.x
        score = np.where(x >= 0, values[np.maximum(x, 0)], -1.0)
        rounded = np.where(self.vars.fixed >= 0, self.vars.fixed, np.argmax(score, axis=1))
        integral = (self.vars.fixed < 0) & (score.max(axis=1) >= 1.0 - LP_INTEGRAL_TOL)
        return np.where(integral, rounded, -1), rounded

    # ----- CP-SAT -----------------------------------------------------------------------
    def to_cpsat(self) -> tuple[cp_model.CpModel, list[cp_model.IntVar]]:
        """The identical model as a CpModel (built row by row from the sparse matrix)."""
        m = cp_model.CpModel()
        ub = self.builder.upper().tolist()
        xs = [m.new_bool_var("") if u == 1 else m.new_int_var(0, u, "") for u in ub]
        _add_rows(m, xs, self.builder)
        obj = self.builder.objective()
        nz = np.flatnonzero(obj)
        expr = cp_model.LinearExpr.weighted_sum([xs[i] for i in nz], obj[nz].tolist())
        m.maximize(expr + self.offset_units)
        return m, xs

    def solve_cpsat(self, config: SolverConfig, time_limit_s: float,
                    hint: np.ndarray | None = None, external_bound: float | None = None,
                    on_progress: ProgressFn | None = None, phase: str = "cpsat",
                    clock: tuple[float, float] | None = None,
                    deterministic_s: float | None = None) -> CpOutcome:
        """Run CP-SAT; stop at the target gap measured against min(own bound, external).

        ``time_limit_s`` includes building the CpModel (large models take seconds);
        ``deterministic_s`` also caps CP-SAT's deterministic time (same inputs, same answer
        when it binds before the wall clock).
        """
        t_build = time.monotonic()
        m, xs = self.to_cpsat()
        # OR-Tools 9.15 aborts the process (CHECK heuristics.fixed_search) when a hinted model
        # is solved by interleaved workers without presolve and the search stops early or the
        # model is infeasible: interleaved solves start cold. The search keeps the earlier
        # phases' incumbent, so the answer never gets worse; one-worker solves keep the hint.
        if hint is not None and config.workers <= 1:
            for var, val in zip(xs, self.hint_vector(hint).tolist(), strict=True):
                m.add_hint(var, val)
        solver = cp_model.CpSolver()
        _set_parameters(solver.parameters, config, time_limit_s - (time.monotonic() - t_build))
        if deterministic_s is not None:
            solver.parameters.max_deterministic_time = deterministic_s
        # several workers: interleave them so the same inputs and seed give the same result
        solver.parameters.interleave_search = config.workers > 1
        scale = self.instance.obj_scale
        watcher = _Watcher(scale, config.target_gap_pct / 100.0, external_bound, on_progress,
                           phase, clock or (time.monotonic(), config.time_limit_s),
                           own_bound_is_global=phase != "restricted")
        status = solver.solve(m, watcher)
        return self._outcome(solver, status, watcher)

    def _outcome(self, solver: cp_model.CpSolver, status: int, w: _Watcher) -> CpOutcome:
        name = solver.status_name(status)
        assignment, obj, bound = None, None, None
        values = np.asarray(solver.response_proto.solution, dtype=np.int64)
        if name in ("OPTIMAL", "FEASIBLE") and values.size == self.builder.n_vars:
            assignment = self.vars.values(values).astype(np.int32)
            obj = int(round(solver.objective_value))
            bound = _plausible_bound(solver.best_objective_bound, obj)
        return CpOutcome(name, assignment, obj, bound, w.first_s, solver.wall_time)


def _plausible_bound(bound: float, objective: int) -> float | None:
    """CP-SAT's bound, or None when it cannot be one (e.g. a solve stopped inside presolve
    reports 0.0, below its own solution): never take such a number as a proof."""
    if not np.isfinite(bound) or bound < objective - 0.5:
        return None
    return float(bound)


def _linprog_arrays(b: LinearBuilder) -> tuple[np.ndarray, dict]:
    """Objective vector and linprog keyword arrays (A_ub, b_ub, A_eq, b_eq, bounds)."""
    a = b.matrix().astype(float).tocsr()
    lb, ub = b.bounds()
    eq = lb == ub
    upper, lower = ~eq & np.isfinite(ub), ~eq & np.isfinite(lb)
    kwargs: dict = {"bounds": np.column_stack([np.zeros(b.n_vars), b.upper().astype(float)])}
    if eq.any():
        kwargs["A_eq"], kwargs["b_eq"] = a[eq], ub[eq]
    if upper.any() or lower.any():
        kwargs["A_ub"] = sp.vstack([a[upper], -a[lower]]).tocsr()
        kwargs["b_ub"] = np.concatenate([ub[upper], -lb[lower]])
    return b.objective().astype(float), kwargs


def _add_rows(m: cp_model.CpModel, xs: list, b: LinearBuilder) -> None:
    a = b.matrix()
    lb, ub = b.bounds()
    one = np.zeros(b.n_rows, bool)
    for ids in b.exactly_one:
        one[ids] = True
    ptr, cols, vals = a.indptr.tolist(), a.indices.tolist(), a.data.tolist()
    lbl, ubl, onel = lb.tolist(), ub.tolist(), one.tolist()
    weighted = cp_model.LinearExpr.weighted_sum
    for r in range(b.n_rows):
        s, e = ptr[r], ptr[r + 1]
        if onel[r]:
            m.add_exactly_one([xs[c] for c in cols[s:e]])
            continue
        expr = weighted([xs[c] for c in cols[s:e]], vals[s:e])
        if lbl[r] == ubl[r]:
            m.add(expr == int(lbl[r]))
        elif np.isfinite(lbl[r]) and np.isfinite(ubl[r]):
            m.add_linear_constraint(expr, int(lbl[r]), int(ubl[r]))
        elif np.isfinite(lbl[r]):
            m.add(expr >= int(lbl[r]))
        else:
            m.add(expr <= int(ubl[r]))


def _set_parameters(p: object, config: SolverConfig, time_limit_s: float) -> None:
    p.max_time_in_seconds = max(time_limit_s, 0.05)
    p.num_workers = config.workers
    p.random_seed = config.seed
    p.linearization_level = 2  # keeps the compactness rows in CP-SAT's LP (PERFORMANCE.md)
    p.relative_gap_limit = config.target_gap_pct / 100.0
    p.cp_model_presolve = False  # with 2 workers, presolve weakened the LP bound 10x (measured)


class _Watcher(cp_model.CpSolverSolutionCallback):
    """Records the first-solution time, reports progress, stops at the target gap."""

    def __init__(self, scale: int, target: float, external_bound: float | None,
                 on_progress: ProgressFn | None, phase: str, clock: tuple[float, float],
                 own_bound_is_global: bool = True) -> None:
        super().__init__()
        self.scale, self.target, self.external = scale, target, external_bound
        self.own_global = own_bound_is_global
        self.on_progress, self.phase = on_progress, phase
        self.t0, self.limit = clock
        self.first_s: float | None = None

    def on_solution_callback(self) -> None:
        elapsed = time.monotonic() - self.t0
        if self.first_s is None:
            self.first_s = elapsed
        own, ext = self.best_objective_bound, self.external
        if own < self.objective_value - 0.5:  # not a bound (e.g. reported before presolve ends)
            own = float("inf")
        obj = self.objective_value / self.scale
        # a restricted model's own bound is not a bound of the full problem: report the
        # external (LP) bound only, but stop once the restricted problem itself is closed
        shown = min(own, ext) if ext is not None and self.own_global else (
            ext if ext is not None else (own if self.own_global else None))
        bnd = shown / self.scale if shown is not None and np.isfinite(shown) else None
        gap = relative_gap(obj, bnd)
        if self.on_progress is not None:
            self.on_progress(ProgressEvent(self.phase, elapsed, obj, bnd, gap, self.limit))
        stop_gap = relative_gap(obj, min(own, ext if ext is not None else own) / self.scale)
        if stop_gap is not None and np.isfinite(stop_gap) and stop_gap <= self.target:
            self.stop_search()


# ----- the public solve -------------------------------------------------------------------
@dataclass
class _Search:
    """Best solution and bounds collected over the phases of one solve."""

    t0: float
    limit: float
    assignment: np.ndarray | None = None
    objective_units: int | None = None
    lp_bound: float | None = None
    cp_bound: float | None = None
    flow_bound: float | None = None
    dual_bound: float | None = None
    first_s: float | None = None
    proven_infeasible: bool = False
    model_invalid: bool = False
    dual: object | None = None  # the compactness bound's state (``solver.compact.PottsDual``)

    def remaining(self) -> float:
        return self.limit - (time.monotonic() - self.t0)

    def bound_units(self) -> float | None:
        known = [b for b in (self.lp_bound, self.cp_bound, self.flow_bound, self.dual_bound)
                 if b is not None]
        return min(known) if known else None

    def gap(self, scale: int) -> float | None:
        obj, bound = self.objective_units, self.bound_units()
        if obj is None or bound is None:
            return None
        return relative_gap(obj / scale, bound / scale)

    def offer(self, out: CpOutcome, full: bool) -> None:
        if out.first_solution_s is not None and self.first_s is None:
            self.first_s = out.first_solution_s
        if out.objective_units is not None and (
                self.objective_units is None or out.objective_units > self.objective_units):
            self.assignment, self.objective_units = out.assignment, out.objective_units
        best = self.objective_units
        if full and out.bound_units is not None and (best is None or out.bound_units >= best):
            self.cp_bound = out.bound_units
        self.proven_infeasible |= full and out.status == "INFEASIBLE"
        self.model_invalid |= out.status == "MODEL_INVALID"


def run_search(model: AllocationModel, config: SolverConfig, hint: np.ndarray | None = None,
               on_progress: ProgressFn | None = None, start: np.ndarray | None = None,
               clock_start: float | None = None, bound: float | None = None
               ) -> tuple[_Search, list[str]]:
    """Exact flow core → LP bound → restricted CP-SAT → full CP-SAT, stopping at the target
    gap (the flow core only for the allocation objective, not for slack models).

    ``start`` is a feasible assignment found beforehand (the incumbent to beat), ``bound`` a
    proven upper bound known beforehand (units); ``clock_start`` the ``time.monotonic()`` at
    which the time limit began (default: now).
    """
    search = _Search(time.monotonic() if clock_start is None else clock_start,
                     config.time_limit_s)
    if start is not None:
        search.assignment, search.objective_units = start, model.objective_units(start)
        search.first_s = time.monotonic() - search.t0
    search.dual_bound = bound
    phases: list[str] = []
    target = config.target_gap_pct / 100.0
    gap = search.gap(model.instance.obj_scale)
    if gap is not None and gap <= target:
        return search, phases
    if model.uses_exact_core:
        _exact_phase(model, config, search, phases, on_progress)
        gap = search.gap(model.instance.obj_scale)
        if search.proven_infeasible or (gap is not None and gap <= target):
            return search, phases
        if (not model.instance.has_compactness and search.assignment is not None
                and model.instance.changeable_pairs > MAX_LINEAR_LP_PAIRS):
            phases.append("lp skipped: too large")  # it would overrun the limit, not help
            return search, phases
        if model.instance.has_compactness and search.assignment is not None:
            if model.too_large_for_search:  # Wuhan 30 m: ~1 s per step, 9.7 GB, no gain
                phases.append("compact skipped: too large")
                return search, phases
            _compact_phase(model, config, search, phases, on_progress)
            gap = search.gap(model.instance.obj_scale)
            # when the subgradient stalls with time left, small models still have the LP
            # (its bound was tighter on the demo county); large ones end here
            if (gap is not None and gap <= target) or search.remaining() < (
                    0.2 * config.time_limit_s) or model.too_large_for_lp:
                return search, phases
    if model.too_large_for_search:
        phases.append("search skipped: too large")
        return search, phases
    rounded = _lp_phase(model, config, search, phases, on_progress)
    if search.proven_infeasible:
        return search, phases
    # without edge variables the relaxed LP is the same LP
    if (rounded is None and model.has_edge_vars()
            and search.remaining() > 0.3 * config.time_limit_s):
        rounded = _relaxed_lp_rounding(model, search, phases, on_progress)
        if search.proven_infeasible:
            return search, phases
    if rounded is not None and search.remaining() > 0.2:
        _restricted_phase(model, config, search, rounded, on_progress)
        phases.append("restricted")
    gap = search.gap(model.instance.obj_scale)
    if (gap is None or gap > target) and search.remaining() > 0.1:
        start = search.assignment if search.assignment is not None else hint
        start = start if start is not None else model.default_start()
        out = model.solve_cpsat(config, search.remaining(), start, search.lp_bound,
                                on_progress, "cpsat", (search.t0, search.limit))
        search.offer(out, full=True)
        phases.append("cpsat")
    return search, phases


def _exact_phase(model: AllocationModel, config: SolverConfig, search: _Search,
                 phases: list[str], on_progress: ProgressFn | None) -> None:
    """Flow, prices and CP-SAT residual (``solver.exact``); seeds the search."""
    compact = model.instance.has_compactness
    share = 0.3 if compact else 0.8
    out = exact_phase(model.instance, config, search.t0 + share * config.time_limit_s,
                      search.t0, compact, _solve_restricted,
                      last_resort=search.t0 + 0.9 * config.time_limit_s)
    phases.append("flow:infeasible" if out.infeasible else
                  f"flow:{out.flow_solves}x,residual:{out.residual_parcels}")
    if out.infeasible:
        search.proven_infeasible = True
        return
    # a start better than the core's stays (a block's second round starts from where the
    # compactness search and the whole-area repairs left it)
    if out.assignment is not None and (search.objective_units is None
                                       or out.objective_units > search.objective_units):
        search.assignment, search.objective_units = out.assignment, out.objective_units
        if search.first_s is None:
            search.first_s = out.first_s
    search.flow_bound = out.bound_units
    if on_progress is not None and out.objective_units is not None:
        scale = model.instance.obj_scale
        bound = search.bound_units()
        on_progress(ProgressEvent("flow", time.monotonic() - search.t0,
                                  out.objective_units / scale,
                                  None if bound is None else bound / scale,
                                  search.gap(scale), search.limit))


def _compact_phase(model: AllocationModel, config: SolverConfig, search: _Search,
                   phases: list[str], on_progress: ProgressFn | None) -> None:
    """Compactness search from the exact core's allocation (``solver.compact``)."""
    scale = model.instance.obj_scale

    def improved(out: CompactOutcome) -> None:
        if search.objective_units is None or out.objective_units > search.objective_units:
            search.assignment, search.objective_units = out.assignment, out.objective_units
        if out.bound_units is not None:
            search.dual_bound = out.bound_units
        if on_progress is not None:
            bound = search.bound_units()
            on_progress(ProgressEvent("compact", time.monotonic() - search.t0,
                                      search.objective_units / scale,
                                      None if bound is None else bound / scale,
                                      search.gap(scale), search.limit))

    def window(inst: Instance, free: np.ndarray, hint: np.ndarray, budget_s: float
               ) -> tuple[np.ndarray, int] | None:
        fixed = np.where(free, -1, hint).astype(np.int64)
        sub = AllocationModel(inst.restrict(fixed))
        out = sub.solve_cpsat(replace(config, workers=1, target_gap_pct=0.0), budget_s, hint,
                              None, None, "restricted", (search.t0, search.limit),
                              WINDOW_DETERMINISTIC_S)
        return None if out.assignment is None else (out.assignment, out.objective_units)

    core_s = time.monotonic() - search.t0  # what one flow repair will cost, about
    out = compact_search(model.instance, config, search.assignment,
                         search.t0 + 0.97 * config.time_limit_s, _solve_restricted, window,
                         improved, core_s)
    improved(out)
    search.dual = out.dual
    phases.append("compact:" + ",".join(out.log))


def _solve_restricted(inst: Instance, config: SolverConfig, budget_s: float, hint: np.ndarray,
                      t0: float) -> tuple[np.ndarray, int] | None:
    """CP-SAT on an instance with most parcels fixed (the exact phase's residual)."""
    out = AllocationModel(inst).solve_cpsat(config, budget_s, hint=hint, phase="restricted",
                                            clock=(t0, config.time_limit_s))
    return None if out.assignment is None else (out.assignment, out.objective_units)


def _relaxed_lp_rounding(model: AllocationModel, search: _Search, phases: list[str],
                         on_progress: ProgressFn | None) -> tuple[np.ndarray, np.ndarray] | None:
    """Fallback when the full LP is too slow: the LP without the compactness difference rows
    (cheap, nearly integral) gives a weaker but valid bound and guides the restricted solve."""
    relaxed = model.relaxed()
    lp = relaxed.solve_lp(0.3 * search.remaining())
    phases.append(f"lp_relaxed:{lp.status}")
    if lp.status == "infeasible":
        search.proven_infeasible = True
    if lp.status != "optimal":
        return None
    _record_lp_bound(model, search, lp.bound_units, on_progress)
    return relaxed.lp_rounding(lp.values)


def _record_lp_bound(model: AllocationModel, search: _Search, bound: float,
                     on_progress: ProgressFn | None) -> None:
    search.lp_bound = bound
    if on_progress is not None:
        elapsed = time.monotonic() - search.t0
        on_progress(ProgressEvent("lp", elapsed, None, bound / model.instance.obj_scale, None,
                                  search.limit))


def _lp_phase(model: AllocationModel, config: SolverConfig, search: _Search, phases: list[str],
              on_progress: ProgressFn | None) -> tuple[np.ndarray, np.ndarray] | None:
    lp = model.solve_lp(min(0.4 * config.time_limit_s, 0.6 * search.remaining()))
    phases.append(f"lp:{lp.status}")
    if lp.status == "infeasible":
        search.proven_infeasible = True
        return None
    if lp.status != "optimal":
        return None
    _record_lp_bound(model, search, lp.bound_units, on_progress)
    return model.lp_rounding(lp.values)


def _restricted_phase(model: AllocationModel, config: SolverConfig, search: _Search,
                      rounding: tuple[np.ndarray, np.ndarray],
                      on_progress: ProgressFn | None) -> None:
    fixed, rounded = rounding
    sub = model.restricted(fixed)
    # one worker: the LP leaves few fractional parcels, and one worker is deterministic
    out = sub.solve_cpsat(replace(config, workers=1), 0.6 * search.remaining(), rounded,
                          search.lp_bound,
                          on_progress, "restricted", (search.t0, search.limit))
    search.offer(out, full=False)


def search_status(search: _Search) -> Status:
    """The result status a finished search earned (OPTIMAL only within ``OPTIMAL_GAP``)."""
    if search.proven_infeasible:
        return Status.INFEASIBLE
    if search.model_invalid and search.assignment is None:
        return Status.MODEL_INVALID
    if search.assignment is None:
        return Status.UNKNOWN
    gap = search.gap(OBJ_SCALE)
    if gap is not None and gap <= OPTIMAL_GAP:  # CP-SAT's OPTIMAL may mean "gap limit met"
        return Status.OPTIMAL
    return Status.FEASIBLE


def solve_quietly(landscape: Landscape, scenario: Scenario, time_limit_s: float) -> bool:
    """Whether ``scenario`` has an allocation (found within ``time_limit_s``); no explanation."""
    config = replace(scenario.solver, time_limit_s=max(time_limit_s, 1.0))
    # feasibility does not depend on the objective: leave compactness out (exact core only)
    quiet = replace(scenario, solver=config, weights=replace(scenario.weights, compactness=0.0))
    model = AllocationModel(build_instance(landscape, quiet))
    search, _ = run_search(model, config)
    return search.assignment is not None and not search.proven_infeasible
