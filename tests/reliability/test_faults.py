"""Faults: an import SIGKILLed at random moments, and solves that run out of time.

The SIGKILL-mid-save case of the scenario library is tests/data/test_library.py::
test_killed_saves_leave_whole_scenarios_or_nothing; a failed (raising) store write is
tests/data/test_store.py::test_failed_write_leaves_existing_store_untouched.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from data.db import connect
from data.paths import list_stores
from data.store import read_meta
from solver import Scenario, solve
from solver.result import Status
from solver.synthetic import grid_landscape
from solver.validate import check_allocation
from tests.conftest import REPO_ROOT
from tests.parcel_files import grid_parcels, write
from tests.reliability.conftest import digest, stores_env

BIG_ROWS, BIG_COLS = 150, 200  # 30,000 parcels: about 3 s of import after start-up
KILL_FRACTIONS = (0.2, 0.4, 0.55, 0.7)  # of a whole import's duration
LIMITS_S = (3.0, 6.0)  # the 'best solution within the limit' solve; 6 s only if 3 s found none
WRITE_KILLS = 5  # kills aimed at the store write: soon after the temporary file appears


def start_import(source: Path, db: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "data", "import-parcels", str(source),
                             "--db", str(db)], cwd=REPO_ROOT, env=stores_env(db.parent),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def kill_during_write(proc: subprocess.Popen, db: Path, rng: random.Random) -> None:
    """SIGKILL shortly after the import starts writing its temporary store."""
    while proc.poll() is None and not leftovers(db):
        time.sleep(0.005)
    time.sleep(rng.uniform(0.0, 0.2))
    proc.send_signal(signal.SIGKILL)


def parcel_count(db: Path) -> int:
    con = connect(db)
    try:
        return int(read_meta(con)["n_parcels"])
    finally:
        con.close()


def leftovers(db: Path) -> list[Path]:
    return sorted(db.parent.glob(f".{db.name}.tmp*"))


@pytest.fixture(scope="module")
def big_layer(tmp_path_factory) -> Path:
    return write(grid_parcels(BIG_ROWS, BIG_COLS), tmp_path_factory.mktemp("big") / "big.gpkg")


def test_import_killed_at_random_moments_leaves_old_or_new_store(tmp_path: Path,
                                                                 big_layer: Path) -> None:
    """SIGKILL an import 9 times: the target is always the whole old or the whole new store.

    Then a final import succeeds, removes the dead imports' temporary files, and the store
    list never shows a half-written file.
    """
    from data.importers.vector import import_parcels

    db = tmp_path / "county.duckdb"
    import_parcels(write(grid_parcels(), tmp_path / "old.gpkg"), db)
    old = digest(db)
    started = time.monotonic()
    full = start_import(big_layer, db)
    assert full.wait(120) == 0, full.stderr.read().decode()
    duration = time.monotonic() - started
    import_parcels(write(grid_parcels(), tmp_path / "old.gpkg"), db)  # back to a small store
    old = digest(db)  # (created_at differs from the first one)
    rng = random.Random(6)
    outcomes, temps = [], 0
    for fraction in (*KILL_FRACTIONS, *[None] * WRITE_KILLS):
        proc = start_import(big_layer, db)
        if fraction is None:
            kill_during_write(proc, db, rng)
        else:
            time.sleep(duration * fraction + rng.uniform(-0.1, 0.1))
            proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        temps += len(leftovers(db))
        if digest(db) == old:
            outcomes.append("old")
        else:
            assert parcel_count(db) == BIG_ROWS * BIG_COLS  # complete new store, opens fine
            outcomes.append("new")
            import_parcels(write(grid_parcels(), tmp_path / "old.gpkg"), db)
            old = digest(db)
        assert [p.name for p in list_stores_in(db.parent)] == [db.name]
    print(f"import {duration:.1f} s; kill outcomes {outcomes}; temp files seen after kills: "
          f"{temps}; left before the final import: {len(leftovers(db))}")
    assert "old" in outcomes and temps > 0  # kills did land mid-import, some mid-write
    done = start_import(big_layer, db)
    assert done.wait(120) == 0, done.stderr.read().decode()
    assert parcel_count(db) == BIG_ROWS * BIG_COLS
    assert leftovers(db) == []


def list_stores_in(folder: Path) -> list[Path]:
    """What the dashboard's store picker would list for ``folder``."""
    previous = os.environ.get("LANDALLOC_STORES")
    os.environ["LANDALLOC_STORES"] = str(folder)
    try:
        return list_stores()
    finally:
        if previous is None:
            os.environ.pop("LANDALLOC_STORES")
        else:
            os.environ["LANDALLOC_STORES"] = previous


def test_stale_temp_files_of_dead_writers_are_removed_live_ones_kept(tmp_path: Path) -> None:
    """A leftover of a killed process goes; a temp file of a still-running writer stays."""
    from data.store import remove_stale_temps

    db = tmp_path / "s.duckdb"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = [tmp_path / f".s.duckdb.tmp{dead.pid}", tmp_path / f".s.duckdb.tmp{dead.pid}.wal"]
    live = tmp_path / f".s.duckdb.tmp{os.getpid()}"
    for path in (*stale, live):
        path.write_bytes(b"half a store")
    assert sorted(remove_stale_temps(db)) == sorted(stale)
    assert live.exists() and not any(p.exists() for p in stale)


# ---- time limits ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_landscape(demo_store: Path):
    from data.landscape import load_landscape

    return load_landscape(demo_store)


def limited_solve(land, limit_s: float):
    from data.presets import load_preset

    scenario = (load_preset("growth").with_value("solver.time_limit_s", limit_s)
                .with_value("solver.target_gap_pct", 0.0))
    return scenario, solve(land, scenario)


def test_time_limited_solve_returns_its_best_solution_labelled(demo_landscape) -> None:
    """18,000 parcels, target gap 0, 3 s: a solution with its gap, OPTIMAL only if proven.

    On an idle machine 3 s gives FEASIBLE (gap ~1e-4) in most runs and OPTIMAL in the rest.
    On a busy one (load 8 on 2 cores) 3 s may find nothing, so the test retries once with
    6 s: what it checks is the labelling, not the machine's speed.
    """
    for limit_s in LIMITS_S:
        scenario, result = limited_solve(demo_landscape, limit_s)
        print(f"limit {limit_s} s: status {result.status} gap {result.gap} bound "
              f"{result.best_bound} objective {result.objective} wall {result.wall_time_s:.2f} s")
        assert result.wall_time_s < 2 * limit_s + 2.0  # phases may overrun a little
        if result.has_solution:
            break
    assert result.has_solution and result.assignment is not None
    assert check_allocation(demo_landscape, scenario, result.assignment) == []
    assert result.gap is not None and result.best_bound is not None
    assert result.best_bound >= result.objective - 1e-6
    if result.status == Status.FEASIBLE:
        assert result.gap > 0 and "time limit" in result.message
    else:
        assert result.status == Status.OPTIMAL and result.gap <= 1e-6


def test_unfinished_cpsat_bound_is_not_taken_as_proof(demo_landscape) -> None:
    """A full-model bound below a known solution's objective is impossible; it must be dropped.

    Before the fix (solver/model.py ``_plausible_bound``), 2 of 6 measured 2–3 s solves of the
    demo were labelled OPTIMAL with best_bound 0.0 < objective.
    """
    from data.presets import load_preset
    from solver.instance import build_instance
    from solver.model import AllocationModel

    scenario = load_preset("growth").with_value("solver.target_gap_pct", 0.0)
    known = solve(demo_landscape, scenario.with_value("solver.time_limit_s", 5.0))
    model = AllocationModel(build_instance(demo_landscape, scenario))
    out = model.solve_cpsat(scenario.solver, 0.1, known.assignment)  # stops inside presolve
    known_units = known.objective * model.instance.obj_scale
    assert out.bound_units is None or out.bound_units >= known_units - 1


def test_infeasible_scenario_that_used_to_time_out_is_proven_and_named() -> None:
    """40,000 synthetic parcels, balanced preset, 1 s: before the flow core this ended UNKNOWN
    ("allow more time"); the grids have no unused land, so the growth target, the farmland
    quota, the ecological floor and 占补平衡 cannot all hold. Now the flow proves it and the
    explanation names the levers."""
    from data.presets import load_preset

    land = grid_landscape(200, 200)
    result = solve(land, load_preset("balanced").with_value("solver.time_limit_s", 1.0))
    print(f"status {result.status} wall {result.wall_time_s:.2f} s phases {result.phases}")
    assert result.status == Status.INFEASIBLE and result.phases[0] == "flow:infeasible"
    assert result.assignment is None and result.objective is None and result.gap is None
    assert result.explanation is not None and result.explanation.suggestions
    assert "相互冲突" in result.message_zh


def test_search_that_found_nothing_says_allow_more_time() -> None:
    """UNKNOWN (no allocation, no proof) stays a distinct outcome with its own message."""
    from solver.instance import build_instance
    from solver.model import AllocationModel, _Search
    from solver.orchestrate import build_result

    land = grid_landscape(10, 10)
    model = AllocationModel(build_instance(land, Scenario()))
    result = build_result(model, _Search(0.0, 1.0), Status.UNKNOWN, ["cpsat"], 1.0, None)
    assert result.assignment is None and not result.has_solution and result.gap is None
    assert "time limit" in result.message and "时限" in result.message_zh
