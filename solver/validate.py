"""Independent validator: the specification of a valid allocation, in plain numpy.

Nothing here uses the instance, the model or a solver: every rule is re-derived from the
:class:`~solver.landscape.Landscape` and the :class:`~solver.scenario.Scenario` in floating
point (natural units), so a bug in the model cannot hide in the check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solver.landscape import ECOLOGICAL_KEYS, Landscape
from solver.result import TermValue
from solver.scenario import Scenario

TERM_UNITS = {"suitability": "ha·score", "ecology": "yuan/yr", "food": "t/yr", "carbon": "t C",
              "compactness": "km", "conversion_cost": "ha"}


@dataclass(frozen=True)
class Violation:
    """One broken rule: the scenario key it belongs to, a message, and offending parcels."""

    rule: str
    message: str
    parcels: tuple[int, ...] = ()


def _tolerance_ha(land: Landscape) -> float:
    # The model rounds parcel areas to whole m²: sums may differ by 0.5 m² per parcel.
    return 0.5e-4 * land.n_parcels + 1e-6


def check_allocation(land: Landscape, scenario: Scenario,
                     assignment: np.ndarray) -> list[Violation]:
    """Every rule the assignment breaks (empty list = valid).

    Parameters
    ----------
    land : Landscape
    scenario : Scenario
    assignment : (n,) int
        Class index per parcel.
    """
    a = np.asarray(assignment)
    if a.shape != (land.n_parcels,) or a.min(initial=0) < 0 or a.max(initial=0) >= land.n_classes:
        return [Violation("assignment", f"assignment must be {land.n_parcels} class indices "
                                        f"in 0..{land.n_classes - 1}")]
    out: list[Violation] = []
    for check in (_check_locks, _check_transitions, _check_farmland, _check_balance,
                  _check_ecology, _check_growth, _check_budget, _check_demand):
        out += check(land, scenario, a)
    return out


def _role(land: Landscape, uses: np.ndarray, *roles: str) -> np.ndarray:
    """Mask of ``uses`` whose class has one of ``roles`` (re-derived from the class table)."""
    with_role = [c for c, r in enumerate(land.class_roles) if r in roles]
    return np.isin(uses, with_role)


def _has(land: Landscape, role: str) -> bool:
    return role in land.class_roles


def _bad(rule: str, mask: np.ndarray, text: str) -> list[Violation]:
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    return [Violation(rule, f"{idx.size} parcel(s) {text}", tuple(int(i) for i in idx[:50]))]


def _check_locks(land: Landscape, s: Scenario, a: np.ndarray) -> list[Violation]:
    changed = a != land.current
    out = _bad("no_conversion", land.no_conversion & changed, "in the no-conversion mask changed")
    if s.ecology.red_line_mode == "locked":
        out += _bad("ecology.red_line_mode", land.red_line & changed,
                    "inside the ecological red line changed use")
    elif s.ecology.red_line_mode == "ecological_only":
        eco = _role(land, a, *ECOLOGICAL_KEYS)
        out += _bad("ecology.red_line_mode", land.red_line & changed & ~eco,
                    "inside the ecological red line became a non-ecological use")
    if s.farmland.keep_basic_farmland and _has(land, "cropland"):
        was_crop = _role(land, land.current, "cropland")
        # cropland stays as it is; other basic farmland may only return to cropland
        bad = land.basic_farmland & changed & (was_crop | ~_role(land, a, "cropland"))
        out += _bad("farmland.keep_basic_farmland", bad,
                    "of permanent basic farmland left cropland / changed to a non-cropland use")
    return out


def _check_transitions(land: Landscape, s: Scenario, a: np.ndarray) -> list[Violation]:
    changed = a != land.current
    out: list[Violation] = []
    if not s.conversion.allow_reclamation:
        out += _bad("conversion.allow_reclamation", _role(land, land.current, "built") & changed,
                    "of built land reverted without reclamation allowed")
    if s.conversion.water_fixed:
        out += _bad("conversion.water_fixed",
                    changed & (_role(land, land.current, "water") | _role(land, a, "water")),
                    "changed into or out of water")
    if s.growth.only_inside_boundary:
        out += _bad("growth.only_inside_boundary",
                    changed & _role(land, a, "built") & ~land.urban_boundary,
                    "became built land outside the urban development boundary")
    for src, dst in s.conversion.forbidden:
        out += _bad("conversion.forbidden", changed & _named(land, land.current, src)
                    & _named(land, a, dst), f"made the forbidden transition {src} → {dst}")
    return out


def _named(land: Landscape, uses: np.ndarray, name: str) -> np.ndarray:
    """A class key, or every class of that role."""
    if name in land.class_keys:
        return uses == land.class_keys.index(name)
    return _role(land, uses, name)


def _area(land: Landscape, mask: np.ndarray) -> float:
    return float(land.area_ha[mask].sum())


def _short(rule: str, have: float, need: float, tol: float, what: str) -> list[Violation]:
    if have >= need - tol:
        return []
    return [Violation(rule, f"{what}: {have:,.2f} ha < required {need:,.2f} ha")]


def _check_farmland(land: Landscape, s: Scenario, a: np.ndarray) -> list[Violation]:
    tol = _tolerance_ha(land)
    if not _has(land, "cropland"):
        return []
    f = s.farmland
    now, before = _role(land, a, "cropland"), _role(land, land.current, "cropland")
    need = f.quota_ha if f.quota_ha is not None else f.quota_pct / 100 * _area(land, before)
    out = _short("farmland.quota", _area(land, now), need, tol, "cropland")
    for name, pct in f.region_quota_pct:
        r = land.region == land.region_names.index(name)
        out += _short(f"farmland.region_quota_pct.{name}", _area(land, r & now),
                      pct / 100 * _area(land, r & before), tol, f"cropland in {name}")
    return out


def _check_balance(land: Landscape, s: Scenario, a: np.ndarray) -> list[Violation]:
    if not s.farmland.balance or not _has(land, "cropland") or not _has(land, "built"):
        return []
    w = land.area_ha.copy()
    tol = _tolerance_ha(land)
    if s.farmland.balance_quality_weighted:
        w = land.area_ha * land.grain_t_per_ha
        tol = 0.5e-3 * land.n_parcels + 1e-6  # grain rounded to whole kg per parcel
    was_crop = _role(land, land.current, "cropland")
    lost = float(w[was_crop & _role(land, a, "built")].sum())
    gained = float(w[~was_crop & _role(land, a, "cropland")].sum())
    if lost <= gained + tol:
        return []
    return [Violation("farmland.balance", f"cropland lost to construction {lost:,.2f} exceeds "
                                          f"new cropland {gained:,.2f}")]


def _check_ecology(land: Landscape, s: Scenario, a: np.ndarray) -> list[Violation]:
    pct = s.ecology.min_ecological_pct
    if pct <= 0:
        return []
    have = _area(land, _role(land, a, *ECOLOGICAL_KEYS))
    before = _area(land, _role(land, land.current, *ECOLOGICAL_KEYS))
    return _short("ecology.min_ecological_pct", have, pct / 100 * before, _tolerance_ha(land),
                  "ecological land")


def _check_growth(land: Landscape, s: Scenario, a: np.ndarray) -> list[Violation]:
    g, tol = s.growth, _tolerance_ha(land)
    if not _has(land, "built"):
        return []
    now, before = _role(land, a, "built"), _role(land, land.current, "built")
    new = ~before & now
    out = _short("growth.min_new_built_ha", _area(land, new), g.min_new_built_ha, tol,
                 "new construction land")
    out += _over("growth.max_new_built_ha", _area(land, new), g.max_new_built_ha, tol)
    for name, lo in g.region_min_new_built_ha:
        r = land.region == land.region_names.index(name)
        out += _short(f"growth.region_min_new_built_ha.{name}", _area(land, new & r), lo, tol,
                      f"new construction land in {name}")
    for name, hi in g.region_max_new_built_ha:
        r = land.region == land.region_names.index(name)
        out += _over(f"growth.region_max_new_built_ha.{name}", _area(land, new & r), hi, tol)
    cap = g.expansion_cap * _area(land, before)
    return out + _over("growth.expansion_cap", _area(land, now), cap, tol)


def _over(rule: str, have: float, limit: float | None, tol: float) -> list[Violation]:
    if limit is None or have <= limit + tol:
        return []
    return [Violation(rule, f"{have:,.2f} ha exceeds the limit {limit:,.2f} ha")]


def _check_budget(land: Landscape, s: Scenario, a: np.ndarray) -> list[Violation]:
    limit = s.conversion.max_changed_pct / 100 * float(land.area_ha.sum())
    return _over("conversion.max_changed_pct", _area(land, a != land.current), limit,
                 _tolerance_ha(land))


def _check_demand(land: Landscape, s: Scenario, a: np.ndarray) -> list[Violation]:
    """Each demand row: the class's area in its scope within [min, max]; an exact target
    within half the largest parcel of its scope (or the row's own tolerance)."""
    out: list[Violation] = []
    for row in s.demand.rows:
        c = _demand_class(land, row.cls)
        scope = (land.region == land.region_names.index(row.region) if row.region
                 else np.ones(land.n_parcels, bool))
        lo, hi = row.bounds()
        base = _area(land, scope & (land.current == c))
        if row.unit == "%":
            lo, hi = (None if v is None else v / 100 * base for v in (lo, hi))
        tol = _tolerance_ha(land)
        if row.is_exact():
            tol += (row.tolerance_ha if row.tolerance_ha is not None
                    else 0.5 * float(land.area_ha[scope].max(initial=0)))
        have = _area(land, scope & (a == c))
        name = f"demand.{row.label()}"
        if lo is not None:
            out += _short(name, have, lo, tol, f"demand row {row.label()}")
        out += _over(name, have, hi, tol)
    return out


def _demand_class(land: Landscape, name: str) -> int:
    """The class a demand row names: key, code, Chinese or English name, or a unique role."""
    for column in (land.class_keys, tuple(str(c) for c in land.class_codes),
                   land.class_names_zh, land.class_names_en):
        if name in column:
            return column.index(name)
    return land.class_roles.index(name)


# ----- objective ------------------------------------------------------------------------
def scenario_suitability(land: Landscape, scenario: Scenario) -> np.ndarray:
    """The scores ``[suitability] source`` names: the rule scores or the learned ones."""
    if scenario.suitability.source != "learned":
        return land.suitability
    if land.learned_suitability is None:
        raise ValueError("the scenario scores learned suitability, which this landscape lacks")
    return land.learned_suitability


def term_natural_values(land: Landscape, a: np.ndarray,
                        suitability: np.ndarray | None = None) -> dict[str, float]:
    """Natural-unit value of each objective term under assignment ``a`` (``suitability``:
    the (n, K) scores to use, the rule scores by default)."""
    suit = land.suitability if suitability is None else suitability
    crop = _role(land, a, "cropland")
    e = land.edges
    same = a[e[:, 0]] == a[e[:, 1]] if e.size else np.zeros(0, bool)
    return {
        "suitability": float((land.area_ha * suit[np.arange(a.size), a]).sum()),
        "ecology": float((land.area_ha * land.esv_yuan_per_ha[a]).sum()),
        "food": float((land.area_ha * land.grain_t_per_ha)[crop].sum()),
        "carbon": float((land.area_ha * land.carbon_t_per_ha[a]).sum()),
        "compactness": float(land.edge_length_m[same].sum() / 1000.0),
        "conversion_cost": float(land.area_ha[a != land.current].sum()),
    }


def _upper_values(land: Landscape, suitability: np.ndarray) -> dict[str, float]:
    """Largest attainable value of each term (fallback reference when the status quo is 0)."""
    food = (land.area_ha * land.grain_t_per_ha).sum() if _has(land, "cropland") else 0.0
    return {
        "suitability": float((land.area_ha * suitability.max(axis=1)).sum()),
        "ecology": float(land.area_ha.sum() * land.esv_yuan_per_ha.max(initial=0)),
        "food": float(food),
        "carbon": float(land.area_ha.sum() * land.carbon_t_per_ha.max(initial=0)),
        "compactness": float(land.edge_length_m.sum() / 1000.0),
        "conversion_cost": float(land.area_ha.sum()),
    }


def term_values(land: Landscape, scenario: Scenario, assignment: np.ndarray) -> dict:
    """Each objective term as :class:`~solver.result.TermValue` (natural units and points)."""
    suitability = scenario_suitability(land, scenario)
    before = term_natural_values(land, land.current, suitability)
    after = term_natural_values(land, np.asarray(assignment), suitability)
    upper = _upper_values(land, suitability)
    out = {}
    for name, unit in TERM_UNITS.items():
        if name == "conversion_cost":
            ref = upper[name] or 1.0
            points = -100.0 * after[name] / ref
        else:
            ref = before[name] if before[name] > 0 else (upper[name] or 1.0)
            points = 100.0 * (after[name] - before[name]) / ref
        out[name] = TermValue(name, unit, before[name], after[name], ref, points,
                              float(getattr(scenario.weights, name)))
    return out


def objective_value(land: Landscape, scenario: Scenario, assignment: np.ndarray) -> float:
    """Objective in points (status quo = 0), recomputed from scratch in floating point."""
    return float(sum(t.weighted_points for t in term_values(land, scenario, assignment).values()))


def objective_tolerance(land: Landscape) -> float:
    """Largest difference (points) the model's integer rounding can cause in the objective."""
    # each (parcel, use) and edge coefficient is rounded to 1e-6 points
    return 1e-6 * (land.n_parcels + land.edges.shape[0]) + 1e-6
