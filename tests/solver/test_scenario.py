"""Scenario: dict/TOML round trip, validation messages, presets."""

from __future__ import annotations

import pytest

from data.presets import PRESET_KEYS, list_presets, load_preset, preset_path
from solver.scenario import Scenario, ScenarioError, documented_keys


def test_defaults_round_trip_through_dict_and_toml() -> None:
    s = Scenario()
    assert Scenario.from_dict(s.to_dict()) == s
    assert Scenario.from_toml(s.to_toml()) == s


def test_full_scenario_round_trips_with_region_dicts_and_pairs() -> None:
    data = {"name": "x", "farmland": {"quota_ha": 5000.0, "region_quota_pct": {"镇1": 90.0}},
            "growth": {"region_min_new_built_ha": {"镇2": 10.0}, "max_new_built_ha": 50.0},
            "conversion": {"forbidden": [["forest", "built"]]}, "solver": {"workers": 1}}
    s = Scenario.from_dict(data)
    assert Scenario.from_toml(s.to_toml()) == s
    assert s.to_dict()["farmland"]["region_quota_pct"] == {"镇1": 90.0}
    assert hash(s) == hash(Scenario.from_dict(s.to_dict()))


def test_values_are_url_friendly() -> None:
    for section in Scenario().to_dict().values():
        if isinstance(section, dict):
            for value in section.values():
                assert isinstance(value, bool | int | float | str | dict | list)


@pytest.mark.parametrize(("data", "needles"), [
    ({"farmland": {"quota_pct": 250}}, ["farmland.quota_pct", "250", "0.0 .. 200.0"]),
    ({"farmland": {"quota_pct": "high"}}, ["farmland.quota_pct", "must be a number"]),
    ({"farmland": {"quta_pct": 90}}, ["quta_pct", "known keys", "quota_pct"]),
    ({"ecology": {"red_line_mode": "strict"}}, ["red_line_mode", "locked", "ecological_only"]),
    ({"solver": {"time_limit_s": 0.1}}, ["solver.time_limit_s", "1.0 .. 600.0"]),
    ({"solver": {"workers": 1.5}}, ["solver.workers", "integer"]),
    ({"growth": {"min_new_built_ha": 10, "max_new_built_ha": 5}}, ["max_new_built_ha", "min"]),
    ({"conversion": {"forbidden": [["forest", "city"]]}}, ["forbidden", "cropland"]),
    ({"farmland": {"balance": "yes"}}, ["farmland.balance", "true or false"]),
    ({"weights": {"food": -1}}, ["weights.food", "out of range"]),
    ({"colour": "red"}, ["colour", "known keys", "farmland"]),
])
def test_validation_errors_name_key_value_and_range(data: dict, needles: list[str]) -> None:
    with pytest.raises(ScenarioError) as err:
        Scenario.from_dict(data)
    for needle in needles:
        assert needle in str(err.value)


def test_scenario_error_is_a_value_error() -> None:
    assert issubclass(ScenarioError, ValueError)


def test_with_value_replaces_one_key_and_validates() -> None:
    s = Scenario().with_value("farmland.quota_pct", 95.0)
    assert s.farmland.quota_pct == 95.0
    assert Scenario().with_value("growth.region_min_new_built_ha.镇1", 3.0).growth \
        .region_min_new_built_ha == (("镇1", 3.0),)
    with pytest.raises(ScenarioError):
        Scenario().with_value("farmland.quota_pct", -1)


def test_toml_syntax_error_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError, match="cannot be parsed"):
        Scenario.from_toml("[farmland\nquota_pct = 1\n")


def test_every_key_is_documented() -> None:
    for row in documented_keys():
        assert row["doc"] and row["unit"], row["key"]


@pytest.mark.parametrize("key", PRESET_KEYS)
def test_presets_load_and_round_trip(key: str) -> None:
    s = load_preset(key)
    assert s.name == key and s.name_zh and s.name_en
    assert Scenario.from_toml(s.to_toml()) == s


@pytest.mark.parametrize("key", PRESET_KEYS)
def test_preset_files_comment_every_key(key: str) -> None:
    lines = preset_path(key).read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.startswith(("#", "name", "description")):
            assert lines[i - 1].startswith("#") or "#" in line, line


def test_list_presets_has_both_languages() -> None:
    names = {p["key"]: (p["name_zh"], p["name_en"]) for p in list_presets()}
    assert names["farmland"][0] == "耕地保护" and names["balanced"][0] == "协调发展"
    with pytest.raises(ScenarioError, match="known presets"):
        preset_path("nope")
