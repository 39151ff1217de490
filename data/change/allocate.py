"""Allocate one period's change to a demand table with the engine, from any score matrix.

Validation asks: given the end year's class areas (the demand) and the cells that may not change,
where does the change go? The engine answers that optimally on equal cells (its network-flow
core: class areas are nested targets), and to a proven gap of at most 1 % where cells cut by
nodata have unequal areas, for the learned model and for the baselines alike, so every model is
scored on the same demand, the same locks and the same solver.

The learned model's scores come from :func:`transition_scores`: a cell keeps its class for a
value of ``inertia`` and changes to class k for ``P[i, k]``, so a change is made where its
probability beats the inertia, and the demand's prices decide how many. This is a threshold
rule, chosen by measurement: the Dinkelbach step of maximising the *expected* Figure of Merit θ
would value a change at ``P[i, k] − θ·P[i, current]`` with probabilities calibrated for the
validated period, but ours are learned on another period (Wuhan: 2 years for a 5-year
validation); on Wuhan at 300 m the constant inertia 0.1 scored FoM 0.202 against 0.196 for the
best θ (0.1; θ = 0.2 gave 0.174). Maximising Σ P instead (inertia = P of the current class)
moves only the net change; maximising Σ log P gives the likeliest map, not the most skilful
(both scored about half the FoM at 30 m in our trials).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data.change.maps import FAR_M
from solver.landscape import Landscape
from solver.orchestrate import solve
from solver.result import AllocationResult
from solver.scenario import Scenario
from solver.validate import check_allocation

#: Default inertia: the best constant on Wuhan at 300 m (0.07 → 0.198, 0.1 → 0.202, 0.13 → 0.197).
DEFAULT_INERTIA = 0.1
TARGET_GAP_PCT = 1.0


@dataclass(frozen=True)
class ChangeProblem:
    """What one period's allocation needs, per cell.

    current : (n,) class index at the start; area_ha : (n,); locked : (n,) bool (no change);
    demand_ha : (K,) class areas at the end; class_keys / class_roles / class_codes : (K,);
    edges : (m, 2) neighbour pairs (i < j) and edge_m their shared length, for compactness.
    """

    current: np.ndarray
    area_ha: np.ndarray
    locked: np.ndarray
    demand_ha: np.ndarray
    class_keys: tuple[str, ...]
    class_roles: tuple[str, ...]
    class_codes: tuple[int, ...]
    edges: np.ndarray
    edge_m: np.ndarray


def transition_scores(potential: np.ndarray, current: np.ndarray,
                      inertia: float = DEFAULT_INERTIA) -> np.ndarray:
    """0..100 scores: ``100·P[i, k]`` for a change to k, ``100·inertia`` for keeping the class."""
    scores = 100.0 * potential.astype(np.float64)
    scores[np.arange(len(current)), current] = 100.0 * inertia
    return scores


def nearest_class_scores(distance_m: np.ndarray, current: np.ndarray) -> np.ndarray:
    """The nearest-same-class rule: a change to k scores higher the nearer the cell is to
    existing k; keeping the class scores above any change, so only the demanded change moves."""
    # a class absent from the map is "far" everywhere: keep it out of the scale, or its
    # placeholder distance would flatten every real difference below the engine's precision
    present = np.isfinite(distance_m) & (distance_m < FAR_M)
    reach = max(float(distance_m[present].max(initial=0.0)), 1.0)
    scores = np.where(present, 50.0 * (1.0 - np.where(present, distance_m, reach) / reach), 0.0)
    scores[np.arange(len(current)), current] = 100.0
    return scores


def random_scores(n: int, n_classes: int, current: np.ndarray, seed: int) -> np.ndarray:
    """Random placement of the demanded change (keeping a class scores above any change)."""
    scores = 50.0 * np.random.default_rng(seed).random((n, n_classes))
    scores[np.arange(n), current] = 100.0
    return scores


def change_scenario(problem: ChangeProblem, time_limit_s: float, seed: int,
                    compactness: float = 0.0) -> Scenario:
    """A scenario with only the demand table and the suitability (and compactness) terms: none
    of the planning rules, which a change model does not know."""
    return Scenario.from_dict({
        "name": "change validation",
        "farmland": {"quota_pct": 0.0, "keep_basic_farmland": False, "balance": False},
        "ecology": {"red_line_mode": "off"},
        "growth": {"only_inside_boundary": False, "expansion_cap": 5.0},
        "conversion": {"allow_reclamation": True, "water_fixed": False, "max_changed_pct": 100.0},
        "weights": {"suitability": 1.0, "ecology": 0.0, "food": 0.0, "carbon": 0.0,
                    "compactness": compactness, "conversion_cost": 0.0},
        "demand": {"rows": [{"class": key, "target_ha": float(ha)}
                            for key, ha in zip(problem.class_keys, problem.demand_ha, strict=True)]},
        # equal cells: the network flow is integral and optimal; cells cut by nodata are closed
        # to this proven gap (Wuhan 1 km, no share drivers: 1 % in 1.8 s, 0.1 % took 292 s)
        "solver": {"time_limit_s": time_limit_s, "seed": seed, "target_gap_pct": TARGET_GAP_PCT},
    })


def change_landscape(problem: ChangeProblem, scores: np.ndarray) -> Landscape:
    """The engine's view: one region, the locks as a no-change mask, ``scores`` as suitability."""
    n, k = len(problem.current), len(problem.class_keys)
    none = np.zeros(n, dtype=bool)
    return Landscape(
        parcel_id=np.arange(1, n + 1, dtype=np.int64), region=np.zeros(n, dtype=np.int32),
        region_names=("全域",), class_keys=problem.class_keys, class_codes=problem.class_codes,
        class_roles=problem.class_roles, current=problem.current.astype(np.int32),
        area_ha=problem.area_ha, basic_farmland=none, red_line=none, urban_boundary=~none,
        no_conversion=problem.locked.astype(bool), farmland_grade=np.zeros(n, dtype=np.int32),
        suitability=scores, edges=problem.edges, edge_length_m=problem.edge_m,
        esv_yuan_per_ha=np.zeros(k), carbon_t_per_ha=np.zeros(k), grain_t_per_ha=np.zeros(n))


def allocate_change(problem: ChangeProblem, scores: np.ndarray, time_limit_s: float = 300.0,
                    seed: int = 0, compactness: float = 0.0) -> AllocationResult:
    """Allocate the demanded class areas maximising ``scores`` with the engine.

    Parameters
    ----------
    problem : ChangeProblem
    scores : (n, K) float
        0..100 value of each cell in each class.
    time_limit_s : float
        The engine's time limit.
    seed : int
    compactness : float
        Weight of the compactness term (0: the exact network core alone).

    Returns
    -------
    AllocationResult
        With an assignment unless the demand cannot be met (then its explanation says why).

    Raises
    ------
    ValueError
        If the engine returns an allocation the independent validator rejects (a bug).
    """
    land = change_landscape(problem, scores)
    scenario = change_scenario(problem, time_limit_s, seed, compactness)
    result = solve(land, scenario)
    if result.assignment is not None:
        broken = check_allocation(land, scenario, result.assignment)
        if broken:
            raise ValueError(f"the engine's allocation breaks {broken[0].rule}: {broken[0].message}")
    return result
