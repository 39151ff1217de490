"""In real Chromium: the data page's change validation section shows a real report.

The server runs on its own store folder: the demo store and the ``validation/`` folder of a real
``validate-change`` run on crops of the Wuhan maps (built once per session, see
tests/dashboard/test_validation_panel.py). The page must show the report's FoM numbers and draw
its agreement map in the agreement colours, without an exception.
"""

from __future__ import annotations

import io
import json
import shutil
import time
from collections.abc import Iterator

import numpy as np
import pytest

from dashboard.components.validation import AGREEMENT_COLORS
from tests.browser.conftest import _require_browser, running_app
from tests.browser.test_compare_browser import count_near
from tests.browser.test_dashboard_browser import exceptions, kpis
from tests.dashboard.test_validation_panel import shared_run

pytestmark = [pytest.mark.browser, pytest.mark.wuhan, pytest.mark.slow]

TIMEOUT_S = 120
MAPS = "[data-testid='stMain'] [data-testid='stDeckGlJsonChart']"
AGREEMENT_MAP = 1  # the store's own map comes first, then the agreement and allocated maps


def rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, dict]]:
    """A dashboard on the demo store and a copy of the real report folder; the report."""
    from data.demo import build_demo

    _require_browser()
    run = shared_run(tmp_path_factory)
    folder = tmp_path_factory.mktemp("validation_browser_stores")
    build_demo(folder / "demo.duckdb")
    shutil.copytree(run / "validation", folder / "validation")
    report = json.loads((folder / "validation" / "wuhan_crop" / "score.json").read_text("utf-8"))
    with running_app(folder) as url:
        yield url, report


def map_pixels(page, index: int) -> np.ndarray:
    """RGB pixels (n × 3) of the ``index``-th map's canvas on the page (via a screenshot)."""
    from PIL import Image

    shot = page.locator(f"{MAPS} canvas").nth(index).screenshot()
    return np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"), dtype=int).reshape(-1, 3)


def wait_for_map(page, index: int, colors: list[tuple[int, int, int]]) -> np.ndarray:
    """Poll the map until every colour in ``colors`` shows on it (deck.gl draws the image
    after it loads); fail after :data:`TIMEOUT_S`."""
    deadline = time.time() + TIMEOUT_S
    while True:
        pixels = map_pixels(page, index)
        if all(count_near(pixels, color, tol=8) > 20 for color in colors):
            return pixels
        if time.time() > deadline:
            raise AssertionError(f"map {index} never showed {colors}")
        page.wait_for_timeout(250)


def open_data_page(page, url: str, title: str) -> None:
    page.goto(url, wait_until="domcontentloaded", timeout=TIMEOUT_S * 1000)
    page.get_by_role("heading", name=title).wait_for(timeout=TIMEOUT_S * 1000)
    page.locator(f"{MAPS} >> nth=2").wait_for(timeout=TIMEOUT_S * 1000)


def test_the_section_shows_the_fom_numbers_and_the_agreement_map(page, served):
    url, report = served
    open_data_page(page, f"{url}/data", "变化验证")
    learned, best = report["scores"]["learned"], report["best_baseline"]
    tiles = kpis(page)
    assert tiles["学习模型 FoM"] == f"{100 * learned['fom']:.1f} %"
    best_label = next(label for label in tiles if label.startswith("最佳基线 FoM"))
    assert tiles[best_label] == f"{100 * report['scores'][best]['fom']:.1f} %"
    assert tiles["领先最佳基线（百分点）"] == f"{100 * report['margin_over_best_baseline']:+.1f}"
    assert tiles["禁止转换区被改变"] == "0 公顷"
    choice = page.get_by_role("combobox", name="验证报告")
    assert choice.input_value() == "wh2003→wh2005 学习 · wh2005→wh2010 验证 · 30 m"
    body = page.locator("[data-testid='stMain']").first.inner_text()
    assert all(word in body for word in ("四个模型的得分", "正确保持", "命中", "误报"))
    colors = [rgb(AGREEMENT_COLORS[name]) for name in ("persistence", "hit", "miss")]
    wait_for_map(page, AGREEMENT_MAP, colors)
    assert exceptions(page) == []


def test_the_section_in_english(page, served):
    url, report = served
    open_data_page(page, f"{url}/data?lang=en", "Change validation")
    tiles = kpis(page)
    assert tiles["FoM of the learned model"] == f"{100 * report['scores']['learned']['fom']:.1f} %"
    body = page.locator("[data-testid='stMain']").first.inner_text()
    assert all(word in body for word in ("Scores of the four models", "Correct persistence"))
    assert exceptions(page) == []
