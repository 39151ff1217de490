"""Data page: what the parcel store holds, its map, and where the coefficients come from."""

from __future__ import annotations

import streamlit as st

from dashboard import services, ui
from dashboard.components import maps, panels, results, upload
from data.paths import store_dir

path = ui.store_path()
version = services.store_version(path)
overview = services.store_overview(path, version)
meta, summary, regions = overview["meta"], overview["summary"], overview["regions"]
name_col = "name_zh" if ui.lang() == "zh" else "name_en"

st.title(f"{ui.t('data_title')} · {meta.get(name_col, '')}")
if meta.get("synthetic") == "true":
    st.info(ui.t("synthetic_badge"))
tiles = st.columns(4)
tiles[0].metric(ui.t("n_parcels"), f"{int(meta['n_parcels']):,}")
tiles[1].metric(ui.t("n_regions"), len(regions))
tiles[2].metric(ui.t("total_area"), f"{summary['area_ha'].sum():,.0f} ha")
tiles[3].metric(ui.t("crs"), meta["crs"])
st.caption(f"{ui.t('source')}: {meta.get('source', '–')} · {ui.t('version')}: {version}")

left, right = st.columns([1.1, 1])
with left:
    st.subheader(ui.t("store_map"))
    if panels.image_maps(path, version):  # a grid or many parcels: one image, not polygons
        codes = panels.store_cells(path, version)["land_use"].to_numpy()
        deck = panels.grid_landuse_deck(path, version, codes, overview["classes"], "landuse",
                                        width_px=600, height_px=480, height=520)
    else:
        frame = services.map_frame(path, version)
        colors = dict(zip(summary["code"],
                          (maps.hex_to_rgba(c) for c in overview["classes"]["color"]), strict=True))
        layer = maps.landuse_layer(frame, maps.color_column(frame["land_use"].to_numpy(), colors),
                                   "landuse")
        deck = maps.build_deck([layer], maps.view_state(frame["lon"], frame["lat"], 600, 480),
                               "{parcel_id} · {region} · {area_ha} ha")
    st.pydeck_chart(deck, height=520)
    if panels.image_maps(path, version):
        st.markdown(results.legend_html(overview["classes"], ui.lang()), unsafe_allow_html=True)
        panels.grid_note(path, version)
with right:
    st.subheader(ui.t("classes_table"))
    shown = summary[["code", name_col, "parcels", "area_ha", "basic_farmland_ha", "red_line_ha",
                     "urban_boundary_ha"]]
    st.dataframe(shown, hide_index=True, width="stretch")
    st.subheader(ui.t("regions_table"))
    st.dataframe(regions[["region_id", "name_zh", "name_en", "population"]], hide_index=True,
                 width="stretch")
st.subheader(ui.t("coefficients_table"))
st.dataframe(services.coefficients().sources(), hide_index=True, width="stretch")

st.divider()
st.subheader(ui.t("upload_title"))
st.caption(ui.t("upload_help"))
if ui.read_only():
    st.info(ui.t("read_only"))
else:
    done = st.session_state.pop("upload_done", None)
    if done is not None:  # the rerun after an import: the sidebar is on the new store now
        st.success(ui.t("upload_done", name=done))
        with st.expander(ui.t("up_report")):
            st.code(st.session_state.pop("upload_report", ""))
    imported = upload.upload_section(store_dir(), ui.t, ui.lang())
    if imported is not None:
        # ui.sidebar_header moves the store picker at the start of the next run: a widget's
        # own state can only be set before the widget is drawn.
        st.session_state["store_switch"] = imported.stem
        st.session_state["upload_done"] = imported.stem
        st.session_state.pop("shown", None)
        st.rerun()
