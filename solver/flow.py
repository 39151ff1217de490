"""The exact core: the allocation without compactness as a min-cost flow.

Area targets whose class × region cells nest (parcel → region×class → class → group, see
``solver.targets``) make the linear allocation a network flow problem, which OR-Tools'
network solver (``SimpleMinCostFlow``, cost scaling) solves exactly and fast::

    parcel i ──(cap area_i, cost −coef[i,c]/area_i)──▶ cell (region_i, c)
    cell ──▶ smallest target containing it ──▶ … ──▶ sink      (target arcs carry [lo, hi])

Flow is measured in m², so a parcel of unequal area may be split between classes; in an
optimal flow only a handful are (the marginal parcels of binding targets), and the search
closes them with CP-SAT. Costs are scaled to integers; the rounding error is bounded and
added to the bound, so ``bound_units`` is a proven upper bound of the LP relaxation of the
nested model (hence of the integer model without side rows).

Side rows (占补平衡, the conversion budget, targets that cross the nesting) are priced in by
Lagrangian multipliers: for any λ ≥ 0, max_x [obj(x) + λ·(rhs − row(x))] over the flow
polytope is an upper bound of the full model (:func:`lagrangian_flow`).

Elastic mode (``elastic=True``) replaces the objective by the total violation of the target
bands (m²); it never fails, and its slacks say which levers conflict and by how much.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from solver.instance import Instance
from solver.targets import AreaTarget

COST_CAP = 1e15  # largest integer unit cost handed to the network solver
ELASTIC_UNIT = 1_000  # elastic mode: cost of one m² of band violation (room for prices)
#: Identical parcels are merged only when that divides their number by this much, judged
#: first on an evenly spaced sample of GROUP_SAMPLE parcels.
GROUP_GAIN = 4
GROUP_SAMPLE = 20_000


@dataclass(frozen=True, eq=False)
class SideRow:
    """A linear row lo ≤ Σ_i W[i, use_i] ≤ hi that the flow cannot carry (relaxed, priced).

    ``weight`` is (n, K) int64 over all parcels (fixed ones included); ``key`` the lever.
    """

    key: str
    weight: np.ndarray
    lo: int | None
    hi: int | None

    def value(self, assignment: np.ndarray) -> int:
        return int(self.weight[np.arange(assignment.shape[0]), assignment].sum())

    def violation(self, assignment: np.ndarray) -> int:
        v = self.value(assignment)
        return max((self.lo - v) if self.lo is not None else 0,
                   (v - self.hi) if self.hi is not None else 0, 0)


@dataclass(frozen=True, eq=False)
class FlowOutcome:
    """One flow solve.

    status : ``"optimal"`` | ``"infeasible"`` | ``"error"``
    assignment : (n,) int32 class per parcel (a split parcel takes its largest share)
    split : indices of parcels whose area the flow divided between classes
    bound_units : proven upper bound (objective units, status quo not subtracted) of the
        relaxation solved (None unless optimal; elastic mode has none)
    """

    status: str
    assignment: np.ndarray | None
    split: np.ndarray
    bound_units: float | None
    wall_time_s: float


# ----- nesting ------------------------------------------------------------------------------
@dataclass
class _Node:
    cells: frozenset[int]
    targets: list[AreaTarget]
    lo: int = 0
    hi: int | None = None
    parent: int = -1  # index into the node list, −1 = sink
    soft: bool = True  # elastic mode: may this node's band be violated?


def _cell_ids(inst: Instance, mutable: np.ndarray) -> tuple[np.ndarray, dict[tuple[int, int], int]]:
    """(n, K) cell id of every mutable allowed pair (−1 elsewhere) and the (region, class) map."""
    land = inst.landscape
    pairs = inst.allowed & mutable[:, None]
    rows, cls = np.nonzero(pairs)
    keys = land.region[rows].astype(np.int64) * land.n_classes + cls
    # keys are small (regions × classes): number the present ones by counting, not sorting
    # (np.unique sorted 19 million pairs in ~10 s on Wuhan at 30 m)
    present = np.zeros(int(keys.max(initial=-1)) + 1, bool)
    present[keys] = True
    uniq = np.flatnonzero(present)
    number = np.cumsum(present) - 1
    ids = np.full(pairs.shape, -1, dtype=np.int64)
    ids[rows, cls] = number[keys]
    index = {(int(k) // land.n_classes, int(k) % land.n_classes): j for j, k in enumerate(uniq)}
    return ids, index


def _target_cells(t: AreaTarget, index: dict[tuple[int, int], int]) -> frozenset[int]:
    return frozenset(j for (r, c), j in index.items()
                     if c in t.classes and (t.region < 0 or r == t.region))


def _mask_matters(inst: Instance, t: AreaTarget, mutable: np.ndarray) -> bool:
    """True when parcels outside the target's scope could move in or out of its classes
    (then the target is not a function of the cells alone)."""
    if not t.exclude_current:
        return False
    land = inst.landscape
    region = np.ones(land.n_parcels, bool) if t.region < 0 else land.region == t.region
    out = region & mutable & np.isin(land.current, t.exclude_current)
    if not out.any():
        return False
    inside = inst.allowed[out][:, list(t.classes)].any(axis=1)
    outside = np.delete(inst.allowed[out], list(t.classes), axis=1).any(axis=1)
    return bool((inside & outside).any())


def _shift(inst: Instance, t: AreaTarget, mutable: np.ndarray) -> int:
    """Constant part of a target: fixed parcels in scope in its classes, minus mutable
    parcels counted by the cells but outside the scope (always in its classes)."""
    land = inst.landscape
    fixed_use = np.argmax(inst.allowed, axis=1)
    in_cls = np.isin(fixed_use, t.classes)
    scope = t.scope(land)
    const = int(inst.area[scope & ~mutable & in_cls].sum())
    region = np.ones(land.n_parcels, bool) if t.region < 0 else land.region == t.region
    excluded = region & ~scope & mutable
    if excluded.any():
        always = ~np.delete(inst.allowed, list(t.classes), axis=1).any(axis=1)
        const -= int(inst.area[excluded & always].sum())
    return const


def split_targets(inst: Instance, targets: tuple[AreaTarget, ...] | None = None
                  ) -> tuple[list[AreaTarget], list[AreaTarget]]:
    """(nested, crossing): the targets the flow carries and those left as side rows."""
    mutable = inst.mutable
    _, index = _cell_ids(inst, mutable)
    nested: list[AreaTarget] = []
    sets: list[frozenset[int]] = []
    crossing: list[AreaTarget] = []
    candidates = targets if targets is not None else inst.targets
    for t in sorted(candidates, key=lambda t: -len(_target_cells(t, index))):
        cells = _target_cells(t, index)
        ok = not _mask_matters(inst, t, mutable) and all(
            not (cells & s) or cells <= s or s <= cells for s in sets)
        (nested if ok else crossing).append(t)
        if ok:
            sets.append(cells)
    return nested, crossing


def _tree(inst: Instance, nested: list[AreaTarget], index: dict, mutable: np.ndarray
          ) -> tuple[list[_Node], list[str]]:
    """Laminar tree of target nodes (largest first); equal cell sets share a node.
    Returns the nodes and the keys of targets that are violated by constants alone."""
    nodes: list[_Node] = []
    broken: list[str] = []
    for t in nested:
        cells = _target_cells(t, index)
        const = _shift(inst, t, mutable)
        lo = None if t.lo is None else t.lo - const
        hi = None if t.hi is None else t.hi - const
        if not cells:  # nothing in scope can change: the target holds or it does not
            if (lo is not None and lo > 0) or (hi is not None and hi < 0):
                broken.append(t.key)
            continue
        same = next((n for n in nodes if n.cells == cells), None)
        if same is None:
            parents = [k for k, n in enumerate(nodes) if cells < n.cells]
            parent = min(parents, key=lambda k: len(nodes[k].cells)) if parents else -1
            same = _Node(cells, [], 0, None, parent)
            nodes.append(same)
        same.targets.append(t)
        if lo is not None:
            same.lo = max(same.lo, lo)
        if hi is not None:
            same.hi = hi if same.hi is None else min(same.hi, hi)
    return nodes, broken


# ----- the network --------------------------------------------------------------------------
def _unit_costs(inst: Instance, mutable_idx: np.ndarray, cell: np.ndarray,
                extra: np.ndarray | None, total_flow: int, n_nodes: int
                ) -> tuple[np.ndarray, float]:
    """Integer cost per m² of every parcel arc (min-cost: negated value) and the scale K."""
    area = inst.area[mutable_idx].astype(float)
    value = inst.coef[mutable_idx].astype(float)
    if extra is not None:
        value = value + extra[mutable_idx]
    on = cell[mutable_idx] >= 0
    per_m2 = np.where(on, value / np.maximum(area, 1.0)[:, None], 0.0)
    biggest = float(np.abs(per_m2[on]).max()) if on.any() else 0.0
    cap = min(COST_CAP, 1e18 / max(total_flow, 1), 1e18 / (n_nodes + 1) / 64)
    scale = cap / biggest if biggest > 0 else 1.0
    return np.rint(-per_m2 * scale).astype(np.int64), scale


def _elastic_arcs(node_id: int, parent_id: int, n: _Node, inf: int) -> list[tuple]:
    """Arcs (tail, head, cap, cost) that let a band be violated at one unit per m²."""
    lo = max(n.lo, 0)
    hi = inf if n.hi is None else max(n.hi, 0)
    lo = min(lo, hi)
    return [(node_id, parent_id, lo, -ELASTIC_UNIT), (node_id, parent_id, hi - lo, 0),
            (node_id, parent_id, inf, ELASTIC_UNIT)]


def solve_flow(inst: Instance, extra: np.ndarray | None = None, elastic: bool = False,
               nested: list[AreaTarget] | None = None,
               soft_keys: frozenset[str] | None = None) -> FlowOutcome:
    """Min-cost flow over the nested targets of ``inst`` (see the module docstring).

    Parameters
    ----------
    inst : Instance
    extra : (n, K) float, optional
        Added to the objective coefficients (Lagrangian prices of side rows), units.
    elastic : bool
        Minimise the total violation of the target bands instead of the objective.
    nested : list of AreaTarget, optional
        The targets to carry (default: every target that nests, :func:`split_targets`).
    soft_keys : frozenset of str, optional
        Elastic mode: only targets with these lever keys are elastic (default: all).

    Returns
    -------
    FlowOutcome
    """
    t0 = time.monotonic()
    mutable = inst.mutable
    cell, index = _cell_ids(inst, mutable)
    if nested is None:
        nested = split_targets(inst)[0]
    nodes, broken = _tree(inst, nested, index, mutable)
    if elastic and soft_keys is not None:
        broken = [k for k in broken if k not in soft_keys]
        for n in nodes:
            n.soft = any(t.key in soft_keys for t in n.targets)
    if broken and not (elastic and soft_keys is None):
        return FlowOutcome("infeasible", None, np.zeros(0, np.int64), None,
                           time.monotonic() - t0)
    return _solve_network(inst, cell, index, nodes, extra, elastic, t0)


def _solve_network(inst: Instance, cell: np.ndarray, index: dict, nodes: list[_Node],
                   extra: np.ndarray | None, elastic: bool, t0: float) -> FlowOutcome:
    land = inst.landscape
    mutable_idx = np.flatnonzero(inst.mutable)
    m, n_cells, n_nodes = mutable_idx.size, len(index), len(nodes)
    cell_base, node_base = m, m + n_cells
    sink = node_base + n_nodes
    total = int(inst.area[mutable_idx].sum())
    inf = total + 1
    if elastic:  # band violations cost ELASTIC_UNIT per m²; prices (in m² of slack) scaled alike
        costs, scale = np.zeros((m, land.n_classes), np.int64), 1.0
        if extra is not None:
            per_m2 = extra[mutable_idx] / np.maximum(inst.area[mutable_idx], 1)[:, None]
            costs = np.rint(-per_m2 * ELASTIC_UNIT).astype(np.int64)
    else:
        costs, scale = _unit_costs(inst, mutable_idx, cell, extra, total, sink + 1)
    groups = _Groups.of(cell[mutable_idx], costs, inst.area[mutable_idx]) if elastic else None
    if groups is not None:  # one source node per group of identical parcels
        reps, count = groups.first, groups.count
        m, cell_base = reps.size, reps.size
        node_base, sink = cell_base + n_cells, cell_base + n_cells + n_nodes
    else:
        reps, count = np.arange(m), np.ones(m, np.int64)
    rows, cls = np.nonzero(cell[mutable_idx[reps]] >= 0)
    group_area = inst.area[mutable_idx[reps]].astype(np.int64) * count
    tails = [rows.astype(np.int64)]
    heads = [cell_base + cell[mutable_idx[reps[rows]], cls]]
    caps = [group_area[rows]]
    unit = [costs[reps[rows], cls]]
    supply = np.zeros(sink + 1, dtype=np.int64)
    supply[:m] = group_area
    supply[sink] = -total
    cell_parent = _cell_parents(index, nodes)
    tails.append(cell_base + np.arange(n_cells))
    heads.append(np.where(cell_parent >= 0, node_base + cell_parent, sink))
    caps.append(np.full(n_cells, inf, np.int64))
    unit.append(np.zeros(n_cells, np.int64))
    band_arcs = _band_arcs(nodes, node_base, sink, supply, inf, elastic)
    if band_arcs is None:
        return FlowOutcome("infeasible", None, np.zeros(0, np.int64), None,
                           time.monotonic() - t0)
    if band_arcs:
        for arrays, col in zip((tails, heads, caps, unit), zip(*band_arcs, strict=True),
                               strict=True):
            arrays.append(np.asarray(col, dtype=np.int64))
    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(
        *(np.concatenate(a).astype(np.int64) for a in (tails, heads, caps, unit)))
    smcf.set_nodes_supplies(np.arange(sink + 1), supply)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        name = "infeasible" if status in (smcf.INFEASIBLE, smcf.UNBALANCED) else "error"
        return FlowOutcome(name, None, np.zeros(0, np.int64), None, time.monotonic() - t0)
    flows = smcf.flows(arcs)
    if groups is not None:
        assignment, split = groups.assignment(inst, mutable_idx, rows, cls, flows[:rows.size])
    else:
        assignment, split = _assignment(inst, mutable_idx, rows, cls, flows[:rows.size])
    bound = None if elastic else _bound(inst, smcf.optimal_cost(), scale, total, extra)
    return FlowOutcome("optimal", assignment, split, bound, time.monotonic() - t0)


def _cell_parents(index: dict, nodes: list[_Node]) -> np.ndarray:
    parent = np.full(len(index), -1, dtype=np.int64)
    size = np.full(len(index), np.iinfo(np.int64).max)
    for k, n in enumerate(nodes):
        for j in n.cells:
            if len(n.cells) < size[j]:
                parent[j], size[j] = k, len(n.cells)
    return parent


def _band_arcs(nodes: list[_Node], node_base: int, sink: int, supply: np.ndarray, inf: int,
               elastic: bool) -> list[tuple] | None:
    """Arcs of the target nodes; hard lower bounds become supply shifts."""
    arcs: list[tuple] = []
    for k, n in enumerate(nodes):
        me = node_base + k
        up = node_base + n.parent if n.parent >= 0 else sink
        if elastic and n.soft:
            arcs += _elastic_arcs(me, up, n, inf)
            continue
        lo, hi = max(n.lo, 0), inf if n.hi is None else n.hi
        if hi < lo:
            return None
        supply[me] -= lo
        supply[up] += lo
        arcs.append((me, up, hi - lo, 0))
    return arcs


def _assignment(inst: Instance, mutable_idx: np.ndarray, rows: np.ndarray, cls: np.ndarray,
                flows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Use per parcel (largest share) and the parcels the flow split."""
    land = inst.landscape
    assignment = np.argmax(inst.allowed, axis=1).astype(np.int32)  # fixed parcels
    share = np.zeros((mutable_idx.size, land.n_classes))
    share[rows, cls] = flows
    assignment[mutable_idx] = np.argmax(share, axis=1)
    split = mutable_idx[(share > 0).sum(axis=1) > 1]
    return assignment, split


def _arc_keys(cells: np.ndarray, costs: np.ndarray, area: np.ndarray) -> np.ndarray:
    """One row per parcel: its cells, unit costs and area (what its arcs are made of)."""
    return np.column_stack([cells, costs, area]).astype(np.int64)


def _digest(key: np.ndarray, mix: np.ndarray) -> np.ndarray:
    """One integer per row (wrapping multiply-add); equal rows, equal digest. Different rows
    may collide: :meth:`_Groups.of` checks every member against its group."""
    with np.errstate(over="ignore"):
        return (key * mix).sum(axis=1)


@dataclass(frozen=True, eq=False)
class _Groups:
    """Mutable parcels with identical arcs (same cells, unit costs and area), solved as one
    source node each.

    The elastic objective carries no suitability, so on a grid most cells of a region and
    class share their arcs (Wuhan at 30 m: 4.3 million changeable cells); merging identical
    columns leaves the flow polytope's optimum unchanged and shrinks the network to the
    distinct kinds of parcel. Side-row prices can make parcels differ, which a sample shows
    cheaply. (The allocating flows are not merged: with suitability in the costs nearly every
    parcel differs, and whole parcels from a merged vertex would leave more for the repair.)
    ``inverse`` maps each parcel to its group, ``first`` is each group's first parcel,
    ``count`` its size.
    """

    inverse: np.ndarray
    first: np.ndarray
    count: np.ndarray

    @classmethod
    def of(cls, cells: np.ndarray, costs: np.ndarray, area: np.ndarray) -> _Groups | None:
        """The groups, or None when merging would not shrink the network by ``GROUP_GAIN``."""
        mix = np.random.default_rng(0).integers(1, 2**62, 2 * cells.shape[1] + 1) | 1
        sample = np.linspace(0, area.size - 1, min(area.size, GROUP_SAMPLE)).astype(np.int64)
        sampled = _arc_keys(cells[sample], costs[sample], area[sample])
        if np.unique(_digest(sampled, mix)).size * GROUP_GAIN > sample.size:
            return None
        key = _arc_keys(cells, costs, area)
        _, first, inverse, count = np.unique(_digest(key, mix), return_index=True,
                                             return_inverse=True, return_counts=True)
        if first.size * GROUP_GAIN > area.size or not (key == key[first[inverse]]).all():
            return None
        return cls(inverse.ravel(), first, count.astype(np.int64))

    def assignment(self, inst: Instance, mutable_idx: np.ndarray, rows: np.ndarray,
                   cls_: np.ndarray, flows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each group's flow per class as whole parcels (largest remainders), handed out to
        its members in index order; ``split``: first parcel of each group with a fraction."""
        k = inst.landscape.n_classes
        assignment = np.argmax(inst.allowed, axis=1).astype(np.int32)  # fixed parcels
        share = np.zeros((self.first.size, k))
        share[rows, cls_] = flows
        cells = share / inst.area[mutable_idx[self.first]].astype(float)[:, None]
        whole = np.floor(cells + 1e-9).astype(np.int64)
        short = self.count - whole.sum(axis=1)
        order = np.argsort(-(cells - whole), axis=1, kind="stable")
        for g in np.flatnonzero(short > 0):
            whole[g, order[g, :short[g]]] += 1
        members = np.argsort(self.inverse, kind="stable")  # grouped, index order within
        uses = np.repeat(np.tile(np.arange(k), self.first.size), whole.ravel())
        assignment[mutable_idx[members]] = uses
        split = mutable_idx[self.first[(np.abs(cells - np.rint(cells)) > 1e-9).any(axis=1)]]
        return assignment, split


def _bound(inst: Instance, optimal_cost: int, scale: float, total: int,
           extra: np.ndarray | None) -> float:
    """Proven upper bound of the relaxation in objective units (status quo not subtracted).

    Rounding each unit cost moves it by ≤ 0.5/scale units per m², so the true optimum is at
    most the flow's value plus total/(2·scale); fixed parcels add their constant value.
    """
    fixed = ~inst.mutable
    use = np.argmax(inst.allowed, axis=1)
    const = float(inst.coef[np.flatnonzero(fixed), use[fixed]].sum())
    if extra is not None:
        const += float(extra[np.flatnonzero(fixed), use[fixed]].sum())
    slack_err = 0.5 * total / scale + 1.0
    return -float(optimal_cost) / scale + slack_err + const
