"""Base, plan and survey side by side: suspected violations, deviations, progress.

Every parcel has three land uses: the store's base map (``base``), the plan (a saved scenario
or the period of a period plan that the survey falls in) and the survey. From them:

Suspected violations (疑似违法违规, per parcel; a parcel may have several):

``red_line``
    Inside 生态保护红线 and the survey's use differs from the base use.
``basic_farmland``
    On 永久基本农田, changed, and no longer cropland in the survey.
``no_change``
    Inside a no-change mask (e.g. protected open water) and changed.
``outside_boundary``
    Built in the survey, not built at base, outside 城镇开发边界.
``cropland_unbalanced``
    Cropland at base, built in the survey, in a region whose cropland taken for construction
    exceeds the cropland gained from other uses over the same years (耕地占补平衡 not kept;
    the region's deficit is in the region table).

A type is only checked when the store carries its zone (a land-cover raster has no red line);
the report lists the types it could not check and why.

Deviations from the plan (per parcel): ``unchanged``, ``as_planned`` (planned change realised),
``not_realised`` (planned, still the base use), ``unplanned`` (changed, no change planned),
``different`` (changed to another use than planned), ``no_data`` (no survey class).

Progress (per target): every area target of the plan's levers and demand table (the same
:func:`solver.targets.build_targets` the engine uses) and, per region, every class whose area
the plan changes, measured on base, plan and survey, with the share of the planned change
realised next to the share of the planning period elapsed, and a traffic light.

Connected suspected parcels of one type form a patch (图斑): the list of the largest ones with
area and location is what goes to enforcement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import ndimage
from scipy.sparse.csgraph import connected_components

from data import store
from data.classes import class_roles
from data.db import connect
from data.errors import DataImportError
from data.grid import GridSpec
from data.monitoring.survey import SurveyLayer

VIOLATION_TYPES = ("red_line", "basic_farmland", "no_change", "outside_boundary",
                   "cropland_unbalanced")
DEVIATIONS = ("unchanged", "as_planned", "not_realised", "unplanned", "different", "no_data")
STATUSES = ("green", "amber", "red")
#: map colour of each violation type (page and briefing); a parcel of several types shows the
#: first in VIOLATION_TYPES
TYPE_COLORS: dict[str, str] = {
    "red_line": "#d50000",             # red
    "basic_farmland": "#ff6d00",       # orange
    "no_change": "#0091ea",            # blue
    "outside_boundary": "#aa00ff",     # violet
    "cropland_unbalanced": "#5d4037",  # dark brown
}
#: zone flag each violation type needs in the store (None: needs none)
TYPE_FLAG = {"red_line": "is_red_line", "basic_farmland": "is_basic_farmland",
             "no_change": "no_conversion", "outside_boundary": "in_urban_boundary",
             "cropland_unbalanced": None}
BEHIND_PP = 25.0     # progress more than this many points behind the elapsed share: amber
AWAY_SHARE = -0.05   # realised share below this (moving away from the plan): red
AREA_UNITS = 10_000  # m² per ha, as the engine counts target areas
MATERIAL_SHARE = 0.001  # a planned class change under 0.1 % of its region's area is no target


@dataclass(frozen=True)
class Plan:
    """What the survey is held against.

    Attributes
    ----------
    name : str
        Saved scenario or plan name.
    scenario : solver.scenario.Scenario
        The levers in force for the survey (a period plan: the period the survey falls in).
    codes : (n,) int64
        Planned land-use code of every parcel, in the store's parcel-id order.
    base_year, plan_year : int
        Year of the base map and the year the plan's targets are due.
    period : str
        Period name of a period plan ('' for a single scenario).
    indicators : DataFrame, optional
        The plan's indicator table as saved with it (computed afresh when None).
    """

    name: str
    scenario: object
    codes: np.ndarray
    base_year: int
    plan_year: int
    period: str = ""
    indicators: pd.DataFrame | None = None


@dataclass(frozen=True, eq=False)
class MonitoringReport:
    """The comparison of base, plan and survey (see the module docstring).

    Attributes
    ----------
    store_name, plan_name, survey_name : str
    base_year, plan_year, survey_year : int
    elapsed : float
        Share of the planning period elapsed at the survey (0..1).
    parcels : DataFrame
        parcel_id, region_id, area_ha, lon, lat, base, plan, survey (−1: no data), deviation
        and one boolean column per violation type.
    violations : DataFrame
        One row per (parcel, type): parcel_id, type, region_id, area_ha, base, survey, patch_id.
    patches : DataFrame
        One row per patch of connected suspected parcels of one type, largest first:
        patch_id, type, region_id, region_zh, region_en, area_ha, n_parcels, lon, lat, base,
        survey (dominant codes).
    regions : DataFrame
        Per region: count and area of each violation type, area of each deviation, cropland
        taken for construction, gained and the deficit, and the worst progress status.
    progress : DataFrame
        kind ('target' or 'plan'), key, label_zh, label_en, region_id, region_zh, region_en,
        lo_ha, hi_ha, base_ha, plan_ha, survey_ha, realised_pct, elapsed_pct, status, reason.
    indicators : DataFrame
        indicator, scope_type, scope, unit, label_zh, label_en, base, plan, survey.
    unchecked : dict
        Violation type → why it was not checked (the store lacks its zone).
    classes, regions_table : DataFrame
        The store's class and region tables (names, colours) for display.
    """

    store_name: str
    plan_name: str
    survey_name: str
    base_year: int
    plan_year: int
    survey_year: int
    elapsed: float
    parcels: pd.DataFrame
    violations: pd.DataFrame
    patches: pd.DataFrame
    regions: pd.DataFrame
    progress: pd.DataFrame
    indicators: pd.DataFrame
    unchecked: dict[str, str] = field(default_factory=dict)
    classes: pd.DataFrame = field(default_factory=pd.DataFrame)
    regions_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    grid: GridSpec | None = None
    plan_period: str = ""

    def totals(self) -> dict[str, dict[str, float]]:
        """Per violation type: parcels, patches and area (ha) — the headline figures."""
        out = {}
        for kind in VIOLATION_TYPES:
            rows = self.violations[self.violations["type"] == kind]
            out[kind] = {"parcels": int(len(rows)), "area_ha": float(rows["area_ha"].sum()),
                         "patches": int((self.patches["type"] == kind).sum())}
        return out

    def deviation_area(self) -> dict[str, float]:
        """Area (ha) of each deviation category."""
        area = self.parcels.groupby("deviation")["area_ha"].sum()
        return {d: float(area.get(d, 0.0)) for d in DEVIATIONS}

    @property
    def overall_status(self) -> str:
        """The worst light of every progress row (whole-area targets included)."""
        return worst_status(self.progress["status"])


def worst_status(statuses) -> str:
    """The worst of some traffic lights (green when there are none)."""
    rank = {s: i for i, s in enumerate(STATUSES)}
    return max(statuses, key=rank.__getitem__, default="green")


# ---- building the plan ------------------------------------------------------------------------

def plan_from_saved(saved, parcel_ids: np.ndarray, survey_year: int,
                    base_year: int | None = None, plan_year: int | None = None) -> Plan:
    """The plan of a saved scenario (``data.library.SavedScenario``).

    A period plan brings its own years: the survey is held against the first period ending in
    or after the survey year (the last one when the survey is later). A single scenario needs
    ``base_year`` and ``plan_year``.

    Raises
    ------
    DataImportError
        Years missing or out of order.
    """
    from solver.periods import PeriodScenario, _period_scenario
    from solver.scenario import Scenario

    if saved.is_period_plan:
        plan = PeriodScenario.from_toml(saved.scenario_toml)
        years = [p.year for p in plan.periods]
        index = next((i for i, y in enumerate(years) if y >= survey_year), len(years) - 1)
        period = plan.periods[index]
        base = plan.base_year if base_year is None else base_year
        check_years(base, period.year, survey_year)
        last = index == len(years) - 1  # the saved indicators are the last period's
        return Plan(saved.name, _period_scenario(plan.base, period),
                    saved.codes_by_period(parcel_ids)[:, index], base, period.year,
                    period.name, _fresh(saved) if last else None)
    if base_year is None or plan_year is None:
        raise DataImportError(f"scenario '{saved.name}' is a single-period plan without years",
                              "give the base map's year and the plan's target year, e.g. "
                              "--base-year 2005 --plan-year 2015")
    check_years(base_year, plan_year, survey_year)
    return Plan(saved.name, Scenario.from_toml(saved.scenario_toml), saved.codes_for(parcel_ids),
                int(base_year), int(plan_year), indicators=_fresh(saved))


def _fresh(saved) -> pd.DataFrame | None:
    """The saved indicator table, unless the store changed since (then it is recomputed)."""
    return None if saved.stale or saved.indicators is None or saved.indicators.empty \
        else saved.indicators


def check_years(base_year: int, plan_year: int, survey_year: int) -> None:
    """base year < plan year, and the survey after the base year."""
    if not int(base_year) < int(plan_year):
        raise DataImportError(f"the plan's target year {plan_year} is not after the base year "
                              f"{base_year}", "give a target year later than the base year")
    if not int(survey_year) > int(base_year):
        raise DataImportError(f"the survey year {survey_year} is not after the base year "
                              f"{base_year}",
                              "monitor with a survey made after the base map (or correct the "
                              "base year)")


# ---- the comparison ---------------------------------------------------------------------------

def monitor(store_path: str | Path, plan: Plan, survey: SurveyLayer) -> MonitoringReport:
    """Compare base, plan and survey on a store (see the module docstring).

    Parameters
    ----------
    store_path : str or Path
        The parcel store (read-only).
    plan : Plan
        From :func:`plan_from_saved` (or built directly in tests).
    survey : SurveyLayer
        A stored survey (:func:`data.monitoring.survey.load_survey`) or one read on the fly.

    Returns
    -------
    MonitoringReport

    Raises
    ------
    DataImportError
        The survey or plan does not fit the store's parcels or classes.
    """
    con = connect(store_path)
    try:
        meta, classes = store.read_meta(con), store.read_classes(con)
        regions = store.read_regions(con)
        parcels = store.read_parcels(con)
        grid = store.read_grid(con)
        adjacency = store.read_adjacency(con) if grid is None else None
    finally:
        con.close()
    ids = parcels["parcel_id"].to_numpy(dtype=np.int64)
    survey_codes = survey.codes_for(ids)
    _check_codes(plan.codes, ids, classes, "plan")
    _check_codes(survey_codes[survey_codes >= 0], None, classes, f"survey '{survey.name}'")
    check_years(plan.base_year, plan.plan_year, survey.year)
    elapsed = float(np.clip((survey.year - plan.base_year) / (plan.plan_year - plan.base_year),
                            0.0, 1.0))
    table = _parcel_table(parcels, plan.codes, survey_codes)
    flags, unchecked, ledger = violation_flags(table, parcels, classes)
    for kind in VIOLATION_TYPES:
        table[kind] = flags[kind]
    table["deviation"] = deviations(table["base"].to_numpy(), table["plan"].to_numpy(),
                                    table["survey"].to_numpy())
    violations = _violation_rows(table)
    patches = _patches(violations, table, grid, adjacency, regions)
    progress = progress_table(parcels, classes, regions, plan, survey_codes, elapsed)
    return MonitoringReport(
        store_name=meta.get("name_zh", Path(store_path).stem), plan_name=plan.name,
        survey_name=survey.name, base_year=plan.base_year, plan_year=plan.plan_year,
        survey_year=survey.year, elapsed=elapsed, parcels=table,
        violations=violations.merge(patches[1], on=["parcel_id", "type"], how="left"),
        patches=patches[0], regions=_region_summary(table, ledger, regions, progress),
        progress=progress,
        indicators=indicator_table(parcels, classes, regions, adjacency, grid, plan.codes,
                                   table["survey_filled"].to_numpy(), plan.indicators),
        unchecked=unchecked, classes=classes, regions_table=regions, grid=grid,
        plan_period=plan.period)


def _check_codes(codes: np.ndarray, ids: np.ndarray | None, classes: pd.DataFrame,
                 what: str) -> None:
    if ids is not None and len(codes) != len(ids):
        raise DataImportError(f"the {what} has {len(codes):,} parcels, the store {len(ids):,}",
                              "solve and save the plan on this store again")
    unknown = sorted(set(np.unique(codes).tolist()) - set(classes["code"].tolist()))
    if unknown:
        raise DataImportError(f"the {what} uses class codes the store does not have: {unknown}",
                              "import the survey again with a mapping into the store's classes")


def _parcel_table(parcels: pd.DataFrame, plan: np.ndarray, survey: np.ndarray) -> pd.DataFrame:
    base = parcels["land_use"].to_numpy(dtype=np.int64)
    cells = ({"grid_row": parcels["grid_row"].to_numpy(), "grid_col": parcels["grid_col"].to_numpy()}
             if parcels["grid_row"].notna().all() else {})  # grid stores: maps from the grid
    return pd.DataFrame({
        **cells,
        "parcel_id": parcels["parcel_id"].to_numpy(dtype=np.int64),
        "region_id": parcels["region_id"].to_numpy(),
        "area_ha": parcels["area_ha"].to_numpy(dtype=float),
        "lon": parcels["lon"].to_numpy(dtype=float), "lat": parcels["lat"].to_numpy(dtype=float),
        "base": base, "plan": np.asarray(plan, dtype=np.int64),
        "survey": np.asarray(survey, dtype=np.int64),
        # no survey class: counted as unchanged for areas, shown as "no data"
        "survey_filled": np.where(np.asarray(survey) >= 0, survey, base).astype(np.int64),
    })


def _roles(codes: np.ndarray, classes: pd.DataFrame) -> np.ndarray:
    lookup = dict(zip(classes["code"].tolist(), class_roles(classes), strict=True))
    lookup[-1] = ""
    return pd.Series(codes).map(lookup).to_numpy(dtype=object)


def violation_flags(table: pd.DataFrame, parcels: pd.DataFrame, classes: pd.DataFrame
                    ) -> tuple[dict[str, np.ndarray], dict[str, str], pd.DataFrame]:
    """Boolean mask per violation type, the types the store cannot check (with the zone it
    lacks), and the per-region cropland ledger (:func:`cropland_ledger`)."""
    base, survey = table["base"].to_numpy(), table["survey"].to_numpy()
    observed = survey >= 0
    changed = observed & (survey != base)
    base_role, survey_role = _roles(base, classes), _roles(survey, classes)
    zone = {flag: parcels[flag].fillna(False).to_numpy(dtype=bool)
            for flag in ("is_red_line", "is_basic_farmland", "no_conversion", "in_urban_boundary")}
    new_built = observed & (survey_role == "built") & (base_role != "built")
    ledger = cropland_ledger(table, base_role, survey_role, observed)
    short = ledger.loc[ledger["cropland_deficit_ha"] > 1e-9, "region_id"].to_numpy()
    flags = {
        "red_line": zone["is_red_line"] & changed,
        "basic_farmland": zone["is_basic_farmland"] & changed & (survey_role != "cropland"),
        "no_change": zone["no_conversion"] & changed,
        "outside_boundary": new_built & ~zone["in_urban_boundary"],
        "cropland_unbalanced": (observed & (base_role == "cropland") & (survey_role == "built")
                                & np.isin(table["region_id"].to_numpy(), short)),
    }
    unchecked = {kind: flag for kind, flag in TYPE_FLAG.items()
                 if flag is not None and not zone[flag].any()}
    if not (base_role == "cropland").any():
        unchecked["cropland_unbalanced"] = "cropland"
    for kind in unchecked:
        flags[kind] = np.zeros(len(table), dtype=bool)
    return flags, unchecked, ledger


def cropland_ledger(table: pd.DataFrame, base_role: np.ndarray, survey_role: np.ndarray,
                    observed: np.ndarray) -> pd.DataFrame:
    """Per region: cropland taken for construction, cropland gained from other uses, and the
    deficit (taken − gained, at least 0), in ha."""
    area = table["area_ha"].to_numpy()
    taken = observed & (base_role == "cropland") & (survey_role == "built")
    gained = observed & (base_role != "cropland") & (survey_role == "cropland")
    ledger = pd.DataFrame({"region_id": table["region_id"].to_numpy(),
                           "cropland_taken_ha": np.where(taken, area, 0.0),
                           "cropland_gained_ha": np.where(gained, area, 0.0)})
    ledger = ledger.groupby("region_id", as_index=False).sum()
    ledger["cropland_deficit_ha"] = (ledger["cropland_taken_ha"]
                                     - ledger["cropland_gained_ha"]).clip(lower=0)
    return ledger


def deviations(base: np.ndarray, plan: np.ndarray, survey: np.ndarray) -> np.ndarray:
    """Deviation category of each parcel (see the module docstring)."""
    planned, changed = plan != base, survey != base
    return np.select(
        [survey < 0, ~planned & ~changed, planned & (survey == plan), planned & ~changed,
         ~planned & changed],
        ["no_data", "unchanged", "as_planned", "not_realised", "unplanned"], "different")


def _violation_rows(table: pd.DataFrame) -> pd.DataFrame:
    frames = []
    for kind in VIOLATION_TYPES:
        rows = table.loc[table[kind], ["parcel_id", "region_id", "area_ha", "base", "survey"]]
        frames.append(rows.assign(type=kind))
    columns = ["parcel_id", "type", "region_id", "area_ha", "base", "survey"]
    return pd.concat(frames, ignore_index=True)[columns]


# ---- patches ----------------------------------------------------------------------------------

def _patches(violations: pd.DataFrame, table: pd.DataFrame, grid: GridSpec | None,
             adjacency: pd.DataFrame | None, regions: pd.DataFrame
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Connected suspected parcels of each type (rook neighbours on a grid, shared boundary
    otherwise), largest first; and each violation row's patch id."""
    position = pd.Series(np.arange(len(table)), index=table["parcel_id"].to_numpy())
    labels, next_label = [], 0
    for kind in VIOLATION_TYPES:
        rows = violations[violations["type"] == kind]
        if rows.empty:
            continue
        where = position.reindex(rows["parcel_id"].to_numpy()).to_numpy()
        if grid is not None:
            component = _grid_components(where, table, grid)
        else:
            component = _graph_components(where, adjacency, table["parcel_id"].to_numpy())
        labels.append(pd.DataFrame({"parcel_id": rows["parcel_id"].to_numpy(), "type": kind,
                                    "component": component + next_label}))
        next_label += int(component.max()) + 1
    columns = ["patch_id", "type", "region_id", "region_zh", "region_en", "area_ha",
               "n_parcels", "lon", "lat", "base", "survey"]
    if not labels:
        return (pd.DataFrame(columns=columns),
                pd.DataFrame(columns=["parcel_id", "type", "patch_id"]))
    member = pd.concat(labels, ignore_index=True)
    member = member.merge(table[["parcel_id", "region_id", "area_ha", "lon", "lat", "base",
                                 "survey"]], on="parcel_id")
    patches = _patch_table(member, regions)
    order = patches[["component", "patch_id"]]
    member = member.merge(order, on="component")
    return patches[columns], member[["parcel_id", "type", "patch_id"]]


def _grid_components(where: np.ndarray, table: pd.DataFrame, grid: GridSpec) -> np.ndarray:
    rows = table["grid_row"].to_numpy()[where]
    cols = table["grid_col"].to_numpy()[where]
    mask = np.zeros(grid.cell_shape, dtype=bool)
    mask[rows, cols] = True
    labelled, _ = ndimage.label(mask)  # rook (4-) connectivity
    return labelled[rows, cols].astype(np.int64) - 1


def _graph_components(where: np.ndarray, adjacency: pd.DataFrame, ids: np.ndarray
                      ) -> np.ndarray:
    n = len(where)
    local = pd.Series(np.arange(n), index=ids[where])
    a = local.reindex(adjacency["parcel_a"].to_numpy()).to_numpy()
    b = local.reindex(adjacency["parcel_b"].to_numpy()).to_numpy()
    keep = ~(np.isnan(a) | np.isnan(b))
    graph = sp.coo_matrix((np.ones(int(keep.sum())), (a[keep].astype(int), b[keep].astype(int))),
                          shape=(n, n))
    return connected_components(graph, directed=False)[1].astype(np.int64)


def _dominant(frame: pd.DataFrame, column: str) -> pd.Series:
    area = frame.groupby(["component", column])["area_ha"].sum().reset_index()
    area = area.sort_values(["component", "area_ha", column], ascending=[True, False, True])
    return area.drop_duplicates("component").set_index("component")[column]


def _patch_table(member: pd.DataFrame, regions: pd.DataFrame) -> pd.DataFrame:
    member = member.assign(wlon=member["lon"] * member["area_ha"],
                           wlat=member["lat"] * member["area_ha"])
    grouped = member.groupby("component")
    patches = grouped.agg(type=("type", "first"), area_ha=("area_ha", "sum"),
                          n_parcels=("parcel_id", "size"), wlon=("wlon", "sum"),
                          wlat=("wlat", "sum"))
    patches["lon"] = patches["wlon"] / patches["area_ha"]
    patches["lat"] = patches["wlat"] / patches["area_ha"]
    patches["region_id"] = _dominant(member, "region_id")
    patches["base"] = _dominant(member, "base")
    patches["survey"] = _dominant(member, "survey")
    names = regions.set_index("region_id")
    patches["region_zh"] = patches["region_id"].map(names["name_zh"])
    patches["region_en"] = patches["region_id"].map(names["name_en"]).fillna("")
    patches = patches.reset_index().sort_values(["area_ha", "component"],
                                                ascending=[False, True], kind="stable")
    patches["patch_id"] = np.arange(1, len(patches) + 1)
    return patches.reset_index(drop=True)


# ---- progress ---------------------------------------------------------------------------------

def _light_landscape(parcels: pd.DataFrame, classes: pd.DataFrame, regions: pd.DataFrame):
    """The engine's landscape without suitability or neighbours (targets need neither)."""
    from data.landscape import landscape_from_tables

    n, k = len(parcels), len(classes)
    empty = pd.DataFrame({"parcel_a": pd.Series(dtype=np.int64),
                          "parcel_b": pd.Series(dtype=np.int64),
                          "shared_m": pd.Series(dtype=float)})
    return landscape_from_tables(parcels, classes, regions, empty,
                                 np.broadcast_to(np.float64(0.0), (n, k)))


def _index_of(codes: np.ndarray, classes: pd.DataFrame) -> np.ndarray:
    lookup = pd.Series(np.arange(len(classes)), index=classes["code"].to_numpy())
    return lookup.reindex(codes).to_numpy(dtype=np.int64)


def traffic_light(lo: float | None, hi: float | None, base: float, plan: float, survey: float,
                  elapsed: float, tolerance: float) -> tuple[str, str, float | None]:
    """Status, reason key and realised share (%) of one target (areas in ha).

    Red: a cap is exceeded, a floor held at the base year is broken, or the area moves away
    from the plan. A floor or cap already met at the base year and still kept is green. A
    target still to reach, and a planned class area, are amber when more than
    :data:`BEHIND_PP` points behind the elapsed share of the period (or changed where the plan
    keeps the area), green otherwise.
    """
    planned = plan - base
    realised = None if abs(planned) <= tolerance else 100.0 * (survey - base) / planned
    if hi is not None and survey > hi + tolerance:
        return "red", "cap_exceeded", realised
    if lo is not None and survey < lo - tolerance and base >= lo - tolerance:
        return "red", "floor_broken", realised
    to_reach = ((lo is not None and base < lo - tolerance)
                or (hi is not None and base > hi + tolerance))
    if (lo is not None or hi is not None) and not to_reach:
        return "green", "within_limits", realised  # a floor or cap met at base and still kept
    if realised is None:
        return ("green", "held", None) if abs(survey - base) <= max(tolerance, 0.01 * abs(base)) \
            else ("amber", "unplanned_change", None)
    if realised < 100.0 * AWAY_SHARE:
        return "red", "moving_away", realised
    if realised < 100.0 * elapsed - BEHIND_PP:
        return "amber", "behind", realised
    if realised > 100.0 * elapsed + BEHIND_PP:
        return "green", "ahead", realised
    return "green", "on_track", realised


def progress_table(parcels: pd.DataFrame, classes: pd.DataFrame, regions: pd.DataFrame,
                   plan: Plan, survey: np.ndarray, elapsed: float) -> pd.DataFrame:
    """Progress toward every target of the plan and every planned class change per region."""
    from solver.targets import build_targets

    land = _light_landscape(parcels, classes, regions)
    area_units = np.rint(land.area_ha * AREA_UNITS).astype(np.int64)
    base = land.current.astype(np.int64)
    states = {"base": base, "plan": _index_of(plan.codes, classes),
              "survey": _index_of(np.where(survey >= 0, survey, parcels["land_use"]), classes)}
    names = regions.reset_index(drop=True)
    rows = []
    for target in build_targets(land, plan.scenario, area_units):
        values = {s: target.measure(land, area_units, states[s]) / AREA_UNITS for s in states}
        scope = target.scope(land)
        tolerance = 0.5 * float(land.area_ha[scope].max()) if scope.any() else 0.0
        lo = None if target.lo is None else target.lo / AREA_UNITS
        hi = None if target.hi is None else target.hi / AREA_UNITS
        rows.append(_progress_row("target", target.key, target.lever.label_zh,
                                  target.lever.label_en, target.region, names, lo, hi, values,
                                  elapsed, tolerance))
    rows += _planned_class_rows(land, states, names, elapsed)
    columns = ["kind", "key", "label_zh", "label_en", "region_id", "region_zh", "region_en",
               "lo_ha", "hi_ha", "base_ha", "plan_ha", "survey_ha", "realised_pct",
               "elapsed_pct", "status", "reason"]
    return pd.DataFrame(rows, columns=columns)


def _progress_row(kind: str, key: str, label_zh: str, label_en: str, region: int,
                  names: pd.DataFrame, lo: float | None, hi: float | None,
                  values: dict[str, float], elapsed: float, tolerance: float) -> dict:
    status, reason, realised = traffic_light(lo, hi, values["base"], values["plan"],
                                             values["survey"], elapsed, tolerance)
    return {"kind": kind, "key": key, "label_zh": label_zh, "label_en": label_en,
            "region_id": None if region < 0 else int(names["region_id"].iloc[region]),
            "region_zh": "" if region < 0 else str(names["name_zh"].iloc[region]),
            "region_en": "" if region < 0 else str(names["name_en"].iloc[region] or ""),
            "lo_ha": lo, "hi_ha": hi, "base_ha": values["base"], "plan_ha": values["plan"],
            "survey_ha": values["survey"], "realised_pct": realised,
            "elapsed_pct": 100.0 * elapsed, "status": status, "reason": reason}


def _planned_class_rows(land, states: dict[str, np.ndarray], names: pd.DataFrame,
                        elapsed: float) -> list[dict]:
    """Per region and class whose area the plan changes materially (by more than
    :data:`MATERIAL_SHARE` of the region's area and half its largest parcel): the plan's area
    as the region's implied target, judged with that same tolerance — on 30 m cells a few
    hectares of a small class moving against the plan would otherwise turn a district red."""
    rows = []
    n_regions, n_classes = len(land.region_names), len(land.class_keys)
    cell = land.region.astype(np.int64) * n_classes
    area = {s: np.bincount(cell + states[s], weights=land.area_ha,
                           minlength=n_regions * n_classes).reshape(n_regions, n_classes)
            for s in states}
    largest = np.zeros(n_regions)
    np.maximum.at(largest, land.region, land.area_ha)
    material = np.maximum(0.5 * largest, MATERIAL_SHARE * area["base"].sum(axis=1))
    for r in range(n_regions):
        for c in range(n_classes):
            values = {s: float(area[s][r, c]) for s in states}
            tolerance = float(material[r])
            if abs(values["plan"] - values["base"]) <= tolerance:
                continue
            label_zh = land.class_names_zh[c] if land.class_names_zh else land.class_keys[c]
            label_en = land.class_names_en[c] if land.class_names_en else land.class_keys[c]
            rows.append(_progress_row("plan", f"plan.{land.class_keys[c]}", label_zh, label_en,
                                      r, names, None, None, values, elapsed, tolerance))
    return rows


# ---- regions and indicators -------------------------------------------------------------------

def _region_summary(table: pd.DataFrame, ledger: pd.DataFrame, regions: pd.DataFrame,
                    progress: pd.DataFrame) -> pd.DataFrame:
    out = regions[["region_id", "name_zh", "name_en"]].copy()
    for kind in VIOLATION_TYPES:
        flagged = table[table[kind]].groupby("region_id")["area_ha"]
        out[f"{kind}_n"] = out["region_id"].map(flagged.size()).fillna(0).astype(int)
        out[f"{kind}_ha"] = out["region_id"].map(flagged.sum()).fillna(0.0)
    for deviation in DEVIATIONS:
        area = table[table["deviation"] == deviation].groupby("region_id")["area_ha"].sum()
        out[f"{deviation}_ha"] = out["region_id"].map(area).fillna(0.0)
    out = out.merge(ledger, on="region_id", how="left").fillna(
        {"cropland_taken_ha": 0.0, "cropland_gained_ha": 0.0, "cropland_deficit_ha": 0.0})
    out["area_ha"] = out["region_id"].map(table.groupby("region_id")["area_ha"].sum()).fillna(0.0)
    # a region's light: the worst of its own rows (whole-area targets light the total only)
    worst = progress.dropna(subset=["region_id"]).groupby("region_id")["status"].agg(worst_status)
    out["status"] = [worst.get(region, "green") for region in out["region_id"]]
    return out


def indicator_table(parcels: pd.DataFrame, classes: pd.DataFrame, regions: pd.DataFrame,
                    adjacency: pd.DataFrame | None, grid: GridSpec | None, plan: np.ndarray,
                    survey: np.ndarray, plan_indicators: pd.DataFrame | None = None
                    ) -> pd.DataFrame:
    """The indicator system (whole area) on base, plan and survey side by side.

    ``plan_indicators`` (the table saved with the plan) spares one evaluation: on Wuhan's
    5.3 million cells each costs about 9 s.
    """
    from data.indicators import compute_indicators

    if adjacency is None:  # grid stores: rook neighbours from the grid
        from data.grid import grid_adjacency

        adjacency = grid_adjacency(parcels["parcel_id"].to_numpy(),
                                   parcels["grid_row"].to_numpy(),
                                   parcels["grid_col"].to_numpy(), grid.cell_m)
    surveyed = compute_indicators(parcels, adjacency, classes, regions, survey)
    planned = plan_indicators
    if planned is None or len(planned) != len(surveyed) or not planned[
            ["indicator", "scope"]].reset_index(drop=True).equals(surveyed[["indicator", "scope"]]):
        planned = compute_indicators(parcels, adjacency, classes, regions, plan)
    keys = ["indicator", "scope_type", "scope"]
    table = surveyed[[*keys, "unit", "label_zh", "label_en", "baseline"]].rename(
        columns={"baseline": "base"})
    table["plan"] = planned["value"].to_numpy()
    table["survey"] = surveyed["value"].to_numpy()
    table = table[[*keys, "unit", "label_zh", "label_en", "base", "plan", "survey"]]
    return table[table["scope_type"] == "total"].reset_index(drop=True)
