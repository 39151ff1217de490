"""Scenario library: every saved scenario and period plan of the current store; open, share,
rename, copy, delete (after a confirmation)."""

from __future__ import annotations

import streamlit as st

from dashboard.components import library_panel
from dashboard.page import PageContext, page_context
from data import library


def page(ctx: PageContext) -> None:
    """The library table, share links of the picked entry and its actions."""
    t = ctx.t
    st.title(t("page_library"))
    table = library.list_scenarios(ctx.path)
    if table.empty:
        st.info(t("library_empty"))
        return
    st.dataframe(library_panel.library_table(table, t, ctx.preset_names()), hide_index=True,
                 width="stretch")
    name = st.selectbox(t("library_pick"), table["name"].tolist(), key="library_pick")
    entry = table.loc[table["name"] == name].iloc[0]
    token, kind = str(entry["token"]), str(entry["kind"] or "single")
    library_panel.show_share_links(token, kind)
    open_column, rename_column, copy_column, delete_column = st.columns(4)
    if open_column.button(t("library_open"), type="primary"):
        library_panel.open_entry(token, kind)  # goes to the scenario or periods page
    if ctx.read_only:  # checked on every action, not only by disabling the buttons
        for column, key in ((rename_column, "library_rename"), (copy_column, "library_duplicate"),
                            (delete_column, "library_delete")):
            column.button(t(key), disabled=True)
        st.text_input(t("library_new_name"), disabled=True)
        return
    try:
        _edit_actions(ctx, name, rename_column, copy_column, delete_column)
    except (library.LibraryError, ValueError) as exc:
        st.error(library_panel.md_text(str(exc)))  # may quote a user-typed name


def _edit_actions(ctx: PageContext, name: str, rename_column, copy_column,
                  delete_column) -> None:
    """Delete (two steps), rename and copy of entry ``name`` (editable sessions only)."""
    t = ctx.t
    if delete_column.button(t("library_delete")):
        st.session_state["library_confirm_delete"] = name
    if st.session_state.get("library_confirm_delete") == name:
        _confirm_delete(ctx, name)
    new_name = st.text_input(t("library_new_name"))
    if rename_column.button(t("library_rename"), disabled=not new_name):
        library.rename_scenario(ctx.path, name, new_name)
        st.rerun()
    if copy_column.button(t("library_duplicate"), disabled=not new_name):
        library.duplicate_scenario(ctx.path, name, new_name)
        st.rerun()


def _confirm_delete(ctx: PageContext, name: str) -> None:
    """The second step of a delete, right under the buttons: nothing goes without it."""
    t = ctx.t
    st.warning(t("library_delete_confirm", name=library_panel.md_text(name)))
    yes_column, no_column, _ = st.columns([1, 1, 4])
    if yes_column.button(t("library_delete_yes"), type="primary", key="library_delete_yes"):
        library.delete_scenario(ctx.path, name)
        st.session_state.pop("library_confirm_delete", None)
        st.toast(t("library_deleted", name=library_panel.md_text(name)))
        st.rerun()
    if no_column.button(t("library_delete_no"), key="library_delete_no"):
        st.session_state.pop("library_confirm_delete", None)
        st.rerun()


page(page_context())
