"""Pure builders of the compare page: indicator matrix, deltas, best values, verdicts, maps.

No Streamlit here. A compared scenario is a :class:`Compared` (label, land-use codes per parcel
in id order, its tidy indicator table); the page gathers them from the library or by solving
presets, and lays out what these functions return.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd
import pydeck as pdk
import shapely

from dashboard.components import maps
from dashboard.components.regions import EMPTY  # an empty cell (never "None")
from data.indicators import DIRECTION, display_unit, display_value

#: Rows of the comparison table, in this order (keys missing from a table are skipped).
TABLE_INDICATORS: tuple[str, ...] = (
    "cropland_ha", "grain_capacity_t", "basic_farmland_kept_pct", "built_ha", "new_built_ha",
    "esv_yuan", "carbon_t", "ecological_land_ha", "red_line_ecological_pct", "changed_area_ha",
    "patch_count", "like_adjacency_pct", "edge_density_m_per_ha", "shdi",
    "built_per_capita_gini", "cropland_to_built_ha", "cropland_uncompensated_ha",
    "new_built_outside_boundary_ha", "built_in_red_line_ha",
)
#: Per-region rows of the compare page: (indicator, decimals).
REGION_INDICATORS: tuple[str, ...] = ("new_built_ha", "cropland_ha", "changed_area_ha",
                                      "esv_yuan")
#: Indicators of the profile chart (% change vs. the current land use).
PROFILE_INDICATORS: tuple[str, ...] = (
    "cropland_ha", "grain_capacity_t", "built_ha", "esv_yuan", "carbon_t",
    "ecological_land_ha", "patch_count", "like_adjacency_pct", "edge_density_m_per_ha",
)
UNCHANGED_FILL = [225, 225, 225, 255]
BEST_STYLE = "background-color: #c8e6c9; font-weight: 600"


@dataclass(frozen=True)
class Compared:
    """One scenario on the compare page.

    Attributes
    ----------
    label : str
        Display name (unique on the page).
    codes : ndarray
        Land-use code per parcel, in parcel-id order (the solver's order).
    indicators : DataFrame
        Tidy table of :func:`data.indicators.compute_indicators`.
    source : str
        ``"saved"`` or ``"preset"``.
    stale : bool
        A saved scenario whose store changed since it was saved.
    """

    label: str
    codes: np.ndarray
    indicators: pd.DataFrame
    source: str = "preset"
    stale: bool = False
    quality: str | None = None  # what is proven about the answer, one sentence


def with_unique_labels(scenarios: list[Compared]) -> list[Compared]:
    """The scenarios with repeated labels numbered (``A``, ``A #2``): labels name table columns."""
    seen: dict[str, int] = {}
    out = []
    for s in scenarios:
        seen[s.label] = seen.get(s.label, 0) + 1
        label = s.label if seen[s.label] == 1 else f"{s.label} #{seen[s.label]}"
        out.append(dataclasses.replace(s, label=label))
    return out


def totals(table: pd.DataFrame) -> pd.DataFrame:
    """Whole-area rows of an indicator table, indexed by indicator key."""
    rows = table[table["scope_type"] == "total"]
    return rows.drop_duplicates("indicator").set_index("indicator")


def indicator_matrix(scenarios: list[Compared], keys: tuple[str, ...] = TABLE_INDICATORS
                     ) -> pd.DataFrame:
    """Total value of each indicator (rows) per scenario (columns, in the given order).

    Only indicators present in every table are kept; labels and units come from the first.
    """
    rows = [totals(s.indicators) for s in scenarios]
    keys = tuple(k for k in keys if all(k in r.index for r in rows))
    matrix = pd.DataFrame({s.label: r.loc[list(keys), "value"].astype(float).to_numpy()
                           for s, r in zip(scenarios, rows, strict=True)}, index=list(keys))
    matrix.index.name = "indicator"
    return matrix


def deltas(matrix: pd.DataFrame) -> pd.DataFrame:
    """Each scenario's value minus the first scenario's (the first column is all zero)."""
    return matrix.sub(matrix.iloc[:, 0], axis=0)


def best_mask(matrix: pd.DataFrame, direction: dict[str, int] = DIRECTION,
              rel_tol: float = 1e-9) -> pd.DataFrame:
    """True where a value is the best of its row; rows that are neutral or all equal stay False.

    Ties share the highlight (two scenarios with the same best value are both best).
    """
    mask = pd.DataFrame(False, index=matrix.index, columns=matrix.columns)
    for key, row in matrix.iterrows():
        sign = direction.get(str(key), 0)
        values = row.to_numpy(dtype=float)
        if sign == 0 or np.isnan(values).all():
            continue
        best = np.nanmax(values) if sign > 0 else np.nanmin(values)
        tol = rel_tol * max(1.0, abs(best))
        if np.nanmax(values) - np.nanmin(values) <= tol:
            continue
        mask.loc[key] = np.abs(values - best) <= tol
    return mask


def comparison_table(scenarios: list[Compared], lang: str, delta_word: str = "Δ"
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The indicator table shown on the page and its highlight mask (same shape).

    Columns: indicator label, unit, then per scenario its value and (after the first) its
    delta vs. the first scenario. The mask marks the best value per row (which way is
    better is :data:`data.indicators.DIRECTION`). Values are in the units people read
    (:func:`data.indicators.display_unit`, e.g. ESV in 亿元/年).
    """
    best = best_mask(indicator_matrix(scenarios))
    matrix = indicator_matrix(scenarios).apply(
        lambda row: row.map(lambda v: display_value(str(row.name), v)), axis=1)
    diff = deltas(matrix)
    first = totals(scenarios[0].indicators).loc[matrix.index]
    units = [display_unit(str(k), str(u), lang) for k, u in zip(matrix.index, first["unit"],
                                                                strict=True)]
    table = pd.DataFrame({"indicator": first["label_zh" if lang == "zh" else "label_en"].to_numpy(),
                          "unit": units}, index=matrix.index)
    mask = pd.DataFrame(False, index=matrix.index, columns=["indicator", "unit"])
    for i, label in enumerate(matrix.columns):
        table[label], mask[label] = matrix[label], best[label]
        if i:
            column = f"{delta_word} {label}"
            table[column], mask[column] = diff[label], False
    return table.reset_index(drop=True), mask.reset_index(drop=True)


def styled_table(table: pd.DataFrame, mask: pd.DataFrame, delta_word: str = "Δ"):
    """A pandas Styler: numbers with thousands separators, signed deltas, best cells green."""
    numeric = table.select_dtypes("number").columns
    formats = {c: (_signed if c.startswith(delta_word + " ") else _plain) for c in numeric}
    css = pd.DataFrame(np.where(mask.to_numpy(dtype=bool), BEST_STYLE, ""), index=table.index,
                       columns=table.columns)
    return table.style.format(formats, na_rep=EMPTY).apply(lambda _: css, axis=None)


def _plain(value: float) -> str:
    """Large numbers without decimals (13,636,025), small ones with two (24.54); "–" if missing."""
    if pd.isna(value):
        return EMPTY
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}"


def _signed(value: float) -> str:
    if pd.isna(value):
        return EMPTY
    return f"{value:+,.0f}" if abs(value) >= 1000 else f"{value:+,.2f}"


def region_matrix(scenarios: list[Compared], key: str, names: dict[str, str]) -> pd.DataFrame:
    """One indicator per region (rows, named by ``names``: the page's language) and scenario
    (columns), in the indicator's display unit; regions a table lacks are NaN."""
    columns = {}
    for s in scenarios:
        rows = s.indicators[(s.indicators["scope_type"] == "region")
                            & (s.indicators["indicator"] == key)]
        columns[s.label] = rows.set_index("scope")["value"].astype(float).map(
            lambda v: display_value(key, v))
    matrix = pd.DataFrame(columns)
    matrix.index = [names.get(str(r), str(r)) for r in matrix.index]
    return matrix


# ---- verdicts -------------------------------------------------------------------------------

def _pct_change(row: pd.Series) -> float | None:
    base = float(row["baseline"])
    return None if not np.isfinite(base) or base == 0 else 100 * (float(row["value"]) - base) / abs(base)


def verdict(table: pd.DataFrame, lang: str) -> str:
    """One sentence a decision-maker can read aloud about an allocation vs. the current use.

    e.g. ``保留耕地 98.2 %，生态服务价值 +3.1 %，粮食产能 +0.4 %，新增建设用地 1,240 公顷``.
    """
    rows, parts = totals(table), []
    zh = lang == "zh"
    if "cropland_ha" in rows.index and float(rows.loc["cropland_ha", "baseline"]) > 0:
        row = rows.loc["cropland_ha"]
        kept = 100 * float(row["value"]) / float(row["baseline"])
        parts.append(f"保留耕地 {kept:.1f} %" if zh else f"keeps {kept:.1f} % of cropland")
    for key, zh_word, en_word in (("esv_yuan", "生态服务价值", "ESV"),
                                  ("grain_capacity_t", "粮食产能", "grain capacity"),
                                  ("carbon_t", "碳储量", "carbon")):
        change = _pct_change(rows.loc[key]) if key in rows.index else None
        if change is not None:
            parts.append(f"{zh_word if zh else en_word} {change:+.1f} %")
    if "new_built_ha" in rows.index:
        new = float(rows.loc["new_built_ha", "value"])
        parts.append(f"新增建设用地 {new:,.0f} 公顷" if zh else f"{new:,.0f} ha new construction")
    if "changed_area_ha" in rows.index:
        changed = float(rows.loc["changed_area_ha", "value"])
        parts.append(f"用途调整 {changed:,.0f} 公顷" if zh else f"{changed:,.0f} ha change use")
    return ("，" if zh else ", ").join(parts)


# ---- profile chart --------------------------------------------------------------------------

def profile_frame(scenarios: list[Compared], lang: str,
                  keys: tuple[str, ...] = PROFILE_INDICATORS) -> pd.DataFrame:
    """Tidy % change vs. the current land use: ``scenario, indicator, label, change_pct``."""
    frames = []
    for s in scenarios:
        rows = totals(s.indicators)
        chosen = rows.loc[[k for k in keys if k in rows.index]]
        change = [_pct_change(r) for _, r in chosen.iterrows()]
        frames.append(pd.DataFrame({
            "scenario": s.label, "indicator": chosen.index.to_numpy(),
            "label": chosen["label_zh" if lang == "zh" else "label_en"].to_numpy(),
            "change_pct": np.round([0.0 if c is None else c for c in change], 3)}))
    return pd.concat(frames, ignore_index=True)


def profile_chart(frame: pd.DataFrame, order: list[str], title: str) -> alt.Chart:
    """Grouped horizontal bars: per indicator, one bar per scenario (same colour per scenario)."""
    return alt.Chart(frame).mark_bar().encode(
        y=alt.Y("label:N", sort=None, title=None),
        yOffset=alt.YOffset("scenario:N", sort=order),
        x=alt.X("change_pct:Q", title=title),
        color=alt.Color("scenario:N", sort=order, title=None, scale=alt.Scale(scheme="tableau10"),
                        legend=alt.Legend(orient="top")),
        tooltip=["scenario:N", "label:N", alt.Tooltip("change_pct:Q", format="+.2f")],
    ).properties(height=max(220, 14 * len(frame) + 16 * frame["label"].nunique()))


# ---- difference map -------------------------------------------------------------------------

def difference_frame(codes_a: np.ndarray, codes_b: np.ndarray, area_ha: np.ndarray,
                     class_names: dict[int, str]) -> pd.DataFrame:
    """Parcels whose use differs between two allocations, with from/to names and areas.

    Returns a frame with columns ``row`` (parcel position), ``from``, ``to`` (codes),
    ``from_name``, ``to_name`` and ``area_ha``; empty when the allocations agree.
    """
    codes_a, codes_b = np.asarray(codes_a), np.asarray(codes_b)
    rows = np.flatnonzero(codes_a != codes_b)
    return pd.DataFrame({"row": rows, "from": codes_a[rows], "to": codes_b[rows],
                         "from_name": [class_names.get(int(c), str(c)) for c in codes_a[rows]],
                         "to_name": [class_names.get(int(c), str(c)) for c in codes_b[rows]],
                         "area_ha": np.asarray(area_ha, dtype=float)[rows]})


def difference_summary(diff: pd.DataFrame) -> pd.DataFrame:
    """Hectares per from → to pair, largest first."""
    if diff.empty:
        return pd.DataFrame({"from_name": [], "to_name": [], "n": [], "area_ha": []})
    return (diff.groupby(["from_name", "to_name"], sort=False)
            .agg(n=("row", "size"), area_ha=("area_ha", "sum"))
            .reset_index().sort_values("area_ha", ascending=False, ignore_index=True))


def difference_colors(codes_a: np.ndarray, codes_b: np.ndarray, rows: np.ndarray,
                      class_colors: dict[int, list[int]]) -> list[list[int]]:
    """Fill per map row: the 'to' class colour where the allocations differ, light grey elsewhere."""
    a, b = np.asarray(codes_a)[rows], np.asarray(codes_b)[rows]
    fallback = [128, 128, 128, 255]
    return [class_colors.get(int(to), fallback) if frm != to else UNCHANGED_FILL
            for frm, to in zip(a.tolist(), b.tolist(), strict=True)]


def difference_layers(frame: pd.DataFrame, codes_a: np.ndarray, codes_b: np.ndarray,
                      class_colors: dict[int, list[int]]) -> list[pdk.Layer]:
    """Fill layer (grey / 'to' colour) plus dark outlines of the parcels that differ.

    ``frame`` is a map frame (:func:`maps.parcel_frame` with a ``row`` column).
    """
    rows = frame["row"].to_numpy()
    fill = maps.landuse_layer(frame, difference_colors(codes_a, codes_b, rows, class_colors),
                              "difference", tooltips=False)
    changed = np.asarray(codes_a)[rows] != np.asarray(codes_b)[rows]
    if not changed.any():
        return [fill]
    return [fill, maps.outline_layer(changed_outlines(frame.loc[changed, "polygon"].tolist()),
                                     maps.CHANGE_OUTLINE, "difference-outline", 25.0)]


def changed_outlines(rings: list) -> list:
    """Outlines of the changed areas: neighbouring changed parcels merge into one outline.

    Outlining every parcel would paint small parcels dark at county zoom; the dissolved
    outline keeps them readable and sends fewer rings to the browser.
    """
    polygons = np.array([shapely.Polygon(ring) for ring in rings], dtype=object)
    return maps.zone_rings(polygons)
