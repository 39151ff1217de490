"""Exports of an allocation: GeoPackage, GeoParquet, CSV, GeoTIFF, indicator CSV/Excel, HTML briefing.

An :class:`ExportBundle` holds what is exported — an assignment (``parcel_id, land_use``),
its indicator table, the scenario TOML and the solver summary — and is made from a saved
scenario (:meth:`ExportBundle.from_saved`) or from result files (:meth:`ExportBundle.from_files`).
:func:`export` writes it in the format its file suffix names; :func:`export_bytes` returns the
bytes for a download button. Every file is written to a temporary name next to the target and
moved into place when complete, so a failed export never leaves a half-written file.

Allocation layers (GeoPackage layer ``allocation``, GeoParquet, CSV) have one row per parcel::

    parcel_id region_id region_zh region_en use_before use_before_key use_before_zh
    use_before_en use_after use_after_key use_after_zh use_after_en changed
    is_basic_farmland is_red_line in_urban_boundary no_conversion area_ha geometry

with ``use_*`` the store's class codes, geometry in the store's metric CRS (``meta.crs``).
CSV has no geometry unless asked (``wkt=True`` adds ``geometry_wkt`` in the same CRS).

A grid store (a raster import) also exports a GeoTIFF of store class codes (the source's own
codes, int32), nodata −1: on the source raster's grid by default — unchanged cells keep every source
pixel, changed cells take their new class on their valid pixels, so restricted pixels can be
checked against the mask and a re-import at the same cell size gives the allocation back — or
with one pixel per cell (``raster_grid="cell"``).
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely

from data import store
from data.db import connect
from data.grid import NODATA, GridSpec, source_pixels
from data.indicators import GROUPS, compute_indicators, transition_matrix

if TYPE_CHECKING:
    from data.library import SavedScenario

ALLOCATION_SUFFIXES = (".gpkg", ".parquet", ".csv", ".tif")
#: Output suffix → what it holds by default (``csv`` can also hold indicators: ``kind=``).
DEFAULT_KIND = {".gpkg": "allocation", ".parquet": "allocation", ".csv": "allocation",
                ".tif": "allocation", ".xlsx": "indicators", ".html": "report"}
KINDS: dict[str, tuple[str, ...]] = {
    "allocation": (".gpkg", ".parquet", ".csv", ".tif"),
    "indicators": (".csv", ".xlsx"),
    "report": (".html",),
}
MIME = {".gpkg": "application/geopackage+sqlite3", ".tif": "image/tiff",
        ".parquet": "application/vnd.apache.parquet",
        ".csv": "text/csv", ".html": "text/html",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
FLAG_COLUMNS = store.FLAG_COLUMNS
INDICATOR_SHEET_COLUMNS = ["indicator", "scope_type", "scope", "value", "baseline", "change",
                           "unit", "label_zh", "label_en"]
LANGS = ("zh", "en")


class ExportError(ValueError):
    """An export cannot be made; the message names the problem and the fix."""


# -- what is exported ---------------------------------------------------------------------------
@dataclass(frozen=True)
class StoreTables:
    """The parts of a parcel store the exports need, read once."""

    meta: dict[str, str]
    classes: pd.DataFrame
    regions: pd.DataFrame
    parcels: pd.DataFrame        # all parcel columns, incl. geom_wkb and geom_wgs84_wkb
    adjacency: pd.DataFrame
    grid: GridSpec | None = None  # grid stores: the source grid

    @property
    def crs(self) -> str:
        return self.meta["crs"]

    @property
    def parcel_ids(self) -> np.ndarray:
        return self.parcels["parcel_id"].to_numpy(dtype=np.int64)


def read_store_tables(store_path: str | Path, geometry: bool = True,
                      wgs84: bool = True) -> StoreTables:
    """Meta, classes, regions, parcels (with geometry unless told; WGS 84 copies for maps
    unless told) and adjacency of a store."""
    con = connect(store_path)
    try:
        return StoreTables(meta=store.read_meta(con), classes=store.read_classes(con),
                           regions=store.read_regions(con),
                           parcels=store.read_parcels(con, with_geometry=geometry, wgs84=wgs84),
                           adjacency=store.read_adjacency(con), grid=store.read_grid(con))
    finally:
        con.close()


def is_grid_store(store_path: str | Path) -> bool:
    """Whether a store keeps a source grid (a raster import)."""
    con = connect(store_path)
    try:
        return bool(con.execute("SELECT count(*) FROM grid").fetchone()[0])
    finally:
        con.close()


@dataclass(frozen=True, eq=False)
class ExportBundle:
    """An allocation with everything its exports show.

    Attributes
    ----------
    store_path : Path
        The parcel store the assignment belongs to.
    name : str
        Scenario name (titles, summary sheet); user text, escaped wherever it is shown.
    assignment : DataFrame
        ``parcel_id, land_use`` (store class code) for every parcel of the store.
    indicators : DataFrame or None
        Tidy indicator table; computed from the store when None.
    scenario_toml : str
        ``Scenario.to_toml()`` text ('' when unknown): the levers sheet and table.
    preset : str
        Preset key the scenario started from.
    summary : mapping
        Solver summary: status, objective, best_bound, gap, wall_time_s, ...
    stale : bool
        The store changed since the scenario was saved (shown as a warning).
    store_version : str
        ``meta.version`` of the store when the scenario was saved ('' when unknown).
    """

    store_path: Path
    name: str
    assignment: pd.DataFrame
    indicators: pd.DataFrame | None = None
    scenario_toml: str = ""
    preset: str = ""
    summary: Mapping[str, Any] = field(default_factory=dict)
    stale: bool = False
    store_version: str = ""

    @classmethod
    def from_saved(cls, store_path: str | Path, saved: SavedScenario) -> ExportBundle:
        """The bundle of a scenario loaded with :func:`data.library.load_scenario`."""
        return cls(store_path=Path(store_path), name=saved.name, assignment=saved.assignment,
                   indicators=saved.indicators, scenario_toml=saved.scenario_toml,
                   preset=saved.preset, summary=saved.summary, stale=saved.stale,
                   store_version=saved.store_version)

    @classmethod
    def from_files(cls, store_path: str | Path, assignment_path: str | Path,
                   scenario_path: str | Path | None = None,
                   summary_path: str | Path | None = None,
                   name: str | None = None) -> ExportBundle:
        """A bundle from a solver result file, and optionally the scenario TOML and summary JSON.

        Parameters
        ----------
        store_path : str or Path
            The parcel store.
        assignment_path : str or Path
            ``.parquet``, ``.csv`` or ``.gpkg`` with ``parcel_id`` and ``use_after`` (or
            ``land_use``) as class codes — what ``python -m solver solve --out`` writes.
        scenario_path, summary_path : str or Path, optional
            Scenario TOML file and the solver's ``--summary`` JSON.
        name : str, optional
            Display name; default the scenario's ``name`` key or the result file's stem.
        """
        assignment = read_assignment_file(assignment_path)
        toml_text = Path(scenario_path).read_text(encoding="utf-8") if scenario_path else ""
        summary = _read_summary(summary_path) if summary_path else {}
        if not toml_text and isinstance(summary.get("scenario_levers"), dict):
            toml_text = _dict_to_toml(summary["scenario_levers"])
        levers = _parse_toml(toml_text) if toml_text else {}
        title = name or str(levers.get("name_zh") or levers.get("name")
                            or Path(assignment_path).stem)
        return cls(store_path=Path(store_path), name=title, assignment=assignment,
                   scenario_toml=toml_text, preset=str(levers.get("name", "")), summary=summary)


def read_assignment_file(path: str | Path) -> pd.DataFrame:
    """``parcel_id, land_use`` from a result file (.parquet, .csv or .gpkg).

    Raises
    ------
    ExportError
        Unknown format, missing columns, duplicate ids or non-integer codes.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ExportError(f"assignment file {path} does not exist")
    if suffix == ".parquet":
        table = pd.read_parquet(path)
    elif suffix == ".csv":
        table = pd.read_csv(path)
    elif suffix == ".gpkg":
        table = gpd.read_file(path, ignore_geometry=True)
    else:
        raise ExportError(f"{path.name}: the assignment must be .parquet, .csv or .gpkg")
    return _assignment_columns(table, path.name)


def _assignment_columns(table: pd.DataFrame, label: str) -> pd.DataFrame:
    code = "use_after" if "use_after" in table.columns else "land_use"
    if "parcel_id" not in table.columns or code not in table.columns:
        raise ExportError(f"{label}: needs columns parcel_id and use_after (or land_use); "
                          f"found {list(table.columns)[:8]}")
    values = table[["parcel_id", code]]
    if values.isna().any().any():
        raise ExportError(f"{label}: empty parcel_id or {code} values")
    try:
        out = pd.DataFrame({"parcel_id": values["parcel_id"].astype("int64").to_numpy(),
                            "land_use": values[code].astype("int64").to_numpy()})
    except (TypeError, ValueError) as exc:
        raise ExportError(f"{label}: parcel_id and {code} must be integer codes ({exc})") from exc
    if out["parcel_id"].duplicated().any():
        raise ExportError(f"{label}: a parcel_id appears more than once")
    return out


def _read_summary(path: str | Path) -> dict[str, Any]:
    try:
        summary = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ExportError(f"{path}: not a JSON summary ({exc})") from exc
    if not isinstance(summary, dict):
        raise ExportError(f"{path}: the summary must be a JSON object")
    return summary


# -- levers -------------------------------------------------------------------------------------
def _parse_toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExportError(f"the scenario TOML cannot be parsed: {exc}") from exc


def _dict_to_toml(data: Mapping[str, Any]) -> str:
    """Minimal TOML of a scenario dict (two levels; region tables inline)."""
    top = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, Mapping)]
    sections = []
    for key, section in data.items():
        if isinstance(section, Mapping):
            body = [f"{k} = {_toml_value(v)}" for k, v in section.items() if v is not None]
            sections.append("\n".join([f"[{key}]", *body]))
    return "\n\n".join(["\n".join(top), *sections]) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)} = {_toml_value(v)}"
                                for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def levers_table(scenario_toml: str) -> pd.DataFrame:
    """The scenario's keys as rows ``section, key, value`` (region entries as ``key.region``).

    Lists are shown as JSON text; the section of top-level keys (name, ...) is ''.
    """
    rows: list[tuple[str, str, Any]] = []
    for key, value in _parse_toml(scenario_toml).items() if scenario_toml else []:
        if isinstance(value, dict):
            rows += [(key, k, v) for k, v in _flatten(value)]
        else:
            rows.append(("", key, _cell(value)))
    return pd.DataFrame(rows, columns=["section", "key", "value"])


def _flatten(section: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in section.items():
        if isinstance(value, Mapping):
            out += _flatten(value, f"{prefix}{key}.")
        else:
            out.append((f"{prefix}{key}", _cell(value)))
    return out


def _cell(value: Any) -> Any:
    """A spreadsheet-friendly value: lists become JSON text, the rest stays as it is."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list) else value


# -- allocation ---------------------------------------------------------------------------------
def aligned_codes(tables: StoreTables, assignment: pd.DataFrame) -> np.ndarray:
    """Land-use codes in the store's parcel order; the assignment must cover every parcel.

    Raises
    ------
    ExportError
        Parcels of the store have no code, the assignment names unknown parcels or codes.
    """
    codes = pd.Series(assignment["land_use"].to_numpy(), index=assignment["parcel_id"].to_numpy())
    extra = codes.index.difference(pd.Index(tables.parcel_ids))
    aligned = codes.reindex(tables.parcel_ids)
    if aligned.isna().any() or len(extra):
        raise ExportError(
            f"the assignment does not fit this store: {int(aligned.isna().sum())} of its parcels "
            f"have no land use, {len(extra)} parcel ids are unknown — was it solved on another "
            "store (or before the store was rebuilt)?")
    unknown = sorted(set(aligned.astype("int64")) - set(tables.classes["code"]))
    if unknown:
        raise ExportError(f"the assignment uses class codes {unknown[:5]} that the store's class "
                          f"table does not have ({sorted(tables.classes['code'])})")
    return aligned.to_numpy(dtype=np.int64)


def allocation_frame(tables: StoreTables, codes: np.ndarray) -> gpd.GeoDataFrame:
    """One row per parcel: before/after use (codes, keys, names), flags, area, metric geometry."""
    parcels = tables.parcels
    before = parcels["land_use"].to_numpy(dtype=np.int64)
    regions = tables.regions.set_index("region_id")
    frame = pd.DataFrame({"parcel_id": parcels["parcel_id"].to_numpy(dtype=np.int64),
                          "region_id": parcels["region_id"].to_numpy(dtype=np.int64)})
    frame["region_zh"] = frame["region_id"].map(regions["name_zh"]).fillna("").astype(str)
    frame["region_en"] = frame["region_id"].map(regions["name_en"]).fillna("").astype(str)
    for prefix, values in (("use_before", before), ("use_after", np.asarray(codes))):
        frame = pd.concat([frame, _class_columns(tables.classes, prefix, values)], axis=1)
    frame["changed"] = before != np.asarray(codes)
    for column in FLAG_COLUMNS:
        frame[column] = parcels[column].astype("boolean").fillna(False).to_numpy(dtype=bool)
    frame["area_ha"] = parcels["area_ha"].to_numpy(dtype=float)
    geometry = shapely.from_wkb(parcels["geom_wkb"].map(bytes).to_numpy())
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=tables.crs)


def _class_columns(classes: pd.DataFrame, prefix: str, codes: np.ndarray) -> pd.DataFrame:
    table = classes.set_index("code")
    return pd.DataFrame({
        prefix: codes,
        f"{prefix}_key": table["key"].reindex(codes).to_numpy(),
        f"{prefix}_zh": table["name_zh"].reindex(codes).to_numpy(),
        f"{prefix}_en": table["name_en"].reindex(codes).to_numpy(),
    })


def write_allocation(frame: gpd.GeoDataFrame, path: str | Path, wkt: bool = False) -> Path:
    """Write an allocation frame as ``.gpkg`` (layer ``allocation``), ``.parquet`` or ``.csv``.

    GeoParquet goes through :meth:`geopandas.GeoDataFrame.to_parquet` (GeoParquet metadata
    with the CRS); CSV is UTF-8 with a byte-order mark so Excel shows Chinese names, and
    carries geometry as ``geometry_wkt`` only when ``wkt`` is true.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        return _atomic(path, lambda tmp: frame.to_file(tmp, layer="allocation", driver="GPKG"))
    if suffix == ".parquet":
        return _atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))
    if suffix == ".csv":
        table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        if wkt:
            table["geometry_wkt"] = shapely.to_wkt(frame.geometry.to_numpy(), rounding_precision=3)
        return _atomic(path, lambda tmp: table.to_csv(tmp, index=False, encoding="utf-8-sig"))
    raise ExportError(f"{path.name}: allocations are exported as .gpkg, .parquet or .csv")


def write_allocation_raster(tables: StoreTables, codes: np.ndarray, path: str | Path,
                            raster_grid: str = "source") -> Path:
    """An allocation as a GeoTIFF of class codes (int32, nodata −1) of a grid store.

    Parameters
    ----------
    tables : StoreTables
        A grid store's tables (``tables.grid`` set).
    codes : ndarray
        Class code of each parcel in store order.
    path : str or Path
        The ``.tif`` to write.
    raster_grid : {'source', 'cell'}
        The source raster's grid (unchanged cells keep their source pixels) or one pixel per cell.
    """
    grid = tables.grid
    if grid is None:
        raise ExportError("GeoTIFF exports need a grid store (one imported from a land-cover "
                          "raster); export this parcel store as .gpkg or .parquet instead")
    rows = tables.parcels["grid_row"].to_numpy(dtype=np.int64)
    cols = tables.parcels["grid_col"].to_numpy(dtype=np.int64)
    if raster_grid == "source":
        before = tables.parcels["land_use"].to_numpy(dtype=np.int64)
        pixels, transform = source_pixels(grid, rows, cols, before, codes), grid.transform
    elif raster_grid == "cell":
        pixels = np.full(grid.cell_shape, NODATA, dtype=np.int32)
        pixels[rows, cols] = codes
        transform = grid.cell_transform()
    else:
        raise ExportError(f"raster_grid must be 'source' or 'cell', got {raster_grid!r}")
    return _atomic(Path(path), lambda tmp: _write_geotiff(tmp, pixels, transform, grid.crs))


def _write_geotiff(path: Path, pixels: np.ndarray, transform, crs: str) -> None:
    profile = {"driver": "GTiff", "height": pixels.shape[0], "width": pixels.shape[1],
               "count": 1, "dtype": "int32", "nodata": NODATA, "crs": crs,
               "transform": transform, "compress": "deflate", "tiled": True}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(pixels.astype(np.int32), 1)


# -- indicators ---------------------------------------------------------------------------------
def write_indicators_csv(indicators: pd.DataFrame, path: str | Path) -> Path:
    """The tidy indicator table as UTF-8 CSV (with BOM, for Excel)."""
    return _atomic(Path(path), lambda tmp: indicators.to_csv(tmp, index=False,
                                                             encoding="utf-8-sig"))


def write_indicators_xlsx(indicators: pd.DataFrame, path: str | Path, name: str = "",
                          scenario_toml: str = "", summary: Mapping[str, Any] | None = None,
                          transitions: pd.DataFrame | None = None,
                          store_meta: Mapping[str, str] | None = None) -> Path:
    """Indicators as an Excel workbook.

    Sheets: ``summary`` (scenario, store, solver status and gap), ``levers`` (the scenario
    keys), one sheet per indicator group in :data:`data.indicators.GROUPS` order, and
    ``transitions`` (转移矩阵, ha) when given.
    """
    sheets = {"summary": summary_table(name, summary or {}, store_meta or {}),
              "levers": levers_table(scenario_toml)}
    for group in GROUPS:
        part = indicators[indicators["group"] == group]
        if not part.empty:
            sheets[group] = part[INDICATOR_SHEET_COLUMNS].reset_index(drop=True)
    if transitions is not None:
        sheets["transitions"] = transitions.reset_index()
    return _atomic(Path(path), lambda tmp: _write_workbook(tmp, sheets))


def _write_workbook(path: Path, sheets: Mapping[str, pd.DataFrame]) -> None:
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for sheet, table in sheets.items():
            table.to_excel(writer, sheet_name=sheet, index=False)
            worksheet = writer.sheets[sheet]
            worksheet.freeze_panes = "A2"
            for column_cells in worksheet.columns:
                width = max(len(str(c.value or "")) for c in column_cells[:200])
                worksheet.column_dimensions[column_cells[0].column_letter].width = min(
                    max(10, width + 2), 60)


def summary_table(name: str, summary: Mapping[str, Any], meta: Mapping[str, str]
                  ) -> pd.DataFrame:
    """Key/value rows describing the export: scenario, store, solver status and gap."""
    rows = [("scenario", name), ("store", meta.get("name_zh", "")),
            ("store_en", meta.get("name_en", "")), ("synthetic", meta.get("synthetic", "")),
            ("store_version", meta.get("version", ""))]
    rows += [(key, summary.get(key)) for key in ("status", "objective", "best_bound", "gap",
                                                 "wall_time_s", "changed_parcels",
                                                 "changed_area_ha") if key in summary]
    rows.append(("exported_at", datetime.now(UTC).isoformat(timespec="seconds")))
    return pd.DataFrame(rows, columns=["key", "value"]).astype({"value": object})


# -- one entry point ----------------------------------------------------------------------------
def export(bundle: ExportBundle, out_path: str | Path, kind: str | None = None,
           lang: str = "zh", wkt: bool = False, tables: StoreTables | None = None,
           raster_grid: str = "source") -> Path:
    """Write ``bundle`` to ``out_path`` in the format its suffix names.

    Parameters
    ----------
    bundle : ExportBundle
        The allocation and what goes with it.
    out_path : str or Path
        ``.gpkg``, ``.parquet``, ``.csv`` or ``.tif`` (allocation), ``.xlsx`` (indicators), ``.html``
        (briefing report); ``.csv`` holds the indicators with ``kind="indicators"``.
    kind : {'allocation', 'indicators', 'report'}, optional
        What to write; default from the suffix (:data:`DEFAULT_KIND`).
    lang : {'zh', 'en'}
        Language of the briefing report.
    wkt : bool
        Add ``geometry_wkt`` to an allocation CSV.
    tables : StoreTables, optional
        The store, when already read (saves a read per export).
    raster_grid : {'source', 'cell'}
        ``.tif`` only: the source raster's grid or one pixel per cell.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ExportError
        Unknown suffix or kind, an assignment that does not fit the store, a bad scenario TOML.
    """
    out_path = Path(out_path)
    kind = _check_kind(out_path.suffix.lower(), kind, lang)
    raster = out_path.suffix.lower() == ".tif"
    # a grid store's briefing draws its maps from the grid: no polygon per cell is built
    geometry = not raster and not (kind == "report" and is_grid_store(bundle.store_path))
    tables = tables if tables is not None else read_store_tables(
        bundle.store_path, geometry=geometry, wgs84=kind == "report")
    codes = aligned_codes(tables, bundle.assignment)
    if raster:
        return write_allocation_raster(tables, codes, out_path, raster_grid)
    if kind == "allocation":
        return write_allocation(allocation_frame(tables, codes), out_path, wkt=wkt)
    indicators = bundle_indicators(bundle, tables, codes)
    if kind == "indicators" and out_path.suffix.lower() == ".csv":
        return write_indicators_csv(indicators, out_path)
    transitions = transition_matrix(tables.parcels, tables.classes, codes)
    if kind == "indicators":
        return write_indicators_xlsx(indicators, out_path, bundle.name, bundle.scenario_toml,
                                     bundle.summary, transitions, tables.meta)
    from data.report import render_report, report_data  # only the HTML export needs it

    html = render_report(report_data(bundle, tables, codes, indicators, transitions), lang)
    return _atomic(out_path, lambda tmp: tmp.write_text(html, encoding="utf-8"))


def _check_kind(suffix: str, kind: str | None, lang: str) -> str:
    if lang not in LANGS:
        raise ExportError(f"lang must be one of {LANGS}, got {lang!r}")
    if suffix not in DEFAULT_KIND:
        raise ExportError(f"cannot export to '{suffix}': use one of "
                          f"{', '.join(DEFAULT_KIND)}")
    kind = kind or DEFAULT_KIND[suffix]
    if kind not in KINDS or suffix not in KINDS[kind]:
        raise ExportError(f"{kind} cannot be written as {suffix}; "
                          f"{kind} goes to {', '.join(KINDS.get(kind, ()))}")
    return kind


def bundle_indicators(bundle: ExportBundle, tables: StoreTables, codes: np.ndarray
                      ) -> pd.DataFrame:
    """The bundle's indicator table, computed from the store when it has none."""
    if bundle.indicators is not None:
        return bundle.indicators
    return compute_indicators(tables.parcels, tables.adjacency, tables.classes, tables.regions,
                              codes)


def export_bytes(bundle: ExportBundle, suffix: str, kind: str | None = None, lang: str = "zh",
                 wkt: bool = False, tables: StoreTables | None = None) -> bytes:
    """The bytes of an export (for a download button); arguments as for :func:`export`.

    ``suffix`` is e.g. ``".gpkg"``; :data:`MIME` gives the MIME type.
    """
    with tempfile.TemporaryDirectory(prefix="landalloc-export-") as folder:
        path = export(bundle, Path(folder) / f"export{suffix}", kind, lang, wkt, tables)
        return path.read_bytes()


def _atomic(path: Path, write: Callable[[Path], object]) -> Path:
    """Write through a temporary file in the target folder, then move it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Unique per call: threads of one process may export to the same target at once.
    tmp = path.with_name(f".{path.stem}.tmp{os.getpid()}-{secrets.token_hex(4)}{path.suffix}")
    tmp.unlink(missing_ok=True)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
