"""The one-click fixes of an impossible scenario land on a feasible, minimal change
(issue 15, item 3): on the demo county, 协调发展 with 耕地保有量 102 % is impossible; each
offered fix makes it feasible, and stopping a quarter of the way short of it does not.
"""

from __future__ import annotations

import pytest

from data.landscape import load_landscape
from data.presets import load_preset
from solver.explain import apply_suggestion, relaxed_scenario, single_lever_fixes
from solver.result import Status
from tests.solver.helpers import solve_checked


@pytest.fixture(scope="module")
def impossible(demo_store):
    land = load_landscape(demo_store)
    scenario = (load_preset("balanced").with_value("farmland.quota_pct", 102.0)
                .with_value("weights.compactness", 0.0))  # feasibility does not depend on it
    result = solve_checked(land, scenario)
    assert result.status == Status.INFEASIBLE
    return land, scenario, result.explanation


def test_the_quota_is_named_and_fixes_are_offered(impossible):
    _, _, explanation = impossible
    keys = {s.key for s in explanation.suggestions}
    assert "farmland.quota_pct" in keys
    fixes = single_lever_fixes(explanation)
    assert "farmland.quota_pct" in {f.key for f in fixes}
    assert explanation.can_apply


def test_the_joint_relaxation_is_feasible(impossible):
    land, scenario, explanation = impossible
    assert solve_checked(land, relaxed_scenario(scenario, explanation)).has_solution


def test_each_single_lever_fix_is_feasible_and_minimal(impossible):
    land, scenario, explanation = impossible
    for fix in single_lever_fixes(explanation):
        assert solve_checked(land, apply_suggestion(scenario, fix)).has_solution, fix
        if isinstance(fix.suggested, bool):
            continue
        short = fix.suggested + 0.25 * (fix.current - fix.suggested)
        still = solve_checked(land, scenario.with_value(fix.key, short))
        assert still.status == Status.INFEASIBLE, (fix.key, fix.current, fix.suggested, short)


@pytest.mark.wuhan
def test_a_store_without_urban_boundary_offers_switching_the_boundary_rule_off(tmp_path):
    """Wuhan's land-cover raster has no 城镇开发边界: with "only inside the boundary" on, no
    cell may become construction land and every growth target conflicts. Besides giving up
    the growth, the fix of switching the rule off is offered, and it solves."""
    from data.importers.raster import import_raster
    from tests.conftest import require_wuhan
    from tests.data.test_wuhan_grid_roundtrip import lean_mapping

    wuhan = require_wuhan()
    store = import_raster(wuhan / "LULCs" / "wh2010_refy.tif", tmp_path / "w.duckdb",
                          lean_mapping(tmp_path), 1000, no_change=wuhan / "WaterWuhan.tif").db_path
    land = load_landscape(store)
    scenario = load_preset("farmland").with_value("weights.compactness", 0.0)
    assert scenario.growth.only_inside_boundary and scenario.growth.min_new_built_ha > 0
    result = solve_checked(land, scenario)
    assert result.status == Status.INFEASIBLE
    fixes = {f.key: f for f in single_lever_fixes(result.explanation)}
    rule = fixes["growth.only_inside_boundary"]
    assert (rule.current, rule.suggested) == (True, False)
    assert "新增建设仅限城镇开发边界内" in result.explanation.message_zh
    fixed = solve_checked(land, apply_suggestion(scenario, rule))
    assert fixed.has_solution
    assert fixed.area_by_class_ha["after"]  # and it builds: the growth target is met
    assert all(t["met"] for t in fixed.targets if t["key"] == "growth.min_new_built_ha")
