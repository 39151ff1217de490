"""Save, share and export a result; reopen a saved scenario from its share link.

The library itself is ``data.library`` (atomic saves in a sidecar DuckDB next to the store);
this module only draws the widgets and turns saved rows into what the scenario page shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import state, ui
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
#: The pages' URL paths (``dashboard/app.py``): a share link is built from the app's root.
PAGE_PATHS = ("scenario", "compare", "sweep", "periods", "library", "data", "about")
#: Library kind → (page script, URL path) that opens it.
KIND_PAGES = {"single": ("views/scenario.py", ""), "periods": ("views/periods.py", "periods")}
#: Session keys of a shown result that opening another library entry must forget.
SHOWN_KEYS = ("levers_ready", "shown", "period_shown", "last_saved_token", "last_saved_name",
              "period_last_saved_token")


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


def md_text(text: object) -> str:
    """User text made inert for Streamlit's Markdown (success/warning boxes, labels).

    Every ASCII punctuation mark is backslash-escaped (CommonMark allows it for all of them),
    so a name like ``[x](javascript:…)``, ``**x**``, ``$x$`` or ``:red[x]`` shows as typed.
    """
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", str(text))


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
    """Load a saved scenario by share token and wrap its result for display.

    A period plan's token (a link edited by hand, an old bookmark) goes to the periods page.
    """
    saved = library.load_scenario(path, token=token)
    if saved.is_period_plan:
        open_entry(token, saved.kind)
    assignment = assignment_indices(land, saved.assignment)
    if assignment is None:
        raise library.LibraryError(ui.t("saved_mismatch", name=saved.name))
    result = SavedResult(status=saved.status, objective=saved.objective,
                         best_bound=saved.best_bound, gap=saved.gap,
                         wall_time_s=float(saved.wall_time_s or 0.0), assignment=assignment,
                         name=saved.name, token=saved.token, stale=saved.stale)
    return saved, result


def app_root(url: str) -> str:
    """The app's root URL from the address of any of its pages (query and page path cut)."""
    base = url.split("#")[0].split("?")[0].rstrip("/")
    head, _, last = base.rpartition("/")
    return head if last in PAGE_PATHS and head.count("/") >= 2 else base


def library_table(table: pd.DataFrame, t, preset_names: dict[str, str]) -> pd.DataFrame:
    """The library listing as a decision-maker reads it: translated headers and values,
    "–" where a value is missing (never "None" or "nan").

    Parameters
    ----------
    table : DataFrame
        :func:`data.library.list_scenarios`.
    t : callable
        ``ui.t``: text of a key in the session's language.
    preset_names : dict
        Preset key → its name in the session's language.
    """
    from dashboard.components import results  # the gap wording of the KPI tile

    def gap(status: object, value: object) -> str:
        return results.gap_tile(str(status), None if pd.isna(value) else float(value), t)

    shown = pd.DataFrame({
        t("library_col_name"): table["name"].astype(str),
        t("library_col_kind"): [t(f"library_kind_{k}") for k in table["kind"].fillna("single")],
        t("library_col_preset"): [preset_names.get(str(p), str(p)) if p else "–"
                                  for p in table["preset"].fillna("")],
        t("library_col_status"): [t(f"status_{s}") for s in table["status"]],
        t("library_col_gap"): [gap(s, g) for s, g in zip(table["status"], table["gap"],
                                                         strict=True)],
        t("library_col_changed"): [f"{v:,.1f}" if pd.notna(v) else "–"
                                   for v in table["changed_area_ha"]],
        t("library_col_saved"): [pd.Timestamp(v).strftime("%Y-%m-%d %H:%M") if pd.notna(v)
                                 else "–" for v in table["saved_at"]],
        t("library_col_stale"): [t("library_yes") if v else t("library_no")
                                 for v in table["stale"]],
    })
    return shown


def share_links(token: str, kind: str = "single") -> tuple[str, str]:
    """Editable and read-only links of a saved entry, to the page that shows its kind.

    Absolute when the browser's address is known; a single scenario's link goes to the app's
    root (the scenario page), a period plan's to ``/periods``, from whichever page.
    """
    url = str(getattr(st.context, "url", "") or "")
    page = KIND_PAGES.get(kind, KIND_PAGES["single"])[1]
    store = st.session_state.get("store_name", "demo")
    link = f"{app_root(url)}/{page}?store={store}&scenario={token}"
    return link, f"{link}&mode=readonly"


def open_entry(token: str, kind: str) -> NoReturn:
    """Go to the page of a library entry and open it there, as its share link would.

    The session keeps its language, lock and store; only the link it opened with is
    replaced, so the page takes the entry's levers and saved result on its next run.
    """
    params = {state.STORE_KEY: st.session_state.get("store_name", "demo"),
              state.SAVED_KEY: token, state.LANG_KEY: ui.lang()}
    if ui.mode():
        params[state.MODE_KEY] = ui.mode()
    st.session_state["link"] = state.params_to_scenario(params)
    for key in SHOWN_KEYS:
        st.session_state.pop(key, None)
    # st.switch_page clears the query parameters unless given: the token must travel along.
    st.switch_page(KIND_PAGES.get(kind, KIND_PAGES["single"])[0], query_params=params)


def show_share_links(token: str, kind: str = "single") -> None:
    """The two share links of a saved entry, as copyable code blocks."""
    editable, read_only = share_links(token, kind)
    st.caption(ui.t("share_editable"))
    st.code(editable, language=None)
    st.caption(ui.t("share_read_only"))
    st.code(read_only, language=None)


def file_stem(name: str) -> str:
    """A download file name from a scenario name: no path separators or reserved characters."""
    return re.sub(r'[\\/:*?"<>|\s.]+', "_", name).strip("_")[:60] or "scenario"


def _summary(result) -> dict:
    if hasattr(result, "to_summary_dict"):
        return result.to_summary_dict()
    return {"status": str(result.status), "objective": result.objective,
            "best_bound": result.best_bound, "gap": result.gap, "wall_time_s": result.wall_time_s}


def save_form(path: str, version: str, land: Landscape, scenario, preset: str, result,
              codes_after: np.ndarray, table: pd.DataFrame) -> str | None:
    """Name field and Save button; on success the share links of the saved scenario.

    Returns the name the shown result was saved under in this session (exports are titled
    by it), or None.
    """
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
            st.error(md_text(str(exc)))  # may quote the typed name
            return st.session_state.get("last_saved_name")
        st.session_state["last_saved_token"] = saved.token
        st.session_state["last_saved_name"] = saved.name
        st.success(t("saved", name=md_text(saved.name)))
    token = st.session_state.get("last_saved_token") or getattr(result, "token", None)
    if token:
        show_share_links(token)
    return st.session_state.get("last_saved_name")


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
