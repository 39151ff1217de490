"""Data page: what the parcel store holds, its map, where the coefficients come from, the
change validation reports (issue 13), and the upload of one's own parcels or land-cover raster."""

from __future__ import annotations

import streamlit as st

from dashboard import services
from dashboard.components import maps, panels, results, upload, validation
from dashboard.page import PageContext, page_context
from data.paths import store_dir


def page(ctx: PageContext) -> None:
    """Store summary and map beside its class and region tables, the change validation
    reports, then the upload section."""
    t, meta = ctx.t, ctx.overview["meta"]
    st.title(f"{t('data_title')} · {ctx.store_title}")
    if meta.get("synthetic") == "true":
        st.info(t("synthetic_badge"))
    _tiles(ctx)
    left, right = st.columns([1.1, 1])
    with left:
        st.subheader(t("store_map"))
        _store_map(ctx)
    with right:
        _tables(ctx)
    st.subheader(t("coefficients_table"))
    st.dataframe(services.coefficients().sources(), hide_index=True, width="stretch")
    st.divider()
    validation.validation_section(store_dir() / "validation", ctx.t, ctx.lang)
    st.divider()
    _upload(ctx)


def _tiles(ctx: PageContext) -> None:
    t, meta, summary = ctx.t, ctx.overview["meta"], ctx.overview["summary"]
    tiles = st.columns(4)
    tiles[0].metric(t("n_parcels"), f"{int(meta['n_parcels']):,}")
    tiles[1].metric(t("n_regions"), len(ctx.overview["regions"]))
    tiles[2].metric(t("total_area"), t("area_ha_value", value=f"{summary['area_ha'].sum():,.0f}"))
    tiles[3].metric(t("crs"), meta["crs"])
    st.caption(f"{t('source')}: {meta.get('source', '–')} · {t('version')}: {ctx.version}")


def _store_map(ctx: PageContext) -> None:
    """The current land use: one image for a grid or many parcels, polygons otherwise."""
    path, version, classes = ctx.path, ctx.version, ctx.classes
    image = panels.image_maps(path, version)
    if image:
        codes = panels.store_cells(path, version)["land_use"].to_numpy()
        deck = panels.grid_landuse_deck(path, version, codes, classes, "landuse",
                                        width_px=600, height_px=480, height=520)
    else:
        frame = services.map_frame(path, version)
        colors = dict(zip(ctx.overview["summary"]["code"],
                          (maps.hex_to_rgba(c) for c in classes["color"]), strict=True))
        layer = maps.landuse_layer(frame, maps.color_column(frame["land_use"].to_numpy(), colors),
                                   "landuse")
        deck = maps.build_deck([layer], maps.view_state(frame["lon"], frame["lat"], 600, 480),
                               "{parcel_id} · {region} · {area_ha} ha")
    st.pydeck_chart(deck, height=520)
    if image:
        st.markdown(results.legend_html(classes, ctx.lang), unsafe_allow_html=True)
        panels.grid_note(path, version)


def _tables(ctx: PageContext) -> None:
    """The class and region tables with headers in the page's language."""
    t = ctx.t
    name_column = "name_zh" if ctx.lang == "zh" else "name_en"
    st.subheader(t("classes_table"))
    columns = ["code", name_column, "parcels", "area_ha", "basic_farmland_ha", "red_line_ha",
               "urban_boundary_ha"]
    labels = {"code": t("col_code"), name_column: t("col_class"), "parcels": t("n_parcels"),
              "area_ha": t("area_ha"), "basic_farmland_ha": t("col_basic_farmland_ha"),
              "red_line_ha": t("col_red_line_ha"),
              "urban_boundary_ha": t("col_urban_boundary_ha")}
    st.dataframe(ctx.overview["summary"][columns], hide_index=True, width="stretch",
                 column_config=labels)
    st.subheader(t("regions_table"))
    columns = ["region_id", "name_zh", "name_en", "population"]
    st.dataframe(ctx.overview["regions"][columns], hide_index=True, width="stretch",
                 column_config={c: t(f"col_{c}") for c in columns})


def _upload(ctx: PageContext) -> None:
    """Import one's own data as a new store and switch to it."""
    t = ctx.t
    st.subheader(t("upload_title"))
    st.caption(t("upload_help"))
    if ctx.read_only:
        st.info(t("read_only"))
        return
    done = st.session_state.pop("upload_done", None)
    if done is not None:  # the rerun after an import: the sidebar is on the new store now
        st.success(t("upload_done", name=done))
        with st.expander(t("up_report")):
            st.code(st.session_state.pop("upload_report", ""))
    imported = upload.upload_section(store_dir(), t, ctx.lang)
    if imported is not None:
        # ui.sidebar_header moves the store picker at the start of the next run: a widget's
        # own state can only be set before the widget is drawn.
        st.session_state["store_switch"] = imported.stem
        st.session_state["upload_done"] = imported.stem
        st.session_state.pop("shown", None)
        st.rerun()


page(page_context())
