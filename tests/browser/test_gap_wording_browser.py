"""In real Chromium: what the scenario, compare and sweep pages say about an answer's quality.

With compactness the allocation is a heuristic search's; the pages must say so together with
the proven gap ("布局紧凑度为启发式结果，已证明与最优的差距不超过 x %"), and a headline tile
never shows a percentage above 100 %.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.test_compare_browser import compare_url, wait_done  # noqa: F401 (fixture)
from tests.browser.test_dashboard_browser import exceptions, kpis, open_app
from tests.dashboard.test_compare import SAVED

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"

HEURISTIC = "布局紧凑度为启发式结果"
SENTENCES = re.compile(r"布局紧凑度为启发式结果，(已证明与最优的差距不超过 (\d+\.\d\d) %|"
                       r"时限内未能证明其质量)|已证明为最优方案")
TILE = re.compile(r"^(0 %|≤ (\d+\.\d\d) %|未证明)$")


def main_text(page) -> str:
    return page.locator("[data-testid='stMain']").first.inner_text()


def test_scenario_page_states_the_heuristic_and_its_proven_gap(page, compare_url):  # noqa: F811
    open_app(page, f"{compare_url}/?preset=growth")
    assert exceptions(page) == []
    tile = next(v for label, v in kpis(page).items() if label.startswith("最优性差距"))
    match = TILE.match(tile)
    assert match, tile
    body = main_text(page)
    sentence = SENTENCES.search(body)
    assert sentence, body[:2000]
    if match.group(2):  # the tile's "≤ x %" and the sentence's x are the same figure
        assert sentence.group(2) == match.group(2)
    assert not re.search(r"\d{3,}\.\d\d %", body)  # no three-digit percentages anywhere


def test_compare_page_states_each_answers_quality(page, compare_url):  # noqa: F811
    page.goto(f"{compare_url}/compare", wait_until="domcontentloaded")
    wait_done(page, "[data-testid='stDeckGlJsonChart'] canvas")
    assert exceptions(page) == []
    body = main_text(page)
    assert all(name in body for name, _ in SAVED)
    assert len(SENTENCES.findall(body)) >= len(SAVED), body[:2000]


def test_sweep_states_the_worst_steps_quality(page, compare_url):  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{compare_url}/sweep?preset=growth", wait_until="domcontentloaded")
    page.get_by_role("button", name="开始扫描").click(timeout=90_000)
    wait_done(page, "text=各步求解情况")
    assert exceptions(page) == []
    body = main_text(page)
    page.screenshot(path=str(SHOTS / "sweep_gap_wording.png"), full_page=True)
    if "所有步均无可行方案" not in body:  # the worst solved step's quality, in the same words
        assert SENTENCES.search(body), body[:2000]
    assert not re.search(r"\d{3,}\.\d\d %", body)
