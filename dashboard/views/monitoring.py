"""Monitoring page (监测评估, issue 16): a stored land survey held against the base map and a
saved plan — suspected violations by type (tiles, map, the largest patches), progress per
region with traffic lights, the plan's targets, downloads, and the import of a new survey."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import services
from dashboard.components import grid_maps, maps, panels
from dashboard.components import monitoring as mon
from dashboard.components.library_panel import file_stem, md_text
from dashboard.components.upload import RASTER_TYPES, VECTOR_TYPES, safe_file_name
from dashboard.components.validation import legend_html
from dashboard.page import PageContext, page_context
from data import library
from data.errors import DataImportError
from data.exports import MIME
from data.monitoring.survey import import_survey, list_surveys
from data.paths import REPO_ROOT

#: Region names and traffic lights kept on one line (CJK text breaks between any two characters).
TABLE_CSS = ("<style>.st-key-mon_lights tr>*:nth-child(-n+2) p,"
             ".st-key-mon_numbers tr>*:nth-child(-n+2) p{white-space:nowrap}</style>")
MAP_WIDTH, MAP_HEIGHT = 540, 560  # half the main column at 1280–1400 px
TOP_CHOICES = (20, 50, 100, 500)
PENDING, DONE = "mon_survey_pending", "mon_upload_message"  # a survey just imported
DOWNLOADS = (("mon_dl_gpkg", ".gpkg"), ("mon_dl_xlsx", ".xlsx"), ("mon_dl_html", ".html"))


def page(ctx: PageContext) -> None:
    """Pickers, then the findings of the survey against the plan; the survey import last."""
    t = ctx.t
    st.title(f"{t('page_monitoring')} · {ctx.store_title}")
    st.caption(t("mon_intro"))
    if DONE in st.session_state:  # the run after a survey import
        st.success(st.session_state.pop(DONE))
    stored = _stored(ctx)
    if stored is not None:
        surveys, plans = stored
        if surveys.empty:
            st.info(t("mon_no_survey"))
            st.code(mon.COMMAND.format(db=ctx.path), language="bash")
        elif plans.empty:
            st.info(t("mon_no_plan"))
        else:
            report = _report(ctx, surveys, plans)
            if report is not None:
                _findings(ctx, report)
    st.divider()
    _upload(ctx)


# ---- choosing what to compare ------------------------------------------------------------

def _stored(ctx: PageContext) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The store's surveys and saved plans (None after an error message)."""
    try:
        return list_surveys(ctx.path), library.list_scenarios(ctx.path)
    except (DataImportError, library.LibraryError) as exc:
        st.error(ctx.t("mon_list_failed", reason=md_text(exc)))
        return None


def _report(ctx: PageContext, surveys: pd.DataFrame, plans: pd.DataFrame):
    """The comparison of the picked survey and plan, or None after a clear message."""
    choice = _pick(ctx, surveys, plans)
    if choice is None:
        return None
    try:
        with st.spinner(ctx.t("mon_computing")):
            return mon.cached_report(ctx.path, ctx.version, choice)
    except DataImportError as exc:
        _error(ctx, exc.problem, exc.fix)
    except library.LibraryError as exc:
        st.error(md_text(exc))
    return None


def _error(ctx: PageContext, problem: str, fix: str) -> None:
    t = ctx.t
    st.error(f"**{t('mon_err_title')}**：{md_text(problem)}\n\n{t('mon_err_fix')}：{md_text(fix)}"
             if ctx.lang == "zh" else
             f"**{t('mon_err_title')}**: {md_text(problem)}\n\n{t('mon_err_fix')}: {md_text(fix)}")


def _pick(ctx: PageContext, surveys: pd.DataFrame, plans: pd.DataFrame) -> mon.Choice | None:
    """Survey, plan and (for a single-period plan) its years; None when the years are out of
    order (said on the page)."""
    t = ctx.t
    survey_rows = surveys.set_index("name", drop=False)
    plan_rows = plans.set_index("name", drop=False)
    if st.session_state.get(PENDING) in survey_rows.index:  # just imported: show it
        st.session_state["mon_survey"] = st.session_state.pop(PENDING)
    # labels worded now: a format function runs again outside this run (its language unknown)
    survey_labels = {n: mon.survey_label(row, t) for n, row in survey_rows.iterrows()}
    plan_labels = {n: mon.plan_label(row, t) for n, row in plan_rows.iterrows()}
    columns = st.columns([1.4, 1.4, 0.7, 0.7])
    survey = columns[0].selectbox(t("mon_pick_survey"), list(survey_labels),
                                  format_func=survey_labels.__getitem__, key="mon_survey")
    plan = columns[1].selectbox(t("mon_pick_plan"), list(plan_labels),
                                format_func=plan_labels.__getitem__, key="mon_plan")
    s_row, p_row = survey_rows.loc[survey], plan_rows.loc[plan]
    _stale_warnings(ctx, s_row, p_row)
    choice = mon.Choice(str(survey), str(s_row["imported_at"]), str(plan), str(p_row["saved_at"]),
                        surveys_changed=mon.surveys_changed(ctx.path))
    if p_row["kind"] == "periods":
        return choice
    base, target = _years(ctx, columns[2:], str(survey), int(s_row["year"]))
    problem = mon.year_problem(base, target, int(s_row["year"]))
    if problem is not None:
        key, fix, values = problem
        _error(ctx, t(key, **values), t(fix))
        return None
    return dataclasses.replace(choice, base_year=base, plan_year=target)


def _years(ctx: PageContext, columns: list, survey: str, survey_year: int) -> tuple[int, int]:
    """Base and target year of a single-period plan (defaults from the survey's year; kept
    per survey)."""
    t = ctx.t
    base, target = mon.default_years(survey_year)
    base = columns[0].number_input(t("mon_base_year"), 1900, 2200, base, step=1,
                                   help=t("mon_years_help"), key=f"mon_base:{survey}")
    target = columns[1].number_input(t("mon_plan_year"), 1900, 2200, target, step=1,
                                     help=t("mon_years_help"), key=f"mon_target:{survey}")
    return int(base), int(target)


def _stale_warnings(ctx: PageContext, survey: pd.Series, plan: pd.Series) -> None:
    if bool(survey["stale"]):
        st.warning(ctx.t("mon_stale_survey", name=md_text(survey["name"])))
    if bool(plan["stale"]):
        st.warning(ctx.t("mon_stale_plan", name=md_text(plan["name"])))


# ---- the findings ------------------------------------------------------------------------

def _findings(ctx: PageContext, report) -> None:
    """Headline, tiles, map beside the traffic lights, the largest patches, the tables and
    the downloads."""
    t = ctx.t
    st.markdown(md_text(mon.held_line(report, t)))
    scope = _filters(ctx, report)
    with st.container(border=True, key="mon_headline"):
        st.markdown(f"#### {mon.headline(report, scope, t, ctx.lang)}")
        st.caption(t("mon_caution"))
    _tiles(ctx, report, scope)
    st.html(TABLE_CSS)
    left, right = st.columns([1, 1])
    with left:
        _map(ctx, report, scope)
    with right, st.container(key="mon_lights"):
        _lights(ctx, report, scope)
    _patches(ctx, report, scope)
    _region_numbers(ctx, report, scope)
    _details(ctx, report, scope)
    _downloads(ctx, report)


def _filters(ctx: PageContext, report) -> mon.Scope:
    t = ctx.t
    types = {k: t(f"mon_type_{k}") for k in mon.checked_types(report)}
    regions = {None: t("mon_all_regions"), **mon.region_names(report, ctx.lang)}
    left, right = st.columns([2.2, 1])
    picked = left.multiselect(t("mon_filter_types"), list(types), default=list(types),
                              format_func=types.__getitem__, key="mon_types")
    region = right.selectbox(t("mon_filter_region"), list(regions),
                             format_func=regions.__getitem__, key="mon_region")
    if not picked:
        st.warning(t("mon_no_types"))
    return mon.Scope(tuple(k for k in types if k in picked), region)


def _tiles(ctx: PageContext, report, scope: mon.Scope) -> None:
    t = ctx.t
    if scope.region_id is not None:
        st.caption(t("mon_scope_region", region=md_text(
            mon.region_names(report, ctx.lang)[scope.region_id])))
    st.markdown(f"**{t('mon_tiles_violations')}**")
    _tile_row(mon.type_tiles(report, scope, t), len(mon.VIOLATION_TYPES))
    for sentence in mon.unchecked_sentences(report, t):
        st.caption(sentence)
    st.markdown(f"**{t('mon_tiles_plan')}**")
    _tile_row(mon.plan_tiles(report, scope, t, ctx.lang), len(mon.VIOLATION_TYPES))


def _tile_row(tiles: list[mon.Tile], width: int) -> None:
    if not tiles:
        return
    for column, tile in zip(st.columns(max(width, len(tiles))), tiles, strict=False):
        column.metric(tile.label, tile.value, tile.detail, delta_color="off", delta_arrow="off",
                      help=tile.help)


def _map(ctx: PageContext, report, scope: mon.Scope) -> None:
    """Violations (or deviations) over the muted survey map: one image on a grid or for many
    parcels, polygons with tooltips otherwise; circles around the largest patches."""
    t = ctx.t
    modes = {m: t(f"mon_map_{m}") for m in ("violations", "deviations")}
    mode = st.radio(t("mon_map_mode"), list(modes), horizontal=True,
                    format_func=modes.__getitem__, key="mon_map_mode")
    deviations = mode == "deviations"
    st.markdown(f"**{t('mon_map_deviation_title' if deviations else 'mon_map_title')}**")
    build = mon.deviation_values if deviations else mon.violation_values
    values, palette = build(report, scope)
    markers = mon.marker_frame(report, scope, t, ctx.lang) if not deviations else None
    lon, lat = mon.view_bounds(report, scope)
    view, height = maps.fitted_view(lon, lat, MAP_WIDTH, MAP_HEIGHT)
    layers = ([_image_layer(ctx, values, palette)]
              if panels.image_maps(ctx.path, ctx.version)
              else [_polygon_layer(ctx, report, scope, values, palette, deviations)])
    if markers is not None and len(markers):
        layers.append(mon.marker_layer(markers))
    deck = maps.build_deck(layers, view, "<b>{title}</b><br/>{detail}", height=height)
    st.pydeck_chart(deck, key="mon_map", height=height)
    st.markdown(legend_html(mon.legend_rows(scope, deviations, t), ctx.lang),
                unsafe_allow_html=True)
    unit = mon.unit_word(report, t)
    st.caption(t("mon_map_deviation_note", unit=unit) if deviations
               else t("mon_map_base_note", n=len(markers)))


def _image_layer(ctx: PageContext, values: np.ndarray, palette) -> object:
    url = services.grid_bitmap(ctx.path, ctx.version, values, palette)
    return grid_maps.bitmap_layer(url, services.grid_canvas(ctx.path, ctx.version).corners,
                                  "monitoring")


def _polygon_layer(ctx: PageContext, report, scope: mon.Scope, values: np.ndarray, palette,
                   deviations: bool) -> object:
    frame = services.map_frame(ctx.path, ctx.version)
    rows = frame["row"].to_numpy()
    findings = mon.parcel_findings(report, scope, ctx.t, ctx.lang, deviations)
    names = mon.region_names(report, ctx.lang)
    extra = {"title": [f"#{p} · {names.get(int(r), '')}" for p, r in
                       zip(frame["parcel_id"], frame["region_id"], strict=True)],
             "detail": [findings[r] for r in rows]}
    colors = [list(palette[v]) for v in values[rows]]
    return maps.landuse_layer(frame, colors, "monitoring", extra, tooltips=True)


def _lights(ctx: PageContext, report, scope: mon.Scope) -> None:
    """The traffic lights per region and of the plan's targets, with their reasons."""
    t = ctx.t
    st.markdown(f"**{t('mon_regions_title')}**")
    columns = [t(f"mon_col_{c}") for c in ("region", "status", "reason", "realised", "elapsed")]
    table = mon.region_table(report, scope, t, ctx.lang)[columns]
    st.table(mon.styled_table(table, t("mon_col_status"), columns[-2:]))
    st.caption(t("mon_regions_caption"))
    st.markdown(f"**{t('mon_targets_title')}**")
    targets = mon.progress_table(report, scope, "target", t, ctx.lang)
    if targets.empty:
        st.caption(t("mon_targets_none"))
        return
    shown = [t(f"mon_col_{c}") for c in ("target", "status", "reason", "realised", "elapsed")]
    st.table(mon.styled_table(targets[shown], t("mon_col_status"), shown[-2:]))


def _patches(ctx: PageContext, report, scope: mon.Scope) -> None:
    """The largest suspected violations (top 20 by default)."""
    t = ctx.t
    st.subheader(t("mon_patches_title"))
    total = len(mon.scoped_patches(report, scope))
    if total == 0:
        st.info(t("mon_patches_none"))
        return
    left, right = st.columns([1, 5])
    top = left.selectbox(t("mon_patches_top"), TOP_CHOICES, key="mon_top")
    right.caption(t("mon_patches_caption", n=f"{total:,}"))
    table = mon.patch_table(report, scope, t, ctx.lang, top)
    area, lon, lat = t("mon_col_area"), t("mon_col_lon"), t("mon_col_lat")
    st.dataframe(table, hide_index=True, width="stretch", key="mon_patch_table",
                 column_config={area: st.column_config.NumberColumn(format="%.2f"),
                                lon: st.column_config.NumberColumn(format="%.5f"),
                                lat: st.column_config.NumberColumn(format="%.5f")})


def _region_numbers(ctx: PageContext, report, scope: mon.Scope) -> None:
    """Per region: suspected parcels and area, cropland deficit, deviations' areas."""
    t = ctx.t
    unit = mon.unit_word(report, t)
    st.subheader(t("mon_regions_numbers"))
    keys = ("region", "status", "violations", "violations_ha", "deficit", "as_planned",
            "not_realised", "unplanned")
    columns = [t(f"mon_col_{c}", unit=unit) for c in keys]
    table = mon.region_table(report, scope, t, ctx.lang)[columns]
    st.container(key="mon_numbers").table(mon.styled_table(table, t("mon_col_status"), []))


def _details(ctx: PageContext, report, scope: mon.Scope) -> None:
    """Every target and planned class area with its numbers (an expander)."""
    t = ctx.t
    with st.expander(t("mon_progress_title")):
        for kind in ("target", "plan"):
            table = mon.progress_table(report, scope, kind, t, ctx.lang)
            if table.empty:
                continue
            st.markdown(f"**{t(f'mon_kind_{kind}')}**")
            percent = [t("mon_col_realised"), t("mon_col_elapsed")]
            st.table(mon.styled_table(table, t("mon_col_status"), percent))


def _downloads(ctx: PageContext, report) -> None:
    """GeoPackage of the suspected violations, the Excel workbook, the HTML briefing; each
    built when its button is pressed."""
    from data.monitoring.exports import export_bytes

    t = ctx.t
    st.subheader(t("mon_downloads"))
    stem = file_stem(f"{report.survey_name}_{report.plan_name}")
    for column, (label, suffix) in zip(st.columns(len(DOWNLOADS)), DOWNLOADS, strict=True):
        column.download_button(
            t(label), data=lambda s=suffix: export_bytes(report, ctx.path, s, ctx.lang),
            file_name=f"{stem}_monitoring{suffix}", mime=MIME[suffix], key=f"mon_dl{suffix}",
            on_click="ignore")
    st.caption(t("mon_dl_note"))


# ---- importing a survey ------------------------------------------------------------------

def _upload(ctx: PageContext) -> None:
    """Import a survey file onto this store (only where the session may save)."""
    t = ctx.t
    with st.expander(t("mon_upload_title")):
        if ctx.read_only:
            st.info(t("mon_upload_read_only"))
            return
        st.caption(t("mon_upload_help"))
        uploaded = st.file_uploader(t("mon_upload_file"), type=[*RASTER_TYPES, *VECTOR_TYPES],
                                    key="mon_upload")
        if uploaded is None:
            return
        with st.form("mon_upload_form", border=False):
            columns = st.columns([1, 2, 1])
            year = columns[0].number_input(t("mon_upload_year"), 1900, 2200, _year_guess(
                uploaded.name), step=1)
            name = columns[1].text_input(t("mon_upload_name"), value=Path(uploaded.name).stem)
            replace = columns[2].checkbox(t("mon_upload_replace"))
            if st.form_submit_button(t("mon_upload_button"), type="primary"):
                _import(ctx, uploaded, int(year), name, replace)


def _year_guess(file_name: str) -> int:
    """A four-digit year in the file's name (``wh2010_refy.tif`` → 2010), else this year."""
    import re
    from datetime import date

    found = re.findall(r"(?<!\d)(19\d\d|20\d\d|21\d\d)(?!\d)", file_name)
    return int(found[0]) if found else date.today().year


def _store_mapping(ctx: PageContext) -> Path | None:
    """The mapping file the store was imported with (beside the store or among the
    project's mappings); None: the survey uses the store's own class codes."""
    name = Path(str(ctx.overview["meta"].get("mapping", "") or "")).name
    for folder in (Path(ctx.path).parent, REPO_ROOT / "data" / "mappings"):
        if name and (folder / name).is_file():
            return folder / name
    return None


def _import(ctx: PageContext, uploaded, year: int, name: str, replace: bool) -> None:
    t = ctx.t
    with tempfile.TemporaryDirectory(prefix="landalloc-survey-") as folder:
        path = Path(folder) / safe_file_name(uploaded.name)
        path.write_bytes(uploaded.getbuffer())
        try:
            with st.spinner(t("mon_computing")):
                report = import_survey(ctx.path, path, _store_mapping(ctx), year, name, replace)
        except DataImportError as exc:
            _error(ctx, exc.problem, exc.fix)
            return
    # the survey picker shows the new survey on the next run (a drawn widget's state is fixed)
    st.session_state[PENDING] = report.name
    st.session_state[DONE] = t("mon_upload_done", name=md_text(report.name),
                               n=f"{report.n_parcels:,}", unit=t("mon_unit_parcels"),
                               missing=f"{report.n_missing:,}")
    st.rerun()


page(page_context())
