"""Class tables: a store's own land-use classes and the role each plays for the rules.

A class table is a CSV with one row per class::

    code,key,role,name_zh,name_en,color
    2,deciduous_forest,forest,落叶林,Deciduous forest,#2e7d32
    7,evergreen_forest,forest,常绿林,Evergreen forest,#1b5e20

* ``code`` — the whole-number code stored in ``parcels.land_use``; for a raster or a parcel
  file with its own class codes, use the source codes so that results and exports carry them;
* ``key`` — a unique identifier (lower-case letters, digits, ``_``) that demand tables and
  exports use;
* ``role`` — one of :data:`solver.landscape.ROLES`; rules (farmland quota, ecological floor,
  growth) and indicators count classes by role, and per-class coefficients (ESV, carbon)
  default from it. Optional when every key is itself a role (the CAS table);
* ``name_zh``, ``name_en``, ``color`` (``#rrggbb``) — display;
* ``sansheng`` — 三生 category (production, living, ecological); optional, from the role.

:func:`check_class_table` refuses a table the solver cannot use, naming the class and the fix.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from data.errors import DataImportError, examples
from solver.landscape import ROLES

CLASSES_CAS = Path(__file__).parent / "coefficients" / "classes_cas.csv"
REQUIRED_COLUMNS = ("code", "key", "name_zh", "name_en", "color")
TABLE_COLUMNS = ("code", "key", "role", "name_zh", "name_en", "color", "sansheng")
ROLE_SANSHENG = {"cropland": "production", "built": "living", "forest": "ecological",
                 "grassland": "ecological", "water": "ecological", "unused": "ecological"}
SANSHENG = ("production", "living", "ecological")
MAX_CODE = 2**31 - 1   # grid pixels and GeoTIFF exports hold codes as int32
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def class_roles(classes: pd.DataFrame) -> list[str]:
    """Role of each class of a class table (the key where a table has no ``role`` column)."""
    source = classes["role"] if "role" in classes.columns else classes["key"]
    return [str(role) for role in source]


def read_class_table(path: str | Path) -> pd.DataFrame:
    """Read and check a class table CSV (see the module docstring).

    Parameters
    ----------
    path : str or Path
        The CSV file.

    Returns
    -------
    DataFrame
        Columns :data:`TABLE_COLUMNS`, one row per class, ordered by code.

    Raises
    ------
    DataImportError
        The file is missing or unreadable, or the table fails :func:`check_class_table`.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataImportError(f"cannot read class table {path}: {exc}",
                              "pass a UTF-8 CSV like data/coefficients/classes_cas.csv") from exc
    return check_class_table(table, path.name)


def check_class_table(table: pd.DataFrame, source: str = "class table") -> pd.DataFrame:
    """Validate a class table and fill its defaults (role from key, sansheng from role).

    Raises
    ------
    DataImportError
        Missing columns; a code that is not a whole number; a duplicate code or key; a key that
        is not an identifier; an unknown or missing role; a bad colour or 三生 category.
    """
    table = table.rename(columns=str.strip)
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise DataImportError(f"{source} lacks columns {missing}",
                              "give it columns code,key,role,name_zh,name_en,color "
                              "(copy data/coefficients/classes_cas.csv)")
    table = table.assign(**{c: table[c].astype(str).str.strip() for c in table.columns})
    table["code"] = _codes(table["code"], source)
    _check_keys(table, source)
    if "role" not in table.columns or (table["role"] == "").all():
        table["role"] = table["key"]
    _check_roles(table, source)
    _check_display(table, source)
    return table[list(TABLE_COLUMNS)].sort_values("code").reset_index(drop=True)


def _codes(codes: pd.Series, source: str) -> pd.Series:
    numbers = pd.to_numeric(codes, errors="coerce")
    bad = codes[numbers.isna() | (numbers % 1 != 0)]
    if len(bad):
        raise DataImportError(f"{source}: class codes {examples(bad)} are not whole numbers",
                              "give every class the integer code it has in your data")
    outside = codes[(numbers < 0) | (numbers > MAX_CODE)]
    if len(outside):
        raise DataImportError(f"{source}: class codes {examples(outside)} are outside 0..{MAX_CODE:,}",
                              "renumber those classes (−1 marks nodata in exports)")
    duplicated = numbers[numbers.duplicated()]
    if len(duplicated):
        raise DataImportError(f"{source}: class code {int(duplicated.iloc[0])} appears twice",
                              "give each class its own code (several source codes of one "
                              "class are merged in the mapping's [classes] table instead)")
    return numbers.astype("int64")


def _check_keys(table: pd.DataFrame, source: str) -> None:
    bad = table.loc[~table["key"].map(lambda k: bool(_KEY.match(k))), "key"]
    if len(bad):
        raise DataImportError(f"{source}: class keys {examples(bad)} are not identifiers",
                              "use lower-case letters, digits and _ (e.g. evergreen_forest)")
    duplicated = table.loc[table["key"].duplicated(), "key"]
    if len(duplicated):
        codes = table.loc[table["key"] == duplicated.iloc[0], "code"].tolist()
        raise DataImportError(
            f"{source}: class key {duplicated.iloc[0]!r} is used by codes {codes}",
            "give each class its own key (e.g. deciduous_forest, evergreen_forest) and the "
            "shared meaning as their role, or map both source codes to one class in [classes]")


def _check_roles(table: pd.DataFrame, source: str) -> None:
    unknown = table[~table["role"].isin(ROLES)]
    if len(unknown):
        row = unknown.iloc[0]
        raise DataImportError(
            f"{source}: class {row['key']!r} (code {row['code']}) has role {row['role']!r}, "
            f"which the rules do not know",
            f"set its role to one of {', '.join(ROLES)} in the role column "
            "(e.g. an orchard is cropland-like: role = cropland)")


def _check_display(table: pd.DataFrame, source: str) -> None:
    bad = table.loc[~table["color"].map(lambda c: bool(_COLOR.match(c))), "key"]
    if len(bad):
        raise DataImportError(f"{source}: classes {examples(bad)} have no #rrggbb colour",
                              "write colours as #rrggbb, e.g. #2e7d32")
    if "sansheng" not in table.columns:
        table["sansheng"] = ""
    table["sansheng"] = table["sansheng"].where(table["sansheng"] != "",
                                                table["role"].map(ROLE_SANSHENG))
    bad = table.loc[~table["sansheng"].isin(SANSHENG), "key"]
    if len(bad):
        raise DataImportError(f"{source}: classes {examples(bad)} have an unknown 三生 category",
                              f"use one of {', '.join(SANSHENG)} or leave sansheng empty")
