"""Planning periods page (开发时序): phase the targets over 2–3 periods, solve them jointly,
see the land use at the end of each period and when each parcel changes; save the plan in
the scenario library, share it by link and export it."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import services, state, ui
from dashboard.components import grid_maps, library_panel, maps, panels, periods, results, solving
from data import library
from data.exports import MIME, ExportBundle, export_bytes
from data.period_exports import period_export_bytes
from data.presets import PRESET_KEYS, list_presets, load_preset
from solver import ScenarioError
from solver.period_explain import relaxed_period_scenario
from solver.periods import PeriodScenario

t, lang = ui.t, ui.lang()
path = ui.store_path()
version = services.store_version(path)
classes = services.store_overview(path, version)["classes"]
names = {p["key"]: p["name_zh" if lang == "zh" else "name_en"] for p in list_presets()}


def plan_key(plan: PeriodScenario) -> str:
    """Which plan a shown result belongs to (store version + the plan's TOML)."""
    return version + ":" + hashlib.sha256(plan.to_toml().encode()).hexdigest()[:16]


def open_linked_plan(land) -> None:
    """A period plan's share link (or 情景库 → 打开): its levers and saved result, not re-solved.

    Runs once per link: the token is then dropped from the session's link, so the scenario
    page does not try to open a period plan. A single scenario's token is left for it.
    """
    link = st.session_state["link"]
    if not link.token:
        return
    try:
        saved = library.load_scenario(path, token=link.token)
        if not saved.is_period_plan:
            return
        plan = PeriodScenario.from_toml(saved.scenario_toml)
        result = periods.saved_period_result(land, saved, plan)
    except (library.LibraryError, ScenarioError) as exc:
        st.error(library_panel.md_text(str(exc)))  # may quote a user-typed name
    else:
        preset = saved.preset if saved.preset in PRESET_KEYS else link.preset
        st.session_state.update({
            "period_preset": preset, "period_base_year": plan.base_year,
            "period_time_limit": int(min(max(plan.base.solver.time_limit_s, 5), 300)),
            "period_table_source": (plan_key(plan), preset, periods.plan_table(plan)),
            "period_shown": {"key": plan_key(plan), "result": result, "scenario": plan}})
    st.session_state["link"] = dataclasses.replace(link, token=None)


st.title(t("page_periods"))
st.caption(t("periods_help"))
if services.is_large(path, version):
    panels.large_store_notice(path, version, "large_periods")
    st.stop()
with st.spinner(t("loading_land", n=f"{services.n_parcels(path, version):,}")):
    land = services.landscape(path, version)
open_linked_plan(land)
left, right = st.columns([1, 3])
with left:
    link_preset = st.session_state["link"].preset
    preset = st.selectbox(t("preset"), PRESET_KEYS, index=PRESET_KEYS.index(link_preset),
                          format_func=names.get, key="period_preset", disabled=ui.read_only())
    base_year = st.number_input(t("base_year"), 1900, 2200, 2025, key="period_base_year",
                                disabled=ui.read_only())
    limit = st.slider(t("solver.time_limit_s"), 5, 300, 60, key="period_time_limit",
                      disabled=ui.read_only())
base = load_preset(preset).with_value("solver.time_limit_s", float(limit))
# An opened plan fills the table; the editor key names its source, so opening another plan
# or picking another preset starts a fresh table (the preset's default phasing).
source, source_preset, opened = st.session_state.get("period_table_source", ("", "", None))
if source_preset != preset:
    source, opened = "", None
with right:
    table = st.data_editor(
        opened if opened is not None else periods.default_periods(base),
        key=f"period_table:{preset}:{source}", num_rows="dynamic",
        hide_index=True, width="stretch", disabled=ui.read_only(),
        column_config={"name": t("period_name"), "year": t("period_year"),
                       "quota_pct": t("farmland.quota_pct"),
                       "min_new_built_ha": t("growth.min_new_built_ha"),
                       "max_new_built_ha": t("growth.max_new_built_ha"),
                       "max_period_changed_pct": t("period_cap")})
try:
    scenario = periods.period_scenario(base, int(base_year), table)
except (ScenarioError, ValueError) as exc:
    st.error(library_panel.md_text(str(exc)))  # may quote a user-typed name
    st.stop()

key = plan_key(scenario)
pending = st.session_state.pop("period_relaxed", None)
if pending is not None:
    scenario = pending
if st.button(t("solve"), type="primary", disabled=ui.read_only(), key="period_solve") or pending:
    job = services.start_period_solve(land, scenario)
    result = solving.wait_with_progress(job, scenario.base.solver.time_limit_s, t)
    if result is not None:
        st.session_state["period_shown"] = {"key": key, "result": result, "scenario": scenario}
        st.session_state.pop("period_last_saved_token", None)

shown = st.session_state.get("period_shown")
params = {state.STORE_KEY: st.session_state["store_name"], state.LANG_KEY: lang}
if ui.mode():
    params[state.MODE_KEY] = ui.mode()
saved_token = getattr(shown["result"], "token", None) if shown else None
if saved_token and shown["key"] == key:
    params[state.SAVED_KEY] = saved_token  # reloading the page reopens the saved plan
if st.query_params.to_dict() != params:
    st.query_params.from_dict(params)
if shown is None or not shown["key"].startswith(version + ":"):
    st.info(t("no_result"))
    st.stop()
if shown["key"] != key:
    st.info(t("levers_changed"))
result = shown["result"]
planned = shown["scenario"]
if isinstance(result, periods.SavedPeriodResult):
    st.success(t("saved_opened", name=library_panel.md_text(result.name)))
    if result.stale:
        st.warning(t("saved_stale"))
compact = any(planned.scenario(k).weights.compactness > 0 for k in range(planned.n_periods))
st.caption(results.status_line(result, t, compact))
if result.assignment is None:
    explanation = result.explanation
    if explanation is not None:
        st.error(f"**{t('infeasible_title')}**")
        st.text(explanation.message_zh if lang == "zh" else explanation.message_en)
        if st.button(t("apply_relaxation"), disabled=ui.read_only()):
            st.session_state["period_relaxed"] = relaxed_period_scenario(shown["scenario"],
                                                                        explanation)
            st.rerun()
    else:
        st.warning(f"**{t('unknown_title')}** — {t('unknown_help')}")
    st.stop()

class_names = dict(zip(classes["key"], classes["name_zh" if lang == "zh" else "name_en"],
                       strict=True))
st.subheader(t("period_areas"))
st.dataframe(periods.period_areas(result, class_names), width="stretch")
labels = [f"{y} {n}" for y, n in zip(result.years, result.period_names, strict=True)]
grid = services.is_grid(path, version)  # grid stores: images, never a polygon per cell
frame = None if grid else services.map_frame(path, version)
rows = None if grid else frame["row"].to_numpy()
codes = np.asarray(land.class_codes)[result.assignment]  # (n, T) store codes
class_colors = {int(c): maps.hex_to_rgba(h) for c, h in zip(classes["code"], classes["color"],
                                                          strict=True)}
map_column, change_column = st.columns(2)
with map_column:
    period = st.segmented_control(t("period_map"), range(len(labels)), default=len(labels) - 1,
                                  format_func=lambda i: library_panel.md_text(labels[i]),
                                  key="period_pick")
    period = len(labels) - 1 if period is None else period
    if grid:
        deck = panels.grid_landuse_deck(path, version, codes[:, period], classes, "period_use",
                                        width_px=520, height=520)
    else:
        layer = maps.landuse_layer(frame, maps.color_column(codes[rows, period], class_colors),
                                   "period_use", tooltips=False)
        deck = maps.build_deck([layer], maps.view_state(frame["lon"], frame["lat"], 520), None)
    st.pydeck_chart(deck, key="period_map")
    st.markdown(results.legend_html(classes, lang), unsafe_allow_html=True)
with change_column:
    st.markdown(f"**{t('period_of_change')}**")
    if grid:
        values, palette = grid_maps.category_values(result.period_of_change,
                                                    list(periods.PERIOD_COLORS), periods.UNCHANGED)
        deck = panels.grid_deck(path, version, values, palette, "period_change", width_px=520,
                                 height=520)
    else:
        layer = maps.landuse_layer(frame, periods.change_colors(result.period_of_change[rows]),
                                   "period_change", tooltips=False)
        deck = maps.build_deck([layer], maps.view_state(frame["lon"], frame["lat"], 520), None)
    st.pydeck_chart(deck, key="period_change_map")
    # Period names are user text: escaped in periods.legend_html, never inserted raw.
    st.html(periods.legend_html(labels, t("period_unchanged")))

uses = periods.long_uses(land.parcel_id, codes)
end_table = services.indicators(path, version, shown["key"], codes[:, -1])
summary = result.to_summary_dict() if hasattr(result, "to_summary_dict") else {
    "status": str(result.status), "objective": result.objective, "best_bound": result.best_bound,
    "gap": result.gap, "wall_time_s": result.wall_time_s,
    "area_by_period_class_ha": list(result.area_by_period_class_ha)}
name = getattr(result, "name", "")
with st.expander(t("period_save_export"), expanded=True):
    with st.form("save_period_plan", border=False):
        save_name = st.text_input(t("save_name"), max_chars=library.MAX_NAME_LENGTH,
                                  placeholder=t("period_save_placeholder"),
                                  key="period_save_name")
        overwrite = st.checkbox(t("save_overwrite"), key="period_save_overwrite")
        clicked = st.form_submit_button(t("period_save"), disabled=ui.read_only(),
                                        key="period_save")
    if clicked and not ui.read_only():
        try:
            saved = library.save_period_plan(path, save_name, planned.to_toml(), preset, summary,
                                             uses, end_table, version, overwrite=overwrite)
        except (library.LibraryError, ValueError) as exc:
            st.error(library_panel.md_text(str(exc)))  # may quote a user-typed name
        else:
            st.session_state["period_last_saved_token"] = saved.token
            name = saved.name
            st.success(t("saved", name=library_panel.md_text(saved.name)))
    token = st.session_state.get("period_last_saved_token") or getattr(result, "token", None)
    if token:
        library_panel.show_share_links(token, "periods")
    stem = library_panel.file_stem(name or "periods")
    years = list(result.years)
    bundle = ExportBundle(store_path=Path(path), name=name or t("page_periods"),
                          assignment=pd.DataFrame({"parcel_id": land.parcel_id,
                                                   "land_use": codes[:, -1]}),
                          indicators=end_table, scenario_toml=planned.to_toml(), preset=preset,
                          summary=summary)
    csv_column, gpkg_column, report_column = st.columns(3)
    for column, label, suffix in ((csv_column, "period_export", ".csv"),
                                  (gpkg_column, "period_export_gpkg", ".gpkg")):
        column.download_button(
            t(label), data=lambda s=suffix: period_export_bytes(path, uses, years, s),
            file_name=f"{stem}_periods{suffix}", mime=MIME[suffix], key=f"period_dl{suffix}",
            on_click="ignore")
    report_column.download_button(
        t("period_export_report"), data=lambda: export_bytes(bundle, ".html", "report", lang),
        file_name=f"{stem}_report.html", mime=MIME[".html"], key="period_dl.html",
        on_click="ignore")
