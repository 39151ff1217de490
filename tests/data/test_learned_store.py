"""Learned suitability in the parcel store (issue 13): written into an existing store in one
transaction, read back exactly, refused with a clear message when incomplete or out of range."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data import store
from data.db import StoreError, connect, query
from data.landscape import load_landscape

DESCRIPTION = {"train_start": "wh2003.tif", "train_end": "wh2005.tif", "start_year": 2003,
               "end_year": 2005, "fom": 0.21, "importances": {"dem": 0.4, "pop": 0.6},
               "created_at": "2026-12-03T10:00:00+00:00"}


@pytest.fixture
def county(small_demo_store: Path, tmp_path: Path) -> Path:
    """A private copy of the small demo store (the session store stays untouched)."""
    return Path(shutil.copy(small_demo_store, tmp_path / "county.duckdb"))


def keys(path: Path) -> tuple[np.ndarray, list[int]]:
    con = connect(path)
    try:
        return (store.read_parcels(con)["parcel_id"].to_numpy(),
                store.read_classes(con)["code"].tolist())
    finally:
        con.close()


def tidy(path: Path, seed: int = 0) -> pd.DataFrame:
    """Random scores for every parcel × class, shuffled (the order must not matter)."""
    ids, codes = keys(path)
    rng = np.random.default_rng(seed)
    table = pd.DataFrame({"parcel_id": np.repeat(ids, len(codes)),
                          "land_use": np.tile(codes, len(ids)),
                          "score": np.round(rng.uniform(0, 100, len(ids) * len(codes)), 3)})
    return table.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def stored(path: Path) -> tuple[np.ndarray | None, dict | None, dict[str, str]]:
    ids, codes = keys(path)
    con = connect(path)
    try:
        return (store.read_learned_suitability_matrix(con, ids, codes),
                store.read_learned_description(con), store.read_meta(con))
    finally:
        con.close()


def as_matrix(table: pd.DataFrame, path: Path) -> np.ndarray:
    ids, codes = keys(path)
    return table.pivot(index="parcel_id", columns="land_use", values="score").loc[ids, codes] \
        .to_numpy()


def test_a_store_without_learned_scores_reads_none(county: Path) -> None:
    matrix, description, meta = stored(county)
    assert matrix is None and description is None
    assert "learned_suitability" not in meta
    assert load_landscape(county).learned_suitability is None


def test_scores_and_description_are_read_back_exactly(county: Path) -> None:
    table = tidy(county)
    store.write_learned_suitability(county, table, DESCRIPTION)
    matrix, description, _ = stored(county)
    np.testing.assert_array_equal(matrix, as_matrix(table, county))
    assert description == DESCRIPTION
    assert store.learned_years(description) == (2003, 2005)
    land = load_landscape(county)
    np.testing.assert_array_equal(land.learned_suitability, matrix)
    land.check_shapes()
    rules = load_landscape(county).suitability  # the rule scores are not touched
    con = connect(county)
    try:
        assert query(con, "SELECT count(*) FROM learned_suitability")[0][0] == table.shape[0]
        np.testing.assert_array_equal(rules, store.read_suitability_matrix(
            con, land.parcel_id, list(land.class_codes)))
    finally:
        con.close()


def test_writing_bumps_the_version_and_a_rewrite_replaces(county: Path) -> None:
    before = stored(county)[2]["version"]
    store.write_learned_suitability(county, tidy(county, seed=1), DESCRIPTION)
    first = stored(county)[2]
    assert first["version"] != before and first["rules_version"] == before
    second_table = tidy(county, seed=2)
    store.write_learned_suitability(county, second_table, {**DESCRIPTION, "end_year": 2010})
    matrix, description, second = stored(county)
    assert second["version"] not in (before, first["version"])
    assert second["rules_version"] == before  # always derived from the rule-scored store
    np.testing.assert_array_equal(matrix, as_matrix(second_table, county))
    assert store.learned_years(description) == (2003, 2010)
    # the same scores and description give the same version (a content hash, not a counter)
    store.write_learned_suitability(county, second_table, {**DESCRIPTION, "end_year": 2010})
    assert stored(county)[2]["version"] == second["version"]


def drop_one(table: pd.DataFrame) -> pd.DataFrame:
    return table.iloc[1:]


def unknown_class(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(land_use=table["land_use"].where(table.index != 3, 99))


def with_nan(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(score=table["score"].where(table.index != 5, np.nan))


def over_100(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(score=table["score"].where(table.index != 5, 150.0))


def twice(table: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([table, table.iloc[:1]], ignore_index=True)


def unknown_parcel(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(parcel_id=table["parcel_id"].where(table.index != 2, 987654))


def no_score_column(table: pd.DataFrame) -> pd.DataFrame:
    return table.rename(columns={"score": "probability"})


@pytest.mark.parametrize(("spoil", "message"), [
    (drop_one, r"1 parcel × class pair\(s\) have no score .*exactly one row for every parcel"),
    (unknown_class, r"class code\(s\) not in the store's class table .*\[99\]"),
    (with_nan, r"not a finite number .*score nan"),
    (over_100, r"outside 0\.\.100 .*score 150\.0.*rescale or clip"),
    (twice, r"appear more than once"),
    (unknown_parcel, r"parcel id\(s\) not in the store's parcels: \[987654\]"),
    (no_score_column, r"columns \['score'\] are missing"),
])
def test_bad_tables_are_refused_and_leave_the_store_untouched(county: Path, spoil,
                                                              message: str) -> None:
    good = tidy(county, seed=4)
    store.write_learned_suitability(county, good, DESCRIPTION)
    before_bytes = county.read_bytes()
    with pytest.raises(ValueError, match=message) as refused:
        store.write_learned_suitability(county, spoil(tidy(county, seed=5)), {"end_year": 1})
    assert "Nothing was written" in str(refused.value)
    assert county.read_bytes() == before_bytes
    matrix, description, _ = stored(county)
    np.testing.assert_array_equal(matrix, as_matrix(good, county))
    assert description == DESCRIPTION


def test_a_failure_inside_the_transaction_rolls_everything_back(county: Path,
                                                                monkeypatch) -> None:
    """Fault injection: the meta write fails after the new table is in; nothing changes."""
    good = tidy(county, seed=6)
    store.write_learned_suitability(county, good, DESCRIPTION)
    version = stored(county)[2]["version"]

    def broken(con, meta):
        raise OSError("disk full (injected)")

    monkeypatch.setattr(store, "_set_meta", broken)
    with pytest.raises(OSError, match="injected"):
        store.write_learned_suitability(county, tidy(county, seed=7), {"end_year": 1})
    matrix, description, meta = stored(county)
    np.testing.assert_array_equal(matrix, as_matrix(good, county))
    assert description == DESCRIPTION and meta["version"] == version


def test_first_write_that_fails_leaves_an_old_store_without_the_table(county: Path,
                                                                      monkeypatch) -> None:
    monkeypatch.setattr(store, "_set_meta", lambda con, meta: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        store.write_learned_suitability(county, tidy(county), DESCRIPTION)
    con = connect(county)
    try:
        assert not query(con, "SELECT table_name FROM information_schema.tables "
                              "WHERE table_name = 'learned_suitability'")
    finally:
        con.close()
    assert stored(county)[0] is None


def test_description_must_be_a_json_dict(county: Path) -> None:
    with pytest.raises(ValueError, match="description must be a dict"):
        store.write_learned_suitability(county, tidy(county), ["2003", "2005"])
    with pytest.raises(ValueError, match="cannot be stored as JSON"):
        store.write_learned_suitability(county, tidy(county), {"model": object()})
    # numpy numbers and dates are stored as plain JSON
    store.write_learned_suitability(county, tidy(county), {
        "start_year": np.int64(2003), "end_year": np.int32(2005), "fom": np.float32(0.25),
        "importances": np.array([0.5, 0.5]), "created_at": pd.Timestamp("2026-12-03").date()})
    description = stored(county)[1]
    assert description == {"start_year": 2003, "end_year": 2005, "fom": 0.25,
                           "importances": [0.5, 0.5], "created_at": "2026-12-03"}


def test_missing_store_and_open_store_give_store_errors(county: Path, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="build-demo"):
        store.write_learned_suitability(tmp_path / "absent.duckdb", tidy(county), DESCRIPTION)
    reader = connect(county)  # read-only, as the dashboard holds it
    try:
        with pytest.raises(StoreError, match="open elsewhere"):
            store.write_learned_suitability(county, tidy(county), DESCRIPTION)
    finally:
        reader.close()


@pytest.mark.parametrize(("description", "years"), [
    ({"start_year": 2003, "end_year": 2005}, (2003, 2005)),
    ({"years": [2010, 2015]}, (2010, 2015)),
    ({"train_years": ["2000", "2010"]}, (2000, 2010)),
    ({"training": {"start_year": 2003, "end_year": 2005}}, (2003, 2005)),
    ({"start_year": 2003}, None),
    ({"years": "2003-2005"}, None),
    ({}, None),
    (None, None),
])
def test_learned_years(description, years) -> None:
    assert store.learned_years(description) == years


def test_the_briefing_report_names_the_suitability_source_in_words() -> None:
    from data.report import lever_label, lever_value_text

    assert lever_label("suitability", "source", "zh") == "适宜性来源"
    assert lever_label("suitability", "source", "en") == "Suitability source"
    assert [lever_value_text(v, "zh") for v in ("rules", "learned")] == ["规则评分", "变化学习"]
    assert lever_value_text("learned", "en") == "Learned from change"
