"""Session-wide helpers shared by the pages: language, mode, the chosen store, the sidebar head."""

from __future__ import annotations

import hmac
import os
from pathlib import Path

import streamlit as st

from dashboard import i18n, services, state

EDIT_KEY_ENV = "LANDALLOC_EDIT_KEY"


def init_session() -> None:
    """Decode the URL once per browser session (a shared link sets language, mode, store, levers)."""
    if "link" in st.session_state:
        return
    params = st.query_params.to_dict()
    link = state.params_to_scenario(params)
    st.session_state["link"] = link
    st.session_state["lang"] = link.lang
    # A read-only link stays locked for the whole session, whatever else is toggled.
    st.session_state["locked"] = link.mode == "readonly" or not may_edit(params.get(state.EDIT_KEY))
    st.session_state["presenting"] = link.mode == "present"
    st.session_state["store_name"] = resolve_store_name(link.store)


def may_edit(presented: str | None) -> bool:
    """Whether this session may change anything.

    Without ``$LANDALLOC_EDIT_KEY`` (a planner's own machine) every session may. With it (a
    shared server), only a session opened with ``?key=<that key>``: removing
    ``mode=readonly`` from a link then still gives a read-only view.
    """
    expected = os.environ.get(EDIT_KEY_ENV, "")
    if not expected:
        return True
    return presented is not None and hmac.compare_digest(presented.encode(), expected.encode())


def lang() -> str:
    return st.session_state.get("lang", "zh")


def t(text_key: str, /, **values: object) -> str:
    """Text of ``text_key`` in the session's language (values may include one named ``key``)."""
    return i18n.translate(text_key, lang(), **values)


def presenting() -> bool:
    """Presentation mode for briefings: levers hidden, large KPIs and maps."""
    return bool(st.session_state.get("presenting", False))


def mode() -> str:
    """The ``mode`` URL parameter that reproduces this session's view."""
    return "readonly" if read_only() else "present" if presenting() else ""


def read_only() -> bool:
    """Levers locked and nothing may be saved, deleted or imported in this session."""
    return bool(st.session_state.get("locked", False))


def store_names() -> dict[str, Path]:
    """Available stores by name (file stem); the demo first."""
    return {path.stem: path for path in services.available_stores()}


def resolve_store_name(requested: str | None) -> str:
    """The store a link asks for if it exists (matched by name only, never as a path)."""
    names = store_names()
    if requested in names:
        return requested
    if requested:
        st.session_state.setdefault("pending_warnings", []).append(
            ("bad_param", {"key": state.STORE_KEY, "value": str(requested)[:60],
                           "reason": ", ".join(names)}))
    return next(iter(names))


def store_path() -> str:
    names = store_names()
    name = st.session_state.get("store_name")
    return str(names.get(name, next(iter(names.values()))))


#: Projector size (1280 × 720, issue 15 item 6): less blank space above the title, KPI labels
#: that wrap rather than end in "…", KPI values sized to the window.
LAYOUT_CSS = """<style>
[data-testid='stMainBlockContainer']{padding-top:1.4rem;padding-left:2.5rem;padding-right:2.5rem}
[data-testid='stMain'] h1{font-size:2rem;padding-top:0.2rem}
[data-testid='stHeader']{background:transparent;pointer-events:none}
[data-testid='stHeader'] *{pointer-events:auto}
[data-testid='stMetricLabel']{min-height:2.8em;align-items:flex-start}
[data-testid='stMetricLabel'] *{white-space:normal!important;text-overflow:clip!important;
  overflow:visible!important;word-break:keep-all!important;overflow-wrap:normal!important;
  line-height:1.3}
[data-testid='stMetricValue']{font-size:clamp(1.35rem,2.2vw,2.25rem)}
</style>"""


def sidebar_header() -> None:
    """Language switch, store picker and the synthetic-data badge (and the layout CSS)."""
    st.html(LAYOUT_CSS)
    with st.sidebar:
        choice = st.radio(i18n.TEXT["language"][0], ["中文", "English"], horizontal=True,
                          index=0 if lang() == "zh" else 1, key="lang_choice")
        st.session_state["lang"] = "zh" if choice == "中文" else "en"
        names = list(store_names())
        switch = st.session_state.pop("store_switch", None)  # set by an import on the data page
        if switch in names:
            st.session_state["store_name"] = st.session_state["store_choice"] = switch
        current = st.session_state.get("store_name", names[0])
        # after a switch the widget's own state decides; index 0 then avoids Streamlit's
        # "default value and Session State" warning
        index = names.index(current) if current in names and switch not in names else 0
        picked = st.selectbox(t("store"), names, index=index,
                              disabled=read_only(), key="store_choice")
        st.session_state["store_name"] = picked
        overview = services.store_overview(store_path(), services.store_version(store_path()))
        meta = overview["meta"]
        st.caption(meta.get("name_zh" if lang() == "zh" else "name_en", picked))
        if meta.get("synthetic") == "true":
            st.caption(f"⚠️ {t('synthetic_badge')}")
