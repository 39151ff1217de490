"""Regional coordination (区域协调): per-region levers as a table, indicators side by side and
a region map coloured by an indicator. Pure functions; the page draws them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from data.indicators import DISPLAY_SCALE, display_unit, display_value
from solver import Scenario
from wording import levers as lever_words

#: Editor column → scenario key of the per-region lever it sets.
REGION_LEVER_COLUMNS: dict[str, str] = {
    "quota_pct": "farmland.region_quota_pct",
    "min_new_built_ha": "growth.region_min_new_built_ha",
    "max_new_built_ha": "growth.region_max_new_built_ha",
}

#: Per-region indicators shown side by side (key, decimals).
REGION_INDICATORS: tuple[tuple[str, int], ...] = (
    ("cropland_ha", 0), ("built_ha", 0), ("new_built_ha", 0), ("built_per_capita_m2", 1),
    ("esv_yuan", 0), ("carbon_t", 0), ("grain_capacity_t", 0), ("changed_area_ha", 0),
    ("cropland_uncompensated_ha", 0),
)
RAMP = ((255, 247, 236), (253, 187, 132), (227, 74, 51), (127, 0, 0))  # light → dark red


def lever_column_labels(t: Callable[[str], str]) -> dict[str, str]:
    """Editor column → its label: a township's lever is labelled like the whole-area lever
    (the table already says which township)."""
    return {column: t(lever_words.PER_REGION[key]) for column, key in REGION_LEVER_COLUMNS.items()}


def lever_table(scenario: Scenario, region_names: tuple[str, ...],
                shown: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per region with its per-region levers (NaN where the region has none).

    ``region`` is the name shown (``shown``: key → display name, e.g. English); ``key`` the
    region's key in the scenario (its Chinese name), which :func:`apply_lever_table` reads.
    """
    data = scenario.to_dict()
    shown = shown or {}
    table = pd.DataFrame({"key": list(region_names),
                          "region": [shown.get(r, r) for r in region_names]})
    for column, key in REGION_LEVER_COLUMNS.items():
        section, name = key.split(".")
        values = dict(data[section].get(name) or {})
        table[column] = [float(values[r]) if r in values else np.nan for r in region_names]
    return table


def apply_lever_table(scenario: Scenario, table: pd.DataFrame) -> Scenario:
    """The scenario with the per-region levers of an edited table (blank cells = no lever)."""
    for column, key in REGION_LEVER_COLUMNS.items():
        keys = table["key"] if "key" in table else table["region"]
        values = {str(r): float(v) for r, v in zip(keys, table[column], strict=True)
                  if pd.notna(v)}
        scenario = scenario.with_value(key, values)
    return scenario


EMPTY = "–"  # an empty cell (never "None")


def region_display_names(regions: pd.DataFrame, lang: str) -> dict[str, str]:
    """Region key (``name_zh``, how indicator tables and levers name regions) → the name shown
    in ``lang``: ``name_en`` in English where the store has one, else the Chinese name."""
    keys = regions["name_zh"].astype(str)
    if lang == "zh" or "name_en" not in regions:
        return dict(zip(keys, keys, strict=True))
    shown = [en if isinstance(en, str) and en.strip() else zh
             for zh, en in zip(keys, regions["name_en"], strict=True)]
    return dict(zip(keys, shown, strict=True))


def styled(frame: pd.DataFrame):
    """A table for ``st.dataframe``: thousands separators, "–" for missing values."""
    return frame.style.format(lambda v: EMPTY if pd.isna(v) else f"{v:,.{_decimals(v)}f}")


def _decimals(value: float) -> int:
    return 0 if abs(value) >= 100 or float(value).is_integer() else 1


def region_indicator_table(table: pd.DataFrame, lang: str,
                           names: dict[str, str] | None = None) -> pd.DataFrame:
    """Regions as rows (named by ``names`` when given, see :func:`region_display_names`), the
    main per-region indicators as columns (labels in ``lang``)."""
    rows = table[table["scope_type"] == "region"]
    label = "label_zh" if lang == "zh" else "label_en"
    columns = {}
    for key, decimals in REGION_INDICATORS:
        chosen = rows[rows["indicator"] == key]
        if chosen.empty:
            continue
        unit = display_unit(key, str(chosen["unit"].iloc[0]), lang)
        title = f"{chosen[label].iloc[0]} ({unit})" if unit else str(chosen[label].iloc[0])
        values = chosen.set_index("scope")["value"].astype(float).map(
            lambda v, k=key: display_value(k, v))
        columns[title] = values.round(decimals if key not in DISPLAY_SCALE else 2)
    frame = pd.DataFrame(columns).rename_axis(None)
    if names:
        frame.index = [names.get(str(r), str(r)) for r in frame.index]
    return frame


def indicator_by_region(table: pd.DataFrame, key: str, change: bool = False) -> pd.Series:
    """One per-region indicator (or its change vs. the baseline) indexed by region name."""
    rows = table[(table["scope_type"] == "region") & (table["indicator"] == key)]
    return rows.set_index("scope")["change" if change else "value"].astype(float)


def ramp_colors(values: np.ndarray) -> list[list[int]]:
    """Sequential colours for values (min → light, max → dark); grey for NaN."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    position = np.clip((values - lo) / (hi - lo if hi > lo else 1.0), 0, 1) * (len(RAMP) - 1)
    colors = []
    for p in position:
        if not np.isfinite(p):
            colors.append([200, 200, 200, 220])
            continue
        i = min(int(p), len(RAMP) - 2)
        mix = p - i
        colors.append([round(a + (b - a) * mix) for a, b in zip(RAMP[i], RAMP[i + 1], strict=True)]
                      + [230])
    return colors
