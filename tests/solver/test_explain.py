"""Infeasibility explanations: conflicting levers with numbers, and a working relaxation."""

from __future__ import annotations

import time

import pytest
from conftest import make_landscape, scenario, with_town
from helpers import feasible, solve_checked

from solver import Status
from solver.explain import explain_infeasibility, relaxed_scenario
from solver.synthetic import grid_landscape


def test_growth_target_above_room_names_the_lever_and_the_room() -> None:
    land = with_town(["cropland", "cropland", "forest"], boundary=[0])
    s = scenario(growth={"min_new_built_ha": 2.0})
    exp = explain_infeasibility(land, s, time_limit_s=5)
    keys = {sug.key: sug for sug in exp.suggestions}
    assert "growth.min_new_built_ha" in keys
    sug = keys["growth.min_new_built_ha"]
    assert sug.current == 2.0 and sug.suggested == pytest.approx(1.0) and sug.shortfall == 1.0
    assert "新增建设用地" in exp.message_zh and "construction land" in exp.message_en
    assert "当前 2.0 公顷" in exp.message_zh and " ha" not in exp.message_zh  # one unit per language
    assert exp.context["buildable_ha"] == 1.0


def test_quota_against_growth_reports_both_and_relaxation_is_feasible() -> None:
    land = with_town(["cropland"] * 4, boundary=[0, 1, 2, 3])
    s = scenario(farmland={"quota_pct": 100.0}, growth={"min_new_built_ha": 2.0})
    r = solve_checked(land, s)
    assert r.status == Status.INFEASIBLE and r.explanation is not None
    keys = {sug.key for sug in r.explanation.suggestions}
    assert keys & {"farmland.quota_pct", "growth.min_new_built_ha"}
    fixed = relaxed_scenario(s, r.explanation)
    assert feasible(solve_checked(land, fixed))


def test_each_conflicting_lever_alone_value_is_feasible() -> None:
    land = with_town(["cropland"] * 4, boundary=[0, 1, 2, 3])
    s = scenario(farmland={"quota_pct": 100.0}, growth={"min_new_built_ha": 2.0},
                 conversion={"max_changed_pct": 10.0})
    exp = explain_infeasibility(land, s, time_limit_s=5)
    assert exp.suggestions
    for sug in exp.suggestions:
        if sug.alone_value is not None:
            assert feasible(solve_checked(land, s.with_value(sug.key, sug.alone_value)))
    for alt in exp.alternatives:
        assert feasible(solve_checked(land, s.with_value(alt.key, alt.suggested)))


def test_balance_conflict_suggests_switching_it_off() -> None:
    land = with_town(["cropland", "forest"], boundary=[0], red=[1])
    s = scenario(farmland={"balance": True}, growth={"min_new_built_ha": 1.0})
    exp = explain_infeasibility(land, s, time_limit_s=5)
    assert exp.suggestions and feasible(solve_checked(land, relaxed_scenario(s, exp)))
    assert exp.to_dict()["suggestions"][0]["key"] in ("farmland.balance",
                                                      "growth.min_new_built_ha")


def test_regional_quota_conflict_uses_region_key() -> None:
    land = make_landscape(["cropland", "forest", "cropland"], regions=[0, 0, 1], red=[1])
    s = scenario(farmland={"region_quota_pct": {"R0": 150.0}})
    exp = explain_infeasibility(land, s, time_limit_s=5)
    assert [x.key for x in exp.suggestions] == ["farmland.region_quota_pct.R0"]
    assert exp.suggestions[0].suggested == pytest.approx(100.0)
    assert feasible(solve_checked(land, relaxed_scenario(s, exp)))


def test_synthetic_county_growth_conflict_is_explained_and_fixed() -> None:
    land = grid_landscape(12, 15, seed=5)
    s = scenario(farmland={"quota_pct": 100.0, "balance": True},
                 growth={"min_new_built_ha": 400.0, "expansion_cap": 1.3},
                 conversion={"max_changed_pct": 15.0})
    r = solve_checked(land, s)
    assert r.status == Status.INFEASIBLE
    assert feasible(solve_checked(land, relaxed_scenario(s, r.explanation)))


@pytest.mark.parametrize("seed", [3, 7])
def test_elastic_flow_over_merged_identical_cells_gives_the_same_slacks(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # on a grid the elastic flow merges cells with identical arcs into one source node; the
    # least violation of every lever must be the one of the flow over single cells
    import numpy as np

    from solver import flow
    from solver.exact import elastic_with_prices
    from solver.explain import _side_slacks
    from solver.instance import build_instance

    land = grid_landscape(40, 50, seed=seed)
    s = scenario(farmland={"quota_pct": 100.0, "balance": True},
                 growth={"min_new_built_ha": 3000.0, "expansion_cap": 1.3},
                 conversion={"max_changed_pct": 15.0})
    inst = build_instance(land, s)
    mutable = np.flatnonzero(inst.mutable)
    cells = flow._cell_ids(inst, inst.mutable)[0][mutable]
    zero = np.zeros((mutable.size, land.n_classes), np.int64)
    groups = flow._Groups.of(cells, zero, inst.area[mutable])
    assert groups is not None and groups.first.size * 20 < mutable.size  # merging pays here
    slacks = {}
    for gain in (1, 10**9):  # merged, then single cells
        monkeypatch.setattr(flow, "GROUP_GAIN", gain)
        status, a = elastic_with_prices(inst, None, time.monotonic() + 30)
        assert status == "found" and inst.allowed[np.arange(a.size), a].all()
        slacks[gain] = {k: v for k, v in _side_slacks(inst, a).items() if v > 0}
    assert slacks[1] and slacks[1] == slacks[10**9]
