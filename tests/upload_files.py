"""Files a planner uploads on the data page: parcels with Chinese class names and text ids, a
small crop of the real Wuhan land-cover raster, and zone masks on its grid."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from rasterio.windows import Window

from tests.conftest import REPO_ROOT

WUHAN = REPO_ROOT.parent / "shared" / "data" / "wuhan"
WUHAN_LANDUSE = WUHAN / "LULCs" / "wh2005_refy.tif"
#: A central window of the Wuhan raster holding all seven classes (rows, cols of 30 m pixels).
WINDOW = Window(col_off=1050, row_off=600, width=600, height=600)
#: A window with more forest and built land: room for the growth preset's 600 ha with the
#: cropland balance (forest can become cropland).
ZONES_WINDOW = Window(col_off=2100, row_off=900, width=600, height=600)
STEP = 3  # every third pixel: 200 × 200 pixels of 90 m, ~40 kB
CLASS_NAMES = ("耕地", "林地", "草地", "水域", "建设用地", "未利用地")


def chinese_parcels(n_rows: int = 5, n_cols: int = 6, side: float = 100.0) -> gpd.GeoDataFrame:
    """A grid of squares with text ids ``P0000..`` and Chinese class names cycling 耕地..未利用地,
    a 是/否 urban-boundary column and two townships (三调-like column names)."""
    boxes = [shapely.box(600_000 + c * side, 3_300_000 + r * side,
                         600_000 + (c + 1) * side, 3_300_000 + (r + 1) * side)
             for r in range(n_rows) for c in range(n_cols)]
    n = len(boxes)
    return gpd.GeoDataFrame({
        "BSM": [f"P{i:04d}" for i in range(n)],
        "DLMC": [CLASS_NAMES[i % 6] for i in range(n)],
        "XZQMC": ["城关镇" if i < n // 2 else "东湖镇" for i in range(n)],
        "CZKFBJ": ["是" if i % 3 == 0 else "否" for i in range(n)],
    }, geometry=boxes, crs="EPSG:32649")


def wuhan_crop(path: Path, window: Window = WINDOW) -> Path:
    """Write a window of the Wuhan land-cover raster, every third pixel (90 m), to ``path``."""
    with rasterio.open(WUHAN_LANDUSE) as src:
        values = src.read(1, window=window)[::STEP, ::STEP]
        transform = src.window_transform(window) @ rasterio.Affine.scale(STEP)
        profile = {"driver": "GTiff", "height": values.shape[0], "width": values.shape[1],
                   "count": 1, "dtype": values.dtype, "crs": src.crs, "transform": transform,
                   "nodata": src.nodata, "compress": "deflate"}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values, 1)
    return path


def mask_like(raster: Path, path: Path, inside: np.ndarray) -> Path:
    """A 0/1 uint8 mask on ``raster``'s grid (1 where ``inside``)."""
    with rasterio.open(raster) as src:
        profile = {**src.profile, "dtype": "uint8", "nodata": 255}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(inside.astype(np.uint8), 1)
    return path


def read_codes(raster: Path) -> np.ndarray:
    with rasterio.open(raster) as src:
        return src.read(1)


def wuhan_zone_masks(raster: Path, folder: Path) -> dict[str, Path]:
    """An urban boundary (the built land and a 3-pixel ring around it), basic farmland
    (cropland outside it) and a red line (open water)."""
    from scipy import ndimage

    codes = read_codes(raster)
    built = codes == 4
    boundary = ndimage.binary_dilation(built, iterations=3)
    basic = (codes == 3) & ~boundary
    red = codes == 6
    return {"urban": mask_like(raster, folder / "城镇开发边界.tif", boundary),
            "basic": mask_like(raster, folder / "永久基本农田.tif", basic),
            "red": mask_like(raster, folder / "生态保护红线.tif", red)}
