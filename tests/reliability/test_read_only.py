"""Read-only links on a shared server ($LANDALLOC_EDIT_KEY set) cannot change anything.

tests/dashboard/test_app.py already shows that a link without the key has Solve and Save
disabled and that the presentation toggle cannot unlock it. Here a viewer tampers with the URL
(removes ``mode=readonly``, adds ``mode=edit``, guesses keys) and then *forges* clicks on the
disabled buttons, as a hand-made websocket message could: the server must ignore them. The
library (save, rename, duplicate, delete) and the store folder must stay byte-identical, and
the data page must offer no upload at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from data import library
from tests.reliability.apptest import open_app, store_files
from tests.reliability.conftest import digest

KEY = "meeting-2026-edit"
TAMPERED = [
    {}, {"mode": "edit"}, {"mode": ""}, {"mode": "present"}, {"key": ""}, {"key": "guess"},
    {"key": KEY[:-1]}, {"key": KEY + " "}, {"key": KEY.upper()}, {"mode": "readonly", "key": "x"},
]


@pytest.fixture(scope="module")
def shared_server(app_stores: Path):
    """Edit key set for the module; one scenario saved by an editor who has the key."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LANDALLOC_EDIT_KEY", KEY)
        editor = open_app({"preset": "growth", "key": KEY})
        editor.text_input(key="save_name").set_value("编辑者方案")
        editor.button(key="save").click().run()
        assert not editor.exception
        assert list(library.list_scenarios(app_stores / "demo.duckdb")["name"]) == ["编辑者方案"]
        yield app_stores


def forge_click(at, button) -> None:
    """Press a (disabled) button the way a forged browser message would, and rerun."""
    button._value = True  # bypasses AppTest's 'a user cannot click a disabled widget' guard
    at.run()


def library_state(folder: Path) -> tuple[list[str], str]:
    names = sorted(library.list_scenarios(folder / "demo.duckdb")["name"])
    return names, digest(folder / "demo.library.duckdb")


def button_by_label(at, label: str):
    return next(b for b in at.button if b.label == label)


@pytest.mark.parametrize("params", TAMPERED, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items())
                         or "no-params")
def test_tampered_link_cannot_save(shared_server: Path, params: dict[str, str]) -> None:
    """Save stays disabled and a forged Save click writes nothing."""
    before = library_state(shared_server)
    at = open_app({"preset": "growth", **params})
    assert not at.exception
    save = at.button(key="save")
    assert save.disabled
    assert all(b.disabled for b in at.button if b.key == "solve")  # none in presentation mode
    at.text_input(key="save_name").set_value("偷偷保存")
    forge_click(at, save)
    assert not at.exception
    assert library_state(shared_server) == before
    assert at.query_params["mode"] == "readonly"


@pytest.mark.parametrize("params", [{}, {"mode": "edit"}, {"key": "guess"}], ids=str)
def test_tampered_link_cannot_rename_copy_or_delete(shared_server: Path,
                                                    params: dict[str, str]) -> None:
    """On the library page every changing button is disabled; forged clicks change nothing."""
    before = library_state(shared_server)
    at = open_app({"preset": "growth", **params}, page="views/library.py")
    assert not at.exception
    labels = ("重命名", "复制", "删除")
    assert all(button_by_label(at, label).disabled for label in labels)
    name_box = at.text_input[0]
    assert name_box.disabled
    name_box._value = "被改名"  # forged, like the click
    for label in labels:
        forge_click(at, button_by_label(at, label))
        assert not at.exception
    assert library_state(shared_server) == before


def test_tampered_link_cannot_switch_store(shared_server: Path) -> None:
    """The store picker is disabled: a viewer cannot point the session at another store."""
    at = open_app({"preset": "growth", "mode": "edit"})
    assert at.selectbox(key="store_choice").disabled


@pytest.mark.parametrize("params", [{}, {"mode": "edit"}, {"key": "guess"}], ids=str)
def test_tampered_link_has_no_upload_on_the_data_page(shared_server: Path,
                                                      params: dict[str, str]) -> None:
    """No file uploader and no import button at all for a viewer: nothing to forge."""
    before = store_files(shared_server)
    at = open_app({"preset": "growth", **params}, page="views/data.py")
    assert not at.exception
    assert len(at.file_uploader) == 0
    assert not any(b.label == "导入" for b in at.button)
    assert any("只读" in i.value for i in at.info)
    assert store_files(shared_server) == before


def test_the_editor_key_still_works(shared_server: Path) -> None:
    """The guard is not a blanket ban: with the key, library actions work."""
    at = open_app({"preset": "growth", "key": KEY}, page="views/library.py")
    at.text_input[0].set_value("复制的方案").run()
    button_by_label(at, "复制").click().run()
    assert not at.exception
    names = set(library.list_scenarios(shared_server / "demo.duckdb")["name"])
    assert names == {"编辑者方案", "复制的方案"}
    library.delete_scenario(shared_server / "demo.duckdb", "复制的方案")


def test_forged_lever_change_and_solve_are_ignored(shared_server: Path) -> None:
    """A viewer forging a disabled slider value and a Solve click changes neither URL nor result."""
    at = open_app({"preset": "growth", "mode": "edit"})
    before = {m.label: m.value for m in at.metric}
    lever = at.slider(key="lv:farmland.quota_pct")
    assert lever.disabled
    lever._value = 80.0
    forge_click(at, at.button(key="solve"))
    assert not at.exception
    assert {m.label: m.value for m in at.metric} == before
    assert "farmland.quota_pct" not in at.query_params
    assert at.query_params["mode"] == "readonly"
