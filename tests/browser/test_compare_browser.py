"""In real Chromium: two saved scenarios on the compare page, the difference map, an export.

The server runs on its own tiny store folder (500 parcels) with two scenarios saved in its
library before it starts, so the page has something to compare without solving in the browser.
"""

from __future__ import annotations

import io
import time

import numpy as np
import pandas as pd
import pytest

from tests.browser.conftest import _require_browser, running_app
from tests.browser.test_dashboard_browser import exceptions
from tests.dashboard.test_compare import SAVED, save_solved, tiny_store

pytestmark = pytest.mark.browser

TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
def compare_url(tmp_path_factory) -> str:
    """A dashboard server whose store already holds two saved scenarios."""
    _require_browser()
    folder = tmp_path_factory.mktemp("compare_browser_stores")
    path = tiny_store(folder)
    for name, preset in SAVED:
        save_solved(path, name, preset)
    with running_app(folder) as url:
        yield url


def wait_done(page, selector: str) -> None:
    """Wait for ``selector`` and for the script run to end."""
    page.wait_for_selector(selector, timeout=TIMEOUT_MS)
    deadline = time.time() + TIMEOUT_MS / 1000
    while time.time() < deadline:
        if page.locator("[data-testid='stStatusWidget'] button, [data-testid='stProgress']"
                        ).count() == 0:
            page.wait_for_timeout(800)
            return
        page.wait_for_timeout(250)
    raise AssertionError("the app kept running")


def pixels(page, selector: str) -> np.ndarray:
    """RGB pixels (n × 3) of the first canvas under ``selector`` (via a screenshot)."""
    from PIL import Image

    canvas = page.locator(f"{selector} canvas").first
    image = Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")
    return np.asarray(image, dtype=int).reshape(-1, 3)


def count_near(px: np.ndarray, rgb: tuple[int, int, int], tol: int = 12) -> int:
    """How many pixels are within ``tol`` of colour ``rgb`` in every channel."""
    return int((np.abs(px - np.array(rgb)) <= tol).all(axis=1).sum())


def test_compare_page_draws_the_difference_map(page, compare_url):
    page.goto(f"{compare_url}/compare?preset=growth", wait_until="domcontentloaded")
    wait_done(page, ".st-key-compare_diff_box canvas")
    assert exceptions(page) == []
    body = page.locator("[data-testid='stMain']").first.inner_text()
    assert "保留耕地" in body and all(name in body for name, _ in SAVED)
    assert page.locator("[data-testid='stDeckGlJsonChart'] canvas").count() == 3  # 2 maps + diff
    diff = pixels(page, ".st-key-compare_diff_box")
    grey = count_near(diff, (225, 225, 225))         # parcels that agree
    # parcels that differ take a class colour: saturated, unlike grey, background and outlines
    coloured = int(((diff.max(axis=1) - diff.min(axis=1)) > 60).sum())
    assert grey > 10_000 and coloured > 300, (grey, coloured)
    assert "用途不同" in body


def test_an_export_downloads_and_reopens(page, compare_url):
    page.goto(f"{compare_url}/?preset=growth", wait_until="domcontentloaded")
    wait_done(page, "[data-testid='stMetric']")
    expander = page.get_by_text("保存、分享与导出")
    if expander.count() == 0:
        pytest.skip("the scenario page has no export buttons yet")
    expander.first.click()
    button = page.get_by_role("button", name="地块 CSV")
    button.wait_for(timeout=10_000)
    with page.expect_download(timeout=60_000) as download:
        button.click()
    frame = pd.read_csv(download.value.path())
    assert len(frame) == 500 and "parcel_id" in frame.columns
