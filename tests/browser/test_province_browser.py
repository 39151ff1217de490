"""In real Chromium: picking a district on the scenario page redraws the maps with that
district's cells alone, cropped and zoomed to it.

The server runs on its own store folder with a tiny grid store of two districts (a GeoTIFF of
the seven Wuhan codes in vertical bands imported at 90 m, cut in the middle: grassland and
cropland lie in 西区, water in 东区).
"""

from __future__ import annotations

import io

import numpy as np
import pytest

from tests.browser.conftest import _require_browser, running_app
from tests.browser.test_compare_browser import TIMEOUT_MS, count_near, wait_done
from tests.browser.test_dashboard_browser import exceptions
from tests.browser.test_grid_browser import MAPS, map_pixels
from tests.browser.test_library_periods_browser import choose
from tests.dashboard.test_province_page import build_district_store

pytestmark = pytest.mark.browser

GRASSLAND, CROPLAND, WATER = (156, 204, 101), (242, 209, 107), (30, 136, 229)


def off_centre(page, index: int, rgb: tuple[int, int, int]) -> float:
    """How far right of the map's centre the pixels of colour ``rgb`` lie on average, as a
    share of the map's width."""
    from PIL import Image

    shot = page.locator(MAPS).nth(index).screenshot()
    image = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"), dtype=int)
    near = (np.abs(image - np.array(rgb)) <= 6).all(axis=2)
    columns = np.nonzero(near)[1]
    assert columns.size, rgb
    return float(columns.mean() / image.shape[1] - 0.5)


@pytest.fixture(scope="module")
def district_url(tmp_path_factory) -> str:
    """A dashboard server whose store folder holds the two-district grid store."""
    _require_browser()
    folder = tmp_path_factory.mktemp("province_browser_stores")
    build_district_store(folder)
    with running_app(folder) as url:
        yield url


def test_picking_a_district_redraws_the_maps_with_its_cells_alone(page, district_url):
    page.goto(f"{district_url}/?store=grid&preset=growth&growth.min_new_built_ha=5",
              wait_until="domcontentloaded")
    wait_done(page, f"{MAPS} >> nth=1")
    assert exceptions(page) == []
    whole = map_pixels(page, 0)
    off_centre_whole = off_centre(page, 0, WATER)
    assert count_near(whole, GRASSLAND, tol=6) > 500 and count_near(whole, WATER, tol=6) > 500

    choose(page, "地图范围", "地图范围：东区")
    page.get_by_text("东区：地图只显示该区域的").wait_for(timeout=TIMEOUT_MS)
    wait_done(page, f"{MAPS} >> nth=1")
    assert exceptions(page) == []
    east = map_pixels(page, 0)
    for colour in (GRASSLAND, CROPLAND):  # the western bands are gone from the map
        assert count_near(east, colour, tol=6) == 0, colour
    # the view is centred on the district: its (eastern) water band moves towards the middle
    assert count_near(east, WATER, tol=6) > 0.8 * count_near(whole, WATER, tol=6)
    assert off_centre(page, 0, WATER) < 0.5 * off_centre_whole
