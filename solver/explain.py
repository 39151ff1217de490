"""Infeasibility in planners' words: which levers contradict, by how much, and the fix.

Method: re-solve with every numeric target as a soft goal (a slack variable per lever,
minimising the total slack in ha — or t of grain for a quality-weighted balance). Levers
with slack are the conflicting ones; the slack is how far each must move together for the
scenario to become feasible. Each conflicting lever is then re-solved alone as soft (the
others hard) to say whether moving only that lever would suffice, and by how much.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from solver.config import SolverConfig
from solver.demand import DemandRow
from solver.exact import elastic_with_prices
from solver.instance import AREA_SCALE, GRAIN_SCALE, Instance, build_instance
from solver.landscape import Landscape
from solver.model import AllocationModel, run_search, solve_quietly
from solver.rules import SlackPenalty, constraint_rules
from solver.scenario import Scenario, ScenarioError, lever_specs
from solver.targets import AreaTarget
from wording import both, translate
from wording import levers as lever_words

#: Share of the time left for verifying the exact joint suggestion (the rest: widened by a
#: parcel, when whole parcels leave the exact one short).
VERIFY_SHARE = 2.0 / 3.0
LEVER_SPECS = {spec.key: spec for spec in lever_specs()}


@dataclass(frozen=True)
class Suggestion:
    """Move lever ``key`` from ``current`` to ``suggested`` (unit ``unit``).

    ``shortfall`` is the slack in ha (t for a quality-weighted balance);
    ``alone_value`` the value that would suffice if only this lever moved (None when
    moving it alone is not enough or was not determined in time).
    """

    key: str
    label_zh: str
    label_en: str
    current: float | bool
    suggested: float | bool
    unit: str
    shortfall: float
    alone_value: float | bool | None = None
    side: str = "lo"
    verified: bool = False


@dataclass(frozen=True)
class Explanation:
    """Why a scenario is infeasible, in Chinese and English, with suggested relaxations.

    ``suggestions`` is the smallest joint relaxation (applied together by
    :func:`relaxed_scenario`); ``alternatives`` lists other single levers that would make the
    scenario feasible if moved alone, each with the value it would need (``suggested``).
    """

    message_zh: str
    message_en: str
    suggestions: tuple[Suggestion, ...]
    context: dict[str, float]
    determined: bool = True
    alternatives: tuple[Suggestion, ...] = ()

    @property
    def can_apply(self) -> bool:
        """Every joint suggestion lies inside its lever's range (one click can apply them)."""
        return bool(self.suggestions) and all(_in_range(s) for s in self.suggestions)

    def to_dict(self) -> dict[str, Any]:
        return {"message_zh": self.message_zh, "message_en": self.message_en,
                "suggestions": [asdict(s) for s in self.suggestions],
                "alternatives": [asdict(s) for s in self.alternatives],
                "context_ha": self.context, "determined": self.determined}


def relaxed_scenario(scenario: Scenario, explanation: Explanation) -> Scenario:
    """The scenario with every suggested relaxation applied (one-click fix)."""
    for s in explanation.suggestions:
        scenario = apply_suggestion(scenario, s)
    return scenario


def single_lever_fixes(explanation: Explanation) -> tuple[Suggestion, ...]:
    """Every way to make the scenario feasible by moving one lever alone, within its range.

    A conflicting lever's own ``alone_value`` comes first, then the alternatives; each is the
    smallest move of that lever alone (the elastic model with only it elastic), so a planner
    can keep every other lever as set.
    """
    own = tuple(replace(s, suggested=s.alone_value) for s in explanation.suggestions
                if s.alone_value is not None)
    return tuple(s for s in (*own, *explanation.alternatives) if _in_range(s))


def apply_suggestion(scenario: Scenario, s: Suggestion) -> Scenario:
    """One lever moved to its suggested value (demand rows are edited in place)."""
    if not s.key.startswith("demand."):
        return scenario.with_value(s.key, s.suggested)
    rows = []
    for row in scenario.demand.rows:
        if _demand_key(row) == s.key:
            row = _relaxed_row(row, s.side, float(s.suggested))
        rows.append(row)
    return scenario.with_demand(rows)


def _demand_key(row: DemandRow) -> str:
    return f"demand.{row.cls}" + (f"@{row.region}" if row.region else "")


def _relaxed_row(row: DemandRow, side: str, value: float) -> DemandRow:
    """A demand row with one side moved; an exact target becomes a band."""
    unit = "pct" if row.unit == "%" else "ha"
    lo, hi = row.bounds()
    lo, hi = (value, hi) if side == "lo" else (lo, value)
    values = {k: None for k in ("target_ha", "min_ha", "max_ha", "target_pct", "min_pct",
                                "max_pct")}
    values |= {f"min_{unit}": lo, f"max_{unit}": hi}
    return replace(row, **values)


# ----- the levers of an instance ----------------------------------------------------------
@dataclass(frozen=True)
class _LeverRow:
    """A lever side: which target (or side rule) and its limit in integer units."""

    key: str
    side: str  # "lo" (at least) | "hi" (at most)
    limit: int
    target: AreaTarget | None


def lever_rows(inst: Instance) -> dict[str, _LeverRow]:
    """``"key|side"`` → lever row for every active numeric lever of the instance."""
    out: dict[str, _LeverRow] = {}
    for t in inst.targets:
        for side, limit in (("lo", t.lo), ("hi", t.hi)):
            if limit is not None:
                out[f"{t.key}|{side}"] = _LeverRow(t.key, side, limit, t)
    if inst.limits.balance:
        out["farmland.balance|hi"] = _LeverRow("farmland.balance", "hi", 0, None)
    if inst.limits.changed_max is not None:
        out["conversion.max_changed_pct|hi"] = _LeverRow(
            "conversion.max_changed_pct", "hi", inst.limits.changed_max, None)
    return out


def lever_measure(inst: Instance, row: _LeverRow, a: np.ndarray) -> int:
    """The quantity a lever constrains under assignment ``a`` (integer units)."""
    land = inst.landscape
    if row.target is not None:
        return row.target.measure(land, inst.area, a)
    if row.key == "farmland.balance":
        w, crop = inst.balance_weight, land.in_role(land.current, "cropland")
        return int(w[crop & land.in_role(a, "built")].sum()
                   - w[~crop & land.in_role(a, "cropland")].sum())
    return int(inst.area[a != land.current].sum())


def _slack_values(inst: Instance, a: np.ndarray, slacks: dict[str, int] | list[str]
                  ) -> dict[str, int]:
    """Slack of each lever (by lever key, sides merged) recomputed from the assignment."""
    rows = lever_rows(inst)
    out: dict[str, int] = {}
    for name in slacks:
        if name not in rows:
            continue
        row = rows[name]
        have = lever_measure(inst, row, a)
        gap = max(row.limit - have, 0) if row.side == "lo" else max(have - row.limit, 0)
        out[row.key] = max(out.get(row.key, 0), gap)
    return out


def _side_slacks(inst: Instance, a: np.ndarray) -> dict[str, int]:
    """``"key|side"`` → slack under ``a`` for every lever."""
    out = {}
    for name, row in lever_rows(inst).items():
        have = lever_measure(inst, row, a)
        out[name] = max(row.limit - have, 0) if row.side == "lo" else max(have - row.limit, 0)
    return out


# ----- from slack to lever values ---------------------------------------------------------
def _current_value(scenario: Scenario, row: _LeverRow) -> Any:
    if row.key.startswith("demand."):
        demand = next(r for r in scenario.demand.rows if _demand_key(r) == row.key)
        lo, hi = demand.bounds()
        return lo if row.side == "lo" else hi
    parts = row.key.split(".")
    value = getattr(getattr(scenario, parts[0]), parts[1])
    return dict(value)[parts[2]] if len(parts) == 3 else value


def suggested_value(inst: Instance, key: str, units: int) -> float | bool:
    """Lever value after relaxing it by ``units`` of slack, rounded in the relaxing direction."""
    row = _row_for(inst, key)
    if row.key == "farmland.balance":
        return False
    limit = row.limit - units if row.side == "lo" else row.limit + units
    if row.target is not None:
        return row.target.lever.value(limit, "min" if row.side == "lo" else "max")
    return math.ceil(1000.0 * limit / max(int(inst.area.sum()), 1) - 1e-9) / 10


def _row_for(inst: Instance, key: str, side: str | None = None) -> _LeverRow:
    rows = lever_rows(inst)
    if "|" in key:
        return rows[key]
    for s in ((side,) if side else ("lo", "hi")):
        if f"{key}|{s}" in rows:
            return rows[f"{key}|{s}"]
    raise KeyError(key)


def _unit(row: _LeverRow) -> str:
    if row.key == "farmland.balance":
        return "bool"
    if row.target is not None:
        return row.target.lever.unit
    return "%"


def _labels(row: _LeverRow) -> tuple[str, str]:
    """Area levers carry their labels (solver.targets.Lever); side rules are named in the
    catalogue."""
    if row.target is not None:
        return row.target.lever.label_zh, row.target.lever.label_en
    return lever_words.names(row.key)


def _shortfall(inst: Instance, key: str, units: int) -> float:
    if key == "farmland.balance" and inst.scenario.farmland.balance_quality_weighted:
        return units / GRAIN_SCALE
    return units / AREA_SCALE


def _suggestion(inst: Instance, key: str, units: int, alone: int | None,
                side: str | None = None) -> Suggestion:
    row = _row_for(inst, key, side)
    zh, en = _labels(row)
    current = _current_value(inst.scenario, row)
    return Suggestion(
        key=row.key, label_zh=zh, label_en=en, current=current,
        suggested=suggested_value(inst, f"{row.key}|{row.side}", units), unit=_unit(row),
        shortfall=round(_shortfall(inst, row.key, units), 2),
        alone_value=None if alone is None else suggested_value(
            inst, f"{row.key}|{row.side}", alone), side=row.side)


# ----- messages ---------------------------------------------------------------------------
def context_numbers(inst: Instance) -> dict[str, float]:
    """The areas behind the message (ha): quota, red line, locked land, room for growth."""
    land = inst.landscape
    ha = inst.area / AREA_SCALE
    quota = next((t.lo for t in inst.targets if t.key.startswith("farmland.quota")), 0)
    built_cls = land.role_classes("built")
    room = inst.allowed[:, built_cls].any(axis=1) & ~land.in_role(land.current, "built")
    return {
        "farmland_quota_ha": round(quota / AREA_SCALE, 1),
        "red_line_ha": round(float(ha[land.red_line].sum()), 1),
        "basic_farmland_ha": round(float(ha[land.basic_farmland].sum()), 1),
        "unchangeable_ha": round(float(ha[~inst.mutable].sum()), 1),
        "buildable_ha": round(float(ha[room].sum()), 1) if built_cls else 0.0,
        "conversion_budget_ha": round((inst.limits.changed_max or 0) / AREA_SCALE, 1),
    }


def _fmt(value: float | bool, unit: str, lang: str = "en") -> str:
    """A lever value with its unit as the explanation shows it."""
    if isinstance(value, bool):
        return translate("switch_on" if value else "switch_off", lang)
    text = f"{value:,.3f}" if unit == "×" else f"{value:,.1f}"
    shown_unit = translate("unit_ha", lang) if unit == "ha" else unit
    return f"{text} {shown_unit}".replace(" %", "%")


def lever_line(s: Suggestion, lang: str, where: str = "", more: str = "") -> str:
    """One line of an explanation: a conflicting lever, its shortfall and suggested value."""
    label = s.label_zh if lang == "zh" else s.label_en
    if s.unit == "bool":
        return translate("explain_switch_off", lang, where=where, label=label,
                         shortfall=s.shortfall)
    return translate("explain_lever", lang, where=where, label=label, key=s.key,
                     current=_fmt(s.current, s.unit, lang), shortfall=s.shortfall,
                     suggested=_fmt(s.suggested, s.unit, lang), more=more)


def _line(s: Suggestion, lang: str) -> str:
    more = "" if s.alone_value is None else translate(
        "explain_alone", lang, value=_fmt(s.alone_value, s.unit, lang))
    return lever_line(s, lang, more=more)


def _alt_line(s: Suggestion, lang: str) -> str:
    return translate("explain_alternative", lang, label=s.label_zh if lang == "zh" else s.label_en,
                     key=s.key, current=_fmt(s.current, s.unit, lang),
                     suggested=_fmt(s.suggested, s.unit, lang))


def _message(ctx: dict[str, float], sugg: tuple[Suggestion, ...],
             alt: tuple[Suggestion, ...], lang: str) -> str:
    lines = [translate("explain_head", lang, quota=ctx["farmland_quota_ha"],
                       red_line=ctx["red_line_ha"], locked=ctx["unchangeable_ha"],
                       buildable=ctx["buildable_ha"], budget=ctx["conversion_budget_ha"])]
    lines += [_line(s, lang) for s in sugg]
    if alt:
        lines.append(translate("explain_alternatives", lang))
        lines += [_alt_line(s, lang) for s in alt]
    return "\n".join(lines)


def _messages(ctx: dict[str, float], sugg: tuple[Suggestion, ...],
              alt: tuple[Suggestion, ...]) -> tuple[str, str]:
    return _message(ctx, sugg, alt, "zh"), _message(ctx, sugg, alt, "en")


def explain_infeasibility(landscape: Landscape, scenario: Scenario,
                          time_limit_s: float = 10.0, instance: Instance | None = None
                          ) -> Explanation:
    """Explain why ``scenario`` is infeasible on ``landscape``.

    Method: an elastic version of the identical model (one slack per lever, total slack in
    m² minimised) names the conflicting levers and how far they must move together; the same
    model with only one lever elastic gives the smallest change of that lever alone. Both are
    solved as flows where the levers nest (exact and fast), by the LP-guided search otherwise.
    The joint suggestion is verified by re-solving the relaxed scenario.

    Parameters
    ----------
    time_limit_s : float
        Budget for all elastic solves and the verification together.
    instance : Instance, optional
        The scenario's instance when the caller has built it already (at millions of
        parcels building it takes tens of seconds).

    Returns
    -------
    Explanation
        Messages (zh, en), one :class:`Suggestion` per conflicting lever (applying all of
        them with :func:`relaxed_scenario` makes the scenario feasible) and alternatives.
    """
    t0 = time.monotonic()
    inst = instance if instance is not None else build_instance(landscape, scenario)
    ctx = context_numbers(inst)
    slack = _elastic_slacks(inst, None, 0.4 * time_limit_s)
    if slack is None:
        # which levers conflict is unknown, but the boundary rule's fix needs no elastic solve
        return _undetermined(ctx, _boundary_rule_fix(landscape, scenario, ctx, None,
                                                     t0 + time_limit_s))
    conflicting = [k for k, v in slack.items() if v > 0]
    # each conflicting lever alone first; other levers as alternatives while time is left
    alone = _alone_slacks(inst, list(lever_rows(inst)), conflicting,
                          t0 + 0.3 * time_limit_s)
    sugg = tuple(_suggestion(inst, k, slack[k], alone.get(k)) for k in conflicting)
    sugg = _verified(landscape, scenario, inst, sugg, slack, t0 + time_limit_s)
    # a lever that would have to leave its allowed range cannot be the fix on its own
    alt = tuple(a for a in (_suggestion(inst, k, v, v) for k, v in alone.items()
                            if k not in conflicting and v > 0) if _in_range(a))
    alt += _boundary_rule_fix(landscape, scenario, ctx, conflicting, t0 + time_limit_s)
    zh, en = _messages(ctx, sugg, alt)
    return Explanation(zh, en, sugg, ctx, alternatives=alt)


def _elastic_slacks(inst: Instance, soft: frozenset[str] | None, budget_s: float
                    ) -> dict[str, int] | None:
    """``"key|side"`` → minimum slack with the ``soft`` levers elastic (None = all);
    ``{}`` when the other levers alone conflict, None when not determined in time.
    The elastic flow with prices on the side rules; the LP-guided search as a fallback."""

    keys = None if soft is None else frozenset(k.split("|")[0] for k in soft)
    status, a = elastic_with_prices(inst, keys, time.monotonic() + 0.5 * budget_s)
    if status == "infeasible":
        return {}
    if a is not None:
        return _only(_side_slacks(inst, a), soft)
    return _search_slacks(inst, soft, 0.5 * budget_s)


def _only(slack: dict[str, int], soft: frozenset[str] | None) -> dict[str, int]:
    return slack if soft is None else {k: v for k, v in slack.items() if k in soft}


def _search_slacks(inst: Instance, soft: frozenset[str] | None, budget_s: float
                   ) -> dict[str, int] | None:
    """Minimum total slack by the LP-guided search (side rules in the elastic model)."""

    levers = True if soft is None else frozenset(k.split("|")[0] for k in soft)
    model = AllocationModel(inst, [*constraint_rules(soft=levers), SlackPenalty()],
                            status_quo_zero=False)
    config = SolverConfig(time_limit_s=max(budget_s, 1.0), workers=inst.scenario.solver.workers,
                          target_gap_pct=0.5)
    search, _ = run_search(model, config, hint=inst.landscape.current)
    if search.proven_infeasible:
        return {}
    if search.assignment is None:
        return None
    return _only(_side_slacks(inst, search.assignment), soft)


def _alone_slacks(inst: Instance, names: list[str], conflicting: list[str],
                  deadline: float) -> dict[str, int]:
    """Slack of each lever side when only it is elastic (levers that cannot fix it omitted)."""
    out: dict[str, int] = {}
    for name in sorted(names, key=lambda k: k not in conflicting):
        if time.monotonic() > deadline and name not in conflicting:
            break
        res = _elastic_slacks(inst, frozenset({name}), max(deadline - time.monotonic(), 0.5))
        if res and res.get(name, 0) > 0:
            out[name] = res[name]
    return out


def _boundary_rule_fix(landscape: Landscape, scenario: Scenario, ctx: dict[str, float],
                       conflicting: list[str] | None, deadline: float
                       ) -> tuple[Suggestion, ...]:
    """Switching off "new construction only inside the urban boundary" as a fix of its own,
    when no land may become construction land and a growth target conflicts: typical of a
    store without a mapped 城镇开发边界 (a land-cover raster), where the elastic model can
    only suggest giving up the growth itself. Offered only if the scenario then solves."""

    growth = scenario.growth
    if conflicting is None:  # not determined: any growth target may be the one
        growth_conflict = growth.min_new_built_ha > 0 or any(
            ha > 0 for _, ha in growth.region_min_new_built_ha)
    else:
        growth_conflict = any(
            k.startswith(("growth.min_new_built", "growth.region_min_new_built"))
            for k in conflicting)
    if not (growth.only_inside_boundary and ctx["buildable_ha"] == 0
            and growth_conflict):
        return ()
    key = "growth.only_inside_boundary"
    relaxed = scenario.with_value(key, False)
    if not solve_quietly(landscape, relaxed, max(deadline - time.monotonic(), 1.0)):
        return ()
    return (Suggestion(key, *lever_words.names(key), current=True, suggested=False, unit="bool",
                       shortfall=0.0, verified=True),)


def _in_range(s: Suggestion) -> bool:
    """Whether a suggested value lies inside the lever's valid range (a region's entry:
    the range of its per-region lever)."""
    spec = LEVER_SPECS.get(".".join(s.key.split(".")[:2]))
    if spec is None or isinstance(s.suggested, bool):
        return True
    return ((spec.lo is None or s.suggested >= spec.lo)
            and (spec.hi is None or s.suggested <= spec.hi))


def _verified(landscape: Landscape, scenario: Scenario, inst: Instance,
              sugg: tuple[Suggestion, ...], slack: dict[str, int], deadline: float
              ) -> tuple[Suggestion, ...]:
    """Re-solve with the joint suggestion; if parcels' indivisibility leaves it one parcel
    short, widen each conflicting lever by the largest changeable parcel and check again."""

    step = int(inst.area[inst.mutable].max()) if inst.mutable.any() else 0
    if not all(_in_range(s) for s in sugg):
        return sugg  # a suggested value outside its lever's range cannot be applied as is
    for extra in (0, step):
        trial = tuple(_suggestion(inst, s.key, slack[f"{s.key}|{s.side}"] + extra,
                                  None, s.side) if extra else s for s in sugg)
        relaxed = scenario
        try:
            for s in trial:
                relaxed = apply_suggestion(relaxed, s)
        except ScenarioError:  # widened past a lever's allowed range
            return sugg
        # the exact suggestion gets two thirds of the time left, its widened form the rest
        budget = max((deadline - time.monotonic()) * (1.0 if extra else VERIFY_SHARE), 1.0)
        if solve_quietly(landscape, relaxed, budget):
            return tuple(replace(s, verified=True, alone_value=o.alone_value)
                         for s, o in zip(trial, sugg, strict=True))
    return sugg


def _undetermined(ctx: dict[str, float], alt: tuple[Suggestion, ...] = ()) -> Explanation:
    """The conflict is proven but not located in time; ``alt``: fixes known without it."""
    lines = [both("explain_undetermined")]
    if alt:
        lines.append(both("explain_alternatives"))
        lines += [(_alt_line(s, "zh"), _alt_line(s, "en")) for s in alt]
    zh, en = ("\n".join(parts) for parts in zip(*lines, strict=True))
    return Explanation(zh, en, (), ctx, determined=False, alternatives=alt)

