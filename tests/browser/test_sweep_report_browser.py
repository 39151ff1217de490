"""In real Chromium: the trade-off page's default sweep says something, and the compare page
reads in the page's language and units.

The server runs on its own tiny store folder (500 parcels) with two scenarios saved in its
library, so the compare page has something to compare without solving presets in the browser.
"""

from __future__ import annotations

import re
import time

import pytest

from data import store
from data.db import connect
from tests.browser.conftest import _require_browser, running_app
from tests.browser.test_dashboard_browser import exceptions
from tests.dashboard.test_compare import SAVED, save_solved, tiny_store

pytestmark = pytest.mark.browser

TIMEOUT_MS = 180_000  # 2 cores shared with other browsers: generous
CJK = re.compile(r"[\u4e00-\u9fff]")
HOSTILE = "<img src=x onerror=alert(1)> [go](javascript:alert(2)) **bold**"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> tuple[str, dict[str, str]]:
    """URL of a dashboard on a tiny store with two saved scenarios, and its region names."""
    _require_browser()
    folder = tmp_path_factory.mktemp("sweep_report_stores")
    path = tiny_store(folder)
    for name, preset in SAVED:
        save_solved(path, name, preset)
    save_solved(path, HOSTILE, "growth")  # the newest: picked by default on the compare page
    con = connect(path)
    try:
        regions = store.read_regions(con)
    finally:
        con.close()
    with running_app(folder) as url:
        yield url, dict(zip(regions["name_zh"], regions["name_en"], strict=True))


def wait_done(page, selector: str, timeout_ms: int = TIMEOUT_MS) -> None:
    """Wait for ``selector`` and for the script run to end (no running widget, no progress)."""
    page.wait_for_selector(selector, timeout=timeout_ms)
    deadline = time.time() + timeout_ms / 1000
    busy = "[data-testid='stStatusWidget'] button, [data-testid='stProgress'], [data-testid='stSpinner']"
    while time.time() < deadline:
        if page.locator(busy).count() == 0:
            page.wait_for_timeout(800)
            if page.locator(busy).count() == 0:
                return
        page.wait_for_timeout(250)
    raise AssertionError("the app kept running")


def main_text(page) -> str:
    return page.locator("[data-testid='stMain']").first.inner_text()


def table_rows(page, index: int = 0) -> list[list[str]]:
    """Cell texts of the ``index``-th HTML table (``st.table``) on the page, header first."""
    table = page.locator("[data-testid='stTable'] table").nth(index)
    return [[c.inner_text().strip() for c in row.locator("th, td").all()]
            for row in table.locator("tr").all()]


def test_default_sweep_binds_and_leaves_no_none(page, server):
    url, _ = server
    page.goto(f"{url}/sweep?preset=balanced", wait_until="domcontentloaded")
    wait_done(page, "button:has-text('开始扫描')")
    page.get_by_role("button", name="开始扫描").click()
    wait_done(page, "[data-testid='stTable']")
    assert exceptions(page) == []
    rows = table_rows(page)
    header, body = rows[0], rows[1:]
    objective = header.index("目标值（分）")
    values = {r[objective] for r in body if r[objective] not in ("—", "")}
    assert len(values) >= 3, rows  # the default lever binds: the optimum moves step by step
    text = main_text(page)
    assert "None" not in text and "nan" not in text.lower().split()
    assert "曲线是平的" not in text


def test_english_compare_page_names_townships_in_english(page, server):
    url, names = server
    page.goto(f"{url}/compare?lang=en", wait_until="domcontentloaded")
    wait_done(page, "[data-testid='stTable']")
    assert exceptions(page) == []
    page.get_by_text("By township").wait_for(timeout=TIMEOUT_MS)
    text = main_text(page)
    assert "None" not in text
    english = [en for en in names.values() if en]
    assert all(en in text for en in english), english
    chinese = [zh for zh, en in names.items() if en and zh in text]
    assert chinese == []
    # what is left in Chinese is user text only: the names of the saved scenarios
    rest = text
    for name, _ in SAVED:
        rest = rest.replace(name, "")
    assert not CJK.search(rest.replace("语言 / Language", "").replace("中文", "")), \
        CJK.findall(rest)[:20]


def test_chinese_compare_table_shows_esv_in_yi_yuan(page, server):
    url, _ = server
    page.goto(f"{url}/compare", wait_until="domcontentloaded")
    wait_done(page, "[data-testid='stTable']")
    rows = table_rows(page)
    esv = next(r for r in rows if r and r[0].startswith("生态系统服务价值"))
    assert esv[1] == "亿元/年", esv
    value = float(esv[2].replace(",", ""))
    assert 0.01 < value < 10_000, esv  # a readable number of 亿元, not 2,602,058,821.03 yuan
    assert "yuan" not in main_text(page)


def test_a_hostile_scenario_name_shows_as_typed_on_the_compare_page(page, server):
    url, _ = server
    page.goto(f"{url}/compare?lang=en", wait_until="domcontentloaded")
    wait_done(page, "[data-testid='stTable']")
    assert exceptions(page) == []
    main = page.locator("[data-testid='stMain']").first
    assert main.locator("img[src='x']").count() == 0
    assert main.locator("a[href^='javascript']").count() == 0
    assert "**bold**" in main_text(page)  # shown as typed, not rendered bold
    assert HOSTILE in main_text(page)
