"""In real Chromium at projector (1280 × 720) and laptop (1600 × 1000) sizes: KPI labels whole,
maps and their legend on the first screen with no empty band above the land, every chart
label drawn, and a progress bar that shows the incumbent once the solver has one."""

from __future__ import annotations

import io
import re
import time

import numpy as np
import pytest

from tests.browser.test_dashboard_browser import exceptions, wait_idle

pytestmark = pytest.mark.browser

PROJECTOR, LAPTOP = (1280, 720), (1600, 1000)
MAPS = "[data-testid='stMain'] [data-testid='stDeckGlJsonChart']"
SWATCHES = "[data-testid='stMain'] .map-legend span[style*='inline-block']"  # its colour boxes
NUMBER = re.compile(r"^[−\-+]?[\d,.]+%?$")


def open_at(browser, url: str, size: tuple[int, int]):
    """A fresh context at ``size`` with the page loaded, its run ended and a map on screen."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded", timeout=120_000)
    wait_idle(page)
    page.wait_for_selector(f"{MAPS} canvas >> visible=true", timeout=120_000)
    page.wait_for_timeout(1500)  # deck.gl draws on the next animation frames
    return context, page


def overflowing(page, selector: str) -> list[str]:
    """Texts of the elements under ``selector`` that are cut (wider than their box)."""
    return page.evaluate(
        """sel => [...document.querySelectorAll(sel)]
             .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)""", selector)


def band_rows(page, index: int = 0) -> float:
    """Share of the ``index``-th map's pixel rows, from the top, that show only background."""
    from PIL import Image

    shot = page.locator(f"{MAPS} canvas").nth(index).screenshot()
    pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"), dtype=int)
    background = pixels[1, 1]
    empty = (np.abs(pixels - background).sum(axis=2) < 12).all(axis=1)
    first_ink = int(np.argmax(~empty)) if (~empty).any() else len(empty)
    return first_ink / len(empty)


def check_first_screen(page, height: int) -> None:
    assert exceptions(page) == []
    cut = overflowing(page, "[data-testid='stMetricLabel'] *, [data-testid='stMetricValue'] *")
    assert cut == [], f"KPI texts cut: {cut}"
    first_map = page.locator(f"{MAPS} canvas").first.bounding_box()
    assert first_map["y"] + 0.6 * first_map["height"] < height, first_map  # most of it shows
    swatches = page.locator(f"{SWATCHES} >> visible=true")
    assert swatches.count() >= 6
    bottoms = [swatches.nth(i).bounding_box() for i in range(swatches.count())]
    assert all(box["y"] + box["height"] <= height for box in bottoms), bottoms
    assert band_rows(page, 0) < 0.08, "an empty band sits above the current map"


@pytest.mark.parametrize("size", [PROJECTOR, LAPTOP], ids=["1280x720", "1600x1000"])
def test_scenario_first_screen_holds_kpis_maps_and_legend(browser, app_url, size):
    context, page = open_at(browser, f"{app_url}/?preset=growth", size)
    try:
        check_first_screen(page, size[1])
    finally:
        context.close()


def test_presentation_mode_shows_the_maps_on_the_first_screen(browser, app_url):
    context, page = open_at(browser, f"{app_url}/?preset=growth&mode=present", PROJECTOR)
    try:
        check_first_screen(page, PROJECTOR[1])
    finally:
        context.close()


def axis_labels(page) -> list[list[tuple[str, str]]]:
    """Per visible chart: (text, opacity) of every axis label Vega drew in its SVG."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.vega-embed svg')]
             .filter(s => s.getBoundingClientRect().width > 0)
             .map(svg => [...svg.querySelectorAll('.role-axis-label text')]
                .map(t => [t.textContent, t.getAttribute('opacity') || '1']))""")


def test_charts_draw_every_category_label_at_projector_size(browser, app_url):
    context, page = open_at(browser, f"{app_url}/?preset=growth", PROJECTOR)
    try:
        seen = axis_labels(page)
        categories = [(text, opacity) for chart in seen for text, opacity in chart
                      if not NUMBER.match(text.strip())]
        hidden = sorted({text for text, opacity in categories if opacity == "0"})
        clipped = sorted({text for text, _ in categories if text.endswith("…")})
        assert hidden == [] and clipped == [], (hidden, clipped)
        texts = {text for text, _ in categories}
        assert {"东湖镇", "河口镇", "香农多样性指数 SHDI", "未利用地"} <= texts, texts
    finally:
        context.close()


def test_progress_bar_shows_the_incumbent_while_solving(browser, app_url):
    """A compact demo solve asked for a zero gap (a fresh seed: nothing cached) runs to its
    8 s limit: once an incumbent is known the bar keeps a number, and it says honestly how
    the time compares with the limit (also when the solve runs past it)."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{app_url}/?preset=growth&weights.compactness=3&solver.target_gap_pct=0"
                  "&solver.time_limit_s=8&solver.seed=7919",
                  wait_until="domcontentloaded", timeout=120_000)
        texts: list[str] = []
        deadline = time.time() + 120
        while time.time() < deadline:
            bars = page.locator("[data-testid='stProgress']").all_inner_texts()
            if bars and (not texts or texts[-1] != bars[0]):
                texts.append(bars[0])
            if not bars and page.locator("[data-testid='stMetric']").count():
                break
            page.wait_for_timeout(40)
        assert texts, "no progress bar was drawn"
        number = re.compile(r"当前最优\s*[\d,.]+")
        known = [i for i, text in enumerate(texts) if number.search(text)]
        assert known, texts
        assert all(number.search(text) for text in texts[known[0]:]), texts
        timed = [text for text in texts if text != "正在求解…"]
        assert all(re.search(r"/ 8 秒|时限 8 秒", text) for text in timed), texts
    finally:
        context.close()
