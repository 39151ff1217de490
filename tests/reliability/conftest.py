"""Shared helpers of the reliability suite: a tiny valid parcel layer and byte-level checks."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.parcel_files import grid_parcels, write


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stores_env(folder: Path) -> dict[str, str]:
    """Environment of a child process that uses ``folder`` as its store folder."""
    return {**os.environ, "LANDALLOC_STORES": str(folder)}


@pytest.fixture
def existing_store(tmp_path: Path) -> Path:
    """A valid store that every failed import must leave byte-identical."""
    from data.importers.vector import import_parcels

    db = tmp_path / "store.duckdb"
    import_parcels(write(grid_parcels(), tmp_path / "good.gpkg"), db)
    return db


@pytest.fixture(scope="module")
def app_stores(tmp_path_factory) -> Path:
    """A store folder with a coarse demo (4,500 parcels, quick solves) for AppTest runs.

    ``$LANDALLOC_STORES`` points here for the module; ``$LANDALLOC_EDIT_KEY`` is cleared
    (tests that need it set it themselves).
    """
    from data.demo import build_demo

    folder = tmp_path_factory.mktemp("reliability_stores")
    build_demo(folder / "demo.duckdb", rows=60, cols=75, cell_m=500.0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LANDALLOC_STORES", str(folder))
        patch.delenv("LANDALLOC_EDIT_KEY", raising=False)
        yield folder
