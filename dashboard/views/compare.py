"""Compare page: 2–4 saved or preset scenarios side by side — verdicts, maps on one view,
a difference map, the indicator table with deltas and the profile chart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import services
from dashboard.components import charts, grid_maps, maps, panels, results, solving
from dashboard.components import compare as cmp
from dashboard.components import regions as region_parts
from dashboard.components.library_panel import md_text  # user text inert in Markdown
from dashboard.page import PageContext, page_context
from data import library
from data.indicators import display_unit
from data.presets import PRESET_KEYS, load_preset

MAX_SCENARIOS = 4
SAVED_CACHE = "compare_saved"  # session cache of loaded saved scenarios (reopened without I/O)


def page(ctx: PageContext) -> None:
    """Pick scenarios, then verdicts, maps, the difference map and the indicator tables."""
    st.title(ctx.t("compare_title"))
    saved_at = _saved_times(ctx)
    chosen = _pick(ctx, saved_at)
    gathered = (_gather(ctx, option, saved_at) for option in chosen)
    scenarios = cmp.with_unique_labels([s for s in gathered if s is not None])
    if len(scenarios) < 2:
        st.info(ctx.t("compare_need_two"))
        return
    _verdicts(ctx, scenarios)
    _maps(ctx, scenarios)
    _difference(ctx, scenarios)
    _indicator_tables(ctx, scenarios)


def _saved_times(ctx: PageContext) -> dict[str, object]:
    """Saved scenario name → its save time (a re-save reloads it)."""
    try:
        saved_list = library.list_scenarios(ctx.path)
    except library.LibraryError as exc:
        st.error(md_text(str(exc)))
        saved_list = pd.DataFrame({"name": [], "saved_at": []})
    return dict(zip(saved_list["name"], saved_list["saved_at"], strict=True))


def _option_label(ctx: PageContext, option: str) -> str:
    kind, name = option.split(":", 1)
    return name if kind == "saved" else ctx.preset_names().get(name, name) + ctx.t("compare_preset")


def _pick(ctx: PageContext, saved_at: dict) -> list[str]:
    """The chosen options (``saved:<name>`` or ``preset:<key>``); on a large store only saved
    scenarios are picked by default (presets would be solved)."""
    options = [f"saved:{name}" for name in saved_at] + [f"preset:{key}" for key in PRESET_KEYS]
    default = [o for o in options if o.startswith("saved:")][:2] if ctx.large else options[:2]
    if ctx.large:
        panels.large_store_notice(ctx.path, ctx.version, "large_compare")
    elif not saved_at:
        st.caption(ctx.t("compare_no_library"))
    return st.multiselect(ctx.t("compare_pick"), options, default=default,
                          format_func=lambda o: _option_label(ctx, o),
                          max_selections=MAX_SCENARIOS, key="compare_pick")


def _gather(ctx: PageContext, option: str, saved_at: dict) -> cmp.Compared | None:
    kind, name = option.split(":", 1)
    return _gather_saved(ctx, name, saved_at) if kind == "saved" else _gather_preset(ctx, name)


def _load_saved(ctx: PageContext, name: str, saved_at: dict) -> library.SavedScenario:
    """A saved scenario, loaded once per session and save time."""
    cache = st.session_state.setdefault(SAVED_CACHE, {})
    key = (ctx.path, name, str(saved_at.get(name)))
    if key not in cache:
        cache[key] = library.load_scenario(ctx.path, name=name)
    return cache[key]


def _gather_saved(ctx: PageContext, name: str, saved_at: dict) -> cmp.Compared | None:
    t = ctx.t
    try:
        saved = _load_saved(ctx, name, saved_at)
        ids = services.parcel_attributes(ctx.path, ctx.version)["parcel_id"].to_numpy()
        codes = saved.codes_for(ids)
    except library.LibraryError as exc:
        st.error(t("compare_load_failed", name=md_text(name), reason=md_text(exc)))
        return None
    table = saved.indicators
    if saved.stale:  # its baseline is the old store's: recompute against the current data
        st.warning(t("compare_stale", name=md_text(name), saved=saved.store_version[:8],
                     now=saved.current_store_version[:8]))
        table = services.indicators(ctx.path, ctx.version,
                                    f"saved:{saved.token}:{saved.saved_at}",
                                    tuple(int(c) for c in codes))
    compact = saved.uses_compactness  # a period plan's TOML is no single Scenario
    quality = results.quality_sentence(saved.status, saved.gap, compact, t)
    return cmp.Compared(name, codes, table, "saved", saved.stale, quality)


def _gather_preset(ctx: PageContext, key: str) -> cmp.Compared | None:
    t = ctx.t
    scenario = load_preset(key)
    result_key = solving.result_key(ctx.version, scenario)
    land = ctx.load_land()
    result, _ = solving.solve_with_progress(land, scenario, result_key, None, t)
    label = _option_label(ctx, f"preset:{key}")
    if result is None or not result.has_solution:
        status = t("status_" + str(result.status)) if result is not None else "error"
        st.warning(t("compare_no_solution", name=md_text(label), status=status))
        return None
    codes = np.asarray(land.class_codes)[result.assignment]
    table = services.indicators(ctx.path, ctx.version, result_key, codes)
    quality = results.quality_sentence(str(result.status), result.gap,
                                       scenario.weights.compactness > 0, t)
    return cmp.Compared(label, codes, table, "preset", quality=quality)


def _verdicts(ctx: PageContext, scenarios: list[cmp.Compared]) -> None:
    st.subheader(ctx.t("compare_verdicts"))
    for s in scenarios:
        flag = ctx.t("compare_stale_flag") if s.stale else ""
        st.markdown(f"**{md_text(s.label)}**{flag} — {cmp.verdict(s.indicators, ctx.lang)}")
        if s.quality:
            st.caption(s.quality)


def _maps(ctx: PageContext, scenarios: list[cmp.Compared]) -> None:
    """Every scenario's land use on one view (images for grids and many parcels)."""
    st.subheader(ctx.t("compare_maps"))
    image = panels.image_maps(ctx.path, ctx.version)
    frame = None if image else services.map_frame(ctx.path, ctx.version)
    width = 1400 // len(scenarios)
    for i, (column, s) in enumerate(zip(st.columns(len(scenarios)), scenarios, strict=True)):
        column.markdown(f"**{md_text(s.label)}**")
        if image:
            deck = panels.grid_landuse_deck(ctx.path, ctx.version, s.codes, ctx.classes,
                                            f"cmp-{i}", width_px=width, height_px=340, height=380)
        else:
            layer = maps.landuse_layer(frame, maps.color_column(s.codes[frame["row"].to_numpy()],
                                                                panels.class_colors(ctx.classes)),
                                       f"cmp-{i}", tooltips=False)
            view = maps.view_state(frame["lon"], frame["lat"], width_px=width, height_px=340)
            deck = maps.build_deck([layer], view, None, height=380)
        column.pydeck_chart(deck, key=f"compare_map_{i}")
    st.markdown(results.legend_html(ctx.classes, ctx.lang), unsafe_allow_html=True)


def _difference(ctx: PageContext, scenarios: list[cmp.Compared]) -> None:
    """Where two of the scenarios differ: a map and a from → to table."""
    t = ctx.t
    st.subheader(t("compare_diff"))
    labels = [s.label for s in scenarios]
    pick_a, pick_b = st.columns(2)
    a = labels.index(pick_a.selectbox(t("compare_diff_from"), labels, index=0,
                                      key="compare_diff_a"))
    b = labels.index(pick_b.selectbox(t("compare_diff_to"), labels, index=1,
                                      key="compare_diff_b"))
    names = results.class_names(ctx.classes, ctx.lang)
    area_ha = services.parcel_attributes(ctx.path, ctx.version)["area_ha"].to_numpy()
    diff = cmp.difference_frame(scenarios[a].codes, scenarios[b].codes, area_ha, names)
    if diff.empty:
        st.info(t("compare_diff_none"))
    else:
        st.caption(t("compare_diff_caption", n=f"{len(diff):,}",
                     ha=f"{diff['area_ha'].sum():,.0f}", to=md_text(labels[b])))
    left, right = st.columns([1.4, 1])
    if panels.image_maps(ctx.path, ctx.version):
        values, palette = grid_maps.difference_values(scenarios[a].codes, scenarios[b].codes,
                                                      ctx.classes)
        deck = panels.grid_deck(ctx.path, ctx.version, values, palette, "difference",
                                width_px=700, height_px=440, height=480)
    else:
        frame = services.map_frame(ctx.path, ctx.version)
        layers = cmp.difference_layers(frame, scenarios[a].codes, scenarios[b].codes,
                                       panels.class_colors(ctx.classes))
        deck = maps.build_deck(layers, maps.view_state(frame["lon"], frame["lat"], 700, 440),
                               None, height=480)
    left.container(key="compare_diff_box").pydeck_chart(deck, key="compare_diff_map")
    summary = cmp.difference_summary(diff).rename(columns={
        "from_name": t("from_class"), "to_name": t("to_class"), "n": t("n_parcels_col"),
        "area_ha": t("area_ha")})
    right.dataframe(summary, hide_index=True, width="stretch",
                    column_config={t("area_ha"): st.column_config.NumberColumn(format="%.1f")})


def _indicator_tables(ctx: PageContext, scenarios: list[cmp.Compared]) -> None:
    """The indicator table with the best value marked, per township, and the profile chart."""
    t, lang = ctx.t, ctx.lang
    st.subheader(t("compare_table"))
    table, mask = cmp.comparison_table(scenarios, lang)
    first_totals = cmp.totals(scenarios[0].indicators)
    indicator_names = first_totals["label_zh" if lang == "zh" else "label_en"].to_dict()
    units = first_totals["unit"].to_dict()
    headers = {"indicator": t("indicator"), "unit": t("unit")}
    styled = cmp.styled_table(table.rename(columns=headers), mask.rename(columns=headers))
    st.table(styled.hide(axis="index"))  # HTML, so a printed or read-aloud page has every number
    st.subheader(t("compare_regions"))
    region_key = st.selectbox(t("compare_region_indicator"), cmp.REGION_INDICATORS,
                              key="compare_region_key",
                              format_func=lambda k: str(indicator_names.get(k, k)))
    region_names = region_parts.region_display_names(ctx.overview["regions"], lang)
    by_region = cmp.region_matrix(scenarios, region_key, region_names)
    st.caption(t("compare_region_unit", unit=display_unit(
        region_key, str(units.get(region_key, "")), lang)))
    st.table(region_parts.styled(by_region))
    st.subheader(t("compare_profile"))
    profile = cmp.profile_frame(scenarios, lang)
    labels = [s.label for s in scenarios]
    st.altair_chart(charts.configure(cmp.profile_chart(profile, labels, t("change_pct"))),
                    width="stretch")


page(page_context())
