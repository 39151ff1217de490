"""Save, share and export a result; reopen a saved scenario from its share link.

The library itself is ``data.library`` (atomic saves in a sidecar DuckDB next to the store);
this module only draws the widgets and turns saved rows into what the scenario page shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import ui
from data import library
from data.exports import MIME, ExportBundle, export_bytes
from solver import Landscape

EXPORTS: tuple[tuple[str, str, str], ...] = (
    # (i18n label key, file suffix, export kind)
    ("export_gpkg", ".gpkg", "allocation"),
    ("export_parquet", ".parquet", "allocation"),
    ("export_csv", ".csv", "allocation"),
    ("export_indicators_csv", ".csv", "indicators"),
    ("export_xlsx", ".xlsx", "indicators"),
    ("export_report", ".html", "report"),
)


@dataclass(frozen=True)
class SavedResult:
    """A saved scenario's result, shaped like ``solver.AllocationResult`` for the page."""

    status: str
    objective: float | None
    best_bound: float | None
    gap: float | None
    wall_time_s: float
    assignment: np.ndarray
    name: str
    token: str
    stale: bool
    explanation: None = None

    @property
    def has_solution(self) -> bool:
        return True


def assignment_indices(land: Landscape, table: pd.DataFrame) -> np.ndarray | None:
    """Class index per parcel (solver order) from a saved (parcel_id, land_use code) table.

    None when the table does not cover the store's parcels (the store was rebuilt).
    """
    codes = pd.Series(table["land_use"].to_numpy(), index=table["parcel_id"].to_numpy())
    aligned = codes.reindex(land.parcel_id)
    index = pd.Series(np.arange(land.n_classes), index=list(land.class_codes))
    positions = aligned.map(index)
    return None if positions.isna().any() else positions.to_numpy(dtype=np.int64)


def open_saved(path: str, land: Landscape, token: str) -> tuple[library.SavedScenario, SavedResult]:
    """Load a saved scenario by share token and wrap its result for display."""
    saved = library.load_scenario(path, token=token)
    assignment = assignment_indices(land, saved.assignment)
    if assignment is None:
        raise library.LibraryError(ui.t("saved_mismatch", name=saved.name))
    result = SavedResult(status=saved.status, objective=saved.objective,
                         best_bound=saved.best_bound, gap=saved.gap,
                         wall_time_s=float(saved.wall_time_s or 0.0), assignment=assignment,
                         name=saved.name, token=saved.token, stale=saved.stale)
    return saved, result


def share_links(token: str) -> tuple[str, str]:
    """Editable and read-only links of a saved scenario (absolute when the host is known)."""
    base = str(st.context.url or "").split("?")[0] if hasattr(st.context, "url") else ""
    store = st.session_state.get("store_name", "demo")
    link = f"{base}?store={store}&scenario={token}"
    return link, f"{link}&mode=readonly"


def file_stem(name: str) -> str:
    """A download file name from a scenario name: no path separators or reserved characters."""
    return re.sub(r'[\\/:*?"<>|\s.]+', "_", name).strip("_")[:60] or "scenario"


def _summary(result) -> dict:
    if hasattr(result, "to_summary_dict"):
        return result.to_summary_dict()
    return {"status": str(result.status), "objective": result.objective,
            "best_bound": result.best_bound, "gap": result.gap, "wall_time_s": result.wall_time_s}


def save_form(path: str, version: str, land: Landscape, scenario, preset: str, result,
              codes_after: np.ndarray, table: pd.DataFrame) -> None:
    """Name field and Save button; on success the share links of the saved scenario."""
    t = ui.t
    with st.form("save_scenario", border=False):
        name = st.text_input(t("save_name"), max_chars=library.MAX_NAME_LENGTH,
                             placeholder=t("save_placeholder"), key="save_name")
        overwrite = st.checkbox(t("save_overwrite"), key="save_overwrite")
        clicked = st.form_submit_button(t("save"), disabled=ui.read_only(), key="save")
    if clicked and not ui.read_only():
        assignment = pd.DataFrame({"parcel_id": land.parcel_id, "land_use": codes_after})
        try:
            saved = library.save_scenario(path, name, scenario.to_toml(), preset, _summary(result),
                                          assignment, table, version, overwrite=overwrite)
        except (library.LibraryError, ValueError) as exc:
            st.error(str(exc))
            return
        st.session_state["last_saved_token"] = saved.token
        st.success(t("saved", name=saved.name))
    token = st.session_state.get("last_saved_token") or getattr(result, "token", None)
    if token:
        editable, read_only = share_links(token)
        st.caption(t("share_editable"))
        st.code(editable, language=None)
        st.caption(t("share_read_only"))
        st.code(read_only, language=None)


def export_buttons(path: str, name: str, scenario, preset: str, result, land: Landscape,
                   codes_after: np.ndarray, table: pd.DataFrame) -> None:
    """One download button per export; each file is built only when its button is pressed."""
    bundle = ExportBundle(store_path=Path(path), name=name or "scenario",
                          assignment=pd.DataFrame({"parcel_id": land.parcel_id,
                                                   "land_use": codes_after}),
                          indicators=table, scenario_toml=scenario.to_toml(), preset=preset,
                          summary=_summary(result))
    lang = ui.lang()
    columns = st.columns(len(EXPORTS))
    for column, (label, suffix, kind) in zip(columns, EXPORTS, strict=True):
        column.download_button(
            ui.t(label), data=lambda s=suffix, k=kind: export_bytes(bundle, s, k, lang),
            file_name=f"{file_stem(bundle.name)}_{kind}{suffix}", mime=MIME[suffix],
            key=f"dl:{label}",
            on_click="ignore")
