"""Your own data from the browser: upload, map columns, classes and zones, import into a new store.

The import itself is the CLI's (``data.importers``): same validation and the same atomic write,
so a failed upload never touches an existing store. This section only gathers the choices — the
first guesses come from ``data.importers.guess`` — and writes them as a mapping file for the
importer. What a planner commonly gets wrong (no class for a code, duplicate ids, a zone column
that is not yes/no) is checked here first and told in the UI language, naming the uploaded file,
the column or value and the fix.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import services
from data.classes import CLASSES_CAS, read_class_table
from data.errors import examples
from data.importers.errors import DataImportError
from data.importers.guess import (
    TABLES_BY_KEY,
    CodeTable,
    fitting_tables,
    guess_classes,
    guess_columns,
    is_flag_column,
    recognise,
)
from data.importers.mapping import code_text
from data.importers.zones import ZONES

VECTOR_TYPES = ("gpkg", "zip", "geojson", "json", "parquet")
RASTER_TYPES = ("tif", "tiff")
MAX_DISTINCT_CODES = 60   # more distinct codes than this is not a class column
NONE = "—"
UNSET = ""               # a class not chosen yet
Translate = Callable[..., str]
#: Driver slots of a raster upload: name → (label key, parcel column, aggregation).
DRIVERS = {"dem": ("drv_dem", "elevation_m", "mean"), "slope": ("drv_slope", "slope_deg", "mean"),
           "pop": ("drv_pop", "population", "sum"), "grade": ("drv_grade", "farmland_grade", "majority"),
           "eco": ("drv_eco", "eco_importance", "mean")}


@dataclass
class Choices:
    """Everything the page gathered for one import."""

    columns: dict[str, str] = field(default_factory=dict)
    classes: dict[str, str] = field(default_factory=dict)
    class_table: Path | None = None
    region_column: str | None = None
    crs: str | None = None
    zones: dict[str, Path] = field(default_factory=dict)
    drivers: dict[str, Path] = field(default_factory=dict)
    driver_scale: dict[str, float] = field(default_factory=dict)
    regions: Path | None = None
    no_change: Path | None = None
    cell_m: float | None = None
    problems: list[str] = field(default_factory=list)


# ---- names and the mapping file --------------------------------------------------------------

def safe_store_name(text: str) -> str:
    """A store file name from user text: letters, digits, '-' and '_' only (no paths)."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", text.strip())[:40].strip("_")
    return name or "imported"


def safe_file_name(text: str) -> str:
    """The uploaded file's own name, made safe (no folders; Chinese kept): importer messages
    then name the file the planner chose, not a temporary one."""
    path = Path(text.replace("\\", "/")).name
    stem = re.sub(r"[^\w-]+", "_", Path(path).stem).strip("_")[:60] or "upload"
    return stem + Path(path).suffix.lower()


def _toml_string(value: object) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def mapping_text(columns: dict[str, str | None], classes: dict[str, str],
                 region_column: str | None, crs: str | None = None, name: str | None = None,
                 class_table: Path | None = None,
                 drivers: dict[str, tuple[str, str, float]] | None = None) -> str:
    """A mapping TOML (see data/mappings/README.md) from the choices made on the page.

    ``drivers`` maps a driver name to (parcel column, aggregation, scale); the DEM also fills
    ``slope_deg``.
    """
    lines = []
    if name:
        lines += [f"name_zh = {_toml_string(name)}", f"name_en = {_toml_string(name)}"]
    if crs:
        lines.append(f"crs = {_toml_string(crs)}")
    if class_table:
        lines.append(f"class_table = {_toml_string(class_table.as_posix())}")
    lines.append("[columns]")
    lines += [f"{store} = {_toml_string(src)}" for store, src in columns.items() if src]
    lines.append("[classes]")
    lines += [f"{_toml_string(code)} = {_toml_string(key)}" for code, key in classes.items()]
    if region_column:
        lines += ["[regions]", f"column = {_toml_string(region_column)}"]
    for driver, (column, aggregation, scale) in (drivers or {}).items():
        lines += [f"[drivers.{driver}]", f"column = {_toml_string(column)}",
                  f"aggregation = {_toml_string(aggregation)}", f"scale = {scale!r}"]
        if driver == "dem":
            lines.append('slope_column = "slope_deg"')
    return "\n".join(lines) + "\n"


# ---- saving uploads ----------------------------------------------------------------------

def _folder(uploaded) -> Path:
    """One temporary folder per uploaded file, kept for the session (not rewritten per rerun)."""
    folders = st.session_state.setdefault("upload_folders", {})
    if uploaded.file_id not in folders:
        folders[uploaded.file_id] = Path(tempfile.mkdtemp(prefix="landalloc_upload_"))
    return folders[uploaded.file_id]


def _save(uploaded) -> Path:
    """Write the upload once under its own (safe) name; return its path."""
    target = _folder(uploaded) / safe_file_name(uploaded.name)
    if not target.exists():
        target.write_bytes(uploaded.getbuffer())
    return target


def _upload_slot(label: str, types: tuple[str, ...], key: str) -> Path | None:
    uploaded = st.file_uploader(label, type=list(types), key=key)
    return None if uploaded is None else _save(uploaded)


# ---- class choices -------------------------------------------------------------------------

def class_labels(class_table: Path, lang: str) -> dict[str, str]:
    """Class key → display name in ``lang`` (耕地, 落叶林 …): roles never show as keys."""
    table = read_class_table(class_table)
    names = table["name_zh" if lang == "zh" else "name_en"]
    return dict(zip(table["key"], names, strict=True))


def _table_choice(codes: list[object], bounds: tuple[float, ...] | None, column: str | None,
                  file_key: str, t: Translate, lang: str) -> CodeTable | None:
    """The code table: the recognised one by default, any other that fits on request."""
    found = recognise(codes, bounds, column)
    fits = [table.key for table in fitting_tables(codes, bounds)]
    if not fits:
        return None
    options = ["", *fits]
    picked = st.selectbox(
        t("up_code_table"), options, index=options.index(found.key) if found else 0,
        format_func=lambda k: TABLES_BY_KEY[k].name(lang) if k else t("up_table_none"),
        key=f"code_table:{file_key}")
    if picked:
        st.caption(t("up_table_recognised", name=TABLES_BY_KEY[picked].name(lang)))
    return TABLES_BY_KEY[picked] if picked else None


def _class_choices(counts: pd.Series, table: CodeTable | None, label_key: str, file_key: str,
                   t: Translate, lang: str) -> tuple[dict[str, str], Path]:
    """One picker per code, pre-set to its guess (unset when there is none)."""
    class_table = table.class_table if table and table.class_table else CLASSES_CAS
    labels = class_labels(class_table, lang)
    guesses = guess_classes(list(counts.index), table)
    if any(guess is None for guess in guesses.values()):
        st.warning(t("up_table_unknown"))
    options = [UNSET, *labels]
    chosen = {}
    grid = st.columns(3)
    for i, (code, n) in enumerate(counts.items()):
        text = code_text(code)
        guess = guesses.get(text) or UNSET
        chosen[text] = grid[i % 3].selectbox(
            t(label_key, code=text, n=int(n)), options, index=options.index(guess),
            format_func=lambda k: labels.get(k, t("up_unset")),
            key=f"class:{file_key}:{table.key if table else ''}:{text}")
    return chosen, class_table


def _check_classes(chosen: dict[str, str], file: str, t: Translate) -> list[str]:
    unset = [code for code, key in chosen.items() if key == UNSET]
    if not unset:
        return []
    return [t("err_unset_classes", file=file, n=len(unset), codes=", ".join(unset[:8]))]


# ---- vector uploads -----------------------------------------------------------------------

def _pick_column(label: str, names: list[str], guess: str | None, key: str, t: Translate,
                 optional: bool = True) -> str | None:
    options = [NONE, *names] if optional or guess not in names else names
    index = options.index(guess) if guess in options else 0
    picked = st.selectbox(label, options, index=index, key=key,
                          format_func=lambda c: t("up_none") if c == NONE else c)
    return None if picked == NONE else picked


def _wgs84_bounds(frame) -> tuple[float, ...] | None:
    """West, south, east, north in WGS 84 (the box reprojected, not every geometry)."""
    from pyproj import Transformer

    if frame.crs is None:
        return None
    to_wgs84 = Transformer.from_crs(frame.crs, 4326, always_xy=True)
    return tuple(to_wgs84.transform_bounds(*frame.total_bounds))


def _vector_form(path: Path, file_key: str, t: Translate, lang: str) -> Choices:
    frame = services.uploaded_vector(str(path))
    names = [str(c) for c in frame.columns if c != frame.geometry.name]
    guess = guess_columns(frame)
    choices = Choices()
    left, right = st.columns(2)
    with left:
        id_column = _pick_column(t("up_col_id"), names, guess["parcel_id"], f"col_id:{file_key}", t)
    with right:
        class_column = _pick_column(t("up_col_class"), names, guess["land_use"],
                                    f"col_class:{file_key}", t)
    choices.region_column = _pick_column(t("up_col_region"), names, guess["region"],
                                         f"col_region:{file_key}", t)
    choices.columns = {"parcel_id": id_column, "land_use": class_column}
    if frame.crs is None:
        st.warning(t("up_crs_needed", file=path.name))
        choices.crs = st.text_input(t("upload_crs"), value="", key=f"crs:{file_key}") or None
    choices.problems += _check_ids(frame, id_column, path.name, t)
    if class_column is None:
        choices.problems.append(t("err_pick_column", file=path.name, what=t("up_col_class")))
    else:
        _vector_classes(frame, class_column, choices, path.name, file_key, t, lang)
    _vector_zones(frame, names, guess, choices, path.name, file_key, t)
    return choices


def _check_ids(frame, column: str | None, file: str, t: Translate) -> list[str]:
    if column is None:
        return [t("err_pick_column", file=file, what=t("up_col_id"))]
    values = frame[column]
    if values.isna().any():
        return [t("err_ids_missing", file=file, column=column, n=int(values.isna().sum()))]
    text = values.map(lambda v: code_text(v))
    duplicated = text[text.duplicated()].unique()
    if len(duplicated):
        return [t("err_ids_duplicate", file=file, column=column, n=len(duplicated),
                  values=examples(duplicated))]
    return []


def _vector_classes(frame, column: str, choices: Choices, file: str, file_key: str,
                    t: Translate, lang: str) -> None:
    counts = frame[column].dropna().value_counts()
    if len(counts) > MAX_DISTINCT_CODES:
        choices.problems.append(t("err_too_many_codes", file=file, column=column, n=len(counts)))
        return
    counts = counts.sort_index(key=lambda s: s.map(code_text))
    st.subheader(t("up_classes"))
    st.caption(t("up_classes_help"))
    table = _table_choice(list(counts.index), _wgs84_bounds(frame), column, file_key, t, lang)
    choices.classes, choices.class_table = _class_choices(counts, table, "up_label_parcels",
                                                          file_key, t, lang)
    choices.problems += _check_classes(choices.classes, file, t)


def _vector_zones(frame, names: list[str], guess: dict, choices: Choices, file: str,
                  file_key: str, t: Translate) -> None:
    st.subheader(t("up_zones"))
    st.caption(t("up_zones_help"))
    for flag in ZONES:
        zone = t(f"zone_{flag}")
        left, right = st.columns(2)
        with left:
            column = _pick_column(t("up_zone_col", zone=zone), names, guess[flag],
                                  f"zone_col:{file_key}:{flag}", t)
        with right:
            layer = _upload_slot(t("up_zone_layer", zone=zone), VECTOR_TYPES,
                                 f"zone_layer:{file_key}:{flag}")
        if column is not None:
            choices.columns[flag] = column
            if not is_flag_column(frame[column]):
                values = examples(frame[column].dropna().astype(str).unique())
                choices.problems.append(t("err_flag_values", file=file, column=column,
                                          zone=zone, values=values))
        if layer is not None:
            choices.zones[flag] = layer


# ---- raster uploads -------------------------------------------------------------------------

def _raster_form(path: Path, file_key: str, t: Translate, lang: str) -> Choices:
    info = services.uploaded_raster_summary(str(path))
    st.caption(t("up_grid_info", rows=info["rows"], cols=info["cols"],
                 pixel=f"{info['pixel_m']:g}", crs=info["crs"]))
    choices = Choices()
    choices.cell_m = st.number_input(t("cell_size"), min_value=float(info["pixel_m"]),
                                     max_value=5000.0, value=max(300.0, float(info["pixel_m"])),
                                     key=f"cell:{file_key}")
    counts = info["counts"]
    if len(counts) > MAX_DISTINCT_CODES:
        choices.problems.append(t("err_too_many_codes", file=path.name, column="band 1",
                                  n=len(counts)))
        return choices
    st.subheader(t("up_classes"))
    st.caption(t("up_classes_help"))
    table = _table_choice(list(counts.index), info["bounds"], None, file_key, t, lang)
    choices.classes, choices.class_table = _class_choices(counts, table, "up_label_pixels",
                                                          file_key, t, lang)
    choices.problems += _check_classes(choices.classes, path.name, t)
    _raster_zones(choices, file_key, t)
    _raster_regions(choices, file_key, t)
    _raster_drivers(choices, info["pixel_m"], file_key, t)
    return choices


def _raster_zones(choices: Choices, file_key: str, t: Translate) -> None:
    st.subheader(t("up_zones"))
    st.caption(t("up_zones_help"))
    for flag in ZONES:
        layer = _upload_slot(t("up_zone_mask", zone=t(f"zone_{flag}")),
                             (*RASTER_TYPES, *VECTOR_TYPES), f"zone_mask:{file_key}:{flag}")
        if layer is not None:
            choices.zones[flag] = layer
    choices.no_change = _upload_slot(t("up_no_change"), RASTER_TYPES, f"no_change:{file_key}")


def _raster_regions(choices: Choices, file_key: str, t: Translate) -> None:
    choices.regions = _upload_slot(t("up_regions"), VECTOR_TYPES, f"regions:{file_key}")
    if choices.regions is None:
        return
    frame = services.uploaded_vector(str(choices.regions))
    names = [str(c) for c in frame.columns if c != frame.geometry.name]
    guess = guess_columns(frame)["region"] or ("name" if "name" in names else None)
    choices.region_column = _pick_column(t("up_regions_col"), names, guess,
                                         f"regions_col:{file_key}", t, optional=False)


def _raster_drivers(choices: Choices, pixel_m: float, file_key: str, t: Translate) -> None:
    with st.expander(t("up_drivers")):
        for name, (label, _column, _how) in DRIVERS.items():
            path = _upload_slot(t(label), RASTER_TYPES, f"driver:{file_key}:{name}")
            if path is None:
                continue
            choices.drivers[name] = path
            if name == "pop":
                unit = st.radio(t("up_pop_unit"), ["pop_count", "pop_density"], horizontal=True,
                                format_func=t, key=f"pop_unit:{file_key}")
                # a density × the pixel's area in km² is a count per pixel (summed per cell)
                choices.driver_scale[name] = pixel_m ** 2 / 1e6 if unit == "pop_density" else 1.0


# ---- importer errors in Chinese ---------------------------------------------------------------

#: The importers' most common refusals (problem pattern → Chinese problem and fix); any other
#: keeps the importer's English detail inside the Chinese frame.
ZH_ERRORS: tuple[tuple[str, str, str], ...] = (
    (r"cannot read .* as (a raster|GeoPackage|GeoJSON|GeoParquet|Shapefile|zipped Shapefile)",
     "文件无法读取（可能不完整或已损坏）", "重新从 GIS 导出或重新复制该文件后再上传"),
    (r"is not a valid zip file", "不是有效的 zip 压缩文件", "把 .shp、.shx、.dbf、.prj 重新压缩为一个 zip"),
    (r"contains (no \.shp|\d+ \.shp files)", "zip 中没有恰好一个 Shapefile",
     "上传只含一个 Shapefile（.shp 及其 .shx、.dbf、.prj）的 zip"),
    (r"has no features", "文件中没有任何要素", "导出含有地块的图层"),
    (r"features are not polygons", "部分要素不是面（点或线）", "上传地块面图层（先在 GIS 中把点、线转为面）"),
    (r"has no coordinate reference system|has no CRS", "文件没有坐标系",
     "在 GIS 中为数据指定坐标系（如 EPSG:4490），或在上面的坐标系一栏填写"),
    (r"not a metric projected CRS", "栅格不是以米为单位的投影坐标系",
     "先投影到 UTM 等米制坐标系（如 gdalwarp -t_srs EPSG:32649）"),
    (r"on a different grid than the land-use raster", "该栅格与地类栅格的网格不一致",
     "用 gdalwarp 对齐到地类栅格的范围、分辨率和坐标系后再上传"),
    (r"over the import limit|over the limit of", "数据超过导入上限",
     "按乡镇拆分数据，或使用更粗的格网（栅格导入时加大格网边长）"),
    (r"none of the .* geometries is a usable polygon", "没有可用的面要素（全部为空或无法修复）",
     "检查文件是否完整，在 GIS 中修复几何（如 QGIS“修复几何”）后重新导出"),
    (r"covers none of the parcels|no zone pixel", "分区图层与地块没有重叠",
     "检查分区图层是否属于本研究区、坐标系是否正确"),
)


def error_text(kind: str, file: str, exc: DataImportError, t: Translate, lang: str) -> str:
    """An importer's refusal in the UI language, naming the uploaded file and the fix."""
    problem, fix = exc.problem.rstrip("."), exc.fix
    if lang == "zh":
        hit = next((row for row in ZH_ERRORS if re.search(row[0], problem)), None)
        if hit is not None:
            problem, fix = hit[1], hit[2]
    return t(kind, file=file, problem=problem, fix=fix)


# ---- the section ----------------------------------------------------------------------------

def upload_section(store_dir: Path, t: Translate, lang: str = "zh") -> Path | None:
    """Draw the upload form; return the new store's path after a successful import."""
    uploaded = st.file_uploader(t("upload_file"), type=[*VECTOR_TYPES, *RASTER_TYPES])
    if uploaded is None:
        return None
    path = _save(uploaded)
    file_key = str(uploaded.file_id)
    is_raster = path.suffix in (".tif", ".tiff")
    name = st.text_input(t("upload_name"), value=safe_store_name(Path(uploaded.name).stem),
                         key=f"store_name:{file_key}")
    try:
        form = _raster_form if is_raster else _vector_form
        choices = form(path, file_key, t, lang)
    except DataImportError as exc:
        st.error(error_text("err_read", path.name, exc, t, lang))
        return None
    if not st.button(t("upload_import"), type="primary", key=f"import:{file_key}"):
        return None
    if choices.problems:
        for problem in choices.problems:
            st.error(problem)
        return None
    target = store_dir / f"{safe_store_name(name)}.duckdb"
    try:
        with st.spinner(t("upload_running")):
            report = run_import(path, target, choices, name)
    except DataImportError as exc:
        st.error(error_text("err_import", path.name, exc, t, lang))
        return None
    except (ValueError, OSError) as exc:
        st.error(t("err_import", file=path.name, problem=str(exc), fix="—"))
        return None
    st.session_state["upload_report"] = report.format()
    return target


def run_import(path: Path, target: Path, choices: Choices, name: str):
    """Write the mapping of ``choices`` next to the upload and run the importer on it."""
    drivers = {n: (DRIVERS[n][1], DRIVERS[n][2], choices.driver_scale.get(n, 1.0))
               for n in choices.drivers}
    mapping = path.parent / "mapping.toml"
    mapping.write_text(mapping_text(choices.columns, choices.classes, choices.region_column,
                                    choices.crs, name, choices.class_table, drivers),
                       encoding="utf-8")
    if choices.cell_m is not None:
        from data.importers.raster import import_raster

        return import_raster(path, target, mapping, choices.cell_m, drivers=choices.drivers,
                             regions_path=choices.regions, no_change=choices.no_change,
                             name=name, zones=choices.zones)
    from data.importers.vector import import_parcels

    return import_parcels(path, target, mapping, name=name, zone_layers=choices.zones)
