"""Pure parts of the trade-off page: frames, charts and the steps table of a sweep.

The sweep itself (levers, which one binds, step values, the runner) is domain logic and
lives in :mod:`data.sweep`; this module only shapes its points for the page. No Streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import altair as alt
import pandas as pd

from data.sweep import SweepPoint

#: Indicators offered for the curves, in this order.
CURVE_INDICATORS: tuple[str, ...] = (
    "esv_yuan", "new_built_ha", "cropland_ha", "grain_capacity_t", "carbon_t",
    "changed_area_ha", "like_adjacency_pct", "patch_count", "ecological_land_ha", "built_ha",
)
INFEASIBLE_COLOR = "#c62828"
FRONTIER_SELECTION = "step"  # a click on a frontier point selects that step's lever value
EMPTY = "—"  # an empty cell: never "None"

#: Frontier axes per lever: what the lever moves (x) against what it costs (y).
FRONTIER_AXES: dict[str, tuple[str, str]] = {
    "growth.min_new_built_ha": ("new_built_ha", "esv_yuan"),
    "farmland.quota_pct": ("cropland_ha", "esv_yuan"),
    "ecology.min_ecological_pct": ("ecological_land_ha", "grain_capacity_t"),
    "conversion.max_changed_pct": ("changed_area_ha", "esv_yuan"),
}
DEFAULT_AXES = ("new_built_ha", "esv_yuan")
N_PLOTTED = 4
LABEL_MERGE = 0.03  # frontier points within this share of both axes' spans share one label


def frontier_axes(lever: str, keys: list[str]) -> tuple[str, str]:
    """Default frontier axes for a lever (x: what it moves, y: what that costs), from ``keys``."""
    x, y = FRONTIER_AXES.get(lever, DEFAULT_AXES)
    x = x if x in keys else keys[0]
    y = y if y in keys and y != x else next(k for k in keys if k != x)
    return x, y


def plotted_default(x: str, y: str, keys: list[str], n: int = N_PLOTTED) -> list[str]:
    """The curves shown first: the frontier's two indicators, then the first others."""
    return list(dict.fromkeys([x, y, *keys]))[:n]


# ---- frames and charts ----------------------------------------------------------------------

def curve_frame(points: list[SweepPoint], keys: list[str], labels: dict[str, str]) -> pd.DataFrame:
    """Tidy ``value, indicator, label, y`` of the feasible steps, for the indicator curves."""
    rows = [{"value": p.value, "indicator": k, "label": labels.get(k, k), "y": p.values[k]}
            for p in points if p.feasible for k in keys if k in p.values]
    return pd.DataFrame(rows, columns=["value", "indicator", "label", "y"])


def clicked_step(selection: dict, points: list[SweepPoint]) -> int | None:
    """Index of the step whose point was clicked on the frontier chart, if any.

    ``selection`` is Streamlit's chart selection state: ``{name: [{"value": v}, ...]}``.
    """
    picked = selection.get(FRONTIER_SELECTION) or []
    if not picked or "value" not in picked[0]:
        return None
    value = float(picked[0]["value"])
    matches = [i for i, p in enumerate(points) if math.isclose(p.value, value, abs_tol=1e-9)]
    return matches[0] if matches else None


def flat_indicators(points: list[SweepPoint], keys: list[str], rel_tol: float = 1e-4
                    ) -> list[str]:
    """Indicators that do not change across the solved steps (their curve is a flat line)."""
    flat = []
    for key in keys:
        values = [p.values[key] for p in points if p.feasible and key in p.values]
        if len(values) >= 2:
            scale = max(1.0, max(abs(v) for v in values))
            if max(values) - min(values) <= rel_tol * scale:
                flat.append(key)
    return flat


def steps_table(points: list[SweepPoint], lang: str, status_text: Callable[[str], str],
                gap_text: Callable[[SweepPoint], str]) -> pd.DataFrame:
    """One row per step, all cells text (never "None"): lever value, status, objective
    (points), gap, time (s) and, for steps without a solution, the conflicting levers."""
    return pd.DataFrame({
        "value": [f"{p.value:,.4g}" for p in points],
        "status": [status_text(p.status) for p in points],
        "objective": [EMPTY if p.objective is None or not p.feasible else f"{p.objective:,.2f}"
                      for p in points],
        "gap_pct": [gap_text(p) if p.feasible else EMPTY for p in points],
        "wall_time_s": [f"{p.wall_time_s:.1f}" for p in points],
        "note": [p.note(lang) or EMPTY if not p.feasible else EMPTY for p in points]})


def frontier_frame(points: list[SweepPoint], x_key: str, y_key: str) -> pd.DataFrame:
    """``value, x, y, label, row`` of feasible steps, in lever order (the line follows the sweep).

    Steps that land on (almost) the same spot share one label, e.g. ``90–100`` on the first of
    them and none on the others, so labels never print over each other; ``row`` numbers the
    labelled points (odd ones are labelled below their dot, even ones above).
    """
    rows = [(p.value, p.values[x_key], p.values[y_key]) for p in points
            if p.feasible and x_key in p.values and y_key in p.values]
    frame = pd.DataFrame(rows, columns=["value", "x", "y"])
    frame["label"], frame["row"] = _frontier_labels(frame), 0
    labelled = frame["label"] != ""
    frame.loc[labelled, "row"] = range(int(labelled.sum()))
    return frame


def _frontier_labels(frame: pd.DataFrame) -> list[str]:
    if frame.empty:
        return []
    span_x = float(frame["x"].max() - frame["x"].min()) or 1.0
    span_y = float(frame["y"].max() - frame["y"].min()) or 1.0
    labels, start = [""] * len(frame), 0
    for i in range(1, len(frame) + 1):
        same = i < len(frame) and (
            abs(frame["x"].iat[i] - frame["x"].iat[start]) <= LABEL_MERGE * span_x
            and abs(frame["y"].iat[i] - frame["y"].iat[start]) <= LABEL_MERGE * span_y)
        if not same:
            first, last = frame["value"].iat[start], frame["value"].iat[i - 1]
            labels[start] = f"{first:,.4g}" if i - 1 == start else f"{first:,.4g}–{last:,.4g}"
            start = i
    return labels


def _infeasible_marks(values: list[float], y: float, lever_title: str) -> alt.Chart:
    marks = pd.DataFrame({"value": values, "y": y})
    return alt.Chart(marks).mark_point(shape="cross", size=220, filled=True, angle=45,
                                       color=INFEASIBLE_COLOR).encode(
        x=alt.X("value:Q", title=lever_title), y="y:Q",
        tooltip=[alt.Tooltip("value:Q", title=lever_title)])


def curve_chart(curve: pd.DataFrame, bad: list[float], lever_title: str, y_title: str
                ) -> alt.Chart:
    """One indicator against the lever: line with points; red ✕ at infeasible lever values."""
    chart = alt.Chart(curve).mark_line(point=alt.OverlayMarkDef(size=70)).encode(
        x=alt.X("value:Q", title=lever_title, scale=alt.Scale(zero=False)),
        y=alt.Y("y:Q", title=y_title, scale=alt.Scale(zero=False), axis=alt.Axis(format=".4~s")),
        tooltip=[alt.Tooltip("value:Q", title=lever_title),
                 alt.Tooltip("y:Q", title=y_title, format=",.4~g")])
    if bad:
        floor = float(curve["y"].min()) if not curve.empty else 0.0
        chart = chart + _infeasible_marks(bad, floor, lever_title)
    return chart.properties(height=220)


def frontier_chart(frontier: pd.DataFrame, x_title: str, y_title: str, lever_title: str
                   ) -> alt.Chart:
    """Scatter + line of two indicators across the sweep, labelled by lever value (points on
    the same spot share one label, see :func:`frontier_frame`).

    Clicking a point selects its lever value (selection :data:`FRONTIER_SELECTION`).
    """
    base = alt.Chart(frontier).encode(
        x=alt.X("x:Q", title=x_title, scale=alt.Scale(zero=False), axis=alt.Axis(format=".4~s")),
        y=alt.Y("y:Q", title=y_title, scale=alt.Scale(zero=False), axis=alt.Axis(format=".4~s")),
        order="value:Q")
    line = base.mark_line(color="#607d8b")
    pick = alt.selection_point(name=FRONTIER_SELECTION, fields=["value"], on="click")
    dots = base.mark_circle(size=110, color="#1565c0").add_params(pick).encode(tooltip=[
        alt.Tooltip("value:Q", title=lever_title), alt.Tooltip("x:Q", title=x_title, format=",.4~g"),
        alt.Tooltip("y:Q", title=y_title, format=",.4~g")])
    above = base.mark_text(dy=-13, fontSize=12).encode(text="label:N").transform_filter(
        "datum.label != '' && datum.row % 2 == 0")
    below = base.mark_text(dy=15, fontSize=12).encode(text="label:N").transform_filter(
        "datum.label != '' && datum.row % 2 == 1")
    return (line + dots + above + below).properties(height=340)
