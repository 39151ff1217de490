"""Streamlit panels of the scenario page: maps beside charts, and the infeasibility panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import services, ui
from dashboard.components import charts, maps, regions, results
from solver.explain import relaxed_scenario
from solver.landscape import Landscape

OVERLAY_WIDGET = "map_overlays"


def _class_colors(classes: pd.DataFrame) -> dict[int, list[int]]:
    return {int(c): maps.hex_to_rgba(h) for c, h in zip(classes["code"], classes["color"], strict=True)}


def _tooltip(lang: str) -> str:
    t = ui.t
    return (f"<b>#{{parcel_id}}</b> · {{region}}<br/>{t('before')}: {{before}} → {t('after')}: "
            f"{{after}}<br/>{{area_ha}} ha · {'坡度' if lang == 'zh' else 'slope'} {{slope_deg}}° · "
            f"{'耕地等别' if lang == 'zh' else 'grade'} {{farmland_grade}}")


def _deck(frame: pd.DataFrame, codes: np.ndarray, classes: pd.DataFrame, layer_id: str,
          extra: dict | None, outlines: list) -> object:
    # Tooltips (before/after, attributes) only on the optimized map: they double the payload.
    colors = maps.color_column(codes[frame["row"].to_numpy()], _class_colors(classes))
    layer = maps.landuse_layer(frame, colors, layer_id, extra, tooltips=extra is not None)
    tooltip = _tooltip(ui.lang()) if extra is not None else None
    return maps.build_deck([layer, *outlines], maps.view_state(frame["lon"], frame["lat"]),
                           tooltip, height=560 if ui.presenting() else 480)


def result_maps_and_charts(path: str, version: str, classes: pd.DataFrame, land: Landscape,
                           before: np.ndarray, after: np.ndarray, table: pd.DataFrame) -> None:
    """Current | optimized maps with overlays, next to the indicator charts."""
    t, lang = ui.t, ui.lang()
    frame = services.map_frame(path, version)
    names = results.class_names(classes, lang)
    rows = frame["row"].to_numpy()
    extra = {"before": [names[int(c)] for c in before[rows]],
             "after": [names[int(c)] for c in after[rows]]}
    chosen = st.pills(t("overlays"), ["changes", *maps.OVERLAY_COLORS], selection_mode="multi",
                      default=["changes"], key=OVERLAY_WIDGET,
                      format_func=lambda k: t("show_changes") if k == "changes" else t(f"ov_{k}"))
    zones = services.zone_outlines(path, version)
    outlines = [maps.outline_layer(zones[k], maps.OVERLAY_COLORS[k], f"zone-{k}")
                for k in chosen if k in zones]
    changed = results.changed_mask(before, after)[rows]
    if "changes" in chosen and changed.any():
        changed_rings = frame.loc[changed, "polygon"].tolist()
        change_layer = maps.outline_layer(changed_rings, maps.CHANGE_OUTLINE, "changes", 25.0)
    else:
        change_layer = None
    left, middle, right = st.columns([1, 1, 1.1])
    with left:
        st.markdown(f"**{t('map_current')}**")
        st.pydeck_chart(_deck(frame, before, classes, "current", None, outlines),
                        key="map_current")
    with middle:
        st.markdown(f"**{t('map_optimized')}**")
        optimized = outlines + ([change_layer] if change_layer is not None else [])
        st.pydeck_chart(_deck(frame, after, classes, "optimized", extra, optimized),
                        key="map_optimized")
    st.markdown(results.legend_html(classes, lang), unsafe_allow_html=True)
    with right:
        _charts(classes, land, before, after, table)


def _charts(classes: pd.DataFrame, land: Landscape, before: np.ndarray, after: np.ndarray,
            table: pd.DataFrame) -> None:
    t, lang = ui.t, ui.lang()
    name_column = "name_zh" if lang == "zh" else "name_en"
    labels = {k: t(k) for k in ("class", "area_ha", "before", "after", "change_pct", "from_class",
                                "to_class", "region")} | {"stage": ""}
    tabs = st.tabs([t("chart_structure"), t("chart_indicators"), t("chart_transitions"),
                    t("chart_regions")])
    structure = results.structure_frame(before, after, land.area_ha, classes, lang,
                                        (labels["before"], labels["after"]))
    tabs[0].altair_chart(charts.configure(charts.structure_chart(structure, classes, name_column,
                                                                 labels)), width="stretch")
    tabs[1].altair_chart(charts.configure(charts.change_chart(results.change_frame(table, lang),
                                                              labels)), width="stretch")
    matrix = results.transition_frame(before, after, land.area_ha, classes, lang)
    tabs[2].altair_chart(charts.configure(charts.transition_chart(
        matrix, classes[name_column].tolist(), labels)), width="stretch")
    region_names = dict(enumerate(land.region_names))
    regions = results.region_frame(after, land.area_ha, land.region, region_names, classes, lang)
    tabs[3].altair_chart(charts.configure(charts.region_chart(regions, classes, name_column,
                                                              labels)), width="stretch")


def infeasibility_panel(result, scenario, preset: str) -> None:
    """Which levers conflict and by how much, with one click to apply the suggestion."""
    t, lang = ui.t, ui.lang()
    explanation = result.explanation
    if explanation is None:
        st.warning(f"**{t('unknown_title')}** — {t('unknown_help')}")
        return
    with st.container(border=True):
        st.subheader(f"⚠️ {t('infeasible_title')}")
        st.text(explanation.message_zh if lang == "zh" else explanation.message_en)
        if explanation.can_apply and st.button(t("apply_relaxation"), type="primary",
                                                 disabled=ui.read_only()):
            st.session_state["pending_scenario"] = (relaxed_scenario(scenario, explanation), preset)
            st.rerun()



def region_section(path: str, version: str, table: pd.DataFrame) -> None:
    """Per-region indicators side by side and a region map coloured by the chosen one."""
    t, lang = ui.t, ui.lang()
    frame = services.region_frame(path, version)
    options = [key for key, _ in regions.REGION_INDICATORS]
    labels = table.drop_duplicates("indicator").set_index("indicator")[
        "label_zh" if lang == "zh" else "label_en"]
    left, right = st.columns([1, 1.4])
    with left:
        key = st.selectbox(t("region_map_indicator"), options, key="region_indicator",
                           format_func=lambda k: str(labels.get(k, k)))
        change = st.toggle(t("region_map_change"), key="region_change")
        values = regions.indicator_by_region(table, key, change)
        shown = values.reindex(frame["name_zh"]).to_numpy()
        layer = maps.landuse_layer(
            frame.assign(value=np.round(shown, 1), region=frame["name_zh" if lang == "zh"
                                                                 else "name_en"]),
            regions.ramp_colors(shown), "regions", {"value": list(np.round(shown, 1))})
        st.pydeck_chart(maps.build_deck([layer], maps.view_state(
            np.concatenate([np.array(r)[:, 0] for r in frame["polygon"]]),
            np.concatenate([np.array(r)[:, 1] for r in frame["polygon"]]), 420, 380),
            "<b>{region}</b><br/>{value}", height=400), key="region_map")
    with right:
        st.dataframe(regions.region_indicator_table(table, lang), width="stretch")
