"""About page: what the tool does and where its numbers come from."""

from __future__ import annotations

import streamlit as st

from dashboard.page import PageContext, page_context


def page(ctx: PageContext) -> None:
    """The tool in two paragraphs (catalogue entry ``about_text``)."""
    st.title(ctx.t("app_title"))
    st.markdown(ctx.t("about_text"))


page(page_context())
