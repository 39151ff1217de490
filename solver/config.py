"""Solver settings ([solver] section of a scenario) and the progress event the search streams."""

from __future__ import annotations

from dataclasses import dataclass, field

from solver.lever_fields import number_box, slider


@dataclass(frozen=True)
class SolverConfig:
    """[solver] settings. A time limit is always set.

    ``target_gap_pct`` stops the search as soon as the proven relative gap
    (bound − objective) / max(|objective|, 1 point) is at most this many percent.
    """

    time_limit_s: float = field(default=10.0, metadata={
        "lo": 1.0, "hi": 600.0, "unit": "s", "doc": "wall-clock limit of one solve",
        "widget": slider(1.0, 120.0, 1.0)})
    workers: int = field(default=2, metadata={
        "lo": 1, "hi": 64, "unit": "threads", "doc": "CP-SAT search workers (use the core count)"})
    seed: int = field(default=0, metadata={
        "lo": 0, "hi": 2**31 - 1, "unit": "int", "doc": "random seed (same seed, same result)",
        "widget": number_box(0, 2**31 - 1, 1)})
    target_gap_pct: float = field(default=1.0, metadata={
        "lo": 0.0, "hi": 100.0, "unit": "%", "doc": "stop when the proven gap is at most this"})


@dataclass(frozen=True)
class ProgressEvent:
    """One progress report of a running solve (cheap to build; the dashboard draws a bar).

    Attributes
    ----------
    phase : str
        ``"lp"`` (LP relaxation), ``"restricted"`` (CP-SAT on the LP's fractional part),
        ``"cpsat"`` (full CP-SAT), ``"done"``.
    elapsed_s : float
        Seconds since the solve started.
    incumbent : float or None
        Best objective found so far (points), None before the first solution.
    bound : float or None
        Best proven upper bound (points), None when unknown.
    gap : float or None
        Relative gap (0.01 = 1 %), None when either side is unknown.
    time_limit_s : float
        The solve's time limit, so a caller can draw elapsed / limit.
    """

    phase: str
    elapsed_s: float
    incumbent: float | None
    bound: float | None
    gap: float | None
    time_limit_s: float
