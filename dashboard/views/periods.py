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
from dashboard.page import PageContext, page_context
from data import library
from data.exports import MIME, ExportBundle, export_bytes
from data.period_exports import period_export_bytes
from data.presets import PRESET_KEYS, load_preset
from solver import Landscape, ScenarioError
from solver.period_explain import relaxed_period_scenario
from solver.periods import PeriodScenario


def page(ctx: PageContext) -> None:
    """Period table → joint solve → areas, maps per period and the save/export box."""
    t = ctx.t
    st.title(t("page_periods"))
    st.caption(t("periods_help"))
    if ctx.large:
        panels.large_store_notice(ctx.path, ctx.version, "large_periods")
        return
    land = ctx.load_land()
    _open_linked_plan(ctx, land)
    preset, scenario = _plan_from_controls(ctx)
    if scenario is None:
        return
    key = _plan_key(ctx, scenario)
    pending = st.session_state.pop("period_relaxed", None)
    if pending is not None:
        scenario = pending
    if st.button(t("solve"), type="primary", disabled=ctx.read_only,
                 key="period_solve") or pending:
        job = services.start_period_solve(land, scenario)
        result = solving.wait_with_progress(job, scenario.base.solver.time_limit_s, t)
        if result is not None:
            st.session_state["period_shown"] = {"key": key, "result": result,
                                                "scenario": scenario}
            st.session_state.pop("period_last_saved_token", None)
    shown = st.session_state.get("period_shown")
    _sync_url(ctx, shown, key)
    if shown is None or not shown["key"].startswith(ctx.version + ":"):
        st.info(t("no_result"))
        return
    if shown["key"] != key:
        st.info(t("levers_changed"))
    if _status(ctx, shown):
        _plan_view(ctx, land, shown, preset)


def _plan_key(ctx: PageContext, plan: PeriodScenario) -> str:
    """Which plan a shown result belongs to (store version + the plan's TOML)."""
    return ctx.version + ":" + hashlib.sha256(plan.to_toml().encode()).hexdigest()[:16]


def _open_linked_plan(ctx: PageContext, land: Landscape) -> None:
    """A period plan's share link (or 情景库 → 打开): its levers and saved result, not re-solved.

    Runs once per link: the token is then dropped from the session's link, so the scenario
    page does not try to open a period plan. A single scenario's token is left for it.
    """
    link = st.session_state["link"]
    if not link.token:
        return
    try:
        saved = library.load_scenario(ctx.path, token=link.token)
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
            "period_table_source": (_plan_key(ctx, plan), preset, periods.plan_table(plan)),
            "period_shown": {"key": _plan_key(ctx, plan), "result": result, "scenario": plan}})
    st.session_state["link"] = dataclasses.replace(link, token=None)


def _plan_from_controls(ctx: PageContext) -> tuple[str, PeriodScenario | None]:
    """Preset, base year, time limit and the period table; the plan they describe (None,
    after showing why, when the table is not a valid plan)."""
    t = ctx.t
    left, right = st.columns([1, 3])
    with left:
        link_preset = st.session_state["link"].preset
        preset = st.selectbox(t("preset"), PRESET_KEYS, index=PRESET_KEYS.index(link_preset),
                              format_func=ctx.preset_names().get, key="period_preset",
                              disabled=ctx.read_only)
        base_year = st.number_input(t("base_year"), 1900, 2200, 2025, key="period_base_year",
                                    disabled=ctx.read_only)
        limit = st.slider(t("solver.time_limit_s"), 5, 300, 60, key="period_time_limit",
                          disabled=ctx.read_only)
    base = load_preset(preset).with_value("solver.time_limit_s", float(limit))
    # An opened plan fills the table; the editor key names its source, so opening another
    # plan or picking another preset starts a fresh table (the preset's default phasing).
    source, source_preset, opened = st.session_state.get("period_table_source", ("", "", None))
    if source_preset != preset:
        source, opened = "", None
    with right:
        table = st.data_editor(
            opened if opened is not None else periods.default_periods(base),
            key=f"period_table:{preset}:{source}", num_rows="dynamic",
            hide_index=True, width="stretch", disabled=ctx.read_only,
            column_config={"name": t("period_name"), "year": t("period_year"),
                           "quota_pct": t("farmland.quota_pct"),
                           "min_new_built_ha": t("growth.min_new_built_ha"),
                           "max_new_built_ha": t("growth.max_new_built_ha"),
                           "max_period_changed_pct": t("periods.max_period_changed_pct")})
    try:
        return preset, periods.period_scenario(base, int(base_year), table)
    except (ScenarioError, ValueError) as exc:
        st.error(library_panel.md_text(str(exc)))  # may quote a user-typed name
        return preset, None


def _sync_url(ctx: PageContext, shown: dict | None, key: str) -> None:
    params = {state.STORE_KEY: ctx.store_name, state.LANG_KEY: ctx.lang}
    if ui.mode():
        params[state.MODE_KEY] = ui.mode()
    saved_token = getattr(shown["result"], "token", None) if shown else None
    if saved_token and shown["key"] == key:
        params[state.SAVED_KEY] = saved_token  # reloading the page reopens the saved plan
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


def _status(ctx: PageContext, shown: dict) -> bool:
    """The status line, or the conflict and its fix; whether there is a plan to show."""
    t, result, planned = ctx.t, shown["result"], shown["scenario"]
    if isinstance(result, periods.SavedPeriodResult):
        st.success(t("period_plan_opened", name=library_panel.md_text(result.name)))
        if result.stale:
            st.warning(t("saved_stale"))
    compact = any(planned.scenario(k).weights.compactness > 0
                  for k in range(planned.n_periods))
    st.caption(results.status_line(result, t, compact))
    if result.assignment is not None:
        return True
    explanation = result.explanation
    if explanation is None:
        st.warning(f"**{t('unknown_title')}** — {t('unknown_help')}")
        return False
    st.error(f"**{t('infeasible_title')}**")
    st.text(explanation.message_zh if ctx.lang == "zh" else explanation.message_en)
    if st.button(t("apply_relaxation"), disabled=ctx.read_only):
        st.session_state["period_relaxed"] = relaxed_period_scenario(planned, explanation)
        st.rerun()
    return False


def _plan_view(ctx: PageContext, land: Landscape, shown: dict, preset: str) -> None:
    t, result, classes = ctx.t, shown["result"], ctx.classes
    class_names = dict(zip(classes["key"], classes["name_zh" if ctx.lang == "zh" else "name_en"],
                           strict=True))
    st.subheader(t("period_areas"))
    st.dataframe(periods.period_areas(result, class_names), width="stretch")
    codes = np.asarray(land.class_codes)[result.assignment]  # (n, T) store codes
    _period_maps(ctx, result, codes)
    _save_and_export(ctx, land, shown, preset, codes)


def _period_maps(ctx: PageContext, result, codes: np.ndarray) -> None:
    """Land use at the end of a chosen period beside the period in which each parcel changes."""
    t, path, version, classes = ctx.t, ctx.path, ctx.version, ctx.classes
    labels = [f"{y} {n}" for y, n in zip(result.years, result.period_names, strict=True)]
    image = panels.image_maps(path, version)  # grids and many parcels: images, not polygons
    frame = None if image else services.map_frame(path, version)
    rows = None if image else frame["row"].to_numpy()
    colors = panels.class_colors(classes)
    map_column, change_column = st.columns(2)
    with map_column:
        period = st.segmented_control(t("period_map"), range(len(labels)),
                                      default=len(labels) - 1, key="period_pick",
                                      format_func=lambda i: library_panel.md_text(labels[i]))
        period = len(labels) - 1 if period is None else period
        if image:
            deck = panels.grid_landuse_deck(path, version, codes[:, period], classes,
                                            "period_use", width_px=520, height=520)
        else:
            layer = maps.landuse_layer(frame, maps.color_column(codes[rows, period], colors),
                                       "period_use", tooltips=False)
            deck = maps.build_deck([layer], maps.view_state(frame["lon"], frame["lat"], 520),
                                   None)
        st.pydeck_chart(deck, key="period_map")
        st.markdown(results.legend_html(classes, ctx.lang), unsafe_allow_html=True)
    with change_column:
        st.markdown(f"**{t('period_of_change')}**")
        if image:
            values, palette = grid_maps.category_values(result.period_of_change,
                                                        list(periods.PERIOD_COLORS),
                                                        periods.UNCHANGED)
            deck = panels.grid_deck(path, version, values, palette, "period_change",
                                    width_px=520, height=520)
        else:
            layer = maps.landuse_layer(frame,
                                       periods.change_colors(result.period_of_change[rows]),
                                       "period_change", tooltips=False)
            deck = maps.build_deck([layer], maps.view_state(frame["lon"], frame["lat"], 520),
                                   None)
        st.pydeck_chart(deck, key="period_change_map")
        # Period names are user text: escaped in periods.legend_html, never inserted raw.
        st.html(periods.legend_html(labels, t("period_unchanged")))


def _summary(result) -> dict:
    if hasattr(result, "to_summary_dict"):
        return result.to_summary_dict()
    return {"status": str(result.status), "objective": result.objective,
            "best_bound": result.best_bound, "gap": result.gap,
            "wall_time_s": result.wall_time_s,
            "area_by_period_class_ha": list(result.area_by_period_class_ha)}


def _save_and_export(ctx: PageContext, land: Landscape, shown: dict, preset: str,
                     codes: np.ndarray) -> None:
    """Save the plan in the library (share links follow), and its downloads."""
    t, path, result, planned = ctx.t, ctx.path, shown["result"], shown["scenario"]
    uses = periods.long_uses(land.parcel_id, codes)
    end_table = services.indicators(path, ctx.version, shown["key"], codes[:, -1])
    summary = _summary(result)
    name = getattr(result, "name", "")
    with st.expander(t("period_save_export"), expanded=True):
        with st.form("save_period_plan", border=False):
            save_name = st.text_input(t("save_name"), max_chars=library.MAX_NAME_LENGTH,
                                      placeholder=t("period_save_placeholder"),
                                      key="period_save_name")
            overwrite = st.checkbox(t("save_overwrite"), key="period_save_overwrite")
            clicked = st.form_submit_button(t("period_save"), disabled=ctx.read_only,
                                            key="period_save")
        if clicked and not ctx.read_only:
            try:
                saved = library.save_period_plan(path, save_name, planned.to_toml(), preset,
                                                 summary, uses, end_table, ctx.version,
                                                 overwrite=overwrite)
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
                              indicators=end_table, scenario_toml=planned.to_toml(),
                              preset=preset, summary=summary)
        csv_column, gpkg_column, report_column = st.columns(3)
        for column, label, suffix in ((csv_column, "period_export", ".csv"),
                                      (gpkg_column, "period_export_gpkg", ".gpkg")):
            column.download_button(
                t(label), data=lambda s=suffix: period_export_bytes(path, uses, years, s),
                file_name=f"{stem}_periods{suffix}", mime=MIME[suffix],
                key=f"period_dl{suffix}", on_click="ignore")
        report_column.download_button(
            t("period_export_report"),
            data=lambda: export_bytes(bundle, ".html", "report", ctx.lang),
            file_name=f"{stem}_report.html", mime=MIME[".html"], key="period_dl.html",
            on_click="ignore")


page(page_context())
