"""Planning periods (开发时序): scenario round trip, joint model, validator, explanations."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import K, make_landscape, with_town

from solver import Status, solve
from solver.orchestrate import solve_periods
from solver.period_explain import explain_periods, relaxed_period_scenario
from solver.period_validate import (
    check_periods,
    period_objective_tolerance,
    period_objective_value,
)
from solver.periods import PeriodScenario, ScenarioError
from solver.synthetic import grid_landscape
from solver.validate import check_allocation

BASE: dict[str, Any] = {"farmland": {"balance": False, "quota_pct": 0.0},
                        "conversion": {"max_changed_pct": 100.0},
                        "growth": {"expansion_cap": 5.0},
                        "solver": {"time_limit_s": 3.0, "target_gap_pct": 0.0}}


def phased(*periods: dict, **sections: dict) -> PeriodScenario:
    """A period scenario: BASE levers (+ section overrides) and one dict per period."""
    data = {k: dict(v) for k, v in BASE.items()}
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    years = (2030, 2035, 2040)
    data["periods"] = [{"name": f"P{years[i]}", "year": years[i], **p}
                       for i, p in enumerate(periods)]
    return PeriodScenario.from_dict(data)


def solve_checked(land, ps: PeriodScenario, **kwargs):
    """Solve; with a solution, the period validator finds nothing and the objective agrees."""
    r = solve_periods(land, ps, **kwargs)
    if r.status in (Status.OPTIMAL, Status.FEASIBLE):
        assert r.assignment.shape == (land.n_parcels, ps.n_periods)
        assert check_periods(land, ps, r.assignment) == []
        value = period_objective_value(land, ps, r.assignment)
        assert abs(value - r.objective) <= period_objective_tolerance(land, ps)
        assert r.best_bound is not None and r.best_bound >= r.objective - 1e-6
    else:
        assert r.assignment is None
    return r


# ----- scenario ---------------------------------------------------------------------------
def test_toml_round_trip_keeps_periods_overrides_and_caps() -> None:
    ps = phased({"max_period_changed_pct": 5.0, "weight": 0.5,
                 "growth": {"min_new_built_ha": 1.0, "region_min_new_built_ha": {"城关镇": 0.5}}},
                {"growth": {"min_new_built_ha": 2.0}, "farmland": {"quota_pct": 90.0}})
    again = PeriodScenario.from_toml(ps.to_toml())
    assert again == ps and again.to_dict() == ps.to_dict()
    assert ps.scenario(0).growth.region_min_new_built_ha == (("城关镇", 0.5),)
    assert ps.scenario(1).farmland.quota_pct == 90.0 and ps.scenario(0).farmland.quota_pct == 0.0
    assert hash(again) == hash(ps)


@pytest.mark.parametrize("bad, fragment", [
    ({"periods": []}, "'periods'"),
    ({"periods": [{"name": "a", "year": 2035}, {"name": "b", "year": 2030}]}, "increase"),
    ({"periods": [{"name": "a", "year": 2030, "solver": {"workers": 1}}]}, "unknown key"),
    ({"periods": [{"name": "a", "year": 2030, "growth": {"expansion_cap": 9.0}}]}, "'a' (2030)"),
    ({"periods": [{"name": "a", "year": 2030, "max_period_changed_pct": -1}]}, "0.0..100.0"),
    ({"periods": [{"name": "a", "year": 2030}, {"name": "a", "year": 2035}]}, "unique"),
])
def test_invalid_period_scenarios_name_the_problem(bad: dict, fragment: str) -> None:
    with pytest.raises(ScenarioError, match=None) as err:
        PeriodScenario.from_dict({**BASE, **bad})
    assert fragment in str(err.value)


# ----- validator --------------------------------------------------------------------------
def _two_period_land():
    return with_town(["cropland", "cropland", "forest"], regions=[0, 0, 1, 1])


def test_validator_flags_built_land_that_reverts() -> None:
    land = _two_period_land()
    ps = phased({}, {})
    a = np.column_stack([land.current, land.current])
    a[0, 0] = K["built"]  # built by 2030, cropland again in 2035
    viol = check_periods(land, ps, a)
    assert [(v.period, v.rule, v.parcels) for v in viol] == [
        ("P2035", "period.monotone_built", (0,))]
    ok = phased({}, {"conversion": {"allow_reclamation": True}})
    assert check_periods(land, ok, a) == []


def test_validator_flags_period_target_and_regional_bound() -> None:
    land = _two_period_land()
    ps = phased({"growth": {"min_new_built_ha": 1.0, "region_max_new_built_ha": {"R1": 0.0}}},
                {"growth": {"min_new_built_ha": 2.0}})
    a = np.column_stack([land.current, land.current])
    a[2, :] = K["built"]  # R1's forest built in both periods, nothing in R0
    viol = {(v.period, v.rule, v.region) for v in check_periods(land, ps, a)}
    assert viol == {("P2030", "growth.region_max_new_built_ha.R1", "R1"),
                    ("P2035", "growth.min_new_built_ha", None)}


def test_validator_flags_period_conversion_cap() -> None:
    land = _two_period_land()
    ps = phased({"max_period_changed_pct": 30.0}, {"max_period_changed_pct": 30.0})
    a = np.column_stack([land.current, land.current])
    a[[0, 1], 1] = K["forest"]  # 2 of 4 ha change in the second period (cap 1.2 ha)
    viol = check_periods(land, ps, a)
    assert [(v.period, v.rule) for v in viol] == [("P2035", "period.max_period_changed_pct")]


def test_validator_rejects_wrong_shape() -> None:
    land = _two_period_land()
    assert check_periods(land, phased({}, {}), land.current)[0].rule == "assignment"


# ----- joint model ------------------------------------------------------------------------
def test_built_land_stays_built_unless_reclamation_is_allowed() -> None:
    # 2030 needs 1 ha of construction; afterwards parcel 0 is better as forest
    land = with_town(["cropland"], suit={"built": [0, 50], "forest": [100, 50]})
    ps = phased({"growth": {"min_new_built_ha": 1.0}}, {})
    r = solve_checked(land, ps)
    assert r.status == Status.OPTIMAL
    assert list(r.assignment[0]) == [K["built"], K["built"]]
    assert list(r.period_of_change) == [0, -1]
    free = phased({"growth": {"min_new_built_ha": 1.0}},
                  {"conversion": {"allow_reclamation": True}})
    r2 = solve_checked(land, free)
    assert list(r2.assignment[0]) == [K["built"], K["forest"]]
    assert r2.objective > r.objective


def test_period_cap_phases_the_growth_and_targets_are_cumulative() -> None:
    # 4 ha of growth by 2035, at most 2 of 5 ha may change per period
    land = with_town(["cropland"] * 4, suit={"built": [90, 80, 70, 60, 50]})
    ps = phased({"max_period_changed_pct": 40.0, "growth": {"min_new_built_ha": 1.0}},
                {"max_period_changed_pct": 40.0, "growth": {"min_new_built_ha": 4.0}})
    r = solve_checked(land, ps)
    assert r.status == Status.OPTIMAL
    built = (r.assignment == K["built"]).sum(axis=0) - 1
    assert list(built) == [2, 4] and r.changed_in_period_ha == (2.0, 2.0)


def test_three_periods_with_regional_bounds_on_a_grid() -> None:
    land = grid_landscape(12, 15, seed=3)
    ps = phased({"growth": {"min_new_built_ha": 10.0, "region_min_new_built_ha": {"镇1": 3.0},
                            "region_max_new_built_ha": {"镇2": 0.0}}},
                {"growth": {"min_new_built_ha": 20.0, "region_min_new_built_ha": {"镇1": 6.0}},
                 "max_period_changed_pct": 4.0},
                {"growth": {"min_new_built_ha": 25.0}},
                farmland={"quota_pct": 98.0}, solver={"time_limit_s": 10.0,
                                                       "target_gap_pct": 1.0})
    r = solve_checked(land, ps)
    assert r.status in (Status.OPTIMAL, Status.FEASIBLE) and r.gap <= 0.01 + 1e-9
    built, reg = land.class_index("built"), land.region
    new = (r.assignment == built) & (land.current != built)[:, None]
    per_region = [land.area_ha[new[:, t] & (reg == 0)].sum() for t in range(3)]
    assert per_region[0] >= 3.0 - 1e-6 and per_region[1] >= 6.0 - 1e-6
    assert land.area_ha[new[:, 0] & (reg == 1)].sum() == 0.0
    assert np.all(new[:, :-1] <= new[:, 1:])  # monotone
    assert len(r.period_terms) == 3 and set(r.area_by_period_region_class_ha[2]["after"]) == set(
        land.region_names)
    assert r.to_summary_dict()["periods"][2]["year"] == 2040


def test_one_period_equals_the_single_period_model() -> None:
    land = grid_landscape(8, 10, seed=4)
    s_data = {**BASE, "growth": {"expansion_cap": 5.0, "min_new_built_ha": 5.0}}
    ps = PeriodScenario.from_dict({**s_data, "periods": [{"name": "2035", "year": 2035}]})
    single = solve(land, ps.scenario(0))
    joint = solve_checked(land, ps, hint=single)
    assert single.status == joint.status == Status.OPTIMAL
    assert joint.objective == pytest.approx(single.objective, abs=1e-6)
    assert check_allocation(land, ps.scenario(0), joint.assignment[:, 0]) == []


def test_identical_periods_double_the_single_objective() -> None:
    land = grid_landscape(8, 10, seed=4)
    ps = phased({"growth": {"min_new_built_ha": 5.0}}, {"growth": {"min_new_built_ha": 5.0}})
    single = solve(land, ps.scenario(1))
    joint = solve_checked(land, ps)
    assert joint.objective == pytest.approx(2 * single.objective, abs=1e-5)


# ----- infeasibility ----------------------------------------------------------------------
def test_region_growth_above_its_buildable_land_names_period_and_region() -> None:
    # R1 has one buildable hectare; its 2030 target is 2 ha; the county target for 2035 is fine
    land = make_landscape(["cropland"] * 4 + ["built"], regions=[0, 0, 1, 1, 0],
                          boundary=[0, 1, 2], no_conv=[4])
    ps = phased({"growth": {"region_min_new_built_ha": {"R1": 2.0}}},
                {"growth": {"min_new_built_ha": 2.0}})
    r = solve_checked(land, ps)
    assert r.status == Status.INFEASIBLE and r.explanation is not None
    exp = r.explanation
    assert exp.periods == ("P2030",) and exp.regions == ("R1",)
    s = exp.suggestions[0]
    assert s.suggestion.key == "growth.region_min_new_built_ha.R1" and s.room_ha == 1.0
    assert s.suggestion.suggested == pytest.approx(1.0) and s.suggestion.shortfall == 1.0
    assert "2030年（P2030）" in exp.message_zh and "R1新增建设用地下限" in exp.message_zh
    assert "2030 (P2030)" in exp.message_en and "of R1" in exp.message_en
    assert exp.to_dict()["suggestions"][0]["region"] == "R1"
    assert all(s.suggestion.verified for s in exp.suggestions)  # re-solved before shown
    fixed = relaxed_period_scenario(ps, exp)
    assert solve_checked(land, fixed).status == Status.OPTIMAL


def test_period_cap_conflict_names_a_period_and_the_cap() -> None:
    # 3 ha of growth by 2035 but only 1 ha may change per period (20 % of 5 ha)
    land = with_town(["cropland"] * 4)
    ps = phased({"max_period_changed_pct": 20.0, "growth": {"min_new_built_ha": 1.0}},
                {"max_period_changed_pct": 20.0, "growth": {"min_new_built_ha": 3.0}})
    exp = explain_periods(land, ps, time_limit_s=5)
    assert exp.determined and set(exp.periods) <= {"P2030", "P2035"}
    keys = {s.suggestion.key for s in exp.suggestions}
    assert keys & {"period.max_period_changed_pct", "growth.min_new_built_ha"}
    assert "规划期" in exp.message_zh
    assert all(s.suggestion.verified for s in exp.suggestions)
    assert solve_checked(land, relaxed_period_scenario(ps, exp)).status == Status.OPTIMAL


def test_shrinking_growth_limit_after_earlier_growth_is_explained() -> None:
    # 2030 requires 2 ha of construction, 2035 allows at most 1 ha: built land cannot revert
    land = with_town(["cropland"] * 3)
    ps = phased({"growth": {"min_new_built_ha": 2.0}}, {"growth": {"max_new_built_ha": 1.0}})
    r = solve_checked(land, ps)
    assert r.status == Status.INFEASIBLE
    assert r.explanation.suggestions and r.explanation.determined
    assert all(s.suggestion.verified for s in r.explanation.suggestions)
    assert solve_checked(land, relaxed_period_scenario(ps, r.explanation)).status in (
        Status.OPTIMAL, Status.FEASIBLE)


def test_relaxed_joint_lp_is_a_weaker_bound_with_the_same_variables() -> None:
    from solver.period_model import PeriodModel, build_period_model

    land = grid_landscape(8, 10, seed=4)
    ps = phased({"growth": {"min_new_built_ha": 5.0}}, {"growth": {"min_new_built_ha": 8.0}},
                weights={"compactness": 2.0})
    full = build_period_model(land, ps)
    relaxed = PeriodModel(full.instances, ps, relaxed=True)
    assert relaxed.n_variables == full.n_variables and relaxed.n_constraints < full.n_constraints
    lp_full, lp_relaxed = full.solve_lp(10.0), relaxed.solve_lp(10.0)
    assert lp_relaxed.bound_units >= lp_full.bound_units
    r = solve_checked(land, ps)
    assert r.best_bound <= lp_full.bound_units / 1e6 + 1e-6


def test_summary_is_json_and_progress_ends_with_done() -> None:
    import json

    from solver.period_model import period_hint

    land = with_town(["cropland", "cropland"], suit={"built": [90, 10, 50]})
    ps = phased({"growth": {"min_new_built_ha": 1.0}}, {"growth": {"min_new_built_ha": 2.0}})
    events = []
    r = solve_checked(land, ps, on_progress=events.append, hint=land.current)
    assert events[-1].phase == "done" and events[-1].incumbent == r.objective
    for i, first in enumerate(r.period_of_change):  # first period that differs from base
        differs = [t for t in range(2) if r.assignment[i, t] != land.current[i]]
        assert first == (differs[0] if differs else -1)
    assert r.period_of_change[2] == -1 and (r.assignment[:, 1] == K["built"]).sum() == 3
    summary = json.loads(json.dumps(r.to_summary_dict(), ensure_ascii=False))
    assert summary["changed_in_period_ha"] == list(r.changed_in_period_ha)
    assert summary["changed_in_period_ha"][0] == float((r.assignment[:, 0] != land.current).sum())
    assert len(summary["periods"]) == 2 and summary["status"] == "OPTIMAL"
    assert period_hint(land, 2, r.assignment).shape == (3, 2)
    assert (period_hint(land, 2, None) == land.current[:, None]).all()
