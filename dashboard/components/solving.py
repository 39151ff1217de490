"""Solve a scenario with a live progress bar, or return the cached result at once."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

import numpy as np
import streamlit as st

from dashboard import services
from dashboard.components import results
from solver import AllocationResult, Landscape, Scenario, ScenarioError
from solver.result import relative_gap


def result_key(store_version: str, scenario: Scenario) -> str:
    """Cache key of a result: the store's content version and the full scenario text."""
    return store_version + ":" + hashlib.sha256(scenario.to_toml().encode()).hexdigest()[:16]


def solve_with_progress(land: Landscape, scenario: Scenario, key: str,
                        hint: np.ndarray | None, t: Callable[..., str]
                        ) -> tuple[AllocationResult | None, bool]:
    """The result of ``scenario`` and whether it came from the cache.

    Only settled results come from the cache; one that stopped on its time limit is solved
    again (starting from it) by the next session that asks, keeping the better of the two.

    A new solve runs on a worker thread while this script draws elapsed time, incumbent and
    proven gap from the solver's progress events. Returns ``(None, False)`` after showing the
    error if the solver raised.
    """
    cached = services.cached_result(key)
    if cached is not None:
        return cached, True
    earlier = services.interim_result(key)  # a time-limited answer: solve again from it
    if earlier is not None and earlier.has_solution:
        hint = earlier.assignment
    job = services.start_solve(land, scenario, hint=hint)
    result = wait_with_progress(job, scenario.solver.time_limit_s, t)
    if result is not None:
        result = services.keep_result(key, result, scenario)
    return result, False


def wait_with_progress(job: services.SolveJob, limit: float, t: Callable[..., str]):
    """Draw a progress bar until ``job`` ends; its result, or None after showing its error."""
    bar = st.progress(0.0, text=t("solving"))
    while not job.done.wait(0.25):
        elapsed = time.perf_counter() - job.started
        bar.progress(min(elapsed / limit, 1.0), text=progress_text(job.progress, elapsed, limit, t))
    bar.empty()
    return job_outcome(job, t)


def job_outcome(job: services.SolveJob, t: Callable[..., str]):
    """The finished ``job``'s result, or None after showing its error (a scenario error in
    the session's language)."""
    if isinstance(job.error, ScenarioError):  # a lever the store cannot satisfy as written
        text_key = getattr(job.error, "text_key", None)  # catalogued: in the session's language
        st.error(t(text_key) if text_key else str(job.error))
        return None
    if job.error is not None:
        st.exception(job.error)
        return None
    return job.result


def best_so_far(events: list) -> tuple[float | None, float | None]:
    """The best incumbent and the tightest bound over all progress events so far.

    The phases report separately (an LP event carries a bound but no incumbent), so the last
    event alone would drop a known incumbent from the bar.
    """
    incumbents = [e.incumbent for e in list(events) if e.incumbent is not None]
    bounds = [e.bound for e in list(events) if e.bound is not None]
    return (max(incumbents) if incumbents else None), (min(bounds) if bounds else None)


def progress_text(events: list, elapsed: float, limit: float, t: Callable[..., str]) -> str:
    """The bar's text: elapsed of the limit (or that the limit is reached), then the best
    incumbent and proven gap once known."""
    time_text = t("progress_time" if elapsed <= limit else "progress_over",
                  elapsed=elapsed, limit=limit)
    incumbent, bound = best_so_far(events)
    if incumbent is None:
        found = t("progress_searching") if bound is None else (
            t("progress_searching") + " · " + t("progress_bound", bound=f"{bound:,.1f}"))
        return f"{time_text} · {found}"
    gap = relative_gap(incumbent, bound)
    return f"{time_text} · " + t("progress_best", incumbent=f"{incumbent:,.1f}",
                                  gap=results.gap_tile("FEASIBLE", gap, t))
