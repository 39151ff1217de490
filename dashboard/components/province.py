"""The distributed (Dask) solve of the scenario page: its control in the sidebar, its progress
per block while it runs, and the table of blocks after the run.

The solve itself is :func:`solver.distributed.solve_distributed` started by
:func:`dashboard.services.start_distributed_solve`; its result is an ordinary
``AllocationResult`` that the page shows, caches and saves like one from 求解.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard import services
from dashboard.components import solving
from dashboard.components.library_panel import md_text
from solver import Landscape, Scenario

SOLVE_WIDGET = "prov_solve"
BLOCK_CELLS_WIDGET = "prov_block_cells"
MIN_BLOCK_CELLS = 100
STAGES = ("master", "block", "bound", "repair")


def solve_control(t: Callable[..., str], read_only: bool, expanded: bool) -> tuple[bool, int]:
    """The 大规模求解 expander: what a solve by blocks does, where it runs, the largest block
    and its button (disabled in a read-only session).

    Parameters
    ----------
    t : callable
        The catalogue's text in the session's language.
    read_only : bool
        A locked (shared read-only) session: nothing can be started.
    expanded : bool
        Open the expander (large stores, which are not solved on opening).

    Returns
    -------
    tuple of (bool, int)
        Whether the button was pressed (never in a read-only session) and the most cells per
        block.
    """
    from solver.decompose import MAX_BLOCK_CELLS

    with st.expander(t("prov_expander"), expanded=expanded):
        st.caption(t("prov_help"))
        cells = st.number_input(t("prov_block_cells"), min_value=MIN_BLOCK_CELLS,
                                value=MAX_BLOCK_CELLS, step=50_000, key=BLOCK_CELLS_WIDGET,
                                help=t("prov_block_cells_help"), disabled=read_only)
        st.caption(cluster_text(t))
        clicked = st.button(t("prov_solve"), key=SOLVE_WIDGET, width="stretch",
                            disabled=read_only)
    return clicked and not read_only, int(cells)


def cluster_text(t: Callable[..., str]) -> str:
    """Where a solve by blocks runs: the server's scheduler, or a local cluster of so many
    worker processes."""
    scheduler = services.dask_scheduler()
    if scheduler:
        return t("prov_remote", address=md_text(scheduler))
    return t("prov_local", workers=services.dask_workers() or os.cpu_count() or 1)


def solve_by_blocks(land: Landscape, scenario: Scenario, key: str, block_cells: int,
                    t: Callable[..., str], lang: str) -> tuple[object | None, dict | None]:
    """Run the distributed solve with its progress on the page.

    Parameters
    ----------
    land, scenario
        The solver's input and the scenario the levers describe.
    key : str
        The scenario's result key (:func:`dashboard.components.solving.result_key`): the
        result is kept for every session like an ordinary solve's.
    block_cells : int
        The most cells per block.
    t, lang
        The catalogue's text and the session's language ("zh" or "en").

    Returns
    -------
    tuple
        The result to show (None after showing why there is none) and the run's summary for
        :func:`block_table` (None without one).
    """
    job = services.start_distributed_solve(land, scenario, block_cells)
    outcome = wait_for_blocks(job, scenario.solver.time_limit_s, t, lang)
    if outcome is None:
        return None, None
    return services.keep_result(key, outcome.result, scenario), run_summary(outcome)


def wait_for_blocks(job: services.SolveJob, limit: float, t: Callable[..., str],
                    lang: str) -> object | None:
    """Draw the bar and the latest line of each stage until ``job`` ends; its outcome, or
    None after showing its error (a cluster's in words, never a traceback)."""
    from solver.distributed import ClusterError

    bar = st.progress(0.0, text=t("prov_starting"))
    lines = st.empty()
    while not job.done.wait(0.25):
        events = list(job.progress)
        elapsed = time.perf_counter() - job.started
        time_text = t("progress_time" if elapsed <= limit else "progress_over",
                      elapsed=elapsed, limit=limit)
        stage_lines = latest_lines(events, lang)
        bar.progress(min(elapsed / limit, 1.0),
                     text=f"{time_text} · {stage_lines[-1] if stage_lines else t('prov_starting')}")
        if stage_lines:
            lines.markdown("  \n".join(md_text(line) for line in stage_lines))
    bar.empty()
    lines.empty()
    if isinstance(job.error, ClusterError):
        message = job.error.message_zh if lang == "zh" else job.error.message_en
        st.error(t("prov_failed", message=md_text(message)))
        return None
    return solving.job_outcome(job, t)


def latest_lines(events: list, lang: str) -> list[str]:
    """The last message of each stage reached so far (whole area, blocks, global bound,
    repairs), in ``lang``: "分区 X (k/n) 完成" rather than a scrolling log."""
    last = {}
    for event in events:
        last[event.stage] = event.message_zh if lang == "zh" else event.message_en
    return [last[stage] for stage in STAGES if stage in last]


def run_summary(outcome: object) -> dict:
    """What the page keeps of a distributed run for its table: blocks (name, cells, seconds),
    the whole area's seconds, the workers and the rounds."""
    return {"blocks": [{"name": b["name"], "cells": int(b["cells"]),
                        "seconds": float(b["seconds"])} for b in outcome.blocks],
            "master_s": float(outcome.master_s), "workers": int(outcome.workers),
            "rounds": len(outcome.rounds)}


def block_frame(summary: dict, t: Callable[..., str]) -> pd.DataFrame:
    """One row per block: its name, cells and seconds, under the page's column names."""
    rows = pd.DataFrame(summary["blocks"], columns=["name", "cells", "seconds"])
    return rows.rename(columns={"name": t("prov_block_col"), "cells": t("n_cells_col"),
                                "seconds": t("prov_seconds_col")})


def block_table(summary: dict, t: Callable[..., str]) -> None:
    """The run in one line (blocks, workers, rounds, the whole area's time) and, under it, the
    blocks' table (collapsed: the maps stay on the first screen). Nothing without blocks (a
    scenario settled by the single-process solve)."""
    if not summary["blocks"]:
        return
    st.caption(t("prov_summary", blocks=len(summary["blocks"]), workers=summary["workers"],
                 rounds=summary["rounds"], master=summary["master_s"]))
    with st.expander(t("prov_blocks_title")):
        frame = block_frame(summary, t)
        st.dataframe(frame, hide_index=True, width="stretch", column_config={
            t("n_cells_col"): st.column_config.NumberColumn(format="localized"),
            t("prov_seconds_col"): st.column_config.NumberColumn(format="%.1f")})
