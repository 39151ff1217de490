"""Scenario library: every saved scenario and period plan of the current store; open, share,
rename, copy, delete (after a confirmation)."""

from __future__ import annotations

import streamlit as st

from dashboard import ui
from dashboard.components import library_panel
from data import library
from data.presets import list_presets

t = ui.t
path = ui.store_path()
st.title(t("page_library"))
table = library.list_scenarios(path)
if table.empty:
    st.info(t("library_empty"))
    st.stop()

preset_names = {p["key"]: p["name_zh" if ui.lang() == "zh" else "name_en"]
                for p in list_presets()}
st.dataframe(library_panel.library_table(table, t, preset_names), hide_index=True,
             width="stretch")

name = st.selectbox(t("library_pick"), table["name"].tolist(), key="library_pick")
entry = table.loc[table["name"] == name].iloc[0]
token, kind = str(entry["token"]), str(entry["kind"] or "single")
library_panel.show_share_links(token, kind)

open_column, rename_column, copy_column, delete_column = st.columns(4)
if open_column.button(t("library_open"), type="primary"):
    library_panel.open_entry(token, kind)  # goes to the scenario or periods page

locked = ui.read_only()  # checked again on every action, not only by disabling the buttons


def confirm_delete() -> None:
    """The second step of a delete, right under the buttons: nothing goes without it."""
    st.warning(t("library_delete_confirm", name=library_panel.md_text(name)))
    yes_column, no_column, _ = st.columns([1, 1, 4])
    if yes_column.button(t("library_delete_yes"), type="primary", key="library_delete_yes"):
        library.delete_scenario(path, name)
        st.session_state.pop("library_confirm_delete", None)
        st.toast(t("library_deleted", name=library_panel.md_text(name)))
        st.rerun()
    if no_column.button(t("library_delete_no"), key="library_delete_no"):
        st.session_state.pop("library_confirm_delete", None)
        st.rerun()


try:
    if delete_column.button(t("library_delete"), disabled=locked) and not locked:
        st.session_state["library_confirm_delete"] = name
    if st.session_state.get("library_confirm_delete") == name and not locked:
        confirm_delete()
    new_name = st.text_input(t("library_new_name"), disabled=locked)
    if rename_column.button(t("library_rename"), disabled=locked or not new_name) and not locked:
        library.rename_scenario(path, name, new_name)
        st.rerun()
    if copy_column.button(t("library_duplicate"), disabled=locked or not new_name) and not locked:
        library.duplicate_scenario(path, name, new_name)
        st.rerun()
except (library.LibraryError, ValueError) as exc:
    st.error(library_panel.md_text(str(exc)))  # may quote a user-typed name
