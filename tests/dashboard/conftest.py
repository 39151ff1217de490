"""Fixtures of the AppTest modules: a coarse demo county in a store folder of each module."""

from __future__ import annotations

from pathlib import Path

import pytest

from data.demo import build_demo


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> Path:
    """A folder holding a 60 × 75 demo county of 500 m cells (4,500 parcels): quick solves.

    Module-scoped: modules that save scenarios do not see each other's library. Modules with
    another county (compare, sweep) define their own ``store_dir``.
    """
    folder = tmp_path_factory.mktemp("app_stores")
    build_demo(folder / "demo.duckdb", rows=60, cols=75, cell_m=500.0)
    return folder
