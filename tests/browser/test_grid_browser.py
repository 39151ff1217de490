"""In real Chromium: a grid store's maps are images of its cells, in the class colours.

The server runs on its own store folder with a tiny grid store (a GeoTIFF of the seven Wuhan
codes imported at 90 m: 524 cells); the page solves a small growth target and draws the
current and optimized maps as BitmapLayers.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

from tests.browser.conftest import _require_browser, running_app
from tests.browser.test_compare_browser import count_near, wait_done
from tests.browser.test_dashboard_browser import exceptions
from tests.dashboard.grid_store import build_grid_store

pytestmark = pytest.mark.browser

CROPLAND, BUILT, WATER = (242, 209, 107), (216, 67, 21), (30, 136, 229)
NAMES = ("草地", "落叶林", "耕地", "城镇用地", "裸地", "水域", "常绿林")
MAPS = "[data-testid='stMain'] [data-testid='stDeckGlJsonChart'] canvas"  # current, optimized…


def map_pixels(page, index: int) -> np.ndarray:
    """RGB pixels (n × 3) of the ``index``-th map on the page (via a screenshot)."""
    from PIL import Image

    shot = page.locator(MAPS).nth(index).screenshot()
    return np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"), dtype=int).reshape(-1, 3)


@pytest.fixture(scope="module")
def grid_url(tmp_path_factory) -> str:
    """A dashboard server whose store folder holds the tiny grid store."""
    _require_browser()
    folder = tmp_path_factory.mktemp("grid_browser_stores")
    build_grid_store(folder, "grid")
    with running_app(folder) as url:
        yield url


def test_grid_store_maps_render_as_images_in_class_colours(page, grid_url):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{grid_url}/?store=grid&preset=growth&growth.min_new_built_ha=5",
              wait_until="domcontentloaded")
    wait_done(page, f"{MAPS} >> nth=1")
    assert exceptions(page) == []
    body = page.locator("[data-testid='stMain']").first.inner_text()
    assert all(name in body for name in NAMES) and "以图像显示" in body
    current = map_pixels(page, 0)
    for colour in (CROPLAND, BUILT, WATER):  # the image is drawn, in the store's class colours
        assert count_near(current, colour, tol=6) > 1_000, colour
    optimized = map_pixels(page, 1)
    assert not np.array_equal(current, optimized)  # unchanged cells pale, changes in colour
    outside = [u for u in requests if not u.startswith((grid_url, "data:"))]
    assert outside == [], f"the page fetched from outside: {outside[:5]}"
