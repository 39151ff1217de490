"""Parts of the monitoring page (监测评估, issue 16): the comparison cached per choice, the
filtered view of it, tiles, map values, legends and tables.

Everything here but :func:`cached_report` is pure: a :class:`~data.monitoring.compare.
MonitoringReport` and a :class:`Scope` (the violation types and the region picked) in, frames,
palette indices and texts out; the page lays them out. Texts come from the wording catalogue
through the ``t`` passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pydeck as pdk
import streamlit as st

from dashboard import services
from dashboard.components import grid_maps, maps
from data import library
from data.monitoring.compare import (
    DEVIATIONS,
    STATUSES,
    TYPE_COLORS,
    VIOLATION_TYPES,
    MonitoringReport,
    monitor,
    plan_from_saved,
)
from data.monitoring.survey import load_survey, sidecar_path

Translate = Callable[..., str]
# TYPE_COLORS (data.monitoring.compare): a parcel with several types takes the colour of the
# first in VIOLATION_TYPES (red line, basic farmland, no-change mask, outside the urban
# boundary, cropland not balanced: the order of legal weight); the briefing uses the same.
#: Colour of each deviation from the plan (unchanged parcels show the muted base map).
DEVIATION_COLORS: dict[str, str] = {
    "as_planned": "#2e7d32",    # green
    "not_realised": "#ffab00",  # amber
    "unplanned": "#d50000",     # red
    "different": "#aa00ff",     # violet
    "no_data": "#616161",       # dark grey
}
#: A traffic light in a table cell: a dot and the status word in the light's ink on its pale
#: fill (a coloured dot rather than 🟢🟡🔴, which shows as an empty box without an emoji font).
STATUS_ICONS = {"green": "●", "amber": "▲", "red": "■"}
STATUS_FILLS = {"green": "#e3f4e6", "amber": "#fff1bf", "red": "#fddcd7"}
STATUS_INKS = {"green": "#1b5e20", "amber": "#7a5600", "red": "#b71c1c"}
MUTED_ALPHA = 70   # the survey's land use under the findings
FAINT_ALPHA = 22   # ... outside the region picked
TOP_PATCHES = 20   # rows of the largest-violations list by default
MAX_MARKERS = 20   # rings on the map around the largest patches (more clutter a city)
MARKER_PX = 11     # their radius on screen
MARKER_INK = [33, 33, 33, 230]
MAX_REASONS = 3    # reasons named per region
MAX_SHORT = 2      # regions named under the cropland deficit tile
#: Reasons judged by progress against time: only their rows show a realised share (a floor or
#: cap is judged by its limit; the share of a tiny planned change there would read -4,656 %).
PROGRESS_REASONS = ("moving_away", "behind", "ahead", "on_track")
COMMAND = ("python -m data import-survey --db {db} --survey FILE --mapping M.toml "
           "--year YEAR --name NAME")
EMPTY = "–"


# ---- the comparison ----------------------------------------------------------------------

@dataclass(frozen=True)
class Choice:
    """What is compared: a stored survey and a saved plan, and the years of a single-period
    plan (None for a period plan, which brings its own).

    ``imported_at`` and ``saved_at`` make a re-import or a re-save a new choice (so its cached
    comparison is not served); ``surveys_changed`` (the survey file's modification time in
    ns) also catches a re-import within the same second.
    """

    survey: str
    imported_at: str
    plan: str
    saved_at: str
    base_year: int | None = None
    plan_year: int | None = None
    surveys_changed: int = 0


def surveys_changed(path: str) -> int:
    """Modification time (ns) of the store's survey file (0 without one)."""
    sidecar = sidecar_path(path)
    return sidecar.stat().st_mtime_ns if sidecar.exists() else 0


def build_report(path: str, version: str, choice: Choice) -> MonitoringReport:
    """Load the survey and the plan and compare them on the store.

    Raises
    ------
    DataImportError
        Years out of order, or a survey or plan that does not fit the store.
    LibraryError
        The plan cannot be loaded (or was saved on other parcels).
    """
    saved = library.load_scenario(path, name=choice.plan)
    survey = load_survey(path, choice.survey)
    ids = services.parcel_attributes(path, version)["parcel_id"].to_numpy()
    plan = plan_from_saved(saved, ids, survey.year, choice.base_year, choice.plan_year)
    return monitor(path, plan, survey)


@st.cache_resource(max_entries=4, show_spinner=False)
def cached_report(path: str, version: str, choice: Choice) -> MonitoringReport:
    """:func:`build_report`, shared by every session (frames of millions of parcels are never
    copied: callers must not modify it). Keyed by the store version and the choice, whose
    import and save times make a re-import or re-save compare again."""
    return build_report(path, version, choice)


def default_years(survey_year: int) -> tuple[int, int]:
    """Base and target year offered for a single-period plan: five years before the survey,
    and a ten-year plan from there."""
    base = int(survey_year) - 5
    return base, base + 10


def year_problem(base_year: int, plan_year: int, survey_year: int
                 ) -> tuple[str, str, dict[str, int]] | None:
    """Wording keys of the problem and its fix (with their values) when the years are out of
    order, else None; the same rule as :func:`data.monitoring.compare.check_years`, worded
    for the page."""
    values = {"base": int(base_year), "year": int(plan_year), "survey_year": int(survey_year)}
    if not base_year < plan_year:
        return "mon_err_target_year", "mon_err_target_year_fix", values
    if not survey_year > base_year:
        return "mon_err_survey_year", "mon_err_survey_year_fix", values
    return None


def survey_label(row: pd.Series, t: Translate) -> str:
    """A stored survey in the picker: name and year, flagged when the store changed since."""
    label = t("mon_survey_option", name=str(row["name"]), year=int(row["year"]))
    return label + (t("mon_stale_flag") if bool(row["stale"]) else "")


def plan_label(row: pd.Series, t: Translate) -> str:
    """A saved plan in the picker: its name, period plans said so, stale ones flagged."""
    key = "mon_plan_periods" if row["kind"] == "periods" else "mon_plan_single"
    return t(key, name=str(row["name"])) + (t("mon_stale_flag") if bool(row["stale"]) else "")


def held_line(report: MonitoringReport, t: Translate) -> str:
    """What the survey is held against, and how much of the period has passed."""
    values = {"plan": report.plan_name, "base": report.base_year, "year": report.plan_year,
              "survey": report.survey_name, "survey_year": report.survey_year,
              "elapsed": f"{100 * report.elapsed:.0f} %"}
    if report.plan_period:
        return t("mon_held_period", period=report.plan_period, **values)
    return t("mon_held_single", **values)


# ---- the view: types and region picked ---------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """The filters: violation types shown and one region (None: all)."""

    types: tuple[str, ...]
    region_id: int | None = None


def checked_types(report: MonitoringReport) -> list[str]:
    """Violation types the store could check (it has their zones)."""
    return [kind for kind in VIOLATION_TYPES if kind not in report.unchecked]


def unchecked_sentences(report: MonitoringReport, t: Translate) -> list[str]:
    """One sentence per type the store cannot check, naming the zone it lacks."""
    return [t("mon_unchecked", type=t(f"mon_type_{kind}"), zone=t(f"mon_zone_{zone}"))
            for kind, zone in report.unchecked.items()]


def _in_region(frame: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    return frame if scope.region_id is None else frame[frame["region_id"] == scope.region_id]


def scoped_violations(report: MonitoringReport, scope: Scope) -> pd.DataFrame:
    """Violation rows (parcel × type) of the types and region picked."""
    return _in_region(report.violations[report.violations["type"].isin(scope.types)], scope)


def scoped_patches(report: MonitoringReport, scope: Scope) -> pd.DataFrame:
    """Patches of the types picked whose (dominant) region is the one picked, largest first."""
    return _in_region(report.patches[report.patches["type"].isin(scope.types)], scope)


def scoped_regions(report: MonitoringReport, scope: Scope) -> pd.DataFrame:
    """Rows of the region table in the region picked (all of them by default)."""
    return _in_region(report.regions, scope)


def region_names(report: MonitoringReport, lang: str) -> dict[int, str]:
    """Region id → its name in ``lang`` (the Chinese name where the store has no English)."""
    table = report.regions_table
    english = table["name_en"].fillna("").astype(str).str.strip() if "name_en" in table else None
    shown = table["name_zh"].astype(str)
    if lang == "en" and english is not None:
        shown = english.where(english != "", shown)
    return dict(zip(table["region_id"].astype(int), shown, strict=True))


def class_names(report: MonitoringReport, lang: str) -> dict[int, str]:
    """Class code → its name in ``lang`` (−1: no survey data)."""
    classes = report.classes
    names = dict(zip(classes["code"].astype(int), classes["name_zh" if lang == "zh"
                                                               else "name_en"], strict=True))
    return names | {-1: EMPTY}


def unit_word(report: MonitoringReport, t: Translate) -> str:
    """What a parcel is called: 栅格 / cells on a grid store, 地块 / parcels otherwise."""
    return t("mon_unit_cells" if report.grid is not None else "mon_unit_parcels")


def ha_text(value: float) -> str:
    """An area in ha with the decimals its size needs (0.18, 3.5, 1,234)."""
    size = abs(float(value))
    return f"{value:,.0f}" if size >= 100 else f"{value:,.1f}" if size >= 10 else f"{value:,.2f}"


# ---- tiles and the headline --------------------------------------------------------------

@dataclass(frozen=True)
class Tile:
    """One KPI tile: label, big value and the line under it."""

    label: str
    value: str
    detail: str | None = None
    help: str | None = None


def type_tiles(report: MonitoringReport, scope: Scope, t: Translate) -> list[Tile]:
    """Per violation type picked: patches (big), parcels and area (ha)."""
    rows, patches = scoped_violations(report, scope), scoped_patches(report, scope)
    unit = unit_word(report, t)
    tiles = []
    for kind in scope.types:
        chosen, n = rows[rows["type"] == kind], int((patches["type"] == kind).sum())
        tiles.append(Tile(t(f"mon_type_{kind}"),
                          t("mon_tile_patch_one" if n == 1 else "mon_tile_patches", n=f"{n:,}"),
                          t("mon_tile_detail", cells=f"{len(chosen):,}", unit=unit,
                            ha=ha_text(chosen["area_ha"].sum()))))
    return tiles


def plan_tiles(report: MonitoringReport, scope: Scope, t: Translate, lang: str) -> list[Tile]:
    """The cropland deficit (with the regions short of it) and the area of each deviation
    from the plan."""
    from wording import join_list

    regions = scoped_regions(report, scope)
    names = region_names(report, lang)
    short = regions[regions["cropland_deficit_ha"] > 1e-9].sort_values(
        "cropland_deficit_ha", ascending=False)
    named = [f"{names.get(int(r), r)} {t('mon_tile_area', ha=ha_text(d))}" for r, d in
             zip(short["region_id"], short["cropland_deficit_ha"], strict=True)]
    where = join_list(named[:MAX_SHORT], lang)
    if len(named) > MAX_SHORT:  # all of them in the tile's help
        where = t("mon_tile_deficit_more", regions=where, n=len(named) - MAX_SHORT)
    tiles = [Tile(t("mon_tile_deficit"),
                  t("mon_tile_area", ha=ha_text(regions["cropland_deficit_ha"].sum())),
                  where or t("mon_tile_deficit_none"),
                  join_list(named, lang) if len(named) > MAX_SHORT else None)]
    for deviation in ("as_planned", "not_realised", "unplanned", "different"):
        tiles.append(Tile(t(f"mon_dev_{deviation}"),
                          t("mon_tile_area", ha=ha_text(regions[f"{deviation}_ha"].sum()))))
    return tiles


def progress_clause(report: MonitoringReport, scope: Scope, t: Translate, lang: str) -> str:
    """"2 个区域进度偏离、1 个区域预警；1 项规划指标超标/偏离" (the targets only when no region
    is picked: they hold for the whole area)."""
    counts = status_counts(report, scope)
    parts = [t("mon_headline_regions", red=counts["red"], amber=counts["amber"])
             if counts["red"] or counts["amber"] else t("mon_headline_regions_ok")]
    progress = report.progress
    off = int(((progress["kind"] == "target") & (progress["status"] == "red")).sum())
    if off and scope.region_id is None:
        parts.append(t("mon_headline_targets", n=off))
    return ("；" if lang == "zh" else "; ").join(parts)


def status_counts(report: MonitoringReport, scope: Scope) -> dict[str, int]:
    """How many regions (of those picked) have each traffic-light status."""
    counts = scoped_regions(report, scope)["status"].value_counts()
    return {status: int(counts.get(status, 0)) for status in STATUSES}


def headline(report: MonitoringReport, scope: Scope, t: Translate, lang: str) -> str:
    """One sentence for the briefing: patches, parcels and area suspected (each parcel once),
    the regions off track or to watch, and the plan's targets off track."""
    rows = scoped_violations(report, scope).drop_duplicates("parcel_id")
    regions = progress_clause(report, scope, t, lang)
    if rows.empty:
        return t("mon_headline_none", regions=regions)
    return t("mon_headline", n=f"{len(scoped_patches(report, scope)):,}",
             cells=f"{len(rows):,}", unit=unit_word(report, t),
             ha=ha_text(rows["area_ha"].sum()), regions=regions)


# ---- the map -----------------------------------------------------------------------------

def _rgba(color: str, alpha: int = 255) -> tuple[int, int, int, int]:
    return tuple(maps.hex_to_rgba(color, alpha))


def base_layer_values(report: MonitoringReport, scope: Scope
                      ) -> tuple[np.ndarray, grid_maps.Palette]:
    """Palette indices of the muted base map: the survey's class (the base class where it
    has no data), fainter outside the region picked; the palette's first entry transparent."""
    positions, colors = grid_maps.class_palette(report.classes)
    colors = [*colors, grid_maps.FALLBACK]
    values = grid_maps.class_positions(report.parcels["survey_filled"].to_numpy(), positions)
    outside = ~region_mask(report, scope)
    values = np.where(outside, values + len(colors), values).astype(np.uint8)
    palette = (grid_maps.TRANSPARENT, *(_with_alpha(c, MUTED_ALPHA) for c in colors),
               *(_with_alpha(c, FAINT_ALPHA) for c in colors))
    return values, palette


def _with_alpha(color, alpha: int) -> tuple[int, int, int, int]:
    r, g, b, *_ = color
    return int(r), int(g), int(b), alpha


def region_mask(report: MonitoringReport, scope: Scope) -> np.ndarray:
    """Parcels in the region picked (all when none is)."""
    region = report.parcels["region_id"].to_numpy()
    return np.ones(len(region), dtype=bool) if scope.region_id is None else region == scope.region_id


def violation_values(report: MonitoringReport, scope: Scope
                     ) -> tuple[np.ndarray, grid_maps.Palette]:
    """Palette indices of the violations map: each parcel suspected of a type picked (in the
    region picked) in that type's colour — the first of :data:`VIOLATION_TYPES` when it has
    several — over the muted base map."""
    values, palette = base_layer_values(report, scope)
    inside = region_mask(report, scope)
    for i in reversed(range(len(VIOLATION_TYPES))):  # the first type drawn last, on top
        kind = VIOLATION_TYPES[i]
        if kind in scope.types:
            values[report.parcels[kind].to_numpy(dtype=bool) & inside] = len(palette) + i
    return values, (*palette, *(_rgba(TYPE_COLORS[k]) for k in VIOLATION_TYPES))


def deviation_values(report: MonitoringReport, scope: Scope
                     ) -> tuple[np.ndarray, grid_maps.Palette]:
    """Palette indices of the deviations map: every parcel that deviates from "unchanged" in
    its deviation's colour (in the region picked), the rest the muted base map."""
    values, palette = base_layer_values(report, scope)
    shown = [d for d in DEVIATIONS if d != "unchanged"]
    deviation = report.parcels["deviation"].to_numpy()
    inside = region_mask(report, scope)
    for i, name in enumerate(shown):
        values[(deviation == name) & inside] = len(palette) + i
    return values, (*palette, *(_rgba(DEVIATION_COLORS[d]) for d in shown))


def parcel_findings(report: MonitoringReport, scope: Scope, t: Translate, lang: str,
                    deviations: bool) -> list[str]:
    """Per parcel, what the map shows there in words (tooltips of polygon maps): the types
    picked it is suspected of, else (and on the deviations map) its deviation."""
    from wording import join_list

    words = {d: t(f"mon_dev_{d}") for d in DEVIATIONS}
    shown = [words[d] for d in report.parcels["deviation"]]
    if deviations:
        return shown
    flags = {k: report.parcels[k].to_numpy(dtype=bool) for k in scope.types}
    names = {k: t(f"mon_type_{k}") for k in scope.types}
    return [join_list([names[k] for k in scope.types if flags[k][i]], lang) or shown[i]
            for i in range(len(shown))]


def legend_rows(scope: Scope, deviations: bool, t: Translate) -> pd.DataFrame:
    """Legend of the map (``color``, ``name_zh``, ``name_en``, both in the session's
    language): the types picked, or the deviations."""
    if deviations:
        keys = [d for d in DEVIATIONS if d != "unchanged"]
        colors, names = [DEVIATION_COLORS[d] for d in keys], [t(f"mon_dev_{d}") for d in keys]
    else:
        keys = [k for k in VIOLATION_TYPES if k in scope.types]
        colors, names = [TYPE_COLORS[k] for k in keys], [t(f"mon_type_{k}") for k in keys]
    return pd.DataFrame({"color": colors, "name_zh": names, "name_en": names})


def marker_frame(report: MonitoringReport, scope: Scope, t: Translate, lang: str,
                 limit: int = MAX_MARKERS) -> pd.DataFrame:
    """The largest patches picked as circles: ``lon``, ``lat`` and the tooltip's ``title``
    and ``detail``."""
    patches = scoped_patches(report, scope).head(limit)
    names = region_names(report, lang)
    area = t("mon_tile_area", ha="{ha}")
    return pd.DataFrame({
        "lon": patches["lon"].round(6).to_numpy(), "lat": patches["lat"].round(6).to_numpy(),
        "title": [f"{t('mon_col_patch')} {int(p)} · {t(f'mon_type_{k}')}"
                  for p, k in zip(patches["patch_id"], patches["type"], strict=True)],
        "detail": [f"{names.get(int(r), '')} · {area.format(ha=ha_text(a))}"
                   for r, a in zip(patches["region_id"], patches["area_ha"], strict=True)],
    })


def marker_layer(frame: pd.DataFrame) -> pdk.Layer:
    """Dark rings around the patches, whose cells show their type's colour (hover: patch,
    type, region, area)."""
    # pydeck sends a bare string as an expression: the unit constants go quoted
    return pdk.Layer("ScatterplotLayer", data=frame, id="patches", get_position=["lon", "lat"],
                     get_line_color=MARKER_INK, filled=True, get_fill_color=[255, 255, 255, 1],
                     stroked=True, radius_units="'pixels'", get_radius=MARKER_PX,
                     line_width_units="'pixels'", get_line_width=2.5, pickable=True,
                     auto_highlight=True)


def view_bounds(report: MonitoringReport, scope: Scope) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude bounds the map is fitted to: the parcels' centres of the
    region picked (else of all), widened by a margin so the outer parcels show whole."""
    inside = region_mask(report, scope)
    if not inside.any():
        inside = np.ones(len(inside), dtype=bool)
    lon = report.parcels["lon"].to_numpy()[inside]
    lat = report.parcels["lat"].to_numpy()[inside]
    return _widened(lon), _widened(lat)


def _widened(values: np.ndarray, share: float = 0.06) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    margin = max(share * (high - low), 1e-4)
    return np.array([low - margin, high + margin])


# ---- tables ------------------------------------------------------------------------------

def status_text(status: str, t: Translate) -> str:
    """A traffic light with its word, e.g. "🔴 超标/偏离"."""
    return f"{STATUS_ICONS.get(status, '')} {t(f'mon_status_{status}')}"


def reason_text(rows: pd.DataFrame, t: Translate, lang: str, limit: int = MAX_REASONS,
                names: dict[int, str] | None = None) -> str:
    """The reasons of the worst-status rows among ``rows`` in words ("耕地：与规划方向相反；…");
    with ``names``, a region's row is named with its region ("西区 耕地：…")."""
    if rows.empty:
        return EMPTY
    rank = rows["status"].map({s: i for i, s in enumerate(STATUSES)})
    worst = rows[rank == rank.max()]
    parts = [t("mon_reason_row", label=_row_label(r, lang, names),
               reason=t(f"mon_reason_{r['reason']}")) for _, r in worst.head(limit).iterrows()]
    more = "…" if len(worst) > limit else ""
    return ("；" if lang == "zh" else "; ").join(parts) + more


def _row_label(row: pd.Series, lang: str, names: dict[int, str] | None) -> str:
    label = str(row["label_zh" if lang == "zh" else "label_en"])
    if names is None or pd.isna(row["region_id"]):
        return label
    return f"{names.get(int(row['region_id']), '')} {label}"


def _realised_share(row: pd.Series) -> float | None:
    planned = row["as_planned_ha"] + row["not_realised_ha"] + row["different_ha"]
    return None if planned <= 1e-9 else 100.0 * row["as_planned_ha"] / planned


def region_table(report: MonitoringReport, scope: Scope, t: Translate, lang: str
                 ) -> pd.DataFrame:
    """Per region picked (and the whole area first when all are): traffic light, its reason,
    realised vs elapsed %, suspected parcels and area (each parcel once), cropland deficit
    and the deviations' areas. Columns are the catalogue's headers."""
    names, unit = region_names(report, lang), unit_word(report, t)
    violations = scoped_violations(report, scope).drop_duplicates("parcel_id")
    progress = report.progress
    rows = []
    if scope.region_id is None:
        rows.append(_region_row(t("mon_scope_all"), report.overall_status,
                                reason_text(progress, t, lang, names=names),
            report.regions.sum(numeric_only=True), violations, report, t))
    for _, region in scoped_regions(report, scope).iterrows():
        rid = int(region["region_id"])
        rows.append(_region_row(names.get(rid, str(rid)), region["status"],
                                reason_text(progress[progress["region_id"] == rid], t, lang),
                                region, violations[violations["region_id"] == rid], report, t))
    frame = pd.DataFrame(rows)
    return frame.rename(columns=lambda c: t(f"mon_col_{c}", unit=unit) if c != "name"
                        else t("mon_col_region"))


def _region_row(name: str, status: str, reason: str, sums: pd.Series,
                violations: pd.DataFrame, report: MonitoringReport, t: Translate) -> dict:
    return {"name": name, "status": status_text(status, t), "reason": reason,
            "realised": _realised_share(sums), "elapsed": 100.0 * report.elapsed,
            "violations": len(violations), "violations_ha": float(violations["area_ha"].sum()),
            "deficit": float(sums["cropland_deficit_ha"]),
            "as_planned": float(sums["as_planned_ha"]),
            "not_realised": float(sums["not_realised_ha"]),
            "unplanned": float(sums["unplanned_ha"])}


def progress_table(report: MonitoringReport, scope: Scope, kind: str, t: Translate,
                   lang: str) -> pd.DataFrame:
    """Rows of one kind of progress ('target': the plan's area targets, whole area; 'plan':
    planned class areas per region, of the region picked) with the catalogue's headers."""
    rows = report.progress[report.progress["kind"] == kind]
    if kind == "plan":
        rows = _in_region(rows, scope)
    names = region_names(report, lang)
    label = "label_zh" if lang == "zh" else "label_en"
    frame = pd.DataFrame({
        "target": rows[label].astype(str).to_numpy(),
        "region": [names.get(int(r), "") if pd.notna(r) else t("mon_scope_all")
                   for r in rows["region_id"]],
        "status": [status_text(s, t) for s in rows["status"]],
        "reason": [t(f"mon_reason_{r}") for r in rows["reason"]],
        "realised": rows["realised_pct"].astype(float).where(
            rows["reason"].isin(PROGRESS_REASONS)).to_numpy(),
        "elapsed": rows["elapsed_pct"].astype(float).to_numpy(),
        "lo": rows["lo_ha"].astype(float).to_numpy(), "hi": rows["hi_ha"].astype(float).to_numpy(),
        "base": rows["base_ha"].to_numpy(), "plan": rows["plan_ha"].to_numpy(),
        "survey": rows["survey_ha"].to_numpy()})
    if kind == "target":
        frame = frame.drop(columns="region")
    return frame.rename(columns=lambda c: t(f"mon_col_{c}"))


def patch_table(report: MonitoringReport, scope: Scope, t: Translate, lang: str,
                top: int = TOP_PATCHES) -> pd.DataFrame:
    """The ``top`` largest patches picked: id, type, region, area, parcels, base → survey
    class, centre (WGS 84); the catalogue's headers."""
    patches = scoped_patches(report, scope).head(top)
    regions, classes = region_names(report, lang), class_names(report, lang)
    unit = unit_word(report, t)
    frame = pd.DataFrame({
        "patch": patches["patch_id"].astype(int).to_numpy(),
        "type": [t(f"mon_type_{k}") for k in patches["type"]],
        "region": [regions.get(int(r), "") for r in patches["region_id"]],
        "area": patches["area_ha"].astype(float).to_numpy(),
        "cells": patches["n_parcels"].astype(int).to_numpy(),
        "change": [f"{classes.get(int(b), b)} → {classes.get(int(s), s)}"
                   for b, s in zip(patches["base"], patches["survey"], strict=True)],
        "lon": patches["lon"].astype(float).to_numpy(),
        "lat": patches["lat"].astype(float).to_numpy()})
    return frame.rename(columns=lambda c: t(f"mon_col_{c}", unit=unit))


def status_style(value: object) -> str:
    """CSS of a status cell: the traffic light's ink on its pale fill."""
    text = str(value)
    for status, icon in STATUS_ICONS.items():
        if text.startswith(icon):
            return (f"background-color:{STATUS_FILLS[status]};color:{STATUS_INKS[status]};"
                    "font-weight:600;white-space:nowrap")
    return ""


def number_text(value: object, decimals: int | None = None) -> str:
    """A table number: "–" when missing, else with thousands separators (areas by
    :func:`ha_text` when ``decimals`` is None)."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return EMPTY
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if decimals is None:
        return ha_text(float(value))
    return f"{round(float(value), decimals) + 0.0:,.{decimals}f}"  # + 0.0: no "-0"


def styled_table(frame: pd.DataFrame, status_column: str, percent_columns: list[str]):
    """A table for ``st.table``: statuses on their traffic-light fill, percentages whole,
    areas by their size, "–" where missing."""
    formats = {c: (lambda v: number_text(v, 0)) for c in percent_columns}
    numeric = [c for c in frame.columns if c not in formats
               and pd.api.types.is_numeric_dtype(frame[c])]
    formats |= {c: number_text for c in numeric}
    styler = frame.style.format(formats, na_rep=EMPTY)
    if status_column in frame:
        styler = styler.map(status_style, subset=[status_column])
    return styler.hide(axis="index")
