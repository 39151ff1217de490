"""The lever panel: grouped widgets whose values build a :class:`solver.scenario.Scenario`.

Widget keys are ``lv:<dotted scenario key>``; their values live in ``st.session_state`` so a
preset change, a shared link or "apply the suggested relaxation" can set them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from dashboard import state
from dashboard.components import demand
from data.presets import PRESET_KEYS, list_presets, load_preset
from data.store import learned_years
from solver.scenario import RED_LINE_MODES, LeverSpec, Scenario, ScenarioError, lever_specs
from wording import levers as lever_words

PRESET_WIDGET = "lv:preset"
BASE_KEY = "lever_base"  # the scenario the widgets start from: keeps levers without a widget
# The demand editor's rows: the records it starts from, the records after the user's edits
# (what the scenario uses, also when the editor is not drawn), and a generation that a new
# scenario (preset, link, saved, relaxation) bumps so old edits never apply to new rows.
DEMAND_SOURCE = "demand_source"
DEMAND_EDITED = "demand_edited"
DEMAND_GENERATION = "demand_generation"
SUITABILITY_SOURCE = "suitability.source"


#: The lever panel: its groups and, in each, the levers in the order drawn. A lever's widget
#: (kind, range, step) is declared once with its scenario field (``solver.scenario.lever_specs``)
#: and its label once in ``wording.levers``.
LEVER_GROUPS: dict[str, tuple[str, ...]] = {
    "grp_farmland": ("farmland.quota_pct", "farmland.keep_basic_farmland", "farmland.balance"),
    "grp_ecology": ("ecology.red_line_mode", "ecology.min_ecological_pct"),
    "grp_growth": ("growth.min_new_built_ha", "growth.max_new_built_ha",
                   "growth.only_inside_boundary", "growth.expansion_cap"),
    "grp_conversion": ("conversion.allow_reclamation", "conversion.max_changed_pct"),
    # the suitability source is drawn only for a store with learned scores (see lever_panel)
    "grp_weights": (SUITABILITY_SOURCE, *(f"weights.{name}" for name in (
        "suitability", "ecology", "food", "carbon", "compactness", "conversion_cost"))),
    "grp_solver": ("solver.time_limit_s", "solver.seed"),
}


@dataclass(frozen=True)
class Lever:
    """One widget: the scenario key it sets, its kind and (for numbers) the range offered."""

    key: str
    kind: str                  # slider | toggle | number | choice
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    integer: bool = False
    choices: tuple[str, ...] = ()
    help: str | None = None    # catalogue key of the widget's help text


def _lever(spec: LeverSpec) -> Lever:
    """The widget of a lever, as its scenario field declares it."""
    if spec.widget is None:
        raise ValueError(f"'{spec.key}' is in LEVER_GROUPS but its field declares no widget")
    w = spec.widget
    return Lever(spec.key, w.kind, w.lo, w.hi, w.step, spec.integer, spec.choices,
                 lever_words.help_key(spec.key))


def _groups() -> dict[str, tuple[Lever, ...]]:
    specs = {spec.key: spec for spec in lever_specs()}
    return {group: tuple(_lever(specs[key]) for key in keys)
            for group, keys in LEVER_GROUPS.items()}


WIDGETS: dict[str, tuple[Lever, ...]] = _groups()
ALL_LEVERS: tuple[Lever, ...] = tuple(lv for group in WIDGETS.values() for lv in group)


def widget_key(lever_key: str) -> str:
    return f"lv:{lever_key}"


def scenario_value(scenario: Scenario, dotted: str) -> Any:
    return state.flatten(scenario.to_dict()).get(dotted)


def set_widgets(scenario: Scenario, preset: str) -> None:
    """Put a scenario's values into the lever widgets (before they are drawn).

    The scenario itself is kept as the base, so levers that have no widget (per-region
    quotas and growth limits, forbidden transitions) survive from a link or a saved scenario.
    """
    st.session_state[BASE_KEY] = scenario
    st.session_state[PRESET_WIDGET] = preset
    records = demand.table_records(scenario.demand.rows)
    st.session_state[DEMAND_SOURCE] = st.session_state[DEMAND_EDITED] = records
    st.session_state[DEMAND_GENERATION] = st.session_state.get(DEMAND_GENERATION, 0) + 1
    for lever in ALL_LEVERS:
        value = scenario_value(scenario, lever.key)
        if lever.kind == "slider" and value is not None:
            value = float(value)
        st.session_state[widget_key(lever.key)] = value


def _on_preset_change() -> None:
    preset = st.session_state[PRESET_WIDGET]
    set_widgets(load_preset(preset), preset)


def choice_labels(t: Callable[..., str], learned: dict | None) -> dict[str, dict[str, str]]:
    """Option labels of the choice levers; the learned suitability names its training years
    (e.g. 变化学习（2003→2005）) when its description gives them."""
    years = learned_years(learned)
    return {
        "ecology.red_line_mode": {c: t(f"red_line_{c}") for c in RED_LINE_MODES},
        SUITABILITY_SOURCE: {
            "rules": t("suitability_rules"),
            "learned": (t("suitability_learned", start=years[0], end=years[1]) if years
                        else t("suitability_learned_plain"))},
    }


def _draw(lever: Lever, label: str, disabled: bool, labels: dict[str, dict[str, str]],
          t: Callable[..., str]) -> None:
    key = widget_key(lever.key)
    if lever.kind == "toggle":
        st.toggle(label, key=key, disabled=disabled)
    elif lever.kind == "choice":
        names = labels.get(lever.key, {})
        st.selectbox(label, lever.choices, key=key, disabled=disabled,
                     format_func=lambda c: names.get(c, c),
                     help=t(lever.help) if lever.help else None)
    elif lever.kind == "number":
        number = int if lever.integer else float
        st.number_input(label, min_value=number(lever.lo), max_value=number(lever.hi),
                        step=number(lever.step), key=key, disabled=disabled)
    else:
        current = st.session_state.get(key) or lever.lo
        hi = max(lever.hi, float(current))  # a preset or link may go past the usual range
        st.slider(label, min_value=lever.lo, max_value=hi, step=lever.step, key=key,
                  disabled=disabled)


def lever_panel(t: Callable[..., str], lang: str, disabled: bool,
                learned: dict | None = None) -> None:
    """Draw the preset picker and every lever group (in the sidebar).

    ``learned`` is the description of the store's learned suitability (None: the store has
    none, and the suitability source is not offered).
    """
    names = {p["key"]: p["name_zh" if lang == "zh" else "name_en"] for p in list_presets()}
    st.selectbox(t("preset"), PRESET_KEYS, key=PRESET_WIDGET, format_func=names.get,
                 on_change=_on_preset_change, disabled=disabled)
    labels = choice_labels(t, learned)
    for group, levers in WIDGETS.items():
        with st.expander(t(group), expanded=group in ("grp_farmland", "grp_growth")):
            for lever in levers:
                if lever.key == SUITABILITY_SOURCE and learned is None:
                    continue
                _draw(lever, t(lever.key), disabled, labels, t)


def scenario_from_widgets() -> tuple[Scenario, str, list[str]]:
    """The scenario the widgets describe, its preset, and any value the scenario refused."""
    preset = st.session_state.get(PRESET_WIDGET, state.DEFAULT_PRESET)
    scenario, errors = st.session_state.get(BASE_KEY) or load_preset(preset), []
    for lever in ALL_LEVERS:
        value = st.session_state.get(widget_key(lever.key))
        if value == scenario_value(scenario, lever.key) or (value is None and lever.kind == "choice"):
            continue  # a choice never drawn (no learned scores) keeps the scenario's value
        try:
            scenario = scenario.with_value(lever.key, value)
        except ScenarioError as exc:
            errors.append(str(exc))
    return scenario, preset, errors


def demand_editor_key(lang: str, store_version: str) -> str:
    """Widget key of the demand editor.

    A dynamic ``st.data_editor`` loses its edits when its labels (language) or options
    (store) change; a new key then starts a fresh editor from the last edited rows.
    """
    return f"demand_editor:{st.session_state.get(DEMAND_GENERATION, 0)}:{lang}:{store_version}"


def demand_panel(t: Callable[..., str], vocab: demand.Vocabulary, store_version: str,
                 lang: str, disabled: bool) -> None:
    """Draw the demand table (规划指标表) editor; its rows feed :func:`with_edited_demand`."""
    key = demand_editor_key(lang, store_version)
    if key not in st.session_state:  # fresh editor: language, store or page changed
        st.session_state[DEMAND_SOURCE] = st.session_state.get(DEMAND_EDITED, [])
    source = st.session_state.get(DEMAND_SOURCE, [])
    with st.expander(t("grp_demand"), expanded=bool(source)):
        st.caption(t("demand_help"))
        edited = st.data_editor(
            demand.editor_frame(source), key=key, num_rows="dynamic", hide_index=True,
            width="stretch", disabled=disabled,
            column_config=_demand_columns(t, vocab, source))
    st.session_state[DEMAND_EDITED] = demand.frame_records(edited)


def _demand_columns(t: Callable[..., str], vocab: demand.Vocabulary,
                    source: list[demand.Record]) -> dict[str, Any]:
    column = st.column_config
    return {
        "class": column.SelectboxColumn(t("demand_class"), required=True,
                                        options=demand.class_options(vocab, source),
                                        format_func=vocab.label),
        "region": column.SelectboxColumn(
            t("demand_region"), default=demand.WHOLE_AREA,
            options=demand.region_options(vocab, source),
            format_func=lambda r: demand.region_label(r, t("demand_whole"))),
        "mode": column.SelectboxColumn(t("demand_mode"), options=demand.MODES, default="min",
                                       format_func=lambda m: t(f"demand_mode_{m}")),
        "unit": column.SelectboxColumn(t("demand_unit"), options=demand.UNITS, default="ha",
                                       format_func=lambda u: t(f"demand_unit_{u}")),
        "value": column.NumberColumn(t("demand_value"), min_value=0.0),
        "upper": column.NumberColumn(t("demand_upper"), min_value=0.0),
        "tolerance_ha": column.NumberColumn(t("demand_tolerance"), min_value=0.0),
    }


def demand_message(t: Callable[..., str], problem: demand.Problem) -> str:
    """A row problem in the session's language (a whole-area row says so)."""
    values = {**problem.values, "region": problem.values.get("region") or t("demand_whole")}
    return t(problem.key, **values)


def with_edited_demand(scenario: Scenario, vocab: demand.Vocabulary
                       ) -> tuple[Scenario, list[demand.Problem]]:
    """``scenario`` with the demand editor's rows (works also when the editor is not drawn).

    Returns
    -------
    tuple of (Scenario, list of demand.Problem)
        The scenario with every valid row of the last edited table, and one problem for each
        row left out (show them with :func:`demand_message`).
    """
    rows, problems = demand.rows_from_records(st.session_state.get(DEMAND_EDITED, []), vocab)
    if rows == scenario.demand.rows:
        return scenario, problems
    return scenario.with_demand(rows), problems


def without_unavailable_learned(scenario: Scenario, has_learned: bool) -> tuple[Scenario, bool]:
    """``scenario`` scoring the rule suitability if it asks for learned scores the store lacks
    (a link or saved scenario from another store); whether it had to."""
    if has_learned or scenario.suitability.source != "learned":
        return scenario, False
    return scenario.with_value(SUITABILITY_SOURCE, "rules"), True


REGION_LEVERS = ("farmland.region_quota_pct", "growth.region_min_new_built_ha",
                 "growth.region_max_new_built_ha")


def drop_unknown_regions(scenario: Scenario, known: tuple[str, ...]
                         ) -> tuple[Scenario, list[tuple[str, str]]]:
    """Remove per-region levers naming regions the store lacks; return what was dropped.

    A link made on another store (or typed by hand) may name townships this store does
    not have; the page warns and solves without them instead of failing.
    """
    dropped = []
    for key in REGION_LEVERS:
        entries = dict(scenario_value(scenario, key) or {})
        unknown = [name for name in entries if name not in known]
        if unknown:
            dropped += [(key, name) for name in unknown]
            scenario = scenario.with_value(key, {n: v for n, v in entries.items() if n in known})
    return scenario, dropped
