"""Small parcel layers for importer tests: a grid of 1 ha squares and a writer by suffix."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
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
