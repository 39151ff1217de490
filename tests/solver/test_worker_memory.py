"""A local worker spills the blocks it keeps instead of growing past its memory limit."""

from __future__ import annotations

import os
import sys
import types

import dask
import numpy as np
from dask.sizeof import sizeof

from solver.decompose import BlockSolve, array_bytes
from solver.distributed import LOCAL_WORKER_MEMORY_GIB, cluster, local_worker_memory


def test_dask_sees_the_arrays_a_finished_block_holds() -> None:
    done = BlockSolve(0, np.zeros(250_000, np.int64), 1, None, 0.1, ("flow",), np.zeros(40))
    expected = 250_000 * 8 + 40 * 8
    assert array_bytes(done) == expected
    assert sizeof(done) >= expected          # what Dask's spill decisions count


def test_array_bytes_reaches_arrays_inside_lists_and_objects() -> None:
    class Holder:
        def __init__(self) -> None:
            self.forests = [np.zeros(10), {"a": np.zeros(5, np.int32)}]
            self.name = "x"

    assert array_bytes(Holder()) == 10 * 8 + 5 * 4


def test_local_workers_have_a_memory_limit_and_are_never_paused_or_killed(monkeypatch) -> None:
    """Also: they run without Dask's ``MALLOC_TRIM_THRESHOLD_`` (it slowed block searches
    by a third), with Dask's other spawn settings kept."""
    # Worker processes are spawned, which re-runs the parent's __main__; in the whole suite that
    # can be a script another test left behind (Streamlit's AppTest), so spawn from a bare one.
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    assert local_worker_memory(1) <= LOCAL_WORKER_MEMORY_GIB * 2**30
    with cluster(n_workers=1) as client:
        limits = [w["memory_limit"] for w in client.scheduler_info()["workers"].values()]
        assert limits == [local_worker_memory(1)]
        seen = client.run(lambda: (dask.config.get("distributed.worker.memory.pause"),
                                   dask.config.get("distributed.worker.memory.terminate")))
        assert list(seen.values()) == [(False, False)]
        env = client.run(lambda: (os.environ.get("MALLOC_TRIM_THRESHOLD_"),
                                  os.environ.get("OMP_NUM_THREADS")))
        assert list(env.values()) == [(None, "1")]
