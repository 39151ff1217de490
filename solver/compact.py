"""Compactness at scale: a dual-decomposition bound, Lagrangian repairs and CP-SAT polishing.

The allocation with compactness is  max Σ_i coef[i, x_i] + Σ_e w_e·[x_i = x_j]  under the area
targets and side rows. The search starts from the exact core's allocation (the optimum without
compactness) and only ever replaces it by a better feasible one:

1. **Bound.** Targets and side rows are priced (multipliers μ, ν ≥ 0), the mutable–mutable
   edges split into a few spanning forests (``solver.potts``), every parcel's value shared among
   the forests that hold it (shares 1/count plus corrections δ that sum to zero). For *any*
   prices and corrections, the sum of the forests' exact maxima plus the priced right-hand
   sides is an upper bound of the identical model (weak duality); subgradient steps on
   (μ, ν, δ) with Polyak step lengths tighten it towards the bound of the model's local LP
   relaxation, and whenever the steps shorten each violated row's price is line-searched
   alone. Every evaluated bound is valid; the smallest is kept.
2. **Repair.** The forests' majority labels nearly meet the targets; the exact core re-solves
   the allocation with each parcel's neighbour reward under those labels added to its
   coefficients (a linearisation), which meets every target and side row exactly. Before
   the first bound step, up to :data:`START_REPAIRS` repairs linearised at the incumbent
   itself lift the exact core's start while each one improves it.
3. **Polish.** Parcels where the forests still disagree or the repair moved, with two rings
   of neighbours, are re-solved by CP-SAT on the identical model with everything else fixed,
   in windows of at most :data:`WINDOW_CELLS` parcels.

The answer is heuristic; its gap against the bound is proven.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, connected_components

from solver.config import SolverConfig
from solver.exact import exact_phase, side_rows
from solver.instance import Instance
from solver.potts import (
    FORBIDDEN,
    correct_shares,
    disagreement_norm,
    forest_cover,
    forest_max,
    majority_votes,
    root_forest,
    row_values,
    shift_rows,
)

#: Solves a restricted linear instance exactly (the exact core's CP-SAT residual).
ResidualSolver = Callable[[Instance, SolverConfig, float, np.ndarray, float],
                         "tuple[np.ndarray, int] | None"]
#: Solves the identical model with some parcels free: (instance, free mask, hint, budget_s)
#: → (assignment, objective units) or None.
WindowSolver = Callable[[Instance, np.ndarray, np.ndarray, float],
                        "tuple[np.ndarray, int] | None"]

MAX_FORESTS = 8
REPAIR_EVERY = 50  # subgradient iterations between two Lagrangian repairs (at first)
MAX_REPAIR_INTERVAL = 4  # at most this many blocks between repairs
START_REPAIRS = 3  # repairs linearised at the incumbent before the first subgradient step
ROUND_ITERATIONS = (400, 200)  # subgradient iterations before the first / later polishes
MAX_ROUNDS = 8
MIN_ROUND_PROGRESS = 0.02  # a round closing less of the gap ends the search
STALL_ITERATIONS = 20  # no better bound for this many iterations: shorten the steps
STEP_SHRINK = 0.7
TARGET_SHIFT = 3.0
DIVERGED = 10.0  # a bound this many gaps above the best one means the steps overshot
MIN_STEP_FACTOR = 1e-4
LINE_STEPS = 8  # bound evaluations per row and line search (steps double or halve)
WINDOW_CELLS = 1_000  # CP-SAT closes windows of about 1000 parcels with compactness in seconds
POLISH_RINGS = 2
#: Floating-point sums over a million parcels: the bound is raised by this relative margin.
BOUND_MARGIN = 1e-9


@dataclass
class PricedRows:
    """Rows lo ≤ Σ weight·[x_node = cls] ≤ hi over mutable (parcel, use) pairs (fixed parcels
    moved into lo/hi; NaN = open side), concatenated: row r holds entries start[r]:start[r+1].
    ``mu`` prices the lower sides, ``nu`` the upper ones (both ≥ 0)."""

    start: np.ndarray
    node: np.ndarray
    cls: np.ndarray
    weight: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    mu: np.ndarray
    nu: np.ndarray

    @property
    def price(self) -> np.ndarray:
        return self.mu - self.nu

    def constant(self) -> float:
        return float(-np.nansum(self.mu * self.lo) + np.nansum(self.nu * self.hi))

    def entries(self, r: int) -> slice:
        return slice(self.start[r], self.start[r + 1])


def _rows(inst: Instance, fixed_use: np.ndarray) -> PricedRows:
    """Every area target and side row as a sparse row over mutable (parcel, use) pairs."""
    land, mutable = inst.landscape, inst.mutable
    dense: list[tuple[np.ndarray, np.ndarray, np.ndarray, int | None, int | None]] = []
    for t in inst.targets:
        scope = np.flatnonzero(t.scope(land))
        node = np.repeat(scope, len(t.classes))
        cls = np.tile(np.asarray(t.classes, np.int64), scope.size)
        dense.append((node, cls, inst.area[node].astype(float), t.lo, t.hi))
    for r in side_rows(inst, []):
        node, cls = np.nonzero(r.weight)
        dense.append((node, cls, r.weight[node, cls].astype(float), r.lo, r.hi))
    parts, lo, hi = [], [], []
    for node, cls, weight, low, high in dense:
        fixed = ~mutable[node]
        const = float(weight[fixed & (cls == fixed_use[node])].sum())
        keep = mutable[node] & inst.allowed[node, cls]
        parts.append((node[keep], cls[keep], weight[keep]))
        lo.append(np.nan if low is None else low - const)
        hi.append(np.nan if high is None else high - const)
    sizes = [p[0].size for p in parts]
    start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)

    def cat(k: int, dtype: type) -> np.ndarray:
        return np.concatenate([p[k] for p in parts]).astype(dtype) if parts else np.zeros(0, dtype)

    n_rows = len(parts)
    return PricedRows(start, cat(0, np.int64), cat(1, np.int64), cat(2, np.float64),
                      np.array(lo, float), np.array(hi, float), np.zeros(n_rows),
                      np.zeros(n_rows))


class PottsDual:
    """The decomposition bound of one instance and its subgradient iterations."""

    def __init__(self, inst: Instance) -> None:
        land = inst.landscape
        n, k = inst.allowed.shape
        mutable = inst.mutable
        self.fixed_use = np.argmax(inst.allowed, axis=1)
        e, w = land.edges, inst.edge_reward.astype(float)
        i, j = (e[:, 0], e[:, 1]) if e.size else (np.zeros(0, np.int64),) * 2
        self.theta = np.where(inst.allowed, inst.coef.astype(float), FORBIDDEN)
        for a, b in ((i, j), (j, i)):  # an edge to a fixed parcel rewards its use
            sel = mutable[a] & ~mutable[b]
            np.add.at(self.theta, (a[sel], self.fixed_use[b[sel]]), w[sel])
        self.theta[~mutable] = 0.0
        fixed = np.flatnonzero(~mutable)
        both_fixed = ~mutable[i] & ~mutable[j]
        self.constant = float(inst.coef[fixed, self.fixed_use[fixed]].sum()) + float(
            w[both_fixed & (self.fixed_use[i] == self.fixed_use[j])].sum())
        pair = mutable[i] & mutable[j] & (w > 0)
        ei, ej, ew = i[pair], j[pair], w[pair]
        forest = forest_cover(n, ei, ej, MAX_FORESTS)
        self.forests = [root_forest(n, ei[forest == f], ej[forest == f], ew[forest == f])
                        for f in range(int(forest.max()) + 1 if forest.size else 0)]
        leftover = forest < 0  # not expected on planar parcel graphs; counted as always same
        self.constant += float(ew[leftover].sum())
        self.member = np.zeros((len(self.forests), n), bool)
        for f, (order, _, _) in enumerate(self.forests):
            self.member[f, order] = True
        self.count = self.member.sum(axis=0).astype(np.int64)
        self.share = np.where(self.count > 0, 1.0 / np.maximum(self.count, 1), 0.0)
        self.lonely = np.flatnonzero(mutable & (self.count == 0))
        self.rows = _rows(inst, self.fixed_use)
        self.delta = np.zeros((len(self.forests), n, k))
        self.labels = np.zeros((len(self.forests), n), np.int64)
        self.votes = np.zeros((n, k))
        self.mutable = mutable
        self.gamma = 1.0
        self.best = np.inf
        self._stall = 0
        self.pinned = np.zeros(self.rows.lo.size, bool)  # rows whose prices stay as set

    # ----- one evaluation and one step -------------------------------------------------------
    def evaluate(self) -> float:
        """The bound at the current prices and corrections (absolute units); sets labels."""
        total = self.constant + self.rows.constant()
        lonely = self.theta[self.lonely]
        total += float(lonely.max(axis=1).sum()) if lonely.size else 0.0
        for f, (order, parent, parent_w) in enumerate(self.forests):
            total += forest_max(order, parent, parent_w, self.theta, self.share,
                                self.delta[f], self.labels[f])
        return total + BOUND_MARGIN * abs(total)

    def iterate(self, primal_units: float) -> float:
        """Evaluate the bound, then take one Polyak subgradient step towards ``primal_units``
        (a feasible objective, absolute units). Returns the evaluated bound."""
        bound = self.evaluate()
        if bound < self.best - 1e-9 * abs(bound):
            self.best, self._stall = bound, 0
            self._keep()
        else:
            self._stall += 1
            if self._stall >= STALL_ITERATIONS:  # steps too long: shorten them
                self.gamma *= STEP_SHRINK
                self._stall = 0
                if bound - self.best > DIVERGED * max(self.best - primal_units, 1.0):
                    self._restore()  # thrown far off: back to the best point
                    bound = self.evaluate()
                # one step length serves rows of m² and shares of one parcel alike; a row
                # whose price it cannot move (the growth row of a synthetic block, stuck
                # at 1.2e-4 against ~1e-3) gets its own search
                bound = self._line_search_prices(bound, primal_units)
        majority_votes(self.labels, self.member, self.count, self.votes)
        self._lonely_votes()
        # Polyak steps aim below the primal: the dual optimum lies above it, and aiming at
        # the primal itself took twice the iterations (Wuhan 300 m, measured)
        room = max(bound - primal_units, 0.0) * (1.0 + TARGET_SHIFT)
        norm = disagreement_norm(self.labels, self.member, self.votes)
        if norm > 0 and room > 0:
            correct_shares(self.labels, self.member, self.votes, self.delta,
                           0.5 * self.gamma * room / norm)
        self._price_step(room)
        return bound

    def _line_search_prices(self, bound: float, primal_units: float) -> float:
        """Each violated row's price alone moved to where the bound is least (the others held).

        The bound is convex in one row's net price; steps double while the bound falls and
        halve until it falls. Only moves that lower the bound are kept, so the point can only
        improve. Returns the bound at the point left (labels set there).
        """
        r = self.rows
        majority_votes(self.labels, self.member, self.count, self.votes)
        self._lonely_votes()
        value = row_values(r.start, r.node, r.cls, r.weight, self.votes)
        tried = False
        for row in np.flatnonzero(~self.pinned):
            slope = _price_slope(r, row, value[row])
            if slope == 0.0:
                continue
            tried = True
            p0 = float(r.price[row])
            step = abs(p0) if p0 != 0.0 else max(bound - primal_units, 1.0) / abs(slope)
            best_p = p0
            for _ in range(LINE_STEPS):
                self._set_price(row, _clip_price(r, row, p0 - np.sign(slope) * step))
                b = self.evaluate()
                if b < bound - 1e-12 * abs(bound):
                    best_p, bound = float(r.price[row]), b
                    step *= 2.0
                elif best_p != p0:
                    break  # went past the least point: keep the last one that fell
                else:
                    step *= 0.5
            self._set_price(row, best_p)
        if tried:  # the labels of the point kept, for the next step
            bound = self.evaluate()
            if bound < self.best - 1e-9 * abs(bound):
                self.best = bound
                self._keep()
        return bound

    def _set_price(self, row: int, price: float) -> None:
        """Set one row's net price (a positive one prices its lower side)."""
        r = self.rows
        old = r.price
        r.mu[row], r.nu[row] = max(price, 0.0), max(-price, 0.0)
        shift_rows(r.start, r.node, r.cls, r.weight, r.price - old, self.theta)

    def _keep(self) -> None:
        self._kept = (self.delta.copy(), self.theta.copy(), self.rows.mu.copy(),
                      self.rows.nu.copy())

    def _restore(self) -> None:
        delta, theta, mu, nu = self._kept
        self.delta[...] = delta
        self.theta[...] = theta
        self.rows.mu[...], self.rows.nu[...] = mu, nu

    def _lonely_votes(self) -> None:
        if self.lonely.size:
            self.votes[self.lonely] = 0.0
            self.votes[self.lonely, np.argmax(self.theta[self.lonely], axis=1)] = 1.0

    def _price_step(self, room: float) -> None:
        """Prices move against the rows' violation by the (fractional) majority labels."""
        r = self.rows
        value = row_values(r.start, r.node, r.cls, r.weight, self.votes)
        g_lo = np.nan_to_num(value - r.lo)  # d bound / d mu
        g_hi = np.nan_to_num(r.hi - value)  # d bound / d nu
        norm = float((g_lo * g_lo).sum() + (g_hi * g_hi).sum())
        if norm <= 0 or room <= 0:
            return
        step = 0.5 * self.gamma * room / norm
        old = r.price
        r.mu = np.where(self.pinned, r.mu, np.maximum(0.0, r.mu - step * g_lo))
        r.nu = np.where(self.pinned, r.nu, np.maximum(0.0, r.nu - step * g_hi))
        shift_rows(r.start, r.node, r.cls, r.weight, r.price - old, self.theta)

    def best_prices(self) -> np.ndarray:
        """Net price (μ − ν) of every row at the best bound found so far."""
        if hasattr(self, "_kept"):
            return self._kept[2] - self._kept[3]
        return self.rows.price.copy()

    def pin(self, rows: np.ndarray, prices: np.ndarray) -> None:
        """Set the net prices of ``rows`` (a positive one prices the lower side, a negative
        one the upper side) and keep them there in later steps; restarts the best bound."""
        r = self.rows
        old = r.price
        r.mu[rows] = np.maximum(prices, 0.0)
        r.nu[rows] = np.maximum(-prices, 0.0)
        shift_rows(r.start, r.node, r.cls, r.weight, r.price - old, self.theta)
        self.pinned[:] = False
        self.pinned[rows] = True
        self.reset_best()

    def add_unary(self, parcels: np.ndarray, values: np.ndarray) -> None:
        """Add ``values`` (len(parcels), K) to the unary terms of mutable ``parcels`` (their
        allowed uses); restarts the best bound."""
        ok = self.mutable[parcels]
        rows, vals = parcels[ok], values[ok]
        allowed = self.theta[rows] > FORBIDDEN / 2
        self.theta[rows] += np.where(allowed, vals, 0.0)
        self.reset_best()

    def reset_best(self) -> None:
        """Forget the best point (after the problem changed); steps restart at full length."""
        self.best, self._stall, self.gamma = np.inf, 0, 1.0
        self._keep()

    @property
    def stalled(self) -> bool:
        return self.gamma < MIN_STEP_FACTOR

    def majority(self) -> np.ndarray:
        """Each parcel's most voted use (fixed parcels: their use)."""
        labels = np.argmax(self.votes, axis=1)
        return np.where(self.mutable, labels, self.fixed_use)

    def unsettled(self) -> np.ndarray:
        """Mutable parcels whose forests disagree."""
        return self.mutable & (self.votes.max(axis=1) < 1.0 - 1e-9)


def _price_slope(r: PricedRows, row: int, value: float) -> float:
    """d bound / d net price of ``row`` in the direction the bound falls (0: no such move)."""
    p, lo, hi = r.mu[row] - r.nu[row], r.lo[row], r.hi[row]
    up = value - lo if not np.isnan(lo) else np.inf  # slope where the lower side is priced
    down = value - hi if not np.isnan(hi) else -np.inf  # slope where the upper side is priced
    if p > 0:
        down = up
    elif p < 0:
        up = down
    if up < 0:
        return up
    if down > 0:
        return down
    return 0.0


def _clip_price(r: PricedRows, row: int, price: float) -> float:
    """A one-sided row's net price stays on its side."""
    if np.isnan(r.lo[row]):
        price = min(price, 0.0)
    if np.isnan(r.hi[row]):
        price = max(price, 0.0)
    return price


# ----- primal side ------------------------------------------------------------------------------
def neighbour_reward(inst: Instance, labels: np.ndarray) -> np.ndarray:
    """(n, K) units: reward each parcel would collect from its neighbours' ``labels``."""
    n, k = inst.allowed.shape
    e, w = inst.landscape.edges, inst.edge_reward
    if not e.size:
        return np.zeros((n, k), np.int64)
    flat = np.concatenate([e[:, 0] * k + labels[e[:, 1]], e[:, 1] * k + labels[e[:, 0]]])
    out = np.bincount(flat, weights=np.concatenate([w, w]).astype(float), minlength=n * k)
    return np.rint(out).astype(np.int64).reshape(n, k)


def lagrangian_repair(inst: Instance, config: SolverConfig, labels: np.ndarray, deadline: float,
                      residual: ResidualSolver) -> np.ndarray | None:
    """A feasible allocation near ``labels``: the exact core with every parcel's neighbour
    reward under ``labels`` added to its coefficients (compactness linearised at ``labels``)."""
    linear = replace(inst, coef=inst.coef + neighbour_reward(inst, labels),
                     edge_reward=np.zeros_like(inst.edge_reward))
    # a feasible allocation is what the search needs: no second residual to close the gap
    out = exact_phase(linear, config, deadline, time.monotonic(), False, residual,
                      close_gap=False)
    return out.assignment


def polish_windows(inst: Instance, free: np.ndarray, max_cells: int = WINDOW_CELLS
                   ) -> list[np.ndarray]:
    """``free`` parcels grouped into windows of connected parcels, at most ``max_cells`` each."""
    idx = np.flatnonzero(free)
    if not idx.size:
        return []
    e = inst.landscape.edges
    pos = np.full(free.size, -1, np.int64)
    pos[idx] = np.arange(idx.size)
    keep = free[e[:, 0]] & free[e[:, 1]] if e.size else np.zeros(0, bool)
    a, b = pos[e[keep, 0]], pos[e[keep, 1]]
    graph = sp.coo_matrix((np.ones(a.size), (a, b)), shape=(idx.size, idx.size)).tocsr()
    n_comp, comp = connected_components(graph, directed=False)
    windows: list[np.ndarray] = []
    pending: list[np.ndarray] = []
    pending_size = 0
    for c in range(n_comp):
        members = np.flatnonzero(comp == c)
        order = breadth_first_order(graph, members[0], directed=False, return_predecessors=False)
        for start in range(0, order.size, max_cells):  # big components in BFS slices
            part = idx[order[start:start + max_cells]]
            if pending_size + part.size > max_cells and pending:
                windows.append(np.sort(np.concatenate(pending)))
                pending, pending_size = [], 0
            pending.append(part)
            pending_size += part.size
    if pending:
        windows.append(np.sort(np.concatenate(pending)))
    return windows


def grow(inst: Instance, mask: np.ndarray, rings: int) -> np.ndarray:
    """``mask`` with ``rings`` rings of mutable neighbours added."""
    e = inst.landscape.edges
    out = mask.copy()
    for _ in range(rings):
        nxt = out.copy()
        nxt[e[out[e[:, 1]], 0]] = True
        nxt[e[out[e[:, 0]], 1]] = True
        out = nxt & inst.mutable
    return out


# ----- the search ---------------------------------------------------------------------------------
@dataclass
class CompactOutcome:
    """Best allocation (never worse than the start) and the smallest proven bound (units,
    status quo subtracted, like ``Instance.units_of``)."""

    assignment: np.ndarray
    objective_units: int
    bound_units: float | None
    iterations: int = 0
    repairs: int = 0
    repair_interval: int = 1  # blocks of REPAIR_EVERY steps between two repairs
    repair_s: float = 0.0  # the longest repair so far (the exact core's time before one)
    windows: int = 0
    log: list[str] = field(default_factory=list)
    #: The decomposition bound's state, kept so that a caller can re-price it (a regional
    #: solve hands it to ``solver.decompose`` for the global bound).
    dual: PottsDual | None = None


@dataclass
class _Clock:
    deadline: float

    def left(self) -> float:
        return self.deadline - time.monotonic()


def compact_search(inst: Instance, config: SolverConfig, start: np.ndarray, deadline: float,
                   residual: ResidualSolver, window: WindowSolver,
                   on_improve: Callable[[CompactOutcome], None] | None = None,
                   repair_s: float = 0.0) -> CompactOutcome:
    """Improve a feasible ``start`` for the compactness objective; prove a bound.

    Parameters
    ----------
    inst : Instance
        With compactness (``edge_reward`` > 0 somewhere).
    config : SolverConfig
        ``target_gap_pct`` ends the search early; ``seed`` is passed to CP-SAT.
    start : (n,) array
        A feasible allocation (the exact core's).
    deadline : float
        ``time.monotonic()`` by which the search returns.
    residual, window : callables
        CP-SAT on restricted instances, from ``solver.model`` (see the type aliases).
    on_improve : callable, optional
        Called with the outcome whenever the allocation or the bound improves.
    repair_s : float
        About what one repair (an exact-core solve) takes: none starts with less time left.

    Returns
    -------
    CompactOutcome
    """
    clock = _Clock(deadline)
    out = CompactOutcome(start.astype(np.int32), inst.units_of(start), None)
    dual = out.dual = PottsDual(inst)
    target = config.target_gap_pct / 100.0

    def gap() -> float:
        if out.bound_units is None:
            return np.inf
        return max(out.bound_units - out.objective_units, 0.0) / max(
            abs(out.objective_units), inst.obj_scale)

    def offer(assignment: np.ndarray | None) -> None:
        if assignment is None:
            return
        units = inst.units_of(assignment)
        if units > out.objective_units:
            out.assignment, out.objective_units = assignment.astype(np.int32), units
            if on_improve is not None:
                on_improve(out)

    t0 = time.monotonic()
    moved = np.zeros(inst.mutable.shape, bool)
    out.repair_s = repair_s
    _warm_start(inst, config, out, clock, residual, offer)
    out.log.append(f"warm:{out.repairs}r@{time.monotonic() - t0:.1f}s")
    for round_no in range(MAX_ROUNDS):
        if clock.left() <= 0 or gap() <= target:
            break
        before = (out.objective_units, out.bound_units)
        moved = _dual_round(inst, config, dual, out, clock, residual, offer, gap, target,
                            ROUND_ITERATIONS[min(round_no, len(ROUND_ITERATIONS) - 1)], moved)
        out.log.append(f"dual:{out.iterations}it@{time.monotonic() - t0:.1f}s")
        if on_improve is not None:  # the bound moved
            on_improve(out)
        if gap() > target and clock.left() > 0.5:
            free = grow(inst, dual.unsettled() | moved, POLISH_RINGS)
            _polish(inst, out, free, clock, window, offer, gap, target)
            out.log.append(f"polish@{time.monotonic() - t0:.1f}s")
        if _no_progress(before, out, inst.obj_scale) or dual.stalled:
            break
    return out


def _no_progress(before: tuple[int, float | None], out: CompactOutcome, scale: int) -> bool:
    """Whether a round left the allocation as it was and closed under 2 % of the gap."""
    objective, bound = before
    if out.objective_units != objective or bound is None or out.bound_units is None:
        return False
    gap = max(bound - objective, float(scale) * 1e-6)
    return bound - out.bound_units < MIN_ROUND_PROGRESS * gap


def _dual_round(inst: Instance, config: SolverConfig, dual: PottsDual, out: CompactOutcome,
                clock: _Clock, residual: ResidualSolver, offer: Callable,
                gap: Callable[[], float], target: float, iterations: int,
                moved: np.ndarray) -> np.ndarray:
    """Subgradient iterations with a Lagrangian repair every :data:`REPAIR_EVERY`; returns
    the parcels the last repair moved away from the majority labels."""
    sq = inst.status_quo_units
    done, since_repair = 0, 0
    while done < iterations and clock.left() > 0 and gap() > target and not dual.stalled:
        for _ in range(REPAIR_EVERY):
            bound = dual.iterate(out.objective_units + sq)
            out.iterations += 1
            done += 1
            if out.bound_units is None or bound - sq < out.bound_units:
                out.bound_units = float(np.floor(bound - sq))
            if clock.left() <= 0 or gap() <= target or dual.stalled:
                break
        since_repair += 1
        last = done >= iterations or dual.stalled or clock.left() <= 0
        # a repair that found nothing better halves the repair rate (counted in steps, not
        # seconds, so that the same inputs give the same answer)
        if since_repair < out.repair_interval and not last:
            continue
        since_repair = 0
        if clock.left() < out.repair_s:  # it would overrun the limit
            break
        labels = dual.majority()
        repaired = _timed_repair(inst, config, labels, clock, residual, out)
        before = out.objective_units
        offer(repaired)
        if out.objective_units == before:
            out.repair_interval = min(2 * out.repair_interval, MAX_REPAIR_INTERVAL)
        if repaired is not None:
            moved = repaired != labels
    return moved


def _timed_repair(inst: Instance, config: SolverConfig, labels: np.ndarray, clock: _Clock,
                  residual: ResidualSolver, out: CompactOutcome) -> np.ndarray | None:
    """:func:`lagrangian_repair` at ``labels``, its seconds kept in ``out.repair_s``."""
    t = time.monotonic()
    repaired = lagrangian_repair(inst, config, labels, clock.deadline, residual)
    took = time.monotonic() - t
    # the exact core's time stands in until a repair is measured: a repair takes a fraction
    # of it (Wuhan 30 m blocks alone: 0.8–3.5 s against 2.2–6.1 s), and the core's figure
    # kept the last, best repairs of a block from running
    out.repair_s = took if out.repairs == 0 else max(out.repair_s, took)
    out.repairs += 1
    return repaired


def _warm_start(inst: Instance, config: SolverConfig, out: CompactOutcome, clock: _Clock,
                residual: ResidualSolver, offer: Callable) -> None:
    """Repairs linearised at the incumbent itself, while each one improves it.

    The exact core's start ignores compactness, and the first repairs from the dual's labels
    often fall below it (its labels are not settled yet), which then halves the repair rate.
    On Wuhan 30 m, 江夏区 1/6, three of these raised the start from 1,114,349 to 1,491,921
    units in 6 s and every later repair improved on its predecessor.
    """
    for _ in range(START_REPAIRS):
        if clock.left() < out.repair_s:
            return
        before = out.objective_units
        offer(_timed_repair(inst, config, out.assignment, clock, residual, out))
        if out.objective_units == before:
            return


def _polish(inst: Instance, out: CompactOutcome, free: np.ndarray, clock: _Clock,
            window: WindowSolver, offer: Callable, gap: Callable[[], float],
            target: float) -> None:
    """CP-SAT on windows of the unsettled parcels, everything else fixed at the incumbent."""
    windows = polish_windows(inst, free)
    for k, cells in enumerate(windows):
        budget = clock.left() / max(len(windows) - k, 1)
        if budget < 0.2 or gap() <= target:
            break
        mask = np.zeros(free.shape, bool)
        mask[cells] = True
        found = window(inst, mask, out.assignment, budget)
        out.windows += 1
        if found is not None:
            offer(found[0])
    out.log.append(f"polish:{len(windows)}w,{int(free.sum())}p")
