"""The Scenario ⇄ URL codec: round trips, short links, and hostile or broken parameters."""

from __future__ import annotations

import pytest

from dashboard import state
from data.presets import PRESET_KEYS, load_preset


@pytest.mark.parametrize("preset", PRESET_KEYS)
def test_preset_alone_gives_a_short_link(preset):
    assert state.scenario_to_params(load_preset(preset), preset) == {"preset": preset}


def test_round_trip_of_changed_levers():
    scenario = (load_preset("balanced").with_value("farmland.quota_pct", 95.5)
                .with_value("weights.compactness", 3.0)
                .with_value("ecology.red_line_mode", "ecological_only")
                .with_value("growth.only_inside_boundary", False)
                .with_value("solver.seed", 7))
    params = state.scenario_to_params(scenario, "balanced")
    assert params["farmland.quota_pct"] == "95.5" and params["growth.only_inside_boundary"] == "0"
    decoded = state.params_to_scenario(params)
    assert decoded.warnings == [] and decoded.preset == "balanced"
    assert decoded.scenario == scenario


def test_region_levers_travel_as_json():
    scenario = load_preset("trend").with_value("farmland.region_quota_pct", {"城关镇": 90.0})
    params = state.scenario_to_params(scenario, "trend")
    assert state.params_to_scenario(params).scenario == scenario


@pytest.mark.parametrize(("key", "value"), [
    ("farmland.quota_pct", "abc"),
    ("farmland.quota_pct", "-5"),
    ("farmland.quota_pct", "1e309"),
    ("farmland.quota_pct", "nan"),
    ("weights.compactness", "<script>alert(1)</script>"),
    ("growth.only_inside_boundary", "maybe"),
    ("ecology.red_line_mode", "'; DROP TABLE parcels; --"),
    ("solver.time_limit_s", "99999"),
    ("farmland.quota_pct", "9" * 500),
])
def test_bad_values_fall_back_with_a_warning(key, value):
    decoded = state.params_to_scenario({"preset": "farmland", key: value})
    assert decoded.scenario == load_preset("farmland")
    assert [kind for kind, _ in decoded.warnings] == ["bad_param"]
    details = decoded.warnings[0][1]
    assert details["key"] == key and len(details["value"]) <= 60 and details["reason"]


def test_unknown_preset_paths_and_keys_are_refused():
    decoded = state.params_to_scenario({"preset": "../../etc/passwd", "nonsense": "1",
                                        "x" * 300: "y", "lang": "fr", "mode": "admin"})
    assert decoded.preset == state.DEFAULT_PRESET
    kinds = [kind for kind, _ in decoded.warnings]
    assert kinds == ["bad_param", "unknown_param"]
    assert "nonsense" in decoded.warnings[1][1]["keys"]
    assert decoded.lang == "zh" and decoded.mode == ""


def test_language_mode_and_store_are_read():
    decoded = state.params_to_scenario({"lang": "en", "mode": "readonly", "store": "demo"})
    assert (decoded.lang, decoded.mode, decoded.store) == ("en", "readonly", "demo")


DEMAND = [{"class": "cropland", "min_pct": 100.0},
          {"class": "built", "region": "城关镇", "target_ha": 520.0, "tolerance_ha": 12.5},
          {"class": "forest", "min_ha": 300.0, "max_ha": 450.5}]


def test_demand_rows_travel_as_compact_json_and_come_back_identical():
    scenario = load_preset("balanced").with_demand(DEMAND)
    params = state.scenario_to_params(scenario, "balanced")
    assert params == {"preset": "balanced", "demand.rows": (
        '[{"class":"cropland","min_pct":100.0},'
        '{"class":"built","region":"城关镇","target_ha":520.0,"tolerance_ha":12.5},'
        '{"class":"forest","min_ha":300.0,"max_ha":450.5}]')}
    decoded = state.params_to_scenario(params)
    assert decoded.warnings == []
    assert decoded.scenario == scenario
    assert [row.to_dict() for row in decoded.scenario.demand.rows] == DEMAND


def test_a_long_demand_table_fits_under_its_own_cap():
    rows = [{"class": c, "region": f"乡镇{i:02d}", "min_ha": 1000.0 + i}
            for i in range(12) for c in ("cropland", "forest", "built")]
    params = state.scenario_to_params(load_preset("trend").with_demand(rows), "trend")
    assert 200 < len(params["demand.rows"]) <= state.max_length("demand.rows") == 4000
    assert state.too_long(params) == []
    assert len(state.params_to_scenario(params).scenario.demand.rows) == 36


@pytest.mark.parametrize("value", [
    "garbage", "{}", "[1, 2]", "null", '[{"class": "cropland"}]',
    '[{"class": "cropland", "min_ha": -5}]', '[{"class": "cropland", "min_pct": 5000}]',
    '[{"class": "cropland", "min_ha": 1, "max_ha": 0}]',
    '[{"class": "cropland", "min_ha": 1}, {"class": "cropland", "max_ha": 9}]',
    '[{"class": "cropland", "colour": "red", "min_ha": 1}]',
    "[" * 3000 + "]" * 3000,  # nested past Python's recursion limit
    '[{"class": "cropland", "min_ha": 1}]' + " " * 4000,  # over the demand cap
    "<script>alert(1)</script>",
])
def test_bad_demand_rows_fall_back_to_none_with_a_warning(value):
    decoded = state.params_to_scenario({"preset": "balanced", "demand.rows": value})
    assert decoded.scenario == load_preset("balanced")
    assert decoded.scenario.demand.rows == ()
    assert [kind for kind, _ in decoded.warnings] == ["bad_param"]
    details = decoded.warnings[0][1]
    assert details["key"] == "demand.rows" and len(details["value"]) <= 60 and details["reason"]


def test_other_keys_keep_the_short_cap():
    assert state.max_length("farmland.region_quota_pct") == state.MAX_VALUE_LENGTH == 200
    long_regions = '{"' + "镇" * 300 + '": 90}'
    decoded = state.params_to_scenario({"farmland.region_quota_pct": long_regions})
    assert "200" in decoded.warnings[0][1]["reason"]
    assert state.too_long({"farmland.region_quota_pct": long_regions, "store": "x" * 500}) == [
        "farmland.region_quota_pct"]
