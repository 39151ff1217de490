"""The trade-off page's frontier never prints labels over each other; its table has no None."""

from __future__ import annotations

import numpy as np

from dashboard.components import sweep as sw
from data.sweep import SweepPoint


def step(value, x, y, status="OPTIMAL"):
    solved = status in ("OPTIMAL", "FEASIBLE")
    return SweepPoint(value, None, status, 0.004 if solved else None, 1.23,
                      np.zeros(2) if solved else None, {"x": x, "y": y} if solved else {},
                      objective=x if solved else None,
                      note_zh="" if solved else "耕地保有量过高", note_en="" if solved else "quota too high")


def test_steps_on_one_spot_share_one_label():
    points = [step(90, 5.0, 7.0), step(95, 5.0, 7.0), step(100, 5.0, 7.0), step(105, 9.0, 1.0)]
    frame = sw.frontier_frame(points, "x", "y")
    assert frame["label"].tolist() == ["90–100", "", "", "105"]
    assert frame.loc[frame["label"] != "", "row"].tolist() == [0, 1]  # above, then below


def test_distinct_steps_each_get_their_own_label():
    points = [step(v, float(v), -float(v)) for v in (0, 225, 450)]
    assert sw.frontier_frame(points, "x", "y")["label"].tolist() == ["0", "225", "450"]


def test_steps_table_says_why_and_leaves_no_none():
    points = [step(0, 9.13, 1.0), step(1000, 0, 0, "INFEASIBLE")]
    table = sw.steps_table(points, "en", lambda s: s.lower(), lambda p: "≤ 0.4 %")
    assert table["gap_pct"].tolist() == ["≤ 0.4 %", "—"]
    assert table["objective"].tolist() == ["9.13", "—"]
    assert table["note"].tolist() == ["—", "quota too high"]
    assert "None" not in table.to_string() and "nan" not in table.to_string()


def test_flat_indicators_are_named():
    points = [step(0, 1.0, 5.0), step(1, 2.0, 5.0), step(2, 3.0, 5.0)]
    assert sw.flat_indicators(points, ["x", "y"]) == ["y"]


def test_frontier_axes_follow_the_lever():
    keys = list(sw.CURVE_INDICATORS)
    assert sw.frontier_axes("ecology.min_ecological_pct", keys) == ("ecological_land_ha",
                                                                    "grain_capacity_t")
    assert sw.frontier_axes("weights.food", keys) == ("new_built_ha", "esv_yuan")
    assert sw.frontier_axes("farmland.quota_pct", ["esv_yuan", "carbon_t"]) == ("esv_yuan",
                                                                             "carbon_t")
    assert sw.plotted_default("cropland_ha", "esv_yuan", keys)[:2] == ["cropland_ha", "esv_yuan"]
