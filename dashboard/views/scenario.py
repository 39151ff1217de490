"""Scenario page: levers → Solve → KPI tiles, maps and indicator charts side by side."""

from __future__ import annotations

import numpy as np
import streamlit as st

from dashboard import services, state, ui
from dashboard.components import (
    demand,
    library_panel,
    panels,
    province,
    regions,
    results,
    solving,
    widgets,
)
from dashboard.page import PageContext, page_context
from data.library import LibraryError
from solver import Scenario, ScenarioError
from solver.result import is_settled

#: A new result makes these obsolete (the share links and name of the previous save).
AFTER_SAVE_KEYS = ("last_saved_token", "last_saved_name")
PRESENTATION_CSS = ("<style>[data-testid='stSidebar']{display:none} "
                    "[data-testid='stMetricValue']{font-size:clamp(1.8rem,3vw,3.6rem)} "
                    "[data-testid='stMetricLabel'] p{font-size:1.1rem}</style>")


def page(ctx: PageContext) -> None:
    """Levers in the sidebar; the shown result (solved, cached or saved) in the main column."""
    vocab = demand.Vocabulary.of_store(ctx.classes, ctx.region_names, ctx.lang)
    _levers_from_link(ctx)
    solve_clicked, by_blocks = ((_presentation_header(ctx), None) if ctx.presenting
                                else _lever_sidebar(ctx, vocab))
    st.title(f"{ctx.t('app_title')} · {ctx.store_title}")
    scenario, preset = _scenario_from_levers(ctx, vocab)
    result_key = solving.result_key(ctx.version, scenario)
    shown = _shown_result(ctx)
    _sync_url(ctx, scenario, preset, shown, result_key)
    asked = solve_clicked or st.session_state.pop("solve_now", False)
    if by_blocks is not None:
        shown = _solve_by_blocks(ctx, scenario, result_key, shown, by_blocks)
    elif asked or (shown is None and not ctx.large):
        shown = _solve(ctx, scenario, result_key, shown)
    if shown is None:
        _nothing_shown(ctx)
        return
    if shown["key"] != result_key:
        st.info(ctx.t("levers_changed"))
    if _status(ctx, shown, scenario, preset, result_key):
        _result_view(ctx, shown, scenario, preset)


def _levers_from_link(ctx: PageContext) -> None:
    """First run of a session: levers from the link; a saved scenario's token opens it as
    saved, without re-solving. A pressed fix of an impossible scenario is applied here."""
    if "levers_ready" not in st.session_state:
        link = st.session_state["link"]
        widgets.set_widgets(link.scenario, link.preset)
        st.session_state["levers_ready"] = True
        for kind, values in link.warnings + st.session_state.pop("pending_warnings", []):
            st.warning(ctx.t(kind, **values))
        if link.token:
            _open_saved(ctx, link.token)
    if "pending_scenario" in st.session_state:  # "apply the suggested relaxation" was pressed
        widgets.set_widgets(*st.session_state.pop("pending_scenario"))
        st.session_state["solve_now"] = True


def _open_saved(ctx: PageContext, token: str) -> None:
    try:
        saved, saved_result = library_panel.open_saved(ctx.path, ctx.load_land(), token)
    except (LibraryError, KeyError) as exc:
        st.error(library_panel.md_text(str(exc)))  # may quote a saved name
        return
    saved_scenario = Scenario.from_toml(saved.scenario_toml)
    widgets.set_widgets(saved_scenario, saved.preset or state.DEFAULT_PRESET)
    st.session_state["shown"] = {"key": solving.result_key(ctx.version, saved_scenario),
                                 "result": saved_result, "cached": True,
                                 "compact": saved_scenario.weights.compactness > 0}


def _lever_sidebar(ctx: PageContext, vocab: demand.Vocabulary) -> tuple[bool, int | None]:
    """The lever panel and the demand table in the sidebar; whether 求解 was pressed, and the
    most cells per block when 分区并行求解 was (None when it was not)."""
    t = ctx.t
    with st.sidebar:
        st.header(t("levers"))
        if ctx.read_only:
            st.info(t("read_only"))
        clicked = st.button(t("solve"), type="primary", width="stretch",
                            disabled=ctx.read_only, key="solve")
        by_blocks, block_cells = province.solve_control(t, ctx.read_only, expanded=ctx.large)
        widgets.lever_panel(t, ctx.lang, disabled=ctx.read_only, learned=ctx.learned)
        widgets.demand_panel(t, vocab, ctx.version, ctx.lang, disabled=ctx.read_only)
        st.toggle(t("presentation"), key="presentation_toggle",
                  on_change=lambda: st.session_state.update(presenting=True))
        st.caption(t("share_help"))
    return clicked, block_cells if by_blocks else None


def _presentation_header(ctx: PageContext) -> bool:
    """Presentation mode: no sidebar, larger numbers, one button back to the levers."""
    st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)
    if st.button("⤺ " + ctx.t("levers")):
        st.session_state["presenting"] = False
        st.session_state["presentation_toggle"] = False
        st.rerun()
    return False


def _scenario_from_levers(ctx: PageContext, vocab: demand.Vocabulary) -> tuple[Scenario, str]:
    """The scenario the widgets describe, every problem with them shown on the page."""
    t = ctx.t
    scenario, preset, errors = widgets.scenario_from_widgets()
    for message in errors:
        st.error(message)
    scenario, demand_problems = widgets.with_edited_demand(scenario, vocab)
    for problem in demand_problems:
        st.error(widgets.demand_message(t, problem))
    scenario, dropped = widgets.drop_unknown_regions(scenario, ctx.region_names)
    for key, name in dropped:
        st.warning(t("unknown_region", key=key, name=name, known="、".join(ctx.region_names)))
    scenario, to_rules = widgets.without_unavailable_learned(scenario, ctx.learned is not None)
    if to_rules:
        st.warning(t("learned_unavailable"))
    if ctx.presenting:
        return scenario, preset
    with st.expander(t("regional_levers")):
        st.caption(t("regional_levers_help"))
        shown = regions.region_display_names(ctx.overview["regions"], ctx.lang)
        edited = st.data_editor(
            regions.lever_table(scenario, ctx.region_names, shown), key="region_editor",
            hide_index=True, disabled=True if ctx.read_only else ["key", "region"],
            width="stretch",
            column_config={"key": None, "region": t("region"), **regions.lever_column_labels(t)})
    try:
        scenario = regions.apply_lever_table(scenario, edited)
    except ScenarioError as exc:
        st.error(str(exc))
    return scenario, preset


def _shown_result(ctx: PageContext) -> dict | None:
    """The result on screen, unless it belongs to another store."""
    shown = st.session_state.get("shown")
    if shown is not None and not shown["key"].startswith(ctx.version + ":"):
        shown = st.session_state["shown"] = None
    return shown


def _sync_url(ctx: PageContext, scenario: Scenario, preset: str, shown: dict | None,
              result_key: str) -> None:
    """The address bar reproduces this view (a saved result's token while it is shown)."""
    params = {state.STORE_KEY: ctx.store_name, state.LANG_KEY: ctx.lang,
              **state.scenario_to_params(scenario, preset)}
    if ui.mode():
        params[state.MODE_KEY] = ui.mode()
    if too_long := state.too_long(params):
        st.warning(ctx.t("link_too_long", keys=", ".join(too_long)))
    saved_token = getattr(shown["result"], "token", None) if shown else None
    if saved_token and shown["key"] == result_key:
        params[state.SAVED_KEY] = saved_token  # reloading the link reopens the saved result
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


def _solve(ctx: PageContext, scenario: Scenario, result_key: str,
           shown: dict | None) -> dict | None:
    """Solve (or take the settled cached result) and keep it as the shown result."""
    previous = shown["result"].assignment if shown and shown["result"].has_solution else None
    result, cached = solving.solve_with_progress(ctx.load_land(), scenario, result_key,
                                                 previous, ctx.t)
    if result is None:
        return shown
    return _show(result_key, result, cached, scenario)


def _solve_by_blocks(ctx: PageContext, scenario: Scenario, result_key: str,
                     shown: dict | None, block_cells: int) -> dict | None:
    """Solve by blocks on a Dask cluster (分区并行求解) and keep it as the shown result, with
    its blocks for the table under the status line."""
    result, summary = province.solve_by_blocks(ctx.load_land(), scenario, result_key,
                                               block_cells, ctx.t, ctx.lang)
    if result is None:
        return shown
    return _show(result_key, result, False, scenario, blocks=summary)


def _show(result_key: str, result, cached: bool, scenario: Scenario,
          blocks: dict | None = None) -> dict:
    """Make ``result`` the shown one (the previous save's links no longer apply)."""
    for key in AFTER_SAVE_KEYS:
        st.session_state.pop(key, None)
    st.session_state["shown"] = {"key": result_key, "result": result, "cached": cached,
                                 "compact": scenario.weights.compactness > 0, "blocks": blocks}
    return st.session_state["shown"]


def _nothing_shown(ctx: PageContext) -> None:
    """A large store before its first solve: what a solve costs, and its current map."""
    if ctx.large:
        grid_map = ("large_map",) if ctx.grid else ()
        panels.large_store_notice(ctx.path, ctx.version, "large_scenario", "large_hint",
                                  *grid_map)
        panels.current_map(ctx.path, ctx.version, ctx.classes)
    else:
        st.info(ctx.t("no_result"))


def _status(ctx: PageContext, shown: dict, scenario: Scenario, preset: str,
            result_key: str) -> bool:
    """The status line (and the conflict panel of an impossible scenario); whether there is
    an allocation to show."""
    t, result = ctx.t, shown["result"]
    compact = shown.get("compact", scenario.weights.compactness > 0)
    status_text = results.status_line(result, t, compact) + (
        f" {t('cached')}" if shown["cached"] else "")
    saved = isinstance(result, library_panel.SavedResult)
    if saved:
        st.success(t("saved_opened", name=library_panel.md_text(result.name)))  # user text
        if result.stale:
            st.warning(t("saved_stale"))
    if not result.has_solution:
        st.error(status_text)
        fix = panels.infeasibility_panel(result, scenario, ctx.read_only)
        if fix is not None:  # solved on the next run, with the fixed levers in the widgets
            st.session_state["pending_scenario"] = (fix, preset)
            st.rerun()
        panels.current_map(ctx.path, ctx.version, ctx.classes)  # grid stores: for context
        return False
    st.caption(status_text)
    if shown.get("blocks"):
        province.block_table(shown["blocks"], t)
    if (shown["key"] == result_key and not saved
            and not is_settled(result, scenario.solver.target_gap_pct)):
        st.info(t("interim_result", limit=scenario.solver.time_limit_s,
                  target=scenario.solver.target_gap_pct))
    return True


def _result_view(ctx: PageContext, shown: dict, scenario: Scenario, preset: str) -> None:
    """KPI tiles, maps beside charts, regions, and saving / exporting the result."""
    t, result = ctx.t, shown["result"]
    land = ctx.load_land()
    codes_after = np.asarray(land.class_codes)[result.assignment]
    codes_before = np.asarray(land.class_codes)[land.current]
    with st.spinner(t("computing_indicators", n=f"{len(codes_after):,}")):
        table = services.indicators(ctx.path, ctx.version, shown["key"], codes_after)
    compact = shown.get("compact", scenario.weights.compactness > 0)
    _kpi_row(ctx, table, result, compact)
    panels.result_maps_and_charts(ctx.path, ctx.version, ctx.classes, land, codes_before,
                                  codes_after, table)
    st.subheader(t("region_section_title"))
    panels.region_section(ctx.path, ctx.version, table)
    # Stays open after a save, so the confirmation and the share links are in view.
    with st.expander(t("save_export"), expanded="last_saved_token" in st.session_state):
        saved_name = library_panel.save_form(ctx.path, ctx.version, land, scenario, preset,
                                             result, codes_after, table)
        name = saved_name or getattr(result, "name", scenario.name)  # exports carry the name
        library_panel.export_buttons(ctx.path, name, scenario, preset, result, land,
                                     codes_after, table)


def _kpi_row(ctx: PageContext, table, result, compact: bool) -> None:
    """One row of tiles in both modes: two rows pushed the maps off a 1280 × 720 projector
    screen (presentation mode makes the numbers larger instead)."""
    t = ctx.t
    tiles = results.kpi_tiles(table, ctx.lang)
    columns = st.columns(len(tiles) + 1)
    for column, kpi in zip(columns, tiles, strict=False):
        column.metric(f"{t(kpi.label_key)}\u200b（{kpi.unit}）" if ctx.lang == "zh" else
                      f"{t(kpi.label_key)} ({kpi.unit})", kpi.value, kpi.delta,
                      delta_color=kpi.delta_color)
    status = str(result.status)
    columns[len(tiles)].metric(t("gap"), results.gap_tile(status, result.gap, t),
                               f"{result.wall_time_s:.1f} s", delta_color="off",
                               delta_arrow="off",
                               help=results.quality_sentence(status, result.gap, compact, t))


page(page_context())
