"""The monitoring page (监测评估, issue 16) on the planted case of tests/monitoring_cases.py.

A real 12 × 12 grid store of 30 m cells with a saved plan (base 2020, target 2030) and an
imported 2025 survey in which every finding is planted: the page must show the planted numbers
(2 red-line cells, East's cropland deficit of 0.18 ha, …), filter its list by type and region,
say clearly what is missing (no survey, no plan) or wrong (years out of order), and speak
English. The builders behind the map and the tables are checked directly.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components import grid_maps
from dashboard.components import monitoring as mon
from data import store
from data.db import connect
from data.demo import build_demo
from data.library import load_scenario, save_period_plan
from data.monitoring.survey import import_survey
from tests.conftest import REPO_ROOT
from tests.monitoring_cases import (
    CELL_HA,
    EXPECTED_CELLS,
    PLAN_NAME,
    SURVEY_NAME,
    SURVEY_YEAR,
    base_map,
    build_case,
    write_tif,
)
from wording import translate

APP = str(REPO_ROOT / "dashboard" / "app.py")
WEST, EAST = 1, 2


def zh(key: str, **values: object) -> str:
    return translate(key, "zh", **values)


def en(key: str, **values: object) -> str:
    return translate(key, "en", **values)


def case_folder(folder: Path, **options) -> Path:
    """A store folder: a small demo (so none is built) and the monitoring case."""
    build_case(folder, **options)
    build_demo(folder / "demo.duckdb", rows=30, cols=40, cell_m=500.0)
    return folder


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> Path:
    return case_folder(tmp_path_factory.mktemp("monitoring_page"))


@pytest.fixture(scope="module")
def report(stores):
    """The comparison the page shows by default (the plan's years 2020 → 2030)."""
    choice = mon.Choice(SURVEY_NAME, "", PLAN_NAME, "", 2020, 2030)
    db = stores / "monitoring.duckdb"
    con = connect(db)
    try:
        version = store.read_meta(con)["version"]
    finally:
        con.close()
    return mon.build_report(str(db), version, choice)


def open_page(stores: Path, monkeypatch, lang: str = "zh", **params: str) -> AppTest:
    monkeypatch.setenv("LANDALLOC_STORES", str(stores))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = lang
    at.query_params["store"] = "monitoring"
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    return at.switch_page("views/monitoring.py").run()


def metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def patch_list(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe)


def tables(at: AppTest) -> list[pd.DataFrame]:
    return [t.value for t in at.table]


def region_row(table: pd.DataFrame, name: str) -> pd.Series:
    return table.set_index(table.columns[0]).loc[name]


# ---- the page ------------------------------------------------------------------------------

def test_the_page_shows_the_planted_findings(stores, monkeypatch):
    at = open_page(stores, monkeypatch)
    assert not at.exception
    assert at.title[0].value == "监测评估 · 监测测试区"
    assert at.selectbox(key="mon_survey").value == SURVEY_NAME
    assert at.selectbox(key="mon_plan").value == PLAN_NAME
    assert at.number_input(key=f"mon_base:{SURVEY_NAME}").value == 2020  # survey year − 5
    assert at.number_input(key=f"mon_target:{SURVEY_NAME}").value == 2030
    tiles = metrics(at)
    assert tiles[zh("mon_type_red_line")] == ("1 处", "2 个栅格 · 0.18 公顷")
    assert tiles[zh("mon_type_basic_farmland")] == ("1 处", "3 个栅格 · 0.27 公顷")
    assert tiles[zh("mon_type_no_change")] == ("1 处", "1 个栅格 · 0.09 公顷")
    assert tiles[zh("mon_type_outside_boundary")] == ("2 处", "4 个栅格 · 0.36 公顷")
    assert tiles[zh("mon_type_cropland_unbalanced")] == ("2 处", "4 个栅格 · 0.36 公顷")
    assert tiles["耕地占补缺口"] == ("0.18 公顷", "东区 0.18 公顷")
    assert tiles[zh("mon_dev_as_planned")][0] == "0.36 公顷"  # 4 cells
    assert tiles[zh("mon_dev_not_realised")][0] == "0.36 公顷"
    assert tiles[zh("mon_dev_different")][0] == "0.09 公顷"
    text = "\n".join(m.value for m in at.markdown)
    assert "2020 → 2030" in text and "50" in text
    assert ("发现疑似违法违规 7 处图斑，涉及 8 个栅格、0.72 公顷；1 个区域进度偏离、1 个区域预警；"
            "2 项规划指标超标/偏离。") in text
    assert len(patch_list(at)) == 7
    assert not at.error and len(at.get("deck_gl_json_chart")) == 1


def test_the_traffic_lights_name_their_reasons(stores, monkeypatch):
    at = open_page(stores, monkeypatch)
    lights, targets = tables(at)[:2]
    west, east = region_row(lights, "西区"), region_row(lights, "东区")
    assert west[zh("mon_col_status")] == mon.status_text("red", zh)
    assert zh("mon_reason_moving_away") in west[zh("mon_col_reason")]
    assert east[zh("mon_col_status")] == mon.status_text("amber", zh)
    assert "进度滞后" in east[zh("mon_col_reason")]
    assert lights.iloc[0, 0] == "全域"
    cap = targets.set_index(zh("mon_col_target")).loc["新增建设用地上限"]
    assert cap[zh("mon_col_status")] == mon.status_text("red", zh)
    assert cap[zh("mon_col_reason")] == zh("mon_reason_cap_exceeded")
    numbers = tables(at)[2]
    assert region_row(numbers, "东区")[zh("mon_col_deficit")] == pytest.approx(0.18)
    assert region_row(numbers, "西区")[zh("mon_col_deficit")] == pytest.approx(0.0)


def test_filters_change_the_tiles_list_and_tables(stores, monkeypatch):
    at = open_page(stores, monkeypatch)
    at.multiselect(key="mon_types").set_value(["red_line"]).run()
    assert not at.exception
    listed = patch_list(at)
    assert len(listed) == 1 and listed.iloc[0][zh("mon_col_type")] == zh("mon_type_red_line")
    assert list(metrics(at))[0] == zh("mon_type_red_line")
    assert zh("mon_type_no_change") not in metrics(at)
    at.multiselect(key="mon_types").set_value(list(mon.VIOLATION_TYPES))
    at.selectbox(key="mon_region").set_value(EAST).run()
    listed = patch_list(at)
    assert set(listed[zh("mon_col_region")]) == {"东区"} and len(listed) == 5
    assert metrics(at)[zh("mon_type_red_line")] == ("0 处", "0 个栅格 · 0.00 公顷")
    assert any("发现疑似违法违规 5 处图斑，涉及 5 个栅格、0.45 公顷；0 个区域进度偏离、1 个区域预警。"
               in m.value for m in at.markdown)
    lights = tables(at)[0]
    assert list(lights.iloc[:, 0]) == ["东区"]  # no whole-area row for one region
    details = tables(at)[-1]
    assert set(details[zh("mon_col_region")]) == {"东区"}


def test_the_list_shows_the_top_rows_only(stores, report, monkeypatch):
    at = open_page(stores, monkeypatch)
    assert at.selectbox(key="mon_top").value == mon.TOP_PATCHES
    table = mon.patch_table(report, ALL, zh, "zh", top=2)
    assert list(table[zh("mon_col_patch")]) == [1, 2]
    assert list(table[zh("mon_col_area")]) == pytest.approx([0.27, 0.27])


def test_the_deviation_map_has_its_own_legend(stores, monkeypatch):
    at = open_page(stores, monkeypatch)
    at.radio(key="mon_map_mode").set_value("deviations").run()
    assert not at.exception
    legend = next(m.value for m in at.markdown if "background:" in m.value)
    assert zh("mon_dev_not_realised") in legend and zh("mon_type_red_line") not in legend


@pytest.mark.parametrize(("base", "target", "message"), [
    (2020, 2020, "规划目标年 2020 不晚于基期年份 2020"),
    (2026, 2036, "调查年份 2025 不晚于基期年份 2026"),
])
def test_years_out_of_order_give_a_clear_message(stores, monkeypatch, base, target, message):
    at = open_page(stores, monkeypatch)
    at.number_input(key=f"mon_base:{SURVEY_NAME}").set_value(base)
    at.number_input(key=f"mon_target:{SURVEY_NAME}").set_value(target).run()
    assert not at.exception
    assert any(message in e.value and zh("mon_err_fix") in e.value for e in at.error)
    assert not at.metric  # nothing shown from a comparison that was not made


def test_english(stores, monkeypatch):
    at = open_page(stores, monkeypatch, lang="en")
    assert not at.exception
    assert at.title[0].value.startswith("Monitoring")
    tiles = metrics(at)
    assert tiles[en("mon_type_red_line")] == ("1 patch", "2 cells · 0.18 ha")
    assert tiles[en("mon_type_outside_boundary")] == ("2 patches", "4 cells · 0.36 ha")
    assert tiles["Cropland deficit"] == ("0.18 ha", "East 0.18 ha")
    lights = tables(at)[0]
    assert region_row(lights, "East")[en("mon_col_status")] == mon.status_text("amber", en)
    at.number_input(key=f"mon_target:{SURVEY_NAME}").set_value(2019).run()
    assert any("is not after the base year" in e.value for e in at.error)


def test_without_a_survey_the_page_shows_the_command(tmp_path, monkeypatch):
    folder = case_folder(tmp_path, import_the_survey=False)
    at = open_page(folder, monkeypatch)
    assert not at.exception
    assert any("还没有土地调查" in i.value for i in at.info)
    command = at.code[0].value
    assert "import-survey" in command and str(folder / "monitoring.duckdb") in command


def test_without_a_plan_the_page_says_to_save_one(tmp_path, monkeypatch):
    folder = case_folder(tmp_path, save_plan=False)
    at = open_page(folder, monkeypatch)
    assert not at.exception
    assert any("情景优化" in i.value and "保存" in i.value for i in at.info)


def test_a_period_plan_brings_its_years_and_names_its_period(tmp_path, monkeypatch):
    folder = case_folder(tmp_path)
    db = folder / "monitoring.duckdb"
    toml = """
name = "phased"
base_year = 2020
[[periods]]
name = "近期"
year = 2024
[[periods]]
name = "远期"
year = 2030
"""
    saved = load_scenario(db, PLAN_NAME)
    uses = pd.concat([saved.assignment.assign(period=p) for p in (0, 1)])
    save_period_plan(db, "分期规划", toml, "", {"status": "FEASIBLE"}, uses, saved.indicators)
    at = open_page(folder, monkeypatch)
    at.selectbox(key="mon_plan").set_value("分期规划").run()
    assert not at.exception
    assert not at.number_input  # the plan's own years
    text = "\n".join(m.value for m in at.markdown)
    assert "远期" in text and "2020 → 2030" in text


def test_a_reimported_survey_is_compared_again(tmp_path, monkeypatch):
    folder = case_folder(tmp_path)
    db = folder / "monitoring.duckdb"
    at = open_page(folder, monkeypatch)
    assert metrics(at)[zh("mon_type_red_line")][0] == "1 处"
    unchanged = write_tif(tmp_path / "unchanged.tif", base_map())  # no change at all
    import_survey(db, unchanged, folder / "monitoring_mapping.toml", SURVEY_YEAR,
                  name=SURVEY_NAME, replace=True)  # same name, maybe within the same second
    at.run()
    assert metrics(at)[zh("mon_type_red_line")][0] == "0 处"
    assert any("未发现疑似违法违规图斑" in m.value for m in at.markdown)


def test_a_read_only_session_cannot_import_a_survey(stores, monkeypatch):
    at = open_page(stores, monkeypatch, mode="readonly")
    assert not at.exception
    assert any(zh("mon_upload_read_only") in i.value for i in at.info)
    assert metrics(at)[zh("mon_type_red_line")][0] == "1 处"  # the findings still show


@pytest.fixture(scope="module")
def polygon_stores(tmp_path_factory) -> Path:
    """A demo county of 1,200 polygon parcels (drawn as polygons, not an image) with a saved
    plan (10 cropland parcels built) and a 2025 survey read from a GeoPackage in which 5
    red-line parcels and those 10 are built."""
    import geopandas as gpd
    import shapely

    from data.indicators import compute_indicators
    from data.library import save_scenario
    from tests.monitoring_cases import scenario

    folder = tmp_path_factory.mktemp("monitoring_polygons")
    db = build_demo(folder / "demo.duckdb", rows=30, cols=40, cell_m=500.0)
    con = connect(db)
    try:
        parcels = store.read_parcels(con, with_geometry=True)
        classes, regions = store.read_classes(con), store.read_regions(con)
        adjacency, crs = store.read_adjacency(con), store.read_meta(con)["crs"]
    finally:
        con.close()
    code = dict(zip(classes["key"], classes["code"], strict=True))
    base = parcels["land_use"].to_numpy()
    built = np.flatnonzero(base == code["cropland"])[:10]
    red = np.flatnonzero(parcels["is_red_line"].fillna(False).to_numpy()
                         & (base != code["built"]))[:5]
    plan, survey = base.copy(), base.copy()
    plan[built] = survey[built] = survey[red] = code["built"]
    save_scenario(db, PLAN_NAME, scenario().to_toml(), "trend", {"status": "FEASIBLE"},
                  pd.DataFrame({"parcel_id": parcels["parcel_id"], "land_use": plan}),
                  compute_indicators(parcels.drop(columns=["geom_wkb", "geom_wgs84_wkb"]),
                                     adjacency, classes, regions, plan))
    geometry = shapely.from_wkb([bytes(wkb) for wkb in parcels["geom_wkb"]])
    gpkg = folder / "survey_2025.gpkg"
    gpd.GeoDataFrame({"land_use": survey}, geometry=geometry, crs=crs).to_file(gpkg)
    import_survey(db, gpkg, None, SURVEY_YEAR, name=SURVEY_NAME)
    (folder / "survey_2025.gpkg").unlink()
    return folder


def test_a_polygon_store_is_drawn_as_polygons_with_findings(polygon_stores, monkeypatch):
    at = open_page(polygon_stores, monkeypatch, store="demo")
    assert not at.exception and not at.error
    tiles = metrics(at)
    assert tiles[zh("mon_type_red_line")][1].startswith("5 个地块")
    assert tiles[zh("mon_dev_as_planned")][0] != "0.00 公顷"
    layers = json.loads(at.get("deck_gl_json_chart")[0].proto.json)["layers"]
    assert [layer["@@type"] for layer in layers] == ["PolygonLayer", "ScatterplotLayer"]
    details = [row["detail"] for row in layers[0]["data"]]  # the parcels' tooltips
    assert sum(d.startswith(zh("mon_type_red_line")) for d in details) == 5
    assert details.count(zh("mon_dev_unchanged")) == len(details) - 15


def test_the_page_is_in_the_navigation():
    source = (REPO_ROOT / "dashboard" / "app.py").read_text(encoding="utf-8")
    assert 'url_path="monitoring"' in source


# ---- the builders --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cells(stores) -> dict[tuple[int, int], int]:
    """(row, col) → parcel position (the report's and the map's parcel order)."""
    con = connect(stores / "monitoring.duckdb")
    try:
        parcels = store.read_parcels(con)
    finally:
        con.close()
    return {(int(r), int(c)): i for i, (r, c) in
            enumerate(zip(parcels["grid_row"], parcels["grid_col"], strict=True))}


def color_at(values: np.ndarray, palette, position: int) -> tuple[int, ...]:
    return tuple(palette[int(values[position])])


def rgba(color: str, alpha: int = 255) -> tuple[int, ...]:
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5)) + (alpha,)


ALL = mon.Scope(tuple(mon.VIOLATION_TYPES))


def test_a_cell_of_several_types_takes_the_first_types_colour(report, cells):
    values, palette = mon.violation_values(report, ALL)
    assert len(palette) <= 256 and palette[0] == grid_maps.TRANSPARENT
    # (4,7): basic farmland, outside the boundary and cropland unbalanced at once
    assert color_at(values, palette, cells[(4, 7)]) == rgba(mon.TYPE_COLORS["basic_farmland"])
    assert color_at(values, palette, cells[(9, 4)]) == rgba(mon.TYPE_COLORS["outside_boundary"])
    assert color_at(values, palette, cells[(6, 10)]) == rgba(
        mon.TYPE_COLORS["cropland_unbalanced"])
    for cell in EXPECTED_CELLS["red_line"]:
        assert color_at(values, palette, cells[cell]) == rgba(mon.TYPE_COLORS["red_line"])
    flagged = {cell for found in EXPECTED_CELLS.values() for cell in found}
    for cell, position in cells.items():  # everything else: the survey's class, muted
        if cell not in flagged:
            assert color_at(values, palette, position)[3] == mon.MUTED_ALPHA


def test_the_map_shows_only_the_types_and_region_picked(report, cells):
    values, palette = mon.violation_values(report, mon.Scope(("outside_boundary",)))
    assert color_at(values, palette, cells[(4, 7)]) == rgba(mon.TYPE_COLORS["outside_boundary"])
    assert color_at(values, palette, cells[(0, 0)])[3] == mon.MUTED_ALPHA
    values, palette = mon.violation_values(report, mon.Scope(ALL.types, EAST))
    assert color_at(values, palette, cells[(0, 0)])[3] == mon.FAINT_ALPHA  # West, faint
    assert color_at(values, palette, cells[(0, 10)]) == rgba(mon.TYPE_COLORS["no_change"])


def test_the_deviation_map_colours_each_deviation(report, cells):
    values, palette = mon.deviation_values(report, ALL)
    assert color_at(values, palette, cells[(7, 1)]) == rgba(mon.DEVIATION_COLORS["not_realised"])
    assert color_at(values, palette, cells[(6, 0)]) == rgba(mon.DEVIATION_COLORS["as_planned"])
    assert color_at(values, palette, cells[(11, 3)]) == rgba(mon.DEVIATION_COLORS["different"])
    assert color_at(values, palette, cells[(11, 11)]) == rgba(mon.DEVIATION_COLORS["no_data"])
    assert color_at(values, palette, cells[(5, 0)])[3] == mon.MUTED_ALPHA  # unchanged


def test_markers_name_the_largest_patches(report):
    frame = mon.marker_frame(report, ALL, zh, "zh")
    assert len(frame) == 7 and frame["title"].iloc[0] == "图斑编号 1 · 永久基本农田非农化"
    assert frame["detail"].iloc[0] == "东区 · 0.27 公顷"
    assert len(mon.marker_frame(report, ALL, zh, "zh", limit=3)) == 3


def test_the_whole_area_row_counts_each_parcel_once(report):
    table = mon.region_table(report, ALL, zh, "zh")
    whole = region_row(table, "全域")
    assert whole["疑似违法违规栅格数"] == 8
    assert whole["疑似违法违规面积（公顷）"] == pytest.approx(8 * CELL_HA)
    assert whole[zh("mon_col_realised")] == pytest.approx(100 * 4 / 9)  # 4 of 9 planned cells
    assert whole[zh("mon_col_elapsed")] == pytest.approx(50.0)


def test_years_defaults_and_checks():
    assert mon.default_years(2025) == (2020, 2030)
    assert mon.year_problem(2020, 2030, 2025) is None
    assert mon.year_problem(2030, 2030, 2035)[0] == "mon_err_target_year"
    assert mon.year_problem(2025, 2030, 2025)[0] == "mon_err_survey_year"


@pytest.mark.parametrize(("value", "text"), [(0.18, "0.18"), (3.456, "3.46"), (12.34, "12.3"),
                                             (1234.5, "1,234")])
def test_areas_keep_the_decimals_their_size_needs(value, text):
    assert mon.ha_text(value) == text


def test_a_survey_of_another_store_version_is_flagged():
    row = pd.Series({"name": "2010", "year": 2010, "stale": True})
    assert mon.survey_label(row, zh) == "2010（2010 年） ⚠ 数据库已更新"
