"""Evaluation index system (评价指标体系) of a land-use allocation, as one tidy table.

:func:`compute_indicators` evaluates an assignment (a land-use code per parcel) against a
baseline (by default the current land use) and returns one row per indicator and scope::

    indicator  group  scope_type  scope  value  unit  baseline  change  label_zh  label_en

``scope_type`` is ``total`` (whole study area), ``class`` (a land-class role key),
``region`` (a region's Chinese name) or ``service`` (an ESV service key). ``change`` is
``value - baseline``. Indicators that compare with the baseline (new construction, changed
area, cropland converted) are 0 in the baseline by definition. :func:`indicator_catalog`
lists every key with its definition; ``data/coefficients/README.md`` the coefficients.

Definitions worth knowing:

- Patches are connected components of same-use neighbours over the adjacency table
  (``scipy.sparse.csgraph.connected_components``); edges are shared boundaries between
  different-use neighbours. The outer boundary of the study area is **not** counted as edge
  (the adjacency table only holds shared boundaries), like FRAGSTATS without a border.
- ``like_adjacency_pct`` is a shared-boundary-length analogue of FRAGSTATS **PLADJ**
  (percentage of like adjacencies, double-count): for class i, 2·L_ii / (2·L_ii + Σ_k≠i L_ik)
  with L the shared boundary length in metres. On a regular grid of equal cells with rook
  adjacency and the landscape boundary ignored it equals PLADJ. It is **not** He et al.'s
  aggregation index AI, whose maximum is a compact square of the class's cells and has no
  equivalent on irregular parcels. The landscape value is like length / all shared length.
- Population does not change with the allocation: a region's population is
  ``regions.population`` or, where that is NULL, the sum of ``parcels.population``.
- Gini and Theil are population-weighted across regions with a known, positive population.

The core is pure numpy/pandas (no DuckDB, no Streamlit); :func:`indicators_cli` reads a store.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

import wording
from data.classes import class_roles
from data.coefficients import SERVICE_KEYS, Coefficients, load_coefficients

GROUPS: tuple[str, ...] = ("structure", "food", "ecology", "development", "landscape",
                           "balance", "compliance")
SCOPE_TYPES: tuple[str, ...] = ("total", "class", "region", "service")
COLUMNS: list[str] = ["indicator", "group", "scope_type", "scope", "value", "unit", "baseline",
                      "change", "label_zh", "label_en"]
#: Classes counted as ecological use for the red line (生态保护红线) and ecological land.
ECOLOGICAL_KEYS: tuple[str, ...] = ("forest", "grassland", "water")
SANSHENG: tuple[str, ...] = ("production", "living", "ecological")
M2_PER_HA = 10_000.0
#: Land-use codes, one per parcel, aligned with the rows of the parcels table.
Codes = Sequence[int] | np.ndarray | pd.Series


@dataclass(frozen=True)
class IndicatorSpec:
    """Metadata of one indicator key."""

    key: str
    group: str
    unit: str
    definition: str

    @property
    def label_zh(self) -> str:
        return wording.translate(f"indicator.{self.key}", "zh")

    @property
    def label_en(self) -> str:
        return wording.translate(f"indicator.{self.key}", "en")


_SPECS: tuple[IndicatorSpec, ...] = (
    # structure
    IndicatorSpec("area_ha", "structure", "ha",
                  "area by class (class), of each region (region), of the study area (total)"),
    IndicatorSpec("area_share_pct", "structure", "%", "class area / study area × 100"),
    IndicatorSpec("production_space_pct", "structure", "%", "area of classes with sansheng = production"),
    IndicatorSpec("living_space_pct", "structure", "%", "area of classes with sansheng = living"),
    IndicatorSpec("ecological_space_pct", "structure", "%", "area of classes with sansheng = ecological"),
    IndicatorSpec("changed_area_ha", "structure", "ha", "area whose use differs from the baseline"),
    IndicatorSpec("changed_area_pct", "structure", "%", "changed area / area × 100"),
    # food
    IndicatorSpec("cropland_ha", "food", "ha", "area in cropland"),
    IndicatorSpec("basic_farmland_kept_ha", "food", "ha",
                  "area of is_basic_farmland parcels still cropland"),
    IndicatorSpec("basic_farmland_kept_pct", "food", "%",
                  "basic farmland kept / basic farmland area × 100 (NaN without basic farmland)"),
    IndicatorSpec("grain_capacity_t", "food", "t/yr",
                  "Σ cropland area × yield of its 耕地质量等别 (unknown grade → default)"),
    IndicatorSpec("cropland_mean_grade", "food", "grade", "area-weighted mean 等别 of cropland (1 best)"),
    # ecology
    IndicatorSpec("esv_yuan", "ecology", "yuan/yr",
                  "Σ area × equivalent factors × D (Xie et al. 2015); by class, region, service"),
    IndicatorSpec("carbon_t", "ecology", "t C",
                  "Σ area × (above + below + soil + dead) t C/ha (InVEST pools)"),
    IndicatorSpec("ecological_land_ha", "ecology", "ha", "area in forest, grassland or water"),
    IndicatorSpec("red_line_ecological_ha", "ecology", "ha",
                  "area inside the ecological red line in forest, grassland or water"),
    IndicatorSpec("red_line_ecological_pct", "ecology", "%",
                  "red-line ecological area / red-line area × 100 (NaN without red line)"),
    # development
    IndicatorSpec("population", "development", "persons",
                  "regions.population, else Σ parcels.population (fixed across scenarios)"),
    IndicatorSpec("built_ha", "development", "ha", "area in built-up use"),
    IndicatorSpec("new_built_ha", "development", "ha",
                  "area built-up under the assignment but not in the baseline"),
    IndicatorSpec("built_per_capita_m2", "development", "m²/person",
                  "built-up m² / population (total: over regions with known population)"),
    IndicatorSpec("new_built_in_boundary_pct", "development", "%",
                  "new construction inside the urban development boundary / new construction × 100 (NaN "
                  "without new construction)"),
    # landscape
    IndicatorSpec("patch_count", "landscape", "count", "connected components of same-use neighbours"),
    IndicatorSpec("patch_density", "landscape", "per 100 ha", "NP / study area × 100"),
    IndicatorSpec("largest_patch_index_pct", "landscape", "%", "largest patch area / study area × 100"),
    IndicatorSpec("mean_patch_area_ha", "landscape", "ha", "class area / NP (NaN for an absent class)"),
    IndicatorSpec("edge_density_m_per_ha", "landscape", "m/ha",
                  "shared boundary between different uses / study area; outer boundary not counted; class: "
                  "edges touching the class"),
    IndicatorSpec("like_adjacency_pct", "landscape", "%",
                  "2·L_ii / (2·L_ii + Σ_k≠i L_ik) by shared length; = FRAGSTATS PLADJ on a rook grid with "
                  "the border ignored; not He et al. AI"),
    IndicatorSpec("shdi", "landscape", "-", "−Σ p ln p over class area shares"),
    # balance
    IndicatorSpec("built_per_capita_gini", "balance", "-",
                  "population-weighted Gini across regions: Σ_ij p_i p_j |x_i − x_j| / (2 μ)"),
    IndicatorSpec("built_per_capita_theil", "balance", "-",
                  "population-weighted Theil T across regions: Σ p_i (x_i/μ) ln(x_i/μ)"),
    IndicatorSpec("esv_per_capita_gini", "balance", "-", "as built_per_capita_gini, of ESV per person"),
    IndicatorSpec("esv_per_capita_theil", "balance", "-", "as built_per_capita_theil, of ESV per person"),
    # compliance
    IndicatorSpec("basic_farmland_not_cropland_n", "compliance", "count",
                  "is_basic_farmland parcels not in cropland"),
    IndicatorSpec("basic_farmland_not_cropland_ha", "compliance", "ha", "their area"),
    IndicatorSpec("built_in_red_line_n", "compliance", "count", "is_red_line parcels built-up"),
    IndicatorSpec("built_in_red_line_ha", "compliance", "ha", "their area"),
    IndicatorSpec("new_built_outside_boundary_n", "compliance", "count",
                  "new built-up parcels outside the urban development boundary (the rule)"),
    IndicatorSpec("new_built_outside_boundary_ha", "compliance", "ha", "their area"),
    IndicatorSpec("built_outside_boundary_n", "compliance", "count",
                  "all built-up parcels outside the boundary, incl. existing villages"),
    IndicatorSpec("built_outside_boundary_ha", "compliance", "ha", "their area"),
    IndicatorSpec("cropland_to_built_n", "compliance", "count", "baseline cropland parcels now built-up"),
    IndicatorSpec("cropland_to_built_ha", "compliance", "ha", "their area"),
    IndicatorSpec("cropland_supplemented_ha", "compliance", "ha",
                  "area of other baseline uses now cropland"),
    IndicatorSpec("cropland_uncompensated_ha", "compliance", "ha",
                  "max(0, cropland_to_built_ha − cropland_supplemented_ha) (占补平衡, area)"),
)
INDICATORS: dict[str, IndicatorSpec] = {spec.key: spec for spec in _SPECS}

#: Which way is better per indicator: +1 higher, −1 lower, 0 neutral (a matter of policy, never
#: highlighted as "best"). Indicators not listed are neutral.
DIRECTION: dict[str, int] = {
    "cropland_ha": 1, "grain_capacity_t": 1, "cropland_mean_grade": -1,  # grade 1 is the best
    "basic_farmland_kept_pct": 1, "esv_yuan": 1, "carbon_t": 1, "ecological_land_ha": 1,
    "red_line_ecological_pct": 1, "like_adjacency_pct": 1, "mean_patch_area_ha": 1,
    "built_ha": 0, "new_built_ha": 0, "population": 0, "shdi": 0,
    "changed_area_ha": -1, "patch_count": -1, "edge_density_m_per_ha": -1,
    "built_per_capita_gini": -1, "esv_per_capita_gini": -1,
    "basic_farmland_not_cropland_ha": -1, "built_in_red_line_ha": -1,
    "new_built_outside_boundary_ha": -1, "cropland_to_built_ha": -1,
    "cropland_uncompensated_ha": -1,
}
#: Indicators shown in a larger unit than they are computed in: key → divisor; the unit's
#: words are ``unit_display.<key>`` in the catalogue. Money is read in 亿元 (10⁸ yuan) in
#: both languages, so zh and en briefings agree.
DISPLAY_SCALE: dict[str, float] = {"esv_yuan": 1e8}


def display_unit(key: str, unit: str, lang: str) -> str:
    """The unit people read for indicator ``key`` (computed in ``unit``) in ``lang``."""
    if key in DISPLAY_SCALE:
        return wording.translate(f"unit_display.{key}", lang)
    if unit == "-":
        return ""
    text_key = f"unit.{unit}"
    return wording.translate(text_key, lang) if text_key in wording.TEXT else unit


def display_value(key: str, value: float) -> float:
    """``value`` of indicator ``key`` in its display unit (:func:`display_unit`)."""
    return value / DISPLAY_SCALE[key] if key in DISPLAY_SCALE else value


def indicator_catalog() -> pd.DataFrame:
    """Every indicator key with group, unit, labels and definition (for docs and the UI)."""
    return pd.DataFrame([{**vars(spec), "label_zh": spec.label_zh, "label_en": spec.label_en}
                         for spec in _SPECS])


# -- inputs prepared once per call ----------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Context:
    """Assignment-independent arrays: parcels, regions, classes, coefficients, edges."""

    keys: tuple[str, ...]
    roles: tuple[str, ...]        # (K,) role of each class: what the indicators count
    codes: pd.Index
    sansheng: np.ndarray          # (K,) str
    area: np.ndarray              # (n,)
    region: np.ndarray            # (n,) index into region_names
    region_names: tuple[str, ...]
    population: np.ndarray        # (R,)
    basic: np.ndarray
    red_line: np.ndarray
    urban: np.ndarray
    grain: np.ndarray             # (n,) t/ha if cropland
    grade: np.ndarray             # (n,) effective grade
    esv_service: np.ndarray       # (K, S) yuan/ha/yr
    carbon: np.ndarray            # (K,) t C/ha
    edge_a: np.ndarray
    edge_b: np.ndarray
    edge_m: np.ndarray

    @property
    def n_classes(self) -> int:
        return len(self.keys)

    @property
    def n_regions(self) -> int:
        return len(self.region_names)

    def is_class(self, cls: np.ndarray, *roles: str) -> np.ndarray:
        """Boolean mask of parcels whose class has one of ``roles`` (absent roles match nothing)."""
        wanted = [j for j, role in enumerate(self.roles) if role in roles]
        return np.isin(cls, wanted)

    def by_region(self, weights: np.ndarray) -> np.ndarray:
        return np.bincount(self.region, weights=weights, minlength=self.n_regions)


def _flag(parcels: pd.DataFrame, column: str) -> np.ndarray:
    if column not in parcels.columns:
        return np.zeros(len(parcels), dtype=bool)
    return parcels[column].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _regions(parcels: pd.DataFrame, regions: pd.DataFrame
             ) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
    """Region index per parcel, display names and population (regions table order first)."""
    ids = list(regions["region_id"])
    ids += sorted(set(parcels["region_id"]) - set(ids))  # parcels of regions not in the table
    region = pd.Index(ids).get_indexer(parcels["region_id"])
    names = dict(zip(regions["region_id"], regions["name_zh"].astype(str), strict=True))
    labels = [names.get(i, str(i)) for i in ids]
    # Scopes must be unique: disambiguate repeated names with the region id.
    labels = [f"{n} ({i})" if labels.count(n) > 1 else n for n, i in zip(labels, ids, strict=True)]
    return region, tuple(labels), _population(parcels, regions, ids, region)


def _population(parcels: pd.DataFrame, regions: pd.DataFrame, ids: list, region: np.ndarray
                ) -> np.ndarray:
    """regions.population, else Σ parcels.population of the region, else NaN."""
    given = (pd.to_numeric(regions["population"], errors="coerce").to_numpy(dtype=float)
             if "population" in regions.columns else np.full(len(regions), np.nan))
    population = pd.Series(given, index=regions["region_id"].to_numpy()).reindex(ids)
    population = population.to_numpy(dtype=float)
    if "population" not in parcels.columns:
        return population
    per_parcel = pd.to_numeric(parcels["population"], errors="coerce").to_numpy(dtype=float)
    known = np.bincount(region, weights=np.isfinite(per_parcel), minlength=len(ids)) > 0
    summed = np.bincount(region, weights=np.nan_to_num(per_parcel), minlength=len(ids))
    return np.where(np.isfinite(population), population, np.where(known, summed, np.nan))


def _edges(parcels: pd.DataFrame, adjacency: pd.DataFrame
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edge endpoints as row positions; pairs with a parcel outside ``parcels`` are dropped."""
    position = pd.Index(parcels["parcel_id"])
    a = position.get_indexer(adjacency["parcel_a"])
    b = position.get_indexer(adjacency["parcel_b"])
    keep = (a >= 0) & (b >= 0)
    return a[keep], b[keep], adjacency["shared_m"].to_numpy(dtype=float)[keep]


def _context(parcels: pd.DataFrame, adjacency: pd.DataFrame, classes: pd.DataFrame,
             regions: pd.DataFrame, coefficients: Coefficients) -> _Context:
    keys, roles = tuple(classes["key"]), tuple(class_roles(classes))
    region, names, population = _regions(parcels, regions)
    grades = (parcels["farmland_grade"] if "farmland_grade" in parcels.columns
              else np.zeros(len(parcels)))  # no grades: every parcel takes the default grade
    edge_a, edge_b, edge_m = _edges(parcels, adjacency)
    return _Context(
        keys=keys, roles=roles, codes=pd.Index(classes["code"]), sansheng=classes["sansheng"].to_numpy(),
        area=parcels["area_ha"].to_numpy(dtype=float), region=region, region_names=names,
        population=population, basic=_flag(parcels, "is_basic_farmland"),
        red_line=_flag(parcels, "is_red_line"), urban=_flag(parcels, "in_urban_boundary"),
        grain=coefficients.grain_t_per_ha(grades), grade=coefficients.effective_grade(grades),
        esv_service=coefficients.esv_service_per_ha(roles),
        carbon=coefficients.carbon_per_ha(roles), edge_a=edge_a, edge_b=edge_b, edge_m=edge_m,
    )


def _class_index(codes: pd.Index, assignment: object, n: int, name: str) -> np.ndarray:
    """Class index per parcel (into ``codes``) from land-use codes; raise naming bad codes."""
    values = pd.Series(np.asarray(assignment).ravel()) if not isinstance(
        assignment, pd.Series) else assignment.reset_index(drop=True)
    if len(values) != n:
        raise ValueError(f"{name} has {len(values)} entries but there are {n} parcels")
    if values.isna().any():
        raise ValueError(f"{name} has {int(values.isna().sum())} missing land-use codes")
    cls = codes.get_indexer(values.to_numpy())
    if (cls < 0).any():
        unknown = sorted(set(values[cls < 0].tolist()))[:10]
        raise ValueError(f"{name} has land-use codes {unknown} not in the class table "
                         f"(codes {codes.tolist()})")
    return cls


# -- row helpers ----------------------------------------------------------------------------------
Row = tuple[str, str, str, float]


def _total_region(ctx: _Context, key: str, total: float, per_region: np.ndarray) -> list[Row]:
    rows = [(key, "total", "total", float(total))]
    rows += [(key, "region", name, float(v))
             for name, v in zip(ctx.region_names, per_region, strict=True)]
    return rows


def _per_class(ctx: _Context, key: str, values: np.ndarray) -> list[Row]:
    return [(key, "class", k, float(v)) for k, v in zip(ctx.keys, values, strict=True)]


def _sum_rows(ctx: _Context, key: str, weights: np.ndarray) -> list[Row]:
    """Total and per-region sum of a per-parcel quantity."""
    return _total_region(ctx, key, weights.sum(), ctx.by_region(weights))


def _pct(numerator: np.ndarray | float, denominator: np.ndarray | float) -> np.ndarray:
    """100 × numerator / denominator, NaN where the denominator is 0."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, 100.0 * num / np.where(den > 0, den, 1.0), np.nan)


def _share_rows(ctx: _Context, key: str, part: np.ndarray, whole: np.ndarray,
                scale: float = 1.0) -> list[Row]:
    """Total and per-region 100 × Σ part / Σ whole of per-parcel quantities (× ``scale``)."""
    return _total_region(ctx, key, scale * _pct(part.sum(), whole.sum()),
                         scale * _pct(ctx.by_region(part), ctx.by_region(whole)))


# -- indicator groups -----------------------------------------------------------------------------
def _structure(ctx: _Context, cls: np.ndarray, base: np.ndarray) -> list[Row]:
    total = ctx.area.sum()
    by_class = np.bincount(cls, weights=ctx.area, minlength=ctx.n_classes)
    rows = _sum_rows(ctx, "area_ha", ctx.area) + _per_class(ctx, "area_ha", by_class)
    rows += _per_class(ctx, "area_share_pct", _pct(by_class, total))
    for space in SANSHENG:
        in_space = np.isin(cls, np.flatnonzero(ctx.sansheng == space))
        rows += _share_rows(ctx, f"{space}_space_pct", ctx.area * in_space, ctx.area)
    changed = ctx.area * (cls != base)
    rows += _sum_rows(ctx, "changed_area_ha", changed)
    return rows + _share_rows(ctx, "changed_area_pct", changed, ctx.area)


def _food(ctx: _Context, cls: np.ndarray, base: np.ndarray) -> list[Row]:
    crop = ctx.area * ctx.is_class(cls, "cropland")
    kept = crop * ctx.basic
    rows = _sum_rows(ctx, "cropland_ha", crop) + _sum_rows(ctx, "basic_farmland_kept_ha", kept)
    rows += _share_rows(ctx, "basic_farmland_kept_pct", kept, ctx.area * ctx.basic)
    rows += _sum_rows(ctx, "grain_capacity_t", crop * ctx.grain)
    # Area-weighted mean grade: Σ area·grade / Σ area (a share without the factor 100).
    return rows + _share_rows(ctx, "cropland_mean_grade", crop * ctx.grade, crop, scale=0.01)


def _ecology(ctx: _Context, cls: np.ndarray, base: np.ndarray) -> list[Row]:
    esv_ha = ctx.esv_service.sum(axis=1)
    by_class = np.bincount(cls, weights=ctx.area, minlength=ctx.n_classes)
    rows = _sum_rows(ctx, "esv_yuan", ctx.area * esv_ha[cls])
    rows += _per_class(ctx, "esv_yuan", by_class * esv_ha)
    rows += [("esv_yuan", "service", s, float(v))
             for s, v in zip(SERVICE_KEYS, by_class @ ctx.esv_service, strict=True)]
    rows += _sum_rows(ctx, "carbon_t", ctx.area * ctx.carbon[cls])
    rows += _per_class(ctx, "carbon_t", by_class * ctx.carbon)
    eco = ctx.area * ctx.is_class(cls, *ECOLOGICAL_KEYS)
    rows += _sum_rows(ctx, "ecological_land_ha", eco)
    rows += _sum_rows(ctx, "red_line_ecological_ha", eco * ctx.red_line)
    return rows + _share_rows(ctx, "red_line_ecological_pct", eco * ctx.red_line,
                              ctx.area * ctx.red_line)


def _built_per_capita(ctx: _Context, built: np.ndarray) -> tuple[float, np.ndarray]:
    """(total, per region) built-up m² per person; regions without population are NaN."""
    per_region = ctx.by_region(built) * M2_PER_HA
    known = ctx.population > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(known, per_region / np.where(known, ctx.population, 1.0), np.nan)
    total = per_region[known].sum() / ctx.population[known].sum() if known.any() else np.nan
    return float(total), ratio


def _development(ctx: _Context, cls: np.ndarray, base: np.ndarray) -> list[Row]:
    is_built = ctx.is_class(cls, "built")
    new = ctx.area * (is_built & ~ctx.is_class(base, "built"))
    rows = _total_region(ctx, "population", np.nansum(ctx.population), ctx.population)
    rows += _sum_rows(ctx, "built_ha", ctx.area * is_built) + _sum_rows(ctx, "new_built_ha", new)
    rows += _total_region(ctx, "built_per_capita_m2", *_built_per_capita(ctx, ctx.area * is_built))
    return rows + _share_rows(ctx, "new_built_in_boundary_pct", new * ctx.urban, new)


def gini(values: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Population-weighted Gini coefficient.

    ``G = Σ_i Σ_j p_i p_j |x_i − x_j| / (2 μ)`` with ``p`` the weight shares and
    ``μ = Σ p_i x_i``. Entries with a non-finite value or a non-positive weight are ignored.

    Parameters
    ----------
    values : array-like
        Per-capita quantity of each unit (e.g. region), >= 0.
    weights : array-like, optional
        Population of each unit (equal weights by default).

    Returns
    -------
    float
        0 (equal) .. 1; NaN when no unit is valid or the mean is 0.
    """
    x, p = _weighted(values, weights)
    mean = float(p @ x) if len(x) else 0.0
    if mean <= 0:
        return float("nan")
    # Sorted form of the double sum, O(R log R): Σ_i p_i x_i (F_i⁻ + F_i − 1) / μ with F_i
    # the cumulative weight up to and including i and F_i⁻ the one before i.
    order = np.argsort(x, kind="stable")
    x, p = x[order], p[order]
    cumulative = np.cumsum(p)
    total = float(np.sum(p * x * (cumulative - p + cumulative - 1.0)) / mean)
    return max(total, 0.0)  # equal values can round to -1e-16


def theil(values: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Population-weighted Theil T index ``Σ p_i (x_i/μ) ln(x_i/μ)`` (0 ln 0 = 0).

    Parameters
    ----------
    values, weights : array-like
        As for :func:`gini`.

    Returns
    -------
    float
        0 (equal) .. ln(1/min p); NaN when no unit is valid or the mean is 0.
    """
    x, p = _weighted(values, weights)
    mean = float(p @ x) if len(x) else 0.0
    if mean <= 0:
        return float("nan")
    ratio = x / mean
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(ratio > 0, ratio * np.log(np.where(ratio > 0, ratio, 1.0)), 0.0)
    return float(p @ terms)


def _weighted(values: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(values, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    keep = np.isfinite(x) & np.isfinite(w) & (w > 0)
    return x[keep], w[keep] / w[keep].sum() if keep.any() else w[keep]


def _balance(ctx: _Context, cls: np.ndarray, base: np.ndarray) -> list[Row]:
    built = ctx.area * ctx.is_class(cls, "built")
    _, built_pc = _built_per_capita(ctx, built)
    esv = ctx.by_region(ctx.area * ctx.esv_service.sum(axis=1)[cls])
    with np.errstate(divide="ignore", invalid="ignore"):
        esv_pc = np.where(ctx.population > 0, esv / ctx.population, np.nan)
    return [
        ("built_per_capita_gini", "total", "total", gini(built_pc, ctx.population)),
        ("built_per_capita_theil", "total", "total", theil(built_pc, ctx.population)),
        ("esv_per_capita_gini", "total", "total", gini(esv_pc, ctx.population)),
        ("esv_per_capita_theil", "total", "total", theil(esv_pc, ctx.population)),
    ]


def _count_area(ctx: _Context, key: str, mask: np.ndarray) -> list[Row]:
    """``<key>_n`` parcel count and ``<key>_ha`` area, total and per region."""
    return (_sum_rows(ctx, f"{key}_n", mask.astype(float))
            + _sum_rows(ctx, f"{key}_ha", ctx.area * mask))


def _compliance(ctx: _Context, cls: np.ndarray, base: np.ndarray) -> list[Row]:
    built = ctx.is_class(cls, "built")
    crop = ctx.is_class(cls, "cropland")
    was_crop = ctx.is_class(base, "cropland")
    rows = _count_area(ctx, "basic_farmland_not_cropland", ctx.basic & ~crop)
    rows += _count_area(ctx, "built_in_red_line", ctx.red_line & built)
    new_built = built & ~ctx.is_class(base, "built")
    rows += _count_area(ctx, "new_built_outside_boundary", new_built & ~ctx.urban)
    rows += _count_area(ctx, "built_outside_boundary", built & ~ctx.urban)
    taken = ctx.area * (was_crop & built)
    supplemented = ctx.area * (crop & ~was_crop)
    rows += _count_area(ctx, "cropland_to_built", was_crop & built)
    rows += _sum_rows(ctx, "cropland_supplemented_ha", supplemented)
    # The balance is checked per scope: a region's surplus does not cover another's deficit.
    gap_region = np.maximum(ctx.by_region(taken) - ctx.by_region(supplemented), 0.0)
    gap_total = max(taken.sum() - supplemented.sum(), 0.0)
    return rows + _total_region(ctx, "cropland_uncompensated_ha", gap_total, gap_region)


# -- landscape pattern ----------------------------------------------------------------------------
def _patches(ctx: _Context, cls: np.ndarray, like: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(area, class) of each patch: connected components over like edges."""
    n = len(cls)
    graph = coo_matrix((np.ones(int(like.sum())), (ctx.edge_a[like], ctx.edge_b[like])),
                       shape=(n, n))
    n_patches, labels = connected_components(graph, directed=False)
    patch_area = np.bincount(labels, weights=ctx.area, minlength=n_patches)
    patch_class = np.empty(n_patches, dtype=np.int64)
    patch_class[labels] = cls
    return patch_area, patch_class


def _patch_metrics(ctx: _Context, cls: np.ndarray, like: np.ndarray
                   ) -> dict[str, tuple[np.ndarray, float]]:
    """NP, PD, LPI and mean patch area: (per class, landscape) for each key."""
    k, total = ctx.n_classes, ctx.area.sum()
    patch_area, patch_class = _patches(ctx, cls, like)
    n_class = np.bincount(patch_class, minlength=k).astype(float)
    largest = np.zeros(k)
    np.maximum.at(largest, patch_class, patch_area)
    area_class = np.bincount(cls, weights=ctx.area, minlength=k)
    mean_area = np.where(n_class > 0, area_class / np.maximum(n_class, 1), np.nan)
    return {
        "patch_count": (n_class, len(patch_area)),
        "patch_density": (n_class / total * 100, len(patch_area) / total * 100),
        "largest_patch_index_pct": (largest / total * 100, patch_area.max() / total * 100),
        "mean_patch_area_ha": (mean_area, total / len(patch_area)),
    }


def _edge_metrics(ctx: _Context, cls: np.ndarray, like: np.ndarray
                  ) -> dict[str, tuple[np.ndarray, float]]:
    """ED and the like-adjacency share: (per class, landscape) for each key."""
    k, total, unlike = ctx.n_classes, ctx.area.sum(), ~like
    like_m = np.bincount(cls[ctx.edge_a[like]], weights=ctx.edge_m[like], minlength=k)
    # An edge between two classes counts for both of them.
    edge_m = (np.bincount(cls[ctx.edge_a[unlike]], weights=ctx.edge_m[unlike], minlength=k)
              + np.bincount(cls[ctx.edge_b[unlike]], weights=ctx.edge_m[unlike], minlength=k))
    return {
        "edge_density_m_per_ha": (edge_m / total, ctx.edge_m[unlike].sum() / total),
        "like_adjacency_pct": (_pct(2 * like_m, 2 * like_m + edge_m),
                               float(_pct(ctx.edge_m[like].sum(), ctx.edge_m.sum()))),
    }


def _landscape(ctx: _Context, cls: np.ndarray, base: np.ndarray) -> list[Row]:
    like = cls[ctx.edge_a] == cls[ctx.edge_b]
    metrics = _patch_metrics(ctx, cls, like) | _edge_metrics(ctx, cls, like)
    rows: list[Row] = []
    for key, (per_class, landscape) in metrics.items():
        rows += [(key, "total", "total", float(landscape))] + _per_class(ctx, key, per_class)
    area_class = np.bincount(cls, weights=ctx.area, minlength=ctx.n_classes)
    share = area_class[area_class > 0] / ctx.area.sum()
    return rows + [("shdi", "total", "total", float(-(share * np.log(share)).sum()))]


_GROUP_FUNCTIONS = (_structure, _food, _ecology, _development, _landscape, _balance, _compliance)


def _evaluate(ctx: _Context, cls: np.ndarray, base: np.ndarray) -> list[Row]:
    rows: list[Row] = []
    for function in _GROUP_FUNCTIONS:
        rows += function(ctx, cls, base)
    return rows


# -- public API -----------------------------------------------------------------------------------
def compute_indicators(parcels: pd.DataFrame, adjacency: pd.DataFrame, classes: pd.DataFrame,
                       regions: pd.DataFrame, assignment: Codes,
                       coefficients: Coefficients | None = None,
                       baseline: Codes | None = None,
                       ) -> pd.DataFrame:
    """Evaluate an allocation: every indicator, whole area and per region, vs. a baseline.

    Parameters
    ----------
    parcels : DataFrame
        Rows of the ``parcels`` table: ``parcel_id, region_id, land_use, area_ha``, and
        (optional, default empty/False) ``farmland_grade, population, is_basic_farmland,
        is_red_line, in_urban_boundary``.
    adjacency : DataFrame
        ``parcel_a, parcel_b, shared_m`` (pairs naming parcels not in ``parcels`` are ignored).
    classes : DataFrame
        The ``land_classes`` table: ``code, key, sansheng`` and ``role`` (the key where absent).
    regions : DataFrame
        ``region_id, name_zh, population``.
    assignment : array-like of int
        Land-use code of each parcel, aligned with the rows of ``parcels`` (by position).
    coefficients : Coefficients, optional
        ESV, carbon and grain tables (the shipped ones by default).
    baseline : array-like of int, optional
        Reference assignment; default ``parcels.land_use``.

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`, one row per (indicator, scope_type, scope), ordered by
        :data:`GROUPS`. See :func:`indicator_catalog` for the keys and their definitions.

    Raises
    ------
    ValueError
        The assignment or baseline has the wrong length, missing or unknown codes.
    """
    coefficients = coefficients if coefficients is not None else load_coefficients()
    ctx = _context(parcels, adjacency, classes, regions, coefficients)
    n = len(parcels)
    base = _class_index(ctx.codes, parcels["land_use"] if baseline is None else baseline, n,
                        "baseline")
    cls = _class_index(ctx.codes, assignment, n, "assignment")
    return _table(_evaluate(ctx, cls, base), _evaluate(ctx, base, base))


def _table(rows: list[Row], baseline_rows: list[Row]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=["indicator", "scope_type", "scope", "value"])
    base = pd.DataFrame(baseline_rows, columns=["indicator", "scope_type", "scope", "value"])
    # Both evaluations emit the same rows in the same order (classes, regions are fixed).
    if not table[["indicator", "scope"]].equals(base[["indicator", "scope"]]):
        raise RuntimeError("indicator rows of assignment and baseline do not line up")
    table["baseline"] = base["value"].to_numpy()
    table["change"] = table["value"] - table["baseline"]
    specs = table["indicator"].map(INDICATORS)
    for column in ("group", "unit", "label_zh", "label_en"):
        table[column] = [getattr(spec, column) for spec in specs]
    return table[COLUMNS]


def transition_table(parcels: pd.DataFrame, classes: pd.DataFrame,
                     assignment: Codes,
                     baseline: Codes | None = None,
                     ) -> pd.DataFrame:
    """Land-use transitions in tidy form, one row per (from, to) pair that occurs.

    Parameters
    ----------
    parcels, classes, assignment, baseline
        As for :func:`compute_indicators`.

    Returns
    -------
    DataFrame
        Columns ``from_key, to_key, from_code, to_code, area_ha, n_parcels``; unchanged
        parcels appear on the diagonal (``from_key == to_key``).
    """
    frame = _transition_frame(parcels, classes, assignment, baseline)
    grouped = frame.groupby(["from", "to"], sort=True)["area_ha"].agg(["sum", "size"])
    keys, codes = list(classes["key"]), list(classes["code"])
    f = grouped.index.get_level_values("from")
    t = grouped.index.get_level_values("to")
    return pd.DataFrame({
        "from_key": [keys[i] for i in f], "to_key": [keys[i] for i in t],
        "from_code": [int(codes[i]) for i in f], "to_code": [int(codes[i]) for i in t],
        "area_ha": grouped["sum"].to_numpy(), "n_parcels": grouped["size"].to_numpy(),
    })


def transition_matrix(parcels: pd.DataFrame, classes: pd.DataFrame,
                      assignment: Codes,
                      baseline: Codes | None = None,
                      ) -> pd.DataFrame:
    """Land-use transition matrix (转移矩阵): baseline class × assigned class, in ha.

    Parameters
    ----------
    parcels, classes, assignment, baseline
        As for :func:`compute_indicators`.

    Returns
    -------
    DataFrame
        Index ``from`` and columns ``to``, both every class key of ``classes`` in table order
        (absent classes give zero rows/columns). Row sums are baseline class areas, column
        sums assigned class areas.
    """
    frame = _transition_frame(parcels, classes, assignment, baseline)
    k = len(classes)
    flat = np.bincount(frame["from"] * k + frame["to"], weights=frame["area_ha"],
                       minlength=k * k)
    keys = pd.Index(list(classes["key"]))
    return pd.DataFrame(flat.reshape(k, k), index=keys.rename("from"), columns=keys.rename("to"))


def area_by_region(parcels: pd.DataFrame, classes: pd.DataFrame, regions: pd.DataFrame,
                   assignment: Codes) -> pd.DataFrame:
    """Area (ha) of each class in each region: index region name, columns class keys."""
    region, names, _ = _regions(parcels, regions)
    cls = _class_index(pd.Index(classes["code"]), assignment, len(parcels), "assignment")
    k, r = len(classes), len(names)
    flat = np.bincount(region * k + cls, weights=parcels["area_ha"].to_numpy(dtype=float),
                       minlength=r * k)
    return pd.DataFrame(flat.reshape(r, k), index=pd.Index(names, name="region"),
                        columns=pd.Index(list(classes["key"]), name="class"))


def _transition_frame(parcels: pd.DataFrame, classes: pd.DataFrame, assignment: object,
                      baseline: object) -> pd.DataFrame:
    codes, n = pd.Index(classes["code"]), len(parcels)
    base = _class_index(codes, parcels["land_use"] if baseline is None else baseline, n,
                        "baseline")
    return pd.DataFrame({"from": base, "to": _class_index(codes, assignment, n, "assignment"),
                         "area_ha": parcels["area_ha"].to_numpy(dtype=float)})


# -- command line ---------------------------------------------------------------------------------
def read_assignment(path: str | Path, parcel_ids: np.ndarray) -> np.ndarray:
    """Land-use codes of a result file (``parcel_id, use_after``) in the order of ``parcel_ids``.

    Parameters
    ----------
    path : str or Path
        A ``.parquet`` or ``.csv`` file with columns ``parcel_id`` and ``use_after`` (code).
    parcel_ids : ndarray
        Parcel ids in the order wanted.

    Raises
    ------
    ValueError
        A column is missing, an id is duplicated, or a parcel of the store has no row.
    """
    path = Path(path)
    result = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path)
    for column in ("parcel_id", "use_after"):
        if column not in result.columns:
            raise ValueError(f"{path}: missing column '{column}' (need parcel_id, use_after)")
    if result["parcel_id"].duplicated().any():
        raise ValueError(f"{path}: duplicate parcel_id values")
    codes = pd.Series(result["use_after"].to_numpy(), index=result["parcel_id"].to_numpy())
    aligned = codes.reindex(parcel_ids)
    if aligned.isna().any():
        missing = parcel_ids[aligned.isna().to_numpy()]
        raise ValueError(f"{path}: {len(missing)} parcels of the store have no row "
                         f"(e.g. parcel_id {missing[:5].tolist()})")
    return aligned.to_numpy(dtype=np.int64)


def format_table(table: pd.DataFrame) -> str:
    """Readable text of an indicator table, one block per group."""
    blocks = []
    for group in GROUPS:
        part = table[table["group"] == group]
        if part.empty:
            continue
        shown = part[["indicator", "scope", "value", "baseline", "change", "unit", "label_zh"]]
        text = shown.to_string(index=False, float_format=lambda v: f"{v:,.4g}"
                               if abs(v) < 1e4 else f"{v:,.0f}")
        blocks.append(f"== {group} ==\n{text}")
    return "\n\n".join(blocks)


def indicators_cli(db_path: str, assignment_path: str | None, out_path: str | None) -> int:
    """``python -m data indicators --db STORE [--assignment RESULT] [--out CSV]``.

    Parameters
    ----------
    db_path : str
        The ``.duckdb`` parcel store.
    assignment_path : str, optional
        ``.parquet``/``.csv`` with ``parcel_id, use_after``; without it the current land use
        is evaluated (the monitoring view).
    out_path : str, optional
        Write the indicator table as UTF-8 CSV here.

    Returns
    -------
    int
        0 on success, 1 when the store, the result file or the coefficients are unusable.
    """
    import duckdb  # DuckDB only on the command line, not in the indicator core

    from data import store
    from data.db import StoreError, connect

    try:
        con = connect(db_path)
        try:
            parcels, classes = store.read_parcels(con), store.read_classes(con)
            regions, adjacency = store.read_regions(con), store.read_adjacency(con)
        finally:
            con.close()
        assignment = (parcels["land_use"].to_numpy() if assignment_path is None
                      else read_assignment(assignment_path, parcels["parcel_id"].to_numpy()))
        table = compute_indicators(parcels, adjacency, classes, regions, assignment)
    except (StoreError, ValueError, OSError, duckdb.Error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(format_table(table))
    if out_path:
        table.to_csv(out_path, index=False, encoding="utf-8")
        print(f"\nwrote {len(table)} rows to {out_path}")
    return 0
