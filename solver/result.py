"""The typed outcome of a solve (one period or several) and its JSON-able summary."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np

from solver.landscape import Landscape

if TYPE_CHECKING:
    from solver.explain import Explanation
    from solver.period_explain import PeriodExplanation


class Status(StrEnum):
    """Outcome of a solve. Only OPTIMAL and FEASIBLE carry an assignment."""

    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    INFEASIBLE = "INFEASIBLE"
    UNKNOWN = "UNKNOWN"
    MODEL_INVALID = "MODEL_INVALID"


@dataclass(frozen=True)
class TermValue:
    """One objective term: natural units before/after, its points and weighted points."""

    name: str
    unit: str
    before: float
    after: float
    reference: float
    points: float
    weight: float

    @property
    def weighted_points(self) -> float:
        return self.weight * self.points


@dataclass(frozen=True, eq=False)
class AllocationResult:
    """Result of :func:`solver.solve`.

    Attributes
    ----------
    status : Status
    objective, best_bound : float or None
        Objective of the assignment and the best proven upper bound, in points (status quo = 0).
    gap : float or None
        Relative gap (bound − objective) / max(|objective|, 1 point); 0.01 = 1 %.
    wall_time_s, time_to_first_s : float, float or None
    assignment : (n,) int32 or None
        Class index per parcel; None unless status is OPTIMAL or FEASIBLE.
    terms : dict of TermValue
        Objective broken down by term (natural units and points).
    area_by_class_ha : dict
        ``{"before": {key: ha}, "after": {key: ha}}``.
    area_by_region_class_ha : dict
        ``{"before"|"after": {region: {key: ha}}}``.
    changed_parcels, changed_area_ha : int, float
    explanation : Explanation or None
        Why the levers contradict (INFEASIBLE only).
    lp_bound : float or None
        Bound from the LP relaxation of the identical model, in points.
    message : str
        One line for people (English); ``message_zh`` the Chinese one.
    targets : tuple of dict
        Every area lever (demand rows included): key, labels, limits, before/after (ha), met.
    """

    status: Status
    objective: float | None
    best_bound: float | None
    gap: float | None
    wall_time_s: float
    time_to_first_s: float | None
    assignment: np.ndarray | None
    n_parcels: int
    n_mutable: int
    n_variables: int | None     # None: the program was never built (exact core only)
    n_constraints: int | None
    terms: dict[str, TermValue] = field(default_factory=dict)
    area_by_class_ha: dict[str, dict[str, float]] = field(default_factory=dict)
    area_by_region_class_ha: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    changed_parcels: int = 0
    changed_area_ha: float = 0.0
    explanation: Explanation | None = None
    lp_bound: float | None = None
    phases: tuple[str, ...] = ()
    message: str = ""
    message_zh: str = ""
    targets: tuple[dict[str, Any], ...] = ()

    @property
    def has_solution(self) -> bool:
        return self.assignment is not None

    def to_summary_dict(self) -> dict[str, Any]:
        """JSON-able summary (no per-parcel arrays)."""
        out: dict[str, Any] = {
            "status": str(self.status), "objective": self.objective,
            "best_bound": self.best_bound, "gap": self.gap, "lp_bound": self.lp_bound,
            "wall_time_s": round(self.wall_time_s, 3), "time_to_first_s": self.time_to_first_s,
            "n_parcels": self.n_parcels, "n_mutable": self.n_mutable,
            "n_variables": self.n_variables, "n_constraints": self.n_constraints,
            "changed_parcels": self.changed_parcels, "changed_area_ha": self.changed_area_ha,
            "area_by_class_ha": self.area_by_class_ha,
            "area_by_region_class_ha": self.area_by_region_class_ha,
            "objective_terms": {k: _term_dict(t) for k, t in self.terms.items()},
            "phases": list(self.phases), "message": self.message, "message_zh": self.message_zh,
            "targets": [dict(t) for t in self.targets],
        }
        out["explanation"] = self.explanation.to_dict() if self.explanation else None
        return out


#: Above this proven gap (100 %: the bound is twice the answer) a percentage tells a
#: decision-maker nothing: pages and the report say "not proven" instead of e.g. "204.37 %".
MEANINGFUL_GAP = 1.0


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """(bound − objective) / max(|objective|, 1 point), never negative; None if unknown."""
    if objective is None or bound is None:
        return None
    return max(bound - objective, 0.0) / max(abs(objective), 1.0)


def is_settled(result: AllocationResult, target_gap_pct: float) -> bool:
    """Whether ``result`` is the answer to its scenario, not a time limit's interim one.

    Proven optimal or infeasible, or feasible within the scenario's target gap: solving the
    same scenario again would stop the same way. Anything else stopped on its time limit
    (a busy machine gives worse ones) and may be improved by solving again.

    Parameters
    ----------
    result : AllocationResult
    target_gap_pct : float
        The scenario's ``[solver] target_gap_pct``.
    """
    if result.status in (Status.OPTIMAL, Status.INFEASIBLE):
        return True
    return (result.status == Status.FEASIBLE and result.gap is not None
            and result.gap * 100 <= target_gap_pct + 1e-9)


def best_of_runs(first: AllocationResult, second: AllocationResult) -> AllocationResult:
    """Two solves of the identical model combined: the better allocation with the tighter
    bound (each run's bound is valid for both, so the combined gap is proven too).

    The objective is maximised. A run without an allocation loses to one with it.
    """
    if not second.has_solution:
        return first
    if not first.has_solution:
        return second
    better = first if first.objective >= second.objective else second
    bounds = [b for b in (first.best_bound, second.best_bound) if b is not None]
    if not bounds:
        return better
    bound = min(bounds)
    return replace(better, best_bound=bound, gap=relative_gap(better.objective, bound))


def _term_dict(t: TermValue) -> dict[str, Any]:
    return {"unit": t.unit, "before": t.before, "after": t.after, "reference": t.reference,
            "points": t.points, "weight": t.weight, "weighted_points": t.weighted_points}


def area_tables(land: Landscape, assignment: np.ndarray | None) -> tuple[dict, dict]:
    """Area by class and by region × class, before and (when given) after."""
    by_class = {"before": _by_class(land, land.current)}
    by_region = {"before": _by_region(land, land.current)}
    if assignment is not None:
        by_class["after"] = _by_class(land, assignment)
        by_region["after"] = _by_region(land, assignment)
    return by_class, by_region


def _by_class(land: Landscape, assign: np.ndarray) -> dict[str, float]:
    ha = land.area_by_class(assign)
    return {k: round(float(v), 4) for k, v in zip(land.class_keys, ha, strict=True)}


def _by_region(land: Landscape, assign: np.ndarray) -> dict[str, dict[str, float]]:
    out = {}
    for r, name in enumerate(land.region_names):
        sel = land.region == r
        ha = np.bincount(assign[sel], weights=land.area_ha[sel], minlength=land.n_classes)
        out[name] = {k: round(float(v), 4) for k, v in zip(land.class_keys, ha, strict=True)}
    return out


# ----- several periods --------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class PeriodResult:
    """Result of :func:`solver.orchestrate.solve_periods`.

    Attributes
    ----------
    status, objective, best_bound, gap, wall_time_s, time_to_first_s
        As in :class:`~solver.result.AllocationResult`; the objective is the weighted sum
        over periods (points, 0 = status quo in every period).
    assignment : (n, T) int32 or None
        Class index per parcel and period (None unless OPTIMAL / FEASIBLE).
    period_names, years : tuple
    period_of_change : (n,) int32 or None
        First period in which the parcel's use differs from the base year (−1 = never).
    period_objective : tuple of float
        Unweighted single-period objective of each period (points); ``weights`` its weight.
    period_terms : tuple of dict of TermValue
        Objective broken down by term, per period.
    area_by_period_class_ha, area_by_period_region_class_ha : tuple of dict
        Per period, as ``AllocationResult.area_by_class_ha`` / ``area_by_region_class_ha``.
    changed_in_period_ha : tuple of float
        Area whose use changes within each period (period 0: from the base year).
    explanation : PeriodExplanation or None
        Which period and region's levers contradict (INFEASIBLE only).
    """

    status: Status
    objective: float | None
    best_bound: float | None
    gap: float | None
    wall_time_s: float
    time_to_first_s: float | None
    assignment: np.ndarray | None
    period_names: tuple[str, ...]
    years: tuple[int, ...]
    weights: tuple[float, ...]
    n_parcels: int
    n_variables: int
    n_constraints: int
    period_of_change: np.ndarray | None = None
    period_objective: tuple[float, ...] = ()
    period_terms: tuple[dict[str, TermValue], ...] = ()
    area_by_period_class_ha: tuple[dict, ...] = ()
    area_by_period_region_class_ha: tuple[dict, ...] = ()
    changed_in_period_ha: tuple[float, ...] = ()
    explanation: PeriodExplanation | None = None
    lp_bound: float | None = None
    phases: tuple[str, ...] = ()
    message: str = ""
    message_zh: str = ""

    @property
    def has_solution(self) -> bool:
        return self.assignment is not None

    def to_summary_dict(self) -> dict[str, Any]:
        """JSON-able summary (no per-parcel arrays)."""
        return {
            "status": str(self.status), "objective": self.objective,
            "best_bound": self.best_bound, "gap": self.gap, "lp_bound": self.lp_bound,
            "wall_time_s": round(self.wall_time_s, 3), "time_to_first_s": self.time_to_first_s,
            "periods": [{"name": n, "year": y, "weight": w} for n, y, w in
                        zip(self.period_names, self.years, self.weights, strict=True)],
            "n_parcels": self.n_parcels, "n_variables": self.n_variables,
            "n_constraints": self.n_constraints,
            "period_objective": list(self.period_objective),
            "area_by_period_class_ha": list(self.area_by_period_class_ha),
            "area_by_period_region_class_ha": list(self.area_by_period_region_class_ha),
            "changed_in_period_ha": list(self.changed_in_period_ha),
            "phases": list(self.phases), "message": self.message, "message_zh": self.message_zh,
            "explanation": self.explanation.to_dict() if self.explanation else None,
        }


def period_of_change(current: np.ndarray, assignment: np.ndarray) -> np.ndarray:
    """(n,) first period whose use differs from the base year, −1 where it never does."""
    diff = assignment != current[:, None]
    return np.where(diff.any(axis=1), np.argmax(diff, axis=1), -1).astype(np.int32)


def changed_in_period(land: Landscape, assignment: np.ndarray) -> tuple[float, ...]:
    """Hectares changing use within each period (period 0 from the base year)."""
    prev = np.column_stack([land.current, assignment[:, :-1]])
    return tuple(round(float(land.area_ha[assignment[:, t] != prev[:, t]].sum()), 4)
                 for t in range(assignment.shape[1]))
