"""Coefficient tables of the evaluation index system: ESV, carbon, grain yields.

Every table is a small CSV in ``data/coefficients/`` (see its README.md) with a ``source``
column, so a planner can point :func:`load_coefficients` at a directory of their own with
the same file names, or override single values (``equivalent_value_yuan_per_ha=...``,
``grain_yield={3: 9.2}``) from the dashboard. The solver side asks for per-hectare values
of the role keys it knows (``cropland, forest, grassland, water, built, unused``).

Ecosystem service value (Xie Gaodi et al. 2015, equivalent-factor method)::

    ESV(class) = D × Σ_type w(class, type) × Σ_service f(type, service)      [yuan/ha/yr]

with ``f`` the equivalent factors per ha, ``w`` the class→ecosystem-type weights
(normalised per class) and ``D`` the value of one equivalent in yuan/ha.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_DIR = Path(__file__).parent / "coefficients"

#: The 11 services of Xie et al. 2015, in the paper's order: key → (group, 中文, English).
SERVICES: dict[str, tuple[str, str, str]] = {
    "food": ("provisioning", "食物生产", "Food production"),
    "raw_materials": ("provisioning", "原料生产", "Raw materials"),
    "water_supply": ("provisioning", "水资源供给", "Water supply"),
    "gas_regulation": ("regulating", "气体调节", "Gas regulation"),
    "climate_regulation": ("regulating", "气候调节", "Climate regulation"),
    "purification": ("regulating", "净化环境", "Environmental purification"),
    "hydrological_regulation": ("regulating", "水文调节", "Hydrological regulation"),
    "soil_conservation": ("supporting", "土壤保持", "Soil conservation"),
    "nutrient_cycling": ("supporting", "维持养分循环", "Nutrient cycling"),
    "biodiversity": ("supporting", "生物多样性", "Biodiversity"),
    "aesthetics": ("cultural", "美学景观", "Aesthetic landscape"),
}
SERVICE_KEYS: tuple[str, ...] = tuple(SERVICES)

#: InVEST carbon model pool columns, t C/ha.
CARBON_POOLS: tuple[str, ...] = ("c_above", "c_below", "c_soil", "c_dead")

#: ESV type meaning "no ecosystem service value" (construction land).
NO_ESV_TYPE = "none"

FILES: dict[str, str] = {
    "esv_factors": "esv_xie2015.csv",
    "esv_mapping": "esv_class_mapping.csv",
    "carbon": "carbon.csv",
    "grain_yield": "grain_yield.csv",
    "parameters": "parameters.csv",
}
UNITS: dict[str, str] = {
    "esv_xie2015.csv": "equivalent factors per ha (dimensionless; 1 = D yuan/ha/yr)",
    "esv_class_mapping.csv": "relative weights, normalised per class",
    "carbon.csv": "t C/ha per pool",
    "grain_yield.csv": "t/ha/yr by 耕地质量等别",
    "parameters.csv": "D: yuan/ha/yr; default grade: 等别",
}
# Row totals in the file may differ from the sum of rounded per-service values by this much.
_TOTAL_TOLERANCE = 0.05


class CoefficientError(ValueError):
    """A coefficient file or value is missing or malformed; the message names file and column."""


@dataclass(frozen=True, eq=False)
class Coefficients:
    """ESV, carbon and grain-yield coefficients (immutable; use :meth:`replace`).

    Parameters
    ----------
    esv_factors : DataFrame
        Equivalent factors per ha, index ``esv_type``, one column per service in
        :data:`SERVICE_KEYS` (extra columns ``name_zh``, ``name_en`` are kept for display).
    esv_mapping : DataFrame
        Columns ``class_key, esv_type, weight``: the mix of ecosystem types a land-use class
        stands for; weights are normalised per class; ``esv_type`` ``"none"`` means zero ESV.
    carbon : DataFrame
        Index ``class_key``, columns :data:`CARBON_POOLS` in t C/ha.
    grain_yield : Series
        Grain production capacity in t/ha/yr, indexed by 耕地质量等别 (1 best).
    equivalent_value_yuan_per_ha : float
        Value ``D`` of one ESV equivalent, yuan/ha/yr.
    default_grade : int
        Grade assumed for parcels whose grade is unknown (NULL, NaN, 0 or not in the table).
    source_table : DataFrame, optional
        Columns ``file, source, units`` as returned by :meth:`sources`.
    """

    esv_factors: pd.DataFrame
    esv_mapping: pd.DataFrame
    carbon: pd.DataFrame
    grain_yield: pd.Series
    equivalent_value_yuan_per_ha: float = 1498.58
    default_grade: int = 10
    source_table: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["file", "source", "units"]))

    def __post_init__(self) -> None:
        _check_factors(self.esv_factors, FILES["esv_factors"])
        _check_mapping(self.esv_mapping, self.esv_factors, FILES["esv_mapping"])
        _check_nonnegative(self.carbon, list(CARBON_POOLS), FILES["carbon"])
        _check_grain(self.grain_yield, self.default_grade)
        if not np.isfinite(self.equivalent_value_yuan_per_ha) or (
                self.equivalent_value_yuan_per_ha <= 0):
            raise CoefficientError(
                f"{FILES['parameters']}: equivalent_value_yuan_per_ha must be > 0, "
                f"got {self.equivalent_value_yuan_per_ha}")

    # -- per-class values the solver and the indicators use ---------------------------------
    def esv_type_weights(self, class_keys: Iterable[str]) -> np.ndarray:
        """(K, T) normalised weights of each class over the rows of ``esv_factors``."""
        keys = list(class_keys)
        mapping = self.esv_mapping
        missing = sorted(set(keys) - set(mapping["class_key"]))
        if missing:
            raise CoefficientError(
                f"{FILES['esv_mapping']}: no row for class_key {missing} (column class_key)")
        types = self.esv_factors.index
        weights = np.zeros((len(keys), len(types)))
        for k, key in enumerate(keys):  # K ≤ a handful of classes
            rows = mapping[mapping["class_key"] == key]
            total = float(rows["weight"].sum())
            for esv_type, weight in zip(rows["esv_type"], rows["weight"], strict=True):
                if esv_type != NO_ESV_TYPE:
                    weights[k, types.get_loc(esv_type)] += weight / total
        return weights

    def esv_service_per_ha(self, class_keys: Iterable[str]) -> np.ndarray:
        """(K, 11) ESV of one hectare of each class by service, yuan/ha/yr.

        Columns follow :data:`SERVICE_KEYS`.
        """
        factors = self.esv_factors[list(SERVICE_KEYS)].to_numpy(dtype=float)
        return self.esv_type_weights(class_keys) @ factors * self.equivalent_value_yuan_per_ha

    def esv_per_ha(self, class_keys: Iterable[str]) -> np.ndarray:
        """(K,) ecosystem service value of one hectare of each class, yuan/ha/yr.

        Parameters
        ----------
        class_keys : iterable of str
            Role keys, e.g. ``("cropland", "forest")``.

        Returns
        -------
        ndarray
            ``D × Σ_type w × Σ_service f`` per class.
        """
        return self.esv_service_per_ha(class_keys).sum(axis=1)

    def carbon_pools_per_ha(self, class_keys: Iterable[str]) -> np.ndarray:
        """(K, 4) carbon density of each class by pool (:data:`CARBON_POOLS`), t C/ha."""
        keys = list(class_keys)
        missing = sorted(set(keys) - set(self.carbon.index))
        if missing:
            raise CoefficientError(
                f"{FILES['carbon']}: no row for class_key {missing} (column class_key)")
        return self.carbon.loc[keys, list(CARBON_POOLS)].to_numpy(dtype=float)

    def carbon_per_ha(self, class_keys: Iterable[str]) -> np.ndarray:
        """(K,) carbon storage of one hectare of each class, four pools summed, t C/ha."""
        return self.carbon_pools_per_ha(class_keys).sum(axis=1)

    def grain_t_per_ha(self, grades: np.ndarray) -> np.ndarray:
        """Grain production capacity per parcel if it is cropland, t/ha/yr.

        Parameters
        ----------
        grades : array-like
            耕地质量等别 of each parcel; NaN, 0, non-integers and grades not in the table
            take :attr:`default_grade`.

        Returns
        -------
        ndarray of float, same length as ``grades``.
        """
        return self.grain_yield.to_numpy(dtype=float)[self._grade_positions(grades)]

    def effective_grade(self, grades: np.ndarray) -> np.ndarray:
        """Grades with unknown values replaced by :attr:`default_grade` (float array)."""
        index = self.grain_yield.index.to_numpy(dtype=float)
        return index[self._grade_positions(grades)]

    def _grade_positions(self, grades: np.ndarray) -> np.ndarray:
        values = pd.to_numeric(pd.Series(np.asarray(grades).ravel()), errors="coerce")
        position = self.grain_yield.index.get_indexer(values.to_numpy(dtype=float))
        position[position < 0] = self.grain_yield.index.get_loc(self.default_grade)
        return position

    # -- provenance and edits -----------------------------------------------------------------
    def sources(self) -> pd.DataFrame:
        """One row per coefficient file: ``file, source, units`` (for the data page)."""
        return self.source_table.copy()

    def replace(self, **changes: Any) -> Coefficients:
        """A validated copy with some fields replaced (see :func:`load_coefficients`)."""
        return _apply_overrides(self, changes)


# -- loading -------------------------------------------------------------------------------------
def load_coefficients(directory: Path | str | None = None, **overrides: Any) -> Coefficients:
    """Read the coefficient tables and apply overrides.

    Parameters
    ----------
    directory : Path, optional
        Folder holding the files named in :data:`FILES` (default ``data/coefficients``).
    **overrides
        Field values of :class:`Coefficients`. ``equivalent_value_yuan_per_ha`` and
        ``default_grade`` replace the file values; ``grain_yield`` may be a mapping
        ``{grade: t/ha}`` merged onto the table; ``carbon`` a mapping
        ``{class_key: {pool: t C/ha}}`` merged onto the table; ``esv_mapping`` a mapping
        ``{class_key: {esv_type: weight}}`` replacing those classes' rows; a DataFrame
        replaces a table entirely.

    Returns
    -------
    Coefficients

    Raises
    ------
    CoefficientError
        A file is missing or a column is missing or malformed (the message names both).
    """
    folder = Path(directory) if directory is not None else DEFAULT_DIR
    tables = {name: _read_table(folder / file) for name, file in FILES.items()}
    params = _parameters(tables["parameters"])
    coefficients = Coefficients(
        esv_factors=_factors(tables["esv_factors"]),
        esv_mapping=_mapping(tables["esv_mapping"]),
        carbon=_carbon(tables["carbon"]),
        grain_yield=_grain(tables["grain_yield"]),
        equivalent_value_yuan_per_ha=params["equivalent_value_yuan_per_ha"],
        default_grade=int(params["default_farmland_grade"]),
        source_table=_source_table(tables),
    )
    return _apply_overrides(coefficients, overrides) if overrides else coefficients


def _read_table(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise CoefficientError(f"{path}: coefficient file is missing (see data/coefficients/"
                               "README.md for its columns)")
    try:
        table = pd.read_csv(path, encoding="utf-8", skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise CoefficientError(f"{path}: cannot read as UTF-8 CSV: {exc}") from exc
    table.attrs["file"] = path.name
    return table


def _require(table: pd.DataFrame, columns: Iterable[str], numeric: Iterable[str] = ()) -> None:
    """Raise naming file and column when a column is absent or has a non-numeric value."""
    file = table.attrs.get("file", "table")
    for column in columns:
        if column not in table.columns:
            raise CoefficientError(f"{file}: missing column '{column}'")
        if table[column].isna().any():
            row = int(np.flatnonzero(table[column].isna().to_numpy())[0]) + 2
            raise CoefficientError(f"{file}: empty value in column '{column}' (line {row})")
    for column in numeric:
        values = pd.to_numeric(table[column], errors="coerce")
        if values.isna().any():
            row = int(np.flatnonzero(values.isna().to_numpy())[0])
            raise CoefficientError(f"{file}: column '{column}' has a non-numeric value "
                                   f"{table[column].iloc[row]!r} (line {row + 2})")
        table[column] = values.astype(float)


def _unique_index(table: pd.DataFrame, column: str) -> pd.DataFrame:
    duplicated = table[column][table[column].duplicated()]
    if len(duplicated):
        raise CoefficientError(f"{table.attrs.get('file', 'table')}: duplicate {column} "
                               f"{sorted(set(duplicated.astype(str)))}")
    return table.set_index(column)


def _factors(table: pd.DataFrame) -> pd.DataFrame:
    _require(table, ["esv_type", *SERVICE_KEYS], numeric=SERVICE_KEYS)
    if "total" in table.columns:
        _require(table, ["total"], numeric=["total"])
        gap = (table[list(SERVICE_KEYS)].sum(axis=1) - table["total"]).abs()
        if (gap > _TOTAL_TOLERANCE).any():
            bad = table["esv_type"][gap > _TOTAL_TOLERANCE].tolist()
            raise CoefficientError(f"{table.attrs['file']}: per-service values of {bad} do not "
                                   "sum to column 'total'")
    columns = [c for c in ("name_zh", "name_en") if c in table.columns]
    factors = _unique_index(table, "esv_type")[[*columns, *SERVICE_KEYS]]
    factors.attrs["file"] = table.attrs["file"]
    return factors


def _mapping(table: pd.DataFrame) -> pd.DataFrame:
    _require(table, ["class_key", "esv_type", "weight"], numeric=["weight"])
    mapping = table[["class_key", "esv_type", "weight"]].copy()
    mapping.attrs["file"] = table.attrs["file"]
    return mapping


def _carbon(table: pd.DataFrame) -> pd.DataFrame:
    _require(table, ["class_key", *CARBON_POOLS], numeric=CARBON_POOLS)
    carbon = _unique_index(table, "class_key")[list(CARBON_POOLS)]
    return carbon


def _grain(table: pd.DataFrame) -> pd.Series:
    _require(table, ["grade", "yield_t_per_ha"], numeric=["grade", "yield_t_per_ha"])
    grades = table["grade"]
    if not np.all(grades == np.round(grades)):
        raise CoefficientError(f"{table.attrs['file']}: column 'grade' must hold integers")
    table["grade"] = grades.astype(int)
    return _unique_index(table, "grade")["yield_t_per_ha"].sort_index()


def _parameters(table: pd.DataFrame) -> dict[str, float]:
    _require(table, ["key", "value"], numeric=["value"])
    params = dict(zip(table["key"], table["value"], strict=True))
    for key in ("equivalent_value_yuan_per_ha", "default_farmland_grade"):
        if key not in params:
            raise CoefficientError(f"{table.attrs['file']}: no row with key '{key}' "
                                   "(columns key, value)")
    return params


def _source_table(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for name, table in tables.items():
        file = FILES[name]
        if "source" in table.columns:
            sources = " | ".join(dict.fromkeys(table["source"].dropna().astype(str)))
        else:
            sources = "(no source column: see README.md)"
        rows.append({"file": file, "source": sources, "units": UNITS[file]})
    return pd.DataFrame(rows, columns=["file", "source", "units"])


# -- validation ----------------------------------------------------------------------------------
def _check_factors(factors: pd.DataFrame, file: str) -> None:
    missing = [s for s in SERVICE_KEYS if s not in factors.columns]
    if missing:
        raise CoefficientError(f"{file}: missing column '{missing[0]}'")
    if factors.index.has_duplicates:
        raise CoefficientError(f"{file}: duplicate esv_type")
    if NO_ESV_TYPE in factors.index:
        raise CoefficientError(f"{file}: esv_type '{NO_ESV_TYPE}' is reserved for zero ESV")


def _check_mapping(mapping: pd.DataFrame, factors: pd.DataFrame, file: str) -> None:
    for column in ("class_key", "esv_type", "weight"):
        if column not in mapping.columns:
            raise CoefficientError(f"{file}: missing column '{column}'")
    unknown = sorted(set(mapping["esv_type"]) - set(factors.index) - {NO_ESV_TYPE})
    if unknown:
        raise CoefficientError(f"{file}: column 'esv_type' has {unknown}, not rows of "
                               f"{FILES['esv_factors']} (or '{NO_ESV_TYPE}')")
    weights = mapping["weight"].to_numpy(dtype=float)
    if not np.all(np.isfinite(weights)) or (weights < 0).any():
        raise CoefficientError(f"{file}: column 'weight' must be finite and >= 0")
    sums = mapping.groupby("class_key")["weight"].sum()
    if (sums <= 0).any():
        raise CoefficientError(f"{file}: column 'weight' sums to 0 for class_key "
                               f"{sorted(sums.index[sums <= 0])}")


def _check_nonnegative(table: pd.DataFrame, columns: list[str], file: str) -> None:
    for column in columns:
        if column not in table.columns:
            raise CoefficientError(f"{file}: missing column '{column}'")
        values = table[column].to_numpy(dtype=float)
        if not np.all(np.isfinite(values)) or (values < 0).any():
            raise CoefficientError(f"{file}: column '{column}' must be finite and >= 0")


def _check_grain(grain: pd.Series, default_grade: int) -> None:
    values = grain.to_numpy(dtype=float)
    if not np.all(np.isfinite(values)) or (values < 0).any():
        raise CoefficientError(f"{FILES['grain_yield']}: column 'yield_t_per_ha' must be "
                               "finite and >= 0")
    if default_grade not in grain.index:
        raise CoefficientError(f"{FILES['parameters']}: default_farmland_grade {default_grade} "
                               f"is not a grade of {FILES['grain_yield']} (column grade)")


# -- overrides -----------------------------------------------------------------------------------
def _apply_overrides(base: Coefficients, overrides: Mapping[str, Any]) -> Coefficients:
    names = {f.name for f in dataclasses.fields(Coefficients)} - {"source_table"}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise TypeError(f"unknown coefficient override(s) {unknown}; valid: {sorted(names)}")
    changes = {name: _merged(base, name, value) for name, value in overrides.items()}
    changes["source_table"] = _mark_overridden(base.source_table, overrides)
    return dataclasses.replace(base, **changes)


def _merged(base: Coefficients, name: str, value: Any) -> Any:
    if name == "grain_yield" and isinstance(value, Mapping):
        grain = base.grain_yield.copy()
        for grade, t_per_ha in value.items():
            grain.loc[int(grade)] = float(t_per_ha)
        return grain.sort_index()
    if name == "carbon" and isinstance(value, Mapping):
        carbon = base.carbon.copy()
        for key, pools in value.items():
            unknown = sorted(set(pools) - set(CARBON_POOLS))
            if unknown:
                raise CoefficientError(f"{FILES['carbon']}: unknown pool column(s) {unknown}")
            if key not in carbon.index:
                carbon.loc[key] = 0.0
            for pool, t_per_ha in pools.items():
                carbon.loc[key, pool] = float(t_per_ha)
        return carbon
    if name == "esv_mapping" and isinstance(value, Mapping):
        kept = base.esv_mapping[~base.esv_mapping["class_key"].isin(list(value))]
        new = [(key, t, float(w)) for key, mix in value.items() for t, w in mix.items()]
        return pd.concat([kept, pd.DataFrame(new, columns=["class_key", "esv_type", "weight"])],
                         ignore_index=True)
    if name == "equivalent_value_yuan_per_ha":
        return float(value)
    if name == "default_grade":
        return int(value)
    return value


_FIELD_FILE = {"esv_factors": "esv_xie2015.csv", "esv_mapping": "esv_class_mapping.csv",
               "carbon": "carbon.csv", "grain_yield": "grain_yield.csv",
               "equivalent_value_yuan_per_ha": "parameters.csv",
               "default_grade": "parameters.csv"}


def _mark_overridden(table: pd.DataFrame, overrides: Mapping[str, Any]) -> pd.DataFrame:
    table = table.copy()
    for name in overrides:
        hit = table["file"] == _FIELD_FILE[name]
        note = f" | {name} overridden by the user"
        table.loc[hit, "source"] = table.loc[hit, "source"].astype(str) + note
    return table
