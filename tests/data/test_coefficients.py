"""The shipped coefficient files, their loader, overrides and error messages."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.coefficients import (
    DEFAULT_DIR,
    FILES,
    SERVICE_KEYS,
    CoefficientError,
    Coefficients,
    load_coefficients,
)

KEYS = ["cropland", "forest", "grassland", "water", "built", "unused"]
D = 1498.58

# Per-type totals of Xie et al. 2015 as given in docs (DOMAIN.md).
XIE_TOTALS = {
    "dry_farmland": 4.01, "paddy": 3.89, "coniferous": 17.53, "mixed_forest": 23.09,
    "broadleaf": 22.95, "shrub": 15.22, "steppe": 5.07, "shrub_grass": 19.69, "meadow": 11.43,
    "wetland": 52.02, "desert": 1.10, "bare": 0.20, "water": 125.61, "glacier": 10.27,
}


@pytest.fixture(scope="module")
def shipped() -> Coefficients:
    return load_coefficients()


@pytest.fixture
def own_dir(tmp_path) -> Path:
    """A user directory: a copy of the shipped files to break one at a time."""
    for file in FILES.values():
        shutil.copy(DEFAULT_DIR / file, tmp_path / file)
    return tmp_path


def test_esv_table_is_the_full_14_by_11_and_rows_sum_to_the_published_totals(shipped):
    factors = shipped.esv_factors
    assert list(factors.index) == list(XIE_TOTALS)
    per_service = factors[list(SERVICE_KEYS)]
    assert per_service.shape == (14, 11)
    sums = per_service.sum(axis=1).round(2)
    assert sums.to_dict() == XIE_TOTALS
    raw = pd.read_csv(DEFAULT_DIR / FILES["esv_factors"])
    assert raw["total"].tolist() == list(XIE_TOTALS.values())
    assert raw["source"].str.contains("Xie Gaodi et al. 2015").all()


def test_equivalent_value_is_the_published_national_example(shipped):
    assert shipped.equivalent_value_yuan_per_ha == D
    assert round(4600.89 * 2.28 / 7, 2) == D


def test_esv_per_ha_of_the_default_mapping(shipped):
    # cropland = (4.01 + 3.89) / 2 = 3.95 eq; forest = (17.53 + 23.09 + 22.95) / 3 = 21.19;
    # grassland = (19.69 + 11.43) / 2 = 15.56; water 125.61; built 0; unused (bare) 0.20
    expected = np.array([3.95, 21.19, 15.56, 125.61, 0.0, 0.20]) * D
    assert np.allclose(shipped.esv_per_ha(KEYS), expected, rtol=1e-12)
    assert np.allclose(shipped.esv_per_ha(["water", "cropland"]), expected[[3, 0]])
    by_service = shipped.esv_service_per_ha(KEYS)
    assert by_service.shape == (6, 11)
    assert np.allclose(by_service.sum(axis=1), expected)
    # cropland food = (0.85 + 1.36) / 2 × D
    assert by_service[0, 0] == pytest.approx(1.105 * D)


def test_carbon_and_grain_of_the_shipped_tables(shipped):
    # pools summed: cropland 5+1+90+0, forest 40+10+120+3, grassland 3+8+90+1, water 0,
    # built 1+0+20+0, unused 0.5+0.5+20+0
    assert shipped.carbon_per_ha(KEYS).tolist() == [96.0, 173.0, 102.0, 0.0, 21.0, 21.0]
    assert shipped.carbon_pools_per_ha(["forest"]).tolist() == [[40.0, 10.0, 120.0, 3.0]]
    # 10.5 − 0.5 (grade − 1); unknown (NaN, 0, 16, 2.5) → default grade 10 → 6.0
    grades = np.array([1, 15, 0, np.nan, 16, 2.5, 10])
    assert shipped.grain_t_per_ha(grades).tolist() == [10.5, 3.5, 6.0, 6.0, 6.0, 6.0, 6.0]
    assert shipped.effective_grade(np.array([3, 0])).tolist() == [3.0, 10.0]
    nullable = pd.array([2, None], dtype="Int64")
    assert shipped.grain_t_per_ha(nullable).tolist() == [10.0, 6.0]


def test_sources_name_every_file_with_source_and_units(shipped):
    sources = shipped.sources()
    assert list(sources.columns) == ["file", "source", "units"]
    assert sorted(sources["file"]) == sorted(FILES.values())
    assert (sources["source"].str.len() > 10).all() and (sources["units"].str.len() > 3).all()
    carbon = sources.set_index("file").loc["carbon.csv", "source"]
    assert "illustrative" in carbon


def test_every_shipped_file_has_a_source_column():
    for file in FILES.values():
        table = pd.read_csv(DEFAULT_DIR / file)
        assert "source" in table.columns and table["source"].notna().all(), file


def test_overrides(shipped):
    edited = load_coefficients(equivalent_value_yuan_per_ha=100.0, grain_yield={3: 20.0},
                               carbon={"built": {"c_soil": 0.0}},
                               esv_mapping={"cropland": {"paddy": 1.0}})
    assert edited.equivalent_value_yuan_per_ha == 100.0
    assert edited.grain_t_per_ha(np.array([3, 4])).tolist() == [20.0, 9.0]
    assert edited.carbon_per_ha(["built", "forest"]).tolist() == [1.0, 173.0]
    assert edited.esv_per_ha(["cropland"])[0] == pytest.approx(389.0)     # 3.89 × 100
    assert edited.esv_per_ha(["forest"])[0] == pytest.approx(2119.0)      # 21.19 × 100
    assert "overridden" in edited.sources().set_index("file").loc["parameters.csv", "source"]
    # the loaded object is untouched
    assert shipped.equivalent_value_yuan_per_ha == D
    assert shipped.replace(default_grade=1).grain_t_per_ha(np.array([0]))[0] == 10.5
    with pytest.raises(TypeError, match="unknown coefficient override"):
        load_coefficients(price=3.0)
    with pytest.raises(CoefficientError, match="must be > 0"):
        load_coefficients(equivalent_value_yuan_per_ha=0)
    with pytest.raises(CoefficientError, match="default_farmland_grade 99"):
        load_coefficients(default_grade=99)
    with pytest.raises(CoefficientError, match="unknown pool"):
        load_coefficients(carbon={"built": {"c_roots": 1.0}})


def test_unknown_class_key_is_named(shipped):
    with pytest.raises(CoefficientError, match=r"esv_class_mapping.csv.*\['orchard'\]"):
        shipped.esv_per_ha(["cropland", "orchard"])
    with pytest.raises(CoefficientError, match=r"carbon.csv.*\['orchard'\]"):
        shipped.carbon_per_ha(["orchard"])


def test_own_directory_is_read(own_dir):
    params = pd.read_csv(own_dir / "parameters.csv")
    params.loc[params["key"] == "equivalent_value_yuan_per_ha", "value"] = 2000.0
    params.to_csv(own_dir / "parameters.csv", index=False)
    assert load_coefficients(own_dir).esv_per_ha(["water"])[0] == pytest.approx(125.61 * 2000)


def _edit(path: Path, column: str, row: int, value) -> None:
    table = pd.read_csv(path)
    table[column] = table[column].astype(object)
    table.loc[row, column] = value
    table.to_csv(path, index=False)


@pytest.mark.parametrize("file, action, message", [
    ("carbon.csv", "delete", r"carbon.csv: coefficient file is missing"),
    ("carbon.csv", ("drop", "c_soil"), r"carbon.csv: missing column 'c_soil'"),
    ("grain_yield.csv", ("set", "yield_t_per_ha", 2, "lots"),
     r"grain_yield.csv: column 'yield_t_per_ha' has a non-numeric value 'lots' \(line 4\)"),
    ("esv_xie2015.csv", ("set", "food", 0, 9.0), r"per-service values of \['dry_farmland'\]"),
    ("esv_class_mapping.csv", ("set", "esv_type", 0, "jungle"), r"has \['jungle'\]"),
    ("carbon.csv", ("set", "c_above", 1, -3.0), r"carbon.csv: column 'c_above' must be"),
    ("grain_yield.csv", ("set", "grade", 0, 10), r"grain_yield.csv: duplicate grade"),
    ("parameters.csv", ("set", "key", 1, "other"), r"no row with key 'default_farmland_grade'"),
    ("esv_class_mapping.csv", ("set", "weight", 9, ""), r"empty value in column 'weight'"),
])
def test_malformed_files_name_file_and_column(own_dir, file, action, message):
    path = own_dir / file
    if action == "delete":
        path.unlink()
    elif action[0] == "drop":
        pd.read_csv(path).drop(columns=[action[1]]).to_csv(path, index=False)
    else:
        _edit(path, *action[1:])
    with pytest.raises(CoefficientError, match=message):
        load_coefficients(own_dir)
