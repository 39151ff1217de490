"""Demand table (规划指标表 / CLUE-S demand): area targets per class, for the whole area or a region.

One row names a class (by store code, key or name; resolved against the study area when the
instance is built) and an optional region, and bounds the class's area there:

* ``target_ha`` (exact), or ``min_ha`` and/or ``max_ha`` — hectares;
* ``target_pct``, ``min_pct``, ``max_pct`` — % of the class's current area in that scope.

An exact target is met to within half of the largest parcel in its scope
(``tolerance_ha`` overrides): parcels are indivisible, so an exact area is generally not
reachable, and the finest the parcels allow is the honest promise.

TOML (a scenario's ``[demand]`` section)::

    [demand]
    rows = [
      { class = "cropland", min_pct = 100.0 },
      { class = "built", region = "城关镇", target_ha = 520.0 },
    ]

CSV (``python -m solver solve ... --demand DEMAND.csv``): columns ``class``, optional
``region``, and any of ``target_ha``, ``min_ha``, ``max_ha``, ``target_pct``, ``min_pct``,
``max_pct``, ``tolerance_ha``; empty cells mean "not given".
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

BOUND_KEYS: tuple[str, ...] = ("target_ha", "min_ha", "max_ha", "target_pct", "min_pct",
                               "max_pct")
ROW_KEYS: tuple[str, ...] = ("class", "region", *BOUND_KEYS, "tolerance_ha")
MAX_ROWS = 10_000
MAX_PCT = 1000.0


class DemandError(ValueError):
    """A demand row is malformed; the message names the row, the column and the fix."""


@dataclass(frozen=True)
class DemandRow:
    """One row of the demand table (see the module docstring for the meaning of each field)."""

    cls: str
    region: str = ""
    target_ha: float | None = None
    min_ha: float | None = None
    max_ha: float | None = None
    target_pct: float | None = None
    min_pct: float | None = None
    max_pct: float | None = None
    tolerance_ha: float | None = None

    @property
    def unit(self) -> str:
        """``"ha"`` or ``"%"`` (a row uses one of them)."""
        return "%" if any(getattr(self, k) is not None for k in BOUND_KEYS[3:]) else "ha"

    def bounds(self) -> tuple[float | None, float | None]:
        """(min, max) in the row's unit; an exact target gives (target, target)."""
        suffix = "pct" if self.unit == "%" else "ha"
        target = getattr(self, f"target_{suffix}")
        if target is not None:
            return target, target
        return getattr(self, f"min_{suffix}"), getattr(self, f"max_{suffix}")

    def is_exact(self) -> bool:
        return self.target_ha is not None or self.target_pct is not None

    def label(self) -> str:
        """Short text such as ``cropland@城关镇`` used in lever keys."""
        return f"{self.cls}@{self.region}" if self.region else self.cls

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"class": self.cls}
        if self.region:
            out["region"] = self.region
        for f in fields(self)[2:]:
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = value
        return out


def parse_rows(value: Any, where: str = "demand.rows") -> tuple[DemandRow, ...]:
    """Validate a list of row tables (as read from TOML, JSON or CSV) into demand rows.

    Raises
    ------
    DemandError
        Naming the row number, the column and how to fix it.
    """
    if isinstance(value, DemandRow):
        value = [value]
    if not isinstance(value, list | tuple):
        raise DemandError(f"'{where}' must be a list of rows such as "
                          f"{{class = \"cropland\", min_ha = 1000}}, got {value!r:.80}")
    if len(value) > MAX_ROWS:
        raise DemandError(f"'{where}' has {len(value)} rows; at most {MAX_ROWS} are allowed")
    rows = tuple(_parse_row(row, f"{where}[{n + 1}]") for n, row in enumerate(value))
    _check_duplicates(rows, where)
    return rows


def _parse_row(row: Any, where: str) -> DemandRow:
    if isinstance(row, DemandRow):
        row = row.to_dict()
    if not isinstance(row, Mapping):
        raise DemandError(f"{where} must be a table with a 'class' column, got {row!r:.80}")
    unknown = [k for k in row if k not in ROW_KEYS]
    if unknown:
        raise DemandError(f"{where}: unknown column(s) {unknown}; known columns: "
                          f"{', '.join(ROW_KEYS)}. Fix the spelling or drop the column.")
    cls = _text(row.get("class"), f"{where}.class")
    if not cls:
        raise DemandError(f"{where}: 'class' is missing; give a class code, key or name "
                          "(e.g. cropland, 1 or 耕地)")
    values = {k: _number(row.get(k), f"{where}.{k}") for k in (*BOUND_KEYS, "tolerance_ha")}
    parsed = DemandRow(cls=cls, region=_text(row.get("region"), f"{where}.region"), **values)
    _check_bounds(parsed, where)
    return parsed


def _text(value: Any, where: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise DemandError(f"{where} must be text or a class code, got {value!r:.60}")
    return str(value).strip()


def _number(value: Any, where: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        try:
            value = float(value.replace(",", ""))
        except ValueError:
            raise DemandError(
                f"{where} = {value!r:.40} is not a number; write e.g. 1200.5") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DemandError(f"{where} = {value!r:.40} is not a number; write e.g. 1200.5")
    if math.isnan(value):
        return None
    if not math.isfinite(value) or value < 0:
        raise DemandError(f"{where} = {value!r} must be a finite number ≥ 0")
    if where.endswith("pct") and value > MAX_PCT:
        raise DemandError(f"{where} = {value!r} % is out of range; allowed: 0 .. {MAX_PCT:g} %")
    return float(value)


def _check_bounds(row: DemandRow, where: str) -> None:
    given = [k for k in BOUND_KEYS if getattr(row, k) is not None]
    if not given:
        raise DemandError(f"{where} ({row.cls}): give target_ha, min_ha or max_ha (or the _pct "
                          "forms); the row has no number")
    if len({k.rsplit("_", 1)[1] for k in given}) > 1:
        raise DemandError(f"{where} ({row.cls}): mixes ha and % columns ({given}); use one unit "
                          "per row")
    if any(k.startswith("target") for k in given) and len(given) > 1:
        raise DemandError(f"{where} ({row.cls}): an exact target cannot be combined with "
                          f"min/max ({given}); keep either the target or the band")
    lo, hi = row.bounds()
    if lo is not None and hi is not None and hi < lo:
        raise DemandError(f"{where} ({row.cls}): maximum {hi:g} is below minimum {lo:g}; "
                          "raise the maximum or lower the minimum")


def _check_duplicates(rows: tuple[DemandRow, ...], where: str) -> None:
    seen: set[tuple[str, str]] = set()
    for row in rows:
        key = (row.cls, row.region)
        if key in seen:
            scope = f"region '{row.region}'" if row.region else "the whole area"
            raise DemandError(f"'{where}': class '{row.cls}' appears twice for {scope}; "
                              "merge the two rows into one (use min and max for a band)")
        seen.add(key)


def read_demand_csv(source: str | Path) -> tuple[DemandRow, ...]:
    """Demand rows from a CSV file (UTF-8, with or without BOM) or CSV text.

    Raises
    ------
    DemandError
        When the file is missing, has no 'class' column, or a row is malformed.
    """
    text = _csv_text(source)
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if "class" not in header:
        raise DemandError(f"demand CSV needs a 'class' column; found columns {header}. "
                          f"Expected: {', '.join(ROW_KEYS)}")
    rows = [{(k or "").strip(): v for k, v in r.items() if k is not None} for r in reader]
    return parse_rows(rows, "demand CSV row")


def _csv_text(source: str | Path) -> str:
    path = Path(source)
    if isinstance(source, Path) or (str(source).endswith(".csv") and "\n" not in str(source)):
        if not path.is_file():
            raise DemandError(f"demand file '{path}' does not exist")
        try:
            return path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise DemandError(
                f"demand file '{path}' is not UTF-8 text; save it as UTF-8 CSV") from None
    return str(source)
