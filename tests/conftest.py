"""Shared fixtures: small real stores built by the real demo generator."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
WUHAN_DIR = REPO_ROOT.parent / "shared" / "data" / "wuhan"


def require_wuhan() -> Path:
    """The Wuhan data folder; skip outside CI when it is absent, fail in CI."""
    if WUHAN_DIR.exists():
        return WUHAN_DIR
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the Wuhan tests but {WUHAN_DIR} is missing")
    pytest.skip(f"Wuhan data not found at {WUHAN_DIR}")


@pytest.fixture(scope="session")
def small_demo_store(tmp_path_factory) -> Path:
    """A 30 × 40 demo county (1,200 parcels): fast to build and to solve."""
    from data.demo import build_demo

    return build_demo(tmp_path_factory.mktemp("stores") / "small.duckdb", rows=30, cols=40,
                      cell_m=500.0)


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory) -> Path:
    """The full default demo county (18,000 parcels)."""
    from data.demo import build_demo

    return build_demo(tmp_path_factory.mktemp("stores") / "demo.duckdb")
