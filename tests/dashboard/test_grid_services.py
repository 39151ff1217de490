"""Services behind grid maps: cache keys, and no cell polygons for a grid store."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from dashboard import services
from data import store
from data.db import query
from tests.dashboard.grid_store import build_grid_store


@pytest.fixture(scope="module")
def grid_db(tmp_path_factory):
    return build_grid_store(tmp_path_factory.mktemp("grid_services"), "grid")


def test_values_digest_keys_content_and_type():
    codes = np.arange(10, dtype=np.int64)
    assert services.values_digest(codes) == services.values_digest(codes.copy())
    changed = codes.copy()
    changed[3] = 4
    assert services.values_digest(changed) != services.values_digest(codes)
    assert services.values_digest(codes.astype(np.int32)) != services.values_digest(codes)


def test_grid_services_read_no_geometry(grid_db, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a grid store's maps must not build cell polygons")

    monkeypatch.setattr(store, "cell_geometry", refuse)
    path = str(grid_db)
    version = services.store_version(path)
    assert services.is_grid(path, version)
    canvas = services.grid_canvas(path, version)
    assert canvas.size == (27 * 38, 20 * 38)  # 20 × 27 cells, × 38: at least 1,000 px
    frame = services.region_frame(path, version)
    assert len(frame) == 1 and frame["name_zh"].iloc[0] == "grid"
    assert services.n_parcels(path, version) == 524
    n = query(services.connection(path), "SELECT count(*) FROM parcels")[0][0]
    assert len(services.grid_cells(path, version)) == n


def _overlaps(large: bool) -> bool:
    """Whether two jobs started together ran at the same time."""
    spans, lock = [], threading.Lock()

    def work(progress):
        start = time.perf_counter()
        time.sleep(0.3)
        with lock:
            spans.append((start, time.perf_counter()))

    jobs = [services.start_job(work, large=large) for _ in range(2)]
    assert all(job.done.wait(10) and job.error is None for job in jobs)
    (a0, a1), (b0, b1) = sorted(spans)
    return b0 < a1


def test_large_solves_run_one_at_a_time_small_ones_side_by_side():
    assert _overlaps(large=False)
    assert not _overlaps(large=True)
