"""[suitability] source (issue 13): the rule scores or the scores learned from observed change.

Every allocation is checked by the independent validator (``solve_checked``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data import store
from data.landscape import load_landscape
from solver import solve
from solver.instance import LearnedSuitabilityMissing, allowed_mask, build_instance
from solver.periods import PeriodScenario
from solver.scenario import Scenario, ScenarioError, documented_keys
from solver.validate import check_allocation
from tests.solver.conftest import K, make_landscape
from tests.solver.helpers import feasible, solve_checked

ROOT = Path(__file__).resolve().parents[2]
N_CHOSEN = 12


def growth_scenario(source: str, new_built_ha: float, time_limit_s: float = 20.0) -> Scenario:
    """New built land of exactly ``new_built_ha``; suitability dominates the objective."""
    return Scenario.from_dict({
        "farmland": {"quota_pct": 0.0, "balance": False, "keep_basic_farmland": True},
        "growth": {"min_new_built_ha": new_built_ha, "max_new_built_ha": new_built_ha,
                   "expansion_cap": 5.0, "only_inside_boundary": True},
        "conversion": {"max_changed_pct": 100.0},
        "weights": {"suitability": 10.0, "compactness": 0.0},
        "suitability": {"source": source},
        "solver": {"time_limit_s": time_limit_s},
    })


# ----- the scenario key -------------------------------------------------------------------
def test_default_is_rules_and_the_key_is_documented() -> None:
    assert Scenario().suitability.source == "rules"
    row = {r["key"]: r for r in documented_keys()}["suitability.source"]
    assert row["default"] == "rules" and row["choices"] == ("rules", "learned")
    assert row["unit"] == "choice" and "learn-suitability" in row["doc"]


def test_toml_round_trip_of_the_source() -> None:
    learned = Scenario.from_toml('[suitability]\nsource = "learned"\n')
    assert learned.suitability.source == "learned"
    assert '[suitability]\nsource = "learned"' in learned.to_toml()
    assert Scenario.from_toml(learned.to_toml()) == learned
    assert Scenario.from_dict(learned.to_dict()) == learned
    assert Scenario().with_value("suitability.source", "learned") == learned
    assert learned != Scenario()  # a cache keyed by the scenario tells them apart


def test_an_unknown_source_is_refused_with_the_choices() -> None:
    with pytest.raises(ScenarioError, match=r"suitability.source.*'rules', 'learned'"):
        Scenario.from_dict({"suitability": {"source": "model"}})
    with pytest.raises(ScenarioError, match=r"unknown key"):
        Scenario.from_dict({"suitability": {"sources": "rules"}})


def test_periods_inherit_and_may_override_the_source() -> None:
    ps = PeriodScenario.from_dict({
        "base_year": 2025, "suitability": {"source": "learned"},
        "periods": [{"name": "近期", "year": 2030},
                    {"name": "远期", "year": 2035, "suitability": {"source": "rules"}}]})
    assert [ps.scenario(t).suitability.source for t in range(2)] == ["learned", "rules"]


# ----- a hand-built landscape ---------------------------------------------------------------
def tiny(learned: bool) -> tuple:
    """Three grassland parcels and a town; rules favour building on parcel 0, learned on 2."""
    land = make_landscape(["grassland", "grassland", "grassland", "built"], no_conv=[3],
                          suit={"built": [90.0, 50.0, 10.0, 50.0]})
    if learned:
        matrix = np.zeros((4, 6))
        matrix[:, K["built"]] = [0.0, 0.0, 100.0, 0.0]
        land = replace(land, learned_suitability=matrix)
    return land


@pytest.mark.parametrize(("source", "built_on"), [("rules", 0), ("learned", 2)])
def test_the_source_decides_where_a_tiny_town_grows(source: str, built_on: int) -> None:
    scenario = growth_scenario(source, 1.0, time_limit_s=5.0)
    land = tiny(learned=True)
    result = solve_checked(land, scenario)
    assert feasible(result)
    new = np.flatnonzero((result.assignment == K["built"]) & (land.current != K["built"]))
    assert new.tolist() == [built_on]


def test_learned_without_learned_scores_is_a_clear_scenario_error() -> None:
    with pytest.raises(ScenarioError) as refused:
        build_instance(tiny(learned=False), growth_scenario("learned", 1.0))
    assert isinstance(refused.value, LearnedSuitabilityMissing)
    assert "learn-suitability" in str(refused.value)
    assert 'source = "rules"' in str(refused.value)
    assert "learn-suitability" in refused.value.message_zh and "规则评分" in refused.value.message_zh
    # the rule scores solve as before on the same landscape
    assert feasible(solve_checked(tiny(learned=False), growth_scenario("rules", 1.0, 5.0)))


def test_a_learned_matrix_of_the_wrong_shape_is_refused() -> None:
    land = replace(tiny(learned=False), learned_suitability=np.zeros((3, 6)))
    with pytest.raises(ValueError, match=r"learned_suitability has shape \(3, 6\)"):
        land.check_shapes()


# ----- a real store: learned scores written, read back and solved ----------------------------
@pytest.fixture(scope="module")
def county(small_demo_store: Path, tmp_path_factory) -> tuple[Path, Path, np.ndarray]:
    """Two copies of the small demo store, one with learned scores that favour building on
    ``N_CHOSEN`` parcels (score 100 for built there, 0 for every other pair)."""
    folder = tmp_path_factory.mktemp("learned")
    plain = Path(shutil.copy(small_demo_store, folder / "plain.duckdb"))
    learned = Path(shutil.copy(small_demo_store, folder / "learned.duckdb"))
    land = load_landscape(learned)
    built = land.class_index("built")
    may_build = allowed_mask(land, growth_scenario("rules", 0.0))[:, built]
    candidates = np.flatnonzero(may_build & (land.current != built))
    chosen = np.sort(np.random.default_rng(13).choice(candidates, N_CHOSEN, replace=False))
    scores = np.zeros((land.n_parcels, land.n_classes))
    scores[chosen, built] = 100.0
    table = pd.DataFrame({"parcel_id": np.repeat(land.parcel_id, land.n_classes),
                          "land_use": np.tile(land.class_codes, land.n_parcels),
                          "score": scores.ravel()})
    store.write_learned_suitability(learned, table, {"start_year": 2003, "end_year": 2005})
    return plain, learned, land.parcel_id[chosen]


def new_built(land, assignment: np.ndarray) -> np.ndarray:
    built = land.class_index("built")
    return np.sort(land.parcel_id[(assignment == built) & (land.current != built)])


def chosen_area(land, chosen_ids: np.ndarray) -> float:
    return float(land.area_ha[np.isin(land.parcel_id, chosen_ids)].sum())


def test_learned_scores_put_the_new_town_on_the_favoured_parcels(county) -> None:
    _, path, chosen = county
    land = load_landscape(path)
    assert land.learned_suitability is not None
    target = chosen_area(land, chosen)
    learned = solve_checked(land, growth_scenario("learned", target))
    assert feasible(learned)
    np.testing.assert_array_equal(new_built(land, learned.assignment), chosen)
    term = learned.terms["suitability"]
    assert term.after - term.before == pytest.approx(100.0 * target)
    rules = solve_checked(land, growth_scenario("rules", target))
    assert feasible(rules)
    assert not np.array_equal(new_built(land, rules.assignment), chosen)


def test_learned_on_a_store_without_learned_scores_names_the_fix(county) -> None:
    plain, _, _ = county
    land = load_landscape(plain)
    assert land.learned_suitability is None
    with pytest.raises(LearnedSuitabilityMissing, match="learn-suitability"):
        solve(land, growth_scenario("learned", 100.0))


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "solver", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=180)


def test_cli_solve_respects_the_source(county, tmp_path: Path) -> None:
    plain, path, chosen = county
    land = load_landscape(path)
    toml = tmp_path / "learned.toml"
    toml.write_text(growth_scenario("learned", chosen_area(land, chosen)).to_toml(), "utf-8")
    out = tmp_path / "result.csv"
    done = run_cli("solve", "--db", str(path), "--scenario", str(toml), "--out", str(out))
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out).sort_values("parcel_id")
    assignment = pd.Index(land.class_codes).get_indexer(table["use_after"])
    assert (assignment >= 0).all()
    assert check_allocation(land, Scenario.from_toml(toml), assignment) == []
    np.testing.assert_array_equal(new_built(land, assignment), chosen)
    # the same scenario on a store without learned scores: one line naming the fix, exit 1
    refused = run_cli("solve", "--db", str(plain), "--scenario", str(toml))
    assert refused.returncode == 1
    assert "learn-suitability" in refused.stderr and 'source = "rules"' in refused.stderr
    assert "Traceback" not in refused.stderr
