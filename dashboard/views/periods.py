"""Planning periods page (开发时序): phase the targets over 2–3 periods, solve them jointly,
see the land use at the end of each period and when each parcel changes."""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from dashboard import services, state, ui
from dashboard.components import grid_maps, maps, panels, periods, results, solving
from data.presets import PRESET_KEYS, list_presets, load_preset
from solver import ScenarioError
from solver.period_explain import relaxed_period_scenario

t, lang = ui.t, ui.lang()
path = ui.store_path()
version = services.store_version(path)
classes = services.store_overview(path, version)["classes"]
names = {p["key"]: p["name_zh" if lang == "zh" else "name_en"] for p in list_presets()}

st.title(t("page_periods"))
st.caption(t("periods_help"))
if services.is_large(path, version):
    panels.large_store_notice(path, version, "large_periods")
    st.stop()
with st.spinner(t("loading_land", n=f"{services.n_parcels(path, version):,}")):
    land = services.landscape(path, version)
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
with right:
    table = st.data_editor(
        periods.default_periods(base), key=f"period_table:{preset}", num_rows="dynamic",
        hide_index=True, width="stretch", disabled=ui.read_only(),
        column_config={"name": t("period_name"), "year": t("period_year"),
                       "quota_pct": t("farmland.quota_pct"),
                       "min_new_built_ha": t("growth.min_new_built_ha"),
                       "max_new_built_ha": t("growth.max_new_built_ha"),
                       "max_period_changed_pct": t("period_cap")})
try:
    scenario = periods.period_scenario(base, int(base_year), table)
except (ScenarioError, ValueError) as exc:
    st.error(str(exc))
    st.stop()

key = version + ":" + hashlib.sha256(scenario.to_toml().encode()).hexdigest()[:16]
pending = st.session_state.pop("period_relaxed", None)
if pending is not None:
    scenario = pending
if st.button(t("solve"), type="primary", disabled=ui.read_only(), key="period_solve") or pending:
    job = services.start_period_solve(land, scenario)
    result = solving.wait_with_progress(job, scenario.base.solver.time_limit_s, t)
    if result is not None:
        st.session_state["period_shown"] = {"key": key, "result": result, "scenario": scenario}

shown = st.session_state.get("period_shown")
if shown is None or not shown["key"].startswith(version + ":"):
    st.info(t("no_result"))
    st.stop()
if shown["key"] != key:
    st.info(t("levers_changed"))
result = shown["result"]
planned = shown["scenario"]
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
                                  format_func=lambda i: labels[i], key="period_pick")
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
    swatches = " ".join(
        f"<span style='color:rgb({c[0]},{c[1]},{c[2]})'>■</span> {label}"
        for c, label in zip(periods.PERIOD_COLORS, labels, strict=False))
    st.markdown(swatches, unsafe_allow_html=True)
export = periods.allocation_table(land.parcel_id, codes, result.period_of_change, result.years,
                                  np.asarray(land.class_codes)[land.current], int(base_year))
st.download_button(t("period_export"), export.to_csv(index=False).encode("utf-8-sig"),
                   file_name="periods_allocation.csv", mime="text/csv", on_click="ignore")
st.query_params.update({state.LANG_KEY: lang})
