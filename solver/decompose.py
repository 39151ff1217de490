"""Hierarchical decomposition: a whole-area master splits the targets, blocks solve apart.

A province or a 30 m city is too large for one compactness search, but planning targets are
set top-down and compactness is local. So:

1. **Master.** The exact core (``solver.exact``) solves the whole area *without* compactness:
   an allocation meeting every target and side row, and a proven bound of that linear model.
2. **Split.** The area is cut into blocks: its regions (counties, districts), a region larger
   than :data:`MAX_BLOCK_CELLS` into connected pieces. A row whose parcels all lie in one
   block (a county's own target) stays that block's own row with its own limits. Every other
   row (a province-wide demand row, 占补平衡, the conversion budget) is *coupling*: each block
   gets the master's value there plus its share of the row's slack, so the blocks' limits add
   up to the area's and any blockwise-feasible allocations stitch into a feasible one.
3. **Blocks.** Each block is solved with compactness (exact core, then ``solver.compact``),
   starting from the master's allocation, which is feasible there. An edge across two blocks
   counts for the block of a changeable end as a reward for matching the other end's master
   use (exact when the other end cannot change).
4. **Global bound.** Lagrangian relaxation of the coupling rows at common prices π (the
   blocks' own multipliers of those rows, averaged): for *any* π, the sum over blocks of an
   upper bound of ``max f_b(x) + π·(A_b x − limits_b)`` is an upper bound of the whole model.
   Each block's decomposition bound (``solver.compact.PottsDual``) is re-priced at π and
   iterated with π pinned. An edge (i, j) across blocks with both ends changeable is split
   as θ_i(c) = w·[c = a] and θ_j(c) = w·[c ≠ a] with a = j's use in the stitched allocation:
   θ_i + θ_j ≥ w·[x_i = x_j] for every pair of uses (so the bound stays valid) with equality
   at the stitched allocation. Nothing is dropped: every cross edge is in the bound.

The module is plain numpy; ``solver.distributed`` runs the block steps on Dask workers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields, replace

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order

from solver.compact import BOUND_MARGIN, PottsDual
from solver.config import SolverConfig
from solver.exact import side_rows
from solver.instance import Instance, Limits
from solver.landscape import Landscape
from solver.model import AllocationModel, run_search
from solver.targets import AreaTarget

#: Largest block solved as one piece. Wuhan 300 m / 120 m (54k / 334k cells) reached a
#: proven 1 % in 8.5 s / 41 s as one search; 黄陂区 at 30 m (2.5 M cells) would not.
MAX_BLOCK_CELLS = 400_000
#: Subgradient steps of each block's bound at the common prices (the bound is valid at
#: every step; more steps only tighten it: on a 90,000-cell grid in 8 blocks 500 steps
#: instead of 150 lowered the global bound by 0.13 %).
BOUND_STEPS = 80


# ----- blocks --------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Block:
    """Parcels (global indices, sorted) solved together; ``name`` for progress reports."""

    name: str
    region: int
    parcels: np.ndarray


def make_blocks(land: Landscape, max_cells: int = MAX_BLOCK_CELLS) -> list[Block]:
    """Neighbouring whole regions grouped into blocks of at most ``max_cells`` parcels (fewer
    edges across blocks, a county's own targets stay inside one block); a region above
    ``max_cells`` cut along a breadth-first order of its own neighbour graph into about equal
    connected pieces."""
    out: list[Block] = []
    sizes = np.bincount(land.region, minlength=land.n_regions)
    group: list[int] = []
    for r in _region_walk(land):
        idx = np.flatnonzero(land.region == r)
        if sizes[r] > max_cells:
            order = _region_order(idx, land.edges, land.region, r)
            pieces = int(np.ceil(idx.size / max_cells))
            for k, part in enumerate(np.array_split(order, pieces)):
                name = f"{land.region_names[r]} {k + 1}/{pieces}"
                out.append(Block(name, r, np.sort(part)))
            continue
        if group and sizes[group].sum() + sizes[r] > max_cells:
            out.append(_group_block(land, group))
            group = []
        group.append(r)
    if group:
        out.append(_group_block(land, group))
    return out


def _group_block(land: Landscape, regions: list[int]) -> Block:
    names = [land.region_names[r] for r in regions]
    name = names[0] if len(names) == 1 else f"{names[0]} … {names[-1]} ({len(names)})"
    return Block(name, regions[0], np.flatnonzero(np.isin(land.region, regions)))


def _region_walk(land: Landscape) -> list[int]:
    """Regions with parcels in breadth-first order over their adjacency (region 0 first), so
    that consecutive regions are mostly neighbours."""
    present = np.flatnonzero(np.bincount(land.region, minlength=land.n_regions) > 0)
    e = land.edges
    if not e.size:
        return list(present)
    a, b = land.region[e[:, 0]], land.region[e[:, 1]]
    across = a != b
    nr = land.n_regions
    graph = sp.coo_matrix((np.ones(int(across.sum())), (a[across], b[across])),
                          shape=(nr, nr)).tocsr()
    seen = np.zeros(nr, bool)
    order: list[int] = []
    for start in present:
        if seen[start]:
            continue
        comp = breadth_first_order(graph, start, directed=False, return_predecessors=False)
        seen[comp] = True
        order += [int(r) for r in comp]
    return order


def _region_order(idx: np.ndarray, edges: np.ndarray, region: np.ndarray, r: int) -> np.ndarray:
    """Global indices of a region's parcels in breadth-first order, component by component."""
    inside = (region[edges[:, 0]] == r) & (region[edges[:, 1]] == r) if edges.size else []
    pos = np.full(region.size, -1, np.int64)
    pos[idx] = np.arange(idx.size)
    a, b = pos[edges[inside, 0]], pos[edges[inside, 1]]
    graph = sp.coo_matrix((np.ones(a.size), (a, b)), shape=(idx.size, idx.size)).tocsr()
    seen = np.zeros(idx.size, bool)
    order: list[np.ndarray] = []
    for start in range(idx.size):
        if seen[start]:
            continue
        comp = breadth_first_order(graph, start, directed=False, return_predecessors=False)
        seen[comp] = True
        order.append(comp)
    return idx[np.concatenate(order)]


# ----- rows and their split ---------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class CouplingRow:
    """A row over several blocks: lo ≤ Σ_b value_b ≤ hi; ``key`` names its lever.
    ``lo_sum`` / ``hi_sum``: the blocks' limits added up (tighter than lo / hi)."""

    key: str
    lo: int | None
    hi: int | None
    lo_sum: int | None
    hi_sum: int | None

    def correction(self, price: float) -> float:
        """What the blocks' priced limits leave out of the area's at ``price``: the global
        Lagrangian prices lo and hi, each block its own (tighter) limits."""
        if price > 0 and self.lo is not None:
            return price * (self.lo_sum - self.lo)
        if price < 0 and self.hi is not None:
            return -price * (self.hi - self.hi_sum)
        return 0.0


def _row_values(inst: Instance, assignment: np.ndarray) -> dict[str, np.ndarray]:
    """Per-parcel contribution (m² or kg) of the side rows under ``assignment``: the rows of
    ``solver.exact.side_rows`` read at one use per parcel, without their (n, K) matrices
    (300 MB each at Wuhan's 5.3 M cells)."""
    land, out = inst.landscape, {}
    if inst.limits.balance:
        is_crop = land.in_role(land.current, "cropland")
        taken = is_crop & land.in_role(assignment, "built")
        gained = ~is_crop & land.in_role(assignment, "cropland")
        out["farmland.balance"] = np.where(taken, inst.balance_weight, 0) - np.where(
            gained, inst.balance_weight, 0)
    if inst.limits.changed_max is not None:
        out["conversion.max_changed_pct"] = np.where(assignment != land.current, inst.area, 0)
    return out


def _split(value_b: np.ndarray, lo: int | None, hi: int | None, share: np.ndarray
           ) -> tuple[list[int | None], list[int | None]]:
    """Per-block limits around the master's block values: each block gets its share of the
    slack, rounded towards the master so that the blocks' limits never exceed the area's."""
    total = int(value_b.sum())

    def limits(bound: int | None, sign: int) -> list[int | None]:
        if bound is None:
            return [None] * value_b.size
        room = np.floor(max(sign * (bound - total), 0) * share)
        return [int(v) for v in value_b + sign * room]

    return limits(lo, -1), limits(hi, 1)


def _shares(weights: np.ndarray) -> np.ndarray:
    total = weights.sum()
    return weights / total if total > 0 else np.full(weights.size, 1.0 / max(weights.size, 1))


# ----- the block parts --------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class BlockPart:
    """Everything a worker needs for one block, as plain arrays (no store, no database).

    ``instance`` is the block's own model (targets and side rows with the block's limits, cross
    edges folded into ``coef``); ``coupling[r]`` the global coupling row of the block's row
    ``r`` (targets, then side rows, the order of ``solver.compact``), −1 for its own rows.
    Cross edges with both ends changeable: ``cross_local`` (this end), ``cross_w``,
    ``cross_hint`` (the master's use of the other end, rewarded in the block's model).
    """

    index: int
    name: str
    parcels: np.ndarray
    instance: Instance
    start: np.ndarray
    coupling: np.ndarray
    cross_local: np.ndarray
    cross_w: np.ndarray
    cross_hint: np.ndarray
    row_share: np.ndarray  # how much of each coupling row the master put in this block

    def __sizeof__(self) -> int:
        return array_bytes(self)


def array_bytes(value: object, depth: int = 4) -> int:
    """Bytes of the arrays ``value`` holds (through attributes, lists, tuples and dicts).

    Dask sizes a task's result by ``sys.getsizeof``, which sees a few hundred bytes in a block
    holding hundreds of megabytes of arrays; with the true size a worker over its memory limit
    spills the finished blocks it keeps for the bound step to disk instead of growing.
    """
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if depth == 0:
        return 0
    if isinstance(value, (list, tuple)):
        return sum(array_bytes(v, depth - 1) for v in value)
    if isinstance(value, dict):
        return sum(array_bytes(v, depth - 1) for v in value.values())
    fields = getattr(value, "__dict__", None)
    return 0 if fields is None else sum(array_bytes(v, depth - 1) for v in fields.values())


def sub_landscape(land: Landscape, parcels: np.ndarray, name: str) -> Landscape:
    """The parcels ``parcels`` as a landscape of one region (edges inside it only)."""
    n = land.n_parcels
    pos = np.full(n, -1, np.int64)
    pos[parcels] = np.arange(parcels.size)
    e = land.edges
    inside = (pos[e[:, 0]] >= 0) & (pos[e[:, 1]] >= 0) if e.size else np.zeros(0, bool)
    changes: dict[str, object] = {
        "region": np.zeros(parcels.size, np.int32), "region_names": (name,),
        "region_names_en": (), "region_population": np.full(1, np.nan),
        "edges": pos[e[inside]] if e.size else e, "edge_length_m": land.edge_length_m[inside]}
    for f in fields(land):
        value = getattr(land, f.name)
        if f.name not in changes and isinstance(value, np.ndarray) and value.ndim >= 1 \
                and value.shape[0] == n:
            changes[f.name] = value[parcels]
    return replace(land, **changes)


def block_parts(inst: Instance, master: np.ndarray, blocks: list[Block]
                ) -> tuple[list[BlockPart], list[CouplingRow], float]:
    """Split ``inst`` at the master allocation into one :class:`BlockPart` per block.

    Returns the parts, the coupling rows, and the objective units of the edges across blocks
    whose ends both cannot change (a constant of every allocation).
    """
    land, n = inst.landscape, inst.landscape.n_parcels
    block_of = np.empty(n, np.int64)
    for b, blk in enumerate(blocks):
        block_of[blk.parcels] = b
    nb = len(blocks)
    own, coupling, per_block = _targets_by_block(inst, master, block_of, nb)
    limits, side_coupling = _side_limits(inst, master, block_of, nb)
    coupling += side_coupling
    fixed_use = np.argmax(inst.allowed, axis=1)
    unary, cross, constant = _cross_edges(inst, master, block_of, fixed_use)
    parts = []
    for b, blk in enumerate(blocks):
        p = blk.parcels
        sub = sub_landscape(land, p, blk.name)
        coef = inst.coef[p].copy()
        extra = unary.get(b)
        if extra is not None:
            np.add.at(coef, (extra[0], extra[1]), extra[2])
        targets = tuple(own[b]) + tuple(t for t, _ in per_block[b])
        bi = Instance(landscape=sub, scenario=inst.scenario, allowed=inst.allowed[p],
                      area=inst.area[p], coef=coef, edge_reward=_inside_rewards(inst, p),
                      balance_weight=inst.balance_weight[p], limits=limits[b],
                      targets=targets, status_quo_units=0, refs=inst.refs)
        bi = replace(bi, status_quo_units=bi.units_of(sub.current))
        rows = [-1] * len(own[b]) + [g for _, g in per_block[b]]
        rows += _side_coupling_ids(limits[b], len(coupling) - len(side_coupling), inst)
        loc, w, hint = cross.get(b, (np.zeros(0, np.int64),) * 3)
        parts.append(BlockPart(b, blk.name, p, bi, master[p].astype(np.int64),
                               np.asarray(rows, np.int64), loc, w, hint,
                               _row_share(bi, master[p], len(own[b]))))
    return parts, coupling, constant


def _targets_by_block(inst: Instance, master: np.ndarray, block_of: np.ndarray, nb: int):
    """(own targets per block, coupling rows, coupling targets per block with row ids)."""
    land = inst.landscape
    own: list[list[AreaTarget]] = [[] for _ in range(nb)]
    per_block: list[list[tuple[AreaTarget, int]]] = [[] for _ in range(nb)]
    coupling: list[CouplingRow] = []
    changeable = inst.mutable
    for t in inst.targets:
        scope = t.scope(land)
        present = np.bincount(block_of[scope], minlength=nb) > 0
        if not present.any():  # counts no parcel: the master met it, nothing to split
            continue
        if present.sum() == 1:
            own[int(np.flatnonzero(present)[0])].append(replace(t, region=-1))
            continue
        counted = scope & np.isin(master, t.classes)
        value_b = np.bincount(block_of[counted], weights=inst.area[counted], minlength=nb)
        room = np.bincount(block_of[scope & changeable], weights=inst.area[scope & changeable],
                           minlength=nb)
        lows, highs = _split(value_b.astype(np.int64), t.lo, t.hi, _shares(room))
        gid = len(coupling)
        coupling.append(CouplingRow(t.key, t.lo, t.hi, _total(lows, present),
                                    _total(highs, present)))
        for b in np.flatnonzero(present):
            per_block[b].append((replace(t, region=-1, lo=lows[b], hi=highs[b]), gid))
    return own, coupling, per_block


def _total(limits: list[int | None], present: np.ndarray) -> int | None:
    chosen = [limits[b] for b in np.flatnonzero(present)]
    return None if not chosen or chosen[0] is None else int(sum(chosen))


def _side_limits(inst: Instance, master: np.ndarray, block_of: np.ndarray, nb: int
                 ) -> tuple[list[Limits], list[CouplingRow]]:
    """Each block's conversion budget and 占补平衡 limit: its master value plus a share of the
    area's slack (the rows are coupling whenever the area has more than one block)."""
    values = _row_values(inst, master)
    room = _shares(np.bincount(block_of[inst.mutable], weights=inst.area[inst.mutable],
                               minlength=nb))
    changed: list[int | None] = [None] * nb
    balance_hi = [0] * nb
    rows: list[CouplingRow] = []
    if "farmland.balance" in values:
        v = np.bincount(block_of, weights=values["farmland.balance"], minlength=nb)
        balance_hi = _split(np.rint(v).astype(np.int64), None, inst.limits.balance_hi, room)[1]
        rows.append(CouplingRow("farmland.balance", None, inst.limits.balance_hi, None,
                                int(sum(balance_hi))))
    if "conversion.max_changed_pct" in values:
        v = np.bincount(block_of, weights=values["conversion.max_changed_pct"], minlength=nb)
        changed = _split(np.rint(v).astype(np.int64), None, inst.limits.changed_max, room)[1]
        rows.append(CouplingRow("conversion.max_changed_pct", None, inst.limits.changed_max,
                                None, int(sum(changed))))
    limits = [Limits(changed_max=changed[b], balance=inst.limits.balance,
                     balance_hi=int(balance_hi[b])) for b in range(nb)]
    return limits, rows


def _row_share(block: Instance, start: np.ndarray, n_own: int) -> np.ndarray:
    """|value| of each of the block's rows under the master's allocation (0 for own rows)."""
    targets = [abs(t.measure(block.landscape, block.area, start)) for t in block.targets]
    sides = [abs(r.value(start)) for r in side_rows(block, [])]
    share = np.asarray(targets + sides, float)
    share[:n_own] = 0.0
    return share


def _side_coupling_ids(limits: Limits, first: int, inst: Instance) -> list[int]:
    """Global ids of a block's side rows, in ``solver.exact.side_rows`` order."""
    ids, k = [], first
    if inst.limits.balance:
        ids.append(k)
        k += 1
    if limits.changed_max is not None:
        ids.append(k)
    return ids


def _inside_rewards(inst: Instance, parcels: np.ndarray) -> np.ndarray:
    e = inst.landscape.edges
    if not e.size:
        return inst.edge_reward[:0]
    inside = np.zeros(inst.landscape.n_parcels, bool)
    inside[parcels] = True
    return inst.edge_reward[inside[e[:, 0]] & inside[e[:, 1]]]


def _cross_edges(inst: Instance, master: np.ndarray, block_of: np.ndarray,
                 fixed_use: np.ndarray):
    """Edges across blocks: unary rewards per block (local parcel, use, units), the
    changeable–changeable ends per block (local parcel, w, other end's master use), and the
    units of the edges whose both ends are fixed."""
    e, w = inst.landscape.edges, inst.edge_reward
    if not e.size:
        return {}, {}, 0.0
    i, j = e[:, 0], e[:, 1]
    across = (block_of[i] != block_of[j]) & (w > 0)
    mutable = inst.mutable
    local = np.empty(block_of.size, np.int64)
    for b in np.unique(block_of):
        members = np.flatnonzero(block_of == b)
        local[members] = np.arange(members.size)
    both_fixed = across & ~mutable[i] & ~mutable[j]
    constant = float(w[both_fixed & (fixed_use[i] == fixed_use[j])].sum())
    unary: dict[int, list[np.ndarray]] = {}
    cross: dict[int, list[np.ndarray]] = {}
    for a, o in ((i, j), (j, i)):
        sel = across & mutable[a]
        # the other end's use: fixed where it cannot change, the master's where it can
        other = np.where(mutable[o], master[o], fixed_use[o])
        for b in np.unique(block_of[a[sel]]):
            s = sel & (block_of[a] == b)
            _append(unary, b, (local[a[s]], other[s], w[s]))
            both = s & mutable[o]
            _append(cross, b, (local[a[both]], w[both], master[o[both]]))
    return ({b: _cat(v) for b, v in unary.items()}, {b: _cat(v) for b, v in cross.items()},
            constant)


def _append(store: dict, b: int, arrays: tuple[np.ndarray, ...]) -> None:
    store.setdefault(int(b), []).append(arrays)


def _cat(chunks: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    return tuple(np.concatenate([c[k] for c in chunks]) for k in range(len(chunks[0])))


# ----- work on one block (runs on a worker) ------------------------------------------------------
@dataclass(eq=False)
class BlockSolve:
    """A block's allocation and what the bound step needs (the dual stays on the worker)."""

    index: int
    assignment: np.ndarray
    objective_units: int
    bound_units: float | None
    seconds: float
    phases: tuple[str, ...]
    prices: np.ndarray  # net price of each of the block's rows at its best bound
    dual: PottsDual | None = None

    def __sizeof__(self) -> int:
        return array_bytes(self)


def solve_block(part: BlockPart, config: SolverConfig) -> BlockSolve:
    """The block's search (exact core, then compactness) from the master's allocation."""
    t0 = time.monotonic()
    inst = part.instance
    if not inst.mutable.any():
        return BlockSolve(part.index, part.start, inst.units_of(part.start), None,
                          time.monotonic() - t0, ("fixed",), np.zeros(part.coupling.size))
    search, phases = run_search(AllocationModel(inst), config, start=part.start)
    dual = search.dual
    prices = dual.best_prices() if dual is not None else np.zeros(part.coupling.size)
    bound = search.bound_units()
    return BlockSolve(part.index, np.asarray(search.assignment, np.int64),
                      int(search.objective_units), bound, time.monotonic() - t0, tuple(phases),
                      prices, dual)


def summary(done: BlockSolve) -> BlockSolve:
    """The block's result without its dual (what travels back to the client)."""
    return replace(done, dual=None)


@dataclass(frozen=True, eq=False)
class BlockBound:
    """Upper bound (absolute units) of a block's priced problem, and its seconds."""

    index: int
    bound_units: float
    seconds: float
    steps: int


def bound_block(part: BlockPart, done: BlockSolve, prices: np.ndarray,
                shift: tuple[np.ndarray, np.ndarray], steps: int = BOUND_STEPS,
                time_limit_s: float = 60.0) -> BlockBound:
    """The block's decomposition bound with its coupling rows priced at ``prices`` (one per
    global coupling row) and the cross-edge terms of the global bound (``shift``: local
    parcels and their (len, K) units added to the unary terms, :func:`cross_shifts`).
    Valid at every step; the smallest is returned."""
    t0 = time.monotonic()
    inst = part.instance
    dual = done.dual if done.dual is not None else PottsDual(inst)
    step_length = dual.gamma
    mine = np.flatnonzero(part.coupling >= 0)
    dual.pin(mine, prices[part.coupling[mine]])
    rows, values = shift
    if rows.size:
        dual.add_unary(rows, values.astype(float))
    # the search's step length, not a full one: the re-priced point lies near the search's,
    # and full-length steps threw it off (Wuhan 90 m, 2 blocks: global gap 2.32 % → 1.87 %)
    dual.gamma = step_length
    a = done.assignment
    primal = float(inst.units_of(a) + inst.status_quo_units + values[
        np.arange(rows.size), a[rows]].sum())
    best, taken = np.inf, 0
    while taken < steps:
        best = min(best, dual.iterate(primal))
        taken += 1
        if dual.stalled or time.monotonic() - t0 > time_limit_s:
            break
    if not np.isfinite(best):
        best = dual.evaluate()
    return BlockBound(part.index, float(best), time.monotonic() - t0, taken)


# ----- the client's side: prices, cross terms, stitching, the global bound ------------------------
def common_prices(parts: list[BlockPart], solved: list[BlockSolve],
                  coupling: list[CouplingRow]) -> np.ndarray:
    """One price per coupling row: the blocks' own multipliers, weighted by how much of the
    row each block holds (a block with none of a growth target has no say in its price),
    with the sign the row's sides allow."""
    total = np.zeros(len(coupling))
    weight = np.zeros(len(coupling))
    for part, done in zip(parts, solved, strict=True):
        mine = np.flatnonzero(part.coupling >= 0)
        size = part.row_share[mine] + 1e-9
        np.add.at(total, part.coupling[mine], size * done.prices[mine])
        np.add.at(weight, part.coupling[mine], size)
    prices = np.where(weight > 0, total / np.maximum(weight, 1e-300), 0.0)
    for r, row in enumerate(coupling):
        if row.lo is None:
            prices[r] = min(prices[r], 0.0)
        if row.hi is None:
            prices[r] = max(prices[r], 0.0)
    return prices


def cross_shifts(parts: list[BlockPart], stitched: np.ndarray,
                 inst: Instance) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per block, its border parcels and the (len, K) units that turn the block model's
    cross-edge rewards (other end at the master's use) into the split
    θ_i + θ_j ≥ w·[x_i = x_j] of the global bound: the end with the smaller parcel index gets
    w·[c = a], the other w·[c ≠ a], a = the larger-index end's stitched use."""
    e, w = inst.landscape.edges, inst.edge_reward
    k = inst.allowed.shape[1]
    out = []
    mutable = inst.mutable
    if e.size:
        i, j = e[:, 0], e[:, 1]
        block_of = np.empty(stitched.size, np.int64)
        for p in parts:
            block_of[p.parcels] = p.index
        across = (block_of[i] != block_of[j]) & (w > 0) & mutable[i] & mutable[j]
        ci, cj, cw = i[across], j[across], w[across].astype(np.int64)
        anchor = stitched[cj]
    for p in parts:
        shift = np.zeros((p.parcels.size, k), np.int64)
        if e.size and p.cross_local.size:
            pos = np.full(stitched.size, -1, np.int64)
            pos[p.parcels] = np.arange(p.parcels.size)
            # remove the block model's reward for matching the master's use of the other end
            np.add.at(shift, (p.cross_local, p.cross_hint), -p.cross_w)
            mine_i = pos[ci] >= 0
            np.add.at(shift, (pos[ci[mine_i]], anchor[mine_i]), cw[mine_i])
            mine_j = pos[cj] >= 0
            shift[pos[cj[mine_j]]] += cw[mine_j, None]
            np.add.at(shift, (pos[cj[mine_j]], anchor[mine_j]), -cw[mine_j])
        rows = np.flatnonzero(np.abs(shift).sum(axis=1) > 0)
        out.append((rows, shift[rows]))
    return out


def stitch(n: int, parts: list[BlockPart], solved: list[BlockSolve]) -> np.ndarray:
    """The whole area's allocation from the blocks' ones."""
    out = np.empty(n, np.int64)
    for part, done in zip(parts, solved, strict=True):
        out[part.parcels] = done.assignment
    return out


def global_bound(inst: Instance, bounds: list[BlockBound], coupling: list[CouplingRow],
                 prices: np.ndarray, cross_constant: float) -> float:
    """Upper bound of the whole model (units, status quo subtracted): the blocks' priced
    bounds added up, the priced difference between the area's limits and the blocks' ones,
    the fixed cross edges; raised by the floating-point margin."""
    total = sum(b.bound_units for b in bounds) + cross_constant
    total += sum(row.correction(float(p)) for row, p in zip(coupling, prices, strict=True))
    total += BOUND_MARGIN * abs(total)
    return float(np.ceil(total)) - inst.status_quo_units
