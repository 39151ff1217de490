"""Period plans in the scenario library, and the migration of a layout-1 library.

``library_schema_v1.sql`` (next to this file) is the library layout before period plans,
exactly as it shipped; a sidecar created with it must keep every saved scenario.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from data import library
from data.library import LibraryError, ScenarioExistsError
from tests.data.test_library import SUMMARY, TOML, payload, save, store  # noqa: F401

V1_SCHEMA = Path(__file__).with_name("library_schema_v1.sql")
PLAN_TOML = TOML + 'base_year = 2025\n\n[[periods]]\nname = "近期"\nyear = 2030\n'


def period_uses(store_path: Path, n_periods: int = 2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long ``period, parcel_id, land_use``: more parcels change in each later period."""
    frames, indicators = [], None
    for period in range(n_periods):
        assignment, indicators = payload(store_path, changed=range(4 * (period + 1)))
        frames.append(assignment.assign(period=period))
    return pd.concat(frames, ignore_index=True), indicators


def save_plan(store_path: Path, name: str, **kwargs) -> library.SavedScenario:
    uses, indicators = kwargs.pop("payload", None) or period_uses(store_path)
    return library.save_period_plan(store_path, name, PLAN_TOML, "growth",
                                    {**SUMMARY, "periods": [{"name": "近期"}]}, uses,
                                    indicators, **kwargs)


def test_period_plan_round_trip_keeps_every_period(store):  # noqa: F811
    uses, indicators = period_uses(store, 3)
    saved = save_plan(store, "分期 甲", payload=(uses, indicators))
    loaded = library.load_scenario(store, token=saved.token)
    assert loaded.is_period_plan and loaded.kind == "periods"
    assert loaded.scenario_toml == PLAN_TOML and loaded.preset == "growth"
    ids = uses.loc[uses["period"] == 0, "parcel_id"].to_numpy()[::-1]  # any order
    codes = loaded.codes_by_period(ids)
    assert codes.shape == (len(ids), 3)
    for period in range(3):
        want = uses[uses["period"] == period].set_index("parcel_id")["land_use"].loc[ids]
        np.testing.assert_array_equal(codes[:, period], want.to_numpy())
    # the plan's assignment is its end state: 12 parcels changed in the last period
    assert loaded.n_changed == 12
    np.testing.assert_array_equal(loaded.codes_for(ids), codes[:, 2])


def test_list_tells_plans_from_scenarios(store):  # noqa: F811
    save(store, "单期 A")
    save_plan(store, "分期 B")
    listed = library.list_scenarios(store).set_index("name")
    assert listed.loc["单期 A", "kind"] == "single" and listed.loc["单期 A", "n_periods"] == 0
    assert listed.loc["分期 B", "kind"] == "periods" and listed.loc["分期 B", "n_periods"] == 2
    single = library.load_scenario(store, name="单期 A")
    assert not single.is_period_plan and single.period_uses is None
    with pytest.raises(LibraryError, match="not a period plan"):
        single.codes_by_period(np.array([1]))


def test_plans_and_scenarios_share_one_name_space(store):  # noqa: F811
    save(store, "方案")
    with pytest.raises(ScenarioExistsError):
        save_plan(store, "方案")
    token = library.load_scenario(store, name="方案").token
    plan = save_plan(store, "方案", overwrite=True)  # the link follows the name
    assert plan.token == token and library.load_scenario(store, token=token).is_period_plan


def test_duplicate_rename_delete_carry_the_periods(store):  # noqa: F811
    save_plan(store, "分期")
    library.duplicate_scenario(store, "分期", "分期 副本")
    library.rename_scenario(store, "分期", "分期 改")
    copy = library.load_scenario(store, name="分期 副本")
    assert copy.is_period_plan and len(copy.period_uses) == 2 * copy.assignment.shape[0]
    library.delete_scenario(store, "分期 改")
    assert library.check_library(store) == []
    con = duckdb.connect(str(library.library_path(store)))
    try:
        rows = con.execute("SELECT count(DISTINCT scenario_id) FROM scenario_period_uses").fetchall()
    finally:
        con.close()
    assert rows == [(1,)]  # only the copy's periods are left


@pytest.mark.parametrize("broken, message", [
    (lambda u: u.drop(columns="period"), "missing"),
    (lambda u: u.assign(period=u["period"] + 1), "periods 0..T-1"),
    (lambda u: u[~((u["period"] == 1) & (u.index % 7 == 0))], "period 2"),
])
def test_bad_period_uses_are_refused_and_nothing_written(store, broken, message):  # noqa: F811
    uses, indicators = period_uses(store)
    with pytest.raises(LibraryError, match=message):
        save_plan(store, "坏", payload=(broken(uses), indicators))
    assert library.list_scenarios(store).empty


def test_integrity_check_sees_missing_period_rows(store):  # noqa: F811
    save_plan(store, "分期")
    con = duckdb.connect(str(library.library_path(store)))
    try:
        con.execute("DELETE FROM scenario_period_uses WHERE period = 1")
    finally:
        con.close()
    problems = library.check_library(store)
    assert len(problems) == 1 and "period rows" in problems[0]


def v1_library(store_path: Path) -> pd.DataFrame:
    """Write a layout-1 library with one scenario through the old schema; its header row."""
    saved = save(store_path, "旧方案")  # written by today's code, then rebuilt as layout 1
    path = library.library_path(store_path)
    con = duckdb.connect(str(path))
    try:
        old = {t: con.execute(f"SELECT * FROM {t}").df()
               for t in ("scenarios", "scenario_assignments", "scenario_indicators")}
    finally:
        con.close()
    path.unlink()
    con = duckdb.connect(str(path))
    try:
        con.execute(V1_SCHEMA.read_text(encoding="utf-8"))
        header = old["scenarios"].drop(columns=["kind", "n_periods"])
        for table, frame in (("scenarios", header), *list(old.items())[1:]):
            con.register("incoming", frame)
            con.execute(f"INSERT INTO {table} SELECT * FROM incoming")
            con.unregister("incoming")
        # the sequence stands where the old library's did (past every saved id)
        con.execute("SELECT nextval('scenario_ids') FROM range($n)",
                    {"n": int(header["scenario_id"].max())})
        assert con.execute("SELECT value FROM library_meta WHERE key = 'schema_version'"
                           ).fetchall() == [("1",)]
    finally:
        con.close()
    assert saved.token == header["token"].iloc[0]
    return header


@pytest.mark.parametrize("first", ["list", "load", "save", "check"])
def test_a_layout_1_library_is_migrated_losing_nothing(store, first):  # noqa: F811
    header = v1_library(store)
    actions = {"list": lambda: library.list_scenarios(store),
               "load": lambda: library.load_scenario(store, name="旧方案"),
               "save": lambda: save_plan(store, "新分期"),
               "check": lambda: library.check_library(store)}
    actions[first]()
    old = library.load_scenario(store, token=header["token"].iloc[0])
    assert old.name == "旧方案" and old.kind == "single" and old.summary["status"] == "FEASIBLE"
    assert old.scenario_toml == header["scenario_toml"].iloc[0]
    assert len(old.assignment) == header["n_parcels"].iloc[0]
    assert len(old.indicators) == header["n_indicators"].iloc[0]
    assert old.created_at.replace(tzinfo=None) == pd.Timestamp(header["created_at"].iloc[0])
    listed = library.list_scenarios(store)
    assert listed.loc[listed["name"] == "旧方案", "kind"].tolist() == ["single"]
    assert library.check_library(store) == []
    con = duckdb.connect(str(library.library_path(store)))
    try:
        version = con.execute("SELECT value FROM library_meta WHERE key = 'schema_version'"
                              ).fetchall()
    finally:
        con.close()
    assert version == [("2",)]
    save_plan(store, "迁移后分期", overwrite=True)
    assert library.load_scenario(store, name="迁移后分期").is_period_plan


@pytest.mark.parametrize("toml, expected", [
    (TOML, False),
    (TOML + "\n[weights]\ncompactness = 2.0\n", True),
    (PLAN_TOML, False),
    (PLAN_TOML + "\n[periods.weights]\ncompactness = 1.0\n", True),
    ("not = [toml", False),
])
def test_uses_compactness_reads_scenarios_and_plans(store, toml, expected):  # noqa: F811
    saved = library.save_scenario(store, "紧凑", toml, "", SUMMARY, *payload(store))
    assert saved.uses_compactness is expected
