"""The dashboard script with Streamlit's AppTest: widgets, state, URL codec, real solves.

Runs on a coarse demo county (4,500 parcels of 500 m) in its own store folder so every solve
is quick. The tests open links with the growth preset (feasible at this grain) unless a test is
about another preset.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO_ROOT

APP = str(REPO_ROOT / "dashboard" / "app.py")
TIMEOUT = 120


@pytest.fixture
def app(store_dir, monkeypatch):
    monkeypatch.setenv("LANDALLOC_STORES", str(store_dir))

    def start(**params: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        for key, value in ({"preset": "growth"} | params).items():
            at.query_params[key] = value
        return at.run()

    return start


def metric_values(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def slider(at: AppTest, key: str):
    return at.slider(key=f"lv:{key}")


def test_default_view_solves_and_shows_kpis(app):
    at = app()
    assert not at.exception
    values = metric_values(at)
    assert any(label.startswith("耕地面积") for label in values) and len(values) == 7
    assert at.selectbox(key="lv:preset").value == "growth"
    assert at.query_params["preset"] == "growth"
    assert at.button(key="solve").label == "求解"


def test_link_sets_the_levers(app):
    at = app(preset="farmland", **{"farmland.quota_pct": "97", "weights.compactness": "4"})
    assert not at.exception
    assert at.selectbox(key="lv:preset").value == "farmland"
    assert slider(at, "farmland.quota_pct").value == 97.0
    assert slider(at, "weights.compactness").value == 4.0


def test_moving_a_lever_and_solving_updates_kpis_and_url(app):
    at = app()
    before = metric_values(at)
    slider(at, "farmland.quota_pct").set_value(90.0)
    slider(at, "weights.suitability").set_value(8.0)
    at.run()
    assert at.query_params["farmland.quota_pct"] == "90"
    assert at.query_params["weights.suitability"] == "8"
    assert any("参数已修改" in info.value for info in at.info)  # old result kept, flagged
    at.button(key="solve").click().run()
    assert not at.exception
    assert metric_values(at) != before


def test_garbage_parameters_warn_and_fall_back(app):
    at = app(**{"farmland.quota_pct": "abc", "bogus": "1", "preset": "nope"})
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "farmland.quota_pct" in warnings and "bogus" in warnings and "preset" in warnings
    assert at.selectbox(key="lv:preset").value == "balanced"  # the default preset
    assert slider(at, "farmland.quota_pct").value == 100.0


def test_read_only_link_disables_levers_and_solve(app):
    at = app(mode="readonly")
    assert not at.exception
    assert at.button(key="solve").disabled
    assert slider(at, "farmland.quota_pct").disabled
    assert at.query_params["mode"] == "readonly"


def test_english_labels(app):
    at = app(lang="en")
    assert any(label.startswith("Cropland") for label in metric_values(at))
    assert at.button(key="solve").label == "Solve"


def test_presentation_mode_hides_the_levers(app):
    at = app(mode="present")
    assert not at.exception
    assert len(at.metric) == 7
    assert not any(b.label == "求解" for b in at.button)
    kpi_columns = [c for c in at.columns if len(c.get("metric")) == 1]
    assert len(kpi_columns) == 7  # one large tile per column, all seven in one row: two rows
    assert all(c.weight == pytest.approx(1 / 7) for c in kpi_columns)  # pushed the maps down


def test_infeasible_scenario_explains_and_relaxes(app):
    at = app(preset="growth", **{"farmland.quota_pct": "120", "growth.min_new_built_ha": "3000"})
    assert not at.exception
    assert any("不可行" in e.value for e in at.error)
    relax = [b for b in at.button if b.label == "一键采用建议调整"]
    assert relax, "the one-click relaxation is offered"
    relax[0].click().run()
    assert not at.exception
    assert not any("不可行" in e.value for e in at.error)
    assert len(at.metric) == 7


def test_save_then_reopen_by_share_link_without_solving(app, store_dir):
    from data import library

    at = app(**{"farmland.quota_pct": "98"})
    kpis = metric_values(at)
    at.text_input(key="save_name").input("方案A")
    at.button(key="save").click().run()
    assert not at.exception
    assert any("方案A" in s.value for s in at.success)
    saved = library.list_scenarios(store_dir / "demo.duckdb")
    assert saved["name"].tolist() == ["方案A"]
    token = saved["token"].iloc[0]

    reopened = app(scenario=token, mode="readonly")
    assert not reopened.exception
    assert any("未重新求解" in s.value for s in reopened.success)
    assert metric_values(reopened) == kpis
    assert slider(reopened, "farmland.quota_pct").value == 98.0
    assert reopened.button(key="save").disabled
    assert reopened.query_params["scenario"] == token


def test_bad_share_token_warns_and_solves_the_default(app):
    at = app(scenario="'; DROP TABLE scenarios; --")
    assert not at.exception
    assert any("scenario" in w.value for w in at.warning)
    assert len(at.metric) == 7


def test_shared_server_with_edit_key_is_read_only_without_the_key(app, monkeypatch):
    monkeypatch.setenv("LANDALLOC_EDIT_KEY", "s3cret-key")
    viewer = app()  # a link with mode=readonly removed: still locked
    assert not viewer.exception
    assert viewer.button(key="solve").disabled and viewer.button(key="save").disabled
    assert viewer.query_params["mode"] == "readonly"
    wrong = app(key="guess")
    assert wrong.button(key="solve").disabled
    editor = app(key="s3cret-key")
    assert not editor.button(key="solve").disabled
    assert "key" not in editor.query_params  # the key is never written back into the URL


def test_presentation_toggle_cannot_unlock_a_read_only_link(app):
    at = app(mode="readonly")
    at.toggle(key="presentation_toggle").set_value(True).run()
    assert not any(b.label == "求解" for b in at.button)
    leave = [b for b in at.button if b.label.endswith("规划调控参数")]
    leave[0].click().run()
    assert at.button(key="solve").disabled
    assert at.query_params["mode"] == "readonly"
