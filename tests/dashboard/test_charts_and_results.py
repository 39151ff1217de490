"""Pure chart builders and result formatting: encodings, colours, numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.components import charts, results

CLASSES = pd.DataFrame({"code": [1, 2, 5], "key": ["cropland", "forest", "built"],
                        "name_zh": ["耕地", "林地", "建设用地"],
                        "name_en": ["Cropland", "Forest", "Built-up"],
                        "color": ["#f2d16b", "#2e7d32", "#d84315"],
                        "sansheng": ["production", "ecological", "living"]})
LABELS = {"class": "地类", "area_ha": "面积", "before": "现状", "after": "优化", "stage": "",
          "change_pct": "%", "from_class": "原", "to_class": "新", "region": "区"}
BEFORE = np.array([1, 1, 2, 5])
AFTER = np.array([1, 5, 2, 5])
AREA = np.array([1.0, 2.0, 3.0, 4.0])


def indicator_table() -> pd.DataFrame:
    rows = [("cropland_ha", "ha", 1.0, 3.0, "耕地面积", "Cropland"),
            ("built_ha", "ha", 6.0, 4.0, "建设用地面积", "Construction land"),
            ("esv_yuan", "yuan/yr", 2.5e8, 2.0e8, "生态系统服务价值", "ESV"),
            ("changed_area_ha", "ha", 2.0, 0.0, "用途变化面积", "Area changed")]
    return pd.DataFrame([{"indicator": k, "group": "g", "scope_type": "total", "scope": "total",
                          "value": v, "unit": u, "baseline": b, "change": v - b,
                          "label_zh": zh, "label_en": en} for k, u, v, b, zh, en in rows])


def test_structure_frame_sums_area_by_class_and_stage():
    frame = results.structure_frame(BEFORE, AFTER, AREA, CLASSES, "zh", ("现状", "优化"))
    pivot = frame.pivot(index="class", columns="stage", values="area_ha")
    assert pivot.loc["耕地", "现状"] == 3.0 and pivot.loc["耕地", "优化"] == 1.0
    assert pivot.loc["建设用地", "优化"] == 6.0


def test_transition_frame_is_full_grid_with_areas():
    frame = results.transition_frame(BEFORE, AFTER, AREA, CLASSES, "en")
    assert len(frame) == 9
    cell = frame[(frame["from"] == "Cropland") & (frame["to"] == "Built-up")]["area_ha"]
    assert cell.item() == 2.0 and frame["area_ha"].sum() == pytest.approx(AREA.sum())


def test_kpi_tiles_format_values_and_deltas():
    tiles = {k.label_key: k for k in results.kpi_tiles(indicator_table(), "zh")}
    assert tiles["kpi_cropland"].value == "1" and tiles["kpi_cropland"].delta == "-2"
    assert tiles["kpi_cropland"].unit == "ha"
    assert tiles["kpi_esv"].value == "2.50" and tiles["kpi_esv"].delta == "+0.50"
    assert tiles["kpi_esv"].unit == "亿元"
    assert tiles["kpi_changed"].delta is None
    assert "kpi_carbon" not in tiles  # absent indicators get no tile


def test_change_frame_in_percent_of_baseline():
    frame = results.change_frame(indicator_table(), "en").set_index("label")
    assert frame.loc["Cropland", "change_pct"] == pytest.approx(-66.667, abs=1e-3)
    assert frame.loc["ESV", "change_pct"] == pytest.approx(25.0)


def test_structure_chart_keeps_class_colours():
    frame = results.structure_frame(BEFORE, AFTER, AREA, CLASSES, "zh", ("现状", "优化"))
    spec = charts.structure_chart(frame, CLASSES, "name_zh", LABELS).to_dict()
    scale = spec["encoding"]["color"]["scale"]
    assert scale["domain"] == ["耕地", "林地", "建设用地"]
    assert scale["range"] == ["#f2d16b", "#2e7d32", "#d84315"]
    assert spec["mark"]["type"] == "bar" and spec["encoding"]["y"]["field"] == "area_ha"


def test_structure_chart_class_names_wrap_in_chinese_and_tilt_in_english():
    zh = charts.structure_chart(results.structure_frame(BEFORE, AFTER, AREA, CLASSES, "zh", ("a", "b")),
                                CLASSES, "name_zh", LABELS).to_dict()["encoding"]["x"]["axis"]
    assert "substring(datum.label, 2)" in zh["labelExpr"] and zh["labelAngle"] == 0
    en = charts.structure_chart(results.structure_frame(BEFORE, AFTER, AREA, CLASSES, "en", ("a", "b")),
                                CLASSES, "name_en", LABELS).to_dict()["encoding"]["x"]["axis"]
    assert "labelExpr" not in en and en["labelAngle"] == -35  # "Cropland" is longer than 4


def test_change_chart_colours_by_sign():
    spec = charts.change_chart(results.change_frame(indicator_table(), "zh"), LABELS).to_dict()
    color = spec["encoding"]["color"]
    assert color["condition"]["value"] == charts.POSITIVE and color["value"] == charts.NEGATIVE


def test_transition_chart_layers_cells_and_text():
    matrix = results.transition_frame(BEFORE, AFTER, AREA, CLASSES, "zh")
    spec = charts.transition_chart(matrix, CLASSES["name_zh"].tolist(), LABELS).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rect", "text"]


def test_region_chart_stacks_classes_per_region():
    frame = results.region_frame(AFTER, AREA, np.array([1, 1, 2, 2]), {1: "甲", 2: "乙"},
                                 CLASSES, "zh")
    assert frame.groupby("region")["area_ha"].sum().to_dict() == {"甲": 3.0, "乙": 7.0}
    spec = charts.region_chart(frame, CLASSES, "name_zh", LABELS).to_dict()
    assert spec["encoding"]["x"]["stack"] is True


def test_legend_escapes_names_and_rejects_odd_colours():
    hostile = CLASSES.assign(name_zh=["<script>x</script>", "林地", "建设用地"],
                             color=["red;background:url(x)", "#2e7d32", "#d84315"])
    html = results.legend_html(hostile, "zh")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "url(x)" not in html and "#808080" in html


def zh(key: str, /, **values: object) -> str:
    from dashboard.i18n import translate

    return translate(key, "zh", **values)


@pytest.mark.parametrize(("status", "gap", "tile"), [
    ("OPTIMAL", 0.0, "0 %"),
    ("FEASIBLE", 0.00912, "≤ 0.92 %"),  # rounded up: "at most" stays true
    ("FEASIBLE", 0.01, "≤ 1.00 %"),
    ("FEASIBLE", 2.0437, "未证明"),  # never a headline of 204.37 %
    ("FEASIBLE", None, "–"),
    ("INFEASIBLE", None, "–"),
])
def test_gap_tile_never_shows_a_meaningless_percentage(status, gap, tile) -> None:
    assert results.gap_tile(status, gap, zh) == tile


def test_quality_sentence_says_heuristic_and_proven_gap_with_compactness() -> None:
    assert results.quality_sentence("FEASIBLE", 0.00912, True, zh) == (
        "布局紧凑度为启发式结果，已证明与最优的差距不超过 0.92 %")
    assert results.quality_sentence("FEASIBLE", 0.00912, False, zh) == "已证明与最优的差距不超过 0.92 %"
    assert "超过 100 %" in results.quality_sentence("FEASIBLE", 3.0, True, zh)
    assert "204" not in results.quality_sentence("FEASIBLE", 2.0437, True, zh)
    assert results.quality_sentence("INFEASIBLE", None, True, zh) is None
    assert results.quality_sentence("OPTIMAL", 0.0, True, zh) == "已证明为最优方案"
