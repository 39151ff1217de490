"""Scenario library: round trips, names, tokens, staleness, concurrency and kill safety.

Every test works on its own copy of a small real demo store, so the sidecar library next to
it is private to the test.
"""

from __future__ import annotations

import os
import pickle
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data import library
from data.db import connect
from data.demo import build_demo
from data.indicators import compute_indicators
from data.library import (
    LibraryBusyError,
    LibraryError,
    ScenarioExistsError,
    ScenarioNameError,
    ScenarioNotFoundError,
)
from data.store import read_adjacency, read_classes, read_parcels, read_regions
from tests.conftest import REPO_ROOT

TOML = ('name = "balanced"\nname_zh = "协调发展"\n\n[farmland]\nquota_pct = 95.0\n\n'
        '[solver]\ntime_limit_s = 20.0\nseed = 7\n')
SUMMARY = {"status": "FEASIBLE", "objective": 12.5, "best_bound": 13.0, "gap": 0.04,
           "wall_time_s": 3.2, "changed_parcels": 4, "objective_terms": {"ecology": {"points": 1}},
           "numpy_value": np.float64(1.5), "message": "stopped at the time limit"}


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture
def store(small_demo_store: Path, tmp_path: Path) -> Path:
    """A private copy of the small demo store (its library starts empty)."""
    return Path(shutil.copy(small_demo_store, tmp_path / "county.duckdb"))


def payload(store_path: Path, changed: Sequence[int] = (0, 1, 2, 3)
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An assignment (the parcels at positions ``changed`` get another use) and indicators."""
    con = connect(store_path)
    try:
        parcels, adjacency = read_parcels(con), read_adjacency(con)
        classes, regions = read_classes(con), read_regions(con)
    finally:
        con.close()
    codes = parcels["land_use"].to_numpy().copy()
    positions = np.asarray(changed, dtype=int)
    codes[positions] = codes[positions] % 6 + 1   # always a different CAS class (1..6)
    assignment = pd.DataFrame({"parcel_id": parcels["parcel_id"], "land_use": codes})
    return assignment, compute_indicators(parcels, adjacency, classes, regions, codes)


def save(store_path: Path, name: str, **kwargs) -> library.SavedScenario:
    assignment, indicators = kwargs.pop("payload", None) or payload(store_path)
    return library.save_scenario(store_path, name, TOML, "balanced", SUMMARY, assignment,
                                 indicators, **kwargs)


# -- round trip -------------------------------------------------------------------------------
def test_library_sits_next_to_the_store(tmp_path):
    assert library.library_path(tmp_path / "wuhan.duckdb") == tmp_path / "wuhan.library.duckdb"


def test_save_load_round_trip_by_name_and_token(store):
    assignment, indicators = payload(store)
    saved = library.save_scenario(store, "方案A 2030", TOML, "balanced", SUMMARY, assignment,
                                  indicators)
    for loaded in (library.load_scenario(store, name="方案A 2030"),
                   library.load_scenario(store, token=saved.token)):
        pd.testing.assert_frame_equal(loaded.assignment, assignment.astype("int64"))
        pd.testing.assert_frame_equal(loaded.indicators, indicators, check_dtype=False)
        assert loaded.scenario_toml == TOML and loaded.preset == "balanced"
        assert (loaded.status, loaded.objective, loaded.best_bound, loaded.gap,
                loaded.wall_time_s) == ("FEASIBLE", 12.5, 13.0, 0.04, 3.2)
        assert loaded.summary["objective_terms"] == SUMMARY["objective_terms"]
        assert loaded.summary["numpy_value"] == 1.5
        assert loaded.store_version == library.read_store_version(store)
        assert not loaded.stale
        assert loaded.n_changed == 4 and loaded.changed_area_ha == pytest.approx(4 * 25.0)
        assert loaded.created_at.tzinfo is not None
    assert library.is_valid_token(saved.token) and len(saved.token) == 16


def test_list_is_light_and_empty_without_a_library(store):
    empty = library.list_scenarios(store)
    assert empty.empty and list(empty.columns) == library.LIST_COLUMNS
    assert not library.library_path(store).exists()  # listing never creates the file
    save(store, "one")
    save(store, "two")
    table = library.list_scenarios(store)
    assert list(table.columns) == library.LIST_COLUMNS
    assert set(table["name"]) == {"one", "two"}
    assert not table["stale"].any() and (table["n_parcels"] == 1200).all()


def test_existing_name_needs_overwrite_and_overwrite_keeps_the_link(store):
    first = save(store, "方案A")
    with pytest.raises(ScenarioExistsError, match="already exists"):
        save(store, "方案A")
    changed = payload(store, (10, 11))
    second = save(store, "方案A", payload=changed, overwrite=True)
    assert second.token == first.token and second.created_at == first.created_at
    assert second.n_changed == 2
    pd.testing.assert_frame_equal(library.load_scenario(store, name="方案A").assignment,
                                  changed[0].astype("int64"))
    assert len(library.list_scenarios(store)) == 1 and library.check_library(store) == []


def test_rename_duplicate_delete(store):
    original = save(store, "A")
    library.rename_scenario(store, "A", "B")
    with pytest.raises(ScenarioNotFoundError, match="no saved scenario named 'A'"):
        library.load_scenario(store, name="A")
    assert library.load_scenario(store, token=original.token).name == "B"  # link follows

    token = library.duplicate_scenario(store, "B", "C")
    copy = library.load_scenario(store, name="C")
    assert copy.token == token != original.token
    pd.testing.assert_frame_equal(copy.assignment, library.load_scenario(store, name="B")
                                  .assignment)
    assert len(copy.indicators) == len(original.indicators)

    with pytest.raises(ScenarioExistsError):
        library.rename_scenario(store, "B", "C")
    with pytest.raises(ScenarioExistsError):
        library.duplicate_scenario(store, "B", "C")
    library.delete_scenario(store, "B")
    with pytest.raises(ScenarioNotFoundError):
        library.load_scenario(store, token=original.token)  # the share link is gone
    with pytest.raises(ScenarioNotFoundError):
        library.delete_scenario(store, "B")
    assert list(library.list_scenarios(store)["name"]) == ["C"]
    assert library.check_library(store) == []


def test_operations_on_a_missing_library_say_not_found(store):
    for call in (lambda: library.load_scenario(store, name="x"),
                 lambda: library.rename_scenario(store, "x", "y"),
                 lambda: library.delete_scenario(store, "x"),
                 lambda: library.duplicate_scenario(store, "x", "y")):
        with pytest.raises(ScenarioNotFoundError):
            call()


def test_a_share_token_is_found_among_several_stores(store, tmp_path):
    other = Path(shutil.copy(store, tmp_path / "other.duckdb"))
    save(other, "shared")
    token = save(store, "mine").token
    found_store, found = library.find_shared([other, store, tmp_path / "absent.duckdb"], token)
    assert (found_store, found.name) == (store, "mine")
    with pytest.raises(ScenarioNotFoundError, match="deleted"):
        library.find_shared([other, store], library.new_token())
    with pytest.raises(ScenarioNotFoundError, match="not valid"):
        library.find_shared([other, store], "../../x")


# -- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "message"), [
    ("", "empty"), ("   ", "empty"), ("x" * 81, "at most 80"), ("tab\there", "control"),
    ("new\nline", "control"), ("zero\u200bwidth", "invisible"), (None, "must be text"),
    (42, "must be text"),
])
def test_bad_names_are_refused_with_a_clear_message(store, name, message):
    with pytest.raises(ScenarioNameError, match=message):
        save(store, name)
    assert not library.library_path(store).exists() or library.list_scenarios(store).empty


def test_odd_but_valid_names_round_trip(store):
    names = ["  padded  ", "x'; DROP TABLE scenarios; --", "<script>alert(1)</script>",
             "../../etc/passwd", "方案" * 40]
    for name in names:
        save(store, name)
    assert set(library.list_scenarios(store)["name"]) == {n.strip() for n in names}
    assert library.load_scenario(store, name="padded").name == "padded"


@pytest.mark.parametrize("token", ["", "short", "../../etc/passwd", "' OR 1=1 --",
                                   "x" * 200, "abc def ghi jkl mno"])
def test_malformed_tokens_find_nothing(store, token):
    save(store, "A")
    with pytest.raises(ScenarioNotFoundError, match="not valid"):
        library.load_scenario(store, token=token)


def test_unknown_token_finds_nothing(store):
    save(store, "A")
    with pytest.raises(ScenarioNotFoundError, match="share link"):
        library.load_scenario(store, token=library.new_token())


def test_bad_payloads_are_refused_and_nothing_is_written(store):
    assignment, indicators = payload(store)
    cases = {
        "parcels missing": (assignment.iloc[:-3], indicators),
        "land-use codes": (assignment.assign(land_use=99), indicators),
        "more than once": (pd.concat([assignment, assignment.iloc[:1]]), indicators),
        "misses columns": (assignment, indicators.drop(columns=["label_en"])),
        "columns parcel_id, land_use": (assignment.rename(columns={"land_use": "x"}),
                                        indicators),
    }
    for message, (bad_assignment, bad_indicators) in cases.items():
        with pytest.raises(LibraryError, match=message):
            library.save_scenario(store, "bad", TOML, "", SUMMARY, bad_assignment,
                                  bad_indicators)
    with pytest.raises(LibraryError, match="status"):
        library.save_scenario(store, "bad", TOML, "", {}, assignment, indicators)
    assert library.list_scenarios(store).empty


def test_a_library_of_a_newer_layout_is_not_written(store):
    import duckdb

    save(store, "A")
    con = duckdb.connect(str(library.library_path(store)))
    con.execute("UPDATE library_meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(LibraryError, match="newer than this program"):
        save(store, "B")
    assert list(library.list_scenarios(store)["name"]) == ["A"]


# -- stale detection --------------------------------------------------------------------------
def test_rebuilt_store_marks_saved_scenarios_stale(store):
    saved = save(store, "before rebuild")
    assert not saved.stale
    build_demo(store, rows=30, cols=40, cell_m=500.0, seed=99)  # same path, other content
    loaded = library.load_scenario(store, name="before rebuild")
    assert loaded.stale and loaded.store_version == saved.store_version
    assert loaded.current_store_version == library.read_store_version(store)
    assert library.list_scenarios(store)["stale"].all()


# -- busy library -----------------------------------------------------------------------------
HOLD_LOCK = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE IF NOT EXISTS hold (x INTEGER)")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def test_a_locked_library_gives_a_friendly_busy_error_then_works(store, monkeypatch):
    save(store, "first")
    path = library.library_path(store)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path), "2.5"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        monkeypatch.setattr(library, "RETRY_BUDGET_S", 0.4)
        with pytest.raises(LibraryBusyError, match="busy with other saves") as info:
            save(store, "second")
        assert "lock" not in str(info.value).lower()
        monkeypatch.setattr(library, "RETRY_BUDGET_S", 8.0)
        started = time.monotonic()
        save(store, "second")  # waits for the holder to let go, then succeeds
        assert time.monotonic() - started < 8.0
    finally:
        holder.wait(timeout=20)
    assert set(library.list_scenarios(store)["name"]) == {"first", "second"}


# -- concurrency ------------------------------------------------------------------------------
WRITER = """
import pickle, sys, time
from pathlib import Path
from data import library
store, payload_file, go, prefix, count = sys.argv[1:6]
assignment, indicators, toml, summary = pickle.loads(Path(payload_file).read_bytes())
while not Path(go).exists():
    time.sleep(0.005)
for k in range(int(count)):
    library.save_scenario(store, f"{prefix}-{k}", toml, "balanced", summary, assignment,
                          indicators)
print("ok", flush=True)
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT)}


def test_concurrent_saves_from_threads_and_processes_are_all_kept(store, tmp_path):
    assignment, indicators = payload(store)
    payload_file, go = tmp_path / "payload.pkl", tmp_path / "go"
    payload_file.write_bytes(pickle.dumps((assignment, indicators, TOML, SUMMARY)))
    n_procs, n_threads, per_writer = 3, 4, 3
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(store), str(payload_file),
                               str(go), f"proc{i}", str(per_writer)], env=_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(n_procs)]
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            for k in range(per_writer):
                library.save_scenario(store, f"thread{i}-{k}", TOML, "balanced", SUMMARY,
                                      assignment, indicators)
        except BaseException as exc:  # collected: an exception must fail the test
            errors.append(exc)

    time.sleep(1.5)  # let the processes import and wait on the go file
    go.touch()
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outputs = [p.communicate(timeout=60) for p in procs]
    assert errors == []
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == "ok"
    names = set(library.list_scenarios(store)["name"])
    expected = ({f"proc{i}-{k}" for i in range(n_procs) for k in range(per_writer)}
                | {f"thread{i}-{k}" for i in range(n_threads) for k in range(per_writer)})
    assert names == expected
    assert library.check_library(store) == []
    for name in sorted(expected)[::4]:
        pd.testing.assert_frame_equal(library.load_scenario(store, name=name).assignment,
                                      assignment.astype("int64"))


# -- kill safety ------------------------------------------------------------------------------
SAVER = """
import pickle, sys
from pathlib import Path
from data import library
store, payload_file, run = sys.argv[1:4]
assignment, indicators, toml, summary = pickle.loads(Path(payload_file).read_bytes())
print("ready", flush=True)
for k in range(10_000):
    name = f"run{run}-{k}" if k % 2 == 0 else "overwritten"
    print("start", name, flush=True)
    library.save_scenario(store, name, toml, "balanced", summary, assignment, indicators,
                          overwrite=True)
    print("done", name, flush=True)
"""


def test_killed_saves_leave_whole_scenarios_or_nothing(demo_store, tmp_path):
    """SIGKILL a process that keeps saving an 18,000-parcel scenario, at random moments."""
    store = Path(shutil.copy(demo_store, tmp_path / "big.duckdb"))
    assignment, indicators = payload(store, range(0, 18_000, 97))
    payload_file = tmp_path / "payload.pkl"
    payload_file.write_bytes(pickle.dumps((assignment, indicators, TOML, SUMMARY)))
    rng = random.Random(20241125)
    mid_save = 0
    for run in range(4):
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(store), str(payload_file),
                                 str(run)], env=_env(), stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.2, 1.2))
        proc.send_signal(signal.SIGKILL)
        # Read through the text wrapper: communicate() would skip what readline() buffered.
        lines = ["ready", *proc.stdout.read().splitlines()]
        proc.wait(timeout=20)
        mid_save += lines[-1].startswith("start")
        # The library opens, every scenario in it is complete, none is half there.
        assert library.check_library(store) == []
        table = library.list_scenarios(store)
        assert (table["n_parcels"] == len(assignment)).all()
        for name in table["name"]:
            loaded = library.load_scenario(store, name=name)
            assert len(loaded.assignment) == len(assignment)
            assert len(loaded.indicators) == len(indicators)
    assert mid_save >= 1, "no kill landed inside a save; the test proved nothing"
    save(store, "after the kills", payload=(assignment, indicators))  # still writable
    assert library.check_library(store) == []
