"""The dashboard on a grid store (raster import): maps are images, never a polygon per cell.

A real tiny grid store (a written GeoTIFF of the seven Wuhan codes imported at 90 m: 524
cells) in its own store folder; the demo is built beside it on first start.
"""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO_ROOT
from tests.dashboard.grid_store import build_grid_store

APP = str(REPO_ROOT / "dashboard" / "app.py")
TIMEOUT = 120
WUHAN_NAMES = ("草地", "落叶林", "耕地", "城镇用地", "裸地", "水域", "常绿林")
FEASIBLE = {"preset": "growth", "growth.min_new_built_ha": "5"}  # the tiny grid is 432 ha


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("grid_stores")
    build_grid_store(folder, "grid")
    return folder


@pytest.fixture
def app(store_dir, monkeypatch):
    monkeypatch.setenv("LANDALLOC_STORES", str(store_dir))

    def start(page: str | None = None, **params: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        for key, value in ({"store": "grid"} | params).items():
            at.query_params[key] = value
        at.run()
        return at.switch_page(page).run() if page else at

    return start


def decks(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.json) for chart in at.get("deck_gl_json_chart")]


def layer_types(deck: dict) -> list[str]:
    return [layer["@@type"] for layer in deck["layers"]]


def legend(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown if "background:#" in m.value)


def test_scenario_page_draws_current_and_optimized_maps_as_images(app, monkeypatch):
    from data import store

    def refuse(*args, **kwargs):
        raise AssertionError("a grid store's maps must not build cell polygons")

    monkeypatch.setattr(store, "cell_geometry", refuse)  # first test here: nothing cached yet
    at = app(**FEASIBLE)
    assert not at.exception
    assert len(at.metric) == 7
    current, optimized, region_map = decks(at)
    assert layer_types(current) == ["BitmapLayer", "TextLayer"]  # the cells, township names
    # the optimized map: unchanged cells pale, and the edges of converted cells on top
    assert [layer["id"] for layer in optimized["layers"]] == ["optimized", "changes"]
    assert layer_types(optimized) == ["BitmapLayer", "BitmapLayer"]
    for deck in (current, optimized):
        image = deck["layers"][0]["image"]
        assert image.startswith("data:image/png;base64,") and len(deck["layers"][0]["bounds"]) == 4
    assert current["layers"][0]["image"] != optimized["layers"][0]["image"]
    assert layer_types(region_map) == ["PolygonLayer", "TextLayer"]
    assert len(region_map["layers"][0]["data"]) == 1
    assert all(name in legend(at) for name in WUHAN_NAMES)
    assert any("个 90 米单元，以图像显示" in c.value for c in at.caption)


def test_overlays_change_the_grid_images(app):
    at = app(**FEASIBLE)
    highlighted = decks(at)[1]["layers"][0]["image"]
    at.pills(key="map_overlays").set_value(["in_urban_boundary"]).run()
    assert not at.exception
    current, optimized, _ = decks(at)
    assert optimized["layers"][0]["image"] != highlighted  # no longer pale
    assert [layer["id"] for layer in current["layers"]] == ["current", "zone-in_urban_boundary",
                                                            "region-names"]
    assert [layer["id"] for layer in optimized["layers"]] == ["optimized",
                                                              "zone-in_urban_boundary"]


def test_infeasible_scenario_still_shows_the_current_map(app):
    at = app(preset="growth", **{"growth.min_new_built_ha": "5000"})
    assert not at.exception
    assert any("不可行" in e.value for e in at.error)
    (current,) = decks(at)
    assert layer_types(current) == ["BitmapLayer"]
    assert all(name in legend(at) for name in WUHAN_NAMES)


def test_a_large_store_is_solved_only_on_request_and_says_why(app, monkeypatch):
    monkeypatch.setenv("LANDALLOC_AUTO_SOLVE_MAX", "100")  # the 524 cells count as large
    at = app(**FEASIBLE)
    assert not at.exception
    notice = " ".join(w.value for w in at.warning)
    assert "打开页面时不自动求解" in notice and "524" in notice and "约 7 GB" in notice
    assert len(at.metric) == 0 and not any("求解状态" in c.value for c in at.caption)
    (current,) = decks(at)
    assert layer_types(current) == ["BitmapLayer"]
    assert all(name in legend(at) for name in WUHAN_NAMES)
    at.button(key="solve").click().run()  # on request it solves
    assert not at.exception
    assert len(at.metric) == 7 and len(decks(at)) == 3


def test_pages_that_solve_many_times_refuse_a_large_store(app, monkeypatch):
    monkeypatch.setenv("LANDALLOC_AUTO_SOLVE_MAX", "100")
    for page in ("views/periods.py", "views/sweep.py"):
        at = app(page)
        assert not at.exception, page
        assert any("本页不适用于该数据库" in w.value for w in at.warning), page
    at = app("views/compare.py")  # no saved scenarios: nothing is picked, nothing solved
    assert not at.exception
    assert any("预设情景不自动求解" in w.value for w in at.warning)
    assert at.multiselect(key="compare_pick").value == [] and not decks(at)


def test_data_page_map_is_an_image_with_the_legend(app):
    at = app("views/data.py")
    assert not at.exception
    (deck,) = decks(at)
    assert layer_types(deck) == ["BitmapLayer"]
    assert all(name in legend(at) for name in WUHAN_NAMES)


@pytest.fixture
def small_presets(monkeypatch):
    """Presets with a growth target the 432 ha grid can meet (theirs are 100–600 ha)."""
    from data import presets

    original = presets.load_preset
    monkeypatch.setattr(presets, "load_preset",
                        lambda key: original(key).with_value("growth.min_new_built_ha", 5.0))


def test_compare_page_maps_and_difference_are_images(app, small_presets):
    at = app("views/compare.py")
    assert not at.exception
    maps = decks(at)
    assert len(maps) == 3 and all(layer_types(d) == ["BitmapLayer"] for d in maps)
    assert len({d["layers"][0]["image"] for d in maps}) == 3


def test_periods_page_maps_are_images(app, small_presets):
    at = app("views/periods.py")
    at.slider(key="period_time_limit").set_value(5).run()
    at.button(key="period_solve").click().run()
    assert not at.exception
    maps = decks(at)
    assert len(maps) == 2 and all(layer_types(d) == ["BitmapLayer"] for d in maps)
