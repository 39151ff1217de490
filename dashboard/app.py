"""Streamlit entry point: page set-up, language, store choice and the page router.

Start from the repository root: ``python -m streamlit run dashboard/app.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run` puts only dashboard/ on sys.path; the packages live one level up.
REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import streamlit as st  # noqa: E402

from dashboard import ui  # noqa: E402

st.set_page_config(page_title="国土空间优化配置", layout="wide",
                   initial_sidebar_state="expanded")
ui.init_session()
lang = ui.lang()
pages = [
    st.Page("views/scenario.py", title=ui.t("page_scenario"), default=True,
            url_path="scenario"),
    st.Page("views/compare.py", title=ui.t("page_compare"), url_path="compare"),
    st.Page("views/sweep.py", title=ui.t("page_sweep"), url_path="sweep"),
    st.Page("views/periods.py", title=ui.t("page_periods"), url_path="periods"),
    st.Page("views/monitoring.py", title=ui.t("page_monitoring"), url_path="monitoring"),
    st.Page("views/library.py", title=ui.t("page_library"), url_path="library"),
    st.Page("views/data.py", title=ui.t("page_data"), url_path="data"),
    st.Page("views/about.py", title=ui.t("page_about"), url_path="about"),
]
navigation = st.navigation(pages, position="hidden" if ui.presenting() else "sidebar")
ui.sidebar_header()
navigation.run()
