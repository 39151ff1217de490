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


def test_change_colours():
    poc = np.array([-1, 0, 1])
    assert periods.change_colors(poc) == [periods.UNCHANGED, periods.PERIOD_COLORS[0],
                                          periods.PERIOD_COLORS[1]]


def test_plan_table_is_the_inverse_of_period_scenario():
    base = load_preset("growth")
    table = periods.default_periods(base)
    table.loc[0, "max_period_changed_pct"] = 4.0
    table.loc[1, "name"] = "<img src=x onerror=alert(1)>"
    plan = periods.period_scenario(base, 2025, table)
    again = periods.period_scenario(base, 2025, periods.plan_table(plan))
    assert again.to_toml() == plan.to_toml()


def test_period_legend_escapes_period_names():
    legend = periods.legend_html(["2030 <img src=x onerror=alert(1)>", "2035 \"'&"], "未变")
    assert "<img" not in legend and "&lt;img src=x onerror=alert(1)&gt;" in legend
    assert "&quot;&#x27;&amp;" in legend and legend.count("<span") == 3


def test_long_uses_and_the_phased_export(store_dir):
    from data.exports import read_store_tables
    from data.period_exports import codes_by_period, period_allocation

    tables = read_store_tables(store_dir / "demo.duckdb", wgs84=False)
    ids = tables.parcel_ids
    before = tables.parcels["land_use"].to_numpy()
    first, second = before.copy(), before.copy()
    other = int(next(c for c in tables.classes["code"] if c != before[1]))
    first[1] = second[1] = other    # changes in the first period
    second[2] = other if before[2] != other else before[1]   # changes in the second
    uses = periods.long_uses(ids[::-1], np.column_stack([first, second])[::-1])
    assert list(uses.columns) == ["period", "parcel_id", "land_use"] and len(uses) == 2 * len(ids)
    frame = period_allocation(tables, codes_by_period(tables, uses), (2030, 2035))
    assert {"use_2030", "use_2035_zh", "use_after", "period_of_change"} <= set(frame.columns)
    assert frame["period_of_change"].tolist()[:4] == [0, 2030, 2035, 0]
    assert frame.crs is not None and len(frame) == len(ids)


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
