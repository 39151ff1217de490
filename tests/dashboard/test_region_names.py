"""English pages name townships in English where the store has an English name; no None."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.components import regions
from data.indicators import display_unit, display_value

REGIONS = pd.DataFrame({"region_id": [1, 2, 3], "name_zh": ["城关镇", "河口镇", "青山乡"],
                        "name_en": ["Chengguan", "", None]})


def test_english_names_where_the_store_has_them():
    assert regions.region_display_names(REGIONS, "en") == {
        "城关镇": "Chengguan", "河口镇": "河口镇", "青山乡": "青山乡"}
    assert regions.region_display_names(REGIONS, "zh") == {
        "城关镇": "城关镇", "河口镇": "河口镇", "青山乡": "青山乡"}


def test_region_table_in_english_with_readable_units_and_no_none():
    rows = [{"indicator": key, "scope_type": "region", "scope": name, "value": value,
             "unit": unit, "label_zh": key, "label_en": key, "change": 0.0}
            for key, unit, values in (("cropland_ha", "ha", (1.0, np.nan, 3.0)),
                                      ("esv_yuan", "yuan/yr", (2.6e9, 1e8, 5e7)))
            for name, value in zip(REGIONS["name_zh"], values, strict=True)]
    names = regions.region_display_names(REGIONS, "en")
    table = regions.region_indicator_table(pd.DataFrame(rows), "en", names)
    assert list(table.index) == ["Chengguan", "河口镇", "青山乡"]
    assert table["esv_yuan (CNY 100 million/yr)"].tolist() == [26.0, 1.0, 0.5]
    html = regions.styled(table).to_html()
    assert "None" not in html and "nan" not in html and "–" in html


def test_display_units_are_one_system_per_language():
    assert display_unit("esv_yuan", "yuan/yr", "zh") == "亿元/年"
    assert display_unit("esv_yuan", "yuan/yr", "en") == "CNY 100 million/yr"
    assert display_value("esv_yuan", 2_602_058_821.03) == 26.0205882103
    assert display_unit("cropland_ha", "ha", "zh") == "公顷"
    assert display_unit("grain_capacity_t", "t/yr", "zh") == "吨/年"


def test_compare_table_reads_esv_in_yi_yuan_and_big_numbers_without_decimals():
    from dashboard.components import compare as cmp
    from tests.dashboard.test_compare import table

    def scenario(label, esv, carbon):
        rows = table({"esv_yuan": (esv, 2.5e9), "carbon_t": (carbon, 1.3e7)})
        rows.loc[rows["indicator"] == "esv_yuan", "unit"] = "yuan/yr"
        rows.loc[rows["indicator"] == "carbon_t", "unit"] = "t C"
        return cmp.Compared(label, np.zeros(1), rows)

    both = [scenario("A", 2_602_058_821.03, 13_636_025.0), scenario("B", 2.5e9, 13_187_831.25)]
    for lang, unit in (("zh", "亿元/年"), ("en", "CNY 100 million/yr")):
        shown, mask = cmp.comparison_table(both, lang)
        esv = shown[shown["indicator"] == f"esv_yuan_{lang}"].iloc[0]
        assert esv["unit"] == unit and esv["A"] == pytest.approx(26.0205882103)
        html = cmp.styled_table(shown, mask).to_html()
        assert "26.02" in html and "13,636,025<" in html and "2,602,058,821" not in html
        assert "-448,194" in html  # the carbon delta, whole tonnes
