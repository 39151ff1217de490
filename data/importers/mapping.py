"""Mapping files: how a source file's columns, class codes and driver rasters become a store.

A mapping is a small TOML file (every key is documented in ``data/mappings/README.md``)::

    name_zh = "武汉市"             # optional store names
    crs = "EPSG:32649"            # optional: assign a CRS to data that has none
    class_table = "../coefficients/classes_cas.csv"   # optional, relative to this file
    [columns]                     # store column = source column
    parcel_id = "BSM"
    land_use = "DLBM"
    [classes]                     # source code = class key; "03*" matches every code from 03
    "0101" = "cropland"
    "03*" = "forest"
    [regions]
    column = "ZLDWMC"
    [drivers.dem]                 # raster drivers: parcel column and aggregation
    column = "elevation_m"
    aggregation = "mean"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pyproj import CRS
from pyproj.exceptions import CRSError

from data.classes import CLASSES_CAS, read_class_table
from data.importers.aggregation import LAND_USE_RULES
from data.importers.derived import DerivedSpec, parse_derived
from data.importers.errors import DataImportError
from data.store import PARCEL_ATTRIBUTES

AGGREGATIONS = ("mean", "sum", "majority")
STORE_COLUMNS = ("parcel_id", "land_use", "area_ha", *PARCEL_ATTRIBUTES)
TOP_KEYS = {"name_zh", "name_en", "source", "crs", "class_table", "area_scale",
            "columns", "classes", "regions", "drivers", "no_change", "derived", "aggregation"}


@dataclass(frozen=True)
class DriverSpec:
    """How one driver raster is aggregated into grid parcels.

    ``column`` is the parcel attribute it fills (None: aggregated and reported, not stored);
    ``slope_column`` (DEM only) receives the mean slope in degrees derived before aggregation.
    """

    name: str
    column: str | None
    aggregation: str
    slope_column: str | None = None
    scale: float = 1.0   # pixel values × scale before aggregation (e.g. density → count)


@dataclass(frozen=True)
class NoChangeSpec:
    """Which mask values are restricted and how many pixels make a parcel no_conversion."""

    restricted: tuple[float, ...] = (0.0,)
    rule: str = "any"   # "any": one restricted pixel locks the parcel; "majority": > half


@dataclass(frozen=True)
class Mapping:
    """A validated mapping file (see the module docstring and ``data/mappings/README.md``)."""

    path: Path | None = None
    columns: dict[str, str] = field(default_factory=dict)
    classes: dict[str, str] = field(default_factory=dict)
    region_column: str | None = None
    region_names_en: dict[str, str] = field(default_factory=dict)
    outside: str = "nearest"
    drivers: dict[str, DriverSpec] = field(default_factory=dict)
    no_change: NoChangeSpec = field(default_factory=NoChangeSpec)
    class_table: Path = CLASSES_CAS
    crs: str | None = None
    area_scale: float = 1.0
    names: dict[str, str] = field(default_factory=dict)
    derived: DerivedSpec | None = None   # None: the default drivers (see default_derived)
    land_use_rule: str = "majority"      # raster cells: see data/importers/aggregation.py

    def source_column(self, store_column: str) -> str:
        """The source column that fills ``store_column`` (same name when not mapped)."""
        return self.columns.get(store_column, store_column)

    def class_codes(self) -> dict[str, int]:
        """Class key → store code from the class table."""
        table = read_class_table(self.class_table)
        return dict(zip(table["key"], table["code"].astype(int), strict=True))

    def resolve_codes(self, codes: list[object]) -> dict[object, str | None]:
        """Class key of each source class code (None when the mapping does not cover it).

        An exact key wins (leading zeros ignored: 101 matches "0101"); otherwise the longest
        prefix key ending in ``*`` ("03*" matches "0301" and "0307K").
        """
        classes = self.classes or default_classes(self.class_table)
        exact = {k.lstrip("0") or "0": v for k, v in classes.items() if not k.endswith("*")}
        prefixes = {k[:-1]: v for k, v in classes.items() if k.endswith("*")}
        resolved: dict[object, str | None] = {}
        for code in codes:
            text = code_text(code)
            hits = [p for p in prefixes if text.startswith(p)]
            resolved[code] = exact.get(text.lstrip("0") or "0",
                                       prefixes[max(hits, key=len)] if hits else None)
        return resolved


def default_derived(class_roles: list[str]) -> DerivedSpec:
    """Derived drivers of a raster import whose mapping has no [derived] table: distance to
    built land, water, cropland and forest and their shares within 1 km (roles present only)."""
    present = set(class_roles)
    return DerivedSpec(
        distance_to=tuple(r for r in ("built", "water", "cropland", "forest") if r in present),
        share_of=tuple(r for r in ("built", "cropland", "forest") if r in present),
        share_radius_m=1000.0)


def code_text(code: object) -> str:
    """A class code as mapping text: 3.0 → "3", " 0101 " → "0101"."""
    if isinstance(code, float) and code.is_integer():
        return str(int(code))
    return str(code).strip()


def default_classes(class_table: Path) -> dict[str, str]:
    """Without a [classes] table: the class table's own codes and keys map to themselves."""
    table = read_class_table(class_table)
    by_code = {str(int(c)): k for c, k in zip(table["code"], table["key"], strict=True)}
    return by_code | {k: k for k in table["key"]}


def load_mapping(path: str | Path | None) -> Mapping:
    """Read and validate a mapping TOML file.

    Parameters
    ----------
    path : str, Path or None
        The mapping file; None gives the default mapping (store column names, the class
        table's own codes or role keys, one region).

    Returns
    -------
    Mapping
        The validated mapping; relative paths in it are resolved against its folder.

    Raises
    ------
    DataImportError
        The file is missing, is not TOML, or has unknown keys, role keys or aggregations.
    """
    if path is None:
        return Mapping()
    path = Path(path)
    raw = _read_toml(path)
    unknown = set(raw) - TOP_KEYS
    if unknown:
        raise DataImportError(f"mapping {path} has unknown keys {sorted(unknown)}",
                              f"use only {sorted(TOP_KEYS)} (see data/mappings/README.md)")
    class_table = _class_table(path, raw.get("class_table"))
    regions = _table(path, raw, "regions")
    return Mapping(
        path=path,
        columns=_columns(path, _table(path, raw, "columns")),
        classes=_classes(path, _table(path, raw, "classes"), class_table),
        region_column=regions.get("column"),
        region_names_en=dict(regions.get("name_en", {})),
        outside=_choice(path, "regions.outside", regions.get("outside", "nearest"),
                        ("nearest", "drop")),
        drivers={n: _driver(path, n, spec) for n, spec in _table(path, raw, "drivers").items()},
        no_change=_no_change(path, _table(path, raw, "no_change")),
        class_table=class_table,
        crs=_crs(path, raw.get("crs")),
        area_scale=float(raw.get("area_scale", 1.0)),
        names={k: str(raw[k]) for k in ("name_zh", "name_en", "source") if k in raw},
        derived=parse_derived(path.name, _table(path, raw, "derived")) if "derived" in raw else None,
        land_use_rule=_aggregation(path, _table(path, raw, "aggregation")),
    )


def _aggregation(path: Path, table: dict) -> str:
    unknown = set(table) - {"land_use"}
    if unknown:
        raise DataImportError(f"mapping {path}: [aggregation] has unknown keys {sorted(unknown)}",
                              f"use only land_use = one of {', '.join(LAND_USE_RULES)}")
    return _choice(path, "aggregation.land_use", table.get("land_use", "majority"),
                   LAND_USE_RULES)


def _read_toml(path: Path) -> dict:
    if not path.is_file():
        raise DataImportError(f"mapping file {path} does not exist",
                              "pass an existing .toml file (examples in data/mappings/)")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataImportError(f"mapping file {path} is not valid TOML: {exc}",
                              "correct the syntax (quote codes: \"0101\" = \"cropland\")") from exc


def _table(path: Path, raw: dict, key: str) -> dict:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise DataImportError(f"mapping {path}: [{key}] must be a table, got {value!r}",
                              f"write it as a [{key}] section (see data/mappings/README.md)")
    return value


def _choice(path: Path, key: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise DataImportError(f"mapping {path}: {key} = {value!r} is not one of {allowed}",
                              f"set {key} to one of {', '.join(allowed)}")
    return value


def _columns(path: Path, columns: dict) -> dict[str, str]:
    unknown = set(columns) - set(STORE_COLUMNS)
    if unknown:
        raise DataImportError(
            f"mapping {path}: [columns] names store columns {sorted(unknown)} that do not exist",
            f"the left side must be a store column: {', '.join(STORE_COLUMNS)}")
    return {k: str(v) for k, v in columns.items()}


def _classes(path: Path, classes: dict, class_table: Path) -> dict[str, str]:
    known = set(read_class_table(class_table)["key"])
    bad = {code: key for code, key in classes.items() if key not in known}
    if bad:
        raise DataImportError(
            f"mapping {path}: [classes] maps to class keys that {class_table.name} does not "
            f"have: {bad}",
            f"map every code to one of {sorted(known)} (the keys of {class_table.name}), or add "
            "the class to the class table")
    return {code_text(code): str(key) for code, key in classes.items()}


def _driver(path: Path, name: str, spec: dict) -> DriverSpec:
    aggregation = _choice(path, f"drivers.{name}.aggregation",
                          spec.get("aggregation", "mean"), AGGREGATIONS)
    for key in ("column", "slope_column"):
        if spec.get(key) is not None and spec[key] not in PARCEL_ATTRIBUTES:
            raise DataImportError(
                f"mapping {path}: drivers.{name}.{key} = {spec[key]!r} is not a parcel column",
                f"use one of {', '.join(PARCEL_ATTRIBUTES)} or leave it out")
    scale = spec.get("scale", 1.0)
    if not isinstance(scale, int | float) or not scale > 0:
        raise DataImportError(f"mapping {path}: drivers.{name}.scale = {scale!r} is not a "
                              "positive number", "write e.g. scale = 0.0009 or leave it out")
    return DriverSpec(name, spec.get("column"), aggregation, spec.get("slope_column"),
                      float(scale))


def _no_change(path: Path, spec: dict) -> NoChangeSpec:
    rule = _choice(path, "no_change.rule", spec.get("rule", "any"), ("any", "majority"))
    restricted = spec.get("restricted", [0])
    if not isinstance(restricted, list) or not restricted:
        raise DataImportError(f"mapping {path}: no_change.restricted must be a non-empty list",
                              "write e.g. restricted = [0]")
    return NoChangeSpec(tuple(float(v) for v in restricted), rule)


def _class_table(path: Path, value: str | None) -> Path:
    if value is None:
        return CLASSES_CAS
    table = (path.parent / value).resolve()
    if not table.is_file():
        raise DataImportError(f"mapping {path}: class_table {value!r} does not exist",
                              "give a path relative to the mapping file, or leave it out for "
                              "data/coefficients/classes_cas.csv")
    read_class_table(table)  # refuse a table the solver cannot use before any data is read
    return table


def _crs(path: Path, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return CRS.from_user_input(value).to_string()
    except CRSError as exc:
        raise DataImportError(f"mapping {path}: crs = {value!r} is not a known CRS",
                              "write it as crs = \"EPSG:4326\" (or another EPSG code)") from exc
