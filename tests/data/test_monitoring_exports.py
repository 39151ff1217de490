"""Monitoring exports: the GeoPackage of suspected violations read back (one feature per patch,
its polygon's area its area_ha, cut to the cells at the raster's edge and at nodata, parcel
stores dissolved, an empty layer when nothing is suspected), the workbook's sheets and
numbers, the HTML section and briefing (escaped user text, the saved plan's briefing or the
section alone), refused suffixes and atomic writes."""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from data import store
from data.db import connect
from data.demo import build_demo
from data.exports import ExportError
from data.importers.raster import import_raster
from data.monitoring.compare import VIOLATION_TYPES, MonitoringReport, Plan, monitor
from data.monitoring.exports import (
    FIELDS,
    LAYER,
    export_bytes,
    render_monitoring_report,
    render_monitoring_section,
    workbook_sheets,
    write_export,
)
from data.monitoring.survey import SurveyLayer, load_survey
from solver.scenario import Scenario
from tests import monitoring_cases as mc

CJK = re.compile(r"[\u4e00-\u9fff]")
SCRIPT = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def case(tmp_path_factory) -> mc.Case:
    return mc.build_case(tmp_path_factory.mktemp("monitoring_exports"))


@pytest.fixture(scope="module")
def report(case) -> MonitoringReport:
    return monitor(case.db, case.plan(), load_survey(case.db, mc.SURVEY_NAME))


def hand_survey(db: Path, codes: np.ndarray) -> SurveyLayer:
    """A survey built directly (no file): one class code per parcel in store order."""
    con = connect(db)
    try:
        ids, version = store.read_parcels(con)["parcel_id"], store.read_meta(con)["version"]
    finally:
        con.close()
    return SurveyLayer("hand survey", 2025, "hand", "", version, version,
                       pd.DataFrame({"parcel_id": ids, "land_use": codes}))


def base_codes(db: Path) -> pd.DataFrame:
    con = connect(db)
    try:
        return store.read_parcels(con)
    finally:
        con.close()


def cells_polygon(cells: set[tuple[int, int]]) -> shapely.Geometry:
    return shapely.union_all([shapely.box(mc.X0 + c * mc.PIXEL, mc.Y0 - (r + 1) * mc.PIXEL,
                                          mc.X0 + (c + 1) * mc.PIXEL, mc.Y0 - r * mc.PIXEL)
                              for r, c in cells])


def read_layer(path: Path) -> gpd.GeoDataFrame:
    assert pyogrio.list_layers(path)[:, 0].tolist() == [LAYER]
    return gpd.read_file(path, layer=LAYER)


# -- GeoPackage -----------------------------------------------------------------------------------
def test_geopackage_has_one_feature_per_patch_on_exactly_the_planted_cells(case, report, tmp_path):
    layer = read_layer(write_export(report, case.db, tmp_path / "v.gpkg", lang="en"))
    assert len(layer) == len(report.patches) == 7
    assert str(layer.crs) == mc.CRS and set(layer.geom_type) == {"MultiPolygon"}
    assert list(layer.columns[:-1]) == list(FIELDS)
    np.testing.assert_allclose(layer.area / 10_000, layer["area_ha"], atol=1e-9)
    np.testing.assert_allclose(layer["area_ha"], report.patches["area_ha"].astype(float))
    assert layer["patch_id"].tolist() == report.patches["patch_id"].tolist()
    for kind, cells in mc.EXPECTED_CELLS.items():
        traced = shapely.union_all(layer.loc[layer["type"] == kind, "geometry"].to_numpy())
        assert shapely.symmetric_difference(traced, cells_polygon(cells)).area < 1e-6, kind
    basic = layer[layer["type"] == "basic_farmland"].iloc[0]
    assert (basic["n_parcels"], basic["region_en"], basic["region_zh"]) == (3, "East", "东区")
    assert (basic["base_key"], basic["survey_key"]) == ("cropland", "built")
    assert basic["type_label"] == "Basic farmland lost to other uses"
    assert basic["base_class"] == "Cropland" and basic["survey_class"] == "Urban / built-up"
    assert (basic["survey_name"], basic["survey_year"]) == (mc.SURVEY_NAME, mc.SURVEY_YEAR)
    assert basic["plan_name"] == mc.PLAN_NAME
    assert 110 < basic["lon"] < 112 and 29 < basic["lat"] < 31


def test_chinese_geopackage_labels_in_chinese(case, report, tmp_path):
    layer = read_layer(write_export(report, case.db, tmp_path / "v.gpkg"))
    row = layer[layer["type"] == "red_line"].iloc[0]
    assert row["type_label"] == "生态保护红线内变化" and row["survey_class"] == "耕地"


def test_grid_patches_are_cut_to_their_cells_at_the_raster_edge_and_at_nodata(tmp_path):
    """Cells of 5 × 5 pixels on a 12-pixel raster (the last row and column of cells are cut by
    its edge) with two nodata pixels inside cells: every cell is in the red line and changes."""
    pixels = mc.base_map()
    pixels[1, 1] = pixels[6, 6] = mc.NODATA
    red_line = mc.write_tif(tmp_path / "red.tif", np.ones((12, 12), np.uint8), nodata=255)
    db = tmp_path / "cut.duckdb"
    import_raster(mc.write_tif(tmp_path / "base.tif", pixels), db, mc.write_mapping(tmp_path),
                  150.0, regions_path=mc.write_regions(tmp_path), name="cut",
                  zones={"is_red_line": red_line})
    parcels = base_codes(db)
    codes = parcels["land_use"].to_numpy()
    survey = hand_survey(db, np.where(codes == mc.BUILT, mc.CROP, mc.BUILT))
    report = monitor(db, Plan("p", mc.scenario(), codes, 2020, 2030), survey)
    layer = read_layer(write_export(report, db, tmp_path / "cut.gpkg"))
    np.testing.assert_allclose(layer.area / 10_000, layer["area_ha"], atol=1e-9)
    red = layer[layer["type"] == "red_line"]
    assert len(red) == 1 and red["n_parcels"].iloc[0] == len(parcels) == 9
    assert red["area_ha"].iloc[0] == pytest.approx((144 - 2) * mc.CELL_HA)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """A parcel store (polygons, not a grid): 12 × 12 demo parcels of 6.25 ha."""
    return build_demo(tmp_path_factory.mktemp("monitoring_demo") / "demo.duckdb",
                      rows=12, cols=12)


def demo_report(db: Path, survey_codes: np.ndarray, plan_name: str = "demo plan"
                ) -> MonitoringReport:
    codes = base_codes(db)["land_use"].to_numpy()
    plan = Plan(plan_name, Scenario.from_dict({"name": "demo"}), codes, 2020, 2030)
    return monitor(db, plan, hand_survey(db, survey_codes))


def test_parcel_store_patches_are_their_parcels_dissolved(demo, tmp_path):
    parcels = base_codes(demo)
    built = 5
    outside = (parcels["land_use"] != built) & ~parcels["in_urban_boundary"].astype(bool)
    report = demo_report(demo, np.where(outside, built, parcels["land_use"]))
    layer = read_layer(write_export(report, demo, tmp_path / "demo.gpkg", lang="en"))
    assert len(layer) == len(report.patches) > 0
    con = connect(demo)
    try:
        assert layer.crs == store.read_meta(con)["crs"]
    finally:
        con.close()
    np.testing.assert_allclose(layer.area / 10_000, layer["area_ha"], rtol=1e-9)
    outside_rows = layer[layer["type"] == "outside_boundary"]
    assert outside_rows["n_parcels"].sum() == int(outside.sum())
    assert outside_rows["area_ha"].sum() == pytest.approx(6.25 * int(outside.sum()))
    assert (outside_rows["n_parcels"] > 1).any()  # whole patches, not parcel by parcel
    # this small demo has no basic farmland and no cropland: both said in the workbook
    summary = workbook_sheets(report, "en")["Summary"]
    reasons = dict(zip(summary["Item"], summary["Value"], strict=True))
    assert "basic farmland" in reasons["Not checked: Basic farmland lost to other uses"]


def test_no_suspected_violation_gives_a_valid_empty_layer_with_its_schema(demo, tmp_path):
    report = demo_report(demo, base_codes(demo)["land_use"].to_numpy())
    assert report.patches.empty
    path = write_export(report, demo, tmp_path / "none.gpkg")
    info = pyogrio.read_info(path, layer=LAYER)
    assert info["features"] == 0 and info["geometry_type"] == "MultiPolygon"
    assert list(info["fields"]) == list(FIELDS)
    assert read_layer(path).empty
    assert "未发现疑似违法图斑" in render_monitoring_section(report, "zh")


# -- workbook -------------------------------------------------------------------------------------
def test_workbook_has_localized_sheets_and_the_planted_numbers(case, report, tmp_path):
    sheets = pd.read_excel(write_export(report, case.db, tmp_path / "m.xlsx"), sheet_name=None)
    assert list(sheets) == ["概况", "分区统计", "指标进度", "疑似违法图斑", "指标对比"]
    regions = sheets["分区统计"].set_index("区域")
    assert regions.loc["东区", "耕地占补缺口（公顷）"] == pytest.approx(0.18)
    assert regions.loc["西区", "生态保护红线内变化（地块数）"] == 2
    assert regions.loc["合计", "耕地占补不平衡（地块数）"] == 4
    assert regions.loc["东区", "状态"] == "预警" and regions.loc["合计", "状态"] == "超标/偏离"
    progress = sheets["指标进度"]
    assert len(progress) == len(report.progress)
    cap = progress[progress["指标"] == "新增建设用地上限"].iloc[0]
    assert (cap["状态"], cap["说明"], cap["区域"]) == ("超标/偏离", "已超过上限", "全域")
    assert cap["上限（公顷）"] == pytest.approx(0.6) and cap["调查（公顷）"] == pytest.approx(0.72)
    patches = sheets["疑似违法图斑"]
    assert len(patches) == 7 and patches["面积（公顷）"].is_monotonic_decreasing
    assert patches.iloc[0][["基期地类", "调查地类"]].tolist() == ["耕地", "城镇用地"]
    summary = dict(zip(sheets["概况"]["项目"], sheets["概况"]["数值"], strict=True))
    assert summary["变更调查"] == mc.SURVEY_NAME and summary["规划期已过"] == 50
    assert summary["城镇开发边界外新增建设：疑似图斑"] == 2
    assert summary["对照规划：按规划实施"] == pytest.approx(0.36)
    indicators = sheets["指标对比"].set_index("指标")
    assert indicators.loc["建设用地面积", ["基期", "规划", "调查"]].tolist() == \
        pytest.approx([2.16, 2.70, 2.88])


def test_english_workbook_speaks_english(report):
    sheets = workbook_sheets(report, "en")
    assert list(sheets) == ["Summary", "Regions", "Progress", "Suspected violations",
                            "Indicators"]
    for table in sheets.values():
        assert not any(CJK.search(str(c)) for c in table.columns)
    regions = sheets["Regions"].set_index("Region")
    assert regions.loc["East", "Cropland deficit (ha)"] == pytest.approx(0.18)
    assert set(sheets["Progress"]["Status"]) <= {"On track", "Watch", "Off track"}


# -- HTML -----------------------------------------------------------------------------------------
def test_section_shows_the_numbers_and_escapes_user_text(report):
    hostile = dataclasses.replace(report, plan_name=SCRIPT, survey_name=f"{SCRIPT}调查")
    section = render_monitoring_section(hostile, "en")
    assert "<script" not in section and "&lt;script&gt;" in section
    assert section.startswith('<section class="mon"')
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", section, flags=re.S))
    assert "Cropland deficit (ha)  0.18" in text
    assert "The 7 largest suspected violation patches (of 7)" in text
    assert "Change inside the ecological red line  1  2  0.18" in text
    assert section.count('class="t mon-red"') == int((report.progress["status"] == "red").sum()) \
        + int((report.regions["status"] == "red").sum())


def test_top_patches_stop_at_twenty(report):
    many = pd.concat([report.patches] * 4, ignore_index=True)
    many["patch_id"] = np.arange(1, len(many) + 1)
    section = render_monitoring_section(dataclasses.replace(report, patches=many), "zh")
    assert "面积最大的 20 个疑似违法图斑（共 28 个）" in section


def test_briefing_is_the_saved_plans_briefing_with_the_monitoring_in_it(case, report, tmp_path):
    page = write_export(report, case.db, tmp_path / "m.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "国土空间优化配置方案简报 — 2030规划" in page  # the plan's own briefing
    assert page.index('<section class="mon"') < page.index("转移矩阵")
    assert "2025变更调查（2025年）对照规划「2030规划」（2020—2030年）" in page


def test_a_plan_not_in_the_library_gets_the_monitoring_page_alone(case, report):
    page = render_monitoring_report(dataclasses.replace(report, plan_name=SCRIPT), case.db, "en")
    assert "<script" not in page and "Monitoring briefing — &lt;script&gt;" in page
    assert "is not in the scenario library" in page
    assert '<section class="mon"' in page and "transition" not in page.lower()


# -- entry points ---------------------------------------------------------------------------------
def test_other_suffixes_and_languages_are_refused(case, report, tmp_path):
    for suffix in (".shp", ".csv", ""):
        with pytest.raises(ExportError, match=r"\.gpkg, \.xlsx, \.html"):
            write_export(report, case.db, tmp_path / f"m{suffix}")
    with pytest.raises(ExportError, match=r"\.gpkg, \.xlsx, \.html"):
        export_bytes(report, case.db, ".tif")
    with pytest.raises(ExportError, match="lang"):
        write_export(report, case.db, tmp_path / "m.xlsx", lang="fr")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_export_keeps_the_existing_file_and_leaves_nothing_behind(report, demo,
                                                                            tmp_path):
    for suffix in (".gpkg", ".html"):
        existing = tmp_path / f"kept{suffix}"
        existing.write_bytes(b"the previous export")
        with pytest.raises(ExportError, match="another store"):
            write_export(report, demo, existing)  # the report is not of the demo store
        assert existing.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.gpkg", "kept.html"]


def test_bytes_for_download_buttons_hold_the_same_exports(case, report):
    workbook = pd.read_excel(io.BytesIO(export_bytes(report, case.db, ".xlsx", "en")),
                             sheet_name=None)
    assert list(workbook)[0] == "Summary"
    assert export_bytes(report, case.db, "gpkg")[:16] == b"SQLite format 3\x00"
    page = export_bytes(report, case.db, ".html", "en").decode("utf-8")
    assert "Land-use allocation briefing" in page and "Monitoring" in page



def test_the_briefing_maps_the_suspected_violations_in_their_colours(case, report):
    """The planted cells in their type's colour (a parcel of several types in the first's),
    the rest of the area grey, on the case's 12 × 12 grid."""
    from data.monitoring.compare import TYPE_COLORS
    from tests.data.test_report_maps import pictures

    section = render_monitoring_section(report, "en")
    (image,) = pictures(section)
    assert image.shape[:2] == (12, 12)

    def colour(row: int, col: int) -> str:
        return "#" + "".join(f"{int(v):02x}" for v in image[row, col, :3])

    assert colour(0, 0) == TYPE_COLORS["red_line"]
    assert colour(4, 7) == TYPE_COLORS["basic_farmland"]  # also outside boundary, unbalanced
    assert colour(0, 10) == TYPE_COLORS["no_change"]
    assert colour(9, 4) == TYPE_COLORS["outside_boundary"]
    assert colour(6, 10) == TYPE_COLORS["cropland_unbalanced"]
    assert colour(5, 5) == "#e0e0e0"
    assert "Where the suspected violations are" in section


def test_a_polygon_store_briefing_maps_its_violations_from_its_geometry(demo):
    from data.monitoring.compare import TYPE_COLORS
    from tests.data.test_report_maps import colours, pictures

    parcels = base_codes(demo)
    built = 5
    outside = (parcels["land_use"] != built) & ~parcels["in_urban_boundary"].astype(bool)
    report = demo_report(demo, np.where(outside, built, parcels["land_use"]))
    assert not pictures(render_monitoring_section(report, "zh"))  # nothing to draw on
    (image,) = pictures(render_monitoring_report(report, demo, "zh"))  # the store's polygons
    flags = report.parcels[list(VIOLATION_TYPES)].to_numpy()
    flagged = flags.any(axis=1)
    assert flagged.any()
    first = {TYPE_COLORS[VIOLATION_TYPES[i]] for i in flags[flagged].argmax(axis=1)}
    assert first | {"#e0e0e0"} == colours(image)  # each parcel in its first type's colour
