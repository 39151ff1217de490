"""Independent validator for phased allocations (periods and regions), in plain numpy.

No instance, model or solver is used: every period's rules come from the single-period
validator :func:`solver.validate.check_allocation` applied to that period's scenario and the
land use at the end of the period (targets are cumulative from the base year, regional bounds
included), plus the rules that link periods, re-derived from the landscape:

* built-up land stays built-up (unless the later period allows reclamation);
* the per-period conversion cap (area changing use within the period).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solver.landscape import Landscape
from solver.periods import PeriodScenario
from solver.validate import _tolerance_ha, check_allocation, objective_tolerance, objective_value

REGION_RULES: tuple[str, ...] = ("farmland.region_quota_pct", "growth.region_min_new_built_ha",
                                 "growth.region_max_new_built_ha")


@dataclass(frozen=True)
class PeriodViolation:
    """One broken rule in one period: period name and year, the region when the rule is
    regional, the lever key, a message and offending parcels."""

    period: str
    year: int
    rule: str
    message: str
    region: str | None = None
    parcels: tuple[int, ...] = ()


def _region_of(rule: str) -> str | None:
    parts = rule.split(".")
    return parts[2] if len(parts) == 3 and ".".join(parts[:2]) in REGION_RULES else None


def check_periods(land: Landscape, ps: PeriodScenario,
                  assignment: np.ndarray) -> list[PeriodViolation]:
    """Every rule the phased assignment breaks (empty list = valid).

    Parameters
    ----------
    land : Landscape
    ps : PeriodScenario
    assignment : (n, T) int
        Class index per parcel (rows) and period (columns).
    """
    a = np.asarray(assignment)
    if a.ndim != 2 or a.shape != (land.n_parcels, ps.n_periods):
        return [PeriodViolation("-", ps.base_year, "assignment",
                                f"assignment must be ({land.n_parcels}, {ps.n_periods}), got "
                                f"{a.shape}")]
    out: list[PeriodViolation] = []
    for t, period in enumerate(ps.periods):
        for v in check_allocation(land, ps.scenario(t), a[:, t]):
            out.append(PeriodViolation(period.name, period.year, v.rule, v.message,
                                       _region_of(v.rule), v.parcels))
        out += _check_monotone(land, ps, a, t) + _check_period_cap(land, ps, a, t)
    return out


def _check_monotone(land: Landscape, ps: PeriodScenario, a: np.ndarray,
                    t: int) -> list[PeriodViolation]:
    built = land.class_index("built")
    s = ps.scenario(t)
    if t == 0 or built < 0 or s.conversion.allow_reclamation:
        return []
    lost = np.flatnonzero((a[:, t - 1] == built) & (a[:, t] != built))
    if lost.size == 0:
        return []
    p = ps.periods[t]
    return [PeriodViolation(p.name, p.year, "period.monotone_built",
                            f"{lost.size} parcel(s) built by {ps.periods[t - 1].year} are no "
                            f"longer built in {p.year} (reclamation is off)",
                            parcels=tuple(int(i) for i in lost[:50]))]


def _check_period_cap(land: Landscape, ps: PeriodScenario, a: np.ndarray,
                      t: int) -> list[PeriodViolation]:
    p = ps.periods[t]
    if p.max_period_changed_pct is None:
        return []
    prev = land.current if t == 0 else a[:, t - 1]
    have = float(land.area_ha[a[:, t] != prev].sum())
    limit = p.max_period_changed_pct / 100.0 * float(land.area_ha.sum())
    if have <= limit + _tolerance_ha(land):
        return []
    return [PeriodViolation(p.name, p.year, "period.max_period_changed_pct",
                            f"{have:,.2f} ha changed use within the period, above the cap "
                            f"{limit:,.2f} ha")]


def period_objective_value(land: Landscape, ps: PeriodScenario, assignment: np.ndarray) -> float:
    """Σ_t weight_t × single-period objective (points) of period t, from scratch."""
    a = np.asarray(assignment)
    return float(sum(p.weight * objective_value(land, ps.scenario(t), a[:, t])
                     for t, p in enumerate(ps.periods)))


def period_objective_tolerance(land: Landscape, ps: PeriodScenario) -> float:
    """Largest difference (points) the model's integer rounding can cause (weights rounded)."""
    return float(sum(p.weight + 1.0 for p in ps.periods)) * objective_tolerance(land)
