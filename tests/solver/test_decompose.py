"""The hierarchical decomposition (solver.decompose) and its Dask run (solver.distributed).

Everything runs for real: real blocks, real block searches on a real local Dask cluster of
two worker processes, and the stitched allocation through the independent validator.
"""

from __future__ import annotations

import itertools
import os
import signal
import time

import numpy as np
import pytest

from solver import Status, solve
from solver.decompose import block_parts, make_blocks
from solver.distributed import (
    WHOLE_AREA_REPAIRS,
    ClusterError,
    _repairs,
    _Round,
    check_address,
    cluster,
    solve_distributed,
)
from solver.exact import side_rows
from solver.instance import build_instance
from solver.synthetic import grid_landscape
from solver.validate import check_allocation, objective_tolerance, objective_value
from tests.bench.bench_solver import make_scenario


def scenario(land, compact: float, time_limit: float = 60.0):
    s = make_scenario(land, {"compact": compact > 0, "time_limit": time_limit})
    return s.with_value("weights.compactness", compact)


@pytest.fixture(scope="module")
def client():
    with cluster(n_workers=2) as c:
        yield c


def checked(land, s, outcome):
    """The distributed result passes the validator and its objective is recomputed."""
    result = outcome.result
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE), result.message
    assert check_allocation(land, s, result.assignment) == []
    assert objective_value(land, s, result.assignment) == pytest.approx(
        result.objective, abs=objective_tolerance(land))
    assert result.best_bound >= result.objective - 1e-6
    return result


# ----- blocks and the split (no cluster) ----------------------------------------------------------
def test_blocks_group_neighbouring_regions_and_cut_a_large_one() -> None:
    land = grid_landscape(40, 40, seed=3)  # 8 regions of 200 cells
    grouped = make_blocks(land, max_cells=450)
    assert [b.parcels.size for b in grouped] == [400, 400, 400, 400]
    for b in grouped:  # whole regions, two of them, side by side
        regions = np.unique(land.region[b.parcels])
        assert regions.size == 2
        e = land.edges
        inside = np.isin(e[:, 0], b.parcels) & np.isin(e[:, 1], b.parcels)
        assert inside.any()
    cut = make_blocks(land, max_cells=150)
    assert len(cut) == 16 and all(b.parcels.size == 100 for b in cut)
    every = np.sort(np.concatenate([b.parcels for b in cut]))
    assert np.array_equal(every, np.arange(land.n_parcels))  # a partition
    assert cut[0].name.endswith("1/2")


def test_each_block_gets_limits_that_add_up_to_the_areas_and_the_master_meets_them() -> None:
    land = grid_landscape(30, 30, seed=2)
    s = scenario(land, 2.0)
    inst = build_instance(land, s)
    master = solve(land, s.with_value("weights.compactness", 0.0)).assignment
    parts, coupling, _ = block_parts(inst, master, make_blocks(land, max_cells=120))
    assert len(parts) == 8 and coupling
    for row in coupling:
        if row.lo is not None:
            assert row.lo_sum >= row.lo
        if row.hi is not None:
            assert row.hi_sum <= row.hi
    for p in parts:  # the master's allocation is feasible in every block: a valid start
        b = p.instance
        assert all(t.slack(t.measure(b.landscape, b.area, p.start)) == 0 for t in b.targets)
        assert all(r.violation(p.start) == 0 for r in side_rows(b, []))
        assert b.allowed[np.arange(p.start.size), p.start].all()


def test_whole_area_repairs_mend_a_stitched_allocation_and_keep_every_row() -> None:
    """The repairs after a round: each the whole area's exact core linearised at the best
    allocation; kept only when better, at most WHOLE_AREA_REPAIRS, every row still met."""
    land = grid_landscape(40, 40, seed=4)
    s = scenario(land, 2.0, time_limit=60.0)
    inst = build_instance(land, s)
    # the master's allocation (no compactness) stands in for a poorly stitched one
    master = solve(land, s.with_value("weights.compactness", 0.0)).assignment
    start = _Round(master, inst.units_of(master), np.inf, {}, [])
    events = []
    repaired, seconds, units = _repairs(inst, s.solver, start, time.monotonic(), 1.0,
                                        events.append)
    assert [e.stage for e in events] == ["repair"] * len(seconds)
    assert "全域修补 1/3" in events[0].message_zh
    assert 1 <= len(seconds) == len(units) <= WHOLE_AREA_REPAIRS
    assert max(u for u in units if u is not None) == repaired.objective
    assert repaired.objective == inst.units_of(repaired.assignment) > start.objective
    assert check_allocation(land, s, repaired.assignment) == []
    again, _, _ = _repairs(inst, s.solver, repaired, time.monotonic(), 1.0)
    assert again.objective >= repaired.objective  # never worse than where it starts


# ----- on the cluster ---------------------------------------------------------------------------
def test_without_compactness_the_decomposed_solution_equals_the_whole_area_one(client) -> None:
    land = grid_landscape(30, 30, seed=5)
    s = scenario(land, 0.0, time_limit=30.0)
    whole = solve(land, s)
    outcome = solve_distributed(land, s, client, max_block_cells=120)
    result = checked(land, s, outcome)
    assert len(outcome.blocks) == 8
    assert result.objective == pytest.approx(whole.objective, abs=1e-6)
    assert np.array_equal(result.assignment, whole.assignment)
    assert result.gap <= s.solver.target_gap_pct / 100.0


def _brute_force_optimum(inst) -> float:
    """Best objective (points) over every allocation of the changeable parcels that meets
    every target and side row of the identical model."""
    land = inst.landscape
    free = np.flatnonzero(inst.mutable)
    options = [np.flatnonzero(inst.allowed[i]) for i in free]
    assert np.prod([len(o) for o in options]) <= 20_000
    rows = side_rows(inst, [])
    a = np.argmax(inst.allowed, axis=1)
    best = -np.inf
    for combo in itertools.product(*options):
        a[free] = combo
        if all(t.slack(t.measure(land, inst.area, a)) == 0 for t in inst.targets) and all(
                r.violation(a) == 0 for r in rows):
            best = max(best, inst.points_of(a))
    return best


@pytest.mark.parametrize("seed", [1, 9, 22])
def test_the_global_bound_is_at_least_the_brute_force_optimum(client, seed) -> None:
    land = grid_landscape(4, 5, seed=seed, n_regions_x=2, n_regions_y=1)
    s = scenario(land, 3.0, time_limit=20.0).with_value("growth.min_new_built_ha", 0.0)
    s = s.with_value("growth.only_inside_boundary", False)
    inst = build_instance(land, s)
    optimum = _brute_force_optimum(inst)
    outcome = solve_distributed(land, s, client, max_block_cells=10)
    result = checked(land, s, outcome)
    assert len(outcome.blocks) >= 2 and inst.mutable.sum() >= 6
    assert result.objective <= optimum + 1e-6
    assert result.best_bound >= optimum - 1e-6, (result.best_bound, optimum)


def test_a_worker_killed_during_the_run_changes_nothing(client) -> None:
    land = grid_landscape(90, 90, seed=7)
    s = scenario(land, 2.0, time_limit=300.0)
    calm = solve_distributed(land, s, client, max_block_cells=1100)
    pids = client.run(os.getpid)  # worker address → process id
    killed: list[str] = []

    def kill_a_busy_worker(event) -> None:  # SIGKILL, mid-search, holding finished blocks
        if killed or event.stage != "block":
            return
        busy = [w for w, keys in client.processing().items() if keys]
        if busy:
            killed.append(busy[0])
            os.kill(pids[busy[0]], signal.SIGKILL)

    hit = solve_distributed(land, s, client, on_progress=kill_a_busy_worker,
                            max_block_cells=1100)
    assert killed, "no worker was busy when the first block came back"
    checked(land, s, hit)
    assert np.array_equal(hit.result.assignment, calm.result.assignment)
    assert hit.result.objective == calm.result.objective
    assert hit.result.best_bound == calm.result.best_bound


def test_an_unreachable_scheduler_gets_a_clear_error() -> None:
    with pytest.raises(ClusterError) as err:
        with cluster("tcp://127.0.0.1:9"):
            pass
    assert "127.0.0.1:9" in err.value.message_zh and "无法连接" in err.value.message_zh
    assert "Cannot reach the Dask scheduler" in err.value.message_en
    with pytest.raises(ClusterError, match="tcp://HOST:PORT"):
        check_address("my-server")
    with pytest.raises(ClusterError, match="Worker count 0"):
        with cluster(n_workers=0):
            pass


# ----- the command line, on real land ------------------------------------------------------------
@pytest.mark.wuhan
@pytest.mark.slow
def test_cli_distributed_on_wuhan_300m_by_district_blocks(tmp_path, capsys) -> None:
    import json

    import pandas as pd

    from data.importers.raster import import_raster
    from data.landscape import load_landscape
    from solver.__main__ import load_scenario, main
    from tests.conftest import require_wuhan
    from tests.data.test_wuhan_grid_roundtrip import lean_mapping

    wuhan = require_wuhan()
    store = import_raster(wuhan / "LULCs" / "wh2010_refy.tif", tmp_path / "w.duckdb",
                          lean_mapping(tmp_path), 300, no_change=wuhan / "WaterWuhan.tif",
                          regions_path=wuhan / "districts" / "wuhan_districts.shp").db_path
    s = (load_scenario("balanced", 60.0, None)
         .with_value("growth.only_inside_boundary", False))  # rasters carry no 城镇开发边界
    (tmp_path / "s.toml").write_text(s.to_toml(), "utf-8")
    code = main(["solve", "--db", str(store), "--scenario", str(tmp_path / "s.toml"),
                 "--distributed", "--dask-workers", "2", "--block-cells", "12000",
                 "--summary", str(tmp_path / "s.json"), "--out", str(tmp_path / "r.parquet")])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "分区" in printed and "全域求解" in printed
    summary = json.loads((tmp_path / "s.json").read_text("utf-8"))
    blocks = summary["distributed"]["blocks"]
    assert len(blocks) >= 4
    land = load_landscape(store)
    assert sum(b["cells"] for b in blocks) == land.n_parcels
    first = summary["distributed"]["rounds"][0]  # the repairs never lower the objective
    assert len(first["repairs_s"]) == len(first["repairs_units"]) <= 3
    assert first["repaired_units"] >= first["objective_units"]
    table = pd.read_parquet(tmp_path / "r.parquet")
    codes = {c: i for i, c in enumerate(land.class_codes)}
    after = table["use_after"].map(codes).to_numpy()
    assert check_allocation(land, s, after) == []
    assert summary["best_bound"] >= summary["objective"] - 1e-6
    assert summary["gap"] is not None


def test_cli_distributed_with_an_unreachable_scheduler_says_so(small_demo_store, capsys) -> None:
    from solver.__main__ import main

    code = main(["solve", "--db", str(small_demo_store), "--scenario", "balanced",
                 "--distributed", "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 1
    assert "无法连接 Dask 调度器 tcp://127.0.0.1:9" in err and "Cannot reach" in err
    assert "Traceback" not in err
    code = main(["solve", "--db", str(small_demo_store), "--scenario", "balanced",
                 "--scheduler", "tcp://127.0.0.1:9"])
    assert code == 1 and "need --distributed" in capsys.readouterr().err
