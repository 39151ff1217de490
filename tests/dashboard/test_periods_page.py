"""Planning periods on the dashboard: table ⇄ PeriodScenario, export table, and the page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components import periods
from data.presets import load_preset
from solver import ScenarioError
from tests.dashboard.test_app import APP, TIMEOUT


def test_default_table_phases_the_growth_target():
    base = load_preset("growth")
    table = periods.default_periods(base)
    assert table["year"].tolist() == [2030, 2035]
    assert table["min_new_built_ha"].tolist() == [base.growth.min_new_built_ha / 2,
                                                  base.growth.min_new_built_ha]


def test_table_becomes_a_period_scenario_with_blank_cells_kept():
    base = load_preset("growth")
    table = periods.default_periods(base)
    table.loc[0, "max_period_changed_pct"] = 4.0
    ps = periods.period_scenario(base, 2025, table)
    assert ps.n_periods == 2 and ps.base_year == 2025
    assert ps.scenario(0).growth.min_new_built_ha == base.growth.min_new_built_ha / 2
    assert ps.scenario(1).growth.max_new_built_ha == base.growth.max_new_built_ha
    assert ps.periods[0].max_period_changed_pct == 4.0


def test_years_out_of_order_are_refused():
    table = periods.default_periods(load_preset("growth"))
    table.loc[1, "year"] = 2028
    with pytest.raises(ScenarioError):
        periods.period_scenario(load_preset("growth"), 2025, table)


def test_change_colours_and_export_table():
    poc = np.array([-1, 0, 1])
    assert periods.change_colors(poc) == [periods.UNCHANGED, periods.PERIOD_COLORS[0],
                                          periods.PERIOD_COLORS[1]]
    table = periods.allocation_table(np.array([7, 8, 9]), np.array([[1, 1], [5, 5], [1, 5]]),
                                     poc, (2030, 2035), np.array([1, 1, 1]), 2025)
    assert list(table.columns) == ["parcel_id", "use_2025", "use_2030", "use_2035",
                                   "period_of_change"]
    assert table["period_of_change"].tolist() == [0, 2030, 2035]


def test_periods_page_solves_and_shows_each_period(store_dir, monkeypatch):  # noqa: F811
    monkeypatch.setenv("LANDALLOC_STORES", str(store_dir))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["preset"] = "growth"
    at.run()
    at.switch_page("views/periods.py").run()
    assert not at.exception
    at.button(key="period_solve").click().run()
    assert not at.exception
    assert any("求解状态" in c.value for c in at.caption)
    areas = at.dataframe[-1].value
    assert isinstance(areas, pd.DataFrame) and list(areas.columns) == ["2030 近期", "2035 远期"]
    built = areas.loc["建设用地"]
    assert built["2035 远期"] >= built["2030 近期"]  # built-up land is never given back
