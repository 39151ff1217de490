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
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from solver.config import SolverConfig
from solver.instance import AREA_SCALE, GRAIN_SCALE, Instance, build_instance
from solver.landscape import Landscape
from solver.rules import SlackPenalty, constraint_rules
from solver.scenario import Scenario

LABELS: dict[str, tuple[str, str]] = {
    "farmland.quota_pct": ("耕地保有量", "farmland quota"),
    "farmland.quota_ha": ("耕地保有量", "farmland quota"),
    "farmland.region_quota_pct": ("{r}耕地保有量", "farmland quota of {r}"),
    "farmland.balance": ("耕地占补平衡", "cropland requisition–compensation balance"),
    "ecology.min_ecological_pct": ("生态用地下限", "minimum ecological land"),
    "growth.min_new_built_ha": ("新增建设用地下限", "minimum new construction land"),
    "growth.max_new_built_ha": ("新增建设用地上限", "maximum new construction land"),
    "growth.region_min_new_built_ha": ("{r}新增建设用地下限",
                                       "minimum new construction land of {r}"),
    "growth.region_max_new_built_ha": ("{r}新增建设用地上限",
                                       "maximum new construction land of {r}"),
    "growth.expansion_cap": ("建设用地扩张系数", "built-up expansion cap"),
    "conversion.max_changed_pct": ("用地转换上限", "conversion budget"),
}


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

    def to_dict(self) -> dict[str, Any]:
        return {"message_zh": self.message_zh, "message_en": self.message_en,
                "suggestions": [asdict(s) for s in self.suggestions],
                "alternatives": [asdict(s) for s in self.alternatives],
                "context_ha": self.context, "determined": self.determined}


def relaxed_scenario(scenario: Scenario, explanation: Explanation) -> Scenario:
    """The scenario with every suggested relaxation applied (one-click fix)."""
    for s in explanation.suggestions:
        scenario = scenario.with_value(s.key, s.suggested)
    return scenario


# ----- soft re-solve ----------------------------------------------------------------------
def _slack_solve(inst: Instance, soft: bool | frozenset[str], time_limit_s: float,
                 workers: int) -> dict[str, int] | None:
    """Minimum total slack; returns slack units per lever key, or None if not determined.

    Uses the same LP-guided search as :func:`solver.solve` (the slack model's LP is almost
    integral, so this is fast).
    """
    from solver.model import AllocationModel, run_search  # deferred: model imports ortools

    model = AllocationModel(inst, [*constraint_rules(soft=soft), SlackPenalty()],
                            status_quo_zero=False)
    slacks = model.builder.slacks
    config = SolverConfig(time_limit_s=max(time_limit_s, 1.0), workers=workers,
                          target_gap_pct=0.5)
    search, _ = run_search(model, config, hint=inst.landscape.current)
    if search.assignment is None:
        return None
    return _slack_values(inst, search.assignment, slacks)


def _slack_values(inst: Instance, a: np.ndarray, slacks: dict[str, int]) -> dict[str, int]:
    """Slack of each lever recomputed from the assignment (integer units)."""
    measures = lever_measures(inst, a)
    limits = lever_limits(inst)
    out = {}
    for key in slacks:
        have, (kind, limit) = measures[key], limits[key]
        out[key] = max(limit - have, 0) if kind == "min" else max(have - limit, 0)
    return out


def lever_limits(inst: Instance) -> dict[str, tuple[str, int]]:
    """Lever key -> ("min" | "max", integer limit) for every active numeric lever."""
    lim, names = inst.limits, inst.landscape.region_names
    f = inst.scenario.farmland
    out: dict[str, tuple[str, int]] = {}
    if lim.crop_min is not None:
        out["farmland.quota_ha" if f.quota_ha is not None else "farmland.quota_pct"] = (
            "min", lim.crop_min)
    out |= {f"farmland.region_quota_pct.{names[r]}": ("min", v) for r, v in lim.region_crop_min}
    if lim.balance:
        out["farmland.balance"] = ("max", 0)
    if lim.eco_min is not None:
        out["ecology.min_ecological_pct"] = ("min", lim.eco_min)
    if lim.new_built_min is not None:
        out["growth.min_new_built_ha"] = ("min", lim.new_built_min)
    if lim.new_built_max is not None:
        out["growth.max_new_built_ha"] = ("max", lim.new_built_max)
    out |= {f"growth.region_min_new_built_ha.{names[r]}": ("min", v)
            for r, v in lim.region_new_built_min}
    out |= {f"growth.region_max_new_built_ha.{names[r]}": ("max", v)
            for r, v in lim.region_new_built_max}
    if lim.built_max is not None:
        out["growth.expansion_cap"] = ("max", lim.built_max)
    if lim.changed_max is not None:
        out["conversion.max_changed_pct"] = ("max", lim.changed_max)
    return out


def lever_measures(inst: Instance, a: np.ndarray) -> dict[str, int]:
    """The quantity each lever constrains under assignment ``a`` (integer units)."""
    land, area = inst.landscape, inst.area
    crop, built = land.class_index("cropland"), land.class_index("built")
    eco = [c for c, k in enumerate(land.class_keys) if k in ("forest", "grassland", "water")]
    new_built = (land.current != built) & (a == built)
    out = {"farmland.quota_pct": int(area[a == crop].sum()),
           "ecology.min_ecological_pct": int(area[np.isin(a, eco)].sum()),
           "growth.min_new_built_ha": int(area[new_built].sum()),
           "growth.expansion_cap": int(area[a == built].sum()),
           "conversion.max_changed_pct": int(area[a != land.current].sum())}
    out["farmland.quota_ha"] = out["farmland.quota_pct"]
    out["growth.max_new_built_ha"] = out["growth.min_new_built_ha"]
    w = inst.balance_weight
    out["farmland.balance"] = int(w[(land.current == crop) & (a == built)].sum()
                                  - w[(land.current != crop) & (a == crop)].sum())
    for r, name in enumerate(land.region_names):
        sel = land.region == r
        out[f"farmland.region_quota_pct.{name}"] = int(area[sel & (a == crop)].sum())
        out[f"growth.region_min_new_built_ha.{name}"] = int(area[sel & new_built].sum())
        out[f"growth.region_max_new_built_ha.{name}"] = out[
            f"growth.region_min_new_built_ha.{name}"]
    return out


# ----- from slack to lever values ---------------------------------------------------------
def _floor1(x: float) -> float:
    return math.floor(x * 10 + 1e-9) / 10


def _ceil1(x: float) -> float:
    return math.ceil(x * 10 - 1e-9) / 10


def _current_value(scenario: Scenario, key: str) -> Any:
    parts = key.split(".")
    value = getattr(getattr(scenario, parts[0]), parts[1])
    return dict(value)[parts[2]] if len(parts) == 3 else value


def _region_crop0(inst: Instance, name: str) -> int:
    land = inst.landscape
    sel = (land.region == land.region_names.index(name)) & (
        land.current == land.class_index("cropland"))
    return int(inst.area[sel].sum())


def suggested_value(inst: Instance, key: str, units: int) -> float | bool:
    """Lever value after relaxing it by ``units`` of slack, rounded in the relaxing direction."""
    land = inst.landscape
    kind, limit = lever_limits(inst)[key]
    target = limit - units if kind == "min" else limit + units
    base, rest = key.split(".")[1], key.split(".")[2:]
    if base == "balance":
        return False
    if base == "quota_pct":
        crop0 = int(inst.area[land.current == land.class_index("cropland")].sum())
        return _floor1(100.0 * target / max(crop0, 1))
    if base == "region_quota_pct":
        return _floor1(100.0 * target / max(_region_crop0(inst, rest[0]), 1))
    if base == "min_ecological_pct":
        eco = [c for c, k in enumerate(land.class_keys) if k in ("forest", "grassland", "water")]
        return _floor1(100.0 * target / max(int(inst.area[np.isin(land.current, eco)].sum()), 1))
    if base == "expansion_cap":
        built0 = int(inst.area[land.current == land.class_index("built")].sum())
        return math.ceil(1000.0 * target / max(built0, 1) - 1e-9) / 1000
    if base == "max_changed_pct":
        return _ceil1(100.0 * target / max(int(inst.area.sum()), 1))
    ha = target / AREA_SCALE
    return _floor1(ha) if kind == "min" else _ceil1(ha)


def _unit(key: str) -> str:
    base = key.split(".")[1]
    if base == "balance":
        return "bool"
    if base == "expansion_cap":
        return "×"
    return "%" if base.endswith("pct") else "ha"


def _labels(key: str) -> tuple[str, str]:
    parts = key.split(".")
    zh, en = LABELS[".".join(parts[:2])]
    region = parts[2] if len(parts) == 3 else ""
    return zh.format(r=region), en.format(r=region)


def _shortfall(inst: Instance, key: str, units: int) -> float:
    if key == "farmland.balance" and inst.scenario.farmland.balance_quality_weighted:
        return units / GRAIN_SCALE
    return units / AREA_SCALE


def _suggestion(inst: Instance, key: str, units: int, alone: int | None) -> Suggestion:
    zh, en = _labels(key)
    return Suggestion(
        key=key, label_zh=zh, label_en=en, current=_current_value(inst.scenario, key),
        suggested=suggested_value(inst, key, units), unit=_unit(key),
        shortfall=round(_shortfall(inst, key, units), 2),
        alone_value=None if alone is None else suggested_value(inst, key, alone))


# ----- messages ---------------------------------------------------------------------------
def context_numbers(inst: Instance) -> dict[str, float]:
    """The areas behind the message (ha): quota, red line, locked land, room for growth."""
    land = inst.landscape
    built = land.class_index("built")
    ha = inst.area / AREA_SCALE
    kind_limit = lever_limits(inst)
    quota = next((v for k, (_, v) in kind_limit.items() if k.startswith("farmland.quota")), 0)
    room = inst.allowed[:, built] & (land.current != built) if built >= 0 else np.zeros(0, bool)
    return {
        "farmland_quota_ha": round(quota / AREA_SCALE, 1),
        "red_line_ha": round(float(ha[land.red_line].sum()), 1),
        "basic_farmland_ha": round(float(ha[land.basic_farmland].sum()), 1),
        "unchangeable_ha": round(float(ha[~inst.mutable].sum()), 1),
        "buildable_ha": round(float(ha[room].sum()), 1) if built >= 0 else 0.0,
        "conversion_budget_ha": round((inst.limits.changed_max or 0) / AREA_SCALE, 1),
    }


def _fmt(value: float | bool, unit: str, lang: str = "en") -> str:
    if isinstance(value, bool):
        return ("on" if value else "off") if unit == "bool" else str(value)
    text = f"{value:,.3f}" if unit == "×" else f"{value:,.1f}"
    shown_unit = "公顷" if lang == "zh" and unit == "ha" else unit
    return f"{text} {shown_unit}".replace(" %", "%")


def _lines(s: Suggestion) -> tuple[str, str]:
    if s.unit == "bool":
        return (f"· {s.label_zh}：需放宽（缺口 {s.shortfall:,.1f}）；建议关闭",
                f"· {s.label_en}: must be relaxed (short by {s.shortfall:,.1f}); "
                "suggestion: switch it off")
    alone_zh = alone_en = ""
    if s.alone_value is not None:
        alone_zh = f"；若只调整此项：{_fmt(s.alone_value, s.unit, 'zh')}"
        alone_en = f"; moving only this lever: {_fmt(s.alone_value, s.unit)}"
    return (f"· {s.label_zh}：当前 {_fmt(s.current, s.unit, 'zh')}，缺口 {s.shortfall:,.1f} 公顷，"
            f"建议调整为 {_fmt(s.suggested, s.unit, 'zh')}{alone_zh}",
            f"· {s.label_en} ({s.key}): now {_fmt(s.current, s.unit)}, short by "
            f"{s.shortfall:,.1f} ha; suggested {_fmt(s.suggested, s.unit)}{alone_en}")


def _alt_lines(s: Suggestion) -> tuple[str, str]:
    return (f"· {s.label_zh}：{_fmt(s.current, s.unit, 'zh')} → {_fmt(s.suggested, s.unit, 'zh')}",
            f"· {s.label_en} ({s.key}): {_fmt(s.current, s.unit)} → "
            f"{_fmt(s.suggested, s.unit)}")


def _messages(ctx: dict[str, float], sugg: tuple[Suggestion, ...],
              alt: tuple[Suggestion, ...]) -> tuple[str, str]:
    zh = [f"方案不可行：耕地保有量 {ctx['farmland_quota_ha']:,.0f} 公顷、生态保护红线 "
          f"{ctx['red_line_ha']:,.0f} 公顷等约束锁定了 {ctx['unchangeable_ha']:,.0f} 公顷土地，"
          f"最多 {ctx['buildable_ha']:,.0f} 公顷可转为建设用地，用地转换上限为 "
          f"{ctx['conversion_budget_ha']:,.0f} 公顷。相互冲突的指标："]
    en = [f"Infeasible: the farmland quota of {ctx['farmland_quota_ha']:,.0f} ha, the "
          f"ecological red line of {ctx['red_line_ha']:,.0f} ha and the other locks leave "
          f"{ctx['unchangeable_ha']:,.0f} ha unchangeable; at most {ctx['buildable_ha']:,.0f} ha "
          f"may become construction land and the conversion budget is "
          f"{ctx['conversion_budget_ha']:,.0f} ha. Conflicting levers:"]
    for s in sugg:
        line_zh, line_en = _lines(s)
        zh.append(line_zh)
        en.append(line_en)
    if alt:
        zh.append("或者只调整以下任一指标：")
        en.append("Alternatively, moving any one of these levers alone would do:")
    for s in alt:
        line_zh, line_en = _alt_lines(s)
        zh.append(line_zh)
        en.append(line_en)
    return "\n".join(zh), "\n".join(en)


def explain_infeasibility(landscape: Landscape, scenario: Scenario,
                          time_limit_s: float = 10.0) -> Explanation:
    """Explain why ``scenario`` is infeasible on ``landscape``.

    Parameters
    ----------
    time_limit_s : float
        Budget for all soft re-solves together.

    Returns
    -------
    Explanation
        Messages (zh, en), one :class:`Suggestion` per conflicting lever (applying all of
        them with :func:`relaxed_scenario` makes the scenario feasible) and alternatives.
    """
    t0 = time.monotonic()
    inst = build_instance(landscape, scenario)
    workers = scenario.solver.workers
    slack = _slack_solve(inst, True, 0.4 * time_limit_s, workers)
    ctx = context_numbers(inst)
    if slack is None:
        return _undetermined(ctx)
    conflicting = [k for k, v in slack.items() if v > 0]
    others = [k for k in slack if k not in conflicting or len(conflicting) > 1]
    alone = _alone_slacks(inst, others, time_limit_s - (time.monotonic() - t0), workers)
    if len(conflicting) == 1:  # a single conflicting lever is by definition enough alone
        alone[conflicting[0]] = slack[conflicting[0]]
    sugg = tuple(_suggestion(inst, k, slack[k], alone.get(k)) for k in conflicting)
    alt = tuple(_suggestion(inst, k, v, v) for k, v in alone.items()
                if k not in conflicting and v > 0)
    zh, en = _messages(ctx, sugg, alt)
    return Explanation(zh, en, sugg, ctx, alternatives=alt)


def _alone_slacks(inst: Instance, keys: list[str], budget_s: float,
                  workers: int) -> dict[str, int]:
    """Slack of each lever when only it is soft (levers that cannot fix it alone omitted)."""
    out: dict[str, int] = {}
    for key in keys:
        share = budget_s / len(keys)
        if share < 0.3:
            break
        res = _slack_solve(inst, frozenset({key}), share, workers)
        if res is not None:
            out[key] = res[key]
    return out


def _undetermined(ctx: dict[str, float]) -> Explanation:
    return Explanation(
        "方案在时限内既未找到可行解也未能确定冲突的指标；请延长求解时间或放宽约束。",
        "No allocation was found in the time limit and the conflicting levers could not be "
        "determined; allow more time or relax the targets.", (), ctx, determined=False)

