"""The exact core and the demand table: flows, prices, residual, 7-class stores, brute force.

Every allocation goes through ``solve_checked`` (the independent validator) or is checked by
it directly.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import brute_force, solve_checked
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import Scenario, Status, solve
from solver.demand import DemandError, read_demand_csv
from solver.flow import solve_flow, split_targets
from solver.instance import build_instance
from solver.landscape import Landscape
from solver.scenario import ScenarioError
from solver.validate import check_allocation, objective_tolerance, objective_value

# Seven classes as in the Wuhan land cover: two forest-role classes with their own keys.
KEYS7 = ("grassland", "deciduous", "cropland", "urban", "bare", "water", "evergreen")
ROLES7 = ("grassland", "forest", "cropland", "built", "unused", "water", "forest")
NAMES7 = ("草地", "落叶林", "耕地", "城镇用地", "裸地", "水域", "常绿林")


def seven_class_landscape(n_side: int = 12, seed: int = 3, regions: int = 2,
                          equal_area: bool = False) -> Landscape:
    """A grid of n_side² parcels in ``regions`` vertical strips, 7 classes, random suitability
    (cells of 0.9 ha, some cut to 0.81 ha unless ``equal_area``)."""
    rng = np.random.default_rng(seed)
    n = n_side * n_side
    current = rng.choice([0, 1, 2, 2, 2, 3, 4, 5, 6], size=n).astype(np.int32)
    col = np.arange(n) % n_side
    region = (col * regions // n_side).astype(np.int32)
    right = [(i, i + 1) for i in range(n) if (i + 1) % n_side]
    down = [(i, i + n_side) for i in range(n - n_side)]
    edges = np.array(right + down, np.int64)
    return Landscape(
        parcel_id=np.arange(1, n + 1), region=region,
        region_names=tuple(f"区{r + 1}" for r in range(regions)),
        class_keys=KEYS7, class_codes=tuple(range(1, 8)), current=current,
        area_ha=np.full(n, 0.9) if equal_area else rng.choice([0.81, 0.9, 0.9, 0.9], size=n),
        basic_farmland=np.zeros(n, bool), red_line=np.zeros(n, bool),
        urban_boundary=np.ones(n, bool), no_conversion=np.zeros(n, bool),
        farmland_grade=np.full(n, 5, np.int32), suitability=rng.uniform(0, 100, (n, 7)),
        edges=edges, edge_length_m=np.full(edges.shape[0], 90.0),
        esv_yuan_per_ha=np.array([16000.0, 33000, 6000, 0, 300, 188000, 35000]),
        carbon_t_per_ha=np.array([110.0, 160, 95, 20, 40, 30, 170]),
        grain_t_per_ha=np.full(n, 6.0), region_population=np.full(regions, 1e4),
        class_roles=ROLES7, class_names_zh=NAMES7,
        class_names_en=("Grassland", "Deciduous forest", "Cropland", "Urban", "Bare land",
                        "Water", "Evergreen forest"))


def free_scenario(**solver: float) -> Scenario:
    """No named lever binds: only the demand table does (no compactness unless asked)."""
    return Scenario.from_dict({
        "farmland": {"quota_pct": 0.0, "balance": False},
        "growth": {"expansion_cap": 5.0},
        "conversion": {"max_changed_pct": 100.0, "water_fixed": True},
        "weights": {"compactness": solver.pop("compactness", 0.0)},
        "solver": {"time_limit_s": 10.0, **solver}})


def area_of(land: Landscape, a: np.ndarray, cls: int, region: int = -1) -> float:
    sel = a == cls
    if region >= 0:
        sel &= land.region == region
    return float(land.area_ha[sel].sum())


# ----- demand table ----------------------------------------------------------------------
def test_seven_classes_keep_their_identity_and_exact_demand_is_met() -> None:
    land = seven_class_landscape()
    before = area_of(land, land.current, 6)
    s = free_scenario().with_demand([{"class": "evergreen", "target_ha": before + 9.0},
                                     {"class": "落叶林", "max_pct": 90.0},
                                     {"class": "3", "min_pct": 100.0}])
    r = solve_checked(land, s)
    assert r.status in (Status.OPTIMAL, Status.FEASIBLE)
    a = r.assignment
    half_parcel = 0.5 * land.area_ha.max()
    assert abs(area_of(land, a, 6) - (before + 9.0)) <= half_parcel + 1e-6
    assert area_of(land, a, 1) <= 0.9 * area_of(land, land.current, 1) + 1e-6
    assert area_of(land, a, 2) >= area_of(land, land.current, 2) - 1e-6
    met = {t["key"]: t["met"] for t in r.targets if t["key"].startswith("demand.")}
    assert met == {"demand.evergreen": True, "demand.落叶林": True, "demand.3": True}


def test_regional_demand_rows_bind_each_region() -> None:
    land = seven_class_landscape(regions=2)
    crop0 = [area_of(land, land.current, 2, r) for r in (0, 1)]
    s = free_scenario().with_demand([
        {"class": "cropland", "region": "区1", "min_pct": 110.0},
        {"class": "cropland", "region": "区2", "max_ha": round(0.8 * crop0[1], 2)},
        {"class": "urban", "target_pct": 130.0}])
    r = solve_checked(land, s)
    a = r.assignment
    assert area_of(land, a, 2, 0) >= 1.1 * crop0[0] - 1e-6
    assert area_of(land, a, 2, 1) <= 0.8 * crop0[1] + 1e-2
    built0 = area_of(land, land.current, 3)
    assert abs(area_of(land, a, 3) - 1.3 * built0) <= 0.5 * land.area_ha.max() + 1e-6
    assert r.gap is not None and r.gap <= 0.01


def test_demand_with_compactness_stays_valid() -> None:
    land = seven_class_landscape()
    s = free_scenario(compactness=2.0).with_demand([{"class": "urban", "min_pct": 120.0}])
    r = solve_checked(land, s)
    assert area_of(land, r.assignment, 3) >= 1.2 * area_of(land, land.current, 3) - 1e-6


def test_unknown_demand_class_names_the_known_classes() -> None:
    land = seven_class_landscape()
    s = free_scenario().with_demand([{"class": "orchard", "min_ha": 1.0}])
    with pytest.raises(ScenarioError, match=r"'orchard'.*known classes.*evergreen"):
        solve(land, s)


def test_demand_csv_errors_name_row_and_fix(tmp_path) -> None:
    bad = tmp_path / "d.csv"
    bad.write_text("class,target_ha,min_ha\ncropland,10,5\n", encoding="utf-8")
    with pytest.raises(DemandError, match=r"row\[1\].*exact target cannot be combined"):
        read_demand_csv(bad)
    bad.write_text("klass,min_ha\ncropland,5\n", encoding="utf-8")
    with pytest.raises(DemandError, match="needs a 'class' column"):
        read_demand_csv(bad)
    good = tmp_path / "g.csv"
    good.write_text("\ufeffclass,region,min_pct\n耕地,,95\n", encoding="utf-8")
    rows = read_demand_csv(good)
    assert rows[0].cls == "耕地" and rows[0].min_pct == 95.0


def test_infeasible_demand_is_proven_by_the_flow_and_named() -> None:
    land = seven_class_landscape()
    water = area_of(land, land.current, 5)
    s = free_scenario().with_demand([{"class": "water", "min_ha": water + 50.0}])
    r = solve(land, s)
    assert r.status == Status.INFEASIBLE
    assert r.phases[0] == "flow:infeasible"
    keys = [x.key for x in r.explanation.suggestions]
    assert keys == ["demand.water"]
    assert r.explanation.suggestions[0].suggested <= water + 1e-6


# ----- the flow itself --------------------------------------------------------------------
def test_flow_alone_is_optimal_without_side_rows() -> None:
    # equal cells: the flow is integral (total unimodularity), its bound is the optimum
    land = seven_class_landscape(n_side=10, equal_area=True)
    s = free_scenario(target_gap_pct=0.0).with_demand([{"class": "urban", "min_pct": 150.0}])
    inst = build_instance(land, s)
    nested, crossing = split_targets(inst)
    assert crossing == [] and len(nested) == 2  # the demand row and the expansion cap nest
    flow = solve_flow(inst, nested=nested)
    assert flow.status == "optimal"
    r = solve_checked(land, s)
    assert r.status == Status.OPTIMAL and r.phases[0].startswith("flow:1x")
    bound = (flow.bound_units - inst.status_quo_units) / inst.obj_scale
    assert bound >= r.objective - 1e-9 and bound - r.objective <= 1e-5 * max(r.objective, 1)


# ----- determinism ------------------------------------------------------------------------
@pytest.mark.parametrize("compactness", [0.0, 2.0])
def test_same_inputs_same_allocation(compactness: float) -> None:
    land = seven_class_landscape(n_side=20, seed=5)
    s = free_scenario(compactness=compactness).with_demand(
        [{"class": "urban", "target_pct": 125.0}, {"class": "cropland", "min_pct": 97.0}])
    first = solve_checked(land, s)
    second = solve_checked(land, s)
    assert np.array_equal(first.assignment, second.assignment)


def test_demo_is_deterministic(demo_store) -> None:
    from data.landscape import load_landscape
    from data.presets import load_preset

    land = load_landscape(demo_store)
    s = load_preset("balanced").with_value("weights.compactness", 0.0)
    runs = [solve_checked(land, s).assignment for _ in range(2)]
    assert np.array_equal(runs[0], runs[1])


# ----- infeasibility explained fast -------------------------------------------------------
def test_quota_102_names_levers_and_the_fix_solves(demo_store) -> None:
    from data.landscape import load_landscape
    from data.presets import load_preset
    from solver.explain import relaxed_scenario

    land = load_landscape(demo_store)
    s = load_preset("balanced").with_value("farmland.quota_pct", 102.0)
    r = solve(land, s)
    assert r.status == Status.INFEASIBLE
    ex = r.explanation
    named = {x.key for x in (*ex.suggestions, *ex.alternatives)}
    assert "farmland.quota_pct" in named
    assert all(x.verified for x in ex.suggestions)
    fixed = relaxed_scenario(s, ex)
    assert solve_checked(land, fixed).status in (Status.OPTIMAL, Status.FEASIBLE)
    quota = next(x for x in ex.suggestions + ex.alternatives if x.key == "farmland.quota_pct")
    assert quota.alone_value is not None and quota.alone_value < 102.0
    # moving only the quota: its suggested value solves, one lever step (0.1 %) more does not
    alone = s.with_value("solver.time_limit_s", 5.0)
    assert solve_checked(land, alone.with_value("farmland.quota_pct", quota.alone_value)).status in (
        Status.OPTIMAL, Status.FEASIBLE)
    tighter = alone.with_value("farmland.quota_pct", round(quota.alone_value + 0.1, 1))
    assert solve(land, tighter).status == Status.INFEASIBLE


# ----- brute force with demand rows --------------------------------------------------------
@st.composite
def demand_instances(draw: st.DrawFn) -> tuple:
    n = draw(st.integers(2, 4))
    rng = np.random.default_rng(draw(st.integers(0, 10_000)))
    land = seven_class_landscape(n_side=2, seed=int(rng.integers(0, 1000)), regions=2)
    if n < 4:  # fewer parcels: lock the rest with the no-change mask
        mask = land.no_conversion.copy()
        mask[n:] = True
        land = Landscape(**{**land.__dict__, "no_conversion": mask})
    cls = draw(st.sampled_from(["cropland", "urban", "evergreen", "草地"]))
    kind = draw(st.sampled_from(["min_ha", "max_ha", "target_ha"]))
    value = draw(st.sampled_from([0.0, 0.9, 1.8, 2.7]))
    region = draw(st.sampled_from(["", "区1"]))
    s = free_scenario(compactness=draw(st.sampled_from([0.0, 1.0])), target_gap_pct=0.0)
    return land, s.with_demand([{"class": cls, "region": region, kind: value}])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(demand_instances())
def test_engine_matches_brute_force_with_demand(case: tuple) -> None:
    land, s = case
    r = solve(land, s)
    best = brute_force(land, s, range(7))
    if r.status in (Status.OPTIMAL, Status.FEASIBLE):
        assert check_allocation(land, s, r.assignment) == []
        value = objective_value(land, s, r.assignment)
        assert abs(value - r.objective) <= objective_tolerance(land)
        assert best is not None and value >= best - 1e-4
        assert r.best_bound >= best - 1e-4  # the reported bound is never below the optimum
    else:
        assert r.status == Status.INFEASIBLE and best is None
