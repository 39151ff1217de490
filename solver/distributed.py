"""Province scale on Dask: the decomposition of :mod:`solver.decompose` run on a cluster.

The client solves the master (whole area, no compactness), cuts the blocks and ships each as
plain arrays; workers solve the blocks with compactness and then price their bounds; the
client stitches the allocation, adds up the global bound and repairs the stitched allocation
on the whole area (compactness linearised there), which mends the seams and moves quota
between blocks. A local cluster (one worker process per core) and an existing scheduler
(``--scheduler tcp://HOST:PORT``: a bureau's own servers, Kubernetes or a batch system through
Dask's deployment packages) run the same code.

Fault tolerance is Dask's: a block whose worker dies is recomputed from its task graph on
another worker (and a block's dual lost with a worker is recomputed from its part), and every
block's search is deterministic for its inputs, so the result does not change.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import dask
import numpy as np

from solver.compact import lagrangian_repair
from solver.config import SolverConfig
from solver.decompose import (
    BlockBound,
    BlockPart,
    BlockSolve,
    block_parts,
    bound_block,
    common_prices,
    cross_shifts,
    global_bound,
    make_blocks,
    solve_block,
    stitch,
    summary,
)
from solver.exact import exact_phase
from solver.instance import Instance, build_instance
from solver.landscape import Landscape
from solver.model import AllocationModel, _Search, _solve_restricted, run_search, search_status
from solver.orchestrate import build_result, solve
from solver.result import AllocationResult, relative_gap
from solver.scenario import Scenario
from wording import both

CONNECT_TIMEOUT_S = 5
#: Share of a round's time that the block searches get (the rest: their bounds).
BLOCK_SHARE = 0.8
#: Share of the time left that a round gets (the rest: the repair that splits the targets
#: anew, and the next rounds). Large areas end after the first, small ones often gain from
#: a second.
ROUND_SHARE = 0.85
#: Another round only while at least this share of the time limit is left.
NEXT_ROUND_SHARE = 0.25
#: Share of the time limit the master (the exact core on the whole area) may take.
MASTER_SHARE = 0.4
#: Repairs of the whole area after each round at most (each while the last one improved).
WHOLE_AREA_REPAIRS = 3
#: A block whose worker fails this many times (Dask counts dead workers too) stops the run.
ALLOWED_FAILURES = 3
#: Passes over the blocks at most; each after the first starts from a new split of the
#: targets (see :func:`solve_distributed`).
MAX_ROUNDS = 4
#: Memory a local worker holds before Dask spills the finished blocks it keeps for the bound
#: step to disk (GiB; less when the machine's memory shared by the workers is less). One
#: worker holding every block of Wuhan at 30 m otherwise grew to 5.4 GB.
LOCAL_WORKER_MEMORY_GIB = 4.0
#: Dask's reactions to a worker over its memory limit that a solve must not have: pausing it
#: (its running block could then never hand back memory) or killing it (a block is worth
#: minutes). Spilling stays on.
_NEVER_PAUSE_OR_KILL = {"distributed.worker.memory.pause": False,
                        "distributed.worker.memory.terminate": False}


def _spawn_environ() -> dict[str, object]:
    """Dask's environment for new local workers without ``MALLOC_TRIM_THRESHOLD_``.

    Setting it fixes glibc's mmap threshold, so every large temporary array of a block's
    search is mapped and zeroed afresh: two workers then took 0.14–0.16 s per subgradient
    step against 0.095 s alone (Wuhan 30 m, 汉南区 and 江夏区 6/6 side by side: 271 and 250
    steps in the budget with it, 383 and 350 without). The memory limit still spills.
    """
    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))  # set on import
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    return {"distributed.nanny.pre-spawn-environ": environ}


class ClusterError(Exception):
    """The cluster cannot be reached or lost a block; carries the zh and en message."""

    def __init__(self, text_key: str, **values: object) -> None:
        self.message_zh, self.message_en = both(text_key, **values)
        super().__init__(self.message_en)


@dataclass(frozen=True)
class ProvinceEvent:
    """Progress of a distributed solve: ``stage`` is "master", "block", "bound" or
    "repair"."""

    stage: str
    name: str
    done: int
    total: int
    seconds: float
    cells: int = 0
    message_zh: str = ""
    message_en: str = ""


@dataclass
class ProvinceOutcome:
    """The allocation of a distributed solve and how it was reached.

    ``result`` is an ordinary :class:`~solver.result.AllocationResult` (status, objective,
    global bound, global gap); ``blocks`` one row per block (name, cells, seconds, objective
    and bound units of its own model); ``bound_parts`` how the global bound adds up.
    """

    result: AllocationResult
    master_s: float
    blocks: list[dict] = field(default_factory=list)
    bound_parts: dict[str, float] = field(default_factory=dict)
    workers: int = 0
    #: per round: the blocks' search seconds, their bound seconds, the repair before it
    rounds: list[dict] = field(default_factory=list)


# ----- the cluster ------------------------------------------------------------------------------
def check_address(address: str) -> None:
    """Raise :class:`ClusterError` unless ``address`` looks like PROTOCOL://HOST:PORT."""
    proto, _, rest = address.partition("://")
    host, _, port = rest.rpartition(":")
    if proto not in ("tcp", "tls", "ucx", "inproc", "ws", "wss") or not host or \
            not port.isdigit():
        raise ClusterError("cluster_bad_address", address=address)


@contextmanager
def _quiet_submits() -> Iterator[None]:
    """Blocks travel inside the task graph on purpose (Dask can then recompute a block lost
    with its worker), so its advice against large graphs does not apply."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sending large graph")
        yield


@contextmanager
def cluster(scheduler: str | None = None, n_workers: int | None = None) -> Iterator[object]:
    """A ``distributed.Client``: on ``scheduler`` when given, else on a local cluster of
    ``n_workers`` single-threaded worker processes (default: one per core)."""
    from distributed import Client, LocalCluster

    if scheduler:
        check_address(scheduler)
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:
            raise ClusterError("cluster_unreachable", address=scheduler,
                               reason=type(exc).__name__) from None
        try:
            yield client
        finally:
            client.close()
        return
    cores = os.cpu_count() or 1
    workers = cores if n_workers is None else n_workers
    if not 1 <= workers <= 512:
        raise ClusterError("cluster_bad_workers", value=workers, most=512)
    with dask.config.set({**_NEVER_PAUSE_OR_KILL, **_spawn_environ()}), \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                         dashboard_address=":0", silence_logs=logging.ERROR,
                         worker_dashboard_address=None,
                         memory_limit=local_worker_memory(workers)) as local, \
            Client(local) as client:
        yield client


def local_worker_memory(workers: int) -> int:
    """Bytes each of ``workers`` local workers may hold before spilling finished blocks."""
    from distributed.system import MEMORY_LIMIT

    return int(min(LOCAL_WORKER_MEMORY_GIB * 2**30, MEMORY_LIMIT / workers))


# ----- the solve ---------------------------------------------------------------------------------
def solve_distributed(landscape: Landscape, scenario: Scenario, client: object,
                      on_progress: Callable[[ProvinceEvent], None] | None = None,
                      max_block_cells: int | None = None) -> ProvinceOutcome:
    """Solve ``scenario`` on ``landscape`` by blocks on the Dask ``client``'s workers.

    Parameters
    ----------
    landscape, scenario
        As for :func:`solver.model.solve`; ``scenario.solver.time_limit_s`` bounds the run.
    client : distributed.Client
        From :func:`cluster` (a local cluster or an existing scheduler).
    on_progress : callable, optional
        Called with a :class:`ProvinceEvent` after the master and after each block.
    max_block_cells : int, optional
        Largest block (default :data:`solver.decompose.MAX_BLOCK_CELLS`).

    Returns
    -------
    ProvinceOutcome
        An infeasible scenario (or a master without an allocation in time) comes back with
        the single-process solve's result: status, explanation and messages as usual.
    """
    t0 = time.monotonic()
    config = scenario.solver
    inst = build_instance(landscape, scenario)
    master = _master(inst, config, t0)
    master_s = time.monotonic() - t0
    if master.infeasible or master.assignment is None:
        return ProvinceOutcome(solve(landscape, scenario), master_s)
    kwargs = {} if max_block_cells is None else {"max_cells": max_block_cells}
    blocks = make_blocks(landscape, **kwargs)
    _emit(on_progress, ProvinceEvent("master", "", 0, len(blocks), master_s,
                                     landscape.n_parcels),
          "province_master", seconds=master_s, blocks=len(blocks))
    workers = max(len(client.scheduler_info().get("workers", {})), 1)
    best = _Round(None, None, float(master.bound_units), {"master": float(master.bound_units)},
                  [])
    split, target = master.assignment, config.target_gap_pct / 100.0
    rounds, log = 0, []
    estimate = master_s  # a whole-area repair costs about one exact core (Wuhan 30 m: 25–34 s)
    while rounds < (MAX_ROUNDS if inst.has_compactness else 1):
        rounds += 1
        started = time.monotonic()
        left = config.time_limit_s - (started - t0)
        done = _round(client, inst, blocks, split, config, ROUND_SHARE * left, workers, master,
                      t0, on_progress)
        previous = best.objective
        best = best.merge(done)
        repaired, repairs_s, repairs_units = (
            _repairs(inst, config, best, t0, estimate, on_progress)
            if inst.has_compactness and best.gap(inst) > target else (best, [], []))
        estimate = max(repairs_s, default=estimate)
        log.append({"block_s": [r["seconds"] for r in done.rows], "bound_s": done.bound_s,
                    "objective_units": done.objective, "bound_units": done.bound,
                    "repairs_s": repairs_s, "repairs_units": repairs_units,
                    "repaired_units": repaired.objective,
                    "wall_s": time.monotonic() - started})
        best = best.merge(repaired)
        improved = previous is None or best.objective > previous
        left = config.time_limit_s - (time.monotonic() - t0)
        # stop on the gap or a round that gained nothing (the same inputs stop the same
        # way); the clock only as a safety net
        if best.gap(inst) <= target or not improved or not repairs_s or \
                left < NEXT_ROUND_SHARE * config.time_limit_s:
            break
        # the next split: where the repairs left the stitched allocation
        split = repaired.assignment
    search = _Search(t0, config.time_limit_s, assignment=best.assignment,
                     objective_units=best.objective, dual_bound=best.bound, first_s=master_s)
    phases = [f"master:{master_s:.1f}s", f"blocks:{len(blocks)}", f"rounds:{rounds}",
              f"repairs:{sum(len(r['repairs_s']) for r in log)}"]
    result = build_result(AllocationModel(inst), search, search_status(search),
                          phases, time.monotonic() - t0, None)
    return ProvinceOutcome(result, master_s, best.rows, best.bound_parts, workers, log)


def _repairs(inst: Instance, config: SolverConfig, best: _Round, t0: float, estimate: float,
             on_progress: Callable[[ProvinceEvent], None] | None = None
             ) -> tuple[_Round, list[float], list[int | None]]:
    """Up to :data:`WHOLE_AREA_REPAIRS` repairs of the whole area linearised at the best
    allocation, while each one improves it and the last one's time still fits.

    Each is the exact core with every parcel rewarded for its neighbours' uses there: it
    meets every row of the whole area, mends the seams between blocks and moves quota to the
    blocks that value it more. Wuhan 30 m, 17 blocks on 2 workers: the stitched 12,958,327
    units → 13,041,425 → 13,073,407 → 13,088,784 in 25, 32 and 29 s, the global gap 3.15 % →
    2.13 %. Returns the best round, and each repair's seconds and objective units (None: no
    allocation in time).
    """
    deadline = t0 + config.time_limit_s
    seconds: list[float] = []
    objectives: list[int | None] = []
    while len(seconds) < WHOLE_AREA_REPAIRS and \
            deadline - time.monotonic() > max(seconds, default=estimate):
        started = time.monotonic()
        labels = lagrangian_repair(inst, config, best.assignment, deadline, _solve_restricted)
        seconds.append(time.monotonic() - started)
        units = None if labels is None else inst.units_of(labels)
        objectives.append(units)
        before, scale = best.objective, inst.obj_scale
        if units is not None and units > before:
            best = replace(best, assignment=labels, objective=units)
        _emit(on_progress, ProvinceEvent("repair", "", len(seconds), WHOLE_AREA_REPAIRS,
                                         seconds[-1], inst.landscape.n_parcels),
              "province_repair", done=len(seconds), most=WHOLE_AREA_REPAIRS,
              seconds=seconds[-1], before=before / scale, after=best.objective / scale)
        if best.objective == before:
            break
    return best, seconds, objectives


@dataclass(frozen=True)
class _Master:
    """The whole area solved without compactness: allocation, its units, a proven bound."""

    assignment: np.ndarray | None
    objective_units: int | None
    bound_units: float | None
    infeasible: bool


def _master(inst: Instance, config: SolverConfig, t0: float) -> _Master:
    """The engine's own search when the model is linear (its bound is the answer's); with
    compactness the exact core alone (its bound counts every edge as same-use)."""
    if not inst.has_compactness:
        linear = replace(config, time_limit_s=MASTER_SHARE * config.time_limit_s)
        search, _ = run_search(AllocationModel(inst), linear, clock_start=t0)
        return _Master(search.assignment, search.objective_units, search.bound_units(),
                       search.proven_infeasible)
    out = exact_phase(inst, config, t0 + MASTER_SHARE * config.time_limit_s, t0, True,
                      _solve_restricted)
    return _Master(out.assignment, out.objective_units, out.bound_units, out.infeasible)


@dataclass
class _Round:
    """One pass over the blocks: the stitched allocation, its objective, the global bound."""

    assignment: np.ndarray | None
    objective: int | None
    bound: float
    bound_parts: dict[str, float]
    rows: list[dict]
    bound_s: list[float] = field(default_factory=list)

    def gap(self, inst: Instance) -> float:
        """The proven global gap of this allocation and bound."""
        return relative_gap(self.objective / inst.obj_scale, self.bound / inst.obj_scale)

    def merge(self, other: _Round) -> _Round:
        """The better allocation of the two and the smaller (valid) bound."""
        keep = other if self.objective is None or other.objective > self.objective else self
        low = other if other.bound < self.bound else self
        return _Round(keep.assignment, keep.objective, low.bound, low.bound_parts, keep.rows)


def _round(client: object, inst: Instance, blocks: list, split: np.ndarray,
           config: SolverConfig, budget_s: float, workers: int, master: object, t0: float,
           on_progress: Callable | None) -> _Round:
    """Split the targets at ``split``, solve the blocks (in about ``budget_s``), stitch,
    bound."""
    parts, coupling, cross_constant = block_parts(inst, split, blocks)
    part_futures, solved_futures, solved = _solve_blocks(
        client, parts, config, budget_s, workers, inst.units_of(split), on_progress)
    stitched = stitch(inst.landscape.n_parcels, parts, solved)
    bound, bound_parts, bound_s = _bound(client, inst, parts, part_futures, solved_futures,
                                         solved, coupling, cross_constant, stitched, master, t0,
                                         on_progress)
    rows = [{"name": p.name, "cells": int(p.parcels.size),
             "changeable": int(p.instance.mutable.sum()), "seconds": round(s.seconds, 3),
             "objective_units": s.objective_units, "bound_units": s.bound_units,
             "phases": list(s.phases)} for p, s in zip(parts, solved, strict=True)]
    return _Round(stitched, inst.units_of(stitched), bound, bound_parts, rows, bound_s)


def _emit(on_progress: Callable[[ProvinceEvent], None] | None, event: ProvinceEvent,
          key: str, **values: object) -> None:
    if on_progress is None:
        return
    zh, en = both(key, **values)
    on_progress(replace(event, message_zh=zh, message_en=en))


def _block_config(config: SolverConfig, part: BlockPart, total_cells: int, left: float,
                  workers: int, room_units: float) -> SolverConfig:
    """One core per block; time in proportion to its size over the workers' capacity; a
    target gap that spends the block's share of the area's allowed gap (``room_units``),
    half of it (the other half is for the edges across blocks and the common prices)."""
    share = part.parcels.size / max(total_cells, 1)
    budget = max(min(BLOCK_SHARE * left * workers * share, BLOCK_SHARE * left), 1.0)
    inst = part.instance
    scale = max(abs(inst.units_of(part.start)), inst.obj_scale)
    mutable = max(float(inst.mutable.sum()), 1.0)
    target = 0.5 * room_units * mutable / scale
    return replace(config, workers=1, time_limit_s=budget,
                   target_gap_pct=min(100.0 * target, config.target_gap_pct))


def _solve_blocks(client: object, parts: list[BlockPart], config: SolverConfig,
                  left: float, workers: int, objective_units: int,
                  on_progress: Callable | None) -> tuple[list, list, list[BlockSolve]]:
    """Submit every block (largest first), collect their summaries as they finish."""
    from distributed import as_completed

    total = sum(p.parcels.size for p in parts)
    changeable = sum(float(p.instance.mutable.sum()) for p in parts) or 1.0
    room = config.target_gap_pct / 100.0 * max(abs(objective_units), parts[0].instance.obj_scale
                                                ) / changeable
    part_futures, solve_futures, summaries = [], [], {}
    run = uuid.uuid4().hex[:12]
    with _quiet_submits():
        futures = [_submit_block(client, p, config, total, left, workers, room, run)
                   for p in parts]
    for p, (pf, sf, summary_future) in zip(parts, futures, strict=True):
        part_futures.append(pf)
        solve_futures.append(sf)
        summaries[summary_future] = p
    solved: dict[int, BlockSolve] = {}
    for done_count, fut in enumerate(as_completed(list(summaries)), start=1):
        part = summaries[fut]
        got = _result(fut, part)
        solved[part.index] = got
        _emit(on_progress, ProvinceEvent("block", part.name, done_count, len(parts),
                                         got.seconds, int(part.parcels.size)),
              "province_block", name=part.name, done=done_count, total=len(parts),
              seconds=got.seconds, cells=int(part.parcels.size))
    return part_futures, solve_futures, [solved[p.index] for p in parts]


def _submit_block(client: object, p: BlockPart, config: SolverConfig, total: int, left: float,
                  workers: int, room: float, run: str) -> tuple:
    """The part (held on a worker), its search and the search's summary, as futures."""
    pf = client.submit(_hold, p, key=f"part-{p.index}-{run}", priority=p.parcels.size)
    sf = client.submit(solve_block, pf, _block_config(config, p, total, left, workers, room),
                       key=f"solve-{p.index}-{run}", priority=p.parcels.size,
                       retries=ALLOWED_FAILURES)
    return pf, sf, client.submit(summary, sf, key=f"summary-{p.index}-{run}")


def _hold(part: BlockPart) -> BlockPart:
    """A task whose result is the part: workers keep it next to the block's later steps, and
    Dask can recompute it when a worker is lost."""
    return part


def _result(fut: object, part: BlockPart) -> object:
    try:
        return fut.result()
    except Exception as exc:  # noqa: BLE001 - a lost block is reported, never a traceback
        raise ClusterError("cluster_lost", block=part.name, tries=ALLOWED_FAILURES + 1,
                           reason=f"{type(exc).__name__}: {exc}") from None


def _bound(client: object, inst: Instance, parts: list[BlockPart], part_futures: list,
           solve_futures: list, solved: list[BlockSolve], coupling: list, cross_constant: float,
           stitched: np.ndarray, master: object, t0: float, on_progress: Callable | None
           ) -> tuple[float, dict[str, float], list[float]]:
    """The global bound: the master's when there is no compactness (the linear model's own),
    else the smaller of the master's weak one and the blocks' priced sum; with the blocks'
    bound seconds."""
    if not inst.has_compactness:
        return float(master.bound_units), {"master": float(master.bound_units)}, []
    prices = common_prices(parts, solved, coupling)
    shifts = cross_shifts(parts, stitched, inst)
    left = max(inst.scenario.solver.time_limit_s - (time.monotonic() - t0), 1.0)
    futures = {}
    for p, pf, sf, shift in zip(parts, part_futures, solve_futures, shifts, strict=True):
        futures[client.submit(bound_block, pf, sf, prices, shift, time_limit_s=left,
                              key=f"bound-{p.index}-{uuid.uuid4().hex[:12]}",
                              retries=ALLOWED_FAILURES,
                              priority=p.parcels.size)] = p
    from distributed import as_completed

    bounds: list[BlockBound] = []
    for done_count, fut in enumerate(as_completed(list(futures)), start=1):
        bounds.append(_result(fut, futures[fut]))
        _emit(on_progress, ProvinceEvent("bound", futures[fut].name, done_count, len(parts),
                                         bounds[-1].seconds, int(futures[fut].parcels.size)),
              "province_bound", done=done_count, total=len(parts))
    decomposed = global_bound(inst, sorted(bounds, key=lambda b: b.index), coupling, prices,
                              cross_constant)
    weak = float(master.bound_units)
    return min(decomposed, weak), {"blocks": decomposed, "master_all_edges": weak,
                                   "cross_fixed_edges": cross_constant,
                                   "objective_gap_blocks": relative_gap(
                                       inst.units_of(stitched) / inst.obj_scale,
                                       decomposed / inst.obj_scale) or 0.0}, [
        b.seconds for b in bounds]
