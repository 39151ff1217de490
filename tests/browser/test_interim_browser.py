"""In real Chromium: a result that stopped on its time limit is not served as the answer.

Issue 15, item 2: under load the default view once came out "可行（未证明最优）· 204.37 %",
and every later session and every press of 求解 got that same result "（缓存结果）". Here a
1-second limit with a 0 % target makes any solve stop on its limit: the page must say so, a
new session must solve again (no "缓存结果"), and its proven gap is never worse.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.test_dashboard_browser import exceptions, kpis, open_app, wait_idle

pytestmark = pytest.mark.browser

# Compactness on the demo county with a 1 s limit cannot reach a proven 0 % gap.
INTERIM = ("/?preset=growth&weights.compactness=3&solver.time_limit_s=1"
           "&solver.target_gap_pct=0")


def gap_figure(page) -> float:
    """The gap tile as a number (未证明 counts as infinite), once the page shows the tile
    (on a busy machine the tiles are drawn a moment after the status line)."""
    page.locator("[data-testid='stMetricLabel']").filter(has_text="最优性差距").first.wait_for(
        timeout=120_000)
    tile = next(v for label, v in kpis(page).items() if label.startswith("最优性差距"))
    match = re.search(r"(\d+(?:\.\d+)?) %", tile)
    return float(match.group(1)) if match else float("inf")


def body(page) -> str:
    return page.locator("[data-testid='stMain']").first.inner_text()


def test_a_time_limited_result_is_solved_again_not_served_from_the_cache(browser, page, app_url):
    open_app(page, app_url + INTERIM)
    assert exceptions(page) == []
    first = body(page)
    assert "时限内停止" in first and "缓存结果" not in first, first[:1500]
    first_gap = gap_figure(page)

    # Another person opens the same scenario: it is solved again, starting from the first.
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    other = context.new_page()
    open_app(other, app_url + INTERIM)
    second = body(other)
    second_gap = gap_figure(other)
    context.close()
    assert "缓存结果" not in second, second[:1500]
    assert second_gap <= first_gap

    # Pressing 求解 again with the same levers solves again too.
    page.get_by_role("button", name="求解").click()
    page.wait_for_selector("[data-testid='stProgress']", timeout=60_000)
    wait_idle(page)
    assert "缓存结果" not in body(page)
    assert gap_figure(page) <= second_gap


def test_a_settled_result_is_still_served_from_the_cache(browser, page, app_url):
    settled = "/?preset=growth&weights.compactness=0&solver.time_limit_s=30"
    open_app(page, app_url + settled)
    assert "时限内停止" not in body(page)
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    other = context.new_page()
    open_app(other, app_url + settled)
    text = body(other)
    context.close()
    assert "缓存结果" in text, text[:1500]
