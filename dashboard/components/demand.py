"""The demand table editor (规划指标表): scenario rows ⇄ editor records, checked row by row.

Pure functions, no Streamlit. The editor shows one row per target with the columns
``class`` (a store class key), ``region`` (:data:`WHOLE_AREA` or a region name), ``mode``
(exact / min / max / band), ``unit`` (ha / % of current), ``value``, ``upper`` (the top of a
band) and ``tolerance_ha``. A row the scenario cannot take becomes a :class:`Problem` (an
i18n key and its values) and is left out, so one bad row never blocks the others.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from solver.demand import MAX_PCT, DemandError, DemandRow, parse_rows

#: Region cell of a whole-area row (an empty string would read as a blank cell in the editor).
WHOLE_AREA = "*"
MODES: tuple[str, ...] = ("exact", "min", "max", "band")
UNITS: tuple[str, ...] = ("ha", "pct")
TEXT_COLUMNS: tuple[str, ...] = ("class", "region", "mode", "unit")
NUMBER_COLUMNS: tuple[str, ...] = ("value", "upper", "tolerance_ha")
COLUMNS: tuple[str, ...] = (*TEXT_COLUMNS, *NUMBER_COLUMNS)

Record = dict[str, Any]


@dataclass(frozen=True)
class Problem:
    """Why an editor row was not applied: an i18n text key and the values it names."""

    key: str
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Vocabulary:
    """The classes and regions of a store, as the editor offers and checks them."""

    class_keys: tuple[str, ...]
    class_names: dict[str, str]   # key → name in the session's language
    aliases: dict[str, str]       # key, code, Chinese or English name → key
    regions: tuple[str, ...]

    @classmethod
    def of_store(cls, classes: pd.DataFrame, regions: Iterable[str], lang: str) -> Vocabulary:
        """From the store's class table (code, key, name_zh, name_en) and region names."""
        keys = tuple(str(k) for k in classes["key"])
        names = dict(zip(keys, classes["name_zh" if lang == "zh" else "name_en"], strict=True))
        aliases: dict[str, str] = {}
        # Exact text, keys winning over codes over names: as the solver looks a class up
        # (solver.landscape.Landscape.class_lookup), so the editor accepts what it accepts.
        for column in ("name_en", "name_zh", "code", "key"):
            aliases.update({str(a).strip(): k
                            for a, k in zip(classes[column], keys, strict=True)})
        return cls(keys, {k: str(v) for k, v in names.items()}, aliases, tuple(regions))

    def resolve(self, raw: str) -> str | None:
        """The class key a row's class text names (as the solver resolves it), or None."""
        return self.aliases.get(str(raw).strip())

    def label(self, raw: str) -> str:
        """A class cell for people: the class's name, or the raw text if the store lacks it."""
        key = self.resolve(raw)
        return self.class_names[key] if key is not None else str(raw)


# ----- scenario rows → editor records -------------------------------------------------------
def row_record(row: DemandRow) -> Record:
    """The editor record of one scenario row (the class text is kept as written)."""
    lo, hi = row.bounds()
    if row.is_exact():
        mode, value, upper = "exact", lo, None
    elif lo is not None and hi is not None:
        mode, value, upper = "band", lo, hi
    else:
        mode, value, upper = ("min", lo, None) if lo is not None else ("max", hi, None)
    return {"class": row.cls, "region": row.region or WHOLE_AREA, "mode": mode,
            "unit": "pct" if row.unit == "%" else "ha", "value": value, "upper": upper,
            "tolerance_ha": row.tolerance_ha}


def table_records(rows: Iterable[DemandRow]) -> list[Record]:
    """Editor records of a scenario's demand rows, in order."""
    return [row_record(row) for row in rows]


def editor_frame(records: list[Record]) -> pd.DataFrame:
    """The editor's data: fixed columns and dtypes, so an empty table still edits well."""
    frame = pd.DataFrame(records, columns=list(COLUMNS))
    for column in TEXT_COLUMNS:
        frame[column] = frame[column].astype(object)
    for column in NUMBER_COLUMNS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame.reset_index(drop=True)


def frame_records(frame: pd.DataFrame) -> list[Record]:
    """Records of an edited frame with blank cells as None (NaN does not compare equal)."""
    return [{c: None if _blank(r.get(c)) else r.get(c) for c in COLUMNS}
            for r in frame.to_dict("records")]


def class_options(vocab: Vocabulary, records: list[Record]) -> list[str]:
    """The store's class keys, then any other class text the records hold (so it shows)."""
    extra = [r["class"] for r in records if not _blank(r.get("class"))]
    return _unique([*vocab.class_keys, *extra])


def region_options(vocab: Vocabulary, records: list[Record]) -> list[str]:
    """Whole area, the store's regions, then any other region the records name."""
    extra = [r["region"] for r in records if not _blank(r.get("region"))]
    return _unique([WHOLE_AREA, *vocab.regions, *extra])


# ----- editor records → scenario rows -------------------------------------------------------
def rows_from_records(records: list[Record], vocab: Vocabulary
                      ) -> tuple[tuple[DemandRow, ...], list[Problem]]:
    """The rows the scenario can take, and a problem for every other non-blank row.

    Blank rows (just added, nothing chosen yet) are skipped silently. A second row for the
    same class and region is refused (the solver needs one bound pair per scope), also when
    the two rows name the class differently (``耕地`` and ``cropland``).

    Parameters
    ----------
    records : list of dict
        Editor records (see :func:`row_record`), in table order.
    vocab : Vocabulary
        The store's classes and regions; rows naming others are left out.

    Returns
    -------
    rows : tuple of DemandRow
        The valid rows, in table order, with the class text as written.
    problems : list of Problem
        One per row left out, naming its 1-based row number.
    """
    rows: list[DemandRow] = []
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for number, record in enumerate(records, start=1):
        if _is_blank_row(record):
            continue
        row, problem = _checked_row(number, record, vocab)
        if row is not None and (vocab.resolve(row.cls), row.region) in seen:
            row, problem = None, Problem("demand_duplicate", _names(number, record, vocab))
        if problem is not None:
            problems.append(problem)
            continue
        seen.add((vocab.resolve(row.cls), row.region))
        rows.append(row)
    return tuple(rows), problems


def row_dict(record: Record) -> dict[str, Any]:
    """A record as a scenario row table (``{"class": ..., "min_ha": ...}``); no checks."""
    suffix = "pct" if record.get("unit") == "pct" else "ha"
    mode, value = record.get("mode"), record.get("value")
    bounds = {"exact": {"target": value}, "min": {"min": value}, "max": {"max": value},
              "band": {"min": value, "max": record.get("upper")}}[mode]
    out: dict[str, Any] = {"class": record["class"]}
    if record.get("region") not in (None, WHOLE_AREA):
        out["region"] = record["region"]
    out.update({f"{name}_{suffix}": float(v) for name, v in bounds.items()})
    if not _blank(record.get("tolerance_ha")):
        out["tolerance_ha"] = float(record["tolerance_ha"])
    return out


def _checked_row(number: int, record: Record, vocab: Vocabulary
                 ) -> tuple[DemandRow | None, Problem | None]:
    problem = _first_problem(number, record, vocab)
    if problem is not None:
        return None, problem
    try:
        return parse_rows([row_dict(record)])[0], None
    except DemandError as exc:  # anything the checks above missed: the solver's own words
        return None, Problem("demand_invalid", {**_names(number, record, vocab),
                                                "reason": str(exc)})


def _first_problem(number: int, record: Record, vocab: Vocabulary) -> Problem | None:
    names = _names(number, record, vocab)
    if _blank(record.get("class")):
        return Problem("demand_no_class", names)
    if vocab.resolve(record["class"]) is None:
        return Problem("demand_unknown_class", {**names, "known": "、".join(
            vocab.class_names.values())})
    region = record.get("region")
    if not _blank(region) and region != WHOLE_AREA and region not in vocab.regions:
        return Problem("demand_unknown_region", {**names, "known": "、".join(vocab.regions)})
    if record.get("mode") not in MODES or record.get("unit") not in UNITS:
        return Problem("demand_no_mode", names)
    return _value_problem(record, names)


def _value_problem(record: Record, names: dict[str, str]) -> Problem | None:
    value, upper = record.get("value"), record.get("upper")
    if _blank(value):
        return Problem("demand_no_value", names)
    if record["mode"] == "band" and _blank(upper):
        return Problem("demand_no_upper", names)
    numbers = [float(value)] + ([float(upper)] if record["mode"] == "band" else [])
    if any(not math.isfinite(n) or n < 0 for n in numbers):
        return Problem("demand_negative", names)
    if record["unit"] == "pct" and max(numbers) > MAX_PCT:
        return Problem("demand_pct_range", {**names, "max": f"{MAX_PCT:g}"})
    if record["mode"] == "band" and float(upper) < float(value):
        return Problem("demand_upper_below", {**names, "lo": f"{float(value):g}",
                                              "hi": f"{float(upper):g}"})
    return None


def _names(number: int, record: Record, vocab: Vocabulary) -> dict[str, str]:
    """Row number, class and region as a message names them (region as written)."""
    cls = record.get("class")
    region = record.get("region")
    return {"row": str(number), "cls": "" if _blank(cls) else vocab.label(cls),
            "region": "" if _blank(region) or region == WHOLE_AREA else str(region)}


def _is_blank_row(record: Record) -> bool:
    return all(_blank(record.get(c)) for c in ("class", "value", "upper", "tolerance_ha"))


def _blank(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(str(i) for i in items))


def region_label(region: str, whole_area: str) -> str:
    """A region cell for people: the whole-area word for :data:`WHOLE_AREA`."""
    return whole_area if region == WHOLE_AREA else region

