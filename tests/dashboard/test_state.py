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
