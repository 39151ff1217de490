"""Shared helpers of the reliability suite: a tiny valid parcel layer and byte-level checks."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

CRS = "EPSG:32649"
SIDE = 100.0  # metres: every parcel is a 1 ha square


def grid_parcels(n_rows: int = 3, n_cols: int = 3, crs: str | None = CRS,
                 **columns: list) -> gpd.GeoDataFrame:
    """A grid of 1 ha squares (row-major ids 1..n) with CAS codes cycling 1..6."""
    boxes = [shapely.box(600_000 + c * SIDE, 3_300_000 + r * SIDE,
                         600_000 + (c + 1) * SIDE, 3_300_000 + (r + 1) * SIDE)
             for r in range(n_rows) for c in range(n_cols)]
    n = len(boxes)
    data = {"parcel_id": np.arange(1, n + 1), "land_use": [i % 6 + 1 for i in range(n)]}
    return gpd.GeoDataFrame({**data, **columns}, geometry=boxes, crs=crs)


def write(gdf: gpd.GeoDataFrame, path: Path) -> Path:
    """Write a layer in the format its suffix names (GeoParquet or an OGR driver)."""
    if path.suffix == ".parquet":
        gdf.to_parquet(path)
    else:
        gdf.to_file(path, engine="pyogrio")
    return path


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
