"""Area targets: every lever that bounds the area of a set of classes in a scope.

耕地保有量, per-region quotas, the ecological floor, the growth band (total and per region),
the expansion cap and each row of the demand table are one kind of rule: the area of parcels
whose use is in ``classes`` (within ``region``; for growth only parcels that were not built)
lies within [lo, hi]. Each target carries its lever: the key, how a limit in m² maps back to
the lever's value, and its labels, so the model rows, the flow network, the explanation and
its suggestions all read the same object.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from solver.demand import DemandRow
from solver.landscape import ECOLOGICAL_KEYS, Landscape
from solver.scenario import Scenario, ScenarioError
from wording import levers as lever_words

AREA_SCALE = 10_000  # integer area units per ha (1 unit = 1 m²); solver.instance re-exports it


@dataclass(frozen=True)
class Lever:
    """How a target's limit (m²) maps to the value a planner sets.

    ``kind`` is ``"pct"`` (value = 100 × limit / base), ``"ha"`` (limit / 10,000) or
    ``"factor"`` (limit / base); ``key`` the scenario key whose value it is (``None`` for a
    demand row, which ``solver.explain.relaxed_scenario`` edits in place).
    """

    kind: str
    base: int
    label_zh: str
    label_en: str
    key: str | None

    def value(self, limit_units: int, side: str) -> float:
        """Lever value for a limit, rounded in the relaxing direction of ``side``."""
        if self.kind == "pct":
            raw, digits = 100.0 * limit_units / max(self.base, 1), 1
        elif self.kind == "factor":
            raw, digits = limit_units / max(self.base, 1), 3
        else:
            raw, digits = limit_units / AREA_SCALE, 1
        step = 10.0 ** digits
        if side == "min":
            return math.floor(raw * step + 1e-9) / step
        return math.ceil(raw * step - 1e-9) / step

    @property
    def unit(self) -> str:
        return {"pct": "%", "factor": "×", "ha": "ha"}[self.kind]


@dataclass(frozen=True, eq=False)
class AreaTarget:
    """lo ≤ Σ area[i] · [use_i ∈ classes] over parcels in scope ≤ hi (m²; None = open).

    Scope: ``region`` (−1 = the whole area) and, when ``exclude_current`` is given, only
    parcels whose current use is not one of those classes (new construction land).
    """

    key: str
    classes: tuple[int, ...]
    region: int
    lo: int | None
    hi: int | None
    lever: Lever
    exclude_current: tuple[int, ...] = ()

    def scope(self, land: Landscape) -> np.ndarray:
        """Boolean mask of the parcels the target counts (whatever their use)."""
        sel = np.ones(land.n_parcels, bool) if self.region < 0 else land.region == self.region
        if self.exclude_current:
            sel &= ~np.isin(land.current, self.exclude_current)
        return sel

    def measure(self, land: Landscape, area: np.ndarray, assignment: np.ndarray) -> int:
        """The counted area (m²) under an assignment."""
        return int(area[self.scope(land) & np.isin(assignment, self.classes)].sum())

    def slack(self, measured: int) -> int:
        """How far ``measured`` lies outside [lo, hi] (0 inside)."""
        below = self.lo - measured if self.lo is not None else 0
        above = measured - self.hi if self.hi is not None else 0
        return max(below, above, 0)


# ----- rounding -------------------------------------------------------------------------
def ceil_units(x: float) -> int:
    return int(math.ceil(x - 1e-9))


def floor_units(x: float) -> int:
    return int(math.floor(x + 1e-9))


# ----- building the targets of a scenario ----------------------------------------------
def region_index(land: Landscape, key: str, name: str) -> int:
    """Index of region ``name``; ScenarioError listing the known regions otherwise."""
    if name not in land.region_names:
        raise ScenarioError(f"'{key}' names region '{name}', which this study area does not "
                            f"have; known regions: {list(land.region_names)}")
    return land.region_names.index(name)


def current_area(land: Landscape, area: np.ndarray, classes: list[int] | tuple[int, ...],
                 region: int = -1) -> int:
    sel = np.isin(land.current, classes)
    if region >= 0:
        sel &= land.region == region
    return int(area[sel].sum())


def _region_names(land: Landscape, key: str, region: str) -> tuple[str, str]:
    """(zh, en) name of a per-region lever (``wording.levers``), each with the region's name
    in that language."""
    return (lever_words.name(key, "zh", region=region),
            lever_words.name(key, "en", region=land.region_label(region, "en")))


def _farmland(land: Landscape, s: Scenario, area: np.ndarray) -> list[AreaTarget]:
    crop = tuple(land.role_classes("cropland"))
    if not crop:
        return []
    f, base = s.farmland, current_area(land, area, crop)
    if f.quota_ha is not None:
        lever = Lever("ha", base, *lever_words.names("farmland.quota_ha"), "farmland.quota_ha")
        lo = ceil_units(f.quota_ha * AREA_SCALE)
    else:
        lever = Lever("pct", base, *lever_words.names("farmland.quota_pct"), "farmland.quota_pct")
        lo = ceil_units(f.quota_pct * base / 100.0)
    out = [AreaTarget(lever.key, crop, -1, lo, None, lever)] if lo > 0 else []
    for name, pct in f.region_quota_pct:
        r = region_index(land, "farmland.region_quota_pct", name)
        key = f"farmland.region_quota_pct.{name}"
        rbase = current_area(land, area, crop, r)
        out.append(AreaTarget(key, crop, r, ceil_units(pct * rbase / 100.0), None,
                              Lever("pct", rbase,
                                    *_region_names(land, "farmland.region_quota_pct", name), key)))
    return out


def _ecology(land: Landscape, s: Scenario, area: np.ndarray) -> list[AreaTarget]:
    pct, eco = s.ecology.min_ecological_pct, tuple(land.role_classes(*ECOLOGICAL_KEYS))
    if pct <= 0 or not eco:
        return []
    base = current_area(land, area, eco)
    key = "ecology.min_ecological_pct"
    return [AreaTarget(key, eco, -1, ceil_units(pct * base / 100.0), None,
                       Lever("pct", base, *lever_words.names(key), key))]


def _growth(land: Landscape, s: Scenario, area: np.ndarray) -> list[AreaTarget]:
    built = tuple(land.role_classes("built"))
    if not built:
        return []
    g = s.growth

    def new_built(key: str, region: int, lo: int | None, hi: int | None,
                  labels: tuple[str, str]) -> AreaTarget:
        return AreaTarget(key, built, region, lo, hi, Lever("ha", 0, *labels, key),
                          exclude_current=built)

    out = []
    if g.min_new_built_ha:
        out.append(new_built("growth.min_new_built_ha", -1,
                             ceil_units(g.min_new_built_ha * AREA_SCALE), None,
                             lever_words.names("growth.min_new_built_ha")))
    if g.max_new_built_ha is not None:
        out.append(new_built("growth.max_new_built_ha", -1, None,
                             floor_units(g.max_new_built_ha * AREA_SCALE),
                             lever_words.names("growth.max_new_built_ha")))
    for name, ha in g.region_min_new_built_ha:
        key = f"growth.region_min_new_built_ha.{name}"
        out.append(new_built(key, region_index(land, key, name), ceil_units(ha * AREA_SCALE),
                             None, _region_names(land, "growth.region_min_new_built_ha", name)))
    for name, ha in g.region_max_new_built_ha:
        key = f"growth.region_max_new_built_ha.{name}"
        out.append(new_built(key, region_index(land, key, name), None,
                             floor_units(ha * AREA_SCALE),
                             _region_names(land, "growth.region_max_new_built_ha", name)))
    base = current_area(land, area, built)
    key = "growth.expansion_cap"
    out.append(AreaTarget(key, built, -1, None, floor_units(g.expansion_cap * base),
                          Lever("factor", base, *lever_words.names(key), key)))
    return out


def _demand(land: Landscape, s: Scenario, area: np.ndarray) -> list[AreaTarget]:
    return [_demand_target(land, row, area) for row in s.demand.rows]


def _demand_class(land: Landscape, row: DemandRow) -> int:
    c = land.class_lookup(row.cls)
    shared = [k for k, r in zip(land.class_keys, land.class_roles, strict=True) if r == row.cls]
    if c < 0 and len(shared) > 1:
        raise ScenarioError(f"demand row '{row.label()}': '{row.cls}' is the role of several "
                            f"classes ({', '.join(shared)}); a demand row names one class — "
                            "give one row per class")
    if c < 0:
        known = [f"{k} ({code}, {name})" for k, code, name in
                 zip(land.class_keys, land.class_codes,
                     land.class_names_zh or land.class_keys, strict=False)]
        raise ScenarioError(f"demand row '{row.label()}': class '{row.cls}' is not in this "
                            f"study area's class table; known classes: {', '.join(known)}")
    return c


def _demand_target(land: Landscape, row: DemandRow, area: np.ndarray) -> AreaTarget:
    c = _demand_class(land, row)
    region = region_index(land, f"demand row '{row.label()}'", row.region) if row.region else -1
    base = current_area(land, area, (c,), region)
    lo, hi = row.bounds()
    if row.unit == "%":
        lo_u = None if lo is None else lo * base / 100.0
        hi_u = None if hi is None else hi * base / 100.0
    else:
        lo_u = None if lo is None else lo * AREA_SCALE
        hi_u = None if hi is None else hi * AREA_SCALE
    if row.is_exact():
        tol = _exact_tolerance(land, row, area, region)
        lo_u, hi_u = lo_u - tol, hi_u + tol
    name_zh = (land.class_names_zh[c] if land.class_names_zh else land.class_keys[c])
    name_en = (land.class_names_en[c] if land.class_names_en else land.class_keys[c])
    region_en = land.region_label(row.region, "en") if row.region else ""
    lever = Lever("pct" if row.unit == "%" else "ha", base,
                  lever_words.demand_name("zh", name_zh, row.region or ""),
                  lever_words.demand_name("en", name_en, region_en), None)
    return AreaTarget(f"demand.{row.label()}",
                      (c,), region, None if lo_u is None else max(ceil_units(lo_u), 0),
                      None if hi_u is None else floor_units(hi_u), lever)


def _exact_tolerance(land: Landscape, row: DemandRow, area: np.ndarray, region: int) -> float:
    """Half the largest parcel in scope (m²), or the row's own tolerance."""
    if row.tolerance_ha is not None:
        return row.tolerance_ha * AREA_SCALE
    sel = np.ones(land.n_parcels, bool) if region < 0 else land.region == region
    return 0.5 * float(area[sel].max()) if sel.any() else 0.0


def build_targets(land: Landscape, scenario: Scenario, area: np.ndarray
                  ) -> tuple[AreaTarget, ...]:
    """Every area target of a scenario on a landscape (integer m² limits).

    Raises
    ------
    ScenarioError
        When a lever names a region or a demand row a class the landscape does not have.
    """
    return tuple([*_farmland(land, scenario, area), *_ecology(land, scenario, area),
                  *_growth(land, scenario, area), *_demand(land, scenario, area)])
