"""Scenario input from a TOML file or a link: wrong keys, types, ranges, regions, contradictions.

Already covered elsewhere (referenced in RELIABILITY.md): one out-of-range TOML value and the
INFEASIBLE exit 2 with explanation (tests/solver/test_cli.py), validation messages
(tests/solver/test_scenario.py), out-of-range URL values (tests/dashboard/test_state.py) and
the infeasible-scenario panel (tests/dashboard/test_app.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from data.demo import build_demo
from data.landscape import load_landscape
from data.presets import load_preset
from solver import solve
from solver.scenario import Scenario, ScenarioError
from tests.conftest import REPO_ROOT
from tests.reliability.apptest import open_app, texts

BAD_TOML = {
    "unknown_section_key": ("[farmland]\nquota_pcent = 95\n", ["quota_pcent", "known keys"]),
    "unknown_top_key": ("colour = 'red'\n", ["colour", "Fix"]),
    "wrong_type": ('[farmland]\nquota_pct = "high"\n', ["farmland.quota_pct", "must be a number"]),
    "bool_as_text": ('[farmland]\nkeep_basic_farmland = "maybe"\n',
                     ["farmland.keep_basic_farmland"]),
    "out_of_range": ("[solver]\ntime_limit_s = 0\n", ["solver.time_limit_s", "1.0 .. 600.0"]),
    "negative_weight": ("[weights]\ncompactness = -1\n", ["weights.compactness", "Fix"]),
    "region_not_a_table": ("[farmland]\nregion_quota_pct = 5\n",
                           ["farmland.region_quota_pct", "table"]),
    "syntax_error": ("[farmland\nquota_pct = = 1\n", ["cannot be parsed", "line 1"]),
    "unknown_region": ('[farmland.region_quota_pct]\n"不存在的镇" = 90\n',
                       ["不存在的镇", "known regions", "城关镇"]),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return build_demo(tmp_path_factory.mktemp("cli") / "s.duckdb", rows=12, cols=15, cell_m=500.0)


def run_solve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "solver", "solve", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("case", sorted(BAD_TOML))
def test_bad_scenario_file_exits_1_naming_key_and_fix(store: Path, tmp_path: Path,
                                                      case: str) -> None:
    """``python -m solver solve --scenario bad.toml``: one error line, exit 1, no traceback."""
    text, needles = BAD_TOML[case]
    toml = tmp_path / "bad.toml"
    toml.write_text(text, encoding="utf-8")
    done = run_solve("--db", str(store), "--scenario", str(toml), "--time-limit", "2")
    assert done.returncode == 1, done.stdout
    assert done.stderr.startswith("error:") and "Traceback" not in done.stderr
    for needle in needles:
        assert needle in done.stderr, done.stderr


def test_binary_garbage_as_scenario_file(store: Path, tmp_path: Path) -> None:
    toml = tmp_path / "bad.toml"
    toml.write_bytes(b"\xff\xfe\x00garbage\x00" * 50)
    done = run_solve("--db", str(store), "--scenario", str(toml))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error:")


@pytest.mark.parametrize("case", [c for c in sorted(BAD_TOML) if c != "unknown_region"])
def test_bad_scenario_text_raises_scenario_error(case: str) -> None:
    """The library behind the CLI and the dashboard raises one exception type for all of them."""
    text, needles = BAD_TOML[case]
    with pytest.raises(ScenarioError) as info:
        Scenario.from_toml(text)
    assert needles[0] in str(info.value)


def test_region_lever_for_a_missing_region_is_refused_by_solve(store: Path) -> None:
    """An empty region selection (a name the store lacks) is an error, never silently ignored."""
    land = load_landscape(store)
    scenario = load_preset("growth").with_value("farmland.region_quota_pct", {"火星": 90.0})
    with pytest.raises(ScenarioError, match="known regions"):
        solve(land, scenario)


def test_contradictory_region_levers_are_infeasible_with_an_explanation(store: Path) -> None:
    """Every region must grow cropland by 100 % while nothing may change: INFEASIBLE, explained."""
    land = load_landscape(store)
    quotas = {name: 200.0 for name in land.region_names}
    scenario = (load_preset("growth").with_value("farmland.region_quota_pct", quotas)
                .with_value("solver.time_limit_s", 5.0))
    result = solve(land, scenario)
    assert result.status == "INFEASIBLE" and result.assignment is None
    assert result.explanation is not None and result.message


def test_link_with_an_unknown_region_warns(app_stores: Path) -> None:
    """``farmland.region_quota_pct={"不存在":90}`` in a link must warn, naming the known regions."""
    at = open_app({"preset": "growth", "farmland.region_quota_pct": '{"不存在":90}'})
    assert not at.exception
    assert "不存在" in texts(at) and "城关镇" in texts(at)


def test_link_with_a_region_quota_keeps_it(app_stores: Path) -> None:
    """A shared link's per-region quota must survive opening the link."""
    at = open_app({"preset": "growth", "farmland.region_quota_pct": '{"城关镇":90}'})
    assert not at.exception
    assert "farmland.region_quota_pct" in at.query_params
