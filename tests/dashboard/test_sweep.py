"""Trade-off curves: lever ranges, step values, the sweep runner (fake and real solves), the page."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import altair as alt
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components import sweep as sw
from data import sweep as sweeps
from data.landscape import load_landscape
from data.presets import load_preset
from tests.conftest import REPO_ROOT
from tests.dashboard.test_compare import tiny_store

APP = str(REPO_ROOT / "dashboard" / "app.py")
TIMEOUT = 120


def test_numeric_levers_cover_the_planning_levers_but_not_solver_knobs():
    keys = {spec.key for spec in sweeps.numeric_levers()}
    assert {"farmland.quota_pct", "growth.min_new_built_ha", "weights.compactness",
            "ecology.min_ecological_pct", "growth.expansion_cap",
            "conversion.max_changed_pct"} <= keys
    assert not any(k.startswith("solver.") for k in keys)
    assert "farmland.region_quota_pct" not in keys and "growth.max_new_built_ha" not in keys


def test_default_ranges_stay_inside_the_lever_bounds():
    base = load_preset("balanced")
    specs = {spec.key: spec for spec in sweeps.numeric_levers()}
    assert sweeps.default_range(base, specs["farmland.quota_pct"]) == (90.0, 105.0)
    for spec in specs.values():
        lo, hi = sweeps.default_range(base, spec)
        assert spec.lo <= lo <= hi and (spec.hi is None or hi <= spec.hi), spec.key


def test_step_values():
    assert sweeps.step_values(90, 105, 4) == [90.0, 95.0, 100.0, 105.0]
    assert sweeps.step_values(0, 1, 3) == [0.0, 0.5, 1.0]
    assert sweeps.step_values(0, 1, 4) == [0.0, 0.333, 0.667, 1.0]
    assert sweeps.step_values(5, 5, 4) == [5.0]
    assert len(sweeps.step_values(0, 1500, 7)) == 7
    with pytest.raises(ValueError):
        sweeps.step_values(2, 1, 3)


def fake_result(feasible: bool, assignment=(0, 1)):
    return SimpleNamespace(status="OPTIMAL" if feasible else "INFEASIBLE", gap=0.0 if feasible
                           else None, wall_time_s=0.1, has_solution=feasible,
                           assignment=np.array(assignment) if feasible else None)


def test_runner_hints_with_the_previous_feasible_step_and_reports_each_step():
    hints, steps = [], []

    def solve(scenario, hint):
        hints.append(None if hint is None else hint.tolist())
        quota = scenario.farmland.quota_pct
        return fake_result(quota < 100, (int(quota), 0))

    points = sweeps.run_sweep(load_preset("balanced"), "farmland.quota_pct", [90, 95, 100, 250],
                          solve, lambda s, r: {"x": float(r.assignment[0])},
                          lambda i, n, p: steps.append((i, n, p.value)))
    assert hints == [None, [90, 0], [95, 0]]  # 250 % is refused before solving
    assert steps == [(0, 4, 90), (1, 4, 95), (2, 4, 100), (3, 4, 250)]
    assert [p.status for p in points] == ["OPTIMAL", "OPTIMAL", "INFEASIBLE", "INVALID"]
    assert sweeps.infeasible_values(points) == [100, 250]
    assert "quota_pct" in points[-1].error
    assert sw.curve_frame(points, ["x"], {"x": "X"})["y"].tolist() == [90.0, 95.0]


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sweep_stores")
    tiny_store(folder)
    return folder


def test_a_real_sweep_marks_the_impossible_step(store_dir):
    from solver import solve

    land = load_landscape(store_dir / "demo.duckdb")
    base = load_preset("growth").with_value("solver.time_limit_s", 5.0)
    values = [0.0, 300.0, 50_000.0]  # 50,000 ha of new construction in a 12,500 ha county
    points = sweeps.run_sweep(base, "growth.min_new_built_ha", values,
                          lambda scenario, hint: solve(land, scenario, hint=hint),
                          lambda scenario, result: {"changed": float(result.changed_area_ha)})
    assert [p.feasible for p in points] == [True, True, False]
    assert points[-1].status == "INFEASIBLE"
    assert sweeps.infeasible_values(points) == [50_000.0]
    assert points[1].scenario.growth.min_new_built_ha == 300.0
    table = sw.steps_table(points, "zh", str, lambda p: f"{p.gap:.2%}")
    assert table["status"].tolist()[-1] == "INFEASIBLE" and table["gap_pct"].iloc[-1] == "—"
    assert points[-1].note("zh") and points[-1].note("en")  # the conflict, in words
    assert table["note"].iloc[-1] == points[-1].note("zh")
    assert "None" not in table.to_string()


def test_charts_mark_infeasible_steps_and_draw_the_frontier():
    points = [sweeps.SweepPoint(v, None, "OPTIMAL", 0.0, 0.1, np.zeros(2), {"a": v, "b": -v})
              for v in (1.0, 2.0)] + [sweeps.SweepPoint(3.0, None, "INFEASIBLE")]
    curve = sw.curve_frame(points, ["a"], {"a": "A"})
    spec = sw.curve_chart(curve, sweeps.infeasible_values(points), "lever", "A").to_dict()
    marks = [layer["mark"] for layer in spec["layer"]]
    assert any(m.get("shape") == "cross" and m.get("color") == sw.INFEASIBLE_COLOR for m in marks)
    frontier = sw.frontier_frame(points, "a", "b")
    assert frontier[["x", "y"]].values.tolist() == [[1.0, -1.0], [2.0, -2.0]]
    chart = sw.frontier_chart(frontier, "A", "B", "lever")
    assert isinstance(chart, alt.LayerChart)
    assert sw.FRONTIER_SELECTION in chart.to_json()
    assert sw.clicked_step({sw.FRONTIER_SELECTION: [{"value": 2.0}]}, points) == 1
    assert sw.clicked_step({sw.FRONTIER_SELECTION: []}, points) is None
    assert sw.clicked_step({}, points) is None


# ---- the page -------------------------------------------------------------------------------

@pytest.fixture
def sweep_page(store_dir, monkeypatch):
    monkeypatch.setenv("LANDALLOC_STORES", str(store_dir))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["preset"] = "growth"
    return at.run().switch_page("views/sweep.py").run()


def test_sweep_page_runs_marks_infeasible_and_opens_a_point(sweep_page):
    at = sweep_page
    assert not at.exception
    assert any("开始扫描" in i.value or "扫描" in i.value for i in at.info)
    at.selectbox(key="sweep_lever").set_value("growth.min_new_built_ha").run()
    at.number_input(key="sweep_lo:growth:growth.min_new_built_ha").set_value(0.0)
    at.number_input(key="sweep_hi:growth:growth.min_new_built_ha").set_value(40_000.0)
    at.number_input(key="sweep_n").set_value(3)
    at.number_input(key="sweep_time").set_value(5.0)
    at.button[0].click().run()
    assert not at.exception
    assert any("20000, 40000" in w.value for w in at.warning)  # two steps marked infeasible
    assert len(at.get("vega_lite_chart")) == 5  # four curves and the frontier
    steps = at.table[0].value  # HTML table, every cell text
    assert "None" not in steps.to_string()
    assert steps["差距（%）"].iloc[-1] == "—" and steps["说明"].iloc[-1] not in ("", "—")
    assert at.session_state["sweep_result"]["points"][0].feasible
    at.run()  # a rerun shows the kept sweep without solving again
    assert any("20000, 40000" in w.value for w in at.warning)
    [b for b in at.button if b.label == "在“情景优化”页打开"][0].click().run()
    assert not at.exception
    assert at.session_state["lv:growth.min_new_built_ha"] == 0.0
    assert len(at.metric) == 7  # the scenario page solved the opened point and shows its KPIs
