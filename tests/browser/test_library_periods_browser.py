"""In real Chromium: open a saved scenario from the library, share links in a fresh browser,
save and share a period plan, and hostile names that must stay text on every page.

The server runs on its own tiny store (500 parcels) whose library holds scenarios saved
before it starts (one of them with the preset 耕地保护, others with hostile names), so
nothing here waits for the slow default preset.
"""

from __future__ import annotations

import time

import geopandas as gpd
import pytest

from tests.browser.conftest import _require_browser, running_app
from tests.browser.test_dashboard_browser import exceptions
from tests.dashboard.test_compare import save_solved, tiny_store

pytestmark = pytest.mark.browser

TIMEOUT_MS = 120_000
FARMLAND_NAME = "耕地优先 方案B"
HOSTILE_IMG = "<img src=x onerror=window.__xss=1>"
HOSTILE_LINK = "[点我](javascript:window.__xss=1)"
HOSTILE_JS = "javascript:alert(1)"
HOSTILE = (HOSTILE_IMG, HOSTILE_LINK, HOSTILE_JS)
PERIOD_PICKER = "[data-testid='stSegmentedControl'] button, [data-testid='stButtonGroup'] button"
HOSTILE_PLAN = "[分期](javascript:window.__xss=1) <img src=x onerror=window.__xss=1>"


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> tuple[str, object]:
    """(url, store path) of a server whose library already holds four scenarios."""
    _require_browser()
    folder = tmp_path_factory.mktemp("library_browser_stores")
    path = tiny_store(folder)
    for name in HOSTILE:
        save_solved(path, name, "growth")
    save_solved(path, FARMLAND_NAME, "farmland")  # newest: the library's default choice
    with running_app(folder) as url:
        yield url, path


def token_of(path, name: str) -> str:
    from data import library

    table = library.list_scenarios(path)
    return str(table.loc[table["name"] == name, "token"].iloc[0])


def idle(page, selector: str, timeout_ms: int = TIMEOUT_MS) -> None:
    """Wait for ``selector`` to be visible and for the script run to end."""
    page.wait_for_selector(selector, timeout=timeout_ms)
    deadline = time.time() + timeout_ms / 1000
    quiet = 0
    while time.time() < deadline:
        running = page.locator("[data-testid='stStatusWidget'] button, [data-testid='stProgress']")
        quiet = quiet + 1 if running.count() == 0 else 0
        if quiet >= 3:
            return
        page.wait_for_timeout(300)
    raise AssertionError("the app kept running")


def main_text(page) -> str:
    return page.locator("[data-testid='stMain']").first.inner_text()


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label``."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.click()
    click_option(page, option)
    page.wait_for_function(
        f"[...document.querySelectorAll('input[role=combobox]')].some(e => e.value === {option!r})",
        timeout=TIMEOUT_MS)


def click_option(page, text: str) -> None:
    """Click the open list's option whose text is ``text`` (by text, not accessible name:
    names like "javascript:alert(1)" are the point here), once the list shows it: on a
    loaded machine its options appear one render after another."""
    deadline = time.time() + TIMEOUT_MS / 1000
    while time.time() < deadline:
        try:
            match = [o for o in page.get_by_role("option").all()
                     if o.inner_text(timeout=1_000).strip() == text]
        except Exception:  # noqa: BLE001 - the list re-rendered mid-read: read it again
            match = []
        if match:
            match[0].click()
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"no option {text!r} in the open list")


def share_link(page, index: int = 0) -> str:
    """Text of the ``index``-th share link code block on the page."""
    block = page.locator("[data-testid='stCode'] code").nth(index)
    block.wait_for(timeout=TIMEOUT_MS)
    return block.inner_text().strip()


def assert_no_injection(page, where: str) -> None:
    """No element from a hostile name, no javascript: link, no script ran."""
    assert page.evaluate("typeof window.__xss") == "undefined", where
    assert page.locator("img[src='x']").count() == 0, where
    assert page.locator("a[href^='javascript' i]").count() == 0, where
    # Streamlit's Markdown drops javascript: links by itself; what the escaping adds is that
    # a name's [text](link) never becomes a link at all in a notice or Markdown box.
    assert page.locator("[data-testid='stAlert'] a, [data-testid='stMarkdown'] a").count() == 0, where
    assert exceptions(page) == [], where


# ---- item 1: open from the library, share links ----------------------------------------------
def test_open_from_library_shows_the_saved_preset_and_notice(page, served):
    url, path = served
    page.goto(f"{url}/library", wait_until="domcontentloaded")
    idle(page, "[data-testid='stSelectbox']")
    choose(page, "选择情景", FARMLAND_NAME)
    idle(page, "[data-testid='stCode']")
    page.get_by_role("button", name="打开", exact=True).click()
    page.get_by_text("已打开").first.wait_for(timeout=TIMEOUT_MS)
    idle(page, "[data-testid='stMetric']")
    assert exceptions(page) == []
    assert FARMLAND_NAME in main_text(page)
    assert f"scenario={token_of(path, FARMLAND_NAME)}" in page.url
    assert "preset=farmland" in page.url
    sidebar = page.locator("[data-testid='stSidebar']").inner_text()
    assert "耕地保护" in sidebar and "协调发展" not in sidebar
    assert "缓存结果" in main_text(page)  # the saved result, not a new solve


def test_library_share_link_opens_the_scenario_in_a_fresh_context(browser, page, served):
    url, path = served
    page.goto(f"{url}/library", wait_until="domcontentloaded")
    idle(page, "[data-testid='stCode']")
    choose(page, "选择情景", FARMLAND_NAME)
    page.wait_for_function("document.querySelector(\"[data-testid='stCode'] code\")"
                           f".innerText.includes({token_of(path, FARMLAND_NAME)!r})",
                           timeout=TIMEOUT_MS)
    link = share_link(page)
    assert "/library" not in link and f"scenario={token_of(path, FARMLAND_NAME)}" in link
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    try:
        other = context.new_page()
        other.goto(link, wait_until="domcontentloaded")
        other.get_by_text("已打开").first.wait_for(timeout=TIMEOUT_MS)
        idle(other, "[data-testid='stMetric']")
        assert exceptions(other) == []
        assert FARMLAND_NAME in main_text(other)
        assert "缓存结果" in main_text(other)
        assert "耕地保护" in other.locator("[data-testid='stSidebar']").inner_text()
    finally:
        context.close()


def test_library_page_is_worded_and_asks_before_deleting(page, served):
    url, path = served
    page.goto(f"{url}/library", wait_until="domcontentloaded")
    idle(page, "[data-testid='stDataFrame']")
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.hover()
    headers = grid.locator("[role='columnheader']").all_inner_texts()
    joined = " ".join(headers)
    assert "名称" in joined and "changed_area_ha" not in joined and "saved_at" not in joined
    page.get_by_role("button", name="删除", exact=True).click()
    idle(page, "[data-testid='stAlert']")
    assert page.get_by_role("button", name="确认删除").count() == 1
    from data import library

    assert FARMLAND_NAME in library.list_scenarios(path)["name"].tolist()  # nothing deleted yet
    page.get_by_role("button", name="取消").click()
    page.get_by_role("button", name="确认删除").wait_for(state="detached", timeout=TIMEOUT_MS)
    assert FARMLAND_NAME in library.list_scenarios(path)["name"].tolist()


# ---- item 9: periods saved, shared, exported; hostile names -----------------------------------
def solve_periods_page(page, url: str) -> None:
    page.goto(f"{url}/periods?preset=growth", wait_until="domcontentloaded")
    idle(page, ".st-key-period_solve button")
    page.locator(".st-key-period_solve button").click()
    idle(page, PERIOD_PICKER)


def rename_first_period(page, name: str) -> None:
    """Type ``name`` into the first period's name cell of the period table: select the cell,
    wait for its editor to open, type, and wait for the cell to show the name (each step a
    condition; retried while the grid is still laying out on a loaded machine)."""
    editor = page.locator("[data-testid='stDataFrame']").first
    first_cell = editor.locator("[role='gridcell']").first
    first_cell.wait_for(state="attached", timeout=TIMEOUT_MS)
    entry = page.locator("textarea.gdg-input")  # the grid's cell editor, open while typing
    deadline = time.time() + TIMEOUT_MS / 1000
    while time.time() < deadline:
        box = editor.bounding_box()
        if box is None or box["height"] < 60:  # not laid out yet
            page.wait_for_timeout(200)
            continue
        # A row-marker column (~35 px), then the name column; a header row, then ~35 px rows.
        page.mouse.click(box["x"] + 80, box["y"] + 35 + 17)
        page.keyboard.press("Enter")  # opens the selected cell's editor
        if not until(lambda: entry.count() > 0 and entry.first.is_visible(), 5.0):
            page.keyboard.press("Escape")
            continue
        page.keyboard.press("Control+A")
        page.keyboard.type(name)
        page.keyboard.press("Enter")
        if until(lambda: first_cell.inner_text() == name, 10.0):
            return
        page.keyboard.press("Escape")
    raise AssertionError(f"could not type into the period table: {first_cell.inner_text()!r}")


def until(condition, seconds: float) -> bool:
    """Poll ``condition`` every 100 ms for up to ``seconds``; whether it came true."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if condition():
                return True
        except Exception:  # noqa: BLE001 - an element re-rendered mid-check: look again
            pass
        time.sleep(0.1)
    return False


def test_period_plan_saves_appears_in_library_and_its_link_reproduces_it(browser, page, served):
    url, _ = served
    solve_periods_page(page, url)
    status = page.locator("[data-testid='stCaptionContainer']").filter(
        has_text="求解状态").first.inner_text()
    page.locator(".st-key-period_save_name input").fill("分期方案 甲")
    page.locator(".st-key-period_save button").click()
    page.get_by_text("已保存").first.wait_for(timeout=TIMEOUT_MS)
    link = share_link(page)
    assert "/periods" in link and "scenario=" in link
    page.goto(f"{url}/library", wait_until="domcontentloaded")
    idle(page, "[data-testid='stSelectbox']")
    box = page.get_by_role("combobox", name="选择情景", exact=True)
    assert box.input_value() == "分期方案 甲"  # the newest saved comes first
    assert share_link(page) == link
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    try:
        other = context.new_page()
        other.goto(link, wait_until="domcontentloaded")
        other.get_by_text("已打开").first.wait_for(timeout=TIMEOUT_MS)
        idle(other, PERIOD_PICKER)
        assert exceptions(other) == []
        text = main_text(other)
        assert "分期方案 甲" in text and "2030 近期" in text and "2035 远期" in text
        shown = other.locator("[data-testid='stCaptionContainer']").filter(
            has_text="求解状态").first.inner_text()
        assert shown.split("·")[0] == status.split("·")[0]
        # same saved wall time: the plan was not solved again
        assert shown.split("·")[-1] == status.split("·")[-1]
        with other.expect_download(timeout=TIMEOUT_MS) as download:
            other.get_by_text("下载分期配置 GeoPackage").click()
        layer = gpd.read_file(download.value.path(), layer="periods")
        assert len(layer) == 500 and {"use_2030", "use_2035", "period_of_change"} <= set(
            layer.columns)
        assert set(layer["period_of_change"]) <= {0, 2030, 2035}
        assert (layer["period_of_change"] != 0).any()  # the plan changes some parcels
        assert_no_injection(other, "period plan opened by link")
    finally:
        context.close()


def test_hostile_period_name_stays_text_on_the_periods_page(page, served):
    url, _ = served
    page.goto(f"{url}/periods?preset=growth", wait_until="domcontentloaded")
    idle(page, ".st-key-period_solve button")
    rename_first_period(page, HOSTILE_IMG)
    idle(page, ".st-key-period_solve button")
    page.locator(".st-key-period_solve button").click()
    idle(page, PERIOD_PICKER)
    assert HOSTILE_IMG in main_text(page), "the hostile name was not typed into the table"
    page.wait_for_timeout(1000)  # give an injected onerror the time to fire
    assert_no_injection(page, "periods page with a hostile period name")
    # a taken name: the refusal quotes it, as text
    page.locator(".st-key-period_save_name input").fill(HOSTILE_LINK)
    page.locator(".st-key-period_save button").click()
    page.get_by_text("already exists").first.wait_for(timeout=TIMEOUT_MS)
    assert HOSTILE_LINK in main_text(page)
    assert_no_injection(page, "periods page, refusing a taken hostile name")
    page.locator(".st-key-period_save_name input").fill(HOSTILE_PLAN)
    page.locator(".st-key-period_save button").click()
    page.get_by_text("已保存").first.wait_for(timeout=TIMEOUT_MS)
    link = share_link(page)
    page.goto(link, wait_until="domcontentloaded")
    page.get_by_text("已打开").first.wait_for(timeout=TIMEOUT_MS)
    idle(page, PERIOD_PICKER)
    assert HOSTILE_IMG in main_text(page)
    page.wait_for_timeout(1000)
    assert_no_injection(page, "a saved period plan with hostile names, opened by link")


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_scenario_names_stay_text_on_every_page(page, served, name):
    url, path = served
    token = token_of(path, name)
    page.goto(f"{url}/?scenario={token}", wait_until="domcontentloaded")
    page.get_by_text("已打开").first.wait_for(timeout=TIMEOUT_MS)
    idle(page, "[data-testid='stMetric']")
    assert name in main_text(page)
    page.wait_for_timeout(1000)
    assert_no_injection(page, "scenario page")

    page.goto(f"{url}/library", wait_until="domcontentloaded")
    idle(page, "[data-testid='stSelectbox']")
    choose(page, "选择情景", name)
    idle(page, "[data-testid='stCode']")
    page.get_by_role("button", name="删除", exact=True).click()
    idle(page, "[data-testid='stAlert']")
    assert name in main_text(page)  # the confirmation names it, as text
    page.wait_for_timeout(1000)
    assert_no_injection(page, "library page")
    page.get_by_role("button", name="取消").click()

    page.goto(f"{url}/compare", wait_until="domcontentloaded")
    idle(page, "[data-testid='stMultiSelect']")
    page.locator("[data-testid='stMultiSelect'] input").first.click()
    click_option(page, name)
    page.keyboard.press("Escape")
    idle(page, "[data-testid='stMultiSelect']")
    page.wait_for_function(f"document.querySelector(\"[data-testid='stMain']\").innerText"
                           f".includes({name!r})", timeout=TIMEOUT_MS)
    page.wait_for_timeout(1000)
    assert_no_injection(page, "compare page")
