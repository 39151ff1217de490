"""Scenario: the policy levers of one allocation run, typed, validated and immutable.

A scenario is data: a TOML file (``data/presets/*.toml``) or a dict (``to_dict`` /
``from_dict``; the dashboard flattens it into dotted URL query keys). Every key, its unit,
range and effect is documented in the ``metadata`` of the dataclass fields below; the
preset files repeat that text as comments. A lever the dashboard shows also declares its
widget there, and a lever a trade-off sweep may step its typical range
(:mod:`solver.lever_fields`); :func:`lever_specs` lists them all. Lever names are in the
wording catalogue (:mod:`wording.levers`).

Sections and keys
-----------------
``[farmland]`` 耕地保护
    ``quota_pct`` (%, 0..200, default 100) minimum cropland as a share of current cropland;
    ``quota_ha`` (ha, optional) absolute minimum, overrides ``quota_pct``;
    ``region_quota_pct`` ({region: %}) per-region minimum as share of that region's cropland;
    ``keep_basic_farmland`` (bool, true) 永久基本农田 cropland stays cropland;
    ``balance`` (bool, true) 占补平衡: cropland→built area ≤ other→cropland area;
    ``balance_quality_weighted`` (bool, false) measure the balance in grain capacity (t).
``[ecology]`` 生态保护
    ``red_line_mode`` ("locked" | "ecological_only" | "off", default "locked");
    ``min_ecological_pct`` (%, 0..200, default 0) forest+grassland+water area as share of current.
``[growth]`` 城镇发展
    ``min_new_built_ha`` / ``max_new_built_ha`` (ha) new construction land (建设用地);
    ``region_min_new_built_ha`` / ``region_max_new_built_ha`` ({region: ha});
    ``only_inside_boundary`` (bool, true) new built land only inside 城镇开发边界;
    ``expansion_cap`` (×, 1..5, default 1.3) total built ≤ cap × current built.
``[conversion]`` 转换规则
    ``allow_reclamation`` (bool, false) built land may revert (复垦);
    ``water_fixed`` (bool, true) water stays water and no new water is created;
    ``max_changed_pct`` (%, 0..100, default 15) share of total area that may change use;
    ``forbidden`` (list of [from_key, to_key]) transitions that are never allowed.
``[weights]`` objective weights (≥ 0, 0..100) of the terms in points (see ``solver.instance``):
    ``suitability``, ``ecology``, ``food``, ``carbon``, ``compactness``, ``conversion_cost``.
``[suitability]`` 适宜性来源
    ``source`` ("rules" | "learned", default "rules") which suitability the
    ``weights.suitability`` term scores: the store's rule (双评价-style) scores, or the scores
    learned from observed change between two land-use maps (the store must have them).
``[demand]`` 规划指标 demand table
    ``rows`` (list of {class, region?, target_ha | min_ha/max_ha | target_pct | min_pct/max_pct})
    area per class, for the whole area or one region (see :mod:`solver.demand`).
``[solver]`` see :class:`solver.config.SolverConfig`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from solver.config import SolverConfig
from solver.demand import DemandError, DemandRow, parse_rows
from solver.landscape import CLASS_KEYS
from solver.lever_fields import (
    AROUND_VALUE,
    CHOICE,
    TOGGLE,
    Sweep,
    Widget,
    number_box,
    slider,
    typical,
)


class ScenarioError(ValueError):
    """A scenario key or value is invalid; the message names key, value, allowed range and fix."""


RED_LINE_MODES: tuple[str, ...] = ("locked", "ecological_only", "off")
SUITABILITY_SOURCES: tuple[str, ...] = ("rules", "learned")


def _num(default: Any, lo: float | None, hi: float | None, unit: str, doc: str,
         widget: Widget | None = None, sweep: Sweep | None = None) -> Any:
    """Dataclass field of a number: valid range, unit, doc and (if any) its widget and sweep."""
    meta = {"lo": lo, "hi": hi, "unit": unit, "doc": doc}
    return field(default=default, metadata=_with_controls(meta, widget, sweep))


def _flag(default: bool, doc: str, widget: Widget | None = None) -> Any:
    return field(default=default,
                 metadata=_with_controls({"unit": "bool", "doc": doc}, widget, None))


def _choice(default: str, choices: tuple[str, ...], doc: str, widget: Widget | None = None
            ) -> Any:
    meta = {"choices": choices, "unit": "choice", "doc": doc}
    return field(default=default, metadata=_with_controls(meta, widget, None))


def _per_region(lo: float, hi: float | None, unit: str, doc: str) -> Any:
    return field(default=(), metadata={"lo": lo, "hi": hi, "unit": unit, "doc": doc,
                                       "per_region": True})


def _weight(doc: str, sweep: Sweep = AROUND_VALUE) -> Any:
    """An objective weight: 0..100, offered 0..10 on a slider, sweepable."""
    return _num(1.0, 0.0, 100.0, "weight", doc, slider(0.0, 10.0, 0.1), sweep)


def _with_controls(meta: dict[str, Any], widget: Widget | None, sweep: Sweep | None
                   ) -> dict[str, Any]:
    """``meta`` plus the lever's widget and sweep (only the keys a lever has)."""
    controls = {"widget": widget, "sweep": sweep}
    return {**meta, **{k: v for k, v in controls.items() if v is not None}}


@dataclass(frozen=True)
class FarmlandLevers:
    """[farmland] 耕地保护 levers."""

    quota_pct: float = _num(100.0, 0.0, 200.0, "%",
                            "耕地保有量: minimum cropland as % of current cropland",
                            slider(50.0, 120.0, 0.5), typical(90.0, 105.0))
    quota_ha: float | None = _num(None, 0.0, None, "ha",
                                  "absolute minimum cropland; overrides quota_pct when given")
    region_quota_pct: tuple[tuple[str, float], ...] = _per_region(
        0.0, 200.0, "%", "per-region minimum cropland as % of that region's current cropland")
    keep_basic_farmland: bool = _flag(True, "永久基本农田 that is cropland stays cropland",
                                      TOGGLE)
    balance: bool = _flag(True, "耕地占补平衡: area cropland→built ≤ area other→cropland",
                          TOGGLE)
    balance_quality_weighted: bool = _flag(
        False, "measure the balance in grain capacity (t/yr) instead of area")


@dataclass(frozen=True)
class EcologyLevers:
    """[ecology] 生态保护 levers."""

    red_line_mode: str = _choice(
        "locked", RED_LINE_MODES,
        "生态保护红线: locked = keep use; ecological_only = only forest/grassland/water; "
        "off = no restriction", CHOICE)
    min_ecological_pct: float = _num(0.0, 0.0, 200.0, "%",
                                     "minimum forest+grassland+water area as % of current",
                                     slider(0.0, 120.0, 0.5), typical(90.0, 105.0))


@dataclass(frozen=True)
class GrowthLevers:
    """[growth] 城镇发展 levers (new construction land 建设用地)."""

    min_new_built_ha: float = _num(0.0, 0.0, None, "ha", "minimum new construction land",
                                   number_box(0.0, 1e6, 50.0), typical(0.0, 1500.0))
    max_new_built_ha: float | None = _num(None, 0.0, None, "ha",
                                          "maximum new construction land (none = no limit)",
                                          number_box(0.0, 1e6, 50.0))
    region_min_new_built_ha: tuple[tuple[str, float], ...] = _per_region(
        0.0, None, "ha", "per-region minimum new construction land")
    region_max_new_built_ha: tuple[tuple[str, float], ...] = _per_region(
        0.0, None, "ha", "per-region maximum new construction land")
    only_inside_boundary: bool = _flag(True, "new built land only inside 城镇开发边界", TOGGLE)
    expansion_cap: float = _num(1.3, 1.0, 5.0, "×", "total built ≤ cap × current built",
                                slider(1.0, 3.0, 0.05), AROUND_VALUE)


@dataclass(frozen=True)
class ConversionLevers:
    """[conversion] transition rules and conversion budget."""

    allow_reclamation: bool = _flag(False, "复垦: built land may revert to other uses", TOGGLE)
    water_fixed: bool = _flag(True, "water stays water and no new water is created")
    max_changed_pct: float = _num(15.0, 0.0, 100.0, "%",
                                  "conversion budget: max % of total area that changes use",
                                  slider(0.0, 50.0, 0.5), typical(5.0, 25.0))
    forbidden: tuple[tuple[str, str], ...] = field(default=(), metadata={
        "unit": "pairs", "doc": "transitions never allowed, as [from_key, to_key] pairs"})


@dataclass(frozen=True)
class Weights:
    """[weights] objective weights; every term is in points (see ``solver.instance``)."""

    suitability: float = _weight("+1 point = +1 % area-weighted suitability")
    ecology: float = _weight("+1 point = +1 % ecosystem service value", typical(0.0, 5.0))
    food: float = _weight("+1 point = +1 % grain production capacity")
    carbon: float = _weight("+1 point = +1 % carbon storage")
    compactness: float = _weight("+1 point = +1 % shared boundary between same-use neighbours",
                                 typical(0.0, 5.0))
    conversion_cost: float = _weight("−1 point per 1 % of total area that changes use")


@dataclass(frozen=True)
class SuitabilityChoice:
    """[suitability] which suitability the ``weights.suitability`` term scores."""

    source: str = _choice(
        "rules", SUITABILITY_SOURCES,
        "适宜性来源: rules = the store's hand-set (双评价-style) scores; learned = scores "
        "learned from observed change between two land-use maps (the store must have "
        "them: python -m data learn-suitability)", CHOICE)


@dataclass(frozen=True)
class DemandLevers:
    """[demand] 规划指标表: per-class (and per-region) area targets, see :mod:`solver.demand`."""

    rows: tuple[DemandRow, ...] = field(default=(), metadata={
        "unit": "rows", "doc": "area targets per class and region: exact, min or max, "
                               "in ha or % of current"})


SECTIONS: dict[str, type] = {
    "farmland": FarmlandLevers, "ecology": EcologyLevers, "growth": GrowthLevers,
    "conversion": ConversionLevers, "demand": DemandLevers, "weights": Weights,
    "suitability": SuitabilityChoice, "solver": SolverConfig,
}
TOP_KEYS: tuple[str, ...] = ("name", "name_zh", "name_en", "description")


@dataclass(frozen=True)
class Scenario:
    """All levers of one run; hashable, so it can key caches.

    Build with :meth:`from_dict` / :meth:`from_toml`; every value is checked there.
    """

    name: str = "custom"
    name_zh: str = "自定义"
    name_en: str = "Custom"
    description: str = ""
    farmland: FarmlandLevers = field(default_factory=FarmlandLevers)
    ecology: EcologyLevers = field(default_factory=EcologyLevers)
    growth: GrowthLevers = field(default_factory=GrowthLevers)
    conversion: ConversionLevers = field(default_factory=ConversionLevers)
    demand: DemandLevers = field(default_factory=DemandLevers)
    weights: Weights = field(default_factory=Weights)
    suitability: SuitabilityChoice = field(default_factory=SuitabilityChoice)
    solver: SolverConfig = field(default_factory=SolverConfig)

    # ----- construction -------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Validate a nested dict (as read from TOML) into a Scenario.

        Raises
        ------
        ScenarioError
            On unknown keys, wrong types or values out of range (message names the fix).
        """
        if not isinstance(data, Mapping):
            raise ScenarioError(f"scenario must be a table/dict, got {type(data).__name__}")
        _check_unknown(data, (*TOP_KEYS, *SECTIONS), "scenario")
        kwargs: dict[str, Any] = {k: _parse_text(k, data[k]) for k in TOP_KEYS if k in data}
        for name, section_cls in SECTIONS.items():
            kwargs[name] = _parse_section(section_cls, name, data.get(name, {}))
        scenario = cls(**kwargs)
        _check_consistency(scenario)
        return scenario

    @classmethod
    def from_toml(cls, source: str | Path) -> Scenario:
        """Read a scenario from a TOML file path or from TOML text."""
        text = _read_source(source)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError(f"scenario TOML cannot be parsed: {exc}") from exc
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """Nested plain dict (numbers, bools, strings, lists, region dicts); ``None`` omitted."""
        out: dict[str, Any] = {k: getattr(self, k) for k in TOP_KEYS}
        for name in SECTIONS:
            out[name] = _section_to_dict(getattr(self, name))
        return out

    def to_toml(self) -> str:
        """TOML text that :meth:`from_toml` reads back to an equal scenario."""
        return dumps_toml(self.to_dict())

    def with_demand(self, rows: tuple[DemandRow, ...] | list) -> Scenario:
        """Copy with the demand table replaced (rows as :class:`DemandRow` or dicts)."""
        return self.with_value("demand.rows", [r.to_dict() if isinstance(r, DemandRow) else r
                                               for r in rows])

    def with_value(self, dotted_key: str, value: Any) -> Scenario:
        """Copy with one key replaced, e.g. ``with_value("farmland.quota_pct", 95)``.

        Region entries use three parts: ``"farmland.region_quota_pct.城关镇"``.
        """
        data = self.to_dict()
        parts = dotted_key.split(".")
        target = data
        for part in parts[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise ScenarioError(f"'{dotted_key}': '{part}' is not a table")
        target[parts[-1]] = value
        return Scenario.from_dict(data)


# ----- parsing helpers -------------------------------------------------------------------
def _read_source(source: str | Path) -> str:
    """TOML text of a path (Path, or a one-line string naming a file or ending in .toml)."""
    is_path = isinstance(source, Path) or (
        "\n" not in source and (source.endswith(".toml") or Path(source).is_file()))
    if not is_path:
        return str(source)
    path = Path(source)
    if not path.is_file():
        raise ScenarioError(f"scenario file '{path}' does not exist")
    return path.read_text(encoding="utf-8")


def _check_unknown(data: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    unknown = [k for k in data if k not in known]
    if unknown:
        raise ScenarioError(f"unknown key(s) {unknown} in [{where}]; known keys are: "
                            f"{', '.join(known)}. Fix the spelling or remove the key.")


def _parse_text(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ScenarioError(f"'{key}' must be a string, got {value!r}")
    return value


def _parse_section(section_cls: type, name: str, data: Any) -> Any:
    if not isinstance(data, Mapping):
        raise ScenarioError(f"[{name}] must be a table of keys, got {data!r}")
    fields = {f.name: f for f in dataclasses.fields(section_cls)}
    _check_unknown(data, tuple(fields), name)
    hints = get_type_hints(section_cls)
    values = {k: _parse_value(f"{name}.{k}", fields[k], hints[k], v) for k, v in data.items()}
    return section_cls(**values)


def _parse_value(key: str, f: dataclasses.Field, hint: Any, value: Any) -> Any:
    meta = f.metadata
    if meta.get("per_region"):
        return _parse_region_map(key, meta, value)
    if meta.get("unit") == "pairs":
        return _parse_pairs(key, value)
    if meta.get("unit") == "rows":
        try:
            return parse_rows(value, key)
        except DemandError as exc:
            raise ScenarioError(str(exc)) from exc
    if "choices" in meta:
        if value not in meta["choices"]:
            raise ScenarioError(f"'{key}' = {value!r} is not allowed; choose one of "
                                f"{list(meta['choices'])}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ScenarioError(f"'{key}' = {value!r} must be true or false")
        return value
    if hint is int:
        return int(_check_number(key, meta, value, integer=True))
    return _check_number(key, meta, value)


def _check_number(key: str, meta: Mapping[str, Any], value: Any, integer: bool = False) -> float:
    ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type or not math.isfinite(value):
        kind = "an integer" if integer else "a number"
        raise ScenarioError(f"'{key}' = {value!r} must be {kind} ({meta.get('unit', '')}); "
                            f"{_range_text(meta)}")
    lo, hi = meta.get("lo"), meta.get("hi")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ScenarioError(f"'{key}' = {value!r} {meta.get('unit', '')} is out of range; "
                            f"{_range_text(meta)}. Fix: set a value inside the range.")
    return value if integer else float(value)


def _range_text(meta: Mapping[str, Any]) -> str:
    lo, hi = meta.get("lo"), meta.get("hi")
    if hi is None:
        return f"allowed: ≥ {lo}"
    return f"allowed: {lo} .. {hi}"


def _parse_region_map(key: str, meta: Mapping[str, Any], value: Any) -> tuple:
    if isinstance(value, tuple | list):  # already the internal form (pairs)
        value = dict(value)
    if not isinstance(value, Mapping):
        raise ScenarioError(f"'{key}' must be a table {{region name = value}}, got {value!r}")
    items = [(str(r), _check_number(f"{key}.{r}", meta, v)) for r, v in value.items()]
    return tuple(sorted(items))


def _parse_pairs(key: str, value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list | tuple):
        raise ScenarioError(f"'{key}' must be a list of [from_key, to_key] pairs, got {value!r}")
    pairs = []
    for pair in value:
        if (not isinstance(pair, list | tuple) or len(pair) != 2
                or any(p not in CLASS_KEYS for p in pair)):
            raise ScenarioError(f"'{key}' entry {pair!r} must be [from_key, to_key] with keys "
                                f"from {list(CLASS_KEYS)}")
        pairs.append((str(pair[0]), str(pair[1])))
    return tuple(pairs)


def _check_consistency(s: Scenario) -> None:
    g = s.growth
    if g.max_new_built_ha is not None and g.max_new_built_ha < g.min_new_built_ha:
        raise ScenarioError(
            f"'growth.max_new_built_ha' = {g.max_new_built_ha} is below 'growth.min_new_built_ha'"
            f" = {g.min_new_built_ha}; allowed: max ≥ min. Fix: raise the maximum or lower the "
            "minimum.")
    mins, maxs = dict(g.region_min_new_built_ha), dict(g.region_max_new_built_ha)
    for region, lo in mins.items():
        if region in maxs and maxs[region] < lo:
            raise ScenarioError(
                f"'growth.region_max_new_built_ha.{region}' = {maxs[region]} is below the "
                f"region minimum {lo}; allowed: max ≥ min. Fix: raise the maximum.")


def _section_to_dict(section: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(section):
        value = getattr(section, f.name)
        if value is None:
            continue
        if f.metadata.get("per_region"):
            value = dict(value)
        elif f.metadata.get("unit") == "pairs":
            value = [list(p) for p in value]
        elif f.metadata.get("unit") == "rows":
            value = [row.to_dict() for row in value]
        out[f.name] = value
    return out


# ----- TOML writing (tomllib only reads) --------------------------------------------------
def dumps_toml(data: Mapping[str, Any]) -> str:
    """Write the nested scenario dict as TOML (scalars, lists, one level of inline tables)."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, Mapping)]
    for name, table in data.items():
        if isinstance(table, Mapping):
            lines.append(f"\n[{name}]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_value(str(k))} = {_toml_value(v)}"
                                for k, v in value.items()) + " }"
    return "[" + ", ".join(_toml_value(v) for v in value) + "]"


def documented_keys() -> list[dict[str, Any]]:
    """Every section key with unit, range, default and doc (for the dashboard's help)."""
    rows = []
    for name, section_cls in SECTIONS.items():
        for f in dataclasses.fields(section_cls):
            default = f.default if f.default is not dataclasses.MISSING else None
            rows.append({"key": f"{name}.{f.name}", "default": default, **dict(f.metadata)})
    return rows


# ----- the levers as the dashboard, the sweep and the report read them --------------------
@dataclass(frozen=True)
class LeverSpec:
    """One scenario key with everything declared on its field.

    Attributes
    ----------
    key : str
        Dotted scenario key, e.g. ``"farmland.quota_pct"``; also the key of the lever's label
        in the wording catalogue (``wording.levers``), see :attr:`label_key`.
    kind : str
        ``"number"``, ``"flag"``, ``"choice"``, ``"per_region"`` ({region: number}),
        ``"pairs"`` (forbidden transitions) or ``"rows"`` (the demand table).
    unit : str
        ``"%"``, ``"ha"``, ``"×"``, ``"weight"``, ``"s"``, ``"bool"``, ``"choice"``, …
    lo, hi : float or None
        Valid range (``Scenario.from_dict`` refuses values outside; None = open).
    default : Any
        The value when the scenario does not set the key.
    integer : bool
        The value is a whole number (a seed, a worker count).
    choices : tuple of str
        Allowed values of a choice lever.
    widget : Widget or None
        The dashboard control that sets the lever (None: no control, e.g. per-region tables).
    sweep : Sweep or None
        Set when a trade-off sweep may step the lever; ``sweep.typical`` its usual range.
    """

    key: str
    kind: str
    unit: str
    lo: float | None
    hi: float | None
    default: Any
    integer: bool = False
    choices: tuple[str, ...] = ()
    widget: Widget | None = None
    sweep: Sweep | None = None

    @property
    def label_key(self) -> str:
        """Catalogue key of the lever's label (its dotted key)."""
        return self.key


@functools.cache
def lever_specs() -> tuple[LeverSpec, ...]:
    """Every key of every section, in section and field order.

    The lever panel draws the specs that have a ``widget``, the sweep steps those that have
    a ``sweep``; both take their ranges from here.
    """
    return tuple(_spec(name, f, get_type_hints(section_cls)[f.name])
                 for name, section_cls in SECTIONS.items()
                 for f in dataclasses.fields(section_cls))


def _spec(section: str, f: dataclasses.Field, hint: Any) -> LeverSpec:
    meta = f.metadata
    return LeverSpec(
        key=f"{section}.{f.name}", kind=_kind(meta, hint), unit=str(meta["unit"]),
        lo=meta.get("lo"), hi=meta.get("hi"),
        default=f.default if f.default is not dataclasses.MISSING else None,
        integer=hint is int, choices=tuple(meta.get("choices", ())),
        widget=meta.get("widget"), sweep=meta.get("sweep"))


def _kind(meta: Mapping[str, Any], hint: Any) -> str:
    if meta.get("per_region"):
        return "per_region"
    if meta["unit"] in ("pairs", "rows"):
        return str(meta["unit"])
    if "choices" in meta:
        return "choice"
    return "flag" if hint is bool else "number"
