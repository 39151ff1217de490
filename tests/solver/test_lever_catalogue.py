"""One declaration per lever (docs/DESIGN.md, "A rule carries its lever"): a lever's valid
range, widget and typical sweep range sit on its scenario field (``solver.scenario.lever_specs``)
and its name and label once in the wording catalogue (``wording.levers``); the lever panel,
the sweep and the area targets of the solver (explanations, suggestions) read them from there.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import wording
from data import sweep as sweeps
from data.landscape import load_landscape
from data.presets import PRESET_KEYS, load_preset
from solver.instance import build_instance
from solver.landscape import Landscape
from solver.scenario import Scenario, lever_specs
from solver.targets import AreaTarget
from wording import levers as lever_words

CJK = re.compile(r"[\u4e00-\u9fff]")
SPECS = {spec.key: spec for spec in lever_specs()}
WIDGET_KINDS = {"flag": {"toggle"}, "choice": {"choice"}, "number": {"slider", "number"}}
NUMERIC_WIDGETS = ("slider", "number")


# ----- every lever has its words ---------------------------------------------------------
@pytest.mark.parametrize("key", SPECS)
def test_every_lever_has_a_chinese_and_an_english_name_and_label(key):
    for zh, en in (lever_words.names(key), lever_words.labels(key)):
        assert CJK.search(zh), zh
        assert en.strip() and not CJK.search(en), en
    assert wording.TEXT[SPECS[key].label_key] == lever_words.labels(key)  # what t(key) shows


def test_the_catalogue_names_no_lever_the_scenario_lacks():
    from solver.periods import PERIOD_KEYS

    extra = set(lever_words.LEVERS) - set(SPECS)
    assert extra == {"periods.max_period_changed_pct"}
    assert "max_period_changed_pct" in PERIOD_KEYS


def test_a_per_region_lever_is_named_after_its_whole_area_lever():
    per_region = {key for key, spec in SPECS.items() if spec.kind == "per_region"}
    assert set(lever_words.PER_REGION) == per_region
    for key, whole in lever_words.PER_REGION.items():
        zh, en = lever_words.name(key, "zh", region="城关镇"), lever_words.name(key, "en",
                                                                              region="Chengguan")
        assert zh == "城关镇" + lever_words.name(whole, "zh")
        assert en == f"{lever_words.name(whole, 'en')} of Chengguan"
        assert lever_words.label(key, "zh").startswith("分乡镇" + lever_words.name(whole, "zh"))


def test_a_label_is_the_name_with_its_unit():
    assert lever_words.labels("farmland.quota_pct") == ("耕地保有量（占现状 %）",
                                                        "Farmland quota (% of current)")
    assert lever_words.names("farmland.quota_pct") == ("耕地保有量", "farmland quota")
    assert lever_words.labels("farmland.balance") == (
        "耕地占补平衡", "Cropland requisition–compensation balance")


# ----- ranges ----------------------------------------------------------------------------
@pytest.mark.parametrize("key", [k for k, s in SPECS.items() if s.widget is not None])
def test_a_widget_offers_a_range_inside_the_valid_range(key):
    spec, widget = SPECS[key], SPECS[key].widget
    assert widget.kind in WIDGET_KINDS.get(spec.kind, set()), (spec.kind, widget.kind)
    if widget.kind not in NUMERIC_WIDGETS:
        return
    assert spec.lo <= widget.lo < widget.hi
    assert spec.hi is None or widget.hi <= spec.hi
    assert 0 < widget.step <= widget.hi - widget.lo
    steps = (widget.hi - widget.lo) / widget.step
    assert abs(steps - round(steps)) < 1e-6, "the range is a whole number of steps"
    if spec.integer:
        assert all(isinstance(v, int) for v in (widget.lo, widget.hi, widget.step))


def test_levers_without_a_widget_are_the_scenario_file_only_ones():
    without = {key for key, spec in SPECS.items() if spec.widget is None}
    assert without == {
        "farmland.quota_ha", "farmland.region_quota_pct", "farmland.balance_quality_weighted",
        "growth.region_min_new_built_ha", "growth.region_max_new_built_ha",
        "conversion.water_fixed", "conversion.forbidden", "demand.rows", "solver.workers",
        "solver.target_gap_pct"}


@pytest.mark.parametrize("key", [k for k, s in SPECS.items() if s.sweep is not None])
def test_a_sweep_range_lies_inside_the_widget_range(key):
    spec = SPECS[key]
    assert spec.kind == "number" and not key.startswith("solver.")
    assert spec.widget is not None and spec.widget.kind in NUMERIC_WIDGETS
    if spec.sweep.typical is None:
        return
    lo, hi = spec.sweep.typical
    assert spec.widget.lo <= lo < hi <= spec.widget.hi
    assert sweeps.default_range(load_preset("balanced"), spec) == (lo, hi)


def test_the_sweep_steps_exactly_the_levers_that_declare_a_sweep():
    assert [s.key for s in sweeps.numeric_levers()] == [
        "farmland.quota_pct", "ecology.min_ecological_pct", "growth.min_new_built_ha",
        "growth.expansion_cap", "conversion.max_changed_pct", "weights.suitability",
        "weights.ecology", "weights.food", "weights.carbon", "weights.compactness",
        "weights.conversion_cost"]


# ----- the solver's area targets carry the catalogue's names -----------------------------
def _expected_names(land: Landscape, target: AreaTarget) -> tuple[str, str]:
    key = target.lever.key
    if key is None:  # a demand row: "demand.<class>[@<region>]"
        cls, _, region = target.key.removeprefix("demand.").partition("@")
        c = land.class_lookup(cls)
        return (lever_words.demand_name("zh", land.class_names_zh[c], region),
                lever_words.demand_name("en", land.class_names_en[c],
                                        land.region_label(region, "en") if region else ""))
    if lever_words.known(key):
        return lever_words.names(key)
    base, region = key.rsplit(".", 1)
    return (lever_words.name(base, "zh", region=region),
            lever_words.name(base, "en", region=land.region_label(region, "en")))


def _lever_key(target: AreaTarget) -> str:
    key = target.lever.key
    return "demand.rows" if key is None else key if lever_words.known(key) else key.rsplit(".", 1)[0]


def _with_every_area_lever(scenario: Scenario, land: Landscape) -> Scenario:
    """``scenario`` plus per-region levers, an absolute quota, a growth cap and demand rows."""
    first, second = land.region_names[:2]
    return (scenario.with_value("farmland.quota_ha", 1.0)
            .with_value("farmland.region_quota_pct", {first: 50.0})
            .with_value("growth.max_new_built_ha", 1e5)
            .with_value("growth.region_min_new_built_ha", {second: 1.0})
            .with_value("growth.region_max_new_built_ha", {first: 1e5})
            .with_demand([{"class": "forest", "min_pct": 50.0},
                          {"class": "cropland", "region": second, "max_pct": 150.0}]))


@pytest.fixture(scope="module")
def demo_land(small_demo_store: Path) -> Landscape:
    return load_landscape(small_demo_store)


def test_every_area_target_carries_the_catalogue_name_of_its_lever(demo_land):
    scenarios = [load_preset(key) for key in PRESET_KEYS]
    scenarios += [_with_every_area_lever(s, demo_land) for s in scenarios]
    seen = set()
    for scenario in scenarios:
        for target in build_instance(demo_land, scenario).targets:
            assert (target.lever.label_zh, target.lever.label_en) == \
                _expected_names(demo_land, target), (scenario.name, target.key)
            seen.add(_lever_key(target))
    assert seen == {"farmland.quota_pct", "farmland.quota_ha", "farmland.region_quota_pct",
                    "ecology.min_ecological_pct", "growth.min_new_built_ha",
                    "growth.max_new_built_ha", "growth.region_min_new_built_ha",
                    "growth.region_max_new_built_ha", "growth.expansion_cap", "demand.rows"}


# ----- the lever panel draws exactly the declared widgets --------------------------------
def _lever_panel() -> None:
    import streamlit as st

    from dashboard.components import widgets
    from data.presets import load_preset
    from wording import translate

    if widgets.BASE_KEY not in st.session_state:
        widgets.set_widgets(load_preset("balanced"), "balanced")
    widgets.lever_panel(lambda key, **values: translate(key, "zh", **values), "zh",
                        disabled=False, learned={"start_year": 2003, "end_year": 2005})


def _drawn(at: AppTest) -> dict[str, tuple]:
    """Lever key → (kind, lo, hi, step, label) of every lever widget on the panel."""
    drawn = {}
    for kind, elements in (("slider", at.slider), ("number", at.number_input),
                           ("toggle", at.toggle), ("choice", at.selectbox)):
        for e in elements:
            if e.key.startswith("lv:") and e.key != "lv:preset":
                ranged = kind in NUMERIC_WIDGETS
                drawn[e.key.removeprefix("lv:")] = (
                    kind, *((float(e.min), float(e.max), float(e.step)) if ranged else ()),
                    e.label)
    return drawn


def test_the_lever_panel_draws_exactly_the_declared_widgets_with_the_catalogue_labels():
    at = AppTest.from_function(_lever_panel, default_timeout=60).run()
    assert not at.exception
    declared = {}
    for key, spec in SPECS.items():
        w = spec.widget
        if w is None:
            continue
        ranged = w.kind in NUMERIC_WIDGETS
        declared[key] = (w.kind, *((float(w.lo), float(w.hi), float(w.step)) if ranged else ()),
                         lever_words.label(key, "zh"))
    assert _drawn(at) == declared
