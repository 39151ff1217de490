"""The demand table (规划指标表) in the running dashboard (AppTest): links, messages, language.

Runs on a coarse demo county (4,500 parcels of 500 m) in its own store folder. The demand rows
here are loose (every solve stays feasible), so the tests are about the editor and the
scenario it writes, not about what the solver makes of the rows.
"""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components import solving
from data.db import connect, query
from data.presets import load_preset
from tests.conftest import REPO_ROOT

APP = str(REPO_ROOT / "dashboard" / "app.py")
TIMEOUT = 120
ROWS = [{"class": "cropland", "min_pct": 90.0},
        {"class": "built", "region": "城关镇", "max_ha": 100000.0}]
LINK_VALUE = json.dumps(ROWS, ensure_ascii=False, separators=(",", ":"))


@pytest.fixture
def app(store_dir, monkeypatch):
    monkeypatch.setenv("LANDALLOC_STORES", str(store_dir))
    monkeypatch.delenv("LANDALLOC_EDIT_KEY", raising=False)

    def start(**params: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        for key, value in ({"preset": "growth"} | params).items():
            at.query_params[key] = value
        return at.run()

    return start


def store_version(store_dir) -> str:
    con = connect(str(store_dir / "demo.duckdb"))
    return query(con, "SELECT value FROM meta WHERE key = 'version'")[0][0]


def editor(at: AppTest):
    """The demand editor element (its key carries generation, language and store)."""
    found = [d for d in at.dataframe if (d.key or "").startswith("demand_editor:")]
    assert len(found) == 1, [d.key for d in at.dataframe]
    return found[0]


def editor_cells(at: AppTest) -> list[tuple]:
    frame = editor(at).value
    return [(r["class"], r["region"], r["mode"], r["unit"], r["value"])
            for r in frame.to_dict("records")]


def test_a_link_with_demand_rows_restores_the_editor_and_the_scenario(app, store_dir):
    at = app(**{"demand.rows": LINK_VALUE})
    assert not at.exception, [e.value for e in at.exception]
    assert editor_cells(at) == [("cropland", "*", "min", "pct", 90.0),
                                ("built", "城关镇", "max", "ha", 100000.0)]
    assert at.query_params["demand.rows"] == LINK_VALUE  # the scenario carries them on
    expected = load_preset("growth").with_demand(ROWS)
    assert at.session_state["shown"]["key"] == solving.result_key(store_version(store_dir),
                                                                  expected)
    assert len(at.metric) == 7
    assert not at.error


def test_garbage_demand_parameter_warns_and_solves_without_rows(app):
    at = app(**{"demand.rows": '[{"class": "cropland", "min_pct": "lots"}]'})
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "demand.rows" in warnings and "min_pct" in warnings
    assert editor(at).value.empty
    assert "demand.rows" not in at.query_params
    assert len(at.metric) == 7


def test_rows_naming_what_the_store_lacks_are_named_and_left_out(app):
    link = ROWS + [{"class": "vineyard", "min_ha": 5.0},
                   {"class": "forest", "region": "外星镇", "min_ha": 5.0}]
    at = app(**{"demand.rows": json.dumps(link, ensure_ascii=False)})
    assert not at.exception
    errors = [e.value for e in at.error]
    assert errors == [
        "规划指标表第 3 行未采用：地类“vineyard”不在本数据库中。"
        "现有地类：耕地、林地、草地、水域、建设用地、未利用地",
        "规划指标表第 4 行（林地）未采用：区域“外星镇”不在本数据库中。现有乡镇："
        "城关镇、河口镇、青山乡、白石镇、柳林乡、桃源镇、龙泉乡、东湖镇"]
    assert len(editor(at).value) == 4  # still in the editor, to be fixed there
    assert at.query_params["demand.rows"] == LINK_VALUE  # only the good rows are applied


def test_english_editor_and_messages(app):
    at = app(lang="en", **{"demand.rows": json.dumps([{"class": "耕地", "min_ha": 1.0},
                                                      {"class": "cropland", "max_ha": 9.0}],
                                                     ensure_ascii=False)})
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Demand table row 2 (Cropland Whole area) is not applied: the same class and area "
        "already has a row; merge them (a range takes both ends)."]
    columns = json.loads(editor(at).proto.columns)
    assert columns["class"]["label"] == "Class" and columns["region"]["label"] == "Area"
    assert {"value": "*", "label": "Whole area"} in columns["region"]["type_config"]["options"]


def test_switching_language_keeps_the_edited_rows(app):
    at = app(**{"demand.rows": LINK_VALUE})
    # What the editor last returned (as if the planner had typed a third row) ...
    edited = at.session_state["demand_edited"] + [
        {"class": "forest", "region": "*", "mode": "exact", "unit": "ha", "value": 2500.0,
         "upper": None, "tolerance_ha": None}]
    at.session_state["demand_edited"] = edited
    at.radio(key="lang_choice").set_value("English").run()
    assert not at.exception
    # ... is where the editor in the new language starts, and what the scenario uses.
    assert editor(at).key.split(":")[2] == "en"
    assert editor_cells(at)[-1] == ("forest", "*", "exact", "ha", 2500.0)
    rows = json.loads(at.query_params["demand.rows"])
    assert rows[-1] == {"class": "forest", "target_ha": 2500.0}


@pytest.mark.parametrize("page", ["views/sweep.py", "views/compare.py"])
def test_other_pages_open_with_demand_rows_and_the_rows_come_back(app, page):
    at = app(**{"demand.rows": LINK_VALUE})
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    at.switch_page("views/scenario.py").run()
    assert not at.exception
    assert editor_cells(at) == [("cropland", "*", "min", "pct", 90.0),
                                ("built", "城关镇", "max", "ha", 100000.0)]
    assert at.query_params["demand.rows"] == LINK_VALUE


def test_a_new_preset_replaces_the_demand_rows(app):
    at = app(**{"demand.rows": LINK_VALUE})
    at.selectbox(key="lv:preset").set_value("trend").run()
    assert not at.exception
    assert editor(at).value.empty
    assert "demand.rows" not in at.query_params


def test_presentation_mode_solves_with_the_rows_and_warns_about_an_overlong_link(app):
    at = app(mode="present", **{"demand.rows": LINK_VALUE})
    assert not at.exception
    assert not [d for d in at.dataframe if (d.key or "").startswith("demand_editor:")]
    assert at.query_params["demand.rows"] == LINK_VALUE  # rows apply without the editor
    regions = ("城关镇", "河口镇", "青山乡", "白石镇", "柳林乡", "桃源镇", "龙泉乡", "东湖镇")
    many = [{"class": c, "region": r, "mode": "band", "unit": "ha", "value": 0.0,
             "upper": 100000.0, "tolerance_ha": 0.5}
            for r in regions
            for c in ("cropland", "forest", "grassland", "water", "built", "unused")]
    at.session_state["demand_edited"] = many  # as if edited before presentation mode
    at.run()
    assert not at.exception
    assert len(at.query_params["demand.rows"]) > 4000
    assert any("demand.rows" in w.value and "过长" in w.value for w in at.warning)


def test_read_only_link_shows_the_rows_locked(app):
    at = app(mode="readonly", **{"demand.rows": LINK_VALUE})
    assert not at.exception
    assert editor(at).proto.disabled
    assert len(editor(at).value) == 2
    assert at.query_params["demand.rows"] == LINK_VALUE


def test_saved_scenario_reopens_with_its_demand_rows(app, store_dir):
    from data import library

    at = app(**{"demand.rows": LINK_VALUE})
    at.text_input(key="save_name").input("指标方案")
    at.button(key="save").click().run()
    assert not at.exception
    token = library.list_scenarios(store_dir / "demo.duckdb").set_index("name").loc[
        "指标方案", "token"]
    reopened = app(scenario=token)
    assert not reopened.exception
    assert editor_cells(reopened) == editor_cells(at)
    assert any("未重新求解" in s.value for s in reopened.success)
    assert not any("参数已修改" in i.value for i in reopened.info)  # same scenario as saved
    assert reopened.query_params["demand.rows"] == LINK_VALUE
    assert reopened.query_params["scenario"] == token
