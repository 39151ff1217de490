"""Compiled kernels for the compactness term seen as a Potts model on the parcel graph.

The compactness reward Σ_e w_e·[use_i = use_j] is a Potts model. Its edges are split into a
few spanning forests (:func:`forest_cover`); on a forest the exact maximum of unary values
plus Potts rewards is a max-sum dynamic programme (:func:`forest_max`), linear in the number
of nodes. ``solver.compact`` sums such forest maxima into a valid upper bound (dual
decomposition) and reads allocations off their labels.

The loops run in numba: at a million cells a pure-numpy level-by-level version spends its
time in interpreter overhead. ``cache=True`` compiles once per machine (about 2 s).
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Value of a use a parcel may not take (finite so that sums stay finite).
FORBIDDEN = -1e30


@njit(cache=True)
def _root(parent: np.ndarray, f: int, x: int) -> int:
    r = x
    while parent[f, r] != r:
        r = parent[f, r]
    while parent[f, x] != r:  # path compression
        nxt = parent[f, x]
        parent[f, x] = r
        x = nxt
    return r


@njit(cache=True)
def forest_cover(n: int, ei: np.ndarray, ej: np.ndarray, max_forests: int) -> np.ndarray:
    """Forest id of every edge: each edge joins the first forest it closes no cycle in.

    Returns −1 for edges that fit none of ``max_forests`` forests (planar graphs need 3).
    """
    parent = np.empty((max_forests, n), np.int64)
    for f in range(max_forests):
        for v in range(n):
            parent[f, v] = v
    fid = np.full(ei.size, -1, np.int64)
    for e in range(ei.size):
        for f in range(max_forests):
            a = _root(parent, f, ei[e])
            b = _root(parent, f, ej[e])
            if a != b:
                parent[f, a] = b
                fid[e] = f
                break
    return fid


@njit(cache=True)
def root_forest(n: int, ei: np.ndarray, ej: np.ndarray, w: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Breadth-first order, parent (−1 at roots) and weight of the edge to the parent.

    Only nodes with at least one edge of the forest appear in the order.
    """
    degree = np.zeros(n + 1, np.int64)
    for e in range(ei.size):
        degree[ei[e] + 1] += 1
        degree[ej[e] + 1] += 1
    start = np.cumsum(degree)
    nbr = np.empty(2 * ei.size, np.int64)
    nbr_w = np.empty(2 * ei.size, np.float64)
    fill = start[:-1].copy()
    for e in range(ei.size):
        a, b = ei[e], ej[e]
        nbr[fill[a]], nbr_w[fill[a]] = b, w[e]
        fill[a] += 1
        nbr[fill[b]], nbr_w[fill[b]] = a, w[e]
        fill[b] += 1
    parent = np.full(n, -2, np.int64)
    parent_w = np.zeros(n)
    order = np.empty(n, np.int64)
    k = 0
    for s in range(n):
        if parent[s] != -2 or start[s + 1] == start[s]:
            continue
        parent[s] = -1
        order[k] = s
        head = k
        k += 1
        while head < k:
            v = order[head]
            head += 1
            for q in range(start[v], start[v + 1]):
                u = nbr[q]
                if parent[u] == -2:
                    parent[u], parent_w[u] = v, nbr_w[q]
                    order[k] = u
                    k += 1
    return order[:k], parent, parent_w


@njit(cache=True)
def forest_max(order: np.ndarray, parent: np.ndarray, parent_w: np.ndarray,
               theta: np.ndarray, share: np.ndarray, delta: np.ndarray,
               labels: np.ndarray) -> float:
    """max Σ_i u_i(x_i) + Σ_edges w·[x_i = x_parent] over one forest, u = θ·share + δ.

    Writes the maximising labels of the forest's nodes into ``labels``; returns the maximum.
    """
    k = theta.shape[1]
    m = np.empty((order.size, k))
    pos = np.empty(theta.shape[0], np.int64)
    for idx in range(order.size):
        i = order[idx]
        pos[i] = idx
        for c in range(k):
            m[idx, c] = theta[i, c] * share[i] + delta[i, c]
    total = 0.0
    for idx in range(order.size - 1, -1, -1):  # leaves first: messages to the parent
        i = order[idx]
        best = FORBIDDEN * 10
        for c in range(k):
            best = max(best, m[idx, c])
        p = parent[i]
        if p < 0:
            total += best
            continue
        w, up = parent_w[i], pos[p]
        for c in range(k):
            m[up, c] += max(m[idx, c] + w, best)
    for idx in range(order.size):  # roots first: decode
        i = order[idx]
        p = parent[i]
        best, arg = FORBIDDEN * 10, 0
        for c in range(k):
            v = m[idx, c] + (parent_w[i] if p >= 0 and c == labels[p] else 0.0)
            if v > best:
                best, arg = v, c
        labels[i] = arg
    return total


@njit(cache=True)
def majority_votes(labels: np.ndarray, member: np.ndarray, count: np.ndarray,
                   votes: np.ndarray) -> None:
    """Share of the forests holding each node that vote for each use (into ``votes``)."""
    n_forests, n = labels.shape
    k = votes.shape[1]
    for i in range(n):
        if count[i] == 0:
            continue
        for c in range(k):
            votes[i, c] = 0.0
        for f in range(n_forests):
            if member[f, i]:
                votes[i, labels[f, i]] += 1.0 / count[i]


@njit(cache=True)
def correct_shares(labels: np.ndarray, member: np.ndarray, votes: np.ndarray,
                   delta: np.ndarray, step: float) -> None:
    """δ_f −= step·([x_f = c] − votes): the subgradient step of the decomposition bound in δ
    (it keeps Σ_f δ_f = 0 at every node)."""
    n_forests, n = labels.shape
    k = votes.shape[1]
    for f in range(n_forests):
        for i in range(n):
            if not member[f, i]:
                continue
            for c in range(k):
                g = (1.0 if labels[f, i] == c else 0.0) - votes[i, c]
                delta[f, i, c] -= step * g


@njit(cache=True)
def disagreement_norm(labels: np.ndarray, member: np.ndarray, votes: np.ndarray) -> float:
    """‖g‖² of the δ subgradient: Σ_f Σ_i Σ_c ([x_f = c] − votes)² over member nodes."""
    n_forests, n = labels.shape
    k = votes.shape[1]
    total = 0.0
    for f in range(n_forests):
        for i in range(n):
            if not member[f, i]:
                continue
            for c in range(k):
                g = (1.0 if labels[f, i] == c else 0.0) - votes[i, c]
                total += g * g
    return total


@njit(cache=True)
def row_values(start: np.ndarray, node: np.ndarray, cls: np.ndarray, weight: np.ndarray,
               votes: np.ndarray) -> np.ndarray:
    """Σ weight·votes[node, cls] of each row; row r holds entries start[r]:start[r + 1]."""
    out = np.zeros(start.size - 1)
    for r in range(start.size - 1):
        total = 0.0
        for q in range(start[r], start[r + 1]):
            total += weight[q] * votes[node[q], cls[q]]
        out[r] = total
    return out


@njit(cache=True)
def shift_rows(start: np.ndarray, node: np.ndarray, cls: np.ndarray, weight: np.ndarray,
               change: np.ndarray, theta: np.ndarray) -> None:
    """θ[node, cls] += change[r]·weight for the entries of every row r with a change."""
    for r in range(start.size - 1):
        if change[r] == 0.0:
            continue
        for q in range(start[r], start[r + 1]):
            theta[node[q], cls[q]] += change[r] * weight[q]
