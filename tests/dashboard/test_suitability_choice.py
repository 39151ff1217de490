"""The suitability source lever (issue 13) in the running dashboard (AppTest): offered only on a
store with learned scores, labelled with the training years, carried by the link; a link asking
for learned scores on a store without them falls back to the rules with a warning."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import services, state
from dashboard.components import solving
from data import store
from data.db import connect, query
from data.demo import build_demo
from data.presets import load_preset
from tests.conftest import REPO_ROOT

APP = str(REPO_ROOT / "dashboard" / "app.py")
TIMEOUT = 120
SOURCE = "lv:suitability.source"


def learned_stores(folder: Path) -> Path:
    """``folder`` with a small demo county twice: ``demo`` (rule scores only) and ``learned``
    (with learned scores trained on 2003→2005)."""
    demo = build_demo(folder / "demo.duckdb", rows=30, cols=40, cell_m=500.0)
    learned = Path(shutil.copy(demo, folder / "learned.duckdb"))
    con = connect(learned)
    try:
        ids = store.read_parcels(con)["parcel_id"].to_numpy()
        codes = store.read_classes(con)["code"].tolist()
    finally:
        con.close()
    scores = np.random.default_rng(0).uniform(0, 100, len(ids) * len(codes))
    store.write_learned_suitability(learned, pd.DataFrame({
        "parcel_id": np.repeat(ids, len(codes)), "land_use": np.tile(codes, len(ids)),
        "score": scores}), {"start_year": 2003, "end_year": 2005, "fom": 0.2})
    return folder


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> Path:
    return learned_stores(tmp_path_factory.mktemp("learned_stores"))


@pytest.fixture
def app(store_dir, monkeypatch):
    monkeypatch.setenv("LANDALLOC_STORES", str(store_dir))
    monkeypatch.delenv("LANDALLOC_EDIT_KEY", raising=False)

    def start(**params: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        for key, value in ({"preset": "growth"} | params).items():
            at.query_params[key] = value
        return at.run()

    return start


def version(store_dir: Path, name: str) -> str:
    con = connect(str(store_dir / f"{name}.duckdb"))
    try:
        return query(con, "SELECT value FROM meta WHERE key = 'version'")[0][0]
    finally:
        con.close()


def has_choice(at: AppTest) -> bool:
    return any(box.key == SOURCE for box in at.selectbox)


def test_a_store_without_learned_scores_offers_no_choice(app):
    at = app(store="demo")
    assert not at.exception, [e.value for e in at.exception]
    assert not has_choice(at)
    assert not at.warning and not at.error
    assert "suitability.source" not in at.query_params


@pytest.mark.parametrize(("lang", "labels"), [
    ("zh", ["规则评分", "变化学习（2003→2005）"]),
    ("en", ["Hand-set rules", "Learned from change (2003→2005)"])])
def test_a_store_with_learned_scores_offers_them_with_the_training_years(app, lang, labels):
    at = app(store="learned", lang=lang)
    assert not at.exception, [e.value for e in at.exception]
    box = at.selectbox(key=SOURCE)
    assert box.label == ("适宜性来源" if lang == "zh" else "Suitability source")
    assert list(box.options) == labels and box.value == "rules"


def test_choosing_learned_solves_with_them_and_the_link_carries_it(app, store_dir):
    at = app(store="learned")
    at.selectbox(key=SOURCE).set_value("learned").run()
    at.button(key="solve").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    assert at.query_params["suitability.source"] == "learned"
    expected = load_preset("growth").with_value("suitability.source", "learned")
    assert at.session_state["shown"]["key"] == solving.result_key(version(store_dir, "learned"),
                                                                  expected)
    # the link reopens the same choice
    again = app(**state.scenario_to_params(expected, "growth"), store="learned")
    assert again.selectbox(key=SOURCE).value == "learned"
    assert again.session_state["shown"]["key"] == at.session_state["shown"]["key"]


def test_a_learned_link_on_a_store_without_them_falls_back_to_the_rules(app, store_dir):
    at = app(store="demo", **{"suitability.source": "learned"})
    assert not at.exception, [e.value for e in at.exception]
    assert [w.value for w in at.warning] == [
        "本数据库没有变化学习的适宜性评分，已改用规则评分。如需使用，请先运行 "
        "python -m data learn-suitability。"]
    assert not at.error
    assert "suitability.source" not in at.query_params
    assert at.session_state["shown"]["key"] == solving.result_key(version(store_dir, "demo"),
                                                                  load_preset("growth"))


def test_switching_to_a_store_without_learned_scores_keeps_the_page_working(app, store_dir):
    at = app(store="learned", **{"suitability.source": "learned"})
    assert at.selectbox(key=SOURCE).value == "learned"
    at.selectbox(key="store_choice").set_value("demo").run()
    at.button(key="solve").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not has_choice(at) and not at.error
    assert any("learn-suitability" in w.value for w in at.warning)
    assert at.session_state["shown"]["key"] == solving.result_key(version(store_dir, "demo"),
                                                                  load_preset("growth"))
    at.selectbox(key="store_choice").set_value("learned").run()
    assert not at.exception
    assert has_choice(at)


def test_learned_scores_written_after_the_landscape_was_cached_are_used(app, store_dir):
    """The landscape and overview are cached by store version: writing learned scores bumps
    it, so the page offers them and solves with them without a stale cache entry."""
    path = Path(shutil.copy(store_dir / "demo.duckdb", store_dir / "fresh.duckdb"))
    at = app(store="fresh", **{"suitability.source": "learned"})
    assert not has_choice(at) and at.warning  # fell back to the rules: none learned yet
    before = version(store_dir, "fresh")
    services.connection(str(path)).close()  # the store is written with the dashboard stopped:
    services._connection.clear()            # here, its shared read-only connection is let go
    ids = store.read_parcels_gdf(path)["parcel_id"].to_numpy()
    store.write_learned_suitability(path, pd.DataFrame({
        "parcel_id": np.repeat(ids, 6), "land_use": np.tile(np.arange(1, 7), len(ids)),
        "score": 50.0}), {"years": [2010, 2015]})
    assert version(store_dir, "fresh") != before
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key=SOURCE).options == ["规则评分", "变化学习（2010→2015）"]
    at.button(key="solve").click().run()
    assert not at.exception and not at.error and not at.warning
    assert at.query_params["suitability.source"] == "learned"
    assert at.session_state["shown"]["key"].startswith(version(store_dir, "fresh") + ":")
