"""In real Chromium: the monitoring page (监测评估, issue 16) on the planted case.

The server runs on its own store folder holding a small demo and the monitoring case of
tests/monitoring_cases.py (a saved plan and a 2025 survey with every finding planted). The page
must open, show the planted numbers, draw its map in the violation types' colours, show the
traffic lights in its tables and hand out the briefing, without an exception; every wait is on
a condition, never a fixed sleep.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import numpy as np
import pytest

from dashboard.components.monitoring import DEVIATION_COLORS, TYPE_COLORS
from tests.browser.conftest import _require_browser, running_app
from tests.browser.test_compare_browser import count_near
from tests.browser.test_dashboard_browser import exceptions, kpis
from tests.dashboard.test_monitoring_page import case_folder

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT_S = 120
MAP = "[data-testid='stMain'] [data-testid='stDeckGlJsonChart'] canvas"
TABLES = "[data-testid='stMain'] [data-testid='stTable']"


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[str]:
    _require_browser()
    folder = case_folder(tmp_path_factory.mktemp("monitoring_browser_stores"))
    with running_app(folder) as url:
        yield url


def rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))


def map_pixels(page) -> np.ndarray:
    """RGB pixels (n × 3) of the page's map (via a screenshot of its canvas)."""
    from PIL import Image

    shot = page.locator(MAP).first.screenshot()
    return np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"), dtype=int).reshape(-1, 3)


def wait_for_colors(page, colors: list[str], least: int = 200) -> np.ndarray:
    """Poll the map until each colour covers at least ``least`` pixels (deck.gl draws the image
    after it loads); fail after :data:`TIMEOUT_S`."""
    deadline = time.time() + TIMEOUT_S
    while True:
        pixels = map_pixels(page)
        if all(count_near(pixels, rgb(c), tol=10) >= least for c in colors):
            return pixels
        if time.time() > deadline:
            raise AssertionError(f"the map never showed {colors}")
        page.wait_for_timeout(250)


def open_page(page, url: str, title: str) -> None:
    page.goto(url, wait_until="domcontentloaded", timeout=TIMEOUT_S * 1000)
    page.get_by_role("heading", name=title).wait_for(timeout=TIMEOUT_S * 1000)
    page.locator(TABLES).nth(2).wait_for(timeout=TIMEOUT_S * 1000)
    page.locator(MAP).first.wait_for(timeout=TIMEOUT_S * 1000)


def test_the_page_shows_the_findings_map_and_traffic_lights(page, served):
    open_page(page, f"{served}/monitoring?store=monitoring", "监测评估 · 监测测试区")
    tiles = kpis(page)
    assert tiles["生态保护红线内变化"] == "1 处"
    assert tiles["耕地占补缺口"] == "0.18 公顷"
    lights = page.locator(TABLES).first.inner_text()
    assert "超标/偏离" in lights and "预警" in lights and "与规划方向相反" in lights
    wait_for_colors(page, [TYPE_COLORS["red_line"], TYPE_COLORS["basic_farmland"],
                           TYPE_COLORS["no_change"], TYPE_COLORS["outside_boundary"]])
    body = page.locator("[data-testid='stMain']").first.inner_text()
    assert "发现疑似违法违规 7 处图斑" in body
    assert exceptions(page) == []


def test_the_deviation_map_and_english(page, served):
    open_page(page, f"{served}/monitoring?store=monitoring&lang=en", "Monitoring · 监测测试区")
    assert kpis(page)["Change inside the ecological red line"] == "1 patch"
    page.get_by_text("Deviations from the plan", exact=True).first.click()
    wait_for_colors(page, [DEVIATION_COLORS["as_planned"], DEVIATION_COLORS["not_realised"]])
    assert "Off track" in page.locator(TABLES).first.inner_text()
    assert exceptions(page) == []


def test_the_briefing_downloads(page, served):
    open_page(page, f"{served}/monitoring?store=monitoring", "监测评估 · 监测测试区")
    with page.expect_download(timeout=TIMEOUT_S * 1000) as download:
        page.get_by_role("button", name="监测简报（HTML）").click()
    text = download.value.path().read_text(encoding="utf-8")
    assert "<html" in text.lower() and "2025变更调查" in text
    with page.expect_download(timeout=TIMEOUT_S * 1000) as download:
        page.get_by_role("button", name="疑似违法违规图斑（GeoPackage）").click()
    assert download.value.path().read_bytes()[:16] == b"SQLite format 3\x00"
    assert exceptions(page) == []


def test_a_survey_uploaded_on_the_page_is_compared(page, served, tmp_path):
    """Last in the module: it adds a survey to the served store (newest year: picked first)."""
    from tests.browser.test_upload_browser import selectbox_value, wait_running_ended
    from tests.monitoring_cases import base_map, write_tif

    survey = write_tif(tmp_path / "unchanged_2026.tif", base_map())  # nothing changed
    open_page(page, f"{served}/monitoring?store=monitoring", "监测评估 · 监测测试区")
    page.get_by_text("导入新一期调查", exact=True).click()
    box = page.locator("[data-testid='stFileUploader']").first
    box.locator("input[type='file']").set_input_files(str(survey))
    box.get_by_text(survey.name).first.wait_for(timeout=TIMEOUT_S * 1000)
    wait_running_ended(page)
    page.get_by_role("button", name="导入调查", exact=True).click()
    page.wait_for_selector("[data-testid='stAlert']:has-text('已导入调查')",
                           timeout=TIMEOUT_S * 1000)
    assert selectbox_value(page, "土地调查") == "unchanged_2026（2026 年）"
    page.get_by_text("未发现疑似违法违规图斑").first.wait_for(timeout=TIMEOUT_S * 1000)
    assert exceptions(page) == []
