"""Synthetic grid landscapes (smooth random fields) for tests and benchmarks.

Values are illustrative, not a real region: ESV factors follow the magnitudes of Xie et al.
2015 (one equivalent = 1,498.58 yuan/ha), carbon and grain values are rough placeholders.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from solver.landscape import CLASS_KEYS, Landscape

ESV_FACTORS = np.array([4.0, 22.0, 11.0, 125.6, 0.0, 0.2])  # equivalents/ha per CLASS_KEYS
CARBON_T_PER_HA = np.array([95.0, 160.0, 110.0, 30.0, 20.0, 40.0])  # illustrative


def _field(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    f = gaussian_filter(rng.standard_normal(shape), sigma=sigma, mode="reflect")
    return (f - f.mean()) / (f.std() + 1e-12)


def grid_edges(n_rows: int, n_cols: int) -> np.ndarray:
    """Rook (4-neighbour) pairs (i < j) of a row-major grid."""
    idx = np.arange(n_rows * n_cols).reshape(n_rows, n_cols)
    right = np.column_stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()])
    down = np.column_stack([idx[:-1, :].ravel(), idx[1:, :].ravel()])
    return np.vstack([right, down]).astype(np.int64)


def _current_use(elev: np.ndarray, wet: np.ndarray, urban: np.ndarray) -> np.ndarray:
    use = np.zeros(elev.shape, dtype=np.int32)  # cropland
    use[elev > 0.6] = 1  # forest on high ground
    use[(elev > 0.2) & (elev <= 0.6) & (wet < 0)] = 2  # grassland
    use[wet > 1.6] = 3  # water in wet lowlands
    use[urban > 1.3] = 4  # built-up cores
    use[(elev > 1.8) & (wet < -0.8)] = 5  # unused bare land
    return use


def _suitability(rng: np.random.Generator, elev: np.ndarray, wet: np.ndarray,
                 urban: np.ndarray) -> np.ndarray:
    shape = elev.shape
    base = [-elev, elev, 0.5 * elev - 0.3 * wet, wet, urban - 0.3 * elev, -np.abs(elev)]
    cols = [50 + 18 * b + 8 * _field(rng, shape, 2.0) for b in base]
    return np.clip(np.stack([c.ravel() for c in cols], axis=1), 0, 100)


def grid_landscape(n_rows: int, n_cols: int, seed: int = 0, cell_m: float = 250.0,
                   n_regions_x: int = 4, n_regions_y: int = 2) -> Landscape:
    """A smooth random county on a grid: 6 CAS classes, regions in blocks, ~40 % locked.

    Parameters
    ----------
    n_rows, n_cols : int
        Grid size (n = n_rows × n_cols parcels of ``cell_m`` × ``cell_m``).
    seed : int
        Random seed; the same seed gives the same landscape.
    """
    rng = np.random.default_rng(seed)
    shape = (n_rows, n_cols)
    scale = max(min(shape) / 12.0, 1.0)
    elev, wet, urban = (_field(rng, shape, scale) for _ in range(3))
    use = _current_use(elev, wet, urban).ravel()
    n = use.size
    rr, cc = np.divmod(np.arange(n), n_cols)
    region = (rr * n_regions_y // n_rows) * n_regions_x + cc * n_regions_x // n_cols
    eco = (_field(rng, shape, scale / 2).ravel() + np.isin(use, [1, 2, 3])) > 1.4
    grade = np.clip(np.rint(6 + 3 * elev.ravel() + 2 * _field(rng, shape, 1.5).ravel()), 1, 15)
    basic = (use == 0) & (grade <= 5)
    n_reg = n_regions_x * n_regions_y
    return Landscape(
        parcel_id=np.arange(1, n + 1, dtype=np.int64), region=region.astype(np.int32),
        region_names=tuple(f"镇{r + 1}" for r in range(n_reg)), class_keys=CLASS_KEYS,
        class_codes=tuple(range(1, 7)), current=use, area_ha=np.full(n, cell_m**2 / 1e4),
        basic_farmland=basic, red_line=eco & (use != 4), urban_boundary=urban.ravel() > 0.6,
        no_conversion=(use == 3) & (wet.ravel() > 2.2), farmland_grade=grade.astype(np.int32),
        suitability=_suitability(rng, elev, wet, urban), edges=grid_edges(n_rows, n_cols),
        edge_length_m=np.full(grid_edges(n_rows, n_cols).shape[0], cell_m),
        esv_yuan_per_ha=ESV_FACTORS * 1498.58, carbon_t_per_ha=CARBON_T_PER_HA.copy(),
        grain_t_per_ha=np.clip(9.0 - 0.4 * grade, 1.0, None),
        region_population=np.full(n_reg, np.nan),
    )
