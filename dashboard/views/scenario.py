"""Scenario page: levers → Solve → KPI tiles, maps and indicator charts side by side."""

from __future__ import annotations

import numpy as np
import streamlit as st

from dashboard import services, state, ui
from dashboard.components import demand, library_panel, panels, regions, results, solving, widgets
from data.library import LibraryError
from solver import Scenario, ScenarioError
from solver.result import is_settled

t, lang = ui.t, ui.lang()
path = ui.store_path()
version = services.store_version(path)
overview = services.store_overview(path, version)
classes = overview["classes"]
region_names = tuple(overview["regions"]["name_zh"])  # the solver's region order (by id)
large = services.is_large(path, version)  # millions of cells: solved only when asked
vocab = demand.Vocabulary.of_store(classes, region_names, lang)


def load_land():
    """The solver's input, read on first need (millions of cells take tens of seconds)."""
    with st.spinner(t("loading_land", n=f"{services.n_parcels(path, version):,}")):
        return services.landscape(path, version)


# ---- levers: first run of a session takes them from the link ---------------------------------
if "levers_ready" not in st.session_state:
    link = st.session_state["link"]
    widgets.set_widgets(link.scenario, link.preset)
    st.session_state["levers_ready"] = True
    for kind, values in link.warnings + st.session_state.pop("pending_warnings", []):
        st.warning(t(kind, **values))
    if link.token:  # a saved scenario's share link: show it as saved, without re-solving
        try:
            saved, saved_result = library_panel.open_saved(path, load_land(), link.token)
        except (LibraryError, KeyError) as exc:
            st.error(library_panel.md_text(str(exc)))  # may quote a saved name
        else:
            saved_scenario = Scenario.from_toml(saved.scenario_toml)
            widgets.set_widgets(saved_scenario, saved.preset or state.DEFAULT_PRESET)
            st.session_state["shown"] = {"key": solving.result_key(version, saved_scenario),
                                         "result": saved_result, "cached": True,
                                         "compact": saved_scenario.weights.compactness > 0}
if "pending_scenario" in st.session_state:  # "apply the suggested relaxation" was pressed
    widgets.set_widgets(*st.session_state.pop("pending_scenario"))
    st.session_state["solve_now"] = True

if not ui.presenting():
    with st.sidebar:
        st.header(t("levers"))
        if ui.read_only():
            st.info(t("read_only"))
        solve_clicked = st.button(t("solve"), type="primary", width="stretch",
                                  disabled=ui.read_only(), key="solve")
        widgets.lever_panel(t, lang, disabled=ui.read_only())
        widgets.demand_panel(t, vocab, version, lang, disabled=ui.read_only())
        st.toggle(t("presentation"), key="presentation_toggle",
                  on_change=lambda: st.session_state.update(presenting=True))
        st.caption(t("share_help"))
else:
    solve_clicked = False
    st.markdown("<style>[data-testid='stSidebar']{display:none} "
                "[data-testid='stMetricValue']{font-size:clamp(1.8rem,3vw,3.6rem)} "
                "[data-testid='stMetricLabel'] p{font-size:1.1rem}</style>", unsafe_allow_html=True)
    if st.button("⤺ " + t("levers")):
        st.session_state["presenting"] = False
        st.session_state["presentation_toggle"] = False
        st.rerun()

meta_name = overview["meta"].get("name_zh" if lang == "zh" else "name_en", "")
st.title(f"{t('app_title')} · {meta_name}")
scenario, preset, errors = widgets.scenario_from_widgets()
for message in errors:
    st.error(message)
scenario, demand_problems = widgets.with_edited_demand(scenario, vocab)
for problem in demand_problems:
    st.error(widgets.demand_message(t, problem))
scenario, dropped = widgets.drop_unknown_regions(scenario, region_names)
for key, name in dropped:
    st.warning(t("unknown_region", key=key, name=name, known="、".join(region_names)))
if not ui.presenting():
    with st.expander(t("regional_levers")):
        st.caption(t("regional_levers_help"))
        edited = st.data_editor(
            regions.lever_table(scenario, region_names), key="region_editor",
            hide_index=True, disabled=True if ui.read_only() else ["region"], width="stretch",
            column_config={"region": t("region"), "quota_pct": t("region_quota_pct"),
                           "min_new_built_ha": t("region_min_new_built_ha"),
                           "max_new_built_ha": t("region_max_new_built_ha")})
    try:
        scenario = regions.apply_lever_table(scenario, edited)
    except ScenarioError as exc:
        st.error(str(exc))
params = {state.STORE_KEY: st.session_state["store_name"], state.LANG_KEY: lang,
          **state.scenario_to_params(scenario, preset)}
if ui.mode():
    params[state.MODE_KEY] = ui.mode()
if too_long := state.too_long(params):
    st.warning(t("link_too_long", keys=", ".join(too_long)))
result_key = solving.result_key(version, scenario)
shown = st.session_state.get("shown")
if shown is not None and not shown["key"].startswith(version + ":"):
    shown = st.session_state["shown"] = None  # another store was picked: its result does not apply
saved_token = getattr(shown["result"], "token", None) if shown else None
if saved_token and shown["key"] == result_key:
    params[state.SAVED_KEY] = saved_token  # reloading the link reopens the saved result
if st.query_params.to_dict() != params:
    st.query_params.from_dict(params)


def run_solve() -> None:
    """Solve (or take the cached result) and keep it as the shown result."""
    previous = shown["result"].assignment if shown and shown["result"].has_solution else None
    result, cached = solving.solve_with_progress(load_land(), scenario, result_key, previous, t)
    if result is not None:
        st.session_state["shown"] = {"key": result_key, "result": result, "cached": cached,
                                     "compact": scenario.weights.compactness > 0}


first_view = shown is None
asked = solve_clicked or st.session_state.pop("solve_now", False)
if asked or (first_view and not large):
    run_solve()
    shown = st.session_state.get("shown")

if shown is None and large:
    grid_map = ("large_map",) if services.is_grid(path, version) else ()
    panels.large_store_notice(path, version, "large_scenario", "large_hint", *grid_map)
    panels.current_map(path, version, classes)
    st.stop()
if shown is None:
    st.info(t("no_result"))
    st.stop()
if shown["key"] != result_key:
    st.info(t("levers_changed"))

result = shown["result"]
compact = shown.get("compact", scenario.weights.compactness > 0)
status_text = results.status_line(result, t, compact) + (
    f" {t('cached')}" if shown["cached"] else "")
if isinstance(result, library_panel.SavedResult):
    st.success(t("saved_opened", name=library_panel.md_text(result.name)))  # user text
    if result.stale:
        st.warning(t("saved_stale"))
if not result.has_solution:
    st.error(status_text)
    fix = panels.infeasibility_panel(result, scenario, ui.read_only())
    if fix is not None:  # solved on the next run, with the fixed levers in the widgets
        st.session_state["pending_scenario"] = (fix, preset)
        st.rerun()
    panels.current_map(path, version, classes)  # grid stores: the current land use for context
    st.stop()
st.caption(status_text)
if (shown["key"] == result_key and not isinstance(result, library_panel.SavedResult)
        and not is_settled(result, scenario.solver.target_gap_pct)):
    st.info(t("interim_result", limit=scenario.solver.time_limit_s,
              target=scenario.solver.target_gap_pct))

land = load_land()
codes_after = np.asarray(land.class_codes)[result.assignment]
codes_before = np.asarray(land.class_codes)[land.current]
with st.spinner(t("computing_indicators", n=f"{len(codes_after):,}")):
    table = services.indicators(path, version, shown["key"], codes_after)

tiles = results.kpi_tiles(table, lang)
# One row of tiles in both modes: two rows pushed the maps off a 1280 × 720 projector screen
# (presentation mode makes the numbers larger instead).
columns = st.columns(len(tiles) + 1)
for column, kpi in zip(columns, tiles, strict=False):
    column.metric(f"{t(kpi.label_key)}\u200b（{kpi.unit}）" if lang == "zh" else
                  f"{t(kpi.label_key)} ({kpi.unit})", kpi.value, kpi.delta,
                  delta_color=kpi.delta_color)
columns[len(tiles)].metric(t("gap"), results.gap_tile(str(result.status), result.gap, t),
                           f"{result.wall_time_s:.1f} s", delta_color="off", delta_arrow="off",
                           help=results.quality_sentence(str(result.status), result.gap, compact,
                                                         t))

panels.result_maps_and_charts(path, version, classes, land, codes_before, codes_after, table)

st.subheader(t("chart_regions"))
panels.region_section(path, version, table)
# Stays open after a save, so the confirmation and the share links are in view.
with st.expander(t("save_export"), expanded="last_saved_token" in st.session_state):
    library_panel.save_form(path, version, land, scenario, preset, result, codes_after, table)
    library_panel.export_buttons(path, getattr(result, "name", scenario.name), scenario, preset,
                                 result, land, codes_after, table)
