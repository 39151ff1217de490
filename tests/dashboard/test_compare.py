"""Compare page: pure builders (deltas, best values, verdicts, difference map) and the page itself.

The builders are checked on hand-made indicator tables where the answer is obvious, then on two
real solved scenarios of a tiny demo county (500 parcels) saved in its own library.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components import compare as cmp
from data import library, store
from data.db import connect
from data.demo import build_demo
from data.indicators import compute_indicators
from data.landscape import load_landscape
from data.presets import load_preset
from tests.conftest import REPO_ROOT

APP = str(REPO_ROOT / "dashboard" / "app.py")
TIMEOUT = 120
SAVED = (("方案甲", "growth"), ("方案乙", "farmland"))  # both feasible on the tiny county


# ---- helpers shared with test_sweep.py and the browser test ----------------------------------

def tiny_store(folder: Path) -> Path:
    """A 20 × 25 demo county (500 parcels of 500 m) in ``folder``, named ``demo``."""
    return build_demo(folder / "demo.duckdb", rows=20, cols=25, cell_m=500.0)


@cache
def _tables(path: str) -> tuple:
    con = connect(path)
    try:
        return (store.read_parcels(con), store.read_adjacency(con), store.read_classes(con),
                store.read_regions(con))
    finally:
        con.close()


def solved(store_path: Path, preset: str):
    """Solve a preset on a store: ``(scenario, result, codes, indicator table)``."""
    from solver import solve

    land = load_landscape(store_path)
    scenario = load_preset(preset).with_value("solver.time_limit_s", 5.0)
    result = solve(land, scenario)
    assert result.has_solution, f"{preset} should be feasible on the tiny county"
    codes = np.asarray(land.class_codes)[result.assignment]
    parcels, adjacency, classes, regions = _tables(str(store_path))
    return scenario, result, codes, compute_indicators(parcels, adjacency, classes, regions, codes)


def save_solved(store_path: Path, name: str, preset: str, store_version: str | None = None):
    """Solve a preset and save it in the store's library under ``name``."""
    scenario, result, codes, table = solved(store_path, preset)
    parcels = _tables(str(store_path))[0]
    return library.save_scenario(store_path, name, scenario.to_toml(), preset,
                                 result.to_summary_dict(),
                                 pd.DataFrame({"parcel_id": parcels["parcel_id"], "land_use": codes}),
                                 table, store_version=store_version)


# ---- hand-made tables -----------------------------------------------------------------------

def table(values: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """A tidy indicator table of whole-area rows: ``{key: (value, baseline)}``."""
    keys = list(values)
    return pd.DataFrame({
        "indicator": keys, "group": "g", "scope_type": "total", "scope": "total",
        "value": [v for v, _ in values.values()], "unit": "ha",
        "baseline": [b for _, b in values.values()],
        "change": [v - b for v, b in values.values()],
        "label_zh": [f"{k}_zh" for k in keys], "label_en": [f"{k}_en" for k in keys]})


A = cmp.Compared("A", np.array([1, 1, 2, 5]), table({
    "cropland_ha": (980.0, 1000.0), "esv_yuan": (103.1, 100.0), "new_built_ha": (1240.0, 0.0),
    "changed_area_ha": (50.0, 0.0), "shdi": (1.2, 1.1), "grain_capacity_t": (90.0, 100.0),
    "carbon_t": (100.0, 100.0)}))
B = cmp.Compared("B", np.array([1, 2, 2, 1]), table({
    "cropland_ha": (1010.0, 1000.0), "esv_yuan": (99.0, 100.0), "new_built_ha": (300.0, 0.0),
    "changed_area_ha": (40.0, 0.0), "shdi": (1.4, 1.1), "grain_capacity_t": (90.0, 100.0),
    "carbon_t": (98.0, 100.0)}))


def test_matrix_and_deltas_vs_the_first_scenario():
    matrix = cmp.indicator_matrix([A, B])
    assert list(matrix.columns) == ["A", "B"]
    delta = cmp.deltas(matrix)
    assert delta.loc["cropland_ha", "B"] == pytest.approx(30.0)
    assert delta.loc["esv_yuan", "B"] == pytest.approx(-4.1)
    assert (delta["A"] == 0).all()


def test_better_value_follows_each_indicators_direction():
    best = cmp.best_mask(cmp.indicator_matrix([A, B]))
    assert best.loc["cropland_ha"].tolist() == [False, True]       # higher is better
    assert best.loc["esv_yuan"].tolist() == [True, False]          # higher is better
    assert best.loc["changed_area_ha"].tolist() == [False, True]   # lower is better
    assert best.loc["shdi"].tolist() == [False, False]             # neutral: never highlighted
    assert best.loc["new_built_ha"].tolist() == [False, False]     # neutral
    assert best.loc["grain_capacity_t"].tolist() == [False, False]  # a tie: nothing to pick


def test_comparison_table_has_values_deltas_and_a_matching_mask():
    shown, mask = cmp.comparison_table([A, B], "en")
    assert list(shown.columns) == ["indicator", "unit", "A", "B", "Δ B"]
    assert shown.shape == mask.shape
    row = shown.index[shown["indicator"] == "cropland_ha_en"][0]
    assert shown.loc[row, "Δ B"] == pytest.approx(30.0) and bool(mask.loc[row, "B"])
    assert not mask["Δ B"].any() and not mask["indicator"].any()
    styled = cmp.styled_table(shown, mask).to_html()
    assert cmp.BEST_STYLE.split(";")[0] in styled and "+30.00" in styled


def test_verdict_reads_aloud_in_both_languages():
    assert cmp.verdict(A.indicators, "zh") == (
        "保留耕地 98.0 %，生态服务价值 +3.1 %，粮食产能 -10.0 %，碳储量 +0.0 %，"
        "新增建设用地 1,240 公顷，用途调整 50 公顷")
    assert cmp.verdict(A.indicators, "en").startswith(
        "keeps 98.0 % of cropland, ESV +3.1 %, grain capacity -10.0 %")
    assert "1,240 ha new construction" in cmp.verdict(A.indicators, "en")


def test_difference_frame_lists_changed_parcels_from_and_to():
    names = {1: "crop", 2: "forest", 5: "built"}
    diff = cmp.difference_frame(A.codes, B.codes, np.array([1.0, 2.0, 3.0, 4.0]), names)
    assert diff["row"].tolist() == [1, 3]
    assert diff["from_name"].tolist() == ["crop", "built"]
    assert diff["to_name"].tolist() == ["forest", "crop"]
    assert diff["area_ha"].sum() == pytest.approx(6.0)
    summary = cmp.difference_summary(diff)
    assert summary.iloc[0][["from_name", "to_name", "area_ha"]].tolist() == ["built", "crop", 4.0]
    assert cmp.difference_frame(A.codes, A.codes, np.ones(4), names).empty


def test_difference_colours_grey_where_equal_to_class_where_changed():
    colors = {1: [1, 1, 1, 255], 2: [2, 2, 2, 255], 5: [5, 5, 5, 255]}
    fills = cmp.difference_colors(A.codes, B.codes, np.array([0, 1, 2, 3]), colors)
    assert fills == [cmp.UNCHANGED_FILL, colors[2], cmp.UNCHANGED_FILL, colors[1]]


def test_difference_layers_outline_the_changed_areas_dissolved():
    square = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
    frame = pd.DataFrame({"row": [0, 1, 2, 3], "polygon": [
        square, [[x + 1, y] for x, y in square], [[x + 5, y] for x, y in square],
        [[x + 9, y] for x, y in square]]})
    before, after = np.array([1, 1, 1, 1]), np.array([5, 5, 1, 2])
    fill, outline = cmp.difference_layers(frame, before, after, {1: [1, 1, 1, 255]})
    assert len(outline.data) == 2  # parcels 0 and 1 touch: one outline; parcel 3 its own
    assert len(cmp.difference_layers(frame, before, before, {})) == 1  # nothing to outline


def test_profile_frame_and_unique_labels():
    frame = cmp.profile_frame([A, B], "zh", keys=("cropland_ha", "esv_yuan"))
    assert frame["change_pct"].tolist() == pytest.approx([-2.0, 3.1, 1.0, -1.0])
    twins = cmp.with_unique_labels([A, A, B])
    assert [s.label for s in twins] == ["A", "A #2", "B"]


# ---- two real scenarios ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("compare_stores")
    path = tiny_store(folder)
    for name, preset in SAVED:
        save_solved(path, name, preset)
    save_solved(path, "旧方案", "growth", store_version="an-older-store")  # a stale one
    return folder


def test_two_known_scenarios_give_the_expected_deltas(store_dir):
    path = store_dir / "demo.duckdb"
    saved = [library.load_scenario(path, name=name) for name, _ in SAVED]
    parcels = _tables(str(path))[0]
    scenarios = [cmp.Compared(s.name, s.codes_for(parcels["parcel_id"].to_numpy()), s.indicators,
                              "saved") for s in saved]
    delta = cmp.deltas(cmp.indicator_matrix(scenarios))
    for key in ("cropland_ha", "esv_yuan", "new_built_ha"):
        values = [cmp.totals(s.indicators).loc[key, "value"] for s in saved]
        assert delta.loc[key, "方案乙"] == pytest.approx(values[1] - values[0])
    diff = cmp.difference_frame(scenarios[0].codes, scenarios[1].codes,
                                parcels["area_ha"].to_numpy(), {})
    assert len(diff) == int((scenarios[0].codes != scenarios[1].codes).sum()) > 0


@pytest.fixture
def app(store_dir, monkeypatch):
    monkeypatch.setenv("LANDALLOC_STORES", str(store_dir))

    def start(lang: str = "zh") -> AppTest:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.query_params["preset"] = "growth"
        at.run().switch_page("views/compare.py").run()
        if lang == "en":  # switched on the page (as a person does), then drawn in English
            at.radio(key="lang_choice").set_value("English").run()
        return at

    return start


def test_compare_page_shows_verdicts_maps_difference_and_table(app):
    at = app()
    assert not at.exception
    assert len(at.multiselect(key="compare_pick").value) == 2  # the two newest saved ones
    verdicts = [m.value for m in at.markdown if "保留耕地" in m.value]
    assert len(verdicts) == 2
    assert len(at.get("deck_gl_json_chart")) == 3  # two maps and the difference map
    assert any("用途不同" in c.value for c in at.caption)
    assert len(at.dataframe) == 1  # from → to summary
    assert len(at.table) == 2  # the indicator table and the per-township one (HTML: readable)
    assert len(at.get("vega_lite_chart")) == 1  # the profile chart


def test_picking_saved_and_preset_and_a_stale_warning(app):
    at = app(lang="en")
    at.multiselect(key="compare_pick").set_value(["方案甲", "旧方案", "Urban growth (preset)"])
    at.run()
    assert not at.exception
    assert any("changed since" in w.value and "旧方案" in w.value for w in at.warning)
    verdicts = [m.value for m in at.markdown if "of cropland" in m.value]
    assert len(verdicts) == 3 and any("store changed since saved" in v for v in verdicts)
    assert len(at.get("deck_gl_json_chart")) == 4
    labels = at.selectbox(key="compare_diff_b").options
    at.selectbox(key="compare_diff_b").set_value(labels[2]).run()
    assert not at.exception
    # the growth preset may equal 方案甲 (the same preset, solved to optimality): either is shown
    assert any(labels[2] in c.value for c in at.caption if "differ" in c.value) or any(
        "identical" in i.value for i in at.info)


def test_one_scenario_asks_for_two(app):
    at = app()
    at.multiselect(key="compare_pick").set_value(["saved:方案甲"]).run()
    assert not at.exception
    assert any("至少选择两个" in i.value for i in at.info)
