"""A tiny real grid store (raster import of a written GeoTIFF) for dashboard and browser tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

from data.importers.raster import import_raster
from tests.conftest import REPO_ROOT

WUHAN_MAPPING = REPO_ROOT / "data" / "mappings" / "wuhan.toml"  # codes 1..7, Wuhan classes
CRS = "EPSG:32649"
X0, Y0, PIXEL = 500_000.0, 3_300_000.0, 30.0
CELL_M = 90.0  # 3 × 3 pixels per cell
ROWS, COLS = 60, 80  # pixels: 20 × 27 cells, the last column cut (80 = 26 × 3 + 2)
NODATA = -128


def landuse_pixels() -> np.ndarray:
    """Bands of the seven Wuhan codes, a built-up block and a nodata corner (no cells)."""
    pixels = np.repeat(np.arange(1, 8, dtype=np.int8), -(-COLS // 7))[:COLS]
    pixels = np.tile(pixels, (ROWS, 1))
    pixels[24:36, 30:45] = 4  # a town in the middle
    pixels[:12, -12:] = NODATA  # top-right corner: 4 × 4 cells without data
    return pixels


def zone_pixels() -> np.ndarray:
    """An urban boundary around the town (1) and nothing elsewhere (0)."""
    zone = np.zeros((ROWS, COLS), dtype=np.int8)
    zone[18:42, 24:51] = 1
    return zone


def write_tif(path: Path, pixels: np.ndarray) -> Path:
    """A one-band GeoTIFF on the test grid (UTM 49N, 30 m pixels)."""
    with rasterio.open(path, "w", driver="GTiff", height=ROWS, width=COLS, count=1,
                       dtype=pixels.dtype, crs=CRS, nodata=NODATA,
                       transform=Affine(PIXEL, 0.0, X0, 0.0, -PIXEL, Y0)) as dst:
        dst.write(pixels, 1)
    return path


def grid_mapping(folder: Path) -> Path:
    """wuhan.toml (its class table found from anywhere) plus an urban boundary driver."""
    text = WUHAN_MAPPING.read_text(encoding="utf-8").replace(
        'class_table = "wuhan_classes.csv"',
        f'class_table = "{(WUHAN_MAPPING.parent / "wuhan_classes.csv").as_posix()}"')
    path = folder / "grid_mapping.toml"
    path.write_text(text + URBAN_DRIVER, encoding="utf-8")
    return path


URBAN_DRIVER = """
[drivers.urban]
column = "in_urban_boundary"
aggregation = "majority"
"""


def build_grid_store(folder: Path, name: str = "grid") -> Path:
    """Import the rasters into ``folder/<name>.duckdb`` with the Wuhan classes (90 m cells)."""
    folder.mkdir(parents=True, exist_ok=True)
    landuse = write_tif(folder / f"{name}_landuse.tif", landuse_pixels())
    urban = write_tif(folder / f"{name}_urban.tif", zone_pixels())
    mapping = grid_mapping(folder)
    db = folder / f"{name}.duckdb"
    import_raster(landuse, db, mapping, CELL_M, drivers={"urban": urban}, name=name)
    for written in (landuse, urban, mapping):
        written.unlink()
    return db
