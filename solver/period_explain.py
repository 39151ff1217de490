"""Infeasibility of a phased scenario, naming the period and the region, in Chinese and English.

Method (as ``solver.explain`` for one period): re-solve the joint model with every target of
every period — and every per-period conversion cap — as a soft goal (one slack variable per
period and lever), minimising the total slack in ha (t of grain for a quality-weighted
balance); the links between periods (built-up land stays built-up) stay hard. Levers with
slack are the conflicting ones; the slack says how far each must move, in that period.
A lever of a region (``growth.region_min_new_built_ha.城关镇``) names its region, and the
message gives that region's land that may still become construction land in that period.

The soft joint model is solved by the one search (``solver.model.run_search``) to within
0.5 % of the least total slack: unlike one period it is no network flow (the links between
periods couple the parcels' uses over time). The suggestions are then applied together and
verified by a re-solve of the relaxed phased scenario (``Suggestion.verified``).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from solver.config import SolverConfig
from solver.explain import Suggestion, _slack_values, _suggestion, lever_line
from solver.instance import AREA_SCALE, Instance
from solver.landscape import Landscape
from solver.model import run_search
from solver.period_model import (
    CAP_KEY,
    PeriodModel,
    build_period_model,
    period_hint,
    periods_feasible,
)
from solver.periods import PeriodScenario
from solver.scenario import ScenarioError
from wording import levers as lever_words
from wording import translate

#: Share of the explanation's time for the soft re-solve; the rest verifies its suggestion.
SOFT_SHARE = 0.6


@dataclass(frozen=True)
class PeriodSuggestion:
    """Move lever ``suggestion.key`` of period ``period`` (region ``region`` if regional).

    ``room_ha`` is, for a regional growth lever, the region's land that may become
    construction land in that period (None otherwise).
    """

    period: str
    year: int
    region: str | None
    suggestion: Suggestion
    room_ha: float | None = None


@dataclass(frozen=True)
class PeriodExplanation:
    """Why a phased scenario is infeasible: the conflicting levers per period and region."""

    message_zh: str
    message_en: str
    suggestions: tuple[PeriodSuggestion, ...]
    determined: bool = True

    @property
    def periods(self) -> tuple[str, ...]:
        """Names of the periods with a conflicting lever, in period order, without repeats."""
        return tuple(dict.fromkeys(s.period for s in self.suggestions))

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.region for s in self.suggestions if s.region))

    def to_dict(self) -> dict[str, Any]:
        return {"message_zh": self.message_zh, "message_en": self.message_en,
                "determined": self.determined,
                "suggestions": [{"period": s.period, "year": s.year, "region": s.region,
                                 "room_ha": s.room_ha, **asdict(s.suggestion)}
                                for s in self.suggestions]}


def _slacks_by_period(model: PeriodModel, a: np.ndarray) -> list[dict[str, int]]:
    """Slack units of every soft lever, per period, recomputed from the (n, T) assignment."""
    out = []
    for t, inst in enumerate(model.instances):
        keys = {k.split(":", 1)[1]: s for k, s in model.builder.slacks.items()
                if k.startswith(f"{t}:") and not k.endswith(CAP_KEY)}
        slack = _slack_values(inst, a[:, t], keys)
        cap = _cap_slack(model, a, t)
        if cap is not None:
            slack[CAP_KEY] = cap
        out.append(slack)
    return out


def _cap_slack(model: PeriodModel, a: np.ndarray, t: int) -> int | None:
    pct = model.ps.periods[t].max_period_changed_pct
    if pct is None:
        return None
    area = model.instances[t].area
    prev = model.instance.landscape.current if t == 0 else a[:, t - 1]
    limit = int(np.floor(pct / 100.0 * int(area.sum()) + 1e-9))
    return max(int(area[a[:, t] != prev].sum()) - limit, 0)


def _region(key: str) -> str | None:
    parts = key.split(".")
    return parts[2] if len(parts) == 3 else None


def _room_ha(inst: Instance, region: str) -> float:
    """Land of ``region`` that may become construction land in this period (ha)."""
    land = inst.landscape
    built = land.class_index("built")
    sel = ((land.region == land.region_names.index(region)) & (land.current != built)
           & inst.allowed[:, built])
    return round(float(inst.area[sel].sum()) / AREA_SCALE, 1)


def _cap_suggestion(model: PeriodModel, t: int, units: int) -> Suggestion:
    total = int(model.instances[t].area.sum())
    pct = model.ps.periods[t].max_period_changed_pct or 0.0
    limit = int(np.floor(pct / 100.0 * total + 1e-9))
    suggested = math.ceil(1000.0 * (limit + units) / max(total, 1) - 1e-9) / 10
    return Suggestion(CAP_KEY, *lever_words.names("periods.max_period_changed_pct"),
                      pct, suggested, "%", round(units / AREA_SCALE, 2))


def _period_suggestion(model: PeriodModel, t: int, key: str, units: int) -> PeriodSuggestion:
    p, inst = model.ps.periods[t], model.instances[t]
    sugg = (_cap_suggestion(model, t, units) if key == CAP_KEY
            else _suggestion(inst, key, units, None))
    region = _region(key)
    room = (_room_ha(inst, region) if region and key.startswith("growth.region_min")
            and inst.landscape.class_index("built") >= 0 else None)
    return PeriodSuggestion(p.name, p.year, region, sugg, room)


def _line(s: PeriodSuggestion, lang: str) -> str:
    room = "" if s.room_ha is None else translate("explain_period_room", lang, room=s.room_ha,
                                                    region=s.region)
    where = translate("explain_period_prefix", lang, year=s.year, period=s.period)
    return lever_line(s.suggestion, lang, where=where, more=room)


def _message(sugg: tuple[PeriodSuggestion, ...], lang: str) -> str:
    periods = translate("explain_period_separator", lang).join(dict.fromkeys(
        translate("explain_period", lang, year=s.year, period=s.period) for s in sugg))
    lines = [translate("explain_periods_head", lang, periods=periods)]
    return "\n".join(lines + [_line(s, lang) for s in sugg])


def _messages(sugg: tuple[PeriodSuggestion, ...]) -> tuple[str, str]:
    return _message(sugg, "zh"), _message(sugg, "en")


def explain_periods(landscape: Landscape, ps: PeriodScenario,
                    time_limit_s: float = 10.0) -> PeriodExplanation:
    """Explain why the phased scenario ``ps`` is infeasible on ``landscape``.

    Parameters
    ----------
    time_limit_s : float
        Budget of the soft re-solve and of the verification together.

    Returns
    -------
    PeriodExplanation
        Messages (zh, en) naming each conflicting period and region, and one
        :class:`PeriodSuggestion` per conflicting (period, lever); applying all of them with
        :func:`relaxed_period_scenario` makes the phased scenario feasible.
    """
    t0 = time.monotonic()
    model = build_period_model(landscape, ps, soft=True)
    budget = SOFT_SHARE * time_limit_s - (time.monotonic() - t0)
    config = SolverConfig(time_limit_s=max(budget, 1.0), workers=ps.base.solver.workers,
                          target_gap_pct=0.5)
    search, _ = run_search(model, config, period_hint(landscape, ps.n_periods, None))
    if search.assignment is None:
        return _undetermined()
    slacks = _slacks_by_period(model, search.assignment)
    if not any(v > 0 for per in slacks for v in per.values()):
        return _undetermined()  # no lever conflicts: the hard links themselves contradict
    sugg = _verified(landscape, ps, model, slacks, t0 + time_limit_s)
    zh, en = _messages(sugg)
    return PeriodExplanation(zh, en, sugg)


def _suggestions(model: PeriodModel, slacks: list[dict[str, int]], extra: int
                 ) -> tuple[PeriodSuggestion, ...]:
    return tuple(_period_suggestion(model, t, k, v + extra) for t, per in enumerate(slacks)
                 for k, v in per.items() if v > 0)


def _verified(landscape: Landscape, ps: PeriodScenario, model: PeriodModel,
              slacks: list[dict[str, int]], deadline: float) -> tuple[PeriodSuggestion, ...]:
    """The suggestions, marked verified when the relaxed phased scenario solves; if whole
    parcels leave the exact slacks one parcel short, each is widened by the largest
    changeable parcel and checked once more (as ``solver.explain`` does for one period)."""
    step = max(int(inst.area[inst.mutable].max(initial=0)) for inst in model.instances)
    first = _suggestions(model, slacks, 0)
    for extra in (0, step):
        trial = _suggestions(model, slacks, extra) if extra else first
        try:
            relaxed = relaxed_period_scenario(ps, PeriodExplanation("", "", trial))
        except ScenarioError:  # widened past a lever's allowed range
            return first
        if periods_feasible(landscape, relaxed, max(deadline - time.monotonic(), 1.0)):
            return tuple(replace(s, suggestion=replace(s.suggestion, verified=True))
                         for s in trial)
    return first


def _undetermined() -> PeriodExplanation:
    return PeriodExplanation(
        "分期方案在时限内既未找到可行解也未能确定冲突的规划期和指标；请延长求解时间或放宽约束。",
        "No phased allocation was found in the time limit and the conflicting periods and "
        "levers could not be determined; allow more time or relax the targets.", (),
        determined=False)


def relaxed_period_scenario(ps: PeriodScenario, explanation: PeriodExplanation) -> PeriodScenario:
    """The phased scenario with every suggested relaxation applied to its period (one-click fix)."""
    data = ps.to_dict()
    for s in explanation.suggestions:
        t = ps.names.index(s.period)
        period = data["periods"][t]
        key, value = s.suggestion.key, s.suggestion.suggested
        if key == CAP_KEY:
            period["max_period_changed_pct"] = value
            continue
        parts = key.split(".")
        section = period.setdefault(parts[0], {})
        if len(parts) == 3:  # a region entry: copy the period's effective map, then edit it
            current = dict(getattr(getattr(ps.scenario(t), parts[0]), parts[1]))
            section[parts[1]] = {**current, **section.get(parts[1], {}), parts[2]: value}
        elif len(parts) == 2:
            section[parts[1]] = value
        else:
            raise ScenarioError(f"cannot apply suggestion '{key}'")
    return PeriodScenario.from_dict(data)

