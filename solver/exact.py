"""Exact phase of the search: min-cost flow, Lagrangian prices for side rows, CP-SAT residual.

1. Solve the nested model as a flow (:func:`solver.flow.solve_flow`). Infeasible there means
   the scenario is infeasible (the flow is a relaxation), proven without any time-out.
2. Side rows the flow solution breaks (占补平衡, conversion budget, crossing targets) get a
   multiplier λ ≥ 0 each; every flow solve with prices gives a valid upper bound
   L(λ) = max_flow [obj − λ·(row − rhs)], and bisection on λ finds the price at which each
   row just holds.
3. The few parcels the flow split (and those whose use flips between the last violating and
   the first satisfying price) are closed by CP-SAT with everything else fixed; the result
   satisfies every rule of the identical model. The freed parcels also hold the cheapest
   parcels of every distinct area: an exact target's band is one parcel wide, so on a grid of
   equal cells (cut ones smaller at the edges) only parcels of other areas can correct a
   class's area by less than a cell. Each try gets a share of the time left, so a residual
   CP-SAT can neither place nor refute (a subset sum) cannot take the whole phase; the next
   try frees four times as many parcels. A residual that stopped at the target gap of its own
   bound but not of the flow's is solved once more to its optimum.

Without compactness the bound is the LP bound of the identical model when no side row binds
and the Lagrangian (= LP) bound otherwise; with compactness the flow supplies the first
allocation and a weak bound (every free edge counted as same-use), the LP phase the real one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from solver.config import SolverConfig
from solver.flow import FlowOutcome, SideRow, solve_flow, split_targets
from solver.instance import Instance
from solver.result import relative_gap
from solver.targets import AreaTarget

ResidualSolver = Callable[[Instance, SolverConfig, float, np.ndarray, float],
                         "tuple[np.ndarray, int] | None"]
MAX_PRICE_ROUNDS = 24
RESIDUAL_START = 400  # parcels freed around the split / flipping ones for the CP-SAT repair
RESIDUAL_MAX = 20_000
#: Lowest-regret parcels of each distinct area freed in the first residual (at most half of
#: it); a larger try frees proportionally more.
PER_AREA = 2
#: Share of the phase's time left that a residual try gets unless it is the last one.
RESIDUAL_SHARE = 0.25


@dataclass
class ExactOutcome:
    """What the exact phase found (objective units, status quo subtracted)."""

    infeasible: bool = False
    assignment: np.ndarray | None = None
    objective_units: int | None = None
    bound_units: float | None = None
    first_s: float | None = None
    flow_solves: int = 0
    residual_parcels: int = 0


# ----- side rows --------------------------------------------------------------------------
def side_rows(inst: Instance, crossing: list[AreaTarget]) -> list[SideRow]:
    """Rows the flow does not carry: 占补平衡, conversion budget, crossing targets."""
    land, rows = inst.landscape, []
    n, k = inst.allowed.shape
    if inst.limits.balance:
        w = np.zeros((n, k), np.int64)
        is_crop = land.in_role(land.current, "cropland")
        w[np.ix_(is_crop, land.role_classes("built"))] = inst.balance_weight[is_crop, None]
        w[np.ix_(~is_crop, land.role_classes("cropland"))] = -inst.balance_weight[~is_crop, None]
        rows.append(SideRow("farmland.balance", w, None, inst.limits.balance_hi))
    if inst.limits.changed_max is not None:
        changed = np.arange(k)[None, :] != land.current[:, None]
        rows.append(SideRow("conversion.max_changed_pct", changed * inst.area[:, None], None,
                            inst.limits.changed_max))
    for t in crossing:
        w = np.zeros((n, k), np.int64)
        scope = t.scope(land)
        w[np.ix_(scope, list(t.classes))] = inst.area[scope, None]
        rows.append(SideRow(t.key, w, t.lo, t.hi))
    return rows


def _is_feasible(inst: Instance, a: np.ndarray, rows: list[SideRow]) -> bool:
    land = inst.landscape
    ok_use = inst.allowed[np.arange(a.shape[0]), a].all()
    ok_targets = all(t.slack(t.measure(land, inst.area, a)) == 0 for t in inst.targets)
    return bool(ok_use and ok_targets and all(r.violation(a) == 0 for r in rows))


# ----- Lagrangian prices --------------------------------------------------------------------
@dataclass
class _Price:
    """Multiplier of one side of one row with its bisection bracket."""

    row: SideRow
    side: str  # "hi": row ≤ hi, "lo": row ≥ lo
    value: float = 0.0
    low: float = 0.0
    high: float | None = None

    def extra(self) -> np.ndarray:
        sign = -1.0 if self.side == "hi" else 1.0
        return sign * self.value * self.row.weight

    def const(self) -> float:
        return self.value * (self.row.hi if self.side == "hi" else -self.row.lo)

    def violated(self, a: np.ndarray) -> bool:
        v = self.row.value(a)
        return v > self.row.hi if self.side == "hi" else v < self.row.lo

    def update(self, violated: bool, start: float) -> None:
        if violated:
            self.low = self.value
            self.value = self.value * 4 if self.high is None and self.value > 0 else (
                start if self.high is None else 0.5 * (self.low + self.high))
        elif self.value > 0:
            self.high = self.value
            self.value = 0.5 * (self.low + self.high)


def _prices(rows: list[SideRow]) -> list[_Price]:
    out = []
    for r in rows:
        if r.hi is not None:
            out.append(_Price(r, "hi"))
        if r.lo is not None:
            out.append(_Price(r, "lo"))
    return out


def _start_price(inst: Instance, row: SideRow) -> float:
    """A first multiplier of the right magnitude: objective units per unit of the row."""
    w = np.abs(row.weight[inst.mutable]).astype(float)
    c = np.abs(inst.coef[inst.mutable]).astype(float)
    on = w > 0
    ratio = c[on] / w[on]
    ratio = ratio[ratio > 0]  # a zero start never grows (rows over parcels scoring 0)
    return float(np.median(ratio)) if ratio.size else 1.0


#: Share of the extra time (up to ``last_resort``) that price rounds may take while no
#: allocation meets every rule: a residual from prices that still break a side row frees
#: tens of thousands of parcels and fails (Wuhan 90 m), one from holding prices ~400.
PRICE_SHARE = 0.8


# ----- the phase ----------------------------------------------------------------------------
def exact_phase(inst: Instance, config: SolverConfig, deadline: float, t0: float,
                with_compactness: bool, residual: ResidualSolver,
                close_gap: bool = True, last_resort: float | None = None) -> ExactOutcome:
    """Run the flow / price / residual search until the target gap or ``deadline``.

    ``residual(instance, config, budget_s, hint, t0)`` solves a restricted instance exactly
    (CP-SAT, from ``solver.model``) and returns (assignment, objective units) or None.
    ``close_gap``: solve a residual that ends above the target gap once more to its optimum
    (never with compactness, whose bound the residual cannot approach). ``last_resort``: a
    later deadline for the price rounds and the repair while no allocation meets every rule
    yet (the price rounds can use up ``deadline`` on large stores: Wuhan at 90 m with a
    demand table took 9 s of a 30 s limit for three flows, and the search then had nothing
    to start from).
    """
    out = ExactOutcome()
    nested, crossing = split_targets(inst)
    rows = side_rows(inst, crossing)
    prices = _prices(rows)
    flow = solve_flow(inst, nested=nested)
    out.flow_solves = 1
    if flow.status == "infeasible":
        out.infeasible = True
        return out
    if flow.status != "optimal":
        return out
    # with compactness the flow's bound must leave room for every edge reward
    edge_room = int(inst.edge_reward.sum()) if with_compactness else 0
    best_bound = flow.bound_units + edge_room
    candidates: list[FlowOutcome] = [flow]
    last_violating: FlowOutcome | None = None
    for _ in range(MAX_PRICE_ROUNDS):
        a = candidates[-1].assignment
        bad = [p for p in prices if p.violated(a)]
        _offer(inst, out, candidates[-1], rows, t0)
        if not bad:  # split parcels (if any) are closed by the residual repair
            break
        if time.monotonic() > (deadline if out.assignment is not None or last_resort is None
                               else deadline + PRICE_SHARE * max(last_resort - deadline, 0)):
            break  # without an allocation yet, most of the extra time for prices
        last_violating = candidates[-1]
        for p in prices:
            p.update(p.violated(a), _start_price(inst, p.row))
        extra = sum((p.extra() for p in prices), np.zeros(inst.coef.shape))
        flow = solve_flow(inst, extra=extra, nested=nested)
        out.flow_solves += 1
        if flow.status != "optimal":
            break
        bound = flow.bound_units + sum(p.const() for p in prices) + edge_room
        best_bound = min(best_bound, bound)
        candidates.append(flow)
    out.bound_units = best_bound - inst.status_quo_units
    if out.assignment is None and last_resort is not None:
        deadline = max(deadline, last_resort)
    _repair(inst, config, out, candidates, last_violating, rows, deadline, t0, residual,
            close_gap and not with_compactness)
    return out


def _offer(inst: Instance, out: ExactOutcome, flow: FlowOutcome, rows: list[SideRow],
           t0: float) -> None:
    """Keep the flow's assignment if it satisfies every rule and beats the incumbent."""
    a = flow.assignment
    if a is None or not _is_feasible(inst, a, rows):
        return
    units = inst.units_of(a)
    if out.objective_units is None or units > out.objective_units:
        out.assignment, out.objective_units = a.copy(), units
        if out.first_s is None:
            out.first_s = time.monotonic() - t0


def _repair(inst: Instance, config: SolverConfig, out: ExactOutcome,
            candidates: list[FlowOutcome], last_violating: FlowOutcome | None,
            rows: list[SideRow], deadline: float, t0: float, residual: ResidualSolver,
            close_gap: bool = True) -> None:
    """CP-SAT on the split / flipping parcels (and more by regret), the rest fixed.

    The residual stops at the target gap measured against its own bound, which lies below
    the flow's: when that leaves the proven gap above the target (and ``close_gap``), the same
    residual is solved once more to its optimum from the allocation found (on Wuhan at 300 m
    with a 0.1 % target that closed a 0.11 % gap to 0.04 % in a second, where the LP and full
    CP-SAT phases after the exact one took up to the whole time limit)."""
    base = candidates[-1]
    if base.assignment is None:
        return
    if out.assignment is not None and not base.split.size and last_violating is None:
        return
    seed = set(base.split.tolist())
    sides_hold = not any(p.violated(base.assignment) for p in _prices(rows))
    if not sides_hold and last_violating is not None and last_violating.assignment is not None:
        # the parcels that flip between the last violating and the final prices are where
        # the side rows are decided
        seed |= set(np.flatnonzero(last_violating.assignment != base.assignment).tolist())
    n_mutable = int(inst.mutable.sum())
    size = max(RESIDUAL_START, len(seed) + RESIDUAL_START)
    while time.monotonic() < deadline - 0.05:
        free = _free_parcels(inst, base.assignment, seed, size)
        last = free.size >= n_mutable or size >= RESIDUAL_MAX
        found = _solve_residual(inst, config, base.assignment, free, out, deadline, t0,
                                residual, 1.0 if last else RESIDUAL_SHARE)
        out.residual_parcels = int(free.size)
        if found and close_gap and _gap_open(inst, config, out):
            _solve_residual(inst, replace(config, target_gap_pct=0.0), out.assignment, free,
                            out, deadline, t0, residual, RESIDUAL_SHARE)
        if found or last:
            return
        size = min(4 * size, max(RESIDUAL_MAX, len(seed)))


def _gap_open(inst: Instance, config: SolverConfig, out: ExactOutcome) -> bool:
    if out.objective_units is None or out.bound_units is None:
        return False
    scale = inst.obj_scale
    gap = relative_gap(out.objective_units / scale, out.bound_units / scale)
    return gap is not None and gap > config.target_gap_pct / 100.0


def _free_parcels(inst: Instance, a: np.ndarray, seed: set[int], size: int) -> np.ndarray:
    """The seed parcels, the cheapest parcels of each distinct area (up to half of the room
    the seed leaves), then the mutable parcels that lose least by changing use.

    The flow meets the targets with fractions of parcels; the residual meets them with whole
    ones. Where most parcels have the same area (cells of a grid) and the lowest-regret ones
    are all such cells, every class's area moves in steps of one cell, and an exact band one
    cell wide then holds for at most one count per class: the counts need not add up to the
    freed parcels, and the residual is infeasible, often without CP-SAT being able to prove it
    (Wuhan at 300 m: 53,920 cells, 2 % of them cut by nodata, and no allocation in 120 s).
    Parcels of other areas give the residual the resolution to correct a class by less than a
    cell."""
    mutable = np.flatnonzero(inst.mutable)
    coef = inst.coef[mutable].astype(float)
    mine = coef[np.arange(mutable.size), a[mutable]]
    others = np.where(inst.allowed[mutable], coef, -np.inf)
    others[np.arange(mutable.size), a[mutable]] = -np.inf
    regret = (mine - others.max(axis=1)) / np.maximum(inst.area[mutable], 1)
    order = mutable[np.argsort(regret, kind="stable")]
    chosen = list(seed)
    chosen_set = set(chosen)

    def take(parcels: np.ndarray, upto: int) -> None:
        for i in parcels.tolist():
            if len(chosen) >= upto:
                break
            if i not in chosen_set:
                chosen.append(i)
                chosen_set.add(i)

    per_area = max(PER_AREA, PER_AREA * size // RESIDUAL_START)
    take(_per_area(inst.area[order], order, per_area), (len(chosen) + size) // 2)
    take(order, size)
    return np.array(sorted(chosen), dtype=np.int64)


def _per_area(area: np.ndarray, order: np.ndarray, per_area: int) -> np.ndarray:
    """The first ``per_area`` parcels of each distinct area in ``order`` (order kept)."""
    by_area = np.argsort(area, kind="stable")
    sorted_area = area[by_area]
    starts = np.flatnonzero(np.r_[True, sorted_area[1:] != sorted_area[:-1]])
    rank = np.arange(area.size) - np.repeat(starts, np.diff(np.r_[starts, area.size]))
    keep = np.zeros(area.size, bool)
    keep[by_area[rank < per_area]] = True
    return order[keep]


def _solve_residual(inst: Instance, config: SolverConfig, start: np.ndarray, free: np.ndarray,
                    out: ExactOutcome, deadline: float, t0: float,
                    residual: ResidualSolver, share: float = 1.0) -> bool:
    fixed = start.astype(np.int64).copy()
    fixed[free] = -1
    left = deadline - time.monotonic()
    if left <= 0.05:
        return False
    budget = left if share >= 1.0 else max(share * left, min(left, 1.0))
    # one worker: the repair is small, and one worker makes it deterministic
    # the repair only needs a feasible, linearly good start: leave compactness to the later
    # phases (a restricted model with compactness rows was too slow to find anything)
    linear = replace(inst, edge_reward=np.zeros_like(inst.edge_reward))
    res = residual(linear.restrict(fixed), replace(config, workers=1), budget, start, t0)
    if res is None:
        return False
    assignment = res[0]
    units = inst.units_of(assignment)
    if out.objective_units is None or units > out.objective_units:
        out.assignment, out.objective_units = assignment, units
        if out.first_s is None:
            out.first_s = time.monotonic() - t0
    return True


def elastic_with_prices(inst: Instance, soft_keys: frozenset[str] | None, deadline: float
                        ) -> tuple[str, np.ndarray | None]:
    """Least total violation of the (soft) area targets that also keeps every side rule
    (占补平衡, conversion budget, crossing targets): the elastic flow with Lagrangian prices on
    the side rows, bisected towards the lowest prices at which they hold. Returns the best
    assignment found: ``("found", a)``, ``("infeasible", None)`` when the hard targets alone
    conflict (proven by the flow), ``("unknown", None)`` when no price made the side rows
    hold in time.
    """
    nested, crossing = split_targets(inst)
    prices = _prices(side_rows(inst, crossing))
    extra, best, best_slack, after_feasible = None, None, None, 0
    for _ in range(MAX_PRICE_ROUNDS):
        flow = solve_flow(inst, extra=extra, elastic=True, nested=nested, soft_keys=soft_keys)
        if flow.status != "optimal":
            return ("infeasible", None) if flow.status == "infeasible" else _found(best)
        a = flow.assignment
        if not any(p.violated(a) for p in prices):
            slack = _target_slack(inst, a)
            if best_slack is None or slack < best_slack:
                best, best_slack = a, slack
        if best is not None:
            after_feasible += 1
        if not prices or after_feasible > 8 or time.monotonic() > deadline:
            return _found(best)
        for p in prices:
            p.update(p.violated(a), 1.0)  # start: one m² of slack per unit of the side row
        extra = sum((p.extra() for p in prices), np.zeros(inst.coef.shape))
    return _found(best)


def _found(best: np.ndarray | None) -> tuple[str, np.ndarray | None]:
    return ("found", best) if best is not None else ("unknown", None)


def _target_slack(inst: Instance, a: np.ndarray) -> int:
    land = inst.landscape
    return sum(t.slack(t.measure(land, inst.area, a)) for t in inst.targets)
