"""Hand-computed indicators on a 3 × 3 grid store built directly as DataFrames.

Parcel ids (row-major) and region of each parcel::

    1 2 3        r1 r1 r2        baseline use      assignment
    4 5 6        r1 r1 r2        C C F             C B F
    7 8 9        r2 r2 r2        C B F             C B B
                                 W W F             C W F

C cropland(1) F forest(2) W water(4) B built(5); grassland(3) and unused(6) are in the class
table but unused. Areas are 1 ha except parcel 9 (2 ha): total 10 ha; r1 = {1,2,4,5} 4 ha,
r2 = {3,6,7,8,9} 6 ha. Changes: 2 C→B, 6 F→B, 7 W→C.

Flags: basic farmland {1,2,4}; red line {6,8,9} (4 ha); urban boundary {2,3}.
Grades: 1→2, 2→5, 7→8, others NULL (default 10). Population: r1 2000 (regions table);
r2 NULL in regions → Σ parcels.population of r2 = 200 (6) + 300 (9) = 500; parcel 5's 9999 is
ignored because r1 has a table value.
Adjacency: rook neighbours, 100 m each except (8, 9) = 150 m: 12 pairs, 1,250 m in all.

Test coefficients (independent of the shipped files): D = 100 yuan/ha;
ESV equivalents/ha: cropland 3 (food 2, soil 1), forest 15 (climate 10, biodiversity 5),
grassland 4 (gas 4), water 50 (hydrological 50), built 0, unused 1 (aesthetics 1),
so ESV/ha = C 300, F 1500, G 400, W 5000, B 0, U 100 yuan.
Carbon t C/ha (above, below, soil, dead): C 1+2+7+0 = 10, F 20+10+65+5 = 100,
G 2+3+45+0 = 50, W 0, B 0+0+5+0 = 5, U 2. Grain: 16 − grade t/ha (grade 10 → 6).
"""

from __future__ import annotations

import subprocess
import sys
from math import isnan, log
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.coefficients import CARBON_POOLS, SERVICE_KEYS, Coefficients
from data.indicators import (
    COLUMNS,
    GROUPS,
    INDICATORS,
    area_by_region,
    compute_indicators,
    gini,
    indicator_catalog,
    indicators_cli,
    read_assignment,
    theil,
    transition_matrix,
    transition_table,
)

C, F, G, W, B, U = 1, 2, 3, 4, 5, 6
BASELINE = [C, C, F, C, B, F, W, W, F]
ASSIGNMENT = np.array([C, B, F, C, B, B, C, W, F])
CLASS_ROWS = [(1, "cropland", "production"), (2, "forest", "ecological"),
              (3, "grassland", "ecological"), (4, "water", "ecological"),
              (5, "built", "living"), (6, "unused", "ecological")]


def make_classes(keep: tuple[str, ...] | None = None) -> pd.DataFrame:
    rows = [r for r in CLASS_ROWS if keep is None or r[1] in keep]
    classes = pd.DataFrame(rows, columns=["code", "key", "sansheng"])
    classes["name_zh"] = classes["key"]
    classes["name_en"] = classes["key"]
    classes["color"] = "#000000"
    return classes


def make_parcels(land_use=BASELINE) -> pd.DataFrame:
    parcels = pd.DataFrame({
        "parcel_id": range(1, 10),
        "region_id": [1, 1, 2, 1, 1, 2, 2, 2, 2],
        "land_use": land_use,
        "area_ha": [1.0] * 8 + [2.0],
        "farmland_grade": pd.array([2, 5, None, None, None, None, 8, None, None],
                                   dtype="Int64"),
        "population": [np.nan, np.nan, np.nan, np.nan, 9999.0, 200.0, np.nan, np.nan, 300.0],
    })
    for column, ids in (("is_basic_farmland", {1, 2, 4}), ("is_red_line", {6, 8, 9}),
                        ("in_urban_boundary", {2, 3})):
        parcels[column] = parcels["parcel_id"].isin(ids)
    return parcels


def make_adjacency() -> pd.DataFrame:
    pairs = [(1, 2), (2, 3), (4, 5), (5, 6), (7, 8), (8, 9),
             (1, 4), (2, 5), (3, 6), (4, 7), (5, 8), (6, 9)]
    return pd.DataFrame([(a, b, 150.0 if (a, b) == (8, 9) else 100.0) for a, b in pairs],
                        columns=["parcel_a", "parcel_b", "shared_m"])


def make_regions(population_r1: float = 2000.0) -> pd.DataFrame:
    return pd.DataFrame({"region_id": [1, 2], "name_zh": ["东区", "西区"],
                         "name_en": ["East", "West"], "population": [population_r1, np.nan]})


def make_coefficients() -> Coefficients:
    factors = pd.DataFrame(0.0, index=pd.Index(["crop_t", "forest_t", "grass_t", "water_t",
                                                "bare_t"], name="esv_type"),
                           columns=list(SERVICE_KEYS))
    factors.loc["crop_t", ["food", "soil_conservation"]] = [2.0, 1.0]
    factors.loc["forest_t", ["climate_regulation", "biodiversity"]] = [10.0, 5.0]
    factors.loc["grass_t", "gas_regulation"] = 4.0
    factors.loc["water_t", "hydrological_regulation"] = 50.0
    factors.loc["bare_t", "aesthetics"] = 1.0
    mapping = pd.DataFrame([("cropland", "crop_t", 1.0), ("forest", "forest_t", 1.0),
                            ("grassland", "grass_t", 1.0), ("water", "water_t", 1.0),
                            ("built", "none", 1.0), ("unused", "bare_t", 1.0)],
                           columns=["class_key", "esv_type", "weight"])
    carbon = pd.DataFrame([[1, 2, 7, 0], [20, 10, 65, 5], [2, 3, 45, 0], [0, 0, 0, 0],
                           [0, 0, 5, 0], [0, 0, 2, 0]], dtype=float,
                          index=[k for _, k, _ in CLASS_ROWS], columns=list(CARBON_POOLS))
    grain = pd.Series([16.0 - g for g in range(1, 16)], index=range(1, 16))
    return Coefficients(esv_factors=factors, esv_mapping=mapping, carbon=carbon,
                        grain_yield=grain, equivalent_value_yuan_per_ha=100.0, default_grade=10)


def run(assignment=ASSIGNMENT, classes=None, regions=None, parcels=None, adjacency=None,
        baseline=None) -> pd.DataFrame:
    return compute_indicators(
        make_parcels() if parcels is None else parcels,
        make_adjacency() if adjacency is None else adjacency,
        make_classes() if classes is None else classes,
        make_regions() if regions is None else regions,
        assignment, coefficients=make_coefficients(), baseline=baseline)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return run()


def get(table: pd.DataFrame, indicator: str, scope: str = "total",
        column: str = "value") -> float:
    """The single value of one (indicator, scope) row."""
    rows = table[(table["indicator"] == indicator) & (table["scope"] == scope)]
    assert len(rows) == 1, f"{indicator}/{scope}: {len(rows)} rows"
    return float(rows[column].iloc[0])


def check(table: pd.DataFrame, indicator: str, expected: dict[str, float],
          column: str = "value") -> None:
    """Assert value (or baseline) of several scopes; NaN expected as ``nan``."""
    for scope, want in expected.items():
        got = get(table, indicator, scope, column)
        if isnan(want):
            assert isnan(got), f"{indicator}/{scope} {column}: {got} != nan"
        else:
            assert got == pytest.approx(want, rel=1e-12, abs=1e-12), (
                f"{indicator}/{scope} {column}: {got} != {want}")


NAN = float("nan")


# -- shape ----------------------------------------------------------------------------------------
def test_table_shape_and_metadata(table):
    assert list(table.columns) == COLUMNS
    assert not table.duplicated(["indicator", "scope_type", "scope"]).any()
    assert set(table["indicator"]) == set(INDICATORS)
    order = table["group"].map(GROUPS.index)
    assert order.is_monotonic_increasing
    assert set(table["scope_type"]) == {"total", "class", "region", "service"}
    both = table.dropna(subset=["value", "baseline"])
    assert np.allclose(both["change"], both["value"] - both["baseline"])
    assert (table["label_zh"].str.len() > 0).all() and (table["label_en"].str.len() > 0).all()
    catalog = indicator_catalog()
    assert list(catalog["key"]) == list(INDICATORS)
    assert catalog.set_index("key").loc["cropland_ha", ["label_zh", "label_en"]].tolist() == [
        "耕地面积", "Cropland"]


def test_baseline_defaults_to_current_use_and_change_is_zero_against_itself():
    same = run(assignment=np.array(BASELINE))
    assert np.allclose(same["change"].dropna(), 0.0)
    explicit = run(baseline=ASSIGNMENT)  # the assignment against itself: nothing is new
    check(explicit, "new_built_ha", {"total": 0.0})
    check(explicit, "changed_area_ha", {"total": 0.0}, column="baseline")
    as_series = run(assignment=pd.Series(ASSIGNMENT, index=range(100, 109)))
    pd.testing.assert_frame_equal(as_series, run())


# -- structure ------------------------------------------------------------------------------------
def test_structure(table):
    # assignment: C {1,4,7} 3 ha, F {3,9} 3 ha, W {8} 1 ha, B {2,5,6} 3 ha
    check(table, "area_ha", {"total": 10, "东区": 4, "西区": 6, "cropland": 3, "forest": 3,
                             "grassland": 0, "water": 1, "built": 3, "unused": 0})
    # baseline: C {1,2,4} 3, F {3,6,9} 4, W {7,8} 2, B {5} 1
    check(table, "area_ha", {"forest": 4, "water": 2, "built": 1}, column="baseline")
    check(table, "area_share_pct", {"cropland": 30, "forest": 30, "water": 10, "built": 30,
                                    "grassland": 0})
    # 三生: production = cropland, living = built, ecological = forest/grassland/water/unused
    check(table, "production_space_pct", {"total": 30, "东区": 50, "西区": 100 / 6})
    check(table, "living_space_pct", {"total": 30, "东区": 50, "西区": 100 / 6})
    check(table, "ecological_space_pct", {"total": 40, "东区": 0, "西区": 400 / 6})
    check(table, "ecological_space_pct", {"total": 60, "西区": 100}, column="baseline")
    # changed: 2 (r1), 6 and 7 (r2)
    check(table, "changed_area_ha", {"total": 3, "东区": 1, "西区": 2})
    check(table, "changed_area_pct", {"total": 30, "东区": 25, "西区": 100 / 3})


def test_transition_matrix_and_table():
    matrix = transition_matrix(make_parcels(), make_classes(), ASSIGNMENT)
    keys = ["cropland", "forest", "grassland", "water", "built", "unused"]
    assert list(matrix.index) == keys and list(matrix.columns) == keys
    expected = pd.DataFrame(0.0, index=keys, columns=keys)
    expected.loc["cropland", "cropland"] = 2   # 1, 4
    expected.loc["cropland", "built"] = 1      # 2
    expected.loc["forest", "forest"] = 3       # 3, 9 (2 ha)
    expected.loc["forest", "built"] = 1        # 6
    expected.loc["water", "cropland"] = 1      # 7
    expected.loc["water", "water"] = 1         # 8
    expected.loc["built", "built"] = 1         # 5
    assert np.array_equal(matrix.to_numpy(), expected.to_numpy())
    tidy = transition_table(make_parcels(), make_classes(), ASSIGNMENT)
    assert list(tidy.columns) == ["from_key", "to_key", "from_code", "to_code", "area_ha",
                                  "n_parcels"]
    got = {(r.from_key, r.to_key): (r.area_ha, r.n_parcels) for r in tidy.itertuples()}
    assert got == {("cropland", "cropland"): (2.0, 2), ("cropland", "built"): (1.0, 1),
                   ("forest", "forest"): (3.0, 2), ("forest", "built"): (1.0, 1),
                   ("water", "cropland"): (1.0, 1), ("water", "water"): (1.0, 1),
                   ("built", "built"): (1.0, 1)}


def test_area_by_region():
    areas = area_by_region(make_parcels(), make_classes(), make_regions(), ASSIGNMENT)
    assert list(areas.index) == ["东区", "西区"]
    assert areas.loc["东区"].tolist() == [2, 0, 0, 0, 2, 0]   # C 1,4; B 2,5
    assert areas.loc["西区"].tolist() == [1, 3, 0, 1, 1, 0]   # C 7; F 3,9; W 8; B 6


# -- food -----------------------------------------------------------------------------------------
def test_food(table):
    check(table, "cropland_ha", {"total": 3, "东区": 2, "西区": 1})
    check(table, "cropland_ha", {"total": 3, "东区": 3, "西区": 0}, column="baseline")
    # basic farmland {1,2,4} (3 ha, all r1); 2 became built → kept 2 ha
    check(table, "basic_farmland_kept_ha", {"total": 2, "东区": 2, "西区": 0})
    check(table, "basic_farmland_kept_pct", {"total": 200 / 3, "东区": 200 / 3, "西区": NAN})
    check(table, "basic_farmland_kept_pct", {"total": 100}, column="baseline")
    # grain: 1 (grade 2) 14 + 4 (NULL → 10) 6 + 7 (grade 8) 8 = 28 t
    check(table, "grain_capacity_t", {"total": 28, "东区": 20, "西区": 8})
    # baseline: 1 → 14, 2 (grade 5) → 11, 4 → 6 = 31 t
    check(table, "grain_capacity_t", {"total": 31, "东区": 31, "西区": 0}, column="baseline")
    check(table, "cropland_mean_grade", {"total": 20 / 3, "东区": 6, "西区": 8})
    check(table, "cropland_mean_grade", {"total": 17 / 3, "西区": NAN}, column="baseline")


# -- ecology --------------------------------------------------------------------------------------
def test_esv(table):
    # C 3 ha × 300 + F 3 × 1500 + W 1 × 5000 = 900 + 4500 + 5000
    check(table, "esv_yuan", {"total": 10400, "东区": 600, "西区": 9800,
                              "cropland": 900, "forest": 4500, "water": 5000, "built": 0,
                              "grassland": 0, "unused": 0})
    # baseline: C 3 × 300 + F 4 × 1500 + W 2 × 5000 = 900 + 6000 + 10000
    check(table, "esv_yuan", {"total": 16900, "东区": 900, "西区": 16000}, column="baseline")
    # by service: food 2 × 3 ha × 100, soil 1 × 3 × 100, climate 10 × 3 × 100, ...
    check(table, "esv_yuan", {"food": 600, "soil_conservation": 300,
                              "climate_regulation": 3000, "biodiversity": 1500,
                              "hydrological_regulation": 5000, "gas_regulation": 0,
                              "aesthetics": 0})
    services = table[(table["indicator"] == "esv_yuan") & (table["scope_type"] == "service")]
    assert len(services) == 11 and services["value"].sum() == pytest.approx(10400)


def test_carbon(table):
    # C 3 ha × 10 + F 3 × 100 + W 0 + B 3 × 5 = 345; r1: C 2 × 10 + B 2 × 5 = 30
    check(table, "carbon_t", {"total": 345, "东区": 30, "西区": 315, "cropland": 30,
                              "forest": 300, "water": 0, "built": 15})
    # baseline: 3 × 10 + 4 × 100 + 1 × 5 = 435
    check(table, "carbon_t", {"total": 435}, column="baseline")
    assert get(table, "carbon_t", column="change") == pytest.approx(-90)


def test_ecological_land_and_red_line(table):
    check(table, "ecological_land_ha", {"total": 4, "东区": 0, "西区": 4})  # F 3,9 + W 8
    # red line {6,8,9} = 4 ha; 6 became built → 8 (1 ha) + 9 (2 ha) = 3 ha still ecological
    check(table, "red_line_ecological_ha", {"total": 3, "东区": 0, "西区": 3})
    check(table, "red_line_ecological_pct", {"total": 75, "东区": NAN, "西区": 75})
    check(table, "red_line_ecological_pct", {"total": 100}, column="baseline")


# -- development ----------------------------------------------------------------------------------
def test_development(table):
    check(table, "population", {"total": 2500, "东区": 2000, "西区": 500})
    check(table, "built_ha", {"total": 3, "东区": 2, "西区": 1})
    check(table, "new_built_ha", {"total": 2, "东区": 1, "西区": 1})     # 2 and 6
    # per capita: r1 20,000 m² / 2000 = 10; r2 10,000 / 500 = 20; all 30,000 / 2500 = 12
    check(table, "built_per_capita_m2", {"total": 12, "东区": 10, "西区": 20})
    check(table, "built_per_capita_m2", {"total": 4, "东区": 5, "西区": 0}, column="baseline")
    # new: 2 inside the boundary, 6 outside → 50 %; r1 100 %, r2 0 %
    check(table, "new_built_in_boundary_pct", {"total": 50, "东区": 100, "西区": 0})
    check(table, "new_built_in_boundary_pct", {"total": NAN}, column="baseline")


def test_population_missing_everywhere_gives_nan_per_capita():
    parcels = make_parcels()
    parcels["population"] = np.nan
    out = run(parcels=parcels, regions=make_regions(population_r1=np.nan))
    check(out, "built_per_capita_m2", {"total": NAN, "东区": NAN, "西区": NAN})
    check(out, "built_per_capita_gini", {"total": NAN})


# -- landscape ------------------------------------------------------------------------------------
def test_landscape_assignment(table):
    # patches: C {1,4,7} 3 ha, B {2,5,6} 3 ha, F {3} 1 ha, F {9} 2 ha, W {8} 1 ha
    check(table, "patch_count", {"total": 5, "cropland": 1, "forest": 2, "water": 1,
                                 "built": 1, "grassland": 0})
    check(table, "patch_density", {"total": 50, "forest": 20, "cropland": 10})
    check(table, "largest_patch_index_pct", {"total": 30, "cropland": 30, "forest": 20,
                                             "water": 10, "grassland": 0})
    check(table, "mean_patch_area_ha", {"total": 2, "forest": 1.5, "cropland": 3,
                                        "grassland": NAN})
    # like edges (1,4) (4,7) (2,5) (5,6) = 400 m; unlike 7 × 100 + 150 = 850 m
    check(table, "edge_density_m_per_ha", {"total": 85, "cropland": 30, "forest": 45,
                                           "water": 35, "built": 60, "grassland": 0})
    # C: 2·200 / (400 + 300); B: 2·200 / (400 + 600); F and W have no like edge
    check(table, "like_adjacency_pct", {"total": 32, "cropland": 400 / 7, "built": 40,
                                        "forest": 0, "water": 0, "grassland": NAN})
    # shares 0.3, 0.3, 0.3, 0.1
    check(table, "shdi", {"total": -(3 * 0.3 * log(0.3) + 0.1 * log(0.1))})


def test_landscape_baseline(table):
    # patches: C {1,2,4}, F {3,6,9} 4 ha, W {7,8}, B {5}; like 500 m, unlike 750 m
    check(table, "patch_count", {"total": 4, "forest": 1}, column="baseline")
    check(table, "largest_patch_index_pct", {"total": 40}, column="baseline")
    check(table, "mean_patch_area_ha", {"total": 2.5}, column="baseline")
    check(table, "edge_density_m_per_ha", {"total": 75}, column="baseline")
    # C: like (1,2) (1,4) → 400 / (400 + 400); total 500 / 1250
    check(table, "like_adjacency_pct", {"total": 40, "cropland": 50}, column="baseline")
    check(table, "shdi", {"total": -(0.3 * log(0.3) + 0.4 * log(0.4) + 0.2 * log(0.2)
                                     + 0.1 * log(0.1))}, column="baseline")


def test_landscape_without_adjacency_and_foreign_edges():
    foreign = pd.DataFrame({"parcel_a": [9], "parcel_b": [42], "shared_m": [500.0]})
    out = run(adjacency=foreign)  # the pair naming parcel 42 (not in the table) is dropped
    check(out, "patch_count", {"total": 9, "forest": 2, "built": 3})
    check(out, "edge_density_m_per_ha", {"total": 0})
    check(out, "like_adjacency_pct", {"total": NAN, "cropland": NAN})


# -- balance --------------------------------------------------------------------------------------
def test_balance(table):
    # built per capita x = (10, 20) m², population shares p = (0.8, 0.2), μ = 12
    # Gini = 2 · 0.8 · 0.2 · 10 / (2 · 12); Theil = 0.8 (10/12) ln(10/12) + 0.2 (20/12) ln(20/12)
    check(table, "built_per_capita_gini", {"total": 3.2 / 24})
    check(table, "built_per_capita_theil", {"total": 2 / 3 * log(5 / 6) + 1 / 3 * log(5 / 3)})
    # baseline x = (5, 0), μ = 4: Gini 1.6 / 8; Theil 0.8 · 1.25 ln 1.25 (+ 0 ln 0 = 0)
    check(table, "built_per_capita_gini", {"total": 0.2}, column="baseline")
    check(table, "built_per_capita_theil", {"total": log(1.25)}, column="baseline")
    # ESV per capita x = (600/2000, 9800/500) = (0.3, 19.6), μ = 10400/2500 = 4.16
    check(table, "esv_per_capita_gini", {"total": 0.32 * 19.3 / 8.32})
    check(table, "esv_per_capita_theil", {"total": 0.8 * 0.3 / 4.16 * log(0.3 / 4.16)
                                          + 0.2 * 19.6 / 4.16 * log(19.6 / 4.16)})


def test_gini_and_theil_by_hand():
    # unweighted [0, 0, 0, 1]: μ = 0.25, Σ_ij |x_i − x_j| = 6, p_i p_j = 1/16 → 6/16 / 0.5
    assert gini(np.array([0.0, 0.0, 0.0, 1.0])) == pytest.approx(0.75)
    assert theil(np.array([0.0, 0.0, 0.0, 1.0])) == pytest.approx(0.25 * 4 * log(4))
    assert gini(np.array([3.0, 3.0]), np.array([1.0, 5.0])) == 0.0
    assert theil(np.array([7.0]), np.array([10.0])) == 0.0
    assert isnan(gini(np.array([0.0, 0.0])))
    assert isnan(theil(np.array([np.nan]), np.array([10.0])))
    # a unit without population is ignored
    assert gini(np.array([1.0, 3.0, 100.0]), np.array([1.0, 1.0, 0.0])) == pytest.approx(0.25)


# -- compliance -----------------------------------------------------------------------------------
def test_compliance(table):
    check(table, "basic_farmland_not_cropland_n", {"total": 1, "东区": 1, "西区": 0})  # 2
    check(table, "basic_farmland_not_cropland_ha", {"total": 1, "东区": 1})
    check(table, "built_in_red_line_n", {"total": 1, "东区": 0, "西区": 1})            # 6
    check(table, "built_in_red_line_ha", {"total": 1})
    check(table, "new_built_outside_boundary_n", {"total": 1, "东区": 0, "西区": 1})   # 6
    check(table, "new_built_outside_boundary_ha", {"total": 1})
    check(table, "built_outside_boundary_n", {"total": 2, "东区": 1, "西区": 1})       # 5, 6
    check(table, "built_outside_boundary_n", {"total": 1}, column="baseline")          # 5
    check(table, "built_outside_boundary_ha", {"total": 2})
    check(table, "cropland_to_built_n", {"total": 1, "东区": 1})                       # 2
    check(table, "cropland_to_built_ha", {"total": 1, "东区": 1, "西区": 0})
    check(table, "cropland_supplemented_ha", {"total": 1, "东区": 0, "西区": 1})       # 7
    # balanced in total (1 − 1), not within r1 (1 − 0); r2 has a surplus, not a deficit
    check(table, "cropland_uncompensated_ha", {"total": 0, "东区": 1, "西区": 0})
    baseline = table[table["group"] == "compliance"]
    nonzero = baseline[baseline["baseline"] != 0]["indicator"].unique().tolist()
    assert nonzero == ["built_outside_boundary_n", "built_outside_boundary_ha"]


# -- edge cases -----------------------------------------------------------------------------------
def test_class_absent_from_class_table():
    out = run(classes=make_classes(keep=("cropland", "forest", "water", "built")))
    classes_seen = set(out.loc[out["scope_type"] == "class", "scope"])
    assert classes_seen == {"cropland", "forest", "water", "built"}
    check(out, "area_ha", {"cropland": 3, "forest": 3, "water": 1, "built": 3})
    check(out, "esv_yuan", {"total": 10400})
    check(out, "patch_count", {"total": 5})


def test_no_cropland_class_at_all():
    keep = ("forest", "water", "built")
    to_forest = {C: F}
    parcels = make_parcels([to_forest.get(c, c) for c in BASELINE])
    assignment = [to_forest.get(c, c) for c in ASSIGNMENT]
    out = run(assignment=assignment, parcels=parcels, classes=make_classes(keep=keep))
    check(out, "cropland_ha", {"total": 0, "东区": 0})
    check(out, "grain_capacity_t", {"total": 0})
    check(out, "cropland_mean_grade", {"total": NAN})
    check(out, "basic_farmland_kept_pct", {"total": 0})           # 3 ha basic, none kept
    check(out, "basic_farmland_not_cropland_n", {"total": 3})
    check(out, "cropland_uncompensated_ha", {"total": 0})
    # 三生: no production class left
    check(out, "production_space_pct", {"total": 0})


def test_one_region():
    parcels = make_parcels()
    parcels["region_id"] = 1
    regions = pd.DataFrame({"region_id": [1], "name_zh": ["全域"], "name_en": ["All"],
                            "population": [2500.0]})
    out = run(parcels=parcels, regions=regions)
    assert set(out.loc[out["scope_type"] == "region", "scope"]) == {"全域"}
    for key in ("cropland_ha", "esv_yuan", "built_ha", "new_built_ha", "carbon_t",
                "cropland_uncompensated_ha", "built_per_capita_m2"):
        assert get(out, key, "全域") == pytest.approx(get(out, key, "total")), key
    check(out, "built_per_capita_m2", {"total": 12})   # 30,000 m² / 2500
    check(out, "built_per_capita_gini", {"total": 0})
    check(out, "built_per_capita_theil", {"total": 0})
    check(out, "esv_per_capita_gini", {"total": 0})


def test_all_parcels_changed_to_built():
    everything_built = np.array([B] * 9)
    everything_built[4] = B  # parcel 5 was already built: the others all change
    out = run(assignment=everything_built)
    check(out, "changed_area_ha", {"total": 9, "东区": 3, "西区": 6})
    check(out, "new_built_ha", {"total": 9})
    check(out, "living_space_pct", {"total": 100, "东区": 100})
    check(out, "cropland_ha", {"total": 0})
    check(out, "basic_farmland_kept_pct", {"total": 0})
    check(out, "esv_yuan", {"total": 0})
    check(out, "carbon_t", {"total": 50})                               # 10 ha × 5
    check(out, "patch_count", {"total": 1, "built": 1, "cropland": 0})
    check(out, "largest_patch_index_pct", {"total": 100, "built": 100})
    check(out, "edge_density_m_per_ha", {"total": 0, "built": 0})
    check(out, "like_adjacency_pct", {"total": 100, "built": 100})
    check(out, "shdi", {"total": 0})
    # new built inside the boundary: 2, 3 (2 ha of 9)
    check(out, "new_built_in_boundary_pct", {"total": 200 / 9})
    check(out, "new_built_outside_boundary_n", {"total": 6})           # 1, 4, 6, 7, 8, 9
    check(out, "new_built_outside_boundary_ha", {"total": 7})
    check(out, "built_in_red_line_n", {"total": 3})
    check(out, "built_in_red_line_ha", {"total": 4})
    check(out, "cropland_uncompensated_ha", {"total": 3, "东区": 3, "西区": 0})
    # built per capita (40,000 / 2000, 60,000 / 500) = (20, 120), μ = 40 → 0.32·100/80
    check(out, "built_per_capita_gini", {"total": 0.4})
    check(out, "red_line_ecological_pct", {"total": 0})


@pytest.mark.parametrize("bad, message", [
    (np.array([C] * 8), "8 entries"),
    (np.array([C] * 8 + [99]), "[99]"),
    (pd.Series([C] * 8 + [None], dtype="Int64"), "missing"),
])
def test_bad_assignment_raises(bad, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        run(assignment=bad)


# -- command line ---------------------------------------------------------------------------------
def test_read_assignment_aligns_by_parcel_id(tmp_path):
    path = tmp_path / "result.csv"
    pd.DataFrame({"parcel_id": [3, 1, 2], "use_after": [5, 1, 2]}).to_csv(path, index=False)
    assert read_assignment(path, np.array([1, 2, 3])).tolist() == [1, 2, 5]
    with pytest.raises(ValueError, match="1 parcels"):
        read_assignment(path, np.array([1, 2, 3, 4]))
    pd.DataFrame({"parcel_id": [1], "use": [5]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match="use_after"):
        read_assignment(path, np.array([1]))


def test_cli_on_demo_store(small_demo_store: Path, tmp_path, capsys):
    out = tmp_path / "indicators.csv"
    assert indicators_cli(str(small_demo_store), None, str(out)) == 0
    monitoring = pd.read_csv(out)
    assert list(monitoring.columns) == COLUMNS
    assert np.allclose(monitoring["change"].dropna(), 0.0)
    import duckdb
    con = duckdb.connect(str(small_demo_store), read_only=True)
    ids = con.cursor().execute("SELECT parcel_id, land_use FROM parcels").df()
    con.close()
    ids["use_after"] = ids["land_use"]
    first = ids["parcel_id"].min()
    ids.loc[ids["parcel_id"] == first, "use_after"] = 5  # one parcel becomes built-up
    result = tmp_path / "result.parquet"
    ids[["parcel_id", "use_after"]].to_parquet(result)
    assert indicators_cli(str(small_demo_store), str(result), None) == 0
    printed = capsys.readouterr().out
    assert "== compliance ==" in printed and "new_built_ha" in printed
    assert indicators_cli(str(tmp_path / "missing.duckdb"), None, None) == 1
    assert "error:" in capsys.readouterr().err


def test_core_imports_no_duckdb_or_streamlit():
    code = ("import sys, data.indicators, data.coefficients; "
            "bad = {'duckdb', 'streamlit'} & set(sys.modules); assert not bad, bad")
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
