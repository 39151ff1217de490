"""A planner's own data through the 数据 page, in real Chromium: class names and raster codes
guessed right, zones mapped on upload so a preset solves, the sidebar on the new store."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.browser.conftest import running_app
from tests.browser.test_dashboard_browser import exceptions, wait_idle
from tests.conftest import REPO_ROOT
from tests.parcel_files import write
from tests.upload_files import (
    WUHAN_LANDUSE,
    ZONES_WINDOW,
    chinese_parcels,
    wuhan_crop,
    wuhan_zone_masks,
)

pytestmark = pytest.mark.browser

TIMEOUT_MS = 120_000
SHOTS = REPO_ROOT / "out" / "screenshots"  # looked at by hand; not asserted


@pytest.fixture(scope="module")
def upload_url(tmp_path_factory) -> str:
    """A server on its own store folder: the stores these tests import stay out of the others'."""
    with running_app(tmp_path_factory.mktemp("upload_stores")) as url:
        yield url


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    if not WUHAN_LANDUSE.exists():
        pytest.skip(f"needs the Wuhan test data at {WUHAN_LANDUSE}")
    return tmp_path_factory.mktemp("upload_files")


def open_data_page(page, url: str) -> None:
    page.goto(f"{url}/data", wait_until="domcontentloaded", timeout=TIMEOUT_MS)
    page.wait_for_selector("[data-testid='stFileUploader']", timeout=TIMEOUT_MS)


def upload(page, label: str, path: Path) -> None:
    """Put ``path`` into the file uploader whose label contains ``label``, and wait until the
    box shows it and the rerun it starts has ended (an upload sent during a rerun can be lost
    on a loaded machine)."""
    box = page.locator("[data-testid='stFileUploader']").filter(has_text=label).first
    box.locator("input[type='file']").set_input_files(str(path))
    box.get_by_text(path.name).first.wait_for(timeout=TIMEOUT_MS)
    wait_running_ended(page)


def wait_running_ended(page) -> None:
    """Until Streamlit's running indicator is gone (twice in a row, half a second apart)."""
    running = page.locator("[data-testid='stStatusWidget'] button")
    deadline = time.time() + TIMEOUT_MS / 1000
    quiet = 0
    while time.time() < deadline and quiet < 2:
        quiet = quiet + 1 if running.count() == 0 else 0
        page.wait_for_timeout(500)


def selectbox_value(page, label: str, root: str = "[data-testid='stMain']") -> str:
    """The shown value of the first selectbox under ``root`` whose label starts with ``label``
    (waits for it to appear; the value is the combobox input's value)."""
    boxes = page.locator(f"{root} [data-testid='stSelectbox']")
    deadline = time.time() + TIMEOUT_MS / 1000
    while time.time() < deadline:
        for i, text in enumerate(boxes.all_inner_texts()):
            if text.strip().startswith(label):
                return boxes.nth(i).locator("input[role='combobox']").input_value()
        page.wait_for_timeout(500)
    raise AssertionError(f"no selectbox labelled {label!r}: {boxes.all_inner_texts()[:12]}")


def main_text(page) -> str:
    return page.locator("[data-testid='stMain']").first.inner_text()


def shoot(page, name: str) -> None:
    """A screenshot of the class pickers (Streamlit scrolls its own container, not the page)."""
    page.get_by_text("地类对应", exact=True).first.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / name))


def press_import(page) -> None:
    wait_running_ended(page)
    page.get_by_role("button", name="导入", exact=True).click()
    page.wait_for_selector("[data-testid='stAlert']:has-text('已导入')", timeout=TIMEOUT_MS)
    wait_idle(page)


def sidebar_store(page) -> str:
    return selectbox_value(page, "研究区数据库", "[data-testid='stSidebar']")


def test_chinese_class_names_get_their_roles_and_text_ids_import(page, upload_url, files):
    parcels = write(chinese_parcels(), files / "dltb_cn.gpkg")
    open_data_page(page, upload_url)
    upload(page, "选择文件", parcels)
    expected = {"耕地": "耕地", "林地": "林地", "草地": "草地", "水域": "水域",
                "建设用地": "建设用地", "未利用地": "未利用地"}
    for name, role in expected.items():
        assert selectbox_value(page, f"「{name}」") == role, name
    text = main_text(page)
    assert "parcel_id" not in text and "land_use" not in text  # pickers named in Chinese
    assert selectbox_value(page, "地块编号列") == "BSM"
    assert selectbox_value(page, "地类列") == "DLMC"
    shoot(page, "upload_chinese_names.png")
    press_import(page)
    assert exceptions(page) == []
    assert sidebar_store(page) == "dltb_cn"


def test_wuhan_raster_codes_are_recognised(page, upload_url, files):
    raster = wuhan_crop(files / "wuhan_crop.tif")
    open_data_page(page, upload_url)
    upload(page, "选择文件", raster)
    # Wuhan's own table (data/mappings/wuhan_classes.csv), not the app's 1..6 numbering
    wuhan = {1: "草地", 2: "落叶林", 3: "耕地", 4: "城镇用地", 5: "裸地", 6: "水域", 7: "常绿林"}
    for code, name in wuhan.items():
        assert selectbox_value(page, f"编码 {code} ") == name, code
    assert "武汉" in main_text(page)
    shoot(page, "upload_wuhan_codes.png")
    assert exceptions(page) == []


def test_zones_mapped_on_upload_let_the_growth_preset_solve(page, upload_url, files):
    raster = wuhan_crop(files / "wuhan_zones.tif", ZONES_WINDOW)
    masks = wuhan_zone_masks(raster, files)
    open_data_page(page, upload_url)
    upload(page, "选择文件", raster)
    selectbox_value(page, "编码 4 ")  # the class table is there
    upload(page, "城镇开发边界", masks["urban"])
    upload(page, "永久基本农田", masks["basic"])
    upload(page, "生态保护红线", masks["red"])
    page.wait_for_selector("text=城镇开发边界.tif", timeout=TIMEOUT_MS)
    press_import(page)
    assert exceptions(page) == []
    assert sidebar_store(page) == "wuhan_zones"  # switched by the import, not by a link
    page.goto(f"{upload_url}/scenario?preset=growth&store=wuhan_zones",
              wait_until="domcontentloaded", timeout=TIMEOUT_MS)
    wait_idle(page, 240_000)
    page.wait_for_selector("[data-testid='stMetric']", timeout=TIMEOUT_MS)
    body = main_text(page)
    assert exceptions(page) == []
    assert "不可行" not in body and "最多 0 公顷" not in body, body[:800]


def test_sidebar_shows_the_imported_store(page, upload_url, files):
    parcels = write(chinese_parcels(3, 4), files / "switch_me.gpkg")
    open_data_page(page, upload_url)
    upload(page, "选择文件", parcels)
    selectbox_value(page, "「耕地」")
    press_import(page)
    assert sidebar_store(page) == "switch_me"
    assert "switch_me" in page.locator("[data-testid='stMain'] h1").first.inner_text()
