"""Planning periods (开发时序) on the dashboard: the period table ⇄ PeriodScenario, per-period
areas, and the "period of change" colouring. Pure functions; the page draws them."""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.components.library_panel import SavedResult
from solver import Scenario
from solver.periods import PeriodScenario

#: Editor columns → (override section, key) of each period.
PERIOD_LEVERS: dict[str, tuple[str, str]] = {
    "quota_pct": ("farmland", "quota_pct"),
    "min_new_built_ha": ("growth", "min_new_built_ha"),
    "max_new_built_ha": ("growth", "max_new_built_ha"),
}
PERIOD_COLORS = ([230, 97, 1, 255], [94, 60, 153, 255], [0, 136, 55, 255])  # 近期 / 中期 / 远期
UNCHANGED = [225, 225, 225, 255]
TABLE_COLUMNS = ("name", "year", *PERIOD_LEVERS, "max_period_changed_pct")


def default_periods(base: Scenario) -> pd.DataFrame:
    """Two periods (2030 近期, 2035 远期) that phase the base scenario's growth target."""
    growth = float(base.growth.min_new_built_ha or 0.0)
    return pd.DataFrame({
        "name": ["近期", "远期"], "year": [2030, 2035],
        "quota_pct": [base.farmland.quota_pct] * 2,
        "min_new_built_ha": [round(growth / 2, 1), growth],
        "max_new_built_ha": [np.nan, np.nan],
        "max_period_changed_pct": [np.nan, np.nan],
    })


def period_scenario(base: Scenario, base_year: int, table: pd.DataFrame) -> PeriodScenario:
    """A validated PeriodScenario from the edited table (blank cells keep the base lever)."""
    periods = []
    for row in table.dropna(subset=["name", "year"]).itertuples(index=False):
        period: dict = {"name": str(row.name), "year": int(row.year)}
        if pd.notna(row.max_period_changed_pct):
            period["max_period_changed_pct"] = float(row.max_period_changed_pct)
        for column, (section, key) in PERIOD_LEVERS.items():
            value = getattr(row, column)
            if pd.notna(value):
                period.setdefault(section, {})[key] = float(value)
        periods.append(period)
    return PeriodScenario.from_dict({**base.to_dict(), "base_year": int(base_year),
                                     "periods": periods})


def period_areas(result, class_names: dict[str, str]) -> pd.DataFrame:
    """Area by class at the end of each period (rows: classes, columns: period names)."""
    columns = {}
    for name, year, areas in zip(result.period_names, result.years,
                                 result.area_by_period_class_ha, strict=True):
        after = areas.get("after", areas)
        columns[f"{year} {name}"] = pd.Series(after, dtype=float)
    table = pd.DataFrame(columns)
    return table.rename(index=lambda key: class_names.get(key, key)).round(1)


def change_colors(period_of_change: np.ndarray) -> list[list[int]]:
    """Colour per parcel: the period in which it first changes use; grey when it never does."""
    return [PERIOD_COLORS[p % len(PERIOD_COLORS)] if p >= 0 else UNCHANGED
            for p in period_of_change.tolist()]


def plan_table(plan: PeriodScenario) -> pd.DataFrame:
    """The period table of a plan: the inverse of :func:`period_scenario` (blank = no override)."""
    rows = []
    for period in plan.periods:
        overrides = period.overrides_dict()
        row = {"name": period.name, "year": period.year,
               "max_period_changed_pct": (np.nan if period.max_period_changed_pct is None
                                          else period.max_period_changed_pct)}
        for column, (section, key) in PERIOD_LEVERS.items():
            value = overrides.get(section, {}).get(key)
            row[column] = np.nan if value is None else float(value)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def legend_html(labels: list[str], unchanged: str) -> str:
    """Colour swatches of the "period of change" map.

    Period names are typed by users and travel in share links: every label is escaped, and
    colours come from :data:`PERIOD_COLORS` only, so nothing a user types becomes markup.
    """
    items = [(color, label) for color, label in zip(PERIOD_COLORS, labels, strict=False)]
    items.append((UNCHANGED, unchanged))
    swatches = "".join(
        '<span style="display:inline-block;width:14px;height:14px;margin:0 4px -2px 12px;'
        f'border:1px solid #555;background:rgb({int(c[0])},{int(c[1])},{int(c[2])})"></span>'
        f"{html.escape(str(label), quote=True)}" for c, label in items)
    return f"<div style='font-size:14px'>{swatches}</div>"


def long_uses(parcel_ids: np.ndarray, codes_by_period: np.ndarray) -> pd.DataFrame:
    """``period, parcel_id, land_use`` rows of (n, T) codes (the library's and exports' form)."""
    n, periods = codes_by_period.shape
    return pd.DataFrame({"period": np.repeat(np.arange(periods), n),
                         "parcel_id": np.tile(np.asarray(parcel_ids), periods),
                         "land_use": codes_by_period.T.reshape(-1)})


@dataclass(frozen=True, kw_only=True)
class SavedPeriodResult(SavedResult):
    """A saved period plan's result, shaped like ``PeriodResult`` for the periods page
    (``assignment``: (n, T) class index per parcel and period)."""

    period_names: tuple[str, ...]
    years: tuple[int, ...]
    period_of_change: np.ndarray
    area_by_period_class_ha: tuple[dict, ...]


def saved_period_result(land, saved, plan: PeriodScenario) -> SavedPeriodResult:
    """Wrap a saved period plan (``data.library.SavedScenario``) for display, without solving.

    Raises
    ------
    data.library.LibraryError
        The plan's parcels or classes do not match the store's any more.
    """
    from data.library import LibraryError
    from solver.result import period_of_change

    codes = saved.codes_by_period(np.asarray(land.parcel_id))
    index = pd.Series(np.arange(land.n_classes), index=list(land.class_codes))
    positions = pd.DataFrame(codes).apply(lambda column: column.map(index))
    if positions.isna().any().any():
        raise LibraryError(f"period plan '{saved.name}' uses classes this store does not have")
    assignment = positions.to_numpy(dtype=np.int64)
    return SavedPeriodResult(
        status=saved.status, objective=saved.objective, best_bound=saved.best_bound,
        gap=saved.gap, wall_time_s=float(saved.wall_time_s or 0.0), assignment=assignment,
        period_names=plan.names, years=tuple(p.year for p in plan.periods),
        period_of_change=period_of_change(np.asarray(land.current), assignment),
        area_by_period_class_ha=tuple(saved.summary.get("area_by_period_class_ha", ())),
        name=saved.name, token=saved.token, stale=saved.stale)
