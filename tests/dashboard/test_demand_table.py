"""The demand table editor's pure part: scenario rows ⇄ editor records, row checks, wording."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard import i18n
from dashboard.components import demand
from data.sweep import numeric_levers
from solver.demand import DemandRow, parse_rows

CLASSES = pd.DataFrame({
    "code": [1, 2, 5], "key": ["cropland", "forest", "built"],
    "name_zh": ["耕地", "林地", "建设用地"], "name_en": ["Cropland", "Forest", "Built-up"]})
REGIONS = ("城关镇", "河口镇")
ROWS = parse_rows([
    {"class": "cropland", "min_pct": 100},
    {"class": "built", "region": "城关镇", "target_ha": 520, "tolerance_ha": 12.5},
    {"class": "forest", "min_ha": 300, "max_ha": 450.5},
    {"class": "built", "max_pct": 130},
])


def vocab(lang: str = "zh") -> demand.Vocabulary:
    return demand.Vocabulary.of_store(CLASSES, REGIONS, lang)


def record(**cells) -> dict:
    base = {"class": "cropland", "region": demand.WHOLE_AREA, "mode": "min", "unit": "ha",
            "value": 100.0, "upper": None, "tolerance_ha": None}
    return base | cells


def test_records_show_kind_unit_and_values():
    records = demand.table_records(ROWS)
    assert [(r["mode"], r["unit"], r["value"], r["upper"]) for r in records] == [
        ("min", "pct", 100.0, None), ("exact", "ha", 520.0, None),
        ("band", "ha", 300.0, 450.5), ("max", "pct", 130.0, None)]
    assert [r["region"] for r in records] == ["*", "城关镇", "*", "*"]
    assert records[1]["tolerance_ha"] == 12.5


def test_rows_survive_the_editor_unchanged():
    frame = demand.editor_frame(demand.table_records(ROWS))
    rows, problems = demand.rows_from_records(demand.frame_records(frame), vocab())
    assert problems == []
    assert rows == ROWS


def test_class_text_from_a_link_is_kept_as_written():
    """A row naming 耕地 or code 5 stays so (the scenario, its cache key and link are unchanged)."""
    rows = parse_rows([{"class": "耕地", "min_ha": 10}, {"class": "5", "max_ha": 99}])
    applied, problems = demand.rows_from_records(demand.table_records(rows), vocab())
    assert problems == [] and applied == rows
    assert demand.class_options(vocab(), demand.table_records(rows)) == [
        "cropland", "forest", "built", "耕地", "5"]
    assert [vocab("en").label(c) for c in ("耕地", "5", "Forest", "nonsense")] == [
        "Cropland", "Built-up", "Forest", "nonsense"]
    assert vocab().resolve("CROPLAND") is None  # exact text, as the solver looks classes up


def test_empty_table_has_typed_columns():
    frame = demand.editor_frame([])
    assert list(frame.columns) == list(demand.COLUMNS) and frame.empty
    assert str(frame["value"].dtype) == "float64" and frame["class"].dtype == object


@pytest.mark.parametrize(("cells", "problem"), [
    ({"class": None}, "demand_no_class"),
    ({"class": "  "}, "demand_no_class"),
    ({"class": "vineyard"}, "demand_unknown_class"),
    ({"region": "外星镇"}, "demand_unknown_region"),
    ({"mode": None}, "demand_no_mode"),
    ({"unit": "acre"}, "demand_no_mode"),
    ({"value": math.nan}, "demand_no_value"),
    ({"mode": "band", "upper": None}, "demand_no_upper"),
    ({"mode": "band", "value": 500.0, "upper": 400.0}, "demand_upper_below"),
    ({"value": -1.0}, "demand_negative"),
    ({"unit": "pct", "value": 1500.0}, "demand_pct_range"),
])
def test_a_bad_row_is_left_out_and_named(cells, problem):
    good = record(**{"class": "forest", "value": 7.0})
    rows, problems = demand.rows_from_records([good, record(**cells)], vocab())
    assert rows == (DemandRow("forest", min_ha=7.0),)
    assert [p.key for p in problems] == [problem]
    assert problems[0].values["row"] == "2"


def test_upper_below_lower_names_both_numbers():
    _, problems = demand.rows_from_records(
        [record(mode="band", value=500.0, upper=400.0)], vocab())
    assert problems[0].values == {"row": "1", "cls": "耕地", "region": "", "lo": "500",
                                  "hi": "400"}


def test_a_second_row_for_the_same_scope_is_refused_even_under_another_name():
    records = [record(value=10.0), record(**{"class": "耕地", "value": 20.0}),
               record(region="城关镇", value=30.0)]
    rows, problems = demand.rows_from_records(records, vocab())
    assert rows == (DemandRow("cropland", min_ha=10.0),
                    DemandRow("cropland", region="城关镇", min_ha=30.0))
    assert [(p.key, p.values["row"]) for p in problems] == [("demand_duplicate", "2")]


def test_blank_rows_are_skipped_without_a_message():
    blank = {"class": None, "region": demand.WHOLE_AREA, "mode": "min", "unit": "ha",
             "value": math.nan, "upper": None, "tolerance_ha": None}
    assert demand.rows_from_records([blank], vocab()) == ((), [])


def test_region_options_keep_an_unknown_region_visible():
    records = [record(region="外星镇")]
    assert demand.region_options(vocab(), records) == ["*", "城关镇", "河口镇", "外星镇"]
    assert demand.region_label("*", "全域") == "全域"


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_problem_reads_in_both_languages(lang):
    values = {"row": "3", "cls": "耕地", "region": "城关镇", "known": "耕地", "lo": "1",
              "hi": "0", "max": "1000", "reason": "x"}
    keys = ["demand_no_class", "demand_unknown_class", "demand_unknown_region",
            "demand_no_mode", "demand_no_value", "demand_no_upper", "demand_negative",
            "demand_pct_range", "demand_upper_below", "demand_duplicate", "demand_invalid"]
    for key in keys:
        assert key in i18n.TEXT
        text = i18n.translate(key, lang, **values)
        assert "3" in text and "{" not in text
    expected = "未采用" if lang == "zh" else "is not applied"
    assert expected in i18n.translate("demand_no_value", lang, **values)


def test_the_sweep_offers_no_slider_for_the_demand_table():
    keys = [spec.key for spec in numeric_levers()]
    assert "demand.rows" not in keys and "farmland.quota_pct" in keys
