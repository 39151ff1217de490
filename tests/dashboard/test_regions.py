"""Regional levers table, per-region indicator table and the region colour ramp."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.components import regions
from data.presets import load_preset

NAMES = ("城关镇", "河口镇", "青山乡")


def test_lever_table_round_trip():
    scenario = (load_preset("balanced").with_value("farmland.region_quota_pct", {"河口镇": 95.0})
                .with_value("growth.region_max_new_built_ha", {"城关镇": 200.0}))
    table = regions.lever_table(scenario, NAMES)
    assert table["quota_pct"].isna().tolist() == [True, False, True]
    assert table.loc[0, "max_new_built_ha"] == 200.0
    assert regions.apply_lever_table(load_preset("balanced"), table) == scenario


def test_the_table_shows_english_names_but_edits_the_scenario_by_key():
    scenario = load_preset("balanced").with_value("farmland.region_quota_pct", {"河口镇": 95.0})
    shown = {"城关镇": "Chengguan", "河口镇": "Hekou", "青山乡": "Qingshan"}
    table = regions.lever_table(scenario, NAMES, shown)
    assert table["region"].tolist() == ["Chengguan", "Hekou", "Qingshan"]
    table.loc[2, "quota_pct"] = 90.0
    edited = regions.apply_lever_table(scenario, table)
    assert dict(edited.farmland.region_quota_pct) == {"河口镇": 95.0, "青山乡": 90.0}


def test_blank_cells_remove_a_regional_target():
    scenario = load_preset("balanced").with_value("farmland.region_quota_pct", {"河口镇": 95.0})
    table = regions.lever_table(scenario, NAMES)
    table.loc[1, "quota_pct"] = np.nan
    assert regions.apply_lever_table(scenario, table) == load_preset("balanced")


def test_region_indicator_table_has_regions_as_rows():
    rows = [{"indicator": key, "scope_type": "region", "scope": name, "value": value,
             "unit": "ha", "label_zh": key, "label_en": key, "change": 0.0}
            for key in ("cropland_ha", "built_ha")
            for name, value in zip(NAMES, (1.0, 2.0, 3.0), strict=True)]
    rows.append({"indicator": "cropland_ha", "scope_type": "total", "scope": "total",
                 "value": 6.0, "unit": "ha", "label_zh": "c", "label_en": "c", "change": 0.0})
    table = regions.region_indicator_table(pd.DataFrame(rows), "zh")
    assert list(table.index) == list(NAMES)
    assert table["cropland_ha (公顷)"].tolist() == [1.0, 2.0, 3.0]  # units read in Chinese


def test_ramp_runs_light_to_dark_and_greys_missing_values():
    colors = regions.ramp_colors(np.array([0.0, 10.0, np.nan]))
    assert colors[0][:3] == list(regions.RAMP[0]) and colors[1][:3] == list(regions.RAMP[-1])
    assert colors[2] == [200, 200, 200, 220]
    assert regions.ramp_colors(np.array([5.0, 5.0]))[0][:3] == list(regions.RAMP[0])


@pytest.mark.parametrize("bad", [-5.0, 500.0])
def test_out_of_range_regional_quota_is_refused(bad):
    table = regions.lever_table(load_preset("balanced"), NAMES)
    table.loc[0, "quota_pct"] = bad
    with pytest.raises(ValueError, match="region_quota_pct"):
        regions.apply_lever_table(load_preset("balanced"), table)
