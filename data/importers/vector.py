"""Import a polygon layer of parcels (三调 图斑 or any land-use polygons) into a parcel store.

Reads GeoPackage, Shapefile (also zipped), GeoJSON and GeoParquet; maps columns and class
codes with a mapping TOML; reprojects to a metric CRS; repairs or rejects bad geometry;
writes the store atomically (adjacency with shared boundary lengths is built there).
"""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from data.classes import read_class_table
from data.importers.errors import DataImportError, examples
from data.importers.mapping import Mapping, load_mapping
from data.importers.report import ImportReport
from data.importers.zones import check_zone_columns, zone_overlay
from data.store import FLAG_COLUMNS, PARCEL_ATTRIBUTES, StoreContent, write_store

FORMATS = {".gpkg": "GeoPackage", ".shp": "Shapefile", ".zip": "zipped Shapefile",
           ".geojson": "GeoJSON", ".json": "GeoJSON", ".parquet": "GeoParquet",
           ".geoparquet": "GeoParquet"}
#: Allowed range of numeric parcel attributes (None: open end); outside → DataImportError.
RANGES: dict[str, tuple[float | None, float | None]] = {
    "slope_deg": (0, 90), "elevation_m": (None, None), "farmland_grade": (1, 15),
    "eco_importance": (0, 1), "population": (0, None), "dist_urban_m": (0, None),
    "dist_road_m": (0, None),
}
TRUE_WORDS = {"1", "true", "t", "yes", "y", "是"}
FALSE_WORDS = {"0", "false", "f", "no", "n", "否", ""}
POLYGONAL = {"Polygon", "MultiPolygon"}
#: Largest parcel layer imported; larger layers are refused before they are loaded (counted
#: from the file's metadata). Sized for real cities: Wuhan's 30 m land cover is 5.3 million
#: cells (590,000 at 90 m), so the full-resolution grid fits. A policy, not a measured
#: capacity: memory, not this constant, is what bounds a raster import.
MAX_PARCELS = 6_000_000
#: Largest file read (bytes); equals Streamlit's ``server.maxUploadSize`` (500 MB) in
#: ``.streamlit/config.toml``, so the command line and the browser refuse the same files.
MAX_FILE_BYTES = 500 * 1024 * 1024


def import_parcels(path: str | Path, db_path: str | Path, mapping_path: str | Path | None = None,
                   name: str | None = None,
                   zone_layers: dict[str, str | Path] | None = None) -> ImportReport:
    """Import a polygon file of parcels into a new parcel store.

    Parameters
    ----------
    path : str or Path
        GeoPackage, Shapefile, a .zip holding one Shapefile, GeoJSON or GeoParquet.
    db_path : str or Path
        Target ``.duckdb`` store; replaced only when the import succeeds.
    mapping_path : str or Path, optional
        Mapping TOML ([columns], [classes], [regions], ``crs``...). Without one the file must
        have ``parcel_id`` and ``land_use`` (class-table codes or role keys) columns, an
        optional ``region`` column and attributes named as in ``data/sql/schema.sql``.
    name : str, optional
        Store name (and the single region's name when there is no region column).
    zone_layers : dict, optional
        Zone flag (``is_basic_farmland``, ``is_red_line``, ``in_urban_boundary``) → polygon
        layer; a parcel whose representative point the layer covers is flagged (together with
        a mapped flag column, if any). See :mod:`data.importers.zones`.

    Returns
    -------
    ImportReport
        Counts of parcels, regions, repaired and rejected geometries, class areas, warnings.

    Raises
    ------
    DataImportError
        Missing or unreadable file, missing or mistyped columns, unknown class codes, no CRS,
        no usable polygons, duplicate ids or out-of-range attributes.
    """
    start = time.perf_counter()
    path, report = Path(path), ImportReport(Path(db_path))
    mapping = load_mapping(mapping_path)
    gdf = assign_crs(read_vector(path), mapping, path)
    check_geometry_types(gdf, path)
    table = parcel_table(gdf, mapping, path, report)
    geometry, keep = repair_geometries(gdf.geometry, path, report)
    parcels = gpd.GeoDataFrame(table[keep].reset_index(drop=True), geometry=geometry[keep].values,
                               crs=gdf.crs)
    parcels = to_metric(parcels, report)
    add_zone_layers(parcels, zone_layers or {})
    parcels, regions = parcel_regions(parcels, gdf[keep].reset_index(drop=True), mapping,
                                      name or path.stem, path)
    _finish_area(parcels, report, path)
    classes = read_class_table(mapping.class_table)
    write_store(db_path, StoreContent(parcels=parcels, regions=regions, classes=classes,
                                      meta=_meta(path, mapping, name)))
    _summarise(report, parcels, regions, classes, start)
    return report


# ---- reading --------------------------------------------------------------------------------

def read_vector(path: Path) -> gpd.GeoDataFrame:
    """Read a vector file of any supported format; errors name the file and the fix."""
    if not path.exists():
        raise DataImportError(f"file {path} does not exist", "check the path and the file name")
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise DataImportError(
            f"{path.name}: format {path.suffix or '(no extension)'} is not supported",
            f"export it as one of {', '.join(sorted(FORMATS))} "
            f"(e.g. `ogr2ogr -f GPKG out.gpkg {path.name}`)")
    check_file_size(path)
    check_feature_count(path, kind)
    try:
        if kind == "GeoParquet":
            gdf = gpd.read_parquet(path)
        else:
            gdf = pyogrio.read_dataframe(_ogr_path(path) if kind.startswith("zipped") else path)
    except DataImportError:
        raise
    except Exception as exc:  # pyogrio/arrow raise many types for corrupt files
        raise DataImportError(f"cannot read {path.name} as {kind}: {exc}",
                              "check that the file is complete and not corrupt; re-export it "
                              "from your GIS") from exc
    if len(gdf) == 0:
        raise DataImportError(f"{path.name} has no features", "export a layer that has parcels")
    return gdf


def check_file_size(path: Path) -> None:
    """Refuse files over :data:`MAX_FILE_BYTES` before reading a byte of them."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DataImportError(
            f"{path.name} is {size / 1024**2:,.0f} MB, over the import limit of "
            f"{MAX_FILE_BYTES / 1024**2:,.0f} MB",
            "split it by region (one store per county) or aggregate the parcels to a coarser "
            "grid (`python -m data import-raster --cell-size 300`)")


def feature_count(path: Path, kind: str) -> int | None:
    """Number of features from the file's metadata (None when the format cannot say cheaply)."""
    try:
        if kind == "GeoParquet":
            import pyarrow.parquet as pq

            return pq.ParquetFile(path).metadata.num_rows
        source = _ogr_path(path) if kind.startswith("zipped") else path
        count = pyogrio.read_info(source)["features"]
    except DataImportError:
        raise
    except Exception:  # unreadable: read_dataframe reports it with the proper message
        return None
    return count if count is not None and count >= 0 else None


def check_feature_count(path: Path, kind: str) -> None:
    """Refuse layers of more than :data:`MAX_PARCELS` features before loading them."""
    count = feature_count(path, kind)
    if count is not None and count > MAX_PARCELS:
        raise DataImportError(
            f"{path.name} has {count:,} features, over the limit of {MAX_PARCELS:,} parcels",
            "aggregate to a coarser grid (rasterise and use `python -m data import-raster "
            "--cell-size 300`, or dissolve small parcels in your GIS) or split the data by "
            "region into several stores")


def _ogr_path(path: Path) -> str:
    """The GDAL /vsizip/ path of the one Shapefile inside a zip."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile as exc:
        raise DataImportError(f"{path.name} is not a valid zip file",
                              "zip the .shp, .shx, .dbf and .prj files again") from exc
    shapefiles = [n for n in names if n.lower().endswith(".shp") and "__MACOSX" not in n]
    if len(shapefiles) != 1:
        found = "no .shp" if not shapefiles else f"{len(shapefiles)} .shp files ({shapefiles})"
        raise DataImportError(f"{path.name} contains {found}; it holds {examples(names)}",
                              "upload a zip with exactly one Shapefile (.shp with its .shx, "
                              ".dbf and .prj)")
    return f"/vsizip/{path}/{shapefiles[0]}"


def assign_crs(gdf: gpd.GeoDataFrame, mapping: Mapping, path: Path) -> gpd.GeoDataFrame:
    """Use the file's CRS, or the mapping's ``crs`` key when the file has none.

    A mapping ``crs`` that contradicts the file's own CRS is refused: one of them is wrong,
    and guessing would put every parcel in the wrong place or give wrong areas.
    """
    if gdf.crs is not None:
        if mapping.crs is not None and not gdf.crs.equals(mapping.crs):
            raise DataImportError(
                f"{path.name} declares CRS {gdf.crs.to_string()} but the mapping file says "
                f"crs = \"{mapping.crs}\"",
                "the mapping's crs only assigns a CRS to data that has none: remove it from the "
                f"mapping, or reproject the file first (`ogr2ogr -t_srs {mapping.crs} fixed.gpkg "
                f"{path.name}`)")
        return gdf
    if mapping.crs is None:
        raise DataImportError(
            f"{path.name} has no coordinate reference system (no .prj / CRS metadata)",
            f"add one with `ogr2ogr -a_srs EPSG:4490 fixed.gpkg {path.name}` (use your data's "
            "EPSG code), or put crs = \"EPSG:xxxx\" in the mapping file")
    return gdf.set_crs(mapping.crs)


def check_geometry_types(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """Reject files with point or line features: parcels must be polygons."""
    types = gdf.geometry.geom_type.dropna()
    wrong = types[~types.isin(POLYGONAL | {"GeometryCollection"})]
    if len(wrong):
        counts = wrong.value_counts().to_dict()
        raise DataImportError(
            f"{path.name}: {len(wrong)} of {len(gdf)} features are not polygons ({counts})",
            "import a polygon layer of parcels (convert points or lines to polygons in your GIS "
            "first)")


# ---- geometry -------------------------------------------------------------------------------

def repair_geometries(geometry: gpd.GeoSeries, path: Path,
                      report: ImportReport) -> tuple[gpd.GeoSeries, np.ndarray]:
    """Repair invalid polygons with ``make_valid`` (keeping polygonal parts); reject the rest.

    Returns the repaired geometry and a boolean mask of the features kept.
    """
    values = shapely.force_2d(geometry.to_numpy())  # Z/M would only disturb adjacency
    present = ~(pd.isna(values) | shapely.is_empty(values))
    broken = present & ~shapely.is_valid(values)
    collections = present & (shapely.get_type_id(values) == 7)
    fix = broken | collections
    values[fix] = [_polygonal(g) for g in shapely.make_valid(values[fix])]
    keep = present & ~pd.isna(values)
    keep[keep] = shapely.area(values[keep]) > 0
    report.n_repaired = int((fix & keep).sum())
    report.n_rejected = int((~keep).sum())
    if not keep.any():
        raise DataImportError(f"{path.name}: none of the {len(values)} geometries is a usable "
                              "polygon (all empty, null or unrepairable; a truncated file "
                              "reads as null shapes)",
                              "check that the file is complete (copy or zip it again), fix the "
                              "geometry in your GIS (e.g. QGIS 'Fix geometries') and export "
                              "again")
    if report.n_rejected:
        report.warnings.append(f"rejected {report.n_rejected} empty, null or unrepairable "
                               "geometries")
    return gpd.GeoSeries(values, crs=geometry.crs), keep


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    """The polygonal parts of a repaired geometry (None when nothing with area is left)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in POLYGONAL and p.area > 0]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


def to_metric(parcels: gpd.GeoDataFrame, report: ImportReport) -> gpd.GeoDataFrame:
    """Keep a projected metre CRS; otherwise reproject to the UTM zone of the data."""
    crs = parcels.crs
    if crs.is_projected and crs.axis_info[0].unit_name in ("metre", "meter"):
        return parcels
    utm = parcels.estimate_utm_crs()
    report.warnings.append(f"reprojected from {crs.to_string()} to {utm.to_string()} "
                           "(areas and adjacency need metres)")
    return parcels.to_crs(utm)


# ---- attributes -----------------------------------------------------------------------------

def parcel_table(gdf: gpd.GeoDataFrame, mapping: Mapping, path: Path,
                 report: ImportReport) -> pd.DataFrame:
    """parcel_id, land_use (store code) and the mapped attributes, checked and typed."""
    table = pd.DataFrame(index=gdf.index)
    table["parcel_id"] = parcel_ids(gdf, mapping, path, report)
    table["land_use"] = land_use_codes(gdf, mapping, path)
    for column in PARCEL_ATTRIBUTES:
        source = _source(gdf, mapping, column, path, required=False)
        if source is None:
            continue
        if column in FLAG_COLUMNS:
            table[column] = flag_values(gdf[source], column, source, path)
        else:
            table[column] = numeric_values(gdf[source], column, source, path, report)
    if "area_ha" in mapping.columns:
        source = _source(gdf, mapping, "area_ha", path, required=True)
        table["area_ha"] = numeric_values(gdf[source], "area_ha", source, path, report,
                                          allow_missing=False) * mapping.area_scale
    return table


def _source(gdf: pd.DataFrame, mapping: Mapping, column: str, path: Path,
            required: bool) -> str | None:
    """The source column for a store column; an explicitly mapped one must exist."""
    source = mapping.source_column(column)
    if source in gdf.columns:
        return source
    if required or column in mapping.columns:
        columns = [c for c in gdf.columns if c != gdf.geometry.name]
        raise DataImportError(
            f"{path.name} has no column {source!r} for {column} (columns: {examples(columns, 12)})",
            f"map it in the mapping file: [columns] {column} = \"YOUR_COLUMN\"")
    return None


def parcel_ids(gdf: gpd.GeoDataFrame, mapping: Mapping, path: Path,
               report: ImportReport | None = None) -> np.ndarray:
    """Unique whole-number parcel ids; a column of text ids ("P0001", "420102-0007") is
    numbered (a mix of numbers and text is refused: the text is likely a typo).

    Text ids keep their number when they are one prefix and unique digits ("P0001" → 1);
    otherwise parcels are numbered 1..n in file order. The report says which.
    """
    source = _source(gdf, mapping, "parcel_id", path, required=True)
    raw = gdf[source]
    values = pd.to_numeric(raw, errors="coerce")
    if raw.notna().all() and values.isna().all():  # all text: ids, not typos in numbers
        values = text_ids(raw, source, path, report)
    bad = raw[values.isna() | (values % 1 != 0)]
    if len(bad):
        raise DataImportError(
            f"{path.name}: id column {source!r} has {len(bad)} missing or non-integer values "
            f"({examples(bad.unique())})",
            "give every parcel a whole-number id, or map another id column: [columns] "
            "parcel_id = \"YOUR_ID_COLUMN\"")
    ids = values.to_numpy(dtype=np.int64)
    duplicated = pd.Series(ids)[pd.Series(ids).duplicated()].unique()
    if len(duplicated):
        raise DataImportError(
            f"{path.name}: id column {source!r} has {len(duplicated)} duplicated ids "
            f"({examples(duplicated)})",
            "make the ids unique (e.g. renumber them in your GIS) or map a unique id column")
    return ids


def text_ids(raw: pd.Series, source: str, path: Path,
             report: ImportReport | None) -> pd.Series:
    """Whole numbers for text ids: their digits when one prefix and unique, else 1..n."""
    text = raw.map(lambda v: str(v).strip())
    duplicated = text[text.duplicated()].unique()
    if len(duplicated):
        raise DataImportError(
            f"{path.name}: id column {source!r} has {len(duplicated)} duplicated ids "
            f"({examples(duplicated)})",
            "make the ids unique (e.g. renumber them in your GIS) or map a unique id column")
    parts = text.str.extract(r"^(\D*)(\d{1,15})$")
    numbers = pd.to_numeric(parts[1], errors="coerce")
    if parts[0].nunique(dropna=False) == 1 and numbers.notna().all() and numbers.is_unique:
        note = f"their digits ({text.iloc[0]!r} → {int(numbers.iloc[0])})"
    else:
        numbers = pd.Series(np.arange(1, len(text) + 1), index=text.index)
        note = "1..n in file order"
    if report is not None:
        report.warnings.append(f"parcel ids in {source!r} are text ({examples(text.unique(), 3)}):"
                               f" stored as {note}")
    return numbers.astype(float)


def land_use_codes(gdf: gpd.GeoDataFrame, mapping: Mapping, path: Path) -> np.ndarray:
    """Source class codes → store class codes through the mapping's [classes] table."""
    source = _source(gdf, mapping, "land_use", path, required=True)
    values = gdf[source]
    if values.isna().any():
        raise DataImportError(f"{path.name}: land-use column {source!r} is empty in "
                              f"{int(values.isna().sum())} features",
                              "give every parcel a land-use code (or drop those features)")
    resolved = mapping.resolve_codes(list(values.unique()))
    unknown = values[values.map(resolved).isna()].value_counts()
    if len(unknown):
        keys = list(mapping.class_codes())
        listing = ", ".join(f"{code!r} ({n}×)" for code, n in unknown.head(10).items())
        raise DataImportError(
            f"{path.name}: land-use column {source!r} has {len(unknown)} class codes the "
            f"mapping does not cover: {listing}",
            f"add them to [classes] in the mapping file, e.g. \"{unknown.index[0]}\" = "
            f"\"{keys[0]}\" (class keys: {', '.join(keys)})")
    codes = mapping.class_codes()
    return values.map(lambda v: codes[resolved[v]]).to_numpy(dtype=np.int64)


def numeric_values(values: pd.Series, column: str, source: str, path: Path,
                   report: ImportReport, allow_missing: bool = True) -> pd.Series:
    """A numeric attribute: text that is not a number, or values out of range, are errors."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    text = values.notna() & numbers.isna()
    if text.any():
        raise DataImportError(
            f"{path.name}: column {source!r} (→ {column}) is not numeric: "
            f"{examples(values[text].unique())}",
            "fix those values, or map another column in [columns]")
    low, high = RANGES.get(column, (0, None) if column == "area_ha" else (None, None))
    out = (numbers < low if low is not None else False) | (
        numbers > high if high is not None else False)
    if column == "area_ha":
        out = out | (numbers <= 0)
    if np.any(out):
        raise DataImportError(
            f"{path.name}: column {source!r} (→ {column}) has {int(np.sum(out))} values out of "
            f"range [{low}, {high}]: {examples(numbers[out].unique())}",
            "correct the values or leave them empty (unknown)")
    _check_missing(numbers, column, source, path, report, allow_missing)
    if column == "farmland_grade" and (numbers.dropna() % 1 != 0).any():
        raise DataImportError(f"{path.name}: farmland_grade column {source!r} has fractions",
                              "use whole grades 1 (best) .. 15 (worst)")
    return numbers


def _check_missing(numbers: pd.Series, column: str, source: str, path: Path,
                   report: ImportReport, allow_missing: bool) -> None:
    missing = int(numbers.isna().sum())
    if missing and not allow_missing:
        raise DataImportError(f"{path.name}: column {source!r} (→ {column}) is empty or NaN in "
                              f"{missing} features", "fill in the values or remove the mapping")
    if missing:
        report.warnings.append(f"{column}: {missing} parcels have no value (stored as unknown)")


def flag_values(values: pd.Series, column: str, source: str, path: Path) -> np.ndarray:
    """Yes/no flags from booleans, 0/1 or words (是/否, yes/no, true/false); empty = no."""
    words = values.map(lambda v: "" if pd.isna(v) else str(v).strip().lower()
                       .removesuffix(".0"))
    unknown = words[~words.isin(TRUE_WORDS | FALSE_WORDS)]
    if len(unknown):
        raise DataImportError(
            f"{path.name}: flag column {source!r} (→ {column}) has values that are not yes/no: "
            f"{examples(values[unknown.index].unique())}",
            "use 1/0, true/false or 是/否")
    return words.isin(TRUE_WORDS).to_numpy()


def add_zone_layers(parcels: gpd.GeoDataFrame, layers: dict[str, str | Path]) -> None:
    """Set zone flags from polygon layers (in place), or-ed with a mapped flag column."""
    check_zone_columns(layers)
    for column, layer in layers.items():
        inside = zone_overlay(parcels, layer, column)
        parcels[column] = inside | (parcels[column].to_numpy(dtype=bool) if column in parcels
                                    else False)


# ---- regions, meta, report ------------------------------------------------------------------

def parcel_regions(parcels: gpd.GeoDataFrame, source: pd.DataFrame, mapping: Mapping,
                   default_name: str, path: Path) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Regions from a name column ([regions] column, or ``region``), or one region."""
    column = mapping.region_column or ("region" if "region" in source.columns else None)
    if column is None:
        parcels["region_id"] = 1
        name_zh = mapping.names.get("name_zh", default_name)
        name_en = mapping.names.get("name_en", default_name)
        return parcels, _region_frame(["1"], [name_zh], [name_en], parcels)
    if column not in source.columns:
        raise DataImportError(f"{path.name} has no region column {column!r}",
                              "set [regions] column to an existing column or remove it")
    names = source[column]
    if names.isna().any():
        raise DataImportError(f"{path.name}: region column {column!r} is empty in "
                              f"{int(names.isna().sum())} features",
                              "give every parcel a region name")
    names = names.map(lambda v: str(v).strip())
    unique = sorted(names.unique())
    parcels["region_id"] = names.map({n: i + 1 for i, n in enumerate(unique)}).to_numpy()
    english = [mapping.region_names_en.get(n, n) for n in unique]
    return parcels, _region_frame(unique, unique, english, parcels)


def _region_frame(keys: list[str], name_zh: list[str], name_en: list[str],
                  parcels: pd.DataFrame) -> pd.DataFrame:
    regions = pd.DataFrame({"region_id": np.arange(1, len(keys) + 1),
                            "name_zh": name_zh, "name_en": name_en})
    if "population" in parcels and parcels["population"].notna().any():
        regions["population"] = regions["region_id"].map(
            parcels.groupby("region_id")["population"].sum()).to_numpy()
    return regions


def _finish_area(parcels: gpd.GeoDataFrame, report: ImportReport, path: Path) -> None:
    """Area from the (metric) geometry unless the file supplied one."""
    if "area_ha" in parcels:
        geometric = parcels.geometry.area.to_numpy() / 10_000
        gap = np.abs(parcels["area_ha"].to_numpy() - geometric) > 0.05 * geometric + 0.01
        if gap.any():
            report.warnings.append(f"area_ha from {path.name} differs by > 5 % from the "
                                   f"polygon area for {int(gap.sum())} parcels")
    else:
        parcels["area_ha"] = parcels.geometry.area.to_numpy() / 10_000


def _meta(path: Path, mapping: Mapping, name: str | None) -> dict[str, str]:
    mapping_name = mapping.path.name if mapping.path else "default"
    return {"name_zh": name or mapping.names.get("name_zh", path.stem),
            "name_en": name or mapping.names.get("name_en", path.stem),
            "source": mapping.names.get("source", path.name),
            "imported_from": path.name, "mapping": mapping_name, "synthetic": "false"}


def _summarise(report: ImportReport, parcels: pd.DataFrame, regions: pd.DataFrame,
               classes: pd.DataFrame, start: float) -> None:
    keys = dict(zip(classes["code"], classes["key"], strict=True))
    area = parcels.groupby("land_use")["area_ha"].sum()
    report.class_area_ha = {keys[c]: float(a) for c, a in area.items()}
    report.n_parcels, report.n_regions = len(parcels), len(regions)
    report.seconds = time.perf_counter() - start
