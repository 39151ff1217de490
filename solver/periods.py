"""Planning periods (规划期 / 开发时序): a base scenario plus 2–3 periods with their own targets.

A :class:`PeriodScenario` is a base :class:`~solver.scenario.Scenario` and an ordered list of
:class:`Period` (e.g. base year 2025 → 2030 近期 → 2035 远期). Each period's levers are the
base levers with that period's overrides applied; **every target is cumulative from the
base year** and is checked on the land use *at the end of that period*, exactly as a
single-period plan to that year would be (farmland quota, ecological minimum, new
construction land since the base year in total and per region, expansion cap, conversion
budget, locks and transitions measured against the base-year use). The periods are linked
(see ``solver.period_model``): built-up land stays built-up in later periods unless the later
period allows reclamation, and an optional per-period conversion cap bounds the area that
changes use *within* the period.

TOML layout (all keys documented; ``[solver]`` only in the base, the time limit covers the
joint solve)::

    name = "phased"                # base scenario keys and sections as in solver.scenario
    base_year = 2025               # year of the current land use (int, 1900..2200)
    [growth]
    expansion_cap = 1.3
    [solver]
    time_limit_s = 30.0

    [[periods]]
    name = "近期"                  # display name (str, required, unique)
    year = 2030                    # end year (int, strictly increasing, > base_year)
    weight = 1.0                   # weight of this period's objective (≥ 0, default 1)
    max_period_changed_pct = 8.0   # optional: max % of total area changing use in the period
    [periods.growth]               # overrides of any base section except [solver]
    min_new_built_ha = 100.0
    region_min_new_built_ha = { "城关镇" = 40.0 }

    [[periods]]
    name = "远期"
    year = 2035
    [periods.growth]
    min_new_built_ha = 250.0
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from solver.scenario import SECTIONS, Scenario, ScenarioError, _read_source, _toml_value, dumps_toml

if TYPE_CHECKING:
    from pathlib import Path


PERIOD_KEYS: tuple[str, ...] = ("name", "year", "weight", "max_period_changed_pct")
OVERRIDE_SECTIONS: tuple[str, ...] = tuple(s for s in SECTIONS if s != "solver")
MIN_PERIODS, MAX_PERIODS = 1, 3


@dataclass(frozen=True)
class Period:
    """One planning period: its end year, objective weight, cap and lever overrides.

    Parameters
    ----------
    name : str
        Display name, e.g. ``"近期"``; unique within the scenario.
    year : int
        End year of the period (targets hold at the end of it).
    weight : float
        Weight of this period's single-period objective in the joint objective (≥ 0).
    max_period_changed_pct : float or None
        Max % of the total area whose use changes *within* this period (None = no cap).
    overrides : tuple of (section, ((key, value), ...))
        Lever overrides of the base scenario, by section (nested dict form of ``Scenario``).
    """

    name: str
    year: int
    weight: float = 1.0
    max_period_changed_pct: float | None = None
    overrides: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()

    def overrides_dict(self) -> dict[str, dict[str, Any]]:
        """Overrides as a nested plain dict {section: {key: value}}."""
        return {sec: {k: _thaw(v) for k, v in items} for sec, items in self.overrides}


@dataclass(frozen=True)
class PeriodScenario:
    """A base scenario plus ordered periods; hashable. Build with :meth:`from_dict`."""

    base: Scenario
    periods: tuple[Period, ...]
    base_year: int = 2025
    scenarios: tuple[Scenario, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.scenarios:  # each period's full scenario, checked once
            object.__setattr__(self, "scenarios", tuple(_period_scenario(self.base, p)
                                                        for p in self.periods))

    @property
    def n_periods(self) -> int:
        return len(self.periods)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.periods)

    def scenario(self, t: int) -> Scenario:
        """The full single-period scenario of period ``t`` (base levers + overrides)."""
        return self.scenarios[t]

    # ----- construction ---------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PeriodScenario:
        """Validate a nested dict (as read from TOML); raises ``ScenarioError``."""
        if not isinstance(data, Mapping):
            raise ScenarioError(f"period scenario must be a table, got {type(data).__name__}")
        rest = {k: v for k, v in data.items() if k not in ("periods", "base_year")}
        base = Scenario.from_dict(rest)
        base_year = _int_key("base_year", data.get("base_year", 2025), 1900, 2200)
        raw = data.get("periods")
        if not isinstance(raw, list | tuple) or not MIN_PERIODS <= len(raw) <= MAX_PERIODS:
            raise ScenarioError(f"'periods' must be a list of {MIN_PERIODS}..{MAX_PERIODS} "
                                f"[[periods]] tables, got {raw!r}")
        periods = tuple(_parse_period(i, p) for i, p in enumerate(raw))
        _check_order(base_year, periods)
        return cls(base=base, periods=periods, base_year=base_year)

    @classmethod
    def from_toml(cls, source: str | Path) -> PeriodScenario:
        """Read from a TOML file path or TOML text."""
        try:
            data = tomllib.loads(_read_source(source))
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError(f"period scenario TOML cannot be parsed: {exc}") from exc
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """Nested plain dict that :meth:`from_dict` reads back to an equal object."""
        out = self.base.to_dict()
        out["base_year"] = self.base_year
        out["periods"] = [_period_to_dict(p) for p in self.periods]
        return out

    def to_toml(self) -> str:
        """TOML text (base keys, ``base_year``, then one ``[[periods]]`` table each)."""
        base = self.base.to_dict()
        top = {k: v for k, v in base.items() if not isinstance(v, Mapping)}
        top["base_year"] = self.base_year
        text = dumps_toml({**top, **{k: v for k, v in base.items() if isinstance(v, Mapping)}})
        return text + "".join(_period_toml(p) for p in self.periods)


# ----- helpers ----------------------------------------------------------------------------
def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return ("__map__", tuple(sorted((str(k), _freeze(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "__map__":
        return {k: _thaw(v) for k, v in value[1]}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


def _int_key(key: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ScenarioError(f"'{key}' = {value!r} must be an integer in {lo}..{hi}")
    return int(value)


def _num_key(key: str, value: Any, lo: float, hi: float) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or not lo <= value <= hi:
        raise ScenarioError(f"'{key}' = {value!r} must be a number in {lo}..{hi}")
    return float(value)


def _parse_period(i: int, raw: Any) -> Period:
    where = f"periods[{i}]"
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"'{where}' must be a table, got {raw!r}")
    unknown = [k for k in raw if k not in (*PERIOD_KEYS, *OVERRIDE_SECTIONS)]
    if unknown:
        raise ScenarioError(f"unknown key(s) {unknown} in [{where}]; known keys are: "
                            f"{', '.join((*PERIOD_KEYS, *OVERRIDE_SECTIONS))} ([solver] is set "
                            "once in the base scenario).")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ScenarioError(f"'{where}.name' must be a non-empty string, got {name!r}")
    cap = raw.get("max_period_changed_pct")
    overrides = []
    for sec in OVERRIDE_SECTIONS:
        if sec in raw:
            if not isinstance(raw[sec], Mapping):
                raise ScenarioError(f"'{where}.{sec}' must be a table, got {raw[sec]!r}")
            overrides.append((sec, tuple(sorted((k, _freeze(v)) for k, v in raw[sec].items()))))
    return Period(
        name=name, year=_int_key(f"{where}.year", raw.get("year"), 1900, 2200),
        weight=_num_key(f"{where}.weight", raw.get("weight", 1.0), 0.0, 100.0),
        max_period_changed_pct=None if cap is None else _num_key(
            f"{where}.max_period_changed_pct", cap, 0.0, 100.0),
        overrides=tuple(overrides))


def _check_order(base_year: int, periods: tuple[Period, ...]) -> None:
    years = [base_year, *(p.year for p in periods)]
    if any(b <= a for a, b in zip(years, years[1:], strict=False)):
        raise ScenarioError(f"period years {years[1:]} must increase strictly and follow "
                            f"base_year {base_year}. Fix: order the [[periods]] by year.")
    names = [p.name for p in periods]
    if len(set(names)) != len(names):
        raise ScenarioError(f"period names {names} must be unique")


def _period_scenario(base: Scenario, period: Period) -> Scenario:
    """Base levers with the period's overrides, validated (errors name the period)."""
    data = base.to_dict()
    for sec, values in period.overrides_dict().items():
        data[sec] = {**data.get(sec, {}), **values}
    try:
        return Scenario.from_dict(data)
    except ScenarioError as exc:
        raise ScenarioError(f"period '{period.name}' ({period.year}): {exc}") from exc


def _period_to_dict(p: Period) -> dict[str, Any]:
    out: dict[str, Any] = {"name": p.name, "year": p.year, "weight": p.weight}
    if p.max_period_changed_pct is not None:
        out["max_period_changed_pct"] = p.max_period_changed_pct
    return out | p.overrides_dict()


def _period_toml(p: Period) -> str:
    d = _period_to_dict(p)
    lines = ["\n[[periods]]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in d.items() if not isinstance(v, Mapping)]
    for sec, table in d.items():
        if isinstance(table, Mapping):
            lines.append(f"[periods.{sec}]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"
