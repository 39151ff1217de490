"""What a person sees, in real headless Chromium: maps render, levers solve, links reproduce."""

from __future__ import annotations

import io
import time

import pytest

pytestmark = pytest.mark.browser

SOLVE_TIMEOUT_MS = 120_000


def wait_idle(page, timeout_ms: int = SOLVE_TIMEOUT_MS) -> None:
    """Wait until the script run ends (Streamlit's running indicator is gone, and no element of
    the previous run is still drawn as stale) and KPIs show."""
    page.wait_for_selector("[data-testid='stMetric'], [data-testid='stAlert']", timeout=timeout_ms)
    deadline = time.time() + timeout_ms / 1000
    while time.time() < deadline:
        running = page.locator("[data-testid='stStatusWidget'] button, [data-testid='stProgress'],"
                               " [data-stale='true']")
        if running.count() == 0:
            page.wait_for_timeout(500)
            if running.count() == 0:
                return
        page.wait_for_timeout(250)
    raise AssertionError("the app kept running")


def exceptions(page) -> list[str]:
    return page.locator("[data-testid='stException']").all_inner_texts()


def kpis(page) -> dict[str, str]:
    """Metric label → value text of every KPI tile on the page."""
    values = {}
    for tile in page.locator("[data-testid='stMetric']").all():
        label = tile.locator("[data-testid='stMetricLabel']").inner_text().strip()
        values[label] = tile.locator("[data-testid='stMetricValue']").inner_text().strip()
    return values


def button_count(page, name, timeout_ms: int = 60_000) -> int:
    """How many buttons named ``name`` the page shows, waiting for the first one to appear:
    a button drawn after the text above it may arrive a moment later on a busy server."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    buttons = page.get_by_role("button", name=name)
    try:
        buttons.first.wait_for(state="visible", timeout=timeout_ms)
    except PlaywrightTimeout:
        text = page.locator("[data-testid='stMain']").first.inner_text()
        raise AssertionError(f"no button {name!r} within {timeout_ms} ms; page: {text[:1500]}") from None
    return buttons.count()


def canvas_ink(page) -> list[int]:
    """Pixels that differ from the background in each visible canvas, in page order (the
    current and optimized maps come first)."""
    from PIL import Image

    counts = []
    for canvas in page.locator("canvas").all():
        if not canvas.is_visible():  # e.g. a table editor inside a collapsed expander
            continue
        image = Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")
        background = image.getpixel((1, 1))
        counts.append(sum(1 for px in image.get_flattened_data() if px != background))
    return counts


def open_app(page, url: str, maps: bool = True) -> float:
    started = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded", timeout=SOLVE_TIMEOUT_MS)
    wait_idle(page)
    if maps:
        page.wait_for_selector("canvas >> visible=true", timeout=60_000)
    return time.perf_counter() - started


def test_default_view_renders_maps_without_exceptions(page, app_url):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    seconds = open_app(page, app_url)
    assert exceptions(page) == []
    ink = canvas_ink(page)
    assert len(ink) >= 2 and all(n > 10_000 for n in ink[:2]), ink
    assert any(label.startswith("耕地面积") for label in kpis(page))
    outside = [u for u in requests if not u.startswith(app_url)]
    assert outside == [], f"the page fetched from outside: {outside[:5]}"
    print(f"default view with first solve on screen in {seconds:.1f} s")


def test_moving_a_lever_and_solving_changes_the_kpis(page, app_url):
    open_app(page, app_url)
    before = kpis(page)
    # The growth target binds: raising it must change construction land and more.
    growth = page.get_by_label("新增建设用地下限（公顷）")
    growth.fill("1200")
    growth.press("Enter")
    page.wait_for_timeout(800)
    page.get_by_role("button", name="求解").click()
    page.wait_for_timeout(500)
    wait_idle(page)
    assert exceptions(page) == []
    after = kpis(page)
    assert after != before, (before, after)
    assert "growth.min_new_built_ha=1200" in page.url


def test_share_link_reproduces_the_scenario_in_a_fresh_context(browser, page, app_url):
    link = f"{app_url}/?preset=ecology&farmland.quota_pct=96&weights.compactness=2"
    open_app(page, link)
    first = kpis(page)
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    other = context.new_page()
    seconds = open_app(other, link)
    second = kpis(other)
    context.close()
    assert first == second
    assert "96" in page.url and "ecology" in page.url
    print(f"shared link (cached result) on screen in {seconds:.1f} s")


def test_language_switch_to_english(page, app_url):
    open_app(page, app_url)
    page.get_by_text("English", exact=True).click()
    wait_idle(page)
    assert any(label.startswith("Cropland") for label in kpis(page))
    assert page.get_by_role("button", name="Solve").count() == 1


def test_infeasible_scenario_shows_the_explanation(page, app_url):
    link = f"{app_url}/?preset=growth&farmland.quota_pct=120&growth.min_new_built_ha=5000"
    open_app(page, link, maps=False)
    assert exceptions(page) == []
    body = page.locator("section.main, [data-testid='stMain']").first.inner_text()
    assert "不可行" in body
    assert button_count(page, "一键采用建议调整") == 1


def test_garbage_url_parameters_fall_back_with_a_warning(page, app_url):
    link = (f"{app_url}/?farmland.quota_pct=abc&preset=../../etc/passwd"
            "&weights.compactness=%3Cscript%3Ealert(1)%3C/script%3E&nonsense=1")
    open_app(page, link)
    assert exceptions(page) == []
    warnings = " ".join(page.locator("[data-testid='stAlert']").all_inner_texts())
    assert "farmland.quota_pct" in warnings and "nonsense" in warnings
    assert page.locator("script:has-text('alert(1)')").count() == 0


def test_read_only_link_locks_the_levers(page, app_url):
    open_app(page, f"{app_url}/?mode=readonly")
    assert page.get_by_role("button", name="求解").is_disabled()
    slider = page.get_by_role("slider").first
    before = slider.get_attribute("aria-valuenow")
    slider.focus()
    for _ in range(10):
        page.keyboard.press("ArrowLeft")
    page.wait_for_timeout(800)
    assert slider.get_attribute("aria-valuenow") == before
    assert "farmland.quota_pct" not in page.url
