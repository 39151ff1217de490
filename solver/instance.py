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

from dataclasses import dataclass

import numpy as np

from solver.landscape import ECOLOGICAL_KEYS, Landscape
from solver.scenario import Scenario, ScenarioError
from solver.targets import AREA_SCALE, AreaTarget, build_targets, floor_units
from wording import both

OBJ_SCALE = 1_000_000  # integer objective units per point
GRAIN_SCALE = 1_000  # kg per t, for the quality-weighted balance
TERMS: tuple[str, ...] = ("suitability", "ecology", "food", "carbon", "compactness",
                          "conversion_cost")
TERM_UNITS: dict[str, str] = {"suitability": "ha·score", "ecology": "yuan/yr", "food": "t/yr",
                              "carbon": "t C", "compactness": "km", "conversion_cost": "ha"}


@dataclass(frozen=True)
class Limits:
    """Right-hand sides of the side rules in integer units (None = rule inactive); the area
    targets are in ``Instance.targets``."""

    changed_max: int | None
    balance: bool
    #: 占补平衡 holds as Σ(taken − gained) ≤ balance_hi; 0 for a whole area, a region's share
    #: of the area's surplus when a decomposition solves regions apart (``solver.decompose``).
    balance_hi: int = 0


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
    targets : tuple of AreaTarget
        Every area lever (quotas, ecological floor, growth band, expansion cap, demand rows).
    """

    landscape: Landscape
    scenario: Scenario
    allowed: np.ndarray
    area: np.ndarray
    coef: np.ndarray
    edge_reward: np.ndarray
    balance_weight: np.ndarray
    limits: Limits
    targets: tuple[AreaTarget, ...]
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

    @property
    def changeable_pairs(self) -> int:
        """Allowed (parcel, use) pairs of parcels that can change: the model's size."""
        return int(self.allowed[self.mutable].sum())

    @property
    def has_compactness(self) -> bool:
        """Whether the objective rewards same-use neighbours."""
        return bool((self.edge_reward > 0).any())

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


def _classes_named(land: Landscape, name: str) -> list[int]:
    """A class key, or every class of a role (forbidden pairs may name either)."""
    return [land.class_keys.index(name)] if name in land.class_keys else land.role_classes(name)


def _forbid_pairs(land: Landscape, scenario: Scenario, allowed: np.ndarray) -> None:
    for src, dst in scenario.conversion.forbidden:
        for fi in _classes_named(land, src):
            allowed[np.ix_(land.current == fi, _classes_named(land, dst))] = False


def _lock_classes(land: Landscape, scenario: Scenario, allowed: np.ndarray) -> None:
    built, water = land.role_classes("built"), land.role_classes("water")
    conv = scenario.conversion
    if built and not conv.allow_reclamation:
        allowed[land.in_role(land.current, "built")] = False
    if water and conv.water_fixed:
        allowed[land.in_role(land.current, "water")] = False
        allowed[:, water] = False
    if built and scenario.growth.only_inside_boundary:
        allowed[np.ix_(~land.urban_boundary.astype(bool), built)] = False


def _lock_masks(land: Landscape, scenario: Scenario, allowed: np.ndarray) -> None:
    mode = scenario.ecology.red_line_mode
    red = land.red_line.astype(bool)
    if mode == "locked":
        allowed[red] = False
    elif mode == "ecological_only":
        non_eco = [c for c, role in enumerate(land.class_roles) if role not in ECOLOGICAL_KEYS]
        allowed[np.ix_(np.flatnonzero(red), non_eco)] = False
    crop = land.role_classes("cropland")
    if scenario.farmland.keep_basic_farmland and crop:
        bf = land.basic_farmland.astype(bool)
        is_crop = land.in_role(land.current, "cropland")
        allowed[bf & is_crop] = False
        others = [c for c in range(land.n_classes) if c not in crop]
        allowed[np.ix_(np.flatnonzero(bf & ~is_crop), others)] = False
    allowed[land.no_conversion.astype(bool)] = False


# ----- objective ------------------------------------------------------------------------
class LearnedSuitabilityMissing(ScenarioError):
    """``[suitability] source = "learned"`` on a landscape without learned scores.

    ``text_key`` names the catalogue entry (zh/en) of the message; ``str()`` is the English.
    """

    text_key = "learned_suitability_missing"

    def __init__(self) -> None:
        self.message_zh, message_en = both(self.text_key)
        super().__init__(message_en)


def suitability_matrix(land: Landscape, scenario: Scenario) -> np.ndarray:
    """The (n, K) suitability that the scenario's ``[suitability] source`` names.

    Raises
    ------
    LearnedSuitabilityMissing
        When the scenario asks for learned scores and the landscape has none.
    """
    if scenario.suitability.source != "learned":
        return land.suitability
    if land.learned_suitability is None:
        raise LearnedSuitabilityMissing()
    return land.learned_suitability


def term_matrices(land: Landscape, suitability: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Natural-unit value of each linear term for parcel i in use c, (n, K) each.

    ``suitability`` is the (n, K) score matrix to use (default: the rule scores).
    """
    a = land.area_ha[:, None]
    suitability = land.suitability if suitability is None else suitability
    food = np.zeros((land.n_parcels, land.n_classes))
    crop = land.role_classes("cropland")
    if crop:
        food[:, crop] = (land.area_ha * land.grain_t_per_ha)[:, None]
    changed = np.arange(land.n_classes)[None, :] != land.current[:, None]
    return {
        "suitability": a * suitability,
        "ecology": a * land.esv_yuan_per_ha[None, :],
        "food": food,
        "carbon": a * land.carbon_t_per_ha[None, :],
        "conversion_cost": a * changed,
    }


def _reference(status_quo: float, attainable: float) -> float:
    if status_quo > 0:
        return float(status_quo)
    return float(attainable) if attainable > 0 else 1.0


def term_references(land: Landscape, suitability: np.ndarray | None = None) -> dict[str, float]:
    """Reference value of each term (natural units): 1 point = 1 % of it."""
    rows = np.arange(land.n_parcels)
    refs = {}
    for name, mat in term_matrices(land, suitability).items():
        refs[name] = _reference(mat[rows, land.current].sum(), mat.max(axis=1).sum())
    refs["conversion_cost"] = float(land.area_ha.sum()) or 1.0
    km = land.edge_length_m / 1000.0
    e = land.edges
    same = land.current[e[:, 0]] == land.current[e[:, 1]] if e.size else np.zeros(0, bool)
    refs["compactness"] = _reference(km[same].sum(), km.sum())
    return refs


def _objective_coefficients(land: Landscape, w: dict[str, float], refs: dict[str, float],
                            suitability: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mats = term_matrices(land, suitability)
    points = np.zeros((land.n_parcels, land.n_classes))
    for name, mat in mats.items():
        sign = -1.0 if name == "conversion_cost" else 1.0
        points += sign * w[name] * 100.0 * mat / refs[name]
    edge_pts = w["compactness"] * 100.0 * (land.edge_length_m / 1000.0) / refs["compactness"]
    coef = np.rint(points * OBJ_SCALE).astype(np.int64)
    return coef, np.rint(edge_pts * OBJ_SCALE).astype(np.int64)


# ----- limits ---------------------------------------------------------------------------
def build_limits(land: Landscape, s: Scenario, area: np.ndarray) -> Limits:
    """Integer right-hand sides of the side rules (conversion budget, 占补平衡)."""
    return Limits(
        changed_max=floor_units(s.conversion.max_changed_pct / 100.0 * int(area.sum())),
        balance=s.farmland.balance and bool(land.role_classes("cropland"))
        and bool(land.role_classes("built")),
    )


def build_instance(landscape: Landscape, scenario: Scenario) -> Instance:
    """Scale a landscape and scenario to an integer :class:`Instance` (the only scaling step).

    Raises
    ------
    ScenarioError
        When the scenario names a region or a demand class the landscape does not have, or
        asks for learned suitability the landscape lacks (:class:`LearnedSuitabilityMissing`).
    ValueError
        When the landscape's arrays do not fit together.
    """
    landscape.check_shapes()
    suitability = suitability_matrix(landscape, scenario)
    area = np.rint(landscape.area_ha * AREA_SCALE).astype(np.int64)
    refs = term_references(landscape, suitability)
    weights = {t: getattr(scenario.weights, t) for t in TERMS}
    coef, edge_reward = _objective_coefficients(landscape, weights, refs, suitability)
    allowed = allowed_mask(landscape, scenario)
    inst = Instance(
        landscape=landscape, scenario=scenario, allowed=allowed,
        area=area, coef=coef, edge_reward=edge_reward,
        balance_weight=_balance_weight(landscape, scenario, area),
        limits=build_limits(landscape, scenario, area),
        targets=build_targets(landscape, scenario, area),
        status_quo_units=0, refs=refs)
    return _replace(inst, status_quo_units=inst.units_of(landscape.current))


def _balance_weight(land: Landscape, s: Scenario, area: np.ndarray) -> np.ndarray:
    if s.farmland.balance_quality_weighted:
        return np.rint(land.area_ha * land.grain_t_per_ha * GRAIN_SCALE).astype(np.int64)
    return area
