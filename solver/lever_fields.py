"""How a lever is set and explored, declared with its field next to its valid range.

A scenario field's ``metadata`` holds its valid range (``lo``, ``hi``), ``unit`` and ``doc``;
levers the dashboard shows also hold a :class:`Widget` (kind, the range the control offers and
its step) and levers a trade-off sweep may step hold a :class:`Sweep` (the range a planner
usually asks for). :func:`solver.scenario.lever_specs` reads them all, so the lever panel and
the sweep page never write a range of their own. Plain data: no Streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDGET_KINDS: tuple[str, ...] = ("slider", "number", "toggle", "choice")


@dataclass(frozen=True)
class Widget:
    """The control that sets a lever: its kind and, for numbers, the range offered and step.

    The range is what a planner usually needs, inside the lever's valid range; a value past
    it (from a preset or a link) still shows (the slider widens to it).
    """

    kind: str
    lo: float | None = None
    hi: float | None = None
    step: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in WIDGET_KINDS:
            raise ValueError(f"widget kind {self.kind!r}; known kinds: {WIDGET_KINDS}")


@dataclass(frozen=True)
class Sweep:
    """A lever a trade-off sweep may step, and the range it usually spans.

    ``lo``/``hi`` None: no typical range; the sweep spans the scenario's own value ± half
    (see ``data.sweep.default_range``).
    """

    lo: float | None = None
    hi: float | None = None

    @property
    def typical(self) -> tuple[float, float] | None:
        """``(lo, hi)`` when the lever has a typical range, else None."""
        return None if self.lo is None or self.hi is None else (self.lo, self.hi)


TOGGLE = Widget("toggle")
CHOICE = Widget("choice")
AROUND_VALUE = Sweep()  # sweepable, around the scenario's value


def slider(lo: float, hi: float, step: float) -> Widget:
    """A slider offering ``lo..hi`` in steps of ``step``."""
    return Widget("slider", lo, hi, step)


def number_box(lo: float, hi: float, step: float) -> Widget:
    """A number box (values too wide for a slider, e.g. hectares or a seed)."""
    return Widget("number", lo, hi, step)


def typical(lo: float, hi: float) -> Sweep:
    """A sweepable lever whose sweep usually spans ``lo..hi``."""
    return Sweep(lo, hi)
