"""Memory stays bounded across 100 consecutive solves in one process (issue 6, load).

Uses tests/bench/bench_memory.py (the full measurement on 4,500 parcels, about 35 s) on a
smaller demo so the test stays short: 100 distinct scenarios, each solved with the real solver
and stored in the dashboard's real bounded result cache, RSS read from /proc/self/status.
"""

from __future__ import annotations

import sys

import pytest

from tests.conftest import REPO_ROOT

MAX_GROWTH_MB = 25.0  # after 10 warm-up solves; measured growth is 1–2 MB


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_rss_is_bounded_over_100_solves() -> None:
    sys.path.insert(0, str(REPO_ROOT / "tests" / "bench"))
    try:
        from bench_memory import run
    finally:
        sys.path.remove(str(REPO_ROOT / "tests" / "bench"))
    out = run(100, rows=30, cols=40)
    print({k: v for k, v in out.items() if k != "samples_mb"})
    assert out["cached_results"] == out["max_cached_results"]  # the cache is full, not growing
    assert out["growth_after_warmup_mb"] < MAX_GROWTH_MB, out["samples_mb"]
