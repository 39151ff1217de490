"""Integer instance: a Landscape and a Scenario turned into what the model needs, scaled once.

Objective terms are expressed in **points** and the objective is 0 at the status quo:

* ``suitability``  +1 point = +1 % of the status quo's area-weighted suitability
  (Σ area_ha × score, ha·score);
* ``ecology``      +1 point = +1 % of the status quo's ecosystem service value (yuan/yr);
* ``food``         +1 point = +1 % of the status quo's grain capacity (t/yr; cropland only);
* ``carbon``       +1 point = +1 % of the status quo's carbon storage (t C);
* ``compactness``  +1 point = +1 % of the status quo's shared boundary between same-use
  neighbours (km);
* ``conversion_cost`` −1 point per 1 % of the region's total area that changes use.

objective = Σ_t weight_t × points_t. When a status-quo reference is 0 the term's reference
falls back to its largest attainable value (or 1 natural unit), recorded in ``refs``.
Areas are integers in m² (``AREA_SCALE`` units per ha), the objective in ``OBJ_SCALE``
units per point, grain in kg.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from solver.landscape import ECOLOGICAL_KEYS, Landscape
from solver.scenario import Scenario, ScenarioError

AREA_SCALE = 10_000  # integer area units per ha (1 unit = 1 m²)
OBJ_SCALE = 1_000_000  # integer objective units per point
GRAIN_SCALE = 1_000  # kg per t, for the quality-weighted balance
TERMS: tuple[str, ...] = ("suitability", "ecology", "food", "carbon", "compactness",
                          "conversion_cost")
TERM_UNITS: dict[str, str] = {"suitability": "ha·score", "ecology": "yuan/yr", "food": "t/yr",
                              "carbon": "t C", "compactness": "km", "conversion_cost": "ha"}


@dataclass(frozen=True)
class Limits:
    """Right-hand sides of the rules in integer units (None = rule inactive)."""

    crop_min: int | None
    region_crop_min: tuple[tuple[int, int], ...]
    eco_min: int | None
    new_built_min: int | None
    new_built_max: int | None
    region_new_built_min: tuple[tuple[int, int], ...]
    region_new_built_max: tuple[tuple[int, int], ...]
    built_max: int | None
    changed_max: int | None
    balance: bool


@dataclass(frozen=True, eq=False)
class Instance:
    """Everything the model needs, integer-valued.

    Attributes
    ----------
    allowed : (n, K) bool
        Use c is allowed for parcel i (the current use always is).
    area : (n,) int64
        Parcel area in m².
    coef : (n, K) int64
        Linear objective units of parcel i in use c (all linear terms, weighted).
    edge_reward : (m,) int64
        Compactness units earned when the two ends of edge e have the same use.
    balance_weight : (n,) int64
        Weight of the 占补平衡 sums: area in m², or grain capacity in kg.
    status_quo_units : int
        Objective units of the status quo; subtracted so the status quo scores 0.
    refs : dict
        Reference (natural units) of each term; 1 point = 1 % of it.
    """

    landscape: Landscape
    scenario: Scenario
    allowed: np.ndarray
    area: np.ndarray
    coef: np.ndarray
    edge_reward: np.ndarray
    balance_weight: np.ndarray
    limits: Limits
    status_quo_units: int
    refs: dict[str, float]
    obj_scale: int = OBJ_SCALE
    area_scale: int = AREA_SCALE

    @property
    def n_allowed(self) -> np.ndarray:
        return self.allowed.sum(axis=1)

    @property
    def mutable(self) -> np.ndarray:
        """Parcels with more than one allowed use (only these get variables)."""
        return self.n_allowed > 1

    def restrict(self, fixed: np.ndarray) -> Instance:
        """Copy whose parcels with ``fixed[i] >= 0`` may only take use ``fixed[i]``."""
        allowed = self.allowed.copy()
        rows = np.flatnonzero(fixed >= 0)
        allowed[rows] = False
        allowed[rows, fixed[rows]] = True
        return _replace(self, allowed=allowed)

    def units_of(self, assignment: np.ndarray) -> int:
        """Objective units of an assignment (0 for the status quo)."""
        rows = np.arange(assignment.shape[0])
        e = self.landscape.edges
        same = assignment[e[:, 0]] == assignment[e[:, 1]] if e.size else np.zeros(0, bool)
        total = int(self.coef[rows, assignment].sum()) + int(self.edge_reward[same].sum())
        return total - self.status_quo_units

    def points_of(self, assignment: np.ndarray) -> float:
        return self.units_of(assignment) / self.obj_scale


def _replace(inst: Instance, **changes: object) -> Instance:
    from dataclasses import replace

    return replace(inst, **changes)


# ----- allowed (parcel, use) pairs -------------------------------------------------------
def allowed_mask(land: Landscape, scenario: Scenario) -> np.ndarray:
    """(n, K) bool of allowed uses after every lock and transition rule.

    Rules: forbidden pairs; built stays unless reclamation; water fixed (and no new water);
    new built only inside the boundary; red line locked / ecological-only; basic farmland
    cropland stays cropland (non-cropland basic farmland may only return to cropland);
    the no-conversion mask. The current use is always allowed.
    """
    n, k = land.n_parcels, land.n_classes
    allowed = np.ones((n, k), dtype=bool)
    cur = land.current
    _forbid_pairs(land, scenario, allowed)
    _lock_classes(land, scenario, allowed)
    _lock_masks(land, scenario, allowed)
    allowed[np.arange(n), cur] = True
    return allowed


def _forbid_pairs(land: Landscape, scenario: Scenario, allowed: np.ndarray) -> None:
    for src, dst in scenario.conversion.forbidden:
        fi, ti = land.class_index(src), land.class_index(dst)
        if fi >= 0 and ti >= 0:
            allowed[land.current == fi, ti] = False


def _lock_classes(land: Landscape, scenario: Scenario, allowed: np.ndarray) -> None:
    built, water = land.class_index("built"), land.class_index("water")
    conv = scenario.conversion
    if built >= 0 and not conv.allow_reclamation:
        allowed[land.current == built] = False
    if water >= 0 and conv.water_fixed:
        allowed[land.current == water] = False
        allowed[:, water] = False
    if built >= 0 and scenario.growth.only_inside_boundary:
        allowed[~land.urban_boundary, built] = False


def _lock_masks(land: Landscape, scenario: Scenario, allowed: np.ndarray) -> None:
    mode = scenario.ecology.red_line_mode
    red = land.red_line.astype(bool)
    if mode == "locked":
        allowed[red] = False
    elif mode == "ecological_only":
        non_eco = [c for c, key in enumerate(land.class_keys) if key not in ECOLOGICAL_KEYS]
        allowed[np.ix_(np.flatnonzero(red), non_eco)] = False
    crop = land.class_index("cropland")
    if scenario.farmland.keep_basic_farmland and crop >= 0:
        bf = land.basic_farmland.astype(bool)
        allowed[bf & (land.current == crop)] = False
        others = [c for c in range(land.n_classes) if c != crop]
        allowed[np.ix_(np.flatnonzero(bf & (land.current != crop)), others)] = False
    allowed[land.no_conversion.astype(bool)] = False


# ----- objective ------------------------------------------------------------------------
def term_matrices(land: Landscape) -> dict[str, np.ndarray]:
    """Natural-unit value of each linear term for parcel i in use c, (n, K) each."""
    a = land.area_ha[:, None]
    food = np.zeros((land.n_parcels, land.n_classes))
    crop = land.class_index("cropland")
    if crop >= 0:
        food[:, crop] = land.area_ha * land.grain_t_per_ha
    changed = np.arange(land.n_classes)[None, :] != land.current[:, None]
    return {
        "suitability": a * land.suitability,
        "ecology": a * land.esv_yuan_per_ha[None, :],
        "food": food,
        "carbon": a * land.carbon_t_per_ha[None, :],
        "conversion_cost": a * changed,
    }


def _reference(status_quo: float, attainable: float) -> float:
    if status_quo > 0:
        return float(status_quo)
    return float(attainable) if attainable > 0 else 1.0


def term_references(land: Landscape) -> dict[str, float]:
    """Reference value of each term (natural units): 1 point = 1 % of it."""
    rows = np.arange(land.n_parcels)
    refs = {}
    for name, mat in term_matrices(land).items():
        refs[name] = _reference(mat[rows, land.current].sum(), mat.max(axis=1).sum())
    refs["conversion_cost"] = float(land.area_ha.sum()) or 1.0
    km = land.edge_length_m / 1000.0
    e = land.edges
    same = land.current[e[:, 0]] == land.current[e[:, 1]] if e.size else np.zeros(0, bool)
    refs["compactness"] = _reference(km[same].sum(), km.sum())
    return refs


def _objective_coefficients(land: Landscape, w: dict[str, float],
                            refs: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    mats = term_matrices(land)
    points = np.zeros((land.n_parcels, land.n_classes))
    for name, mat in mats.items():
        sign = -1.0 if name == "conversion_cost" else 1.0
        points += sign * w[name] * 100.0 * mat / refs[name]
    edge_pts = w["compactness"] * 100.0 * (land.edge_length_m / 1000.0) / refs["compactness"]
    coef = np.rint(points * OBJ_SCALE).astype(np.int64)
    return coef, np.rint(edge_pts * OBJ_SCALE).astype(np.int64)


# ----- limits ---------------------------------------------------------------------------
def _ceil(x: float) -> int:
    return int(math.ceil(x - 1e-9))


def _floor(x: float) -> int:
    return int(math.floor(x + 1e-9))


def _region_index(land: Landscape, key: str, name: str) -> int:
    if name not in land.region_names:
        raise ScenarioError(f"'{key}' names region '{name}', which this study area does not "
                            f"have; known regions: {list(land.region_names)}")
    return land.region_names.index(name)


def _class_area(land: Landscape, area: np.ndarray, keys: set[str],
                mask: np.ndarray | None = None) -> int:
    idx = [land.class_index(k) for k in keys if land.class_index(k) >= 0]
    sel = np.isin(land.current, idx)
    if mask is not None:
        sel &= mask
    return int(area[sel].sum())


def _farmland_limits(land: Landscape, s: Scenario, area: np.ndarray) -> dict:
    f = s.farmland
    if land.class_index("cropland") < 0:
        return {"crop_min": None, "region_crop_min": ()}
    crop0 = _class_area(land, area, {"cropland"})
    crop_min = _ceil(f.quota_ha * AREA_SCALE) if f.quota_ha is not None else _ceil(
        f.quota_pct * crop0 / 100.0)
    regional = []
    for name, pct in f.region_quota_pct:
        r = _region_index(land, "farmland.region_quota_pct", name)
        regional.append((r, _ceil(pct * _class_area(land, area, {"cropland"},
                                                     land.region == r) / 100.0)))
    return {"crop_min": crop_min, "region_crop_min": tuple(regional)}


def _growth_limits(land: Landscape, s: Scenario, area: np.ndarray) -> dict:
    g = s.growth
    built = land.class_index("built")

    def regional(key: str, pairs: tuple, rounder) -> tuple:
        return tuple((_region_index(land, key, n), rounder(v * AREA_SCALE)) for n, v in pairs)

    return {
        "new_built_min": _ceil(g.min_new_built_ha * AREA_SCALE) if g.min_new_built_ha else None,
        "new_built_max": (None if g.max_new_built_ha is None
                          else _floor(g.max_new_built_ha * AREA_SCALE)),
        "region_new_built_min": regional("growth.region_min_new_built_ha",
                                         g.region_min_new_built_ha, _ceil),
        "region_new_built_max": regional("growth.region_max_new_built_ha",
                                         g.region_max_new_built_ha, _floor),
        "built_max": (None if built < 0
                      else _floor(g.expansion_cap * _class_area(land, area, {"built"}))),
    }


def build_limits(land: Landscape, s: Scenario, area: np.ndarray) -> Limits:
    """Integer right-hand sides of every rule for this landscape and scenario."""
    pct = s.ecology.min_ecological_pct
    eco0 = _class_area(land, area, set(ECOLOGICAL_KEYS))
    return Limits(
        **_farmland_limits(land, s, area), **_growth_limits(land, s, area),
        eco_min=_ceil(pct * eco0 / 100.0) if pct > 0 else None,
        changed_max=_floor(s.conversion.max_changed_pct / 100.0 * int(area.sum())),
        balance=s.farmland.balance and land.class_index("cropland") >= 0
        and land.class_index("built") >= 0,
    )


def build_instance(landscape: Landscape, scenario: Scenario) -> Instance:
    """Scale a landscape and scenario to an integer :class:`Instance` (the only scaling step).

    Raises
    ------
    ScenarioError
        When the scenario names a region the landscape does not have.
    ValueError
        When the landscape's arrays do not fit together.
    """
    landscape.check_shapes()
    area = np.rint(landscape.area_ha * AREA_SCALE).astype(np.int64)
    refs = term_references(landscape)
    weights = {t: getattr(scenario.weights, t) for t in TERMS}
    coef, edge_reward = _objective_coefficients(landscape, weights, refs)
    inst = Instance(
        landscape=landscape, scenario=scenario, allowed=allowed_mask(landscape, scenario),
        area=area, coef=coef, edge_reward=edge_reward,
        balance_weight=_balance_weight(landscape, scenario, area),
        limits=build_limits(landscape, scenario, area), status_quo_units=0, refs=refs)
    return _replace(inst, status_quo_units=inst.units_of(landscape.current))


def _balance_weight(land: Landscape, s: Scenario, area: np.ndarray) -> np.ndarray:
    if s.farmland.balance_quality_weighted:
        return np.rint(land.area_ha * land.grain_t_per_ha * GRAIN_SCALE).astype(np.int64)
    return area
