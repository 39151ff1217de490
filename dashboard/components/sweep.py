"""Pure parts of the trade-off page: which levers can be swept, step values, the sweep runner
and its charts. No Streamlit here: the runner takes a solve function and a callback.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from solver.scenario import SECTIONS, Scenario, ScenarioError

#: Sections whose numbers are planning levers (solver settings are not swept).
LEVER_SECTIONS: tuple[str, ...] = ("farmland", "ecology", "growth", "conversion", "weights")
#: Ranges a planner usually asks for; other levers get :func:`default_range`'s generic range.
TYPICAL_RANGES: dict[str, tuple[float, float]] = {
    "farmland.quota_pct": (90.0, 105.0),
    "growth.min_new_built_ha": (0.0, 1500.0),
    "weights.compactness": (0.0, 5.0),
    "weights.ecology": (0.0, 5.0),
    "conversion.max_changed_pct": (5.0, 25.0),
}
#: Indicators offered for the curves, in this order.
CURVE_INDICATORS: tuple[str, ...] = (
    "esv_yuan", "new_built_ha", "cropland_ha", "grain_capacity_t", "carbon_t",
    "changed_area_ha", "like_adjacency_pct", "patch_count", "ecological_land_ha", "built_ha",
)
INFEASIBLE_COLOR = "#c62828"
FRONTIER_SELECTION = "step"  # a click on a frontier point selects that step's lever value


@dataclass(frozen=True)
class LeverSpec:
    """A numeric lever of the scenario: dotted key, allowed bounds (``hi`` may be None), unit."""

    key: str
    lo: float
    hi: float | None
    unit: str


@dataclass
class SweepPoint:
    """One step of a sweep.

    ``values`` holds the whole-area indicator values (empty without a solution); ``error``
    the reason a step could not be built (e.g. a value the scenario refuses).
    """

    value: float
    scenario: Scenario | None
    status: str
    gap: float | None = None
    wall_time_s: float = 0.0
    assignment: np.ndarray | None = None
    values: dict[str, float] = field(default_factory=dict)
    error: str = ""

    @property
    def feasible(self) -> bool:
        return self.assignment is not None


def numeric_levers() -> list[LeverSpec]:
    """Every plain numeric lever of :class:`Scenario` (no per-region tables, no solver knobs)."""
    specs = []
    for section in LEVER_SECTIONS:
        for f in dataclasses.fields(SECTIONS[section]):
            meta = f.metadata
            if "lo" in meta and not meta.get("per_region") and f.default is not None:
                specs.append(LeverSpec(f"{section}.{f.name}", float(meta["lo"]),
                                       None if meta["hi"] is None else float(meta["hi"]),
                                       str(meta["unit"])))
    return specs


def lever_value(scenario: Scenario, key: str) -> float:
    """Current value of a dotted numeric lever."""
    section, name = key.split(".", 1)
    return float(getattr(getattr(scenario, section), name))


def default_range(scenario: Scenario, spec: LeverSpec) -> tuple[float, float]:
    """A sensible sweep range around the scenario's value, inside the lever's bounds."""
    if spec.key in TYPICAL_RANGES:
        lo, hi = TYPICAL_RANGES[spec.key]
    else:
        value = lever_value(scenario, spec.key)
        span = abs(value) * 0.5 if value else (10.0 if spec.hi is None else (spec.hi - spec.lo) / 4)
        lo, hi = value - span, value + span
    lo = max(lo, spec.lo)
    return lo, hi if spec.hi is None else min(hi, spec.hi)


def step_values(lo: float, hi: float, n: int) -> list[float]:
    """``n`` evenly spaced lever values from ``lo`` to ``hi`` (both included), tidily rounded.

    Raises
    ------
    ValueError
        When ``n < 1`` or ``hi < lo``.
    """
    if n < 1 or hi < lo:
        raise ValueError(f"need n ≥ 1 and lo ≤ hi, got n={n}, lo={lo}, hi={hi}")
    if n == 1 or hi == lo:
        return [float(lo)]
    step = (hi - lo) / (n - 1)
    decimals = max(0, 2 - int(math.floor(math.log10(step)))) if step > 0 else 2
    return [round(lo + i * step, decimals) for i in range(n)]


SolveFn = Callable[[Scenario, np.ndarray | None], Any]
EvaluateFn = Callable[[Scenario, Any], dict[str, float]]
StepCallback = Callable[[int, int, SweepPoint], None]


def run_sweep(base: Scenario, key: str, values: list[float], solve: SolveFn,
              evaluate: EvaluateFn | None = None, on_step: StepCallback | None = None
              ) -> list[SweepPoint]:
    """Solve ``base`` with ``key`` set to each of ``values`` in turn.

    Parameters
    ----------
    base : Scenario
        The scenario every step starts from.
    key : str
        Dotted lever key, e.g. ``"farmland.quota_pct"``.
    values : list of float
        Lever values, solved in this order.
    solve : callable
        ``solve(scenario, hint) -> AllocationResult``; ``hint`` is the previous feasible step's
        assignment (None at first), so neighbouring steps warm-start each other.
    evaluate : callable, optional
        ``evaluate(scenario, result) -> {indicator: value}`` for feasible steps.
    on_step : callable, optional
        ``on_step(index, n, point)`` after each step (progress bars).

    Returns
    -------
    list of SweepPoint
        One per value; infeasible or unsolved steps have ``feasible == False``.
    """
    points, hint = [], None
    for i, value in enumerate(values):
        point = _solve_step(base, key, value, hint, solve, evaluate)
        if point.feasible:
            hint = point.assignment
        points.append(point)
        if on_step is not None:
            on_step(i, len(values), point)
    return points


def _solve_step(base: Scenario, key: str, value: float, hint: np.ndarray | None,
                solve: SolveFn, evaluate: EvaluateFn | None) -> SweepPoint:
    try:
        scenario = base.with_value(key, value)
    except ScenarioError as exc:  # e.g. min above max: reported like an infeasible step
        return SweepPoint(value, None, "INVALID", error=str(exc))
    result = solve(scenario, hint)
    point = SweepPoint(value, scenario, str(result.status), result.gap, result.wall_time_s)
    if result.has_solution:
        point.assignment = np.asarray(result.assignment)
        point.values = evaluate(scenario, result) if evaluate is not None else {}
    return point


# ---- frames and charts ----------------------------------------------------------------------

def curve_frame(points: list[SweepPoint], keys: list[str], labels: dict[str, str]) -> pd.DataFrame:
    """Tidy ``value, indicator, label, y`` of the feasible steps, for the indicator curves."""
    rows = [{"value": p.value, "indicator": k, "label": labels.get(k, k), "y": p.values[k]}
            for p in points if p.feasible for k in keys if k in p.values]
    return pd.DataFrame(rows, columns=["value", "indicator", "label", "y"])


def infeasible_values(points: list[SweepPoint]) -> list[float]:
    """Lever values of the steps without a solution."""
    return [p.value for p in points if not p.feasible]


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


def steps_table(points: list[SweepPoint]) -> pd.DataFrame:
    """One row per step: lever value, status, gap (%), time (s), note."""
    return pd.DataFrame({
        "value": [p.value for p in points], "status": [p.status for p in points],
        "gap_pct": [None if p.gap is None else round(100 * p.gap, 3) for p in points],
        "wall_time_s": [round(p.wall_time_s, 2) for p in points],
        "note": [p.error for p in points]})


def frontier_frame(points: list[SweepPoint], x_key: str, y_key: str) -> pd.DataFrame:
    """``value, x, y`` of feasible steps, in lever order (the line follows the sweep)."""
    rows = [(p.value, p.values[x_key], p.values[y_key]) for p in points
            if p.feasible and x_key in p.values and y_key in p.values]
    return pd.DataFrame(rows, columns=["value", "x", "y"])


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
    """Scatter + line of two indicators across the sweep, each point labelled by its lever value.

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
    text = base.mark_text(dy=-12, fontSize=11).encode(text=alt.Text("value:Q", format=",.4~g"))
    return (line + dots + text).properties(height=340)
