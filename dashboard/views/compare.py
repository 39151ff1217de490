"""Compare page: 2–4 saved or preset scenarios side by side — verdicts, maps on one view,
a difference map, the indicator table with deltas and the profile chart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import services, ui
from dashboard.components import charts, grid_maps, maps, panels, results, solving
from dashboard.components import compare as cmp
from dashboard.components import regions as region_parts
from dashboard.components.library_panel import md_text  # user text inert in Markdown
from data import library
from data.indicators import display_unit
from data.presets import PRESET_KEYS, list_presets, load_preset

MAX_SCENARIOS = 4
SAVED_CACHE = "compare_saved"  # session cache of loaded saved scenarios (reopened without I/O)

t, lang = ui.t, ui.lang()
path = ui.store_path()
version = services.store_version(path)
overview = services.store_overview(path, version)
classes = overview["classes"]
region_names = region_parts.region_display_names(overview["regions"], lang)
large = services.is_large(path, version)  # presets are solved only when picked
grid = services.is_grid(path, version)
preset_names = {p["key"]: p["name_zh" if lang == "zh" else "name_en"] for p in list_presets()}

st.title(t("compare_title"))
try:
    saved_list = library.list_scenarios(path)
except library.LibraryError as exc:
    st.error(str(exc))
    saved_list = pd.DataFrame({"name": [], "saved_at": []})
saved_at = dict(zip(saved_list["name"], saved_list["saved_at"], strict=True))
options = [f"saved:{name}" for name in saved_at] + [f"preset:{key}" for key in PRESET_KEYS]
default = [o for o in options if o.startswith("saved:")][:2] if large else options[:2]


def load_land():
    """The solver's input, read when a preset is solved."""
    with st.spinner(t("loading_land", n=f"{services.n_parcels(path, version):,}")):
        return services.landscape(path, version)


def scenario_deck(codes: np.ndarray, layer_id: str, width_px: int):
    """One scenario's land-use map (an image for grid stores); all share one view."""
    if grid:
        return panels.grid_landuse_deck(path, version, codes, classes, layer_id,
                                        width_px=width_px, height_px=340, height=380)
    rows = frame["row"].to_numpy()
    layer = maps.landuse_layer(frame, maps.color_column(codes[rows], class_colors), layer_id,
                               tooltips=False)
    view = maps.view_state(frame["lon"], frame["lat"], width_px=width_px, height_px=340)
    return maps.build_deck([layer], view, None, height=380)


def option_label(option: str) -> str:
    kind, name = option.split(":", 1)
    return name if kind == "saved" else preset_names.get(name, name) + t("compare_preset")


if large:
    panels.large_store_notice(path, version, "large_compare")
elif not saved_at:
    st.caption(t("compare_no_library"))
chosen = st.multiselect(t("compare_pick"), options, default=default, format_func=option_label,
                        max_selections=MAX_SCENARIOS, key="compare_pick")


def load_saved(name: str) -> library.SavedScenario:
    """A saved scenario, loaded once per session and save time (a re-save reloads it)."""
    cache = st.session_state.setdefault(SAVED_CACHE, {})
    key = (path, name, str(saved_at.get(name)))
    if key not in cache:
        cache[key] = library.load_scenario(path, name=name)
    return cache[key]


def gather_saved(name: str) -> cmp.Compared | None:
    try:
        saved = load_saved(name)
        codes = saved.codes_for(services.parcel_attributes(path, version)["parcel_id"].to_numpy())
    except library.LibraryError as exc:
        st.error(t("compare_load_failed", name=md_text(name), reason=md_text(exc)))
        return None
    table = saved.indicators
    if saved.stale:  # its baseline is the old store's: recompute against the current data
        st.warning(t("compare_stale", name=md_text(name), saved=saved.store_version[:8],
                     now=saved.current_store_version[:8]))
        table = services.indicators(path, version, f"saved:{saved.token}:{saved.saved_at}",
                                    tuple(int(c) for c in codes))
    compact = saved.uses_compactness  # a period plan's TOML is no single Scenario
    quality = results.quality_sentence(saved.status, saved.gap, compact, t)
    return cmp.Compared(name, codes, table, "saved", saved.stale, quality)


def gather_preset(key: str) -> cmp.Compared | None:
    scenario = load_preset(key)
    result_key = solving.result_key(version, scenario)
    result, _ = solving.solve_with_progress(load_land(), scenario, result_key, None, t)
    label = option_label(f"preset:{key}")
    if result is None or not result.has_solution:
        status = t("status_" + str(result.status)) if result is not None else "error"
        st.warning(t("compare_no_solution", name=md_text(label), status=status))
        return None
    codes = np.asarray(load_land().class_codes)[result.assignment]
    table = services.indicators(path, version, result_key, codes)
    quality = results.quality_sentence(str(result.status), result.gap,
                                       scenario.weights.compactness > 0, t)
    return cmp.Compared(label, codes, table, "preset", quality=quality)


def gather(option: str) -> cmp.Compared | None:
    kind, name = option.split(":", 1)
    return gather_saved(name) if kind == "saved" else gather_preset(name)


scenarios = cmp.with_unique_labels([s for s in (gather(o) for o in chosen) if s is not None])
if len(scenarios) < 2:
    st.info(t("compare_need_two"))
    st.stop()

# ---- verdicts -------------------------------------------------------------------------------
st.subheader(t("compare_verdicts"))
for s in scenarios:
    flag = t("compare_stale_flag") if s.stale else ""
    st.markdown(f"**{md_text(s.label)}**{flag} — {cmp.verdict(s.indicators, lang)}")
    if s.quality:
        st.caption(s.quality)

# ---- maps side by side, one view for all ----------------------------------------------------
st.subheader(t("compare_maps"))
class_colors = {int(c): maps.hex_to_rgba(h) for c, h in zip(classes["code"], classes["color"],
                                                             strict=True)}
frame = None if grid else services.map_frame(path, version)  # grid stores: images, no polygons
for i, (column, s) in enumerate(zip(st.columns(len(scenarios)), scenarios, strict=True)):
    column.markdown(f"**{md_text(s.label)}**")
    column.pydeck_chart(scenario_deck(s.codes, f"cmp-{i}", 1400 // len(scenarios)),
                        key=f"compare_map_{i}")
st.markdown(results.legend_html(classes, lang), unsafe_allow_html=True)

# ---- difference map -------------------------------------------------------------------------
st.subheader(t("compare_diff"))
labels = [s.label for s in scenarios]
pick_a, pick_b = st.columns(2)
a = labels.index(pick_a.selectbox(t("compare_diff_from"), labels, index=0, key="compare_diff_a"))
b = labels.index(pick_b.selectbox(t("compare_diff_to"), labels, index=1, key="compare_diff_b"))
names = results.class_names(classes, lang)
area_ha = services.parcel_attributes(path, version)["area_ha"].to_numpy()
diff = cmp.difference_frame(scenarios[a].codes, scenarios[b].codes, area_ha, names)
if diff.empty:
    st.info(t("compare_diff_none"))
else:
    st.caption(t("compare_diff_caption", n=f"{len(diff):,}", ha=f"{diff['area_ha'].sum():,.0f}",
                 to=md_text(labels[b])))
left, right = st.columns([1.4, 1])
if grid:
    values, palette = grid_maps.difference_values(scenarios[a].codes, scenarios[b].codes, classes)
    diff_deck = panels.grid_deck(path, version, values, palette, "difference", width_px=700,
                                 height_px=440, height=480)
else:
    layers = cmp.difference_layers(frame, scenarios[a].codes, scenarios[b].codes, class_colors)
    diff_deck = maps.build_deck(layers, maps.view_state(frame["lon"], frame["lat"], 700, 440),
                                None, height=480)
left.container(key="compare_diff_box").pydeck_chart(diff_deck, key="compare_diff_map")
summary = cmp.difference_summary(diff).rename(columns={
    "from_name": t("from_class"), "to_name": t("to_class"), "n": t("n_parcels_col"),
    "area_ha": t("area_ha")})
right.dataframe(summary, hide_index=True, width="stretch",
                column_config={t("area_ha"): st.column_config.NumberColumn(format="%.1f")})

# ---- indicator table and profile chart ------------------------------------------------------
st.subheader(t("compare_table"))
table, mask = cmp.comparison_table(scenarios, lang)
first_totals = cmp.totals(scenarios[0].indicators)
indicator_names = first_totals["label_zh" if lang == "zh" else "label_en"].to_dict()
units = first_totals["unit"].to_dict()
styled = cmp.styled_table(table.rename(columns={"indicator": t("indicator"), "unit": t("unit")}),
                          mask.rename(columns={"indicator": t("indicator"), "unit": t("unit")}))
st.table(styled.hide(axis="index"))  # HTML, so a printed or read-aloud page has every number

st.subheader(t("compare_regions"))
region_key = st.selectbox(t("compare_region_indicator"), cmp.REGION_INDICATORS,
                          key="compare_region_key", format_func=lambda k: str(
                              indicator_names.get(k, k)))
by_region = cmp.region_matrix(scenarios, region_key, region_names)
st.caption(t("compare_region_unit", unit=display_unit(
    region_key, str(units.get(region_key, "")), lang)))
st.table(region_parts.styled(by_region))

st.subheader(t("compare_profile"))
profile = cmp.profile_frame(scenarios, lang)
st.altair_chart(charts.configure(cmp.profile_chart(profile, labels, t("change_pct"))),
                width="stretch")
