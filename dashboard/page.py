"""The one context every page starts from: language, mode, the chosen store and its overview.

Each page module defines ``page(ctx: PageContext) -> None`` and ends with
``page(page_context())``; what used to be repeated opening lines (translate, language, store
path, version, overview, large/grid checks, preset names) is built here once per run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import services, ui


@dataclass(frozen=True)
class PageContext:
    """What a page needs to know about the session and the store it shows.

    Attributes
    ----------
    t : callable
        ``t(key, **values)``: the catalogue's text in the session's language.
    lang : str
        "zh" or "en".
    store_name, path, version : str
        The chosen store, its file and its content version (cache keys).
    read_only, presenting : bool
        A locked (shared read-only) session; presentation mode.
    """

    t: Callable[..., str]
    lang: str
    store_name: str
    path: str
    version: str
    read_only: bool
    presenting: bool

    @cached_property
    def overview(self) -> dict[str, Any]:
        """Store metadata, classes, regions and summary (cached across reruns)."""
        return services.store_overview(self.path, self.version)

    @property
    def classes(self) -> pd.DataFrame:
        return self.overview["classes"]

    @property
    def learned(self) -> dict | None:
        """Description of the store's suitability learned from change (None: it has none)."""
        return self.overview.get("learned")

    @property
    def region_names(self) -> tuple[str, ...]:
        """Chinese region names in the solver's region order (lever keys use them)."""
        return tuple(self.overview["regions"]["name_zh"])

    @cached_property
    def large(self) -> bool:
        """Millions of cells: solved only when asked."""
        return services.is_large(self.path, self.version)

    @cached_property
    def grid(self) -> bool:
        return services.is_grid(self.path, self.version)

    @property
    def store_title(self) -> str:
        """The store's display name in the session's language."""
        return self.overview["meta"].get("name_zh" if self.lang == "zh" else "name_en", "")

    def preset_names(self) -> dict[str, str]:
        """Preset key → display name in the session's language."""
        from data.presets import list_presets

        column = "name_zh" if self.lang == "zh" else "name_en"
        return {p["key"]: p[column] for p in list_presets()}

    def load_land(self):
        """The solver's input, read on first need (millions of cells take tens of seconds)."""
        with st.spinner(self.t("loading_land", n=f"{services.n_parcels(self.path, self.version):,}")):
            return services.landscape(self.path, self.version)


def page_context() -> PageContext:
    """The context of this script run (the session's language, mode and store)."""
    path = ui.store_path()
    return PageContext(t=ui.t, lang=ui.lang(), store_name=st.session_state.get("store_name", ""),
                       path=path, version=services.store_version(path),
                       read_only=ui.read_only(), presenting=ui.presenting())
