"""Pure helpers that turn a solve result and its indicator table into what the page shows.

No Streamlit here: the page calls these and lays the output out, so tests can check the
numbers, colours and texts directly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from solver.result import MEANINGFUL_GAP
from wording import gap_percent

#: KPI tiles: indicator key (scope total), i18n label key, display unit, divisor, decimals.
KPI_SPECS: tuple[tuple[str, str, str, float, int], ...] = (
    ("cropland_ha", "kpi_cropland", "ha", 1.0, 0),
    ("built_ha", "kpi_built", "ha", 1.0, 0),
    ("esv_yuan", "kpi_esv", "亿元", 1e8, 2),
    ("carbon_t", "kpi_carbon", "Mt C", 1e6, 2),
    ("grain_capacity_t", "kpi_grain", "万吨", 1e4, 2),
    ("changed_area_ha", "kpi_changed", "ha", 1.0, 0),
)
EN_UNITS = {"亿元": "100 M yuan", "万吨": "10 kt"}
#: Indicators charted against the baseline (total scope), in this order.
CHANGE_INDICATORS: tuple[str, ...] = (
    "cropland_ha", "grain_capacity_t", "built_ha", "esv_yuan", "carbon_t",
    "ecological_land_ha", "patch_count", "like_adjacency_pct", "edge_density_m_per_ha", "shdi",
)


@dataclass(frozen=True)
class Kpi:
    label_key: str
    unit: str
    value: str
    delta: str | None
    delta_color: str  # "normal" | "inverse" | "off"


def totals(table: pd.DataFrame) -> pd.DataFrame:
    """Whole-area rows of the indicator table, indexed by indicator key."""
    return table[table["scope_type"] == "total"].set_index("indicator")


def kpi_tiles(table: pd.DataFrame, lang: str) -> list[Kpi]:
    """The KPI tiles with their change vs. the baseline, formatted for display."""
    rows, tiles = totals(table), []
    for key, label, unit, divisor, decimals in KPI_SPECS:
        if key not in rows.index:
            continue
        row = rows.loc[key]
        unit_text = EN_UNITS.get(unit, unit) if lang == "en" else unit
        value = f"{row['value'] / divisor:,.{decimals}f}"
        delta = None if key == "changed_area_ha" else f"{row['change'] / divisor:+,.{decimals}f}"
        tiles.append(Kpi(label, unit_text, value, delta, "off" if key == "built_ha" else "normal"))
    return tiles


def change_frame(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Percentage change of the charted indicators vs. the baseline (rows with a baseline > 0)."""
    rows = totals(table)
    keys = [k for k in CHANGE_INDICATORS if k in rows.index]
    chosen = rows.loc[keys]
    baseline = chosen["baseline"].astype(float)
    change = np.where(baseline.abs() > 0, 100 * chosen["change"] / baseline.abs(), 0.0)
    label = chosen["label_zh" if lang == "zh" else "label_en"]
    text = [f"{b:,.4g} → {v:,.4g} {u}" for b, v, u in
            zip(baseline, chosen["value"], chosen["unit"], strict=True)]
    return pd.DataFrame({"label": label.to_numpy(), "change_pct": np.round(change, 3), "text": text})


def class_names(classes: pd.DataFrame, lang: str) -> dict[int, str]:
    return dict(zip(classes["code"], classes["name_zh" if lang == "zh" else "name_en"], strict=True))


def structure_frame(before: np.ndarray, after: np.ndarray, area_ha: np.ndarray,
                    classes: pd.DataFrame, lang: str, stage_labels: tuple[str, str]) -> pd.DataFrame:
    """Tidy area by class for the current and the optimized allocation (codes per parcel)."""
    names = class_names(classes, lang)
    frames = []
    for stage, codes in zip(stage_labels, (before, after), strict=True):
        areas = pd.Series(area_ha).groupby(np.asarray(codes)).sum()
        frames.append(pd.DataFrame({"class": [names[c] for c in classes["code"]], "stage": stage,
                                    "area_ha": [float(areas.get(c, 0.0)) for c in classes["code"]]}))
    return pd.concat(frames, ignore_index=True)


def transition_frame(before: np.ndarray, after: np.ndarray, area_ha: np.ndarray,
                     classes: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Tidy from × to hectares over every class pair (zeros included, so the grid is full)."""
    names = class_names(classes, lang)
    sums = pd.DataFrame({"from": before, "to": after, "a": area_ha}).groupby(["from", "to"])["a"].sum()
    codes = classes["code"].tolist()
    grid = pd.MultiIndex.from_product([codes, codes], names=["from", "to"])
    full = sums.reindex(grid, fill_value=0.0).reset_index(name="area_ha")
    full["from"] = full["from"].map(names)
    full["to"] = full["to"].map(names)
    return full


def region_frame(after: np.ndarray, area_ha: np.ndarray, region_ids: np.ndarray,
                 region_names: dict[int, str], classes: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Tidy area by region and class after the allocation, with a stacking order."""
    names = class_names(classes, lang)
    order = {code: i for i, code in enumerate(classes["code"])}
    sums = pd.DataFrame({"region": region_ids, "code": after, "a": area_ha}).groupby(
        ["region", "code"])["a"].sum().reset_index()
    return pd.DataFrame({"region": sums["region"].map(region_names),
                         "class": sums["code"].map(names), "area_ha": sums["a"],
                         "order": sums["code"].map(order)})


def changed_mask(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    return np.asarray(before) != np.asarray(after)




def gap_tile(status: str, gap: float | None, t: Callable[..., str]) -> str:
    """Headline value of the gap tile: 最优, ≤ x %, 未证明 or –."""
    if status == "OPTIMAL":
        return t("gap_tile_optimal")
    if gap is None or status != "FEASIBLE":
        return "–"
    if gap > MEANINGFUL_GAP:
        return t("gap_tile_unproven")
    return f"≤ {gap_percent(gap)}"


def quality_sentence(status: str, gap: float | None, compact: bool,
                     t: Callable[..., str]) -> str | None:
    """What the answer's quality is, in one plain sentence (None without an answer).

    With compactness the allocation comes from a heuristic search; its gap is still proven
    against a valid bound, and the sentence says both.
    """
    if status == "OPTIMAL":
        return t("quality_optimal")
    if status != "FEASIBLE":
        return None
    if gap is None or gap > MEANINGFUL_GAP:
        return t("quality_unproven_compact" if compact else "quality_unproven")
    return t("quality_heuristic_compact" if compact else "quality_proven", gap=gap_percent(gap))


def status_line(result, t, compact: bool = False) -> str:
    """One line a decision-maker can read: status, what is proven, time."""
    status = str(result.status)
    parts = [f"{t('status')}: {t('status_' + status)}"]
    sentence = quality_sentence(status, result.gap, compact, t)
    if sentence is not None:
        parts.append(sentence)
    parts.append(f"{t('wall_time')}: {result.wall_time_s:.1f} s")
    return " · ".join(parts)


def legend_html(classes: pd.DataFrame, lang: str) -> str:
    """Class colour swatches (names are escaped: a user's class table may hold anything)."""
    from html import escape

    safe = [c if re.fullmatch(r"#[0-9a-fA-F]{6}", str(c)) else "#808080" for c in classes["color"]]
    items = [f'<span style="display:inline-block;width:14px;height:14px;background:{c};'
             f'margin:0 4px -2px 12px;border:1px solid #555"></span>{escape(str(n))}'
             for c, n in zip(safe, classes["name_zh" if lang == "zh" else "name_en"],
                             strict=True)]
    return "<div style='font-size:14px'>" + "".join(items) + "</div>"


def map_legend_html(classes: pd.DataFrame, lang: str, lines: list[tuple[str, list[int]]]
                    ) -> str:
    """One line above the maps: class colour boxes, then the overlay lines drawn, each as a
    hollow box in its line colour (``lines``: label and RGBA). Names are escaped."""
    from html import escape

    boxes = legend_html(classes, lang)[len("<div style='font-size:14px'>"):-len("</div>")]
    hollow = "".join(
        f'<span style="display:inline-block;width:14px;height:14px;border:3px solid '
        f'rgb({r},{g},{b});margin:0 4px -3px 14px"></span>{escape(label)}'
        for label, (r, g, b, *_) in lines)
    return ("<div class='map-legend' style='font-size:14px;line-height:1.9'>"
            + boxes + hollow + "</div>")


def color_scale_html(title: str, low: float, high: float, ramp: tuple, decimals: int = 1) -> str:
    """A horizontal colour bar from ``low`` to ``high`` for a choropleth (``ramp``: the RGB
    stops from light to dark); the title is escaped."""
    from html import escape

    stops = ", ".join(f"rgb({r},{g},{b})" for r, g, b in ramp)
    return ("<div class='map-scale' style='font-size:13px;margin:2px 0 6px'>"
            f"<div>{escape(title)}</div><div style='display:flex;align-items:center;gap:6px'>"
            f"<span>{low:,.{decimals}f}</span><span style='display:inline-block;flex:1;"
            f"max-width:260px;height:12px;background:linear-gradient(to right, {stops});"
            f"border:1px solid #999'></span><span>{high:,.{decimals}f}</span></div></div>")
