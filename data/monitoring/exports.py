"""Exports of a monitoring report (监测评估) for enforcement and briefing.

Three formats, chosen by the file suffix (:func:`write_export`, :func:`export_bytes`):

``.gpkg``
    Layer :data:`LAYER`: one MultiPolygon feature per patch of suspected violations
    (``report.patches``: connected suspected parcels of one type), in the store's metric CRS.
    Grid stores trace one patch-label raster per violation type on the cell grid (types may
    overlap) — no polygon per cell is ever built; parcel stores dissolve their parcels per
    patch. Field names are stable ASCII (GIS users script against them); the labels in them
    are in the chosen language::

        patch_id type type_label region_id region_zh region_en area_ha n_parcels
        base_code base_key base_class survey_code survey_key survey_class lon lat
        survey_name survey_year plan_name base_year plan_year

    No suspected violations still gives a valid layer with this schema and zero features.
``.xlsx``
    Sheets summary, regions, progress, suspected violations (every patch, largest first) and
    indicators, with sheet names and column headers in the chosen language.
``.html``
    The plan's briefing (:mod:`data.report`, from the scenario library) with the monitoring
    section (:func:`render_monitoring_section`) after its header; a page with the section
    alone when the plan is not in the library.

Every file is written through a temporary file and moved into place, so a failed export
leaves no half-written file and keeps an existing one.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from markupsafe import Markup

import wording
from data import store
from data.db import connect, query_df
from data.exports import ExportError, _atomic, _write_workbook
from data.grid import GridSpec, label_polygons
from data.monitoring.compare import DEVIATIONS, STATUSES, TYPE_COLORS, VIOLATION_TYPES, MonitoringReport

SUFFIXES = (".gpkg", ".xlsx", ".html")
LANGS = ("zh", "en")
LAYER = "suspected_violations"
TOP_PATCHES = 20
M2_PER_HA = 10_000.0
FIELDS = {"patch_id": "int64", "type": "str", "type_label": "str", "region_id": "int64",
          "region_zh": "str", "region_en": "str", "area_ha": "float64", "n_parcels": "int64",
          "base_code": "int64", "base_key": "str", "base_class": "str", "survey_code": "int64",
          "survey_key": "str", "survey_class": "str", "lon": "float64", "lat": "float64",
          "survey_name": "str", "survey_year": "int64", "plan_name": "str",
          "base_year": "int64", "plan_year": "int64"}


def _t(key: str, lang: str, **values: object) -> str:
    return wording.translate(key, lang, **values)


# -- GeoPackage ---------------------------------------------------------------------------------
def patch_frame(report: MonitoringReport, store_path: str | Path,
                lang: str = "zh") -> gpd.GeoDataFrame:
    """One row per suspected-violation patch with its polygon (the GeoPackage layer).

    Parameters
    ----------
    report : MonitoringReport
        From :func:`data.monitoring.compare.monitor` on ``store_path``.
    store_path : str or Path
        The store the report was made on (its geometry and CRS).
    lang : {'zh', 'en'}
        Language of ``type_label`` and the class names.

    Returns
    -------
    GeoDataFrame
        Columns :data:`FIELDS` and a (multi)polygon per patch in the store's metric CRS, in
        ``report.patches`` order (largest first).

    Raises
    ------
    ExportError
        The report was made on another store (or before the store was rebuilt).
    """
    geometry, crs = patch_geometries(report, store_path)
    return gpd.GeoDataFrame(patch_attributes(report, lang), geometry=geometry, crs=crs)


def patch_attributes(report: MonitoringReport, lang: str) -> pd.DataFrame:
    """The attribute table of the patches (:data:`FIELDS`), labels in ``lang``."""
    p = report.patches
    classes = report.classes.set_index("code")
    name = "name_zh" if lang == "zh" else "name_en"
    frame = pd.DataFrame({
        "patch_id": p["patch_id"], "type": p["type"],
        "type_label": [_t(f"mon_type_{kind}", lang) for kind in p["type"]],
        "region_id": p["region_id"], "region_zh": p["region_zh"],
        "region_en": [_region_name(zh, en, "en")
                      for zh, en in zip(p["region_zh"], p["region_en"], strict=True)],
        "area_ha": p["area_ha"], "n_parcels": p["n_parcels"],
        "base_code": p["base"], "base_key": p["base"].map(classes["key"]),
        "base_class": p["base"].map(classes[name]),
        "survey_code": p["survey"], "survey_key": p["survey"].map(classes["key"]),
        "survey_class": p["survey"].map(classes[name]),
        "lon": p["lon"], "lat": p["lat"], "survey_name": report.survey_name,
        "survey_year": report.survey_year, "plan_name": report.plan_name,
        "base_year": report.base_year, "plan_year": report.plan_year})
    return frame[list(FIELDS)].astype(FIELDS).reset_index(drop=True)


def patch_geometries(report: MonitoringReport, store_path: str | Path
                     ) -> tuple[np.ndarray, str]:
    """Metric (multi)polygon of each patch in ``report.patches`` order, and the store's CRS.

    A grid store's patches are traced on the cell grid and then cut back where a cell is
    smaller than its square (the raster's edge, nodata inside a cell), so each polygon's area
    is the patch's ``area_ha``; a parcel store's parcels are dissolved per patch.
    """
    con = connect(store_path)
    try:
        crs = store.read_meta(con)["crs"]
        if report.grid is not None:
            cells = query_df(con, "SELECT parcel_id, area_ha, grid_row, grid_col, geom_wkb "
                                  "FROM parcels ORDER BY parcel_id")
        else:
            cells = store.read_parcels(con, with_geometry=True, wgs84=False)
    finally:
        con.close()
    check_same_store(report, cells["parcel_id"].to_numpy(), cells["area_ha"].to_numpy())
    members = report.violations[["parcel_id", "type", "patch_id"]].merge(
        cells.drop(columns="area_ha"), on="parcel_id")
    shapes = (_grid_shapes(members, report.grid) if report.grid is not None
              else _dissolved(members))
    return np.array([shapes[int(p)] for p in report.patches["patch_id"]], dtype=object), crs


def check_same_store(report: MonitoringReport, parcel_ids: np.ndarray,
                     area_ha: np.ndarray) -> None:
    """Raise :class:`ExportError` unless the store's parcels (ids and areas, in id order) are
    the report's."""
    ours = report.parcels
    same = (len(ours) == len(parcel_ids)
            and np.array_equal(ours["parcel_id"].to_numpy(dtype=np.int64), parcel_ids)
            and np.allclose(ours["area_ha"].to_numpy(dtype=float), area_ha))
    if not same:
        raise ExportError(
            f"the monitoring report's {len(ours):,} parcels are not this store's "
            f"{len(parcel_ids):,}: it was made on another store, or before this one was "
            "rebuilt — run the monitoring again on this store")


def _grid_shapes(members: pd.DataFrame, grid: GridSpec) -> dict[int, shapely.Geometry]:
    shapes: dict[int, shapely.Geometry] = {}
    for _, rows in members.groupby("type"):  # one raster per type: types may overlap
        labels = np.zeros(grid.cell_shape, dtype=np.int32)
        labels[rows["grid_row"].to_numpy(), rows["grid_col"].to_numpy()] = rows["patch_id"]
        shapes.update(label_polygons(labels, grid.cell_transform()))
    return _cut_to_cells(shapes, members, grid)


def _cut_to_cells(shapes: dict[int, shapely.Geometry], members: pd.DataFrame,
                  grid: GridSpec) -> dict[int, shapely.Geometry]:
    """Traced squares minus what the cells lack: beyond the raster's edge, and the part of a
    cell that nodata cuts away (kept as ``geom_wkb``)."""
    k, (rows, cols) = grid.block_pixels, grid.pixels.shape
    if rows % k or cols % k:  # the last row or column of cells is cut by the raster's edge
        t = grid.transform
        extent = shapely.box(t.c, t.f - rows * grid.pixel_m, t.c + cols * grid.pixel_m, t.f)
        shapes = {p: shapely.intersection(g, extent) for p, g in shapes.items()}
    cut = members[members["geom_wkb"].notna()]
    if len(cut):
        boxes = grid.cell_boxes(cut["grid_row"].to_numpy(), cut["grid_col"].to_numpy())
        lacking = shapely.difference(boxes, shapely.from_wkb(cut["geom_wkb"].map(bytes)))
        for patch, parts in pd.Series(lacking).groupby(cut["patch_id"].to_numpy()):
            shapes[int(patch)] = shapely.difference(shapes[int(patch)],
                                                    shapely.union_all(parts.to_numpy()))
    return shapes


def _dissolved(members: pd.DataFrame) -> dict[int, shapely.Geometry]:
    geometry = pd.Series(shapely.from_wkb(members["geom_wkb"].map(bytes).to_numpy()))
    grouped = geometry.groupby(members["patch_id"].to_numpy())
    return {int(patch): shapely.union_all(parts.to_numpy()) for patch, parts in grouped}


def _write_gpkg(frame: gpd.GeoDataFrame, path: Path) -> None:
    # one geometry type per layer, declared even when there is no feature to infer it from
    frame.to_file(path, layer=LAYER, driver="GPKG", engine="pyogrio",
                  geometry_type="MultiPolygon", promote_to_multi=True)


# -- workbook -----------------------------------------------------------------------------------
def workbook_sheets(report: MonitoringReport, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """The workbook's sheets by their names in ``lang``: summary, regions, progress,
    suspected violations (every patch, largest first), indicators."""
    return {_t("monrep_sheet_summary", lang): summary_sheet(report, lang),
            _t("monrep_sheet_regions", lang): regions_sheet(report, lang),
            _t("monrep_sheet_progress", lang): progress_sheet(report, lang),
            _t("monrep_sheet_patches", lang): patches_sheet(report, lang),
            _t("monrep_sheet_indicators", lang): indicators_sheet(report, lang)}


def _ha_header(what: str, lang: str) -> str:
    return _t("monrep_col_ha", lang, what=what)


def summary_sheet(report: MonitoringReport, lang: str) -> pd.DataFrame:
    """Item / value / unit rows: store, plan, survey, years, elapsed share, per-type counts and
    areas, deviation areas and the types not checked (with why)."""
    ha, count, year = (_t(f"monrep_unit_{u}", lang) for u in ("ha", "count", "year"))
    rows = [(_t("monrep_store", lang), report.store_name, ""),
            (_t("monrep_plan", lang), report.plan_name, "")]
    if report.plan_period:
        rows.append((_t("monrep_plan_period", lang), report.plan_period, ""))
    rows += [(_t("monrep_survey", lang), report.survey_name, ""),
             (_t("monrep_base_year", lang), report.base_year, year),
             (_t("monrep_survey_year", lang), report.survey_year, year),
             (_t("monrep_plan_year", lang), report.plan_year, year),
             (_t("monrep_elapsed", lang), round(100 * report.elapsed, 1), "%")]
    for kind, total in report.totals().items():
        label = _t(f"mon_type_{kind}", lang)
        rows += [(_t("monrep_type_patches", lang, type=label), total["patches"], count),
                 (_t("monrep_type_parcels", lang, type=label), total["parcels"], count),
                 (_t("monrep_type_area", lang, type=label), round(total["area_ha"], 4), ha)]
    for deviation, area in report.deviation_area().items():
        rows.append((_t("monrep_against_plan", lang, deviation=_t(f"mon_dev_{deviation}", lang)),
                     round(area, 4), ha))
    rows += [(_t("monrep_unchecked_item", lang, type=_t(f"mon_type_{kind}", lang)),
              unchecked_text(kind, zone, lang), "") for kind, zone in report.unchecked.items()]
    rows.append((_t("monrep_exported_at", lang),
                 datetime.now(UTC).isoformat(timespec="seconds"), ""))
    columns = [_t("monrep_item", lang), _t("monrep_value", lang), _t("monrep_unit", lang)]
    return pd.DataFrame(rows, columns=columns).astype(object)


def unchecked_text(kind: str, zone: str, lang: str) -> str:
    """Why a violation type was not checked: the zone the store lacks."""
    return _t("mon_unchecked", lang, type=_t(f"mon_type_{kind}", lang),
              zone=_t(f"mon_zone_{zone}", lang))


def _region_name(zh: object, en: object, lang: str) -> str:
    """A region's name in ``lang`` (the Chinese name where it has no English one)."""
    if lang == "en" and isinstance(en, str) and en.strip():
        return en
    return "" if zh is None or (isinstance(zh, float) and np.isnan(zh)) else str(zh)


def regions_sheet(report: MonitoringReport, lang: str) -> pd.DataFrame:
    """Per region (and a total row): violations per type (parcels, ha), deviation areas,
    cropland taken / gained / deficit, area and the worst progress status in words."""
    r = report.regions
    table = pd.DataFrame({_t("monrep_col_region", lang): [
        _region_name(zh, en, lang) for zh, en in zip(r["name_zh"], r["name_en"], strict=True)]})
    for kind in VIOLATION_TYPES:
        label = _t(f"mon_type_{kind}", lang)
        table[_t("monrep_col_n", lang, what=label)] = r[f"{kind}_n"].to_numpy()
        table[_ha_header(label, lang)] = r[f"{kind}_ha"].round(4).to_numpy()
    for deviation in DEVIATIONS:
        table[_ha_header(_t(f"mon_dev_{deviation}", lang), lang)] = (
            r[f"{deviation}_ha"].round(4).to_numpy())
    for key in ("taken", "gained", "deficit"):
        table[_ha_header(_t(f"monrep_cropland_{key}", lang), lang)] = (
            r[f"cropland_{key}_ha"].round(4).to_numpy())
    table[_ha_header(_t("monrep_region_area", lang), lang)] = r["area_ha"].round(4).to_numpy()
    table[_t("monrep_col_status", lang)] = [_t(f"mon_status_{s}", lang) for s in r["status"]]
    return pd.concat([table, _total_row(table, report, lang)], ignore_index=True)


def _total_row(table: pd.DataFrame, report: MonitoringReport, lang: str) -> pd.DataFrame:
    total = table.iloc[:, 1:-1].sum(numeric_only=True).round(4).to_dict()
    total[table.columns[0]] = _t("monrep_total", lang)
    total[table.columns[-1]] = _t(f"mon_status_{report.overall_status}", lang)
    return pd.DataFrame([total], columns=table.columns)


def progress_sheet(report: MonitoringReport, lang: str) -> pd.DataFrame:
    """Every target and planned class row: label, region, limits, base / plan / survey (ha),
    realised and elapsed (%), status and reason in words."""
    p = report.progress
    whole = _t("monrep_whole_area", lang)
    columns = {
        _t("monrep_col_kind", lang): [_t(f"mon_kind_{k}", lang) for k in p["kind"]],
        _t("monrep_col_target", lang): p["label_zh" if lang == "zh" else "label_en"].to_numpy(),
        _t("monrep_col_region", lang): [
            _region_name(zh, en, lang) or whole
            for zh, en in zip(p["region_zh"], p["region_en"], strict=True)],
    }
    for key, column in (("lo", "lo_ha"), ("hi", "hi_ha"), ("base", "base_ha"),
                        ("planned", "plan_ha"), ("surveyed", "survey_ha")):
        columns[_ha_header(_t(f"monrep_{key}", lang), lang)] = (
            pd.to_numeric(p[column]).round(4).to_numpy())
    for key, column in (("realised", "realised_pct"), ("time_elapsed", "elapsed_pct")):
        columns[_t("monrep_col_pct", lang, what=_t(f"monrep_{key}", lang))] = (
            pd.to_numeric(p[column]).round(1).to_numpy())
    columns[_t("monrep_col_status", lang)] = [_t(f"mon_status_{s}", lang) for s in p["status"]]
    columns[_t("monrep_col_reason", lang)] = [_t(f"mon_reason_{r}", lang) for r in p["reason"]]
    return pd.DataFrame(columns)


def patches_sheet(report: MonitoringReport, lang: str) -> pd.DataFrame:
    """Every suspected-violation patch, largest first, with class names and lon/lat."""
    a = patch_attributes(report, lang)
    return pd.DataFrame({
        _t("monrep_col_patch", lang): a["patch_id"],
        _t("monrep_col_type", lang): a["type_label"],
        _t("monrep_col_region", lang): a["region_zh" if lang == "zh" else "region_en"],
        _t("monrep_col_area", lang): a["area_ha"].round(4),
        _t("monrep_col_parcels", lang): a["n_parcels"],
        _t("monrep_col_base_class", lang): a["base_class"],
        _t("monrep_col_survey_class", lang): a["survey_class"],
        _t("monrep_col_lon", lang): a["lon"].round(6),
        _t("monrep_col_lat", lang): a["lat"].round(6)})


def indicators_sheet(report: MonitoringReport, lang: str) -> pd.DataFrame:
    """The indicator system on base, plan and survey, in the units the briefing shows."""
    from data.indicators import display_unit, display_value

    i = report.indicators
    keys, units = i["indicator"].astype(str), i["unit"].astype(str)
    table = pd.DataFrame({
        _t("monrep_col_indicator", lang): i["label_zh" if lang == "zh" else "label_en"],
        _t("monrep_unit", lang): [display_unit(k, u, lang) for k, u in zip(keys, units,
                                                                            strict=True)]})
    for word, column in (("base", "base"), ("planned", "plan"), ("surveyed", "survey")):
        table[_t(f"monrep_{word}", lang)] = [_significant(display_value(k, float(v)))
                                            for k, v in zip(keys, i[column], strict=True)]
    difference = table[_t("monrep_surveyed", lang)] - table[_t("monrep_planned", lang)]
    table[_t("monrep_survey_minus_plan", lang)] = difference.map(_significant)
    return table.reset_index(drop=True)


def _significant(value: float) -> float:
    """Six significant digits: no float noise (0.8099999…) in the sheet, and small values
    in large units (亿元) keep their digits."""
    return float(f"{value:.6g}")


# -- HTML ---------------------------------------------------------------------------------------
def _words(lang: str) -> dict[str, str]:
    """The section's fixed words (``monrep_*`` without the prefix)."""
    return {key.removeprefix("monrep_"): wording.translate(key, lang)
            for key in wording.TEXT if key.startswith("monrep_")}


def _num(value: object, digits: int = 2) -> str:
    """A number for reading: thousands separators, ``digits`` decimals, '–' when missing."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "–"
    if not np.isfinite(number):
        return "–"
    text = f"{number:,.{digits}f}"
    return text.removeprefix("-") if float(text.replace(",", "")) == 0 else text  # no "-0"


def _light(status: object) -> str:
    """A status as a CSS class suffix (only the three known lights reach the markup)."""
    return str(status) if status in STATUSES else "amber"


def _suspected_area(report: MonitoringReport, by_region: bool = False):
    """Area of parcels with any suspected violation (each parcel once)."""
    parcels = report.parcels
    flagged = parcels[parcels[list(VIOLATION_TYPES)].any(axis=1)]
    if by_region:
        return flagged.groupby("region_id")["area_ha"].sum()
    return float(flagged["area_ha"].sum())


def _kpis(report: MonitoringReport, lang: str) -> list[dict[str, str]]:
    deviation = report.deviation_area()
    off_track = int((report.progress["status"] == "red").sum())
    return [
        {"label": _t("monrep_kpi_patches", lang), "value": f"{len(report.patches):,}",
         "note": "", "css": "mon-red" if len(report.patches) else ""},
        {"label": _t("monrep_kpi_area", lang), "value": _num(_suspected_area(report)),
         "note": _t("monrep_kpi_area_note", lang), "css": ""},
        {"label": _t("monrep_kpi_off_track", lang), "value": f"{off_track:,}",
         "note": f"/ {len(report.progress):,}", "css": "mon-red" if off_track else ""},
        {"label": _t("monrep_kpi_deficit", lang),
         "value": _num(report.regions["cropland_deficit_ha"].sum()), "note": "", "css": ""},
        {"label": _t("monrep_kpi_realised", lang), "value": _num(deviation["as_planned"]),
         "note": "", "css": ""},
        {"label": _t("monrep_kpi_unplanned", lang), "value": _num(deviation["unplanned"]),
         "note": "", "css": ""},
    ]


def _type_rows(report: MonitoringReport, lang: str) -> list[dict[str, str]]:
    return [{"label": _t(f"mon_type_{kind}", lang), "patches": f"{total['patches']:,}",
             "parcels": f"{total['parcels']:,}", "area": _num(total["area_ha"]),
             "checked": kind not in report.unchecked}
            for kind, total in report.totals().items()]


def _deviation_rows(report: MonitoringReport, lang: str) -> list[tuple[str, str, str]]:
    areas = report.deviation_area()
    whole = sum(areas.values()) or 1.0
    return [(_t(f"mon_dev_{d}", lang), _num(a), _num(100 * a / whole, 1))
            for d, a in areas.items()]


REGION_COLUMNS = ("suspected", "taken", "gained", "deficit", "as_planned", "not_realised",
                  "unplanned")


def _region_head(lang: str) -> list[str]:
    """Headers of the region table's numbers (:data:`REGION_COLUMNS`), all in ha."""
    words = ([_t("monrep_kpi_area_each", lang)]
             + [_t(f"monrep_cropland_{k}", lang) for k in ("taken", "gained", "deficit")]
             + [_t(f"mon_dev_{d}", lang) for d in ("as_planned", "not_realised", "unplanned")])
    return [_ha_header(word, lang) for word in words]


def _region_rows(report: MonitoringReport, lang: str) -> list[dict[str, object]]:
    suspected = _suspected_area(report, by_region=True)
    rows = []
    for r in report.regions.to_dict("records"):
        values = {"suspected": suspected.get(r["region_id"], 0.0),
                  **{k: r[f"cropland_{k}_ha"] for k in ("taken", "gained", "deficit")},
                  **{d: r[f"{d}_ha"] for d in ("as_planned", "not_realised", "unplanned")}}
        rows.append({"name": _region_name(r["name_zh"], r["name_en"], lang),
                     "light": _light(r["status"]),
                     "status": _t(f"mon_status_{r['status']}", lang),
                     "cells": [_num(values[c]) for c in REGION_COLUMNS]})
    return rows


def _progress_rows(report: MonitoringReport, lang: str) -> list[dict[str, str]]:
    whole = _t("monrep_whole_area", lang)
    rows = []
    for r in report.progress.to_dict("records"):
        rows.append({"region": _region_name(r["region_zh"], r["region_en"], lang) or whole,
                     "kind": _t(f"mon_kind_{r['kind']}", lang),
                     "label": r["label_zh" if lang == "zh" else "label_en"],
                     "lo": _num(r["lo_ha"]), "hi": _num(r["hi_ha"]), "base": _num(r["base_ha"]),
                     "plan": _num(r["plan_ha"]), "survey": _num(r["survey_ha"]),
                     "realised": _num(r["realised_pct"], 0),
                     "elapsed": _num(r["elapsed_pct"], 0), "light": _light(r["status"]),
                     "status": _t(f"mon_status_{r['status']}", lang),
                     "reason": _t(f"mon_reason_{r['reason']}", lang)})
    return rows


def _top_patches(report: MonitoringReport, lang: str) -> list[dict[str, str]]:
    a = patch_attributes(report, lang).head(TOP_PATCHES)
    region = a["region_zh" if lang == "zh" else "region_en"]
    return [{"id": str(r.patch_id), "type": r.type_label, "region": region.iloc[i],
             "area": _num(r.area_ha), "parcels": f"{r.n_parcels:,}",
             "change": f"{r.base_class} → {r.survey_class}",
             "where": f"{r.lon:.5f}, {r.lat:.5f}"}
            for i, r in enumerate(a.itertuples(index=False))]


def _section_head(report: MonitoringReport, lang: str) -> dict[str, str]:
    return {"against": _t("monrep_against", lang, survey=report.survey_name,
                          survey_year=report.survey_year, plan=report.plan_name,
                          base_year=report.base_year, plan_year=report.plan_year),
            "period": (_t("monrep_period_note", lang, period=report.plan_period)
                       if report.plan_period else ""),
            "elapsed": _t("monrep_elapsed_note", lang, pct=_num(100 * report.elapsed, 0)),
            "top": _t("monrep_top_heading", lang, n=min(TOP_PATCHES, len(report.patches)),
                      total=len(report.patches))}


def violation_map(report: MonitoringReport, lang: str,
                  geometry: np.ndarray | None = None) -> dict | None:
    """The suspected violations as a map picture over the area, each in its type's colour (a
    parcel of several types in the first's), with its legend; None when neither a grid nor
    ``geometry`` (WGS 84, one per parcel of the report) is there to draw on."""
    from data.report import MAP_WIDTH, picture, svg_picture

    parcels = report.parcels
    cells = ((parcels["grid_row"].to_numpy(dtype=np.int64),
              parcels["grid_col"].to_numpy(dtype=np.int64))
             if report.grid is not None and "grid_row" in parcels else None)
    if cells is None and (geometry is None or len(geometry) != len(parcels)):
        return None
    layers = [np.ones(len(parcels), dtype=np.uint8)]  # the area, pale
    for i, kind in reversed(list(enumerate(VIOLATION_TYPES))):  # the first type drawn last
        layers.append(np.where(parcels[kind].to_numpy(dtype=bool), i + 2, 0).astype(np.uint8))
    palette = [(0, 0, 0, 0), (224, 224, 224, 255),
               *((*(int(TYPE_COLORS[k][j:j + 2], 16) for j in (1, 3, 5)), 255)
                 for k in VIOLATION_TYPES)]
    url, height = picture(layers, palette, grid=report.grid if cells else None, cells=cells,
                          geometry=None if cells else geometry)
    title = _t("monrep_map_title", lang)
    return {"svg": Markup(svg_picture(url, height, title)), "width": MAP_WIDTH,
            "legend": [(TYPE_COLORS[k], _t(f"mon_type_{k}", lang)) for k in VIOLATION_TYPES
                       if k not in report.unchecked]}


def render_monitoring_section(report: MonitoringReport, lang: str = "zh",
                              geometry: np.ndarray | None = None) -> str:
    """The monitoring as a self-contained HTML fragment (``<section>`` with its own styles).

    Headline numbers, suspected violations per type, the types not checked and why, area per
    deviation from the plan, regions and every target with traffic-light colours, and the
    :data:`TOP_PATCHES` largest patches. All text is escaped by the template (plan, survey,
    region and class names are user text).

    Parameters
    ----------
    report : MonitoringReport
        From :func:`data.monitoring.compare.monitor`.
    lang : {'zh', 'en'}
        Language of every label.

    Returns
    -------
    str
        HTML markup; no scripts, no external requests.
    """
    from data.report import render_template

    _check_lang(lang)
    return render_template(
        "monitoring_section.html.j2", t=_words(lang), head=_section_head(report, lang),
        kpis=_kpis(report, lang), vmap=violation_map(report, lang, geometry),
        types=_type_rows(report, lang),
        unchecked=[unchecked_text(k, z, lang) for k, z in report.unchecked.items()],
        deviations=_deviation_rows(report, lang), region_head=_region_head(lang),
        regions=_region_rows(report, lang),
        progress=_progress_rows(report, lang), top=_top_patches(report, lang))


def render_monitoring_report(report: MonitoringReport, store_path: str | Path,
                             lang: str = "zh") -> str:
    """A complete HTML briefing: the plan's briefing with the monitoring section after its
    header, or a page with the monitoring section alone when the plan is not in the library.

    Parameters
    ----------
    report : MonitoringReport
        From :func:`data.monitoring.compare.monitor` on ``store_path``.
    store_path : str or Path
        The store; its scenario library holds the plan (``report.plan_name``).
    lang : {'zh', 'en'}
        Language of the page.

    Returns
    -------
    str
        Self-contained HTML (inline CSS and SVG, no scripts).

    Raises
    ------
    ExportError
        The report was made on another store.
    """
    from data.report import CSS, render_report, render_template

    briefing = _plan_briefing(report, store_path)
    geometry = None
    if report.grid is None:  # a polygon store's map needs its parcels' WGS 84 polygons
        geometry = (briefing.geometry if briefing is not None and len(briefing.geometry)
                    else _wgs84_geometry(store_path))
    section = render_monitoring_section(report, lang, geometry)
    if briefing is not None:
        return render_report(briefing, lang, monitoring=section)
    title = _t("monrep_page_title", lang)
    return render_template(
        "monitoring_page.html.j2", lang_attr="zh-CN" if lang == "zh" else "en",
        css=Markup(CSS), title=title, name=report.plan_name, store=report.store_name,
        store_label=_t("monrep_store", lang), section=Markup(section),
        note=_t("monrep_no_briefing", lang, plan=report.plan_name),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")) + "\n"


def _wgs84_geometry(store_path: str | Path) -> np.ndarray:
    """A polygon store's simplified WGS 84 parcel polygons in parcel-id order."""
    con = connect(store_path)
    try:
        wkb = query_df(con, "SELECT geom_wgs84_wkb FROM parcels ORDER BY parcel_id")
    finally:
        con.close()
    return shapely.from_wkb([bytes(b) for b in wkb["geom_wgs84_wkb"]])


def _plan_briefing(report: MonitoringReport, store_path: str | Path):
    """The briefing data (:class:`data.report.ReportData`) of the saved plan, or None when the
    library does not have it or it no longer fits the store's parcels."""
    from data.exports import (
        ExportBundle,
        aligned_codes,
        bundle_indicators,
        is_grid_store,
        read_store_tables,
    )
    from data.indicators import transition_matrix
    from data.library import LibraryError, load_scenario
    from data.report import report_data

    # a grid store's briefing maps come from its grid: no polygon per cell (8 GB at 30 m)
    tables = read_store_tables(store_path, geometry=not is_grid_store(store_path))
    check_same_store(report, tables.parcel_ids, tables.parcels["area_ha"].to_numpy())
    try:
        bundle = ExportBundle.from_saved(store_path, load_scenario(store_path, report.plan_name))
        codes = aligned_codes(tables, bundle.assignment)
    except (LibraryError, ExportError):
        return None
    transitions = transition_matrix(tables.parcels, tables.classes, codes)
    return report_data(bundle, tables, codes, bundle_indicators(bundle, tables, codes),
                       transitions)


# -- entry points -------------------------------------------------------------------------------
def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ExportError(f"lang must be one of {LANGS}, got {lang!r}")


def _check_suffix(suffix: str) -> str:
    """``suffix`` lower-cased with its dot, or an :class:`ExportError` naming the formats."""
    suffix = suffix.lower()
    suffix = suffix if suffix.startswith(".") or not suffix else f".{suffix}"
    if suffix not in SUFFIXES:
        raise ExportError(f"cannot export a monitoring report as '{suffix}': use one of "
                          f"{', '.join(SUFFIXES)} (GeoPackage of suspected violations, Excel "
                          "workbook, HTML briefing)")
    return suffix


def write_export(report: MonitoringReport, store_path: str | Path, out_path: str | Path,
                 lang: str = "zh") -> Path:
    """Write the monitoring in the format ``out_path``'s suffix names (see the module docstring).

    Parameters
    ----------
    report : MonitoringReport
        From :func:`data.monitoring.compare.monitor` on ``store_path``.
    store_path : str or Path
        The store the report was made on (geometry, CRS, the plan's briefing).
    out_path : str or Path
        ``.gpkg``, ``.xlsx`` or ``.html``.
    lang : {'zh', 'en'}
        Language of labels, sheet names and column headers (GeoPackage field names stay ASCII).

    Returns
    -------
    Path
        The written file (complete, or not there at all: an existing file is kept when the
        export fails).

    Raises
    ------
    ExportError
        Another suffix, another language, or a report made on another store.
    """
    out_path = Path(out_path)
    suffix = _check_suffix(out_path.suffix)
    _check_lang(lang)
    if suffix == ".gpkg":
        frame = patch_frame(report, store_path, lang)
        return _atomic(out_path, lambda tmp: _write_gpkg(frame, tmp))
    if suffix == ".xlsx":
        sheets = workbook_sheets(report, lang)
        return _atomic(out_path, lambda tmp: _write_workbook(tmp, sheets))
    page = render_monitoring_report(report, store_path, lang)
    return _atomic(out_path, lambda tmp: tmp.write_text(page, encoding="utf-8"))


def export_bytes(report: MonitoringReport, store_path: str | Path, suffix: str,
                 lang: str = "zh") -> bytes:
    """The bytes of :func:`write_export` for a download button (``suffix`` e.g. ``".gpkg"``;
    :data:`data.exports.MIME` gives the MIME type)."""
    suffix = _check_suffix(suffix)
    with tempfile.TemporaryDirectory(prefix="landalloc-monitoring-") as folder:
        path = write_export(report, store_path, Path(folder) / f"monitoring{suffix}", lang)
        return path.read_bytes()
