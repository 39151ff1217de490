"""Briefing report (方案简报): one self-contained HTML file, Chinese or English.

Everything is inline — CSS, the two land-use maps and the charts are plain SVG drawn from the
store's simplified WGS 84 geometry — so the file opens offline, can be mailed and printed,
and needs no CDN, no JavaScript and no matplotlib. The page is the Jinja2 template
``data/templates/report.html.j2`` with autoescape on: every user-provided string (scenario
name, lever values, region and class names, solver messages) is escaped there; the SVG
drawings are built here, escape their own text and are passed in as markup; colours are
checked against ``#rrggbb``. Wording is the catalogue's (:mod:`wording.report`); numbers are shown in the
units of :func:`data.indicators.display_unit` (one unit system per language).

Maps are drawn per class as one SVG path of all its parcels, in an equirectangular
projection scaled by cos(latitude), simplified in pixel space (sub-pixel detail dropped), so
18,000 parcels take about 1 MB per map. Grid stores, and polygon stores of more than
:data:`RASTER_MAP_MIN` parcels, are drawn as a picture instead (a palette PNG inside the SVG,
changed parcels darkened on the optimized map): simplifying hundreds of thousands of
sub-pixel parcels left the maps empty (Wuhan at 300 m and 30 m), and a grid store's picture
comes from its grid without building a polygon per cell.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import numpy as np
import pandas as pd
import shapely
from markupsafe import Markup

import wording
from data.indicators import display_unit, display_value
from solver.result import MEANINGFUL_GAP
from wording import levers as lever_words

if TYPE_CHECKING:
    from data.exports import ExportBundle, StoreTables
    from data.grid import GridSpec


def _report_words(lang: str) -> dict[str, str]:
    """The report's headings in ``lang``, from the catalogue's ``report.*`` entries."""
    return {key.removeprefix("report."): wording.translate(key, lang)
            for key in wording.TEXT if key.startswith("report.")}


TEXT: dict[str, dict[str, str]] = {lang: _report_words(lang) for lang in wording.LANGUAGES}

MAP_WIDTH = 560.0            # px of each map
SIMPLIFY_PX = 0.3            # drop detail below this in pixel space
MAX_MAP_VERTICES = 250_000   # per map; beyond this the simplification tolerance grows
RASTER_MAP_MIN = 20_000      # polygon stores with more parcels are drawn as a picture
RASTER_MAP_PX = 2 * MAP_WIDTH  # picture width in image pixels (sharp when printed)
COLOR_RE = re.compile(r"#[0-9a-fA-F]{6}")
LABEL_BUDGET = 27           # half-width characters of a chart label (full text in a tooltip)
KPIS = ("cropland_ha", "built_ha", "esv_yuan", "carbon_t", "grain_capacity_t",
        "changed_area_ha")
CHANGE_CHART = ("cropland_ha", "built_ha", "ecological_land_ha", "esv_yuan", "carbon_t",
                "grain_capacity_t", "like_adjacency_pct", "patch_count")
AT_LIMIT = 0.95              # a solve that ran this share of its time limit stopped on it
NAME_KEYS = ("name", "name_zh", "name_en")  # top-level scenario keys shown in the title
TEMPLATES = Path(__file__).parent / "templates"
_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                          undefined=jinja2.StrictUndefined, trim_blocks=True,
                          lstrip_blocks=True)


@dataclass(frozen=True, eq=False)
class ReportData:
    """Everything the report shows, prepared from a store and an allocation.

    ``name`` is the scenario's saved name (the title); ``preset`` the preset key it started
    from, ``preset_names`` its display names ``{"zh": ..., "en": ...}``; ``region_names``
    maps the regions' Chinese names (how indicator tables name them) to ``{"zh", "en"}``.
    """

    name: str
    meta: Mapping[str, str]
    classes: pd.DataFrame          # code, key, name_zh, name_en, color
    geometry: np.ndarray           # shapely geometries, WGS 84, one per parcel
    before: np.ndarray             # class code per parcel
    after: np.ndarray
    indicators: pd.DataFrame       # tidy table of data.indicators
    transitions: pd.DataFrame      # from × to class keys, ha
    summary: Mapping[str, Any]
    levers: pd.DataFrame           # section, key, value
    preset: str = ""
    stale: bool = False
    saved_version: str = ""
    preset_names: Mapping[str, str] = field(default_factory=dict)
    region_names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    grid: GridSpec | None = None   # grid stores: maps drawn from the grid (geometry is empty)
    cells: tuple[np.ndarray, np.ndarray] | None = None  # grid row and column per parcel


def report_data(bundle: ExportBundle, tables: StoreTables, codes: np.ndarray,
                indicators: pd.DataFrame, transitions: pd.DataFrame) -> ReportData:
    """Collect the report's inputs from an export bundle and its store tables."""
    from data.exports import levers_table

    parcels = tables.parcels
    if tables.grid is not None:  # no polygon per cell: the maps come from the grid
        geometry = np.empty(0, dtype=object)
        cells = (parcels["grid_row"].to_numpy(dtype=np.int64),
                 parcels["grid_col"].to_numpy(dtype=np.int64))
    else:
        geometry, cells = shapely.from_wkb(parcels["geom_wgs84_wkb"].map(bytes).to_numpy()), None
    return ReportData(name=bundle.name, meta=tables.meta, classes=tables.classes,
                      geometry=geometry, before=parcels["land_use"].to_numpy(),
                      after=np.asarray(codes), indicators=indicators, transitions=transitions,
                      summary=bundle.summary, levers=levers_table(bundle.scenario_toml),
                      preset=bundle.preset, stale=bundle.stale,
                      saved_version=bundle.store_version,
                      preset_names=_preset_names(bundle.preset),
                      region_names=_region_names(tables.regions), grid=tables.grid, cells=cells)


def _preset_names(key: str) -> dict[str, str]:
    from data.presets import list_presets

    for p in list_presets():
        if p["key"] == key:
            return {"zh": str(p["name_zh"]), "en": str(p["name_en"])}
    return {"zh": key, "en": key} if key else {}


def _region_names(regions: pd.DataFrame) -> dict[str, dict[str, str]]:
    names = {}
    for zh, en in zip(regions["name_zh"].astype(str), regions.get("name_en", regions["name_zh"]),
                      strict=True):
        names[zh] = {"zh": zh, "en": en if isinstance(en, str) and en.strip() else zh}
    return names


def render_report(data: ReportData, lang: str = "zh", monitoring: str = "") -> str:
    """The briefing report as one HTML document.

    Parameters
    ----------
    data : ReportData
        Allocation, store facts, indicators, transitions, solver summary and levers.
    lang : {'zh', 'en'}
        Language of all labels and units.
    monitoring : str, optional
        An HTML section placed right after the header (the monitoring of this plan,
        :func:`data.monitoring.exports.render_monitoring_section`); it is inserted as markup,
        so it must come escaped from its own template.

    Returns
    -------
    str
        Self-contained HTML (inline CSS and SVG, no scripts, no external requests).
    """
    if lang not in TEXT:
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    return _ENV.get_template("report.html.j2").render(
        t=TEXT[lang], lang_attr="zh-CN" if lang == "zh" else "en", css=Markup(CSS),
        header=_header(data, lang), solver=_solver(data, lang), kpis=_kpis(data, lang),
        maps=_maps(data, lang), charts=_charts(data, lang),
        transitions=_transitions(data, lang), levers=_levers(data, lang),
        indicators=_indicator_groups(data, lang), monitoring=Markup(monitoring)) + "\n"


def render_template(name: str, /, **values: Any) -> str:
    """A template of ``data/templates`` rendered in the report's environment (autoescape on,
    undefined names an error), for pages and sections built beside the briefing."""
    return _ENV.get_template(name).render(**values)


CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",Arial,sans-serif;
margin:24px auto;max-width:1200px;color:#222;padding:0 16px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;border-bottom:2px solid #ddd;
padding-bottom:4px;margin-top:28px}.sub{color:#555;font-size:13px}
.badge{background:#fff3cd;border:1px solid #e0b000;border-radius:4px;padding:1px 6px;
font-size:12px;margin-left:6px}.warn{background:#fdecea;border:1px solid #e57373;
padding:8px 12px;border-radius:4px;margin:10px 0}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:10px}
.tile{border:1px solid #ddd;border-radius:6px;padding:10px}.tile .l{font-size:13px;color:#555}
.tile .v{font-size:22px;font-weight:600}.tile .d{font-size:12px}.up{color:#2e7d32}
.down{color:#c62828}.maps{display:flex;flex-wrap:wrap;gap:16px}.maps figure{margin:0}
figcaption{font-weight:600;margin-bottom:4px}.legend span{display:inline-block;
margin-right:12px;font-size:13px}.sw{display:inline-block;width:12px;height:12px;
vertical-align:middle;margin-right:4px;border:1px solid #999}
table{border-collapse:collapse;font-size:13px;margin:6px 0}th,td{border:1px solid #ddd;
padding:3px 8px;text-align:right}th{background:#f5f5f5}td.t,th.t{text-align:left}
td.diag{background:#f0f0f0}tr.g td{background:#fafafa;font-weight:600;text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:24px}.charts figure{margin:0}
footer{margin-top:30px;color:#777;font-size:12px}
@media print{.maps svg{max-width:48%}}
"""


# -- small helpers ------------------------------------------------------------------------------
def _e(value: object) -> str:
    """Escaped text of any value, for the SVG drawings built here (quotes too: attributes)."""
    return html.escape(str(value), quote=True)


def _color(value: object) -> str:
    return str(value) if COLOR_RE.fullmatch(str(value)) else "#999999"


def _class_names(data: ReportData, lang: str) -> dict[int, str]:
    column = "name_zh" if lang == "zh" else "name_en"
    return dict(zip(data.classes["code"].astype(int), data.classes[column].astype(str),
                    strict=True))


def _fmt(value: object, digits: int = 1) -> str:
    """Readable number: thousands separators, few decimals; '–' for missing."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value) if value not in (None, "") else "–"
    if not np.isfinite(number):
        return "–"
    if abs(number) >= 1000:
        return f"{number:,.0f}"
    return f"{number:,.{digits}f}" if abs(number) >= 1 or number == 0 else f"{number:.3g}"


def _total(data: ReportData, indicator: str) -> pd.Series | None:
    rows = data.indicators[(data.indicators["indicator"] == indicator)
                           & (data.indicators["scope_type"] == "total")]
    return None if rows.empty else rows.iloc[0]


def _label(row: pd.Series, lang: str) -> str:
    return str(row["label_zh"] if lang == "zh" else row["label_en"])


def _shown(row: pd.Series, column: str) -> float:
    """A value of an indicator row in its display unit (e.g. ESV in 亿元)."""
    return display_value(str(row["indicator"]), float(row[column]))


def _unit(row: pd.Series, lang: str) -> str:
    return display_unit(str(row["indicator"]), str(row["unit"]), lang)


# -- sections (plain values for the template; it escapes them) ----------------------------------
def _header(data: ReportData, lang: str) -> dict[str, Any]:
    t, meta = TEXT[lang], data.meta
    stale = (t["stale"].format(saved=data.saved_version or "?", now=meta.get("version", "?"))
             if data.stale else "")
    return {"name": report_title_name(data, lang),
            "store": meta.get("name_zh" if lang == "zh" else "name_en") or meta.get("name_zh", ""),
            "synthetic": str(meta.get("synthetic", "")).lower() == "true",
            "version": meta.get("version", ""), "preset": data.preset_names.get(lang, ""),
            "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "stale": stale}


def report_title_name(data: ReportData, lang: str) -> str:
    """The scenario's name for the title: its saved name; an unsaved scenario is named by its
    preset's display name, never by the preset key (``balanced``)."""
    if data.name in ("", data.preset) or data.name in data.preset_names.values():
        return data.preset_names.get(lang) or data.name
    return data.name


def _lever_number(data: ReportData, key: str) -> float | None:
    section, name = key.split(".", 1)
    rows = data.levers[(data.levers["section"] == section) & (data.levers["key"] == name)]
    try:
        return float(rows["value"].iloc[0]) if len(rows) else None
    except (TypeError, ValueError):
        return None


def gap_text(gap: object, lang: str) -> str:
    """A proven gap as the dashboard's tiles show it: '0.81 %' for 0.8003 % (rounded up, as
    "at most" needs), or 'not proven' when it says nothing."""
    if not isinstance(gap, int | float) or not np.isfinite(gap):
        return "–"
    return TEXT[lang]["unproven"] if gap > MEANINGFUL_GAP else wording.gap_percent(float(gap))


def stop_reason(status: str, gap: object, wall_s: object, target_pct: float | None,
                limit_s: float | None) -> str:
    """Why a solve stopped, from its facts: ``report_stop.<key>`` in :mod:`wording.report`.

    OPTIMAL is proven; a FEASIBLE result stopped at its gap target when its proven gap is
    within the target, at its time limit when it ran (nearly) all of it, else for another
    reason (e.g. the search ran out of moves) — never "time limit" for a solve that stopped
    at 3.6 s of 10 s.
    """
    if status != "FEASIBLE":
        return "optimal" if status == "OPTIMAL" else status
    if (isinstance(gap, int | float) and target_pct is not None
            and gap * 100 <= target_pct + 1e-9):
        return "gap_target"
    if isinstance(wall_s, int | float) and limit_s and wall_s >= AT_LIMIT * limit_s:
        return "time_limit"
    return "stopped"


def _solver(data: ReportData, lang: str) -> dict[str, Any] | None:
    t, s = TEXT[lang], data.summary
    if not s:
        return None
    status, gap, wall = str(s.get("status", "")), s.get("gap"), s.get("wall_time_s")
    target = _lever_number(data, "solver.target_gap_pct")
    limit = _lever_number(data, "solver.time_limit_s")
    reason = stop_reason(status, gap, wall, target, limit)
    key = f"report_stop.{reason}"
    words = wording.translate(key, lang) if key in wording.TEXT else "{status}"
    sentence = words.format(time=_fmt(wall, 1), limit=f"{limit:g}" if limit else "–",
                            gap=gap_text(gap, lang), target=f"{target:g}" if target else "–",
                            status=status)
    rows = [(t["status"], sentence), (t["objective"], _fmt(s.get("objective"), 3)),
            (t["bound"], _fmt(s.get("best_bound"), 3)), (t["gap"], gap_text(gap, lang)),
            (t["time"], t["seconds"].format(s=_fmt(wall, 2)))]
    # a solved result is described from its facts above; the solver's own line is kept only
    # when there is no allocation (it says why)
    message = "" if status in ("OPTIMAL", "FEASIBLE") else (
        s.get("message_zh" if lang == "zh" else "message") or "")
    return {"rows": rows, "message": message}


def _signed_pct(pct: float) -> str:
    return "–" if not np.isfinite(pct) else f"{pct:+.2f} %"


def _tile(row: pd.Series, data: ReportData, lang: str) -> dict[str, str]:
    t, key = TEXT[lang], str(row["indicator"])
    if key == "changed_area_ha":
        share = _total(data, "changed_area_pct")
        pct = float(share["value"]) if share is not None else float("nan")
        detail, css = f"{_fmt(pct, 2)} % {t['share_of_area']}", ""
    else:
        change, base = _shown(row, "change"), float(row["baseline"])
        pct = float(row["change"]) / base * 100 if base else float("nan")
        css = "up" if change > 0 else "down" if change < 0 else ""
        detail = f"{t['vs']} {'+' if change > 0 else ''}{_fmt(change)} ({_signed_pct(pct)})"
    return {"label": _label(row, lang), "value": _fmt(_shown(row, "value")),
            "unit": _unit(row, lang), "detail": detail, "css": css}


def _kpis(data: ReportData, lang: str) -> list[dict[str, str]]:
    rows = [r for r in (_total(data, k) for k in KPIS) if r is not None]
    return [_tile(r, data, lang) for r in rows]


# -- maps ---------------------------------------------------------------------------------------
def _projector(geometry: np.ndarray) -> tuple[float, float, float, float, float]:
    """Origin, scale and size of the pixel frame: x = lon·cos(lat0), y = lat, flipped."""
    minx, miny, maxx, maxy = shapely.total_bounds(geometry)
    cos0 = float(np.cos(np.radians((miny + maxy) / 2)))
    width = max((maxx - minx) * cos0, 1e-9)
    scale = MAP_WIDTH / width
    return minx, maxy, cos0, scale, (maxy - miny) * scale


def _to_pixels(geometry: np.ndarray) -> tuple[np.ndarray, float]:
    minx, maxy, cos0, scale, height = _projector(geometry)

    def project(xy: np.ndarray) -> np.ndarray:
        return np.column_stack([(xy[:, 0] - minx) * cos0 * scale, (maxy - xy[:, 1]) * scale])

    return shapely.transform(geometry, project), height


def _simplified(pixels: np.ndarray) -> np.ndarray:
    """Pixel-space geometry simplified until it fits :data:`MAX_MAP_VERTICES`."""
    tolerance = SIMPLIFY_PX
    while True:
        simple = shapely.simplify(pixels, tolerance, preserve_topology=False)
        if shapely.get_num_coordinates(simple).sum() <= MAX_MAP_VERTICES or tolerance > 8:
            return simple
        tolerance *= 2


def svg_path_data(geometry: np.ndarray) -> str:
    """SVG path ``d`` of polygons in pixel coordinates (rings closed with Z, 0.1 px)."""
    polygons = shapely.get_parts(geometry[~shapely.is_empty(geometry)])
    rings = shapely.get_rings(polygons)
    if len(rings) == 0:
        return ""
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    closing = np.r_[ring[1:] != ring[:-1], True]       # last vertex repeats the first
    coords, ring = np.round(coords[~closing], 1), ring[~closing]
    starts = np.r_[True, ring[1:] != ring[:-1]]
    ends = np.r_[starts[1:], True]
    parts = []
    for (x, y), start, end in zip(coords.tolist(), starts.tolist(), ends.tolist(), strict=True):
        parts.append(f"{'M' if start else ' '}{x:g} {y:g}{'Z' if end else ''}")
    return "".join(parts)


def svg_map(pixels: np.ndarray, height: float, codes: np.ndarray, classes: pd.DataFrame,
            outline: np.ndarray | None = None, title: str = "") -> str:
    """A land-use map: one filled path per class, optional black outlines of some parcels."""
    paths = []
    for code, color in zip(classes["code"].astype(int), classes["color"], strict=True):
        d = svg_path_data(pixels[codes == code])
        if d:
            c = _color(color)
            paths.append(f"<path fill=\"{c}\" stroke=\"{c}\" stroke-width=\"0.4\" "
                         f"fill-rule=\"evenodd\" d=\"{d}\"/>")
    if outline is not None and outline.any():
        paths.append("<path fill=\"none\" stroke=\"#000\" stroke-width=\"0.8\" "
                     f"d=\"{svg_path_data(pixels[outline])}\"/>")
    return (f"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{MAP_WIDTH:.0f}\" "
            f"height=\"{height:.0f}\" viewBox=\"0 0 {MAP_WIDTH:.0f} {height:.1f}\" role=\"img\" "
            f"aria-label=\"{_e(title)}\"><title>{_e(title)}</title>{''.join(paths)}</svg>")



def _maps(data: ReportData, lang: str) -> dict[str, Any] | None:
    t = TEXT[lang]
    names = _class_names(data, lang)
    legend = [(_color(c), names[int(k)])
              for k, c in zip(data.classes["code"], data.classes["color"], strict=True)]
    before, after = np.asarray(data.before), np.asarray(data.after)
    changed = before != after
    if data.grid is None and len(data.geometry) == 0:
        return None
    if data.grid is None and len(data.geometry) <= RASTER_MAP_MIN:
        pixels, height = _to_pixels(data.geometry)
        pixels = _simplified(pixels)
        return {"legend": legend,
                "before": Markup(svg_map(pixels, height, before, data.classes,
                                         title=t["before"])),
                "after": Markup(svg_map(pixels, height, after, data.classes, changed,
                                        t["after"]))}
    index, palette = class_palette(data.classes)
    k = len(data.classes)
    first, second = _paint(before, index), _paint(after, index)
    darkened = np.where(changed & (second > 0), second + k, 0).astype(np.uint8)
    where = {"grid": data.grid, "cells": data.cells, "geometry": data.geometry}
    maps = [picture([first], palette, **where), picture([second, darkened], palette, **where)]
    return {"legend": legend, "before": Markup(svg_picture(*maps[0], t["before"])),
            "after": Markup(svg_picture(*maps[1], t["after"]))}


def class_palette(classes: pd.DataFrame
                  ) -> tuple[dict[int, int], list[tuple[int, int, int, int]]]:
    """Class code → palette index (1..K; 0 is transparent), and the palette with each class's
    colour and a darker copy (index + K) for changed parcels."""
    index = {int(code): i + 1 for i, code in enumerate(classes["code"])}
    rgb = [tuple(int(_color(c)[i:i + 2], 16) for i in (1, 3, 5)) for c in classes["color"]]
    dark = [tuple(int(v * 0.45) for v in colour) for colour in rgb]
    palette = [(0, 0, 0, 0), *((*c, 255) for c in rgb), *((*c, 255) for c in dark)]
    return index, palette


def _paint(codes: np.ndarray, index: dict[int, int]) -> np.ndarray:
    return pd.Series(codes).map(index).fillna(0).to_numpy(dtype=np.uint8)


def picture(layers: Sequence[np.ndarray], palette: Sequence[tuple[int, int, int, int]],
            grid: GridSpec | None = None, cells: tuple[np.ndarray, np.ndarray] | None = None,
            geometry: np.ndarray | None = None) -> tuple[str, float]:
    """A map picture of a grid store (``grid`` and each parcel's ``cells`` row and column) or
    of a polygon store (WGS 84 ``geometry``).

    Parameters
    ----------
    layers : sequence of (n,) uint8
        Palette index per parcel, drawn in order; a later layer wins where it is not 0.
    palette : sequence of RGBA
        Entry 0 is transparent.

    Returns
    -------
    url, height : str, float
        The PNG as a ``data:`` URL and the map's height in map pixels.
    """
    image, height = (_grid_image(grid, cells, layers) if grid is not None
                     else _burnt_image(geometry, layers))
    return png_data_url(image, palette), height


def _grid_image(grid: GridSpec, cells: tuple[np.ndarray, np.ndarray],
                layers: Sequence[np.ndarray]) -> tuple[np.ndarray, float]:
    """Cells sampled to about :data:`RASTER_MAP_PX` wide: a block takes the value of one of its
    cells, and a later layer's value where any of its cells has one (so that small marks
    survive the sampling)."""
    rows, cols = cells
    n_rows, n_cols = grid.cell_shape
    step = max(1, int(np.ceil(n_cols / RASTER_MAP_PX)))
    image = np.zeros((-(-n_rows // step), -(-n_cols // step)), dtype=np.uint8)
    for values in layers:
        drawn = values > 0
        image[rows[drawn] // step, cols[drawn] // step] = values[drawn]
    return image, MAP_WIDTH * n_rows / n_cols


def _burnt_image(geometry: np.ndarray, layers: Sequence[np.ndarray]
                 ) -> tuple[np.ndarray, float]:
    """Parcels burnt into an image in map space (touched pixels count)."""
    from rasterio import features
    from rasterio.transform import Affine

    pixels, height = _to_pixels(geometry)
    scale = RASTER_MAP_PX / MAP_WIDTH
    shape = (max(1, int(np.ceil(height * scale))), int(RASTER_MAP_PX))
    transform = Affine(1 / scale, 0, 0, 0, 1 / scale, 0)  # image pixel → map pixel (y down)
    image = np.zeros(shape, dtype=np.uint8)
    for values in layers:
        drawn = values > 0
        if drawn.any():
            burnt = features.rasterize(zip(pixels[drawn], values[drawn].tolist(), strict=True),
                                       out_shape=shape, transform=transform, fill=0,
                                       dtype="uint8", all_touched=True)
            image = np.where(burnt > 0, burnt, image)
    return image, height


def png_data_url(image: np.ndarray, palette: Sequence[tuple[int, int, int, int]]) -> str:
    """A palette PNG (entry 0 transparent) as a ``data:`` URL."""
    from PIL import Image

    picture = Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8), mode="P")
    picture.putpalette([v for colour in palette for v in colour[:3]])
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", transparency=bytes(c[3] for c in palette),
                 optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def svg_picture(url: str, height: float, title: str = "") -> str:
    """A map picture (``data:`` URL) inside an SVG of the maps' size."""
    return (f"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{MAP_WIDTH:.0f}\" "
            f"height=\"{height:.0f}\" viewBox=\"0 0 {MAP_WIDTH:.0f} {height:.1f}\" role=\"img\" "
            f"aria-label=\"{_e(title)}\"><title>{_e(title)}</title>"
            f"<image href=\"{url}\" x=\"0\" y=\"0\" width=\"{MAP_WIDTH:.0f}\" "
            f"height=\"{height:.1f}\" preserveAspectRatio=\"none\" "
            "style=\"image-rendering:pixelated\"/></svg>")


# -- charts -------------------------------------------------------------------------------------
def svg_bars(labels: Sequence[str], series: Sequence[tuple[Sequence[float], Sequence[str],
                                                              float]],
             title: str, width: float = 520.0) -> str:
    """Horizontal bar chart; each series is (values, colours, opacity), drawn as grouped bars.

    Negative values grow to the left of a zero line, so the same chart shows changes.
    """
    bar, gap, label_w, value_w = 12.0, 8.0, 170.0, 90.0
    plot_w = width - label_w - value_w
    values = np.array([list(s[0]) for s in series], dtype=float)
    finite = values[np.isfinite(values)]
    lo, hi = min(0.0, finite.min(initial=0.0)), max(0.0, finite.max(initial=0.0))
    span = (hi - lo) or 1.0
    zero = label_w + (-lo) / span * plot_w
    group_h = len(series) * bar + gap
    height = len(labels) * group_h + gap
    parts = []
    for i, label in enumerate(labels):
        y0 = gap + i * group_h
        short = _shorten(label)
        parts.append(f"<text x=\"{label_w - 6}\" y=\"{y0 + group_h / 2 - 1:.1f}\" "
                     f"text-anchor=\"end\" font-size=\"12\"><title>{_e(label)}</title>"
                     f"{_e(short)}</text>")
        for j, (vals, colors, opacity) in enumerate(series):
            parts.append(_bar(float(vals[i]), zero, span, plot_w, y0 + j * bar, bar,
                              _color(colors[i]), opacity))
    parts.append(f"<line x1=\"{zero:.1f}\" x2=\"{zero:.1f}\" y1=\"0\" y2=\"{height:.0f}\" "
                 "stroke=\"#666\"/>")
    return (f"<figure><figcaption>{_e(title)}</figcaption>"
            f"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0f}\" "
            f"height=\"{height:.0f}\" role=\"img\" aria-label=\"{_e(title)}\">"
            f"{''.join(parts)}</svg></figure>")


def _shorten(label: str) -> str:
    """Cut a label to :data:`LABEL_BUDGET` (CJK characters count double: they are wide)."""
    used = 0
    for i, ch in enumerate(label):
        used += 2 if ord(ch) > 0x2E80 else 1
        if used > LABEL_BUDGET:
            return label[: max(i - 1, 1)] + "…"
    return label


def _bar(value: float, zero: float, span: float, plot_w: float, y: float, h: float,
         color: str, opacity: float) -> str:
    if not np.isfinite(value):
        return ""
    length = abs(value) / span * plot_w
    x = zero if value >= 0 else zero - length
    # Values of negative bars are written right of the zero line, clear of the labels.
    text_x = x + length + 4 if value >= 0 else zero + 4
    anchor = "start"
    return (f"<rect x=\"{x:.1f}\" y=\"{y:.1f}\" width=\"{max(length, 0.5):.1f}\" "
            f"height=\"{h - 1:.1f}\" fill=\"{color}\" fill-opacity=\"{opacity}\"/>"
            f"<text x=\"{text_x:.1f}\" y=\"{y + h - 3:.1f}\" font-size=\"10\" "
            f"text-anchor=\"{anchor}\">{_fmt(value)}</text>")



def _area_chart(data: ReportData, lang: str) -> str:
    rows = data.indicators[(data.indicators["indicator"] == "area_ha")
                           & (data.indicators["scope_type"] == "class")]
    classes = data.classes.set_index("key")
    rows = rows[rows["scope"].isin(classes.index)]
    names = classes["name_zh" if lang == "zh" else "name_en"]
    labels = [str(names[k]) for k in rows["scope"]]
    colors = [str(classes.loc[k, "color"]) for k in rows["scope"]]
    return svg_bars(labels, [(rows["baseline"].tolist(), colors, 0.4),
                             (rows["value"].tolist(), colors, 1.0)], TEXT[lang]["area_chart"])


def _change_chart(data: ReportData, lang: str) -> str:
    labels, values = [], []
    for key in CHANGE_CHART:
        row = _total(data, key)
        if row is not None and float(row["baseline"]):
            labels.append(_label(row, lang))
            values.append(float(row["change"]) / float(row["baseline"]) * 100)
    colors = ["#2e7d32" if v >= 0 else "#c62828" for v in values]
    return svg_bars(labels, [(values, colors, 0.9)], TEXT[lang]["change_chart"])


def _region(data: ReportData, name: object, lang: str) -> str:
    """A region's name in ``lang`` (English where the store has one)."""
    return data.region_names.get(str(name), {}).get(lang, str(name))


def _region_chart(data: ReportData, lang: str) -> str:
    rows = data.indicators[(data.indicators["indicator"] == "changed_area_ha")
                           & (data.indicators["scope_type"] == "region")]
    if rows.empty:
        return ""
    return svg_bars([_region(data, r, lang) for r in rows["scope"]],
                    [(rows["value"].tolist(), ["#5c6bc0"] * len(rows), 0.9)],
                    TEXT[lang]["region_chart"])


def _charts(data: ReportData, lang: str) -> list[Markup]:
    charts = [_area_chart(data, lang), _change_chart(data, lang), _region_chart(data, lang)]
    return [Markup(c) for c in charts if c]


# -- tables -------------------------------------------------------------------------------------
def _transitions(data: ReportData, lang: str) -> dict[str, Any]:
    matrix = data.transitions
    names = dict(zip(data.classes["key"], data.classes["name_zh" if lang == "zh" else "name_en"],
                     strict=True))
    rows = [{"name": names.get(key, key), "total": _fmt(matrix.loc[key].sum()),
             "cells": [(_fmt(v), i == j) for j, v in enumerate(matrix.loc[key])]}
            for i, key in enumerate(matrix.index)]
    return {"head": [names.get(k, k) for k in matrix.columns], "rows": rows,
            "totals": [_fmt(v) for v in matrix.sum(axis=0)],
            "total": _fmt(matrix.to_numpy().sum())}


SOURCE_WORDS = {"rules": "suitability_rules", "learned": "suitability_learned_plain"}


def lever_label(section: str, key: str, lang: str) -> str:
    """A lever's label in ``lang`` (:mod:`wording.levers`); region entries
    (``region_quota_pct.城关镇``) name the region; other keys (the scenario's description)
    their catalogue entry."""
    dotted = f"{section}.{key}" if section else key
    if lever_words.known(dotted):
        return lever_words.label(dotted, lang)
    base, _, region = key.partition(".")
    if region and lever_words.known(f"{section}.{base}"):
        return f"{lever_words.label(f'{section}.{base}', lang)} · {region}"
    return wording.translate(dotted, lang)


def lever_value_text(value: object, lang: str) -> str:
    """A lever value people read: yes/no for switches, words for choices, numbers tidy."""
    t = TEXT[lang]
    if isinstance(value, bool):
        return t["yes"] if value else t["no"]
    if isinstance(value, str) and f"red_line_{value}" in wording.TEXT:  # the choice levers
        return wording.translate(f"red_line_{value}", lang)
    if isinstance(value, str) and value in SOURCE_WORDS:  # [suitability] source
        return wording.translate(SOURCE_WORDS[value], lang)
    if isinstance(value, int | float):
        return f"{value:,.6g}"
    return str(value)


def _levers(data: ReportData, lang: str) -> list[tuple[str, str, str]]:
    rows = []
    for r in data.levers.itertuples(index=False):
        if not r.section and r.key in NAME_KEYS:
            continue  # the scenario's own name is the title
        label = lever_label(str(r.section), str(r.key), lang)
        if "." in str(r.key):  # a per-region entry: the region in the page's language
            base, _, region = str(r.key).partition(".")
            label = label.replace(f" · {region}", f" · {_region(data, region, lang)}")
        section_key = f"report_section.{r.section or 'scenario'}"
        section = (wording.translate(section_key, lang) if section_key in wording.TEXT
                   else str(r.section))
        value = (_pairs_text(data, r.value, lang) if str(r.key) == "forbidden"
                 else lever_value_text(r.value, lang))
        rows.append((section, label, value))
    return rows


def _pairs_text(data: ReportData, value: object, lang: str) -> str:
    """Forbidden conversions ``[["cropland", "unused"]]`` as ``耕地 → 未利用地``."""
    import json

    try:
        pairs = json.loads(str(value))
    except ValueError:
        return str(value)
    names = dict(zip(data.classes["key"].astype(str),
                     data.classes["name_zh" if lang == "zh" else "name_en"].astype(str),
                     strict=True))
    if not pairs:
        return TEXT[lang]["none"]
    separator = "；" if lang == "zh" else "; "
    return separator.join(" → ".join(names.get(str(k), str(k)) for k in pair) for pair in pairs)


def _indicator_groups(data: ReportData, lang: str) -> list[dict[str, Any]]:
    totals = data.indicators[data.indicators["scope_type"] == "total"]
    groups = []
    for group, part in totals.groupby("group", sort=False):
        rows = [{"label": _label(r, lang), "baseline": _fmt(_shown(r, "baseline"), 2),
                 "value": _fmt(_shown(r, "value"), 2), "change": _fmt(_shown(r, "change"), 2),
                 "unit": _unit(r, lang)} for _, r in part.iterrows()]
        key = f"indicator_group.{group}"
        groups.append({"name": wording.translate(key, lang) if key in wording.TEXT else str(group),
                       "rows": rows})
    return groups
