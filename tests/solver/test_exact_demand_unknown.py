"""Exact demand for every class on cells of unequal area: the engine always returns an allocation.

The change validation allocates one period's change to the end map's exact class areas on a
300 m grid of Wuhan (53,920 cells, those cut by nodata smaller) with the no-change mask locked,
and sometimes got UNKNOWN after the full time limit. An exact demand row's band is one cell
wide (± half the largest parcel), so whole cells of one area move a class's area in steps of a
cell and hold its band for at most one count; the flow meets every band with a split cell, and
the CP-SAT repair freed the split cells plus the lowest-regret ones, all full cells (or cells
whose areas cannot make up the difference). That restricted problem was infeasible, CP-SAT
could neither place nor refute it, and it had the whole exact phase's time.

The landscapes here reproduce that: full 9 ha cells, cells cut to other areas (which strongly
prefer their use, so the regret neighbourhood does not free them), a few 8.91 ha cells that are
indifferent between classes (freed with the larger neighbourhoods, they give CP-SAT steps of
0.09 ha to branch on without ever making up the difference), 30 % locked, and an exact demand
for all seven classes taken from an end map (so the scenario is feasible). Before the fix the
engine returned UNKNOWN after the full 30 s on each parametrised landscape (first residual of
406 full cells infeasible, the 1,624- and 6,496-cell ones undecided). With the change
validation's 0.1 % target gap the repair also had to close the gap against the flow's bound,
not only its own, or the LP and full CP-SAT phases took the rest of the time limit. Every
allocation is checked by the independent validator.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from helpers import solve_checked

from solver import Scenario, Status
from solver.exact import RESIDUAL_START, _free_parcels, exact_phase
from solver.flow import solve_flow
from solver.instance import build_instance
from solver.landscape import Landscape
from solver.model import _solve_restricted
from solver.synthetic import grid_edges
from solver.validate import check_allocation

KEYS7 = ("grassland", "deciduous", "cropland", "built", "bare", "water", "evergreen")
ROLES7 = ("grassland", "forest", "cropland", "built", "unused", "water", "forest")
CELL_UNITS = 100  # a full cell is 100 units of 0.09 ha (30 m pixels of a 300 m cell)


def cut_grid(seed: int, side: int = 100, n_cut: int = 150, n_trap: int = 8
             ) -> tuple[Landscape, np.ndarray]:
    """(landscape, end map): ``side``² cells of 9 ha, ``n_cut`` cut to 0.09–8.82 ha, ``n_trap``
    of 8.91 ha with flat scores, 30 % locked; the end map changes 10 % of the free full cells
    and 30 % of the cut ones."""
    rng = np.random.default_rng(seed)
    n = side * side
    current = rng.choice(7, size=n, p=[.05, .1, .45, .15, .02, .15, .08]).astype(np.int32)
    units = np.full(n, CELL_UNITS)
    order = rng.permutation(n)
    cut, trap = order[:n_cut], order[n_cut:n_cut + n_trap]
    units[cut] = rng.integers(1, CELL_UNITS - 1, n_cut)
    units[trap] = CELL_UNITS - 1
    locked = rng.random(n) < 0.3
    locked[cut] = locked[trap] = False
    end = current.copy()
    changed = ~locked & (rng.random(n) < 0.1)
    changed[trap] = False
    changed[cut] = rng.random(n_cut) < 0.3
    end[changed] = rng.choice(7, size=int(changed.sum()))
    scores = rng.uniform(0.0, 60.0, (n, 7))
    scores[cut] = 0.0
    scores[cut, current[cut]] = 100.0  # cut cells keep their use unless they must move
    scores[trap] = 50.0  # indifferent between classes: no regret
    edges = grid_edges(side, side)
    none = np.zeros(n, bool)
    land = Landscape(
        parcel_id=np.arange(1, n + 1, dtype=np.int64), region=np.zeros(n, np.int32),
        region_names=("全域",), class_keys=KEYS7, class_codes=tuple(range(1, 8)),
        class_roles=ROLES7, current=current, area_ha=units * 0.09, basic_farmland=none,
        red_line=none, urban_boundary=~none, no_conversion=locked,
        farmland_grade=np.zeros(n, np.int32), suitability=scores, edges=edges,
        edge_length_m=np.full(len(edges), 300.0), esv_yuan_per_ha=np.zeros(7),
        carbon_t_per_ha=np.zeros(7), grain_t_per_ha=np.zeros(n))
    return land, end


def exact_demand(land: Landscape, end: np.ndarray, time_limit_s: float) -> Scenario:
    """The change validation's scenario: no planning rule, suitability only, exact demand,
    a target gap of 0.1 %."""
    demand = np.bincount(end, weights=land.area_ha, minlength=land.n_classes)
    return Scenario.from_dict({
        "name": "exact demand",
        "farmland": {"quota_pct": 0.0, "keep_basic_farmland": False, "balance": False},
        "ecology": {"red_line_mode": "off"},
        "growth": {"only_inside_boundary": False, "expansion_cap": 5.0},
        "conversion": {"allow_reclamation": True, "water_fixed": False,
                       "max_changed_pct": 100.0},
        "weights": {"suitability": 1.0, "ecology": 0.0, "food": 0.0, "carbon": 0.0,
                    "compactness": 0.0, "conversion_cost": 0.0},
        "demand": {"rows": [{"class": key, "target_ha": round(float(ha), 2)}
                            for key, ha in zip(KEYS7, demand, strict=True)]},
        "solver": {"time_limit_s": time_limit_s, "seed": 0, "target_gap_pct": 0.1},
    })


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_exact_demand_on_cut_cells_returns_an_allocation_quickly(seed: int) -> None:
    # before the fix: UNKNOWN after the full 30 s on each of these; and the repair's own
    # 0.1 % gap (against the residual's bound) left seed 3 at 0.105 % of the flow's bound,
    # so the LP and full CP-SAT phases took the rest of the 30 s
    land, end = cut_grid(seed)
    scenario = exact_demand(land, end, 30.0)
    assert check_allocation(land, scenario, end) == []  # feasible: the end map meets it
    result = solve_checked(land, scenario)
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert result.wall_time_s < 5.0
    assert result.gap is not None and result.gap <= scenario.solver.target_gap_pct / 100.0
    for row in result.targets:
        assert row["met"], row


def test_the_repair_frees_parcels_of_every_area() -> None:
    land, end = cut_grid(0)
    inst = build_instance(land, exact_demand(land, end, 10.0))
    flow = solve_flow(inst)
    assert flow.status == "optimal" and flow.split.size > 0
    free = _free_parcels(inst, flow.assignment, set(flow.split.tolist()),
                         flow.split.size + RESIDUAL_START)
    mutable_areas = set(np.unique(inst.area[inst.mutable]).tolist())
    assert len(mutable_areas) > 50  # the cut cells' areas
    assert set(np.unique(inst.area[free]).tolist()) == mutable_areas
    assert free.size <= flow.split.size + RESIDUAL_START
    assert set(flow.split.tolist()) <= set(free.tolist())


def test_a_residual_that_hangs_does_not_take_the_whole_phase() -> None:
    # a first residual that neither places nor refutes (it uses all the time it is given):
    # the repair must still have time to try a larger one and return an allocation
    land, end = cut_grid(1, side=40, n_cut=20)
    scenario = exact_demand(land, end, 8.0)
    inst = build_instance(land, scenario)
    budgets: list[float] = []

    def residual(sub, config, budget_s, hint, t0):
        budgets.append(budget_s)
        if len(budgets) == 1:
            time.sleep(budget_s)
            return None
        return _solve_restricted(sub, config, budget_s, hint, t0)

    t0 = time.monotonic()
    phase_s = 0.8 * scenario.solver.time_limit_s
    out = exact_phase(inst, scenario.solver, t0 + phase_s, t0, False, residual)
    assert len(budgets) >= 2
    assert budgets[0] <= 0.5 * phase_s
    assert out.assignment is not None
    assert check_allocation(land, scenario, out.assignment) == []
    assert out.bound_units is not None and out.objective_units <= out.bound_units + 1
