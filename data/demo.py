"""The embedded demo region: a synthetic county (示例县, "Demo County (synthetic)").

Deterministic: the same seed and size give the same store. A grid of square parcels with hills
to the north and south-east, a river valley across the middle, a county town and smaller
towns linked by roads, cropland on flat good soil, forest on slopes, a red line over important
forest and the river corridor, basic farmland on the best cropland and an urban development
boundary around the towns. Nothing here is real data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import ndimage

from data.grid import grid_adjacency
from data.store import StoreContent, write_store

DEMO_CRS = "EPSG:32650"            # WGS 84 / UTM 50N: the demo sits in the middle Yangtze plain
DEMO_ORIGIN = (240_000.0, 3_370_000.0)  # south-west corner, UTM metres (≈ 114.3° E, 30.4° N)
CODES = {"cropland": 1, "forest": 2, "grassland": 3, "water": 4, "built": 5, "unused": 6}


@dataclass(frozen=True)
class Town:
    name_zh: str
    name_en: str
    row: float      # fraction of the grid height (0 = south)
    col: float      # fraction of the grid width (0 = west)
    radius_km: float
    is_seat: bool = False


TOWNS = (
    Town("城关镇", "Chengguan", 0.50, 0.42, 2.2, is_seat=True),
    Town("河口镇", "Hekou", 0.46, 0.80, 0.9),
    Town("青山乡", "Qingshan", 0.82, 0.30, 0.6),
    Town("白石镇", "Baishi", 0.22, 0.20, 0.8),
    Town("柳林乡", "Liulin", 0.60, 0.10, 0.6),
    Town("桃源镇", "Taoyuan", 0.20, 0.62, 0.8),
    Town("龙泉乡", "Longquan", 0.84, 0.70, 0.6),
    Town("东湖镇", "Donghu", 0.30, 0.92, 0.7),
)


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    """Gaussian-smoothed white noise scaled to zero mean and unit spread."""
    field = ndimage.gaussian_filter(rng.standard_normal(shape), sigma)
    return (field - field.mean()) / (field.std() + 1e-12)


def terrain(rng: np.random.Generator, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Elevation (m) with hills north and south-east and a valley, and the river's row per column."""
    y, x = np.mgrid[0:rows, 0:cols] / np.array([rows, cols])[:, None, None]
    river_row = 0.45 + 0.08 * np.sin(np.linspace(0, 3 * np.pi, cols)) + 0.02 * np.cos(
        np.linspace(0, 11, cols))
    valley = np.abs(y - river_row[None, :])
    hills = (260 * np.exp(-((y - 1.0) ** 2) / 0.05) * (0.6 + 0.4 * x)
             + 220 * np.exp(-((y - 0.05) ** 2 + (x - 0.85) ** 2) / 0.04)
             + 120 * np.exp(-((y - 0.1) ** 2 + (x - 0.15) ** 2) / 0.02))
    # Hills are rugged (steep slopes for forest), the valley floor is smooth.
    rugged = 90 * (hills / hills.max()) * smooth_noise(rng, (rows, cols), 1.5)
    elevation = 25 + 80 * valley + hills + rugged + 18 * smooth_noise(rng, (rows, cols), 4)
    return np.clip(elevation, 15, None), river_row


def slope_degrees(elevation: np.ndarray, cell_m: float) -> np.ndarray:
    d_row, d_col = np.gradient(elevation, cell_m)
    return np.degrees(np.arctan(np.hypot(d_row, d_col)))


def town_cells(rows: int, cols: int) -> list[tuple[int, int]]:
    return [(int(t.row * (rows - 1)), int(t.col * (cols - 1))) for t in TOWNS]


def road_mask(rows: int, cols: int) -> np.ndarray:
    """Straight roads from the county town to every other town, and a ring through the east."""
    mask = np.zeros((rows, cols), dtype=bool)
    seat, *others = town_cells(rows, cols)
    links = [(seat, t) for t in others] + [(others[0], others[-1]), (others[3], others[4])]
    for (r0, c0), (r1, c1) in links:
        steps = max(abs(r1 - r0), abs(c1 - c0)) + 1
        mask[np.linspace(r0, r1, steps).round().astype(int),
             np.linspace(c0, c1, steps).round().astype(int)] = True
    return mask


def town_distance(rows: int, cols: int, cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Distance (m) to the county seat, and each cell's distance minus the nearest town's radius."""
    r, c = np.mgrid[0:rows, 0:cols]
    gaps = []
    for town, (tr, tc) in zip(TOWNS, town_cells(rows, cols), strict=True):
        gaps.append(np.hypot(r - tr, c - tc) * cell_m - town.radius_km * 1000)
    seat_r, seat_c = town_cells(rows, cols)[0]
    return np.hypot(r - seat_r, c - seat_c) * cell_m, np.min(gaps, axis=0)


def land_use(rng: np.random.Generator, elevation: np.ndarray, slope: np.ndarray,
             river: np.ndarray, town_gap: np.ndarray, road_m: np.ndarray) -> np.ndarray:
    """Current use codes: water, then built-up, forest, grassland, unused, cropland elsewhere."""
    shape = elevation.shape
    wobble = smooth_noise(rng, shape, 2)
    use = np.full(shape, CODES["cropland"])
    use[(elevation > 110 + 25 * wobble) | (slope > 6 + 2 * wobble)] = CODES["forest"]
    grass = (elevation > 75 + 15 * smooth_noise(rng, shape, 3)) & (use == CODES["cropland"])
    use[grass & (smooth_noise(rng, shape, 2) > 0.6)] = CODES["grassland"]
    use[(elevation > 180) & (slope > 10) & (wobble > 0.9)] = CODES["unused"]
    villages = (smooth_noise(rng, shape, 1) > 2.1) & (road_m < 2500) & (use == CODES["cropland"])
    use[(town_gap < 300 * wobble) | villages] = CODES["built"]
    use[river] = CODES["water"]
    return use


def river_and_lakes(rng: np.random.Generator, rows: int, cols: int,
                    river_row: np.ndarray) -> np.ndarray:
    r = np.arange(rows)[:, None] / rows
    river = np.abs(r - river_row[None, :]) < 1.6 / rows
    lake_noise = smooth_noise(rng, (rows, cols), 5)
    near_valley = np.abs(r - river_row[None, :]) < 0.12
    return river | (near_valley & (lake_noise > 2.0))


def regions_from_towns(rows: int, cols: int) -> np.ndarray:
    """Township index per cell: the nearest township seat (Voronoi cells on the grid)."""
    r, c = np.mgrid[0:rows, 0:cols]
    distances = [np.hypot(r - tr, (c - tc)) for tr, tc in town_cells(rows, cols)]
    return np.argmin(distances, axis=0)


def _cell_grid(rows: int, cols: int, cell_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r, c = np.mgrid[0:rows, 0:cols]
    x0 = DEMO_ORIGIN[0] + c.ravel() * cell_m
    y0 = DEMO_ORIGIN[1] + r.ravel() * cell_m
    return r.ravel(), c.ravel(), shapely.box(x0, y0, x0 + cell_m, y0 + cell_m)


def demo_layers(rows: int, cols: int, cell_m: float, seed: int) -> dict[str, np.ndarray]:
    """All raster layers of the demo county as (rows, cols) arrays."""
    rng = np.random.default_rng(seed)
    elevation, river_row = terrain(rng, rows, cols)
    slope = slope_degrees(elevation, cell_m)
    water = river_and_lakes(rng, rows, cols, river_row)
    roads = road_mask(rows, cols)
    road_m = ndimage.distance_transform_edt(~roads) * cell_m
    seat_m, town_gap = town_distance(rows, cols, cell_m)
    use = land_use(rng, elevation, slope, water, town_gap, road_m)
    soil = smooth_noise(rng, (rows, cols), 3)
    grade = np.clip(np.round(3 + slope * 0.8 + (elevation - 25) / 40 - 2 * soil), 1, 15)
    eco = np.clip(0.15 + elevation / 400 + 0.35 * (use == CODES["forest"])
                  + 0.4 * ndimage.binary_dilation(water, iterations=2)
                  + 0.1 * smooth_noise(rng, (rows, cols), 3), 0, 1)
    return {"elevation": elevation, "slope": slope, "water": water, "road_m": road_m,
            "seat_m": seat_m, "town_gap": town_gap, "use": use, "grade": grade, "eco": eco,
            "region": regions_from_towns(rows, cols)}


def zoning(layers: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """三区三线: red line, basic farmland and urban development boundary flags."""
    use, eco, water = layers["use"], layers["eco"], layers["water"]
    corridor = ndimage.binary_dilation(water, iterations=1)
    ecological = np.isin(use, [CODES["forest"], CODES["grassland"], CODES["water"]])
    red_line = ((use == CODES["forest"]) & (eco > 0.72)) | (corridor & ecological)
    cropland = (use == CODES["cropland"]) & ~red_line
    boundary = (layers["town_gap"] < 1200) & ~red_line & (use != CODES["water"])
    # The best 70 % of cropland by grade (tiny test grids may have no cropland at all).
    best = layers["grade"] <= (np.quantile(layers["grade"][cropland], 0.7) if cropland.any() else 0)
    basic = cropland & best & ~(boundary & (layers["town_gap"] < 600))
    return {"is_red_line": red_line, "is_basic_farmland": basic, "in_urban_boundary": boundary,
            "no_conversion": use == CODES["water"]}


def population(rng: np.random.Generator, layers: dict[str, np.ndarray], cell_m: float) -> np.ndarray:
    """Persons per cell: dense in built-up cells (denser in the county seat), sparse elsewhere."""
    ha = cell_m * cell_m / 10_000
    built = layers["use"] == CODES["built"]
    urban_density = np.where(layers["seat_m"] < 3000, 120.0, 60.0)   # persons/ha of built-up land
    rural = np.where(layers["use"] == CODES["cropland"], 1.5, 0.2)
    noise = np.exp(0.2 * rng.standard_normal(built.shape))
    return np.round(np.where(built, urban_density, rural) * ha * noise)


def build_demo_content(rows: int = 120, cols: int = 150, cell_m: float = 250.0,
                       seed: int = 2024) -> StoreContent:
    """The demo county as :class:`StoreContent` (grid of ``rows × cols`` square parcels)."""
    layers = demo_layers(rows, cols, cell_m, seed)
    flags = zoning(layers)
    people = population(np.random.default_rng(seed + 1), layers, cell_m)
    r, c, boxes = _cell_grid(rows, cols, cell_m)
    parcel_id = np.arange(1, rows * cols + 1)
    is_crop = layers["use"].ravel() == CODES["cropland"]
    parcels = gpd.GeoDataFrame({
        "parcel_id": parcel_id, "region_id": layers["region"].ravel() + 1,
        "land_use": layers["use"].ravel(),
        "slope_deg": layers["slope"].ravel().round(2),
        "elevation_m": layers["elevation"].ravel().round(1),
        "farmland_grade": np.where(is_crop, layers["grade"].ravel(), np.nan),
        "eco_importance": layers["eco"].ravel().round(3),
        "population": people.ravel(),
        "dist_urban_m": layers["seat_m"].ravel().round(0),
        "dist_road_m": layers["road_m"].ravel().round(0),
        **{name: flag.ravel() for name, flag in flags.items()},
    }, geometry=boxes, crs=DEMO_CRS)
    regions = demo_regions(parcels)
    return StoreContent(
        parcels=parcels, regions=regions,
        adjacency=grid_adjacency(parcel_id, r, c, cell_m),
        meta={"name_zh": "示例县（合成数据）", "name_en": "Demo County (synthetic)",
              "synthetic": "true", "source": f"data/demo.py seed={seed} grid={rows}x{cols}@{cell_m:g}m",
              "cell_size_m": f"{cell_m:g}"},
    )


def demo_regions(parcels: gpd.GeoDataFrame) -> pd.DataFrame:
    """Townships with Chinese/English names, population and dissolved geometry."""
    dissolved = parcels.dissolve(by="region_id", aggfunc={"population": "sum"})
    return pd.DataFrame({
        "region_id": dissolved.index.to_numpy(),
        "name_zh": [TOWNS[i - 1].name_zh for i in dissolved.index],
        "name_en": [TOWNS[i - 1].name_en for i in dissolved.index],
        "population": dissolved["population"].to_numpy(),
        "geometry": dissolved.geometry.to_numpy(),
    })


def build_demo(db_path: str | Path, rows: int = 120, cols: int = 150, cell_m: float = 250.0,
               seed: int = 2024) -> Path:
    """Build the demo county store at ``db_path`` (atomically; an existing file is replaced).

    Parameters
    ----------
    db_path : str or Path
        Target ``.duckdb`` file.
    rows, cols : int
        Grid size; the default 120 × 150 gives 18,000 parcels of 6.25 ha.
    cell_m : float
        Cell edge in metres.
    seed : int
        Random seed; the same arguments always give the same store.
    """
    return write_store(db_path, build_demo_content(rows, cols, cell_m, seed))
