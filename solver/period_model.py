"""One joint model over all planning periods, solved with the single-period search.

Formulation (T periods, t = 0..T−1, every period t has its own full scenario ``s_t``):

* **Per period**: the single-period program of ``build_instance(landscape, s_t)`` — variables
  ``x[i, c, t]`` only for allowed pairs of parcels that can change in period t (others are
  constants), every rule of ``solver.rules`` (one use per parcel, farmland quota total and per
  region, 占补平衡, ecological minimum, growth min/max total and per region, expansion cap,
  conversion budget), all measured from the base-year use, i.e. targets are cumulative.
* **Built-up land stays built-up**: for t ≥ 1 with ``s_t.conversion.allow_reclamation`` off,
  ``built(i, t−1) ≤ built(i, t)`` for every parcel (a variable or a constant on each side).
  Together with the cumulative growth targets this phases growth: what is built by 2030
  counts towards (and stays in) the 2035 total.
* **Per-period conversion cap** (``max_period_changed_pct``): Σ_i area_i δ[i, t] ≤ cap_t with
  δ[i, t] ≥ x[i, c, t] − x[i, c, t−1] for every use c (δ = 1 when the use changes within the
  period); for t = 0 the change is measured from the base year directly (linear, no δ).
* **Objective**: Σ_t weight_t × (single-period objective of period t in points, 0 at the
  status quo). With the default weights 1 every period counts equally, which rewards reaching
  good land use early; lower the weight of early periods to value the end state more.
  Integer coefficients are ``rint(weight_t × coef)`` (exact for integer weights).

The model subclasses :class:`solver.model.AllocationModel` (its LP, CP-SAT conversion and
watcher are reused unchanged), and the one search (``solver.model.run_search``) runs the same
LP relaxation →
restricted CP-SAT → full CP-SAT phases with the same status/bound/gap reporting; the
restricted phase keeps every parcel that may become built-up free in every period, and the
LP fallback drops the compactness difference rows of every period. The time limit is the
base scenario's ``solver.time_limit_s`` (plus at most 10 s of infeasibility analysis, as for
one period). Assignments are (n, T) arrays of class indices.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from solver.instance import Instance, build_instance
from solver.landscape import Landscape
from solver.model import LP_INTEGRAL_TOL, AllocationModel, run_search
from solver.periods import PeriodScenario
from solver.result import AllocationResult
from solver.rules import (
    INF,
    AllocationVars,
    Compactness,
    LinearBuilder,
    RelaxedCompactness,
    SlackPenalty,
    build_program,
    constraint_rules,
    default_rules,
)

CAP_KEY = "period.max_period_changed_pct"


@dataclass(frozen=True)
class PeriodVars:
    """The variables of every period: one shifted :class:`AllocationVars` per period and the
    within-period change indicators δ (``delta[t][i]``, −1 where there is none)."""

    per: tuple[AllocationVars, ...]
    delta: tuple[np.ndarray, ...]
    d: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # see run_search

    def values(self, solution: np.ndarray) -> np.ndarray:
        """(n, T) assignment from a variable vector."""
        return np.column_stack([v.values(solution) for v in self.per])


def _use_terms(v: AllocationVars) -> tuple[np.ndarray, np.ndarray]:
    """(var, const): variable index of (i, c) or −1, and 1 where parcel i is fixed to c."""
    const = np.zeros(v.x.shape, np.int64)
    fixed = np.flatnonzero(v.fixed >= 0)
    const[fixed, v.fixed[fixed]] = 1
    return v.x, const


def _shift(v: AllocationVars, off: int) -> AllocationVars:
    return AllocationVars(x=np.where(v.x >= 0, v.x + off, -1), fixed=v.fixed,
                          d=np.where(v.d >= 0, v.d + off, -1))


def _append(out: LinearBuilder, b: LinearBuilder, t: int, weight: float) -> int:
    """Copy builder ``b`` (period t) into ``out`` with shifted indices; returns the var offset."""
    off_v, off_r = out.n_vars, out.n_rows
    out.var_ub += b.var_ub
    out.n_vars += b.n_vars
    out.rows += [(r + off_r, c + off_v, v) for r, c, v in b.rows]
    out.row_lb += b.row_lb
    out.row_ub += b.row_ub
    out.row_names += [f"{name}@{t}" for name in b.row_names]
    out.n_rows += b.n_rows
    out.exactly_one += [ids + off_r for ids in b.exactly_one]
    out.obj_cols += [c + off_v for c in b.obj_cols]
    out.obj_vals += [np.rint(weight * v).astype(np.int64) for v in b.obj_vals]
    out.slacks |= {f"{t}:{k}": s + off_v for k, s in b.slacks.items()}
    return off_v


class PeriodModel(AllocationModel):
    """The joint multi-period program (see the module docstring).

    Parameters
    ----------
    instances : tuple of Instance
        One single-period instance per period (same landscape).
    period_scenario : PeriodScenario
    soft : bool
        Slack mode for infeasibility analysis: every target (and period cap) is a soft goal,
        the objective is −Σ slack, period weights are ignored.
    relaxed : bool
        Compactness without difference rows (a weaker, cheaper LP; same variable layout).
    """

    def __init__(self, instances: tuple[Instance, ...], period_scenario: PeriodScenario,
                 soft: bool = False, relaxed: bool = False) -> None:
        self.instances, self.ps, self.soft = instances, period_scenario, soft
        self.instance = instances[-1]  # obj_scale, landscape for run_search
        self.rules, self.status_quo_zero = None, not soft
        weights = [1.0 if soft else p.weight for p in period_scenario.periods]
        self.builder = LinearBuilder()
        per, shift = [], 0.0
        for t, inst in enumerate(instances):
            rules = [*constraint_rules(soft=True), SlackPenalty()] if soft else default_rules()
            if relaxed:
                rules = [RelaxedCompactness() if isinstance(r, Compactness) else r for r in rules]
            b, v = build_program(inst, rules)
            per.append(_shift(v, _append(self.builder, b, t, weights[t])))
            shift += weights[t] * (b.offset - (0 if soft else inst.status_quo_units))
        self.builder.offset = int(round(shift))
        delta = self._link(tuple(per))
        self.vars = PeriodVars(tuple(per), delta)
        self.offset_units = self.builder.offset

    # ----- linking constraints ------------------------------------------------------------
    def _link(self, per: tuple[AllocationVars, ...]) -> tuple[np.ndarray, ...]:
        deltas = []
        for t in range(len(per)):
            if t > 0 and not self.ps.scenario(t).conversion.allow_reclamation:
                self._monotone_built(per[t - 1], per[t], t)
            deltas.append(self._period_cap(per, t))
        return tuple(deltas)

    def _monotone_built(self, prev: AllocationVars, cur: AllocationVars, t: int) -> None:
        """built(i, t−1) − built(i, t) ≤ 0, constants moved to the right-hand side."""
        built = self.instance.landscape.class_index("built")
        if built < 0:
            return
        (xp, cp), (xc, cc) = _use_terms(prev), _use_terms(cur)
        vp, vc = xp[:, built], xc[:, built]
        ub = cc[:, built] - cp[:, built]
        keep = np.flatnonzero((vp >= 0).astype(np.int64) > ub)  # drop rows that always hold
        rows, cols, vals = [], [], []
        for var, sign in ((vp, 1), (vc, -1)):
            sel = keep[var[keep] >= 0]
            rows.append(np.searchsorted(keep, sel))
            cols.append(var[sel])
            vals.append(np.full(sel.size, sign, np.int64))
        self.builder.add_rows(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
                              np.full(keep.size, -INF), ub[keep].astype(float),
                              f"monotone_built@{t}")

    def _period_cap(self, per: tuple[AllocationVars, ...], t: int) -> np.ndarray:
        """Area changing use within period t ≤ cap; returns δ variable indices (or −1)."""
        n = self.instance.landscape.n_parcels
        cap = self.ps.periods[t].max_period_changed_pct
        none = np.full(n, -1, np.int64)
        if cap is None:
            return none
        area = self.instances[t].area
        cap_units = int(np.floor(cap / 100.0 * int(area.sum()) + 1e-9))
        if t == 0:
            land = self.instance.landscape
            changed = np.arange(land.n_classes)[None, :] != land.current[:, None]
            expr = per[0].expr(changed * area[:, None])
            self._cap_row(expr.cols, expr.vals, expr.const, cap_units, t)
            return none
        return self._delta_cap(per[t - 1], per[t], area, cap_units, t)

    def _delta_cap(self, prev: AllocationVars, cur: AllocationVars, area: np.ndarray,
                   cap_units: int, t: int) -> np.ndarray:
        (xp, cp), (xc, cc) = _use_terms(prev), _use_terms(cur)
        movable = (prev.fixed < 0) | (cur.fixed < 0)
        delta = np.full(area.shape[0], -1, np.int64)
        delta[movable] = self.builder.add_vars(int(movable.sum()))
        # δ[i] − u_t(i, c) + u_{t−1}(i, c) ≥ c_t − c_{t−1}: only where u_t(i, c) can be 1
        pi, ci = np.nonzero(movable[:, None] & ((xc >= 0) | (cc == 1)))
        rows, cols, vals = [np.arange(pi.size)], [delta[pi]], [np.ones(pi.size, np.int64)]
        for x, sign in ((xc, -1), (xp, 1)):
            has = x[pi, ci] >= 0
            rows.append(np.flatnonzero(has))
            cols.append(x[pi, ci][has])
            vals.append(np.full(int(has.sum()), sign, np.int64))
        lb = (cc[pi, ci] - cp[pi, ci]).astype(float)
        self.builder.add_rows(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
                              lb, np.full(pi.size, INF), f"period_change@{t}")
        both_fixed = ~movable & (prev.fixed != cur.fixed)
        self._cap_row(delta[movable], area[movable], int(area[both_fixed].sum()), cap_units, t)
        return delta

    def _cap_row(self, cols: np.ndarray, vals: np.ndarray, const: int, cap_units: int,
                 t: int) -> None:
        cols, vals = np.asarray(cols, np.int64), np.asarray(vals, np.int64)
        if self.soft:  # expr − s ≤ cap
            s = int(self.builder.add_vars(1, ub=int(np.abs(vals).sum()) + abs(const) + 1)[0])
            self.builder.slacks[f"{t}:{CAP_KEY}"] = s
            cols, vals = np.append(cols, s), np.append(vals, -1)
            self.builder.obj_cols.append(np.array([s], np.int64))
            self.builder.obj_vals.append(np.array([-1], np.int64))
        zeros = np.zeros(cols.size, np.int64)
        self.builder.add_rows(zeros, cols, vals, np.array([-INF]),
                              np.array([float(cap_units - const)]), f"{CAP_KEY}@{t}")

    # ----- the AllocationModel interface used by run_search -------------------------------
    # ----- the search interface (see AllocationModel) ----------------------------------------
    @property
    def uses_exact_core(self) -> bool:
        return False  # the period links (built stays built, period caps) are not a flow

    def has_edge_vars(self) -> bool:
        return any(bool((v.d >= 0).any()) for v in self.vars.per)

    def relaxed(self) -> PeriodModel:
        return PeriodModel(self.instances, self.ps, self.soft, relaxed=True)

    def default_start(self) -> np.ndarray:
        return period_hint(self.instance.landscape, self.ps.n_periods, None)

    def restricted(self, fixed: np.ndarray) -> PeriodModel:
        """The same model with (parcel, period) pairs ``fixed[i, t] >= 0`` fixed to that use,
        except parcels that may become built-up: those stay free in every period."""
        # with cumulative county + township growth targets in every period, fixing the
        # LP-integral growth parcels left the restricted demo model infeasible (measured:
        # 132 free variables, INFEASIBLE at once); the candidates are few (demo: 574 of 18,000)
        fixed = fixed.copy()
        land = self.instance.landscape
        built = land.class_index("built")
        if built >= 0:
            for t, inst in enumerate(self.instances):
                fixed[inst.allowed[:, built] & (land.current != built), t] = -1
        insts = tuple(inst.restrict(fixed[:, t]) for t, inst in enumerate(self.instances))
        return PeriodModel(insts, self.ps, self.soft)

    def hint_vector(self, assignment: np.ndarray) -> np.ndarray:
        """Variable values of an (n, T) assignment (x, edge d, δ); slacks 0."""
        vec = np.zeros(self.n_variables, np.int64)
        e = self.instance.landscape.edges
        for t, v in enumerate(self.vars.per):
            a = assignment[:, t]
            rows, cols = np.nonzero(v.x >= 0)
            vec[v.x[rows, cols]] = (a[rows] == cols).astype(np.int64)
            has = v.d >= 0
            if has.any():
                vec[v.d[has]] = a[e[has, 0]] != a[e[has, 1]]
            dt = self.vars.delta[t]
            if t > 0 and (dt >= 0).any():
                vec[dt[dt >= 0]] = (a != assignment[:, t - 1])[dt >= 0]
        return vec

    def lp_rounding(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(fixed, rounded), each (n, T): LP-integral uses (−1 otherwise) and argmax uses."""
        fixed, rounded = [], []
        for v in self.vars.per:
            score = np.where(v.x >= 0, values[np.maximum(v.x, 0)], -1.0)
            r = np.where(v.fixed >= 0, v.fixed, np.argmax(score, axis=1))
            integral = (v.fixed < 0) & (score.max(axis=1) >= 1.0 - LP_INTEGRAL_TOL)
            fixed.append(np.where(integral, r, -1))
            rounded.append(r)
        return np.column_stack(fixed), np.column_stack(rounded)


def build_period_model(landscape: Landscape, ps: PeriodScenario, soft: bool = False
                       ) -> PeriodModel:
    """The joint model of a period scenario (one single-period instance per period)."""
    insts = tuple(build_instance(landscape, ps.scenario(t)) for t in range(ps.n_periods))
    return PeriodModel(insts, ps, soft)


# ----- hint -------------------------------------------------------------------------------
def period_hint(landscape: Landscape, n_periods: int,
                hint: np.ndarray | AllocationResult | None) -> np.ndarray:
    """An (n, T) start: an (n, T) array as is; a single-period (n,) solution (e.g. of the
    final-period targets) in every period; else the status quo in every period."""
    if isinstance(hint, AllocationResult):
        hint = hint.assignment
    n = landscape.n_parcels
    if hint is not None:
        hint = np.asarray(hint, np.int64)
        if hint.shape == (n, n_periods):
            return hint
        if hint.shape == (n,):
            return np.repeat(hint[:, None], n_periods, axis=1)
    return np.repeat(landscape.current.astype(np.int64)[:, None], n_periods, axis=1)


# ----- feasibility ------------------------------------------------------------------------
def periods_feasible(landscape: Landscape, ps: PeriodScenario, time_limit_s: float) -> bool:
    """Whether the phased scenario ``ps`` has an allocation found within ``time_limit_s``.

    Feasibility does not depend on the objective, so the compactness term is left out (as in
    ``solver.model.solve_quietly`` for one period).
    """
    insts = tuple(replace(inst, edge_reward=np.zeros_like(inst.edge_reward)) for inst in
                  (build_instance(landscape, ps.scenario(t)) for t in range(ps.n_periods)))
    config = replace(ps.base.solver, time_limit_s=max(time_limit_s, 1.0))
    search, _ = run_search(PeriodModel(insts, ps), config,
                           period_hint(landscape, ps.n_periods, None))
    return search.assignment is not None and not search.proven_infeasible
