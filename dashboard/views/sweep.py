"""Trade-off page: sweep one lever of a preset, solve each step, plot indicators and a frontier."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import streamlit as st

from dashboard import services
from dashboard.components import charts, panels, results, solving
from dashboard.components import sweep as sw
from dashboard.page import PageContext, page_context
from data import sweep as sweeps
from data.indicators import display_unit, display_value
from data.presets import PRESET_KEYS, load_preset
from solver import Landscape
from wording import join_list, join_sentences

RESULT = "sweep_result"  # the last sweep: kept so a rerun never re-solves


@dataclass(frozen=True)
class Words:
    """Indicator names and shown units (e.g. 亿元/年) in the page's language."""

    labels: dict[str, str]
    units: dict[str, str]

    def axis(self, key: str) -> str:
        return f"{self.labels[key]} ({self.units.get(key, '')})"


@dataclass(frozen=True)
class Settings:
    """What the page's controls ask for."""

    preset: str
    base: object  # the preset's Scenario with the plan's eased levers applied
    lever: str
    lo: float
    hi: float
    n_steps: int
    time_limit: float
    plotted: list[str]
    x_key: str
    y_key: str

    def key(self, version: str) -> tuple:
        return (version, self.preset, self.lever, self.lo, self.hi, self.n_steps, self.time_limit)


def page(ctx: PageContext) -> None:
    """Controls, the run button, then curves, frontier and the steps table of the last sweep."""
    t = ctx.t
    st.title(t("sweep_title"))
    if ctx.large:
        panels.large_store_notice(ctx.path, ctx.version, "large_sweep")
        return
    land = ctx.load_land()
    words = _words(ctx, land)
    st.caption(t("sweep_help"))
    settings = _settings(ctx, words)
    if st.button(t("sweep_run"), type="primary", disabled=ctx.read_only):
        if settings.hi < settings.lo:
            st.error(t("sweep_bad_range"))
        else:
            values = sweeps.step_values(settings.lo, settings.hi, settings.n_steps)
            st.session_state[RESULT] = {"settings": settings.key(ctx.version),
                                        "preset": settings.preset, "lever": settings.lever,
                                        "points": _solve_steps(ctx, land, settings, values)}
    shown = st.session_state.get(RESULT)
    if shown is not None and shown["settings"][0] != ctx.version:
        shown = st.session_state[RESULT] = None  # another store: its sweep does not apply
    if shown is None:
        st.info(t("sweep_none"))
        return
    if shown["settings"] != settings.key(ctx.version):
        st.caption(t("sweep_outdated"))
    _results(ctx, shown, settings, words)


def _words(ctx: PageContext, land: Landscape) -> Words:
    codes = np.asarray(land.class_codes)[land.current]  # hashed by digest in services
    baseline = results.totals(services.indicators(ctx.path, ctx.version, "baseline", codes))
    labels = baseline["label_zh" if ctx.lang == "zh" else "label_en"].to_dict()
    units = {k: display_unit(k, u, ctx.lang) for k, u in baseline["unit"].items()}
    return Words(labels, units)


def _number(value: float) -> str:
    return f"{value:,.4g}"


def _default_plan(ctx: PageContext, preset: str) -> sweeps.SweepPlan:
    """The lever and range that bind on ``preset`` (quick probes, once per store version)."""
    with st.spinner(ctx.t("sweep_choosing")):
        return services.sweep_plan(ctx.path, ctx.version, preset)


def _settings(ctx: PageContext, words: Words) -> Settings:
    """The controls: preset, lever (the binding one by default), range, steps, time, axes."""
    t = ctx.t
    names = ctx.preset_names()
    link_preset = st.session_state.get("lv:preset") or st.session_state["link"].preset
    top = st.columns([1, 1.4, 1, 1, 0.8, 1])
    preset = top[0].selectbox(
        t("preset"), PRESET_KEYS, format_func=names.get, key="sweep_preset",
        index=PRESET_KEYS.index(link_preset) if link_preset in PRESET_KEYS else 0)
    plan = _default_plan(ctx, preset)
    base = plan.base(load_preset(preset))  # eased levers applied: the sweep has feasible steps
    specs = {spec.key: spec for spec in sweeps.numeric_levers()}
    if st.session_state.get("sweep_lever_preset") != preset:  # a new preset: its binding lever
        st.session_state["sweep_lever"] = plan.key
        st.session_state["sweep_lever_preset"] = preset
    lever = top[1].selectbox(t("sweep_lever"), list(specs), key="sweep_lever",
                             format_func=lambda k: f"{t(k)} · {sweeps.lever_value(base, k):g}")
    spec = specs[lever]
    lo_default, hi_default = ((plan.lo, plan.hi) if lever == plan.key
                              else sweeps.default_range(base, spec))
    bounds = {"min_value": spec.lo, "max_value": spec.hi}
    lo = top[2].number_input(t("sweep_from"), value=lo_default,
                             key=f"sweep_lo:{preset}:{lever}", **bounds)
    hi = top[3].number_input(t("sweep_to"), value=hi_default,
                             key=f"sweep_hi:{preset}:{lever}", **bounds)
    n_steps = top[4].number_input(t("sweep_steps"), min_value=2, max_value=12, value=5,
                                  key="sweep_n")
    time_limit = top[5].number_input(t("sweep_time"), min_value=1.0, max_value=120.0,
                                     value=float(base.solver.time_limit_s), key="sweep_time")
    st.caption(_plan_notes(ctx, plan, lever))
    keys = [k for k in sw.CURVE_INDICATORS if k in words.labels]
    x_default, y_default = sw.frontier_axes(lever, keys)
    picks = st.columns([3, 1, 1])
    plotted = picks[0].multiselect(t("sweep_indicators"), keys,
                                   default=sw.plotted_default(x_default, y_default, keys),
                                   format_func=words.labels.get, key=f"sweep_plotted:{lever}")
    x_key = picks[1].selectbox(t("sweep_x"), keys, index=keys.index(x_default),
                               format_func=words.labels.get, key=f"sweep_x:{lever}")
    y_key = picks[2].selectbox(t("sweep_y"), keys, index=keys.index(y_default),
                               format_func=words.labels.get, key=f"sweep_y:{lever}")
    return Settings(preset, base, lever, float(lo), float(hi), int(n_steps), float(time_limit),
                    plotted, x_key, y_key)


def _plan_notes(ctx: PageContext, plan: sweeps.SweepPlan, lever: str) -> str:
    """Why this lever and range were proposed (or why nothing binds)."""
    t, notes = ctx.t, []
    if plan.eased:
        notes.append(t("sweep_plan_eased", levers=join_list(
            (t("sweep_eased_item", lever=t(k), value=_number(v)) for k, v in plan.eased.items()),
            ctx.lang)))
    if plan.timed_out:
        notes.append(t("sweep_plan_timeout", s=f"{sweeps.PLAN_BUDGET_S:g}"))
    elif not plan.binds:
        notes.append(t("sweep_plan_none"))
    elif lever == plan.key:
        edge = t("sweep_plan_edge", edge=_number(plan.edge)) if plan.edge is not None else ""
        notes.append(t("sweep_plan_binds", lever=t(plan.key), lo=_number(plan.lo),
                       hi=_number(plan.hi), a=f"{plan.objective_lo:.2f}",
                       b=f"{plan.objective_hi:.2f}", edge=edge))
    return join_sentences(notes, ctx.lang)


def _solve_steps(ctx: PageContext, land: Landscape, settings: Settings,
                 values: list[float]) -> list[sweeps.SweepPoint]:
    """Run the sweep with one progress bar across the steps (settled steps come from the
    cache; time-limited ones are solved again)."""
    t, limit = ctx.t, settings.time_limit
    bar, step = st.progress(0.0), {"i": 0}
    start = settings.base.with_value("solver.time_limit_s", limit)

    def solve(scenario, hint):
        key = solving.result_key(ctx.version, scenario)
        cached = services.cached_result(key)
        if cached is not None:
            return cached
        job = services.start_solve(land, scenario, hint=hint)
        while not job.done.wait(0.2):
            elapsed = time.perf_counter() - job.started
            bar.progress((step["i"] + min(elapsed / limit, 0.99)) / len(values), text=t(
                "sweep_progress", i=step["i"] + 1, n=len(values), lever=t(settings.lever),
                value=f"{values[step['i']]:g}", elapsed=elapsed))
        if job.error is not None:
            raise job.error
        return services.keep_result(key, job.result, scenario)

    def evaluate(scenario, result) -> dict[str, float]:
        codes = np.asarray(land.class_codes)[result.assignment]
        table = services.indicators(ctx.path, ctx.version,
                                    solving.result_key(ctx.version, scenario), codes)
        values = results.totals(table)["value"].astype(float)
        return {k: display_value(str(k), v) for k, v in values.items()}  # in the shown units

    def advance(i: int, n: int, point: sweeps.SweepPoint) -> None:
        step["i"] = i + 1
        bar.progress((i + 1) / n)

    points = sweeps.run_sweep(start, settings.lever, values, solve, evaluate, advance)
    bar.empty()
    return points


def _results(ctx: PageContext, shown: dict, settings: Settings, words: Words) -> None:
    """Curves, frontier and steps of the last sweep, and opening one step as a scenario."""
    t = ctx.t
    points, lever_title = shown["points"], t(shown["lever"])
    bad = sweeps.infeasible_values(points)
    if bad:
        st.warning(t("sweep_infeasible", values=", ".join(f"{v:g}" for v in bad)))
    if len(bad) == len(points):
        st.error(t("sweep_all_infeasible"))
    solved_values = [p.value for p in points if p.feasible]
    if sweeps.is_flat(points):  # say why, rather than leave flat lines to be puzzled over
        st.info(t("sweep_flat", lever=lever_title, lo=_number(min(solved_values)),
                  hi=_number(max(solved_values))))
    if len(bad) < len(points):
        _curves(ctx, points, bad, lever_title, settings, words)
    _steps(ctx, points, lever_title, shown["preset"])


def _curves(ctx: PageContext, points, bad, lever_title: str, settings: Settings,
            words: Words) -> None:
    t = ctx.t
    st.subheader(t("sweep_curves"))
    curves = sw.curve_frame(points, settings.plotted, words.labels)
    flat = set(sw.flat_indicators(points, settings.plotted))
    columns = st.columns(2)
    for i, key in enumerate(settings.plotted):
        chart = sw.curve_chart(curves[curves["indicator"] == key], bad, lever_title,
                               words.axis(key))
        columns[i % 2].altair_chart(charts.configure(chart), width="stretch")
        if key in flat:
            columns[i % 2].caption(t("sweep_flat_indicator", lever=lever_title))
    st.subheader(t("sweep_frontier"))
    frontier = sw.frontier_frame(points, settings.x_key, settings.y_key)
    event = st.altair_chart(charts.configure(sw.frontier_chart(
        frontier, words.axis(settings.x_key), words.axis(settings.y_key), lever_title)),
        width="stretch", on_select="rerun", selection_mode=sw.FRONTIER_SELECTION,
        key="sweep_frontier_chart")
    clicked = sw.clicked_step(dict(event.selection), points)
    if clicked is not None and clicked != st.session_state.get("sweep_clicked"):
        st.session_state["sweep_open"] = clicked  # preselect the clicked step below
    st.session_state["sweep_clicked"] = clicked


def _steps(ctx: PageContext, points, lever_title: str, preset: str) -> None:
    """Every step's status, objective, gap and time; the worst step's quality sentence."""
    t = ctx.t
    st.subheader(t("sweep_steps_table"))
    steps = sw.steps_table(points, ctx.lang, lambda status: t("status_" + status),
                           lambda p: results.gap_tile(p.status, p.gap, t))
    st.table(steps.rename(columns={"value": lever_title, "status": t("status"),
                                   "objective": t("objective_col"), "gap_pct": t("gap_col"),
                                   "wall_time_s": t("wall_time_col"), "note": t("note")}
                          ).set_index(lever_title))
    solved = [p for p in points if p.status in ("OPTIMAL", "FEASIBLE")]
    if solved:  # the worst step says what holds for every step
        worst = max(solved, key=lambda p: (p.status == "FEASIBLE", p.gap or 0.0))
        compact = any(p.scenario is not None and p.scenario.weights.compactness > 0
                      for p in solved)
        st.caption(results.quality_sentence(worst.status, worst.gap, compact, t))
    openable = [i for i, p in enumerate(points) if p.scenario is not None]
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    chosen = left.selectbox(t("sweep_open"), openable, key="sweep_open",
                            format_func=lambda i: f"{lever_title} = {points[i].value:g} · "
                                                  f"{t('status_' + points[i].status)}")
    if right.button(t("sweep_open_button"), disabled=chosen is None or ctx.read_only):
        st.session_state["pending_scenario"] = (points[chosen].scenario, preset)
        st.switch_page("views/scenario.py")


page(page_context())
