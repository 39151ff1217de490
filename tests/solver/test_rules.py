"""Per-rule micro-models: each rule with a feasible and an infeasible tiny instance."""

from __future__ import annotations

import pytest
from conftest import make_landscape, scenario, with_town
from helpers import feasible, solve_checked, uses

from solver.result import Status


def test_quota_forces_new_cropland_when_feasible() -> None:
    land = make_landscape(["cropland"] * 3 + ["forest"])
    r = solve_checked(land, scenario(farmland={"quota_pct": 130.0}))
    assert feasible(r) and uses(land, r).count("cropland") == 4


def test_quota_above_total_area_is_infeasible() -> None:
    land = make_landscape(["cropland"] * 3 + ["forest"])
    assert solve_checked(land, scenario(farmland={"quota_pct": 140.0})).status == \
        Status.INFEASIBLE


def test_absolute_quota_overrides_pct() -> None:
    land = make_landscape(["cropland", "forest", "forest"])
    r = solve_checked(land, scenario(farmland={"quota_pct": 0.0, "quota_ha": 2.0}))
    assert feasible(r) and uses(land, r).count("cropland") >= 2
    assert solve_checked(land, scenario(farmland={"quota_ha": 3.5})).status == Status.INFEASIBLE


def test_region_quota_binds_per_region() -> None:
    land = make_landscape(["cropland", "forest", "cropland", "cropland"], regions=[0, 0, 1, 1],
                          red=[2, 3])
    ok = solve_checked(land, scenario(farmland={"region_quota_pct": {"R0": 200.0}}))
    assert feasible(ok) and uses(land, ok)[:2] == ["cropland", "cropland"]
    bad = solve_checked(land, scenario(farmland={"region_quota_pct": {"R1": 150.0}}))
    assert bad.status == Status.INFEASIBLE


def test_balance_needs_compensation() -> None:
    # parcel 0 cropland must become built (growth); parcel 1 forest can be reclaimed as cropland
    land = with_town(["cropland", "forest"], boundary=[0])
    ok = solve_checked(land, scenario(farmland={"balance": True},
                                      growth={"min_new_built_ha": 1.0}))
    assert feasible(ok) and uses(land, ok)[:2] == ["built", "cropland"]
    locked = with_town(["cropland", "forest"], boundary=[0], red=[1])
    bad = solve_checked(locked, scenario(farmland={"balance": True},
                                         growth={"min_new_built_ha": 1.0}))
    assert bad.status == Status.INFEASIBLE


def test_quality_weighted_balance_counts_grain() -> None:
    land = with_town(["cropland", "forest", "forest"], boundary=[0], area=[1.0, 0.5, 0.4])
    s = scenario(farmland={"balance": True, "balance_quality_weighted": True},
                 growth={"min_new_built_ha": 1.0})
    assert solve_checked(land, s).status == Status.INFEASIBLE  # 0.9 ha of equal grain < 1 ha
    s_ok = s.with_value("farmland.balance_quality_weighted", False).with_value(
        "farmland.balance", False)
    assert feasible(solve_checked(land, s_ok))


def test_ecological_minimum() -> None:
    land = make_landscape(["forest", "cropland"])
    ok = solve_checked(land, scenario(ecology={"min_ecological_pct": 200.0}))
    assert feasible(ok) and uses(land, ok)[1] in ("grassland", "forest")
    bad = solve_checked(make_landscape(["forest", "cropland"], no_conv=[1]),
                        scenario(ecology={"min_ecological_pct": 150.0}))
    assert bad.status == Status.INFEASIBLE


def test_growth_minimum_and_boundary() -> None:
    land = with_town(["cropland", "cropland"], boundary=[1, 2])
    ok = solve_checked(land, scenario(growth={"min_new_built_ha": 1.0}))
    assert feasible(ok) and uses(land, ok)[1] == "built" and uses(land, ok)[0] != "built"
    bad = solve_checked(land, scenario(growth={"min_new_built_ha": 2.0}))
    assert bad.status == Status.INFEASIBLE


def test_growth_maximum_caps_new_built() -> None:
    land = with_town(["cropland"] * 3, suit={"built": [100.0] * 4, "cropland": [0.0] * 4})
    r = solve_checked(land, scenario(growth={"max_new_built_ha": 1.0},
                                     weights={"conversion_cost": 0.0}))
    assert feasible(r) and uses(land, r)[:3].count("built") <= 1
    bad = solve_checked(land, scenario(growth={"max_new_built_ha": 1.0,
                                               "region_min_new_built_ha": {"R0": 2.0}}))
    assert bad.status == Status.INFEASIBLE


def test_region_growth_limits() -> None:
    land = with_town(["cropland"] * 4, regions=[0, 0, 1, 1, 1])
    r = solve_checked(land, scenario(growth={"region_min_new_built_ha": {"R1": 2.0},
                                             "region_max_new_built_ha": {"R0": 0.0}}))
    assert feasible(r) and uses(land, r)[2:4] == ["built", "built"]
    assert "built" not in uses(land, r)[:2]


def test_expansion_cap() -> None:
    land = make_landscape(["built", "cropland", "cropland"])
    ok = solve_checked(land, scenario(growth={"min_new_built_ha": 1.0, "expansion_cap": 2.0}))
    assert feasible(ok) and uses(land, ok).count("built") == 2
    bad = solve_checked(land, scenario(growth={"min_new_built_ha": 1.0, "expansion_cap": 1.0}))
    assert bad.status == Status.INFEASIBLE


def test_conversion_budget() -> None:
    land = with_town(["cropland"] * 4)  # 5 ha in total
    ok = solve_checked(land, scenario(growth={"min_new_built_ha": 1.0},
                                      conversion={"max_changed_pct": 20.0}))
    assert feasible(ok) and ok.changed_parcels == 1
    bad = solve_checked(land, scenario(growth={"min_new_built_ha": 1.0},
                                       conversion={"max_changed_pct": 19.0}))
    assert bad.status == Status.INFEASIBLE


@pytest.mark.parametrize("reclaim", [False, True])
def test_reclamation_lets_built_revert(reclaim: bool) -> None:
    land = make_landscape(["built", "cropland"], suit={"built": [0.0, 0.0],
                                                     "cropland": [100.0, 0.0]})
    s = scenario(conversion={"allow_reclamation": reclaim}, farmland={"quota_pct": 200.0})
    r = solve_checked(land, s)
    assert feasible(r) == reclaim


def test_forbidden_transition() -> None:
    land = make_landscape(["forest"], suit={"cropland": [100.0], "forest": [0.0]})
    s = scenario(conversion={"forbidden": [["forest", "cropland"]]},
                 farmland={"quota_ha": 1.0})
    assert solve_checked(land, s).status == Status.INFEASIBLE
    assert feasible(solve_checked(land, scenario(farmland={"quota_ha": 1.0})))


def test_compactness_prefers_same_use_neighbours() -> None:
    # 1×3 strip: middle parcel free, ends forest; equal suitability -> compactness decides
    land = make_landscape(["forest", "cropland", "forest"], edges=[(0, 1), (1, 2)], red=[0, 2])
    r = solve_checked(land, scenario(weights={"compactness": 10.0, "conversion_cost": 0.0,
                                              "ecology": 0.0, "food": 0.0, "carbon": 0.0}))
    assert r.status == Status.OPTIMAL and uses(land, r) == ["forest", "forest", "forest"]
