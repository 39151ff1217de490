"""The suitability source lever in real Chromium: offered only on a store with learned scores."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.conftest import running_app
from tests.browser.test_dashboard_browser import exceptions, open_app
from tests.dashboard.test_suitability_choice import learned_stores

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def url(tmp_path_factory) -> Iterator[str]:
    """A dashboard on two small stores: ``demo`` and ``learned`` (learned on 2003→2005)."""
    with running_app(learned_stores(tmp_path_factory.mktemp("learned_browser"))) as address:
        yield address


def weights_panel(page):
    """The sidebar's objective-weights group, opened."""
    page.get_by_text("目标权重", exact=True).click()
    page.wait_for_timeout(500)
    return page.locator("[data-testid='stSidebar']")


def test_the_choice_shows_only_on_a_store_with_learned_scores(page, url):
    open_app(page, f"{url}/?store=learned&preset=growth", maps=False)
    sidebar = weights_panel(page)
    assert exceptions(page) == []
    choice = sidebar.get_by_role("combobox", name="适宜性来源")
    assert choice.is_visible() and choice.input_value() == "规则评分"
    choice.click()
    option = page.get_by_role("option", name="变化学习（2003→2005）")
    option.wait_for(timeout=5_000)
    assert option.is_visible()
    page.keyboard.press("Escape")
    open_app(page, f"{url}/?store=demo&preset=growth", maps=False)
    sidebar = weights_panel(page)
    assert exceptions(page) == []
    assert sidebar.get_by_text("适宜性 / 经济效益").is_visible()  # the group is open
    assert sidebar.get_by_role("combobox", name="适宜性来源").count() == 0
