"""The data page's change validation section: the reports of ``python -m data validate-change``.

A report (``score.json``, format :data:`FORMAT`) holds the Figure of Merit and the other scores
of the learned change model and of three baselines, the model's driver contributions and the
paths of two GeoTIFFs beside it: the allocated map and the agreement map (codes of
:data:`data.change.scores.AGREEMENT_CODES`). Reports are found under
``<stores folder>/validation/`` (any depth).

The readers and formatters are pure (no Streamlit; a broken file is a :class:`ReportError`
carrying a wording key, never a traceback on the page); file reads are cached by path and
modification time; :func:`validation_section` lays the section out.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from dashboard.components import charts, grid_maps, maps
from data.change.scores import AGREEMENT_CODES
from data.paths import REPO_ROOT

FORMAT = "landalloc-change-validation/1"
MODELS = ("learned", "null", "random", "nearest")
#: Score fields every model must have (areas in ha, shares 0..1).
SCORE_FIELDS = ("fom", "hits", "misses", "wrong_hits", "false_alarms", "observed_change",
                "simulated_change", "kappa", "quantity_disagreement", "allocation_disagreement",
                "restricted_changed")
#: Fields read outside the scores (dotted paths into the report).
REPORT_FIELDS = ("inputs.train_start", "inputs.train_end", "inputs.start", "inputs.end",
                 "grain.cell_m", "grain.cells", "classes", "model.importance", "model.training",
                 "allocation.status", "allocation.seconds", "best_baseline",
                 "margin_over_best_baseline")
MAX_PX = 1000  # long side of a displayed map image: Wuhan's 2,931² pixels keep one in three
TOP_DRIVERS = 8
#: Agreement codes' colours: persistence pale, the four kinds of change far apart.
AGREEMENT_COLORS: dict[str, str] = {
    "persistence": "#dcdcdc",   # light grey
    "hit": "#2e9e44",           # green
    "miss": "#e4572e",          # red-orange
    "wrong_hit": "#8e44ad",     # purple
    "false_alarm": "#f2b705",   # yellow
}
FALLBACK_COLORS = ("#9ccc65", "#43a047", "#f2d16b", "#d84315", "#bdbdbd", "#1e88e5", "#1b5e20",
                   "#8d6e63", "#7e57c2", "#26a69a")
#: The command of the hint shown when there is no report yet (the Wuhan test data, 300 m).
COMMAND = """W=../shared/data/wuhan
python -m data validate-change \\
  --train-start $W/LULCs/wh2003_refy.tif --train-end $W/LULCs/wh2005_refy.tif \\
  --start $W/LULCs/wh2005_refy.tif --end $W/LULCs/wh2010_refy.tif \\
  --mapping data/mappings/wuhan.toml --no-change $W/WaterWuhan.tif \\
  --driver dem=$W/DriveFactors/wh_df_dem.tif --cell-size 300 \\
  --out {folder}/wuhan_300m/score.json --map {folder}/wuhan_300m/allocated.tif"""

Translate = Callable[..., str]


class ReportError(Exception):
    """A report or map that cannot be shown: a wording key and the values of its message."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key, values)
        self.key, self.values = key, values

    def message(self, t: Translate) -> str:
        """The message in the session's language."""
        return t(self.key, **self.values)


@dataclass(frozen=True)
class Report:
    """A checked validation report.

    Attributes
    ----------
    path : Path
        The JSON file.
    name : str
        Its path relative to the folder it was found in (how messages name it).
    data : dict
        The JSON's content.
    """

    path: Path
    name: str
    data: dict[str, Any]

    def scores(self, model: str) -> dict[str, Any]:
        return self.data["scores"][model]

    def map_path(self, which: str) -> Path | None:
        """``allocated`` or ``agreement`` map (relative paths are read from the JSON's folder);
        None when the report has no maps."""
        relative = (self.data.get("maps") or {}).get(which)
        return None if not relative else self.path.parent / relative


# ---- reading reports ---------------------------------------------------------------------

def load_report(path: Path, root: Path | None = None) -> Report:
    """Read and check one report.

    Parameters
    ----------
    path : Path
        The JSON file.
    root : Path, optional
        The folder it was found in: messages name the file relative to it.

    Returns
    -------
    Report

    Raises
    ------
    ReportError
        Unreadable file, broken JSON, another format, or a missing or non-numeric field.
    """
    name = _shown_name(path, root)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError("val_err_read", file=name, reason=_reason(exc)) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError("val_err_json", file=name, line=exc.lineno, reason=exc.msg) from exc
    found = data.get("format") if isinstance(data, dict) else None
    if found != FORMAT:
        raise ReportError("val_err_format", file=name, found=str(found or "–")[:60],
                          expected=FORMAT)
    _check_fields(data, name)
    return Report(path, name, data)


def _shown_name(path: Path, root: Path | None) -> str:
    try:
        return str(path.relative_to(root)) if root is not None else path.name
    except ValueError:
        return path.name


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or type(exc).__name__


def _check_fields(data: dict, name: str) -> None:
    """Every field the section reads is there (scores numeric): no KeyError on the page."""
    for dotted in REPORT_FIELDS:
        _field(data, dotted, name)
    for model in MODELS:
        for score in SCORE_FIELDS:
            value = _field(data, f"scores.{model}.{score}", name)
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ReportError("val_err_field", file=name, field=f"scores.{model}.{score}")
    if data["best_baseline"] not in MODELS:
        raise ReportError("val_err_field", file=name, field="best_baseline")


def _field(data: dict, dotted: str, name: str) -> Any:
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value or value[part] is None:
            raise ReportError("val_err_field", file=name, field=dotted)
        value = value[part]
    return value


def find_reports(folder: Path) -> tuple[list[Report], list[ReportError]]:
    """The reports under ``folder`` (any depth, sorted by path) and the JSON files there that
    are not readable reports."""
    found, problems = [], []
    for path in sorted(folder.rglob("*.json")) if folder.is_dir() else []:
        try:
            found.append(cached_report(path, folder))
        except ReportError as error:
            problems.append(error)
    return found, problems


def cached_report(path: Path, root: Path) -> Report:
    """:func:`load_report`, read again only when the file changes."""
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise ReportError("val_err_read", file=_shown_name(path, root), reason=_reason(exc)) from exc
    return _value_or_raise(_cached_report(str(path), mtime, str(root)), Report)


@st.cache_data(max_entries=64, show_spinner=False)
def _cached_report(path: str, mtime_ns: int, root: str) -> Report | tuple[str, dict]:
    try:
        return load_report(Path(path), Path(root))
    except ReportError as error:  # st.cache_data keeps results, not exceptions
        return error.key, error.values


# ---- labels and numbers ------------------------------------------------------------------

def map_names(names: list[str]) -> list[str]:
    """Short names of map files: the extension and a suffix all of them share after a
    separator dropped (``wh2003_refy.tif``, ``wh2005_refy.tif`` → ``wh2003``, ``wh2005``)."""
    stems = [Path(name).stem for name in names]
    shared = _common_suffix(stems)
    cut = min((shared.find(sep) for sep in "_-." if sep in shared), default=-1)
    if cut < 0 or len(shared) - cut >= min(len(s) for s in stems):
        return stems
    return [stem[:len(stem) - (len(shared) - cut)] for stem in stems]


def _common_suffix(texts: list[str]) -> str:
    reversed_prefix = []
    for chars in zip(*(text[::-1] for text in texts), strict=False):
        if len(set(chars)) > 1:
            break
        reversed_prefix.append(chars[0])
    return "".join(reversed(reversed_prefix))


def period_names(report: Report) -> dict[str, str]:
    """Short names of the four maps: ``train_start``, ``train_end``, ``start``, ``end``."""
    keys = ("train_start", "train_end", "start", "end")
    names = map_names([str(report.data["inputs"][k]) for k in keys])
    return dict(zip(keys, names, strict=True))


def report_label(report: Report, t: Translate) -> str:
    """E.g. "wh2003→wh2005 学习 · wh2005→wh2010 验证 · 300 m"."""
    return t("val_label", **period_names(report), cell=f"{report.data['grain']['cell_m']:g}")


def percent(share: float, decimals: int = 1) -> str:
    """A share 0..1 as "12.3 %"."""
    return f"{100 * share:.{decimals}f} %"


@dataclass(frozen=True)
class Tile:
    """One KPI tile: label, value, and the small line under it."""

    label: str
    value: str
    delta: str | None = None
    delta_color: str = "off"
    help: str | None = None


def kpi_tiles(report: Report, t: Translate) -> list[Tile]:
    """FoM of the learned model and of the best baseline, the margin, Kappa, the locked area
    changed (must be 0) and the allocation's status and time."""
    data, learned = report.data, report.scores("learned")
    best = data["best_baseline"]
    margin = 100 * data["margin_over_best_baseline"]
    restricted = learned["restricted_changed"]
    allocation = data["allocation"]
    gap = allocation.get("gap")
    return [
        Tile(t("val_fom_learned"), percent(learned["fom"])),
        Tile(t("val_fom_best", name=t(f"val_model_{best}")), percent(report.scores(best)["fom"])),
        Tile(t("val_margin"), f"{margin:+.1f}", t("val_margin_over", name=t(f"val_model_{best}"))),
        Tile(t("val_kappa"), f"{learned['kappa']:.3f}"),
        Tile(t("val_restricted"), t("area_ha_value", value=f"{restricted:,.0f}"),
             t("val_restricted_ok" if restricted == 0 else "val_restricted_bad"),
             "off" if restricted == 0 else "inverse"),
        Tile(t("val_allocation"), status_word(str(allocation["status"]), t),
             f"{allocation['seconds']:.1f} s", "off",
             t("val_allocation_help", engine=allocation.get("engine_seconds", "–"),
               gap="–" if gap is None else f"{100 * gap:.3f} %")),
    ]


def status_word(status: str, t: Translate) -> str:
    """The allocation's status in one short word (最优, 可行, …); unknown ones as they are."""
    word = t(f"val_status_{status}")
    return status if word == f"val_status_{status}" else word


def score_table(report: Report, t: Translate) -> pd.DataFrame:
    """One row per model (learned first): FoM and disagreements in %, areas in whole ha,
    Kappa."""
    rows = []
    for model in MODELS:
        s = report.scores(model)
        areas = {k: round(float(s[k])) for k in ("hits", "misses", "wrong_hits", "false_alarms",
                                                 "restricted_changed")}
        rows.append({"model": t(f"val_model_{model}"), "fom": 100 * s["fom"],
                     **{k: v for k, v in areas.items() if k != "restricted_changed"},
                     "kappa": s["kappa"], "quantity": 100 * s["quantity_disagreement"],
                     "allocation": 100 * s["allocation_disagreement"],
                     "restricted": areas["restricted_changed"]})
    return pd.DataFrame(rows)


def score_columns(t: Translate) -> dict[str, Any]:
    """Column headers and number formats of :func:`score_table`."""
    area = {c: st.column_config.NumberColumn(t(f"val_col_{c}"), format="localized")
            for c in ("hits", "misses", "wrong_hits", "false_alarms", "restricted")}
    return {"model": st.column_config.TextColumn(t("val_col_model")),
            "fom": st.column_config.NumberColumn(t("val_col_fom"), format="%.2f"),
            **area,
            "kappa": st.column_config.NumberColumn(t("val_col_kappa"), format="%.3f"),
            "quantity": st.column_config.NumberColumn(t("val_col_quantity"), format="%.2f"),
            "allocation": st.column_config.NumberColumn(t("val_col_allocation"), format="%.2f")}


def training_table(report: Report, t: Translate) -> pd.DataFrame:
    """The model's training figures (held-out scores), labelled, in a fixed order."""
    training = report.data["model"]["training"]
    order = ("rows", "held_out_rows", "rounds", "seconds", "accuracy", "log_loss",
             "changed_share", "accuracy_changed", "log_loss_changed")
    rows = [{"measure": t(f"val_tr_{k}"), "value": _training_value(k, training[k])}
            for k in order if k in training]
    return pd.DataFrame(rows, columns=["measure", "value"])


def _training_value(key: str, value: float) -> str:
    if key in ("rows", "held_out_rows", "rounds"):
        return f"{int(value):,}"
    if key in ("accuracy", "changed_share", "accuracy_changed"):
        return percent(value)
    return f"{value:,.3f}" if key.startswith("log_loss") else f"{value:,.1f}"


# ---- classes and driver contributions ------------------------------------------------------

def find_mapping(report: Report):
    """The report's mapping file (beside the report, else among the project's mappings), or
    None when it is not found or not readable."""
    from data.importers.mapping import load_mapping

    name = Path(str(report.data["inputs"].get("mapping") or "")).name
    for folder in (report.path.parent, REPO_ROOT / "data" / "mappings"):
        if name and (folder / name).is_file():
            try:
                return load_mapping(folder / name)
            except Exception:  # noqa: BLE001 — names are a nicety: fall back to the keys
                return None
    return None


def class_legend(report: Report, mapping=None) -> pd.DataFrame:
    """The report's classes with names and colours: ``key``, ``code``, ``name_zh``,
    ``name_en``, ``color`` (from the mapping's class table when it has the key, else the key
    and a fallback colour)."""
    table = pd.DataFrame(columns=["key", "name_zh", "name_en", "color"])
    if mapping is not None:
        from data.classes import read_class_table

        try:
            table = read_class_table(mapping.class_table)
        except Exception:  # noqa: BLE001 — see find_mapping
            pass
    known = table.set_index("key")
    rows = []
    for i, cls in enumerate(report.data["classes"]):
        key = str(cls.get("key"))
        row = known.loc[key] if key in known.index else None
        rows.append({"key": key, "code": cls.get("code"),
                     "name_zh": key if row is None else str(row["name_zh"]),
                     "name_en": key if row is None else str(row["name_en"]),
                     "color": (FALLBACK_COLORS[i % len(FALLBACK_COLORS)] if row is None
                               else str(row["color"]))})
    return pd.DataFrame(rows, columns=["key", "code", "name_zh", "name_en", "color"])


def feature_label(feature: str, names: dict[str, str], cell_m: float, t: Translate) -> str:
    """A driver's name in words: 到城镇用地的距离, 900 m 内耕地占比, 高程 … (else itself)."""
    if feature == "class":
        return t("val_feat_class")
    for key, name in names.items():
        if feature == f"dist_{key}_m":
            return t("val_feat_dist", cls=name)
        share = re.fullmatch(rf"share_{re.escape(key)}_r(\d+)", feature)
        if share:
            return t("val_feat_share", cls=name, radius=distance(int(share[1]) * cell_m))
    label = t(f"val_feat_{feature}")
    return feature if label == f"val_feat_{feature}" else label


def distance(metres: float) -> str:
    """"300 m", "2.4 km"."""
    return f"{metres:g} m" if metres < 1000 else f"{metres / 1000:g} km"


def importance_frame(report: Report, names: dict[str, str], t: Translate,
                     top: int = TOP_DRIVERS) -> pd.DataFrame:
    """The ``top`` drivers of every class by their share of the class's mean |SHAP|
    contribution: ``class_key``, ``driver`` (in words), ``feature``, ``share`` (0..1)."""
    cell_m = float(report.data["grain"]["cell_m"])
    rows = []
    for key, shares in report.data["model"]["importance"].items():
        ranked = sorted(shares.items(), key=lambda item: -float(item[1]))[:top]
        rows += [{"class_key": key, "driver": feature_label(f, names, cell_m, t), "feature": f,
                  "share": float(s)} for f, s in ranked]
    return pd.DataFrame(rows, columns=["class_key", "driver", "feature", "share"])


def importance_chart(frame: pd.DataFrame, labels: dict[str, str], color: str) -> alt.Chart:
    """Horizontal bars of one class's top drivers, largest first, shares as %."""
    return alt.Chart(frame).mark_bar(color=color).encode(
        y=alt.Y("driver:N", sort="-x", title=None, axis=alt.Axis(**charts.CATEGORY_AXIS)),
        x=alt.X("share:Q", title=labels["share"], axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("driver:N", title=labels["driver"]),
                 alt.Tooltip("share:Q", title=labels["share"], format=".1%")],
    ).properties(height=alt.Step(charts.ROW_STEP))


# ---- maps --------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class MapImage:
    """A raster read one pixel in ``stride`` along each axis, and where its image lies.

    Attributes
    ----------
    values : (rows, cols) ndarray
        The kept pixels.
    corners : list of [lon, lat]
        WGS 84 corners of the image in ``BitmapLayer`` order (lb, lt, rt, rb).
    source_shape : (rows, cols)
        The raster's own size.
    stride : int
    nodata : float or None
    """

    values: np.ndarray
    corners: list[list[float]]
    source_shape: tuple[int, int]
    stride: int
    nodata: float | None


def read_map(path: Path, max_px: int = MAX_PX) -> MapImage:
    """Read a single-band GeoTIFF for display: at most ``max_px`` pixels on the long side.

    Raises
    ------
    ReportError
        The file is missing, unreadable or has no coordinate system.
    """
    import rasterio

    if not path.is_file():
        raise ReportError("val_err_map", file=path.name)
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise ReportError("val_err_map_read", file=path.name, reason="no CRS")
            stride = max(1, math.ceil(max(src.height, src.width) / max_px))
            values = src.read(1)[::stride, ::stride]
            corners = image_corners(src.transform, values.shape, stride, src.crs)
            return MapImage(values, corners, (src.height, src.width), stride, src.nodata)
    except rasterio.errors.RasterioError as exc:
        raise ReportError("val_err_map_read", file=path.name, reason=str(exc)[:200]) from exc


def image_corners(transform, shape: tuple[int, int], stride: int, crs) -> list[list[float]]:
    """WGS 84 corners (lb, lt, rt, rb) of an image of ``shape`` pixels, each ``stride``
    source pixels wide, placed by the source's affine ``transform``."""
    import pyproj

    rows, cols = shape[0] * stride, shape[1] * stride
    x, y = zip(*(transform @ corner for corner in ((0, rows), (0, 0), (cols, 0), (cols, rows))),
               strict=True)
    lon, lat = pyproj.Transformer.from_crs(crs, 4326, always_xy=True).transform(x, y)
    return [[round(float(a), 7), round(float(b), 7)] for a, b in zip(lon, lat, strict=True)]


def cached_map(path: Path, max_px: int = MAX_PX) -> MapImage:
    """:func:`read_map`, read again only when the file changes."""
    mtime = path.stat().st_mtime_ns if path.is_file() else 0
    return _value_or_raise(_cached_map(str(path), mtime, max_px), MapImage)


def _value_or_raise(outcome: object, kind: type):
    """A cached value, or the cached (wording key, values) of its error raised again."""
    if isinstance(outcome, kind):
        return outcome
    key, values = outcome
    raise ReportError(key, **values)


@st.cache_data(max_entries=8, show_spinner=False)
def _cached_map(path: str, mtime_ns: int, max_px: int) -> MapImage | tuple[str, dict]:
    try:
        return read_map(Path(path), max_px)
    except ReportError as error:
        return error.key, error.values


def agreement_palette() -> grid_maps.Palette:
    """Palette of the agreement codes: index = code, 0 (and nodata) transparent."""
    palette = [grid_maps.TRANSPARENT] * (max(AGREEMENT_CODES.values()) + 1)
    for name, code in AGREEMENT_CODES.items():
        palette[code] = tuple(maps.hex_to_rgba(AGREEMENT_COLORS[name]))
    return tuple(palette)


def agreement_indices(values: np.ndarray) -> np.ndarray:
    """Palette index per pixel: the agreement code, 0 where there is none (nodata 255)."""
    codes = np.asarray(values).astype(np.int64)
    return np.where((codes >= 1) & (codes <= max(AGREEMENT_CODES.values())), codes, 0
                    ).astype(np.uint8)


def agreement_legend(report: Report, t: Translate) -> pd.DataFrame:
    """Legend rows (``color``, ``name_zh``/``name_en`` both in the session's language with
    the learned model's area of each kind)."""
    learned = report.scores("learned")
    areas = {"persistence": learned.get("correct_persistence"), "hit": learned["hits"],
             "miss": learned["misses"], "wrong_hit": learned["wrong_hits"],
             "false_alarm": learned["false_alarms"]}
    names = [t(f"val_agree_{name}") + ("" if areas[name] is None else
                                       f" {t('area_ha_value', value=f'{areas[name]:,.0f}')}")
             for name in AGREEMENT_CODES]
    return pd.DataFrame({"color": [AGREEMENT_COLORS[n] for n in AGREEMENT_CODES],
                         "name_zh": names, "name_en": names})


def legend_html(rows: pd.DataFrame, lang: str) -> str:
    """Colour swatches with their names (``color``, ``name_zh``/``name_en``), each swatch kept
    on one line with its name; names are escaped."""
    from html import escape

    names = rows["name_zh" if lang == "zh" else "name_en"]
    items = [f'<span style="white-space:nowrap;margin-right:14px"><span style="display:'
             f'inline-block;width:14px;height:14px;background:{_safe_color(color)};margin:0 4px'
             f' -2px 0;border:1px solid #555"></span>{escape(str(name))}</span>'
             for color, name in zip(rows["color"], names, strict=True)]
    return "<div style='font-size:14px;line-height:1.9'>" + " ".join(items) + "</div>"


def _safe_color(color: object) -> str:
    return str(color) if re.fullmatch(r"#[0-9a-fA-F]{6}", str(color)) else "#808080"


def class_indices(image: MapImage, legend: pd.DataFrame,
                  code_keys: dict[int, str | None]) -> tuple[np.ndarray, grid_maps.Palette]:
    """Palette indices of a class map (raster codes → class key → its legend row) and its
    palette; nodata transparent, codes of no known class grey."""
    position = {key: i + 1 for i, key in enumerate(legend["key"])}
    values = np.asarray(image.values)
    out = np.zeros(values.shape, dtype=np.uint8)
    for code in np.unique(values):
        if image.nodata is not None and code == image.nodata:
            continue
        out[values == code] = position.get(code_keys.get(int(code)), len(position) + 1)
    colors = tuple(tuple(maps.hex_to_rgba(c)) for c in legend["color"])
    return out, (grid_maps.TRANSPARENT, *colors, grid_maps.FALLBACK)


def raster_code_keys(report: Report, mapping, codes: np.ndarray) -> dict[int, str | None]:
    """Class key of each code of the allocated map (source codes through the mapping; without
    it, the report's class codes)."""
    codes = [int(c) for c in np.unique(codes)]
    if mapping is not None:
        return {int(code): key for code, key in mapping.resolve_codes(codes).items()}
    by_code = {int(c["code"]): str(c["key"]) for c in report.data["classes"]}
    return {code: by_code.get(code) for code in codes}


def image_deck(url: str, corners: list[list[float]], layer_id: str, width_px: int = 520,
               max_height_px: int = 520) -> tuple[object, int]:
    """A deck of one map image fitted to ``width_px``, and its height."""
    lon, lat = np.array(corners).T
    view, height = maps.fitted_view(lon, lat, width_px, max_height_px)
    return maps.build_deck([grid_maps.bitmap_layer(url, corners, layer_id)], view, None,
                           height=height), height


# ---- the section -------------------------------------------------------------------------

def validation_section(folder: Path, t: Translate, lang: str) -> None:
    """The whole section: pick a report, then its tiles, table, drivers and maps.

    Parameters
    ----------
    folder : Path
        ``<stores folder>/validation``.
    t : callable
        The catalogue's text in the session's language.
    lang : str
        "zh" or "en".
    """
    st.subheader(t("val_title"))
    st.caption(t("val_intro"))
    found, problems = find_reports(folder)
    if problems:
        st.warning("\n".join([t("val_skipped", n=len(problems)),
                              *(f"- {p.message(t)}" for p in problems)]))
    if not found:
        st.info(t("val_none", folder=str(folder)))
        st.code(COMMAND.format(folder=folder), language="bash")
        return
    report = _pick(found, t)
    st.caption(_inputs_line(report, t))
    _tiles(report, t)
    mapping = find_mapping(report)
    legend = class_legend(report, mapping)
    _score_table(report, t)
    left, right = st.columns([1.3, 1])
    with left:
        _drivers(report, legend, t, lang)
    with right:
        _training(report, t)
    _maps(report, legend, mapping, t, lang)


def _pick(found: list[Report], t: Translate) -> Report:
    labels = [report_label(r, t) for r in found]
    shown = [f"{label} · {r.name}" if labels.count(label) > 1 else label
             for label, r in zip(labels, found, strict=True)]
    index = st.selectbox(t("val_pick"), range(len(found)), format_func=shown.__getitem__,
                         key="val_report")
    return found[index or 0]


def _inputs_line(report: Report, t: Translate) -> str:
    data, names = report.data, period_names(report)
    drivers = ", ".join(sorted((data["inputs"].get("drivers") or {}).keys())) or t("val_no_drivers")
    return t("val_inputs", **names, cells=f"{data['grain']['cells']:,}",
             cell=f"{data['grain']['cell_m']:g}",
             restricted=f"{data['grain'].get('restricted_cells', 0):,}", drivers=drivers,
             created=str(data.get("created_at", "–")).replace("T", " ")[:16],
             seconds=data.get("seconds", "–"), memory=data.get("peak_memory_gb", "–"))


def _tiles(report: Report, t: Translate) -> None:
    tiles = kpi_tiles(report, t)
    for column, tile in zip(st.columns(len(tiles)), tiles, strict=True):
        column.metric(tile.label, tile.value, tile.delta, delta_color=tile.delta_color,
                      delta_arrow="off" if tile.delta_color == "off" else "auto",
                      help=tile.help)
    restricted = report.scores("learned")["restricted_changed"]
    if restricted:
        st.error(t("val_restricted_bad"))


def _score_table(report: Report, t: Translate) -> None:
    st.markdown(f"**{t('val_table')}**")
    st.dataframe(score_table(report, t), hide_index=True, width="stretch",
                 column_config=score_columns(t))
    learned = report.scores("learned")
    st.caption(t("val_table_note", observed=f"{learned['observed_change']:,.0f}",
                 simulated=f"{learned['simulated_change']:,.0f}"))


def _training(report: Report, t: Translate) -> None:
    st.markdown(f"**{t('val_training')}**")
    st.dataframe(training_table(report, t), hide_index=True, width="stretch",
                 column_config={"measure": t("val_col_measure"), "value": t("val_col_value")})


def _drivers(report: Report, legend: pd.DataFrame, t: Translate, lang: str) -> None:
    st.markdown(f"**{t('val_importance')}**")
    names = dict(zip(legend["key"], legend["name_zh" if lang == "zh" else "name_en"],
                     strict=True))
    frame = importance_frame(report, names, t)
    keys = [k for k in legend["key"] if k in set(frame["class_key"])]
    if not keys:
        return
    roles = {str(c.get("key")): c.get("role") for c in report.data["classes"]}
    default = next((i for i, k in enumerate(keys) if roles.get(k) == "built"), 0)
    key = st.selectbox(t("val_importance_class"), keys, index=default,
                       format_func=lambda k: names.get(k, k), key="val_class")
    color = dict(zip(legend["key"], legend["color"], strict=True)).get(key, "#546e7a")
    labels = {"share": t("val_col_share"), "driver": t("val_col_driver")}
    chart = importance_chart(frame[frame["class_key"] == key], labels, color)
    st.altair_chart(charts.configure(chart), width="stretch")
    st.caption(t("val_importance_help", n=TOP_DRIVERS))


def _maps(report: Report, legend: pd.DataFrame, mapping, t: Translate, lang: str) -> None:
    agreement_path, allocated_path = report.map_path("agreement"), report.map_path("allocated")
    if agreement_path is None:
        st.info(t("val_no_maps"))
        return
    end = period_names(report)["end"]
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('val_map_agreement', end=end)}**")
        shown = _agreement_map(report, agreement_path, t, lang)
    with right:
        st.markdown(f"**{t('val_map_allocated', end=end)}**")
        if allocated_path is not None:  # legends under the maps: the two maps start level
            _allocated_map(report, allocated_path, legend, mapping, lang, t)
    if shown is not None and shown.stride > 1:
        rows, cols = shown.values.shape
        st.caption(t("val_map_note", w=cols, h=rows, src_w=shown.source_shape[1],
                     src_h=shown.source_shape[0], stride=shown.stride))


def _agreement_map(report: Report, path: Path, t: Translate, lang: str) -> MapImage | None:
    try:
        image = cached_map(path)
    except ReportError as error:
        st.error(error.message(t))
        return None
    url = grid_maps.png_data_url(agreement_indices(image.values), agreement_palette())
    deck, height = image_deck(url, image.corners, "agreement")
    st.pydeck_chart(deck, height=height, key="val_map_agreement")
    st.markdown(legend_html(agreement_legend(report, t), lang), unsafe_allow_html=True)
    return image


def _allocated_map(report: Report, path: Path, legend: pd.DataFrame, mapping, lang: str,
                   t: Translate) -> None:
    try:
        image = cached_map(path)
    except ReportError as error:
        st.error(error.message(t))
        return
    values, palette = class_indices(image, legend, raster_code_keys(report, mapping,
                                                                    image.values))
    deck, height = image_deck(grid_maps.png_data_url(values, palette), image.corners,
                              "allocated")
    st.pydeck_chart(deck, height=height, key="val_map_allocated")
    st.markdown(legend_html(legend, lang), unsafe_allow_html=True)
