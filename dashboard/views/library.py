"""Scenario library: every saved scenario of the current store; open, rename, copy, delete."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.components import library_panel, results
from data import library

t = ui.t
path = ui.store_path()
st.title(t("page_library"))
table = library.list_scenarios(path)
if table.empty:
    st.info(t("library_empty"))
    st.stop()

shown = table[["name", "preset", "status", "gap", "changed_area_ha", "saved_at", "stale"]].copy()
shown["gap"] = [results.gap_tile(str(s), None if pd.isna(g) else float(g), t)
                for s, g in zip(shown["status"], shown["gap"], strict=True)]
st.dataframe(shown, hide_index=True, width="stretch")

name = st.selectbox(t("library_pick"), table["name"].tolist())
token = table.loc[table["name"] == name, "token"].iloc[0]
editable, read_only = library_panel.share_links(token)
st.caption(t("share_editable"))
st.code(editable, language=None)
st.caption(t("share_read_only"))
st.code(read_only, language=None)

open_column, rename_column, copy_column, delete_column = st.columns(4)
if open_column.button(t("library_open"), type="primary"):
    # Re-enter the scenario page as if the share link had been opened.
    for key in ("link", "levers_ready", "shown"):
        st.session_state.pop(key, None)
    st.query_params.from_dict({"store": st.session_state.get("store_name", "demo"),
                               "scenario": token, "lang": ui.lang(), "mode": ui.mode()})
    st.switch_page("views/scenario.py")

new_name = st.text_input(t("library_new_name"), disabled=ui.read_only())
locked = ui.read_only()  # checked again on every action, not only by disabling the buttons
try:
    if rename_column.button(t("library_rename"), disabled=locked or not new_name) and not locked:
        library.rename_scenario(path, name, new_name)
        st.rerun()
    if copy_column.button(t("library_duplicate"), disabled=locked or not new_name) and not locked:
        library.duplicate_scenario(path, name, new_name)
        st.rerun()
    if delete_column.button(t("library_delete"), disabled=locked) and not locked:
        library.delete_scenario(path, name)
        st.rerun()
except (library.LibraryError, ValueError) as exc:
    st.error(str(exc))
