"""Your own data from the browser: upload, map columns and classes, import into a new store.

The import itself is the CLI's (``data.importers``): same validation, same messages, and the
same atomic write, so a failed upload never touches an existing store.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
import streamlit as st

from data.importers.errors import DataImportError
from data.importers.mapping import ROLE_KEYS

VECTOR_TYPES = ("gpkg", "zip", "geojson", "json", "parquet")
RASTER_TYPES = ("tif", "tiff")
MAX_DISTINCT_CODES = 60   # more distinct codes than this is not a class column
NONE = "—"


def safe_store_name(text: str) -> str:
    """A store file name from user text: letters, digits, '-' and '_' only (no paths)."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", text.strip())[:40].strip("_")
    return name or "imported"


def _toml_string(value: str) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def mapping_text(columns: dict[str, str], classes: dict[str, str], region_column: str | None,
                 crs: str | None = None, name: str | None = None) -> str:
    """A mapping TOML (see data/mappings/README.md) from the choices made on the page."""
    lines = []
    if name:
        lines += [f"name_zh = {_toml_string(name)}", f"name_en = {_toml_string(name)}"]
    if crs:
        lines.append(f"crs = {_toml_string(crs)}")
    lines.append("[columns]")
    lines += [f"{store} = {_toml_string(src)}" for store, src in columns.items() if src]
    lines.append("[classes]")
    lines += [f"{_toml_string(code)} = {_toml_string(key)}" for code, key in classes.items()]
    if region_column:
        lines += ["[regions]", f"column = {_toml_string(region_column)}"]
    return "\n".join(lines) + "\n"


def guess_role(code: object) -> str:
    """A first guess of the role key of a class code (CAS 1..6 or a 三调 prefix)."""
    text = str(code).strip()
    cas = {"1": "cropland", "2": "forest", "3": "grassland", "4": "water", "5": "built",
           "6": "unused"}
    if text in cas:
        return cas[text]
    prefixes = {"01": "cropland", "03": "forest", "04": "grassland", "11": "water", "12": "unused"}
    return prefixes.get(text[:2], "built")


def _save(uploaded, folder: Path) -> Path:
    # Only the suffix of the browser's file name is kept: the name never reaches the file system.
    suffix = Path(uploaded.name).suffix.lower()
    target = folder / f"upload{suffix}"
    target.write_bytes(uploaded.getbuffer())
    return target


def _vector_choices(path: Path, t) -> tuple[dict[str, str], str | None, object]:
    from data.importers.vector import read_vector

    frame = read_vector(path)
    names = [c for c in frame.columns if c != frame.geometry.name]
    pick = lambda label, guess: st.selectbox(  # noqa: E731
        label, [NONE, *names], index=names.index(guess) + 1 if guess in names else 0)
    columns = {"parcel_id": pick("parcel_id", "parcel_id"), "land_use": pick("land_use", "land_use")}
    region = pick(t("region"), "region")
    columns = {k: (None if v == NONE else v) for k, v in columns.items()}
    codes = frame[columns["land_use"]].dropna().unique() if columns["land_use"] else np.array([])
    return columns, (None if region == NONE else region), codes


def _class_choices(codes, t) -> dict[str, str]:
    if len(codes) > MAX_DISTINCT_CODES:
        st.error(f"{len(codes)} distinct codes: choose the land-use class column")
        return {}
    classes = {}
    grid = st.columns(3)
    for i, code in enumerate(sorted(codes, key=str)):
        classes[str(code)] = grid[i % 3].selectbox(
            f"{t('class')} {code}", ROLE_KEYS, index=ROLE_KEYS.index(guess_role(code)),
            key=f"class_map:{code}")
    return classes


def _raster_codes(path: Path) -> np.ndarray:
    # The importer's reader: a corrupt file raises DataImportError with the fix, not a traceback.
    from data.importers.raster import read_grid

    grid = read_grid(path)
    return np.unique(grid.values[grid.valid])


def upload_section(store_dir: Path, t) -> Path | None:
    """Draw the upload form; return the new store's path after a successful import."""
    uploaded = st.file_uploader(t("upload_file"), type=[*VECTOR_TYPES, *RASTER_TYPES])
    if uploaded is None:
        return None
    folders = st.session_state.setdefault("upload_folders", {})
    if uploaded.file_id not in folders:  # save each upload once, not on every rerun
        folders[uploaded.file_id] = Path(tempfile.mkdtemp(prefix="landalloc_upload_"))
        _save(uploaded, folders[uploaded.file_id])
    folder = folders[uploaded.file_id]
    path = next(folder.glob("upload*"))
    is_raster = path.suffix in (".tif", ".tiff")
    name = st.text_input(t("upload_name"), value=safe_store_name(Path(uploaded.name).stem))
    try:
        if is_raster:
            cell = st.number_input(t("cell_size"), min_value=30.0, max_value=5000.0, value=300.0)
            columns, region, codes = {}, None, _raster_codes(path)
        else:
            columns, region, codes = _vector_choices(path, t)
        classes = _class_choices(codes, t)
        crs = st.text_input(t("upload_crs"), value="")
    except DataImportError as exc:
        st.error(str(exc))
        return None
    if not st.button(t("upload_import"), type="primary"):
        return None
    mapping = folder / "mapping.toml"
    mapping.write_text(mapping_text(columns, classes, region, crs or None, name), encoding="utf-8")
    target = store_dir / f"{safe_store_name(name)}.duckdb"
    try:
        with st.spinner(t("upload_running")):
            report = _run_import(path, target, mapping, cell if is_raster else None, name)
    except (DataImportError, ValueError, OSError) as exc:
        st.error(str(exc))
        return None
    st.success(t("upload_done", name=target.stem))
    st.code(report.format())
    return target


def _run_import(path: Path, target: Path, mapping: Path, cell: float | None, name: str):
    if cell is not None:
        from data.importers.raster import import_raster

        return import_raster(path, target, mapping, cell, name=name)
    from data.importers.vector import import_parcels

    return import_parcels(path, target, mapping, name=name)
