"""Streamlit panels of the scenario page: maps beside charts, and the infeasibility panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import services, ui
from dashboard.components import charts, grid_maps, maps, regions, results
from solver.explain import apply_suggestion, relaxed_scenario, single_lever_fixes
from solver.landscape import Landscape
from solver.scenario import Scenario

OVERLAY_WIDGET = "map_overlays"
REGION_WIDGET = "map_region"


def class_colors(classes: pd.DataFrame) -> dict[int, list[int]]:
    """Class code → RGBA of its colour in the class table."""
    return {int(c): maps.hex_to_rgba(h) for c, h in zip(classes["code"], classes["color"], strict=True)}


#: Above this many parcels a polygon store's maps are one image each (as a grid store's):
#: polygons with tooltips cost ~260 bytes of JSON a parcel on every rerun (the 18,000-parcel
#: demo county 4.7 MB, 100,000 parcels tens of MB), an image a few hundred kB. Small stores
#: keep per-parcel tooltips on the optimized map.
POLYGON_IMAGE_MIN = 5_000


def map_size() -> tuple[int, int]:
    """Width a map is fitted to and its tallest height, in pixels.

    Two maps share the main column: at 1280 px with the sidebar open each is about 430 px
    wide (in presentation mode, without the sidebar, about 580). Fitting to that width keeps
    the whole area in view at projector size; wider screens get margins at the sides. The
    height cap keeps the maps and their legend on the first screen at 1280 × 720.
    """
    return (570, 360) if ui.presenting() else (420, 300)


def _deck(frame: pd.DataFrame, codes: np.ndarray, classes: pd.DataFrame, layer_id: str,
          extra: dict, outlines: list, fitted: tuple[object, int]) -> tuple[object, int]:
    """The optimized map of a polygon store: polygons with before/after tooltips."""
    colors = maps.color_column(codes[frame["row"].to_numpy()], class_colors(classes))
    layer = maps.landuse_layer(frame, colors, layer_id, extra, tooltips=True)
    view, height = fitted
    tooltip = ui.t("parcel_tooltip")  # a template: deck.gl fills in the {fields}
    return maps.build_deck([layer, *outlines], view, tooltip, height=height), height


def map_lines(chosen: list[str], changes: bool) -> list[tuple[str, list[int]]]:
    """Legend entries of the lines drawn over the maps: zones chosen, converted parcels."""
    lines = [(ui.t(f"ov_{k}"), maps.OVERLAY_COLORS[k]) for k in chosen if k in maps.OVERLAY_COLORS]
    return lines + ([(ui.t("legend_changes"), maps.CHANGE_OUTLINE)] if changes else [])


def image_maps(path: str, version: str) -> bool:
    """Whether a store's maps are images: grid stores, and polygon stores of many parcels."""
    return services.is_grid(path, version) or services.n_parcels(path, version) > POLYGON_IMAGE_MIN


def region_name_layer(path: str, version: str, region_id: int | None = None) -> object:
    """Region (township) names over a map, in the page's language (``region_id``: only the
    name of that region)."""
    column = "name_zh" if ui.lang() == "zh" else "name_en"
    frame = services.region_frame(path, version)
    if region_id is not None:
        frame = frame[frame["region_id"] == region_id]
    return maps.text_layer(maps.region_labels(frame, column), "region-names")


def region_choices(path: str, version: str) -> dict[int | None, str]:
    """What the map can show: None for the whole area, then every region with cells (id →
    its name in the page's language, the Chinese name where the store has no English)."""
    overview = services.store_overview(path, version)["regions"]
    shown = regions.region_display_names(overview, ui.lang())
    names = dict(zip(overview["region_id"].astype(int),
                     (shown[str(n)] for n in overview["name_zh"]), strict=True))
    with_cells = services.region_cell_counts(path, version).index
    return {None: ui.t("map_extent_all"),
            **{int(r): names.get(int(r), str(r)) for r in with_cells}}


def region_picker(path: str, version: str) -> int | None:
    """The map extent: the whole area (as before) or one region, whose cells the maps then
    show alone, zoomed to it. None when the store has a single region."""
    choices = region_choices(path, version)
    if len(choices) <= 2:
        return None
    if st.session_state.get(REGION_WIDGET, None) not in choices:  # e.g. another store
        st.session_state.pop(REGION_WIDGET, None)
    return st.selectbox(ui.t("map_extent"), list(choices), key=REGION_WIDGET,
                        label_visibility="collapsed",
                        format_func=lambda r: ui.t("map_extent_pick", region=choices[r]))


def result_maps_and_charts(path: str, version: str, classes: pd.DataFrame, land: Landscape,
                           before: np.ndarray, after: np.ndarray, table: pd.DataFrame) -> None:
    """Current | optimized maps under one legend line (on the first screen at 1280 × 720),
    then the indicator charts in two columns, each with all its labels."""
    t, lang = ui.t, ui.lang()
    pills, extent = st.columns([3, 1], vertical_alignment="center")
    with pills:
        chosen = st.pills(t("overlays"), ["changes", *maps.OVERLAY_COLORS],
                          selection_mode="multi", default=["changes"], key=OVERLAY_WIDGET,
                          label_visibility="collapsed",
                          format_func=lambda k: t("show_changes") if k == "changes"
                          else t(f"ov_{k}"))
    with extent:
        region = region_picker(path, version)
    image = image_maps(path, version)
    changes = "changes" in chosen and bool((before != after).any())
    st.markdown(results.map_legend_html(classes, lang, map_lines(chosen, changes)),
                unsafe_allow_html=True)
    (current, height), (optimized, _) = (_grid_decks if image else _polygon_decks)(
        path, version, classes, before, after, chosen, region)
    names = region_name_layer(path, version, region)
    current.layers.append(names)
    left, right = st.columns(2)
    for column, deck, title, key in ((left, current, "map_current", "map_current"),
                                     (right, optimized, "map_optimized", "map_optimized")):
        with column:
            st.markdown(f"**{t(title)}**")
            st.pydeck_chart(deck, key=key, height=height)
    if image or region is not None:
        grid_note(path, version, changes=changes and image, region_id=region)
    _charts(classes, land, before, after, table)


def _polygon_decks(path: str, version: str, classes: pd.DataFrame, before: np.ndarray,
                   after: np.ndarray, chosen: list[str],
                   region_id: int | None = None) -> tuple[tuple, tuple]:
    """Current and optimized maps of a parcel store: the current one an image of its parcels,
    the optimized one polygons with tooltips; zone and change outlines on top (``region_id``:
    that region's parcels alone, zoomed to them)."""
    frame = services.map_frame(path, version)
    if region_id is not None:
        frame = frame[frame["region_id"] == region_id].reset_index(drop=True)
    names = results.class_names(classes, ui.lang())
    rows = frame["row"].to_numpy()
    extra = {"before": [names[int(c)] for c in before[rows]],
             "after": [names[int(c)] for c in after[rows]]}
    zones = services.zone_outlines(path, version)
    outlines = [maps.outline_layer(zones[k], maps.OVERLAY_COLORS[k], f"zone-{k}")
                for k in chosen if k in zones]
    changed = results.changed_mask(before, after)[rows]
    if "changes" in chosen and changed.any():
        changed_rings = frame.loc[changed, "polygon"].tolist()
        change_layer = maps.outline_layer(changed_rings, maps.CHANGE_OUTLINE, "changes", 25.0)
    else:
        change_layer = None
    optimized = outlines + ([change_layer] if change_layer is not None else [])
    # The current map has no tooltips, so it loses nothing as an image of its parcels (a third
    # of the polygon payload on every rerun); both maps share the image's view.
    current = fitted_landuse_deck(path, version, before, classes, "current", outlines,
                                  region_id=region_id)
    lon, lat = np.array(services.map_canvas(path, version, region_id).corners).T
    fitted = maps.fitted_view(lon, lat, *map_size())
    return current, _deck(frame, after, classes, "optimized", extra, optimized, fitted)


def _grid_decks(path: str, version: str, classes: pd.DataFrame, before: np.ndarray,
                after: np.ndarray, chosen: list[str],
                region_id: int | None = None) -> tuple[tuple, tuple]:
    """Current and optimized maps of a grid store (or a large polygon store): one image each,
    zones as outline images; with "changes" chosen, the optimized map draws unchanged cells
    pale and outlines the converted ones in dark (``region_id``: that region's cells alone,
    the image cropped to them)."""
    zones = grid_zone_layers(path, version, [k for k in chosen if k in maps.OVERLAY_COLORS],
                             region_id)
    changed = before != after
    highlight = before if "changes" in chosen and changed.any() else None
    outline = [] if highlight is None else [
        grid_outline_layer(path, version, changed, "changes", region_id=region_id)]
    current = fitted_landuse_deck(path, version, before, classes, "current", zones,
                                  region_id=region_id)
    optimized = fitted_landuse_deck(path, version, after, classes, "optimized", zones + outline,
                                    highlight, region_id)
    return current, optimized


def grid_outline_layer(path: str, version: str, mask: np.ndarray, layer_id: str,
                       color: list[int] = maps.CHANGE_OUTLINE,
                       region_id: int | None = None) -> object:
    """An image of the edges of the cells in ``mask`` (e.g. converted cells), in ``color``
    (``region_id``: on that region's cropped image)."""
    values, palette = grid_maps.mask_values(mask, color)
    url = services.grid_bitmap(path, version, values, palette, outline=True, region_id=region_id)
    return grid_maps.bitmap_layer(url, services.map_canvas(path, version, region_id).corners,
                                  layer_id)


def grid_landuse_deck(path: str, version: str, codes: np.ndarray, classes: pd.DataFrame,
                      layer_id: str, overlays: list | None = None,
                      before: np.ndarray | None = None, width_px: int = 380,
                      height_px: int = 460, height: int | None = None,
                      region_id: int | None = None) -> object:
    """A grid store's land-use map: its cells as one image (``before``: changes highlighted;
    ``region_id``: one region's cells, the image cropped to them)."""
    values, palette = grid_maps.landuse_values(codes, classes, before)
    return grid_deck(path, version, values, palette, layer_id, overlays, width_px, height_px,
                     height, region_id)


def grid_deck(path: str, version: str, values: np.ndarray, palette: grid_maps.Palette,
              layer_id: str, overlays: list | None = None, width_px: int = 380,
              height_px: int = 460, height: int | None = None,
              region_id: int | None = None) -> object:
    """A deck of one grid image (per-parcel palette indices) under optional overlays
    (``region_id``: the region's cropped image, zoomed to it)."""
    canvas = services.map_canvas(path, version, region_id)
    layer = grid_maps.bitmap_layer(
        services.grid_bitmap(path, version, values, palette, region_id=region_id),
        canvas.corners, layer_id)
    height = height or (560 if ui.presenting() else 480)
    return maps.build_deck([layer, *(overlays or [])],
                           grid_maps.grid_view(canvas, width_px, height_px), None, height=height)


def fitted_landuse_deck(path: str, version: str, codes: np.ndarray, classes: pd.DataFrame,
                        layer_id: str, overlays: list, before: np.ndarray | None = None,
                        region_id: int | None = None) -> tuple[object, int]:
    """An image land-use map sized by :func:`map_size`, and its height (fitted to the
    image's shape: no empty band above the land; ``region_id``: one region's cells)."""
    values, palette = grid_maps.landuse_values(codes, classes, before)
    canvas = services.map_canvas(path, version, region_id)
    layer = grid_maps.bitmap_layer(
        services.grid_bitmap(path, version, values, palette, region_id=region_id),
        canvas.corners, layer_id)
    lon, lat = np.array(canvas.corners).T
    view, height = maps.fitted_view(lon, lat, *map_size())
    return maps.build_deck([layer, *overlays], view, None, height=height), height


def store_cells(path: str, version: str) -> pd.DataFrame:
    """Current use, region and zone flags per parcel in the solver's order: a grid store's
    light cell read, a polygon store's attributes (it has no grid columns)."""
    return services.map_cells(path, version)


def grid_zone_layers(path: str, version: str, flags: list[str],
                     region_id: int | None = None) -> list:
    """Outline images of the chosen zones (red line, basic farmland, urban boundary;
    ``region_id``: on that region's cropped image)."""
    cells = store_cells(path, version)
    masks = {flag: cells[flag].fillna(False).to_numpy(dtype=bool) for flag in flags}
    return [grid_outline_layer(path, version, mask, f"zone-{flag}", maps.OVERLAY_COLORS[flag],
                               region_id)
            for flag, mask in masks.items() if mask.any()]


def grid_note(path: str, version: str, changes: bool = False,
              region_id: int | None = None) -> None:
    """A caption saying the map is an image of the grid or of many parcels, or shows one
    region's cells alone (and how changes are shown on an image)."""
    if region_id is not None:
        n = f"{int(services.region_cell_counts(path, version).get(region_id, 0)):,}"
        note = ui.t("map_extent_note", region=region_choices(path, version)[region_id], n=n)
    else:
        grid, canvas = services.grid_spec(path, version), services.grid_canvas(path, version)
        width, height = canvas.size
        n = f"{services.n_parcels(path, version):,}"
        note = (ui.t("polygon_image_note", n=n, w=width, h=height) if grid is None else
                ui.t("grid_map_note", n=n, cell=f"{grid.cell_m:g}", w=width, h=height))
    st.caption(note + (ui.t("grid_changes_note") if changes else ""))


def _charts(classes: pd.DataFrame, land: Landscape, before: np.ndarray, after: np.ndarray,
            table: pd.DataFrame) -> None:
    t, lang = ui.t, ui.lang()
    name_column = "name_zh" if lang == "zh" else "name_en"
    labels = {k: t(k) for k in ("class", "area_ha", "before", "after", "change_pct", "from_class",
                                "to_class", "region")} | {"stage": ""}
    structure = results.structure_frame(before, after, land.area_ha, classes, lang,
                                        (labels["before"], labels["after"]))
    matrix = results.transition_frame(before, after, land.area_ha, classes, lang)
    region_names = {i: land.region_label(name, lang) for i, name in enumerate(land.region_names)}
    regions = results.region_frame(after, land.area_ha, land.region, region_names, classes, lang)
    built = {
        "chart_structure": charts.structure_chart(structure, classes, name_column, labels),
        "chart_indicators": charts.change_chart(results.change_frame(table, lang), labels),
        "chart_transitions": charts.transition_chart(matrix, classes[name_column].tolist(),
                                                     labels),
        "chart_regions": charts.region_chart(regions, classes, name_column, labels),
    }
    # Four charts in two columns, none behind a tab: every label is drawn at full width
    # (a third of the page at 1280 px dropped half the indicator and township names).
    columns = st.columns(2)
    for i, (title, chart) in enumerate(built.items()):
        with columns[i % 2]:
            st.markdown(f"**{t(title)}**")
            st.altair_chart(charts.configure(chart), width="stretch")


def infeasibility_panel(result, scenario, read_only: bool) -> Scenario | None:
    """Which levers conflict and by how much, with one click to apply a fix.

    Offers the smallest joint relaxation and, beside it, every single lever that would fix
    the scenario alone (the others kept as set). Returns the scenario of the fix pressed, or
    None; the page decides what to do with it.
    """
    t, lang = ui.t, ui.lang()
    explanation = result.explanation
    if explanation is None:
        st.warning(f"**{t('unknown_title')}** — {t('unknown_help')}")
        return None
    chosen = None
    with st.container(border=True):
        st.subheader(f"⚠️ {t('infeasible_title')}")
        st.text(explanation.message_zh if lang == "zh" else explanation.message_en)
        if explanation.can_apply and st.button(t("apply_relaxation"), type="primary",
                                                 disabled=read_only, key="relax_joint"):
            chosen = relaxed_scenario(scenario, explanation)
        fixes = single_lever_fixes(explanation)
        if fixes:
            st.caption(t("relax_alone_help"))
        for i, fix in enumerate(fixes):
            label = fix.label_zh if lang == "zh" else fix.label_en
            if st.button(t("relax_alone", lever=label, current=_lever_value(fix.current, fix.unit),
                           value=_lever_value(fix.suggested, fix.unit)),
                         disabled=read_only, key=f"relax_alone_{i}"):
                chosen = apply_suggestion(scenario, fix)
    return chosen


def _lever_value(value: float | bool, unit: str) -> str:
    """A lever value as the lever panel shows it (on/off for switches)."""
    if isinstance(value, bool):
        return ui.t("switch_on" if value else "switch_off")
    unit_text = ui.t("unit_ha") if unit == "ha" else unit
    return f"{value:,.3f}{unit_text}" if unit == "×" else f"{value:,.1f} {unit_text}"


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
        name_column = "name_zh" if lang == "zh" else "name_en"
        layer = maps.landuse_layer(
            frame.assign(value=np.round(shown, 1), region=frame[name_column]),
            regions.ramp_colors(shown), "regions", {"value": list(np.round(shown, 1))})
        names = maps.text_layer(maps.region_labels(frame, name_column), "region-names")
        view, height = maps.fitted_view(
            np.concatenate([np.array(r)[:, 0] for r in frame["polygon"]]),
            np.concatenate([np.array(r)[:, 1] for r in frame["polygon"]]), 420, 400)
        finite = shown[np.isfinite(shown)]
        if finite.size:  # the colour scale: which colour means how much
            st.markdown(results.color_scale_html(
                t("region_scale", label=str(labels.get(key, key))), float(finite.min()),
                float(finite.max()), regions.RAMP), unsafe_allow_html=True)
        st.pydeck_chart(maps.build_deck([layer, names], view, "<b>{region}</b><br/>{value}",
                                        height=height), key="region_map", height=height)
    with right:
        names = regions.region_display_names(services.store_overview(path, version)["regions"],
                                             lang)  # English names on English pages
        st.dataframe(regions.styled(regions.region_indicator_table(table, lang, names)),
                     width="stretch")


def large_store_notice(path: str, version: str, text_key: str, *details: str) -> None:
    """What a page does with a store over the auto-solve limit (``text_key``), what a solve
    costs, and the page's own ``details`` (i18n keys)."""
    values = {"n": f"{services.n_parcels(path, version):,}",
              "limit": f"{services.auto_solve_max():,}"}
    separator = "" if ui.lang() == "zh" else " "
    texts = [ui.t(text_key, **values), ui.t("large_cost"), *(ui.t(key) for key in details)]
    st.warning(separator.join(texts))


def current_map(path: str, version: str, classes: pd.DataFrame) -> None:
    """The current land use of a grid store (or a polygon store drawn as an image), alone
    (before any result)."""
    if not image_maps(path, version):
        return
    codes = store_cells(path, version)["land_use"].to_numpy()
    left, right = st.columns([1.6, 1])
    with left:
        title, extent = st.columns([2, 1], vertical_alignment="center")
        title.markdown(f"**{ui.t('map_current')}**")
        with extent:
            region = region_picker(path, version)
        # a region is fitted to the column's width at 1280 px (a wide district was cut at the
        # sides); the whole area, taller than wide, is fitted to the height as before
        st.pydeck_chart(grid_landuse_deck(path, version, codes, classes, "current",
                                          width_px=720 if region is None else 540,
                                          height_px=560, height=600, region_id=region),
                        key="map_current")
        st.markdown(results.legend_html(classes, ui.lang()), unsafe_allow_html=True)
        grid_note(path, version, region_id=region)
    with right:
        summary = services.store_overview(path, version)["summary"]
        name = "name_zh" if ui.lang() == "zh" else "name_en"
        st.dataframe(summary[[name, "parcels", "area_ha"]].rename(columns={
            name: ui.t("class"), "parcels": ui.t("n_cells_col"), "area_ha": ui.t("area_ha")}),
            hide_index=True, width="stretch",
            column_config={ui.t("n_cells_col"): st.column_config.NumberColumn(format="localized"),
                           ui.t("area_ha"): st.column_config.NumberColumn(format="%.0f")})
