"""Ten people at once: 10 browser sessions solve different scenarios and save them, one store.

One Streamlit server (as in a meeting), one small demo store (1,200 parcels), one Chromium with
10 isolated contexts driven concurrently (Playwright async API). Each session opens
``?preset=growth&solver.seed=N``, waits for the KPI tiles, saves its result under its own
name through the page's save form, and must see the success message and no error. Afterwards
every save is in the library. Solves are bounded server-side by ``MAX_PARALLEL_SOLVES`` (2, a
semaphore in dashboard/services.py); the rest wait their turn, each with its time limit.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time

import pytest

from data import library
from data.demo import build_demo
from tests.browser.conftest import CHROMIUM, FLAGS, _free_port, _require_browser, _wait_healthy
from tests.conftest import REPO_ROOT

SESSIONS = 10
TIMEOUT_MS = 180_000

pytestmark = pytest.mark.browser


def run_in_own_thread(work):
    """Run ``work()`` on a fresh thread: the sync Playwright of the other browser tests keeps
    an event loop running on this one, and asyncio.run refuses to nest inside it."""
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # re-raised on the test's thread
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A dashboard server on a folder holding only a coarse demo store."""
    _require_browser()
    stores = tmp_path_factory.mktemp("concurrent_stores")
    build_demo(stores / "demo.duckdb", rows=30, cols=40, cell_m=500.0)
    port = _free_port()
    log = open(stores / "streamlit.log", "w")  # noqa: SIM115 - closed below
    env = {k: v for k, v in os.environ.items() if k != "LANDALLOC_EDIT_KEY"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.headless=true",
         f"--server.port={port}", "--server.address=127.0.0.1",
         "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"],
        cwd=REPO_ROOT, env={**env, "LANDALLOC_STORES": str(stores)},
        stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(port, proc)
        yield f"http://127.0.0.1:{port}", stores
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


async def fill_save_name(page, name: str) -> None:
    """Open the 'save, share and export' expander and type the name.

    Retried until TIMEOUT_MS: under load a rerun may fold the expander again, or Streamlit's
    "connecting" overlay may make the page inert for a while; both are waits, not errors.
    """
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    box = page.locator(".st-key-save_name input")
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        try:
            if not await box.is_visible():
                await page.locator("summary", has_text="保存、分享与导出").click(timeout=15_000)
                await page.wait_for_timeout(1000)
            await box.fill(name, timeout=15_000)
            await box.press("Tab")
            return
        except PlaywrightTimeout:
            continue
    dialogs = await page.locator("[role='dialog']").all_inner_texts()
    raise TimeoutError(f"could not type the scenario name; dialogs on the page: {dialogs}")


async def one_session(browser, url: str, seed: int) -> dict[str, object]:
    """Open, wait for the result, save it as '会议方案<seed>'; report timings and errors."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    name = f"会议方案{seed}"
    started = time.monotonic()
    try:
        await page.goto(f"{url}/?preset=growth&solver.seed={seed}", wait_until="domcontentloaded",
                        timeout=TIMEOUT_MS)
        await page.wait_for_function(
            "document.querySelectorAll(\"[data-testid='stMetric']\").length >= 7",
            timeout=TIMEOUT_MS)
        shown = time.monotonic() - started
        await fill_save_name(page, name)
        await page.get_by_role("button", name="保存情景").click()
        # attached, not visible: the rerun after saving may fold the expander again
        await page.get_by_text(f"已保存：{name}").wait_for(state="attached")
        errors = await page.locator("[data-testid='stException'], "
                                    "[data-testid='stAlertContentError']").all_inner_texts()
        return {"seed": seed, "name": name, "shown_s": round(shown, 1),
                "saved_s": round(time.monotonic() - started, 1), "errors": errors}
    finally:
        await context.close()


async def all_sessions(url: str) -> list[dict[str, object]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            outcomes = await asyncio.gather(*(one_session(browser, url, seed)
                                              for seed in range(1, SESSIONS + 1)),
                                            return_exceptions=True)
        finally:
            await browser.close()
    failed = [f"session {i + 1}: {o!r}"[:600] for i, o in enumerate(outcomes)
              if isinstance(o, BaseException)]
    assert not failed, failed
    return outcomes


def test_ten_sessions_solve_and_save_against_one_store(server) -> None:
    url, stores = server
    started = time.monotonic()
    sessions = run_in_own_thread(lambda: asyncio.run(all_sessions(url)))
    wall = time.monotonic() - started
    print(f"{SESSIONS} sessions in {wall:.1f} s; result shown after "
          f"{sorted(s['shown_s'] for s in sessions)} s; saved after "
          f"{sorted(s['saved_s'] for s in sessions)} s")
    assert all(s["errors"] == [] for s in sessions), [s for s in sessions if s["errors"]]
    saved = set(library.list_scenarios(stores / "demo.duckdb")["name"])
    assert saved == {s["name"] for s in sessions}
    assert library.check_library(stores / "demo.duckdb") == []
    log = (stores / "streamlit.log").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, log[-3000:]
