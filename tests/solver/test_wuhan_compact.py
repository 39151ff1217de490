"""Compactness on real land: Wuhan at 300 m with the balanced preset's compactness weight.

A behaviour test (speed is the benchmark's business): an allocation arrives within a modest
limit, passes the validator, carries a bound that means something, and is never worse than
the optimum without compactness scored with compactness.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import solve_checked

from data.importers.raster import import_raster
from data.landscape import load_landscape
from data.presets import load_preset
from solver import Status, solve
from solver.validate import objective_value
from tests.conftest import require_wuhan
from tests.data.test_wuhan_grid_roundtrip import lean_mapping


@pytest.mark.wuhan
@pytest.mark.slow
def test_wuhan_300m_balanced_compactness_answers_with_a_valid_bound(tmp_path: Path) -> None:
    wuhan = require_wuhan()
    store = import_raster(wuhan / "LULCs" / "wh2010_refy.tif", tmp_path / "w.duckdb",
                          lean_mapping(tmp_path), 300, no_change=wuhan / "WaterWuhan.tif").db_path
    land = load_landscape(store)
    s = (load_preset("balanced").with_value("growth.only_inside_boundary", False)
         .with_value("solver.time_limit_s", 20.0))
    assert s.weights.compactness > 0
    result = solve_checked(land, s)  # the validator agrees with the allocation and objective
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert any(p.startswith("compact:") for p in result.phases), result.phases
    assert result.gap is not None and result.gap < 1.0, (result.objective, result.best_bound)
    linear = solve(land, s.with_value("weights.compactness", 0.0))
    assert linear.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert result.objective >= objective_value(land, s, linear.assignment) - 1e-6
