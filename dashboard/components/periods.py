"""Planning periods (开发时序) on the dashboard: the period table ⇄ PeriodScenario, per-period
areas, and the "period of change" colouring. Pure functions; the page draws them."""

from __future__ import annotations

import numpy as np
import pandas as pd

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


def allocation_table(parcel_ids: np.ndarray, codes_by_period: np.ndarray,
                     period_of_change: np.ndarray, years: tuple[int, ...],
                     base_codes: np.ndarray, base_year: int) -> pd.DataFrame:
    """Parcel uses per year and the year of the first change (for the CSV export)."""
    table = pd.DataFrame({"parcel_id": parcel_ids, f"use_{base_year}": base_codes})
    for t, year in enumerate(years):
        table[f"use_{year}"] = codes_by_period[:, t]
    changed = period_of_change >= 0
    table["period_of_change"] = np.where(changed, np.asarray(years)[np.maximum(period_of_change, 0)],
                                         0)
    return table
