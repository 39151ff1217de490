"""Monitoring on hand-made cases: each violation type, each deviation, each progress state;
surveys read onto grid and polygon stores from rasters and polygons; and every bad input gets
a clear message with nothing stored (the store itself is never written)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from rasterio import features

from data import store
from data.__main__ import main
from data.db import connect
from data.errors import DataImportError
from data.grid import label_polygons
from data.library import load_scenario
from data.monitoring.compare import VIOLATION_TYPES, Plan, monitor, plan_from_saved, traffic_light
from data.monitoring.survey import (
    SurveyLayer,
    import_survey,
    list_surveys,
    load_survey,
    read_survey,
    sidecar_path,
)
from tests.conftest import REPO_ROOT
from tests.monitoring_cases import (
    BASE_YEAR,
    CELL_HA,
    EXPECTED_CELLS,
    EXPECTED_DEVIATIONS,
    PIXEL,
    PLAN_NAME,
    PLAN_YEAR,
    SURVEY_NAME,
    SURVEY_YEAR,
    X0,
    Y0,
    build_case,
    scenario,
    survey_map,
    write_tif,
)


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    return build_case(tmp_path_factory.mktemp("monitoring_case"))


@pytest.fixture(scope="module")
def report(case):
    return monitor(case.db, case.plan(), load_survey(case.db, SURVEY_NAME))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- findings -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", VIOLATION_TYPES)
def test_each_violation_type_finds_exactly_the_planted_cells(case, report, kind):
    rows = report.violations[report.violations["type"] == kind]
    assert set(case.cell_of(rows["parcel_id"])) == EXPECTED_CELLS[kind]
    assert report.totals()[kind]["area_ha"] == pytest.approx(len(EXPECTED_CELLS[kind]) * CELL_HA)


@pytest.mark.parametrize("deviation", sorted(EXPECTED_DEVIATIONS))
def test_each_deviation_is_found_where_planted(case, report, deviation):
    rows = report.parcels[report.parcels["deviation"] == deviation]
    assert set(case.cell_of(rows["parcel_id"])) == EXPECTED_DEVIATIONS[deviation]


def test_connected_suspected_cells_form_one_patch_largest_first(report):
    patches = report.patches
    # basic farmland (3 cells) 1 patch; outside boundary 2 (the 3 and (9,4)); unbalanced 2
    # ((4,7) (4,8) (5,8) and (6,10)); red line 1; no-change 1
    assert patches.groupby("type").size().to_dict() == {
        "basic_farmland": 1, "outside_boundary": 2, "cropland_unbalanced": 2, "red_line": 1,
        "no_change": 1}
    assert patches["area_ha"].is_monotonic_decreasing
    assert patches["patch_id"].tolist() == list(range(1, len(patches) + 1))
    largest = patches.iloc[0]
    assert largest["n_parcels"] == 3 and largest["region_en"] == "East"
    assert (largest["base"], largest["survey"]) == (3, 4)  # cropland → built
    assert report.violations["patch_id"].notna().all()


def test_cropland_ledger_per_region(report):
    ledger = report.regions.set_index("name_en")
    assert ledger.at["East", "cropland_taken_ha"] == pytest.approx(4 * CELL_HA)
    assert ledger.at["East", "cropland_gained_ha"] == pytest.approx(2 * CELL_HA)
    assert ledger.at["East", "cropland_deficit_ha"] == pytest.approx(2 * CELL_HA)
    assert ledger.at["West", "cropland_deficit_ha"] == 0  # 3 taken, 4 gained
    assert ledger.at["East", "red_line_n"] == 0 and ledger.at["West", "red_line_n"] == 2


def test_progress_toward_the_plans_targets(report):
    assert report.elapsed == pytest.approx((SURVEY_YEAR - BASE_YEAR) / (PLAN_YEAR - BASE_YEAR))
    targets = report.progress[report.progress["kind"] == "target"].set_index("key")
    cap = targets.loc["growth.max_new_built_ha"]
    # new construction: 4 cells as planned + 3 on basic farmland + 1 on grassland = 0.72 ha
    assert cap["survey_ha"] == pytest.approx(8 * CELL_HA)
    assert cap["plan_ha"] == pytest.approx(6 * CELL_HA)
    assert (cap["status"], cap["reason"]) == ("red", "cap_exceeded")
    quota = targets.loc["farmland.quota_pct"]  # 85 % of 48 cells, held at base and still
    assert (quota["status"], quota["reason"]) == ("green", "within_limits")
    planned = report.progress[report.progress["kind"] == "plan"]
    west_built = planned[(planned["region_en"] == "West") & (planned["key"] == "plan.built")]
    # West: 4 cells planned, 3 realised (the grassland cell (9,4) is unplanned, also built)
    assert west_built["realised_pct"].iloc[0] == pytest.approx(100.0)
    assert report.regions.set_index("name_en")["status"].isin(["green", "amber", "red"]).all()


@pytest.mark.parametrize(("args", "expected"), [
    # lo, hi, base, plan, survey, elapsed → status, reason
    ((None, 10.0, 5.0, 8.0, 11.0, 0.5), ("red", "cap_exceeded")),
    ((90.0, None, 100.0, 95.0, 80.0, 0.5), ("red", "floor_broken")),
    ((90.0, None, 100.0, 95.0, 97.0, 0.5), ("green", "within_limits")),
    ((None, None, 50.0, 50.0, 50.2, 0.5), ("green", "held")),
    ((None, None, 50.0, 50.0, 60.0, 0.5), ("amber", "unplanned_change")),
    ((None, None, 50.0, 60.0, 45.0, 0.5), ("red", "moving_away")),
    ((None, None, 50.0, 60.0, 51.0, 0.5), ("amber", "behind")),
    ((None, None, 50.0, 60.0, 59.0, 0.3), ("green", "ahead")),
    ((None, None, 50.0, 60.0, 55.0, 0.5), ("green", "on_track")),
    ((20.0, None, 0.0, 20.0, 4.0, 0.5), ("amber", "behind")),  # a target still to reach
])
def test_traffic_light_states(args, expected):
    status, reason, _ = traffic_light(*args, tolerance=0.5)
    assert (status, reason) == expected


def test_a_saved_single_plan_needs_its_years(case):
    saved = load_scenario(case.db, PLAN_NAME)
    ids = np.arange(1, 145)
    with pytest.raises(DataImportError, match="without years") as info:
        plan_from_saved(saved, ids, SURVEY_YEAR)
    assert "--base-year" in info.value.fix
    with pytest.raises(DataImportError, match="not after the base year"):
        plan_from_saved(saved, ids, SURVEY_YEAR, base_year=2030, plan_year=2020)
    with pytest.raises(DataImportError, match="survey year 2019"):
        plan_from_saved(saved, ids, 2019, base_year=2020, plan_year=2030)


# ---- surveys --------------------------------------------------------------------------------

def test_importing_a_survey_leaves_the_store_untouched(tmp_path):
    case = build_case(tmp_path, import_the_survey=False)
    before = _digest(case.db)
    import_survey(case.db, case.survey_tif, case.mapping, SURVEY_YEAR, name="甲")
    assert _digest(case.db) == before
    assert sidecar_path(case.db).exists()
    layer = load_survey(case.db, "甲")
    assert not layer.stale and layer.year == SURVEY_YEAR
    assert (layer.land_use["land_use"] == -1).sum() == 1  # the nodata cell
    assert load_scenario(case.db, PLAN_NAME).stale is False


def test_polygons_on_a_grid_store_read_like_the_raster(case, tmp_path):
    pixels = survey_map().astype(np.int32)
    polygons = label_polygons(pixels, Affine(PIXEL, 0, X0, 0, -PIXEL, Y0))
    frame = gpd.GeoDataFrame({"land_use": list(polygons)}, geometry=list(polygons.values()),
                             crs="EPSG:32649")
    path = tmp_path / "survey.gpkg"
    frame.to_file(path)
    from_polygons, how, _ = read_survey(case.db, path, case.mapping)
    from_raster, _, _ = read_survey(case.db, case.survey_tif, case.mapping)
    assert "polygons" in how
    np.testing.assert_array_equal(from_polygons, from_raster)


def test_survey_on_another_grid_is_refused_with_the_fix(case, tmp_path):
    shifted = write_tif(tmp_path / "shifted.tif", survey_map(),
                        transform=Affine(PIXEL, 0, X0 + 15, 0, -PIXEL, Y0))
    with pytest.raises(DataImportError, match="different grid") as info:
        import_survey(case.db, shifted, case.mapping, 2026, name="shifted")
    assert "gdalwarp" in info.value.fix and "-te" in info.value.fix
    assert "shifted" not in set(list_surveys(case.db)["name"])


def test_survey_codes_the_mapping_does_not_cover_are_named(case, tmp_path):
    pixels = survey_map()
    pixels[5, 5] = 9
    odd = write_tif(tmp_path / "odd.tif", pixels)
    with pytest.raises(DataImportError, match=r"does not cover: 9") as info:
        import_survey(case.db, odd, case.mapping, 2026, name="odd")
    assert "[classes]" in info.value.fix


def test_survey_classes_the_store_does_not_have_are_refused(case, tmp_path):
    """A survey in a richer class system (an 8th class, shrub) cannot be read into the store's
    seven classes without saying where shrub goes."""
    pixels = survey_map()
    pixels[5, 5] = 9
    seven = (REPO_ROOT / "data" / "mappings" / "wuhan_classes.csv").read_text(encoding="utf-8")
    eight = tmp_path / "eight_classes.csv"
    eight.write_text(seven.rstrip("\n") + "\n9,shrub,forest,灌木,Shrub,#7cb342\n",
                     encoding="utf-8")
    mapping = tmp_path / "eight.toml"
    mapping.write_text(f'class_table = "{eight.as_posix()}"\n', encoding="utf-8")
    with pytest.raises(DataImportError, match="classes this store does not have: shrub") as info:
        import_survey(case.db, write_tif(tmp_path / "shrub.tif", pixels), mapping, 2026,
                      name="shrub")
    assert "store's own class keys" in info.value.fix
    assert "shrub" not in set(list_surveys(case.db)["name"])


def test_names_years_and_replacement(case, tmp_path):
    with pytest.raises(DataImportError, match="already has a survey"):
        import_survey(case.db, case.survey_tif, case.mapping, SURVEY_YEAR, name=SURVEY_NAME)
    for year in ("20x5", 1850, 2025.5, None):
        with pytest.raises(DataImportError, match="is not a year"):
            import_survey(case.db, case.survey_tif, case.mapping, year, name="y")
    with pytest.raises(DataImportError, match="not usable"):
        import_survey(case.db, case.survey_tif, case.mapping, 2026, name=" ")
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"II*\x00 not a tiff")
    with pytest.raises(DataImportError, match="cannot read broken.tif"):
        import_survey(case.db, broken, case.mapping, 2026, name=SURVEY_NAME, replace=True)
    assert load_survey(case.db, SURVEY_NAME).year == SURVEY_YEAR  # the failed replace kept it
    with pytest.raises(DataImportError, match="no survey named"):
        load_survey(case.db, "nope")


def test_a_polygon_store_takes_survey_rasters_and_polygons(small_demo_store, tmp_path):
    db = tmp_path / "demo.duckdb"
    shutil.copy(small_demo_store, db)
    con = connect(db)
    try:
        parcels = store.read_parcels(con, with_geometry=True)
        crs = store.read_meta(con)["crs"]
    finally:
        con.close()
    geometry = shapely.from_wkb([bytes(wkb) for wkb in parcels["geom_wkb"]])
    codes = parcels["land_use"].to_numpy().copy()
    other = {c: next(x for x in np.unique(codes) if x != c) for c in np.unique(codes)}
    moved = [3, 40, 411]
    for i in moved:
        codes[i] = other[codes[i]]
    minx, miny, maxx, maxy = shapely.total_bounds(geometry)
    pixel = 100.0
    transform = Affine(pixel, 0, minx, 0, -pixel, maxy)
    shape = (int(np.ceil((maxy - miny) / pixel)), int(np.ceil((maxx - minx) / pixel)))
    raster = features.rasterize(zip(geometry, codes.tolist(), strict=True), out_shape=shape,
                                transform=transform, fill=0, dtype="uint8")
    tif = write_tif(tmp_path / "survey.tif", raster, crs=crs, transform=transform)
    from_raster, how, _ = read_survey(db, tif, None)
    assert "raster" in how
    np.testing.assert_array_equal(from_raster, codes)
    gpkg = tmp_path / "survey.gpkg"
    gpd.GeoDataFrame({"land_use": codes}, geometry=geometry, crs=crs).to_crs(4326).to_file(gpkg)
    from_polygons, how, _ = read_survey(db, gpkg, None)
    assert "polygons" in how
    np.testing.assert_array_equal(from_polygons, codes)
    with rasterio.open(tif) as src:
        profile = src.profile
    wrong_crs = tmp_path / "wgs.tif"
    with rasterio.open(wrong_crs, "w", **{**profile, "crs": "EPSG:3857"}) as dst:
        dst.write(raster, 1)
    with pytest.raises(DataImportError, match="reproject it first"):
        read_survey(db, wrong_crs, None)


def test_a_survey_covering_nothing_is_refused(case, tmp_path):
    frame = gpd.GeoDataFrame({"land_use": [3]}, geometry=[shapely.box(0, 0, 10, 10)],
                             crs="EPSG:32649")
    far = tmp_path / "far.gpkg"
    frame.to_file(far)
    with pytest.raises(DataImportError, match="covers none"):
        read_survey(case.db, far, case.mapping)


# ---- the command line -----------------------------------------------------------------------

def test_monitor_command_with_a_survey_file_stores_nothing(case, tmp_path, capsys):
    summary = tmp_path / "summary.json"
    before = list_surveys(case.db)["name"].tolist()
    code = main(["monitor", "--db", str(case.db), "--scenario", PLAN_NAME,
                 "--survey", str(case.survey_tif), "--mapping", str(case.mapping),
                 "--survey-year", "2025", "--base-year", "2020", "--plan-year", "2030",
                 "--summary", str(summary)])
    assert code == 0, capsys.readouterr().err
    result = json.loads(summary.read_text(encoding="utf-8"))
    assert {k: v["parcels"] for k, v in result["violations"].items()} == {
        k: len(v) for k, v in EXPECTED_CELLS.items()}
    assert result["cropland_deficit_ha"] == pytest.approx(2 * CELL_HA)
    assert list_surveys(case.db)["name"].tolist() == before


@pytest.mark.parametrize(("argv", "message"), [
    (["--scenario", "no such plan", "--survey", SURVEY_NAME, "--base-year", "2020",
      "--plan-year", "2030"], "not a saved scenario"),
    (["--scenario", PLAN_NAME, "--survey", "nope", "--base-year", "2020", "--plan-year",
      "2030"], "neither a stored survey"),
    (["--scenario", PLAN_NAME, "--survey", SURVEY_NAME], "without years"),
    (["--scenario", PLAN_NAME, "--survey", SURVEY_NAME, "--base-year", "2020",
      "--plan-year", "2030", "--out", "x.docx"], "monitoring writes no .docx"),
])
def test_monitor_command_errors_are_clear(case, argv, message, capsys, tmp_path,
                                          monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(["monitor", "--db", str(case.db), *argv])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: ") and "Traceback" not in err
    assert message in err


def test_a_plan_built_directly_matches_the_saved_one(case, report):
    saved = load_scenario(case.db, PLAN_NAME)
    ids = report.parcels["parcel_id"].to_numpy()
    from_library = plan_from_saved(saved, ids, SURVEY_YEAR, BASE_YEAR, PLAN_YEAR)
    direct = Plan(PLAN_NAME, scenario(), case.plan().codes, BASE_YEAR, PLAN_YEAR)
    np.testing.assert_array_equal(from_library.codes, direct.codes)
    layer = load_survey(case.db, SURVEY_NAME)
    again = monitor(case.db, from_library, SurveyLayer(
        name=layer.name, year=layer.year, source=layer.source, imported_at="",
        store_version=layer.store_version, current_store_version=layer.current_store_version,
        land_use=layer.land_use))
    assert again.totals() == report.totals()
    # the plan's indicators as saved with it equal those computed afresh
    assert from_library.indicators is not None
    pd.testing.assert_frame_equal(again.indicators, report.indicators)
    crop = report.indicators.set_index("indicator").loc["cropland_ha"]
    assert (crop["base"], crop["plan"], crop["survey"]) == pytest.approx(
        (48 * CELL_HA, 42 * CELL_HA, 47 * CELL_HA))


def test_progress_covers_the_plans_demand_table_per_region(case):
    """Demand rows (规划指标表) are targets like any lever: per region, with their limits."""
    from solver.scenario import Scenario

    levers = Scenario.from_dict({
        "name": "with_demand", "farmland": {"quota_pct": 85.0},
        "demand": {"rows": [
            {"class": "built", "region": "东区", "target_ha": 12 * CELL_HA + 2 * CELL_HA},
            {"class": "耕地", "region": "西区", "min_ha": 20 * CELL_HA},
            {"class": "deciduous_forest", "max_pct": 100.0}]}})
    plan = Plan("demand plan", levers, case.plan().codes, BASE_YEAR, PLAN_YEAR)
    progress = monitor(case.db, plan, load_survey(case.db, SURVEY_NAME)).progress
    demand = progress[progress["key"].str.startswith("demand.")].set_index("region_en")
    east = demand.loc["East"]
    # East built: 12 cells at base, 14 planned, survey 12 + (4,7) (4,8) (5,8) (6,10) = 16
    assert (east["base_ha"], east["plan_ha"], east["survey_ha"]) == pytest.approx(
        (12 * CELL_HA, 14 * CELL_HA, 16 * CELL_HA))
    assert (east["status"], east["reason"]) == ("red", "cap_exceeded")
    west = demand.loc["West"]  # West cropland 24 at base, floor 20, survey 24 − 3 + 4 = 25
    assert west["survey_ha"] == pytest.approx(25 * CELL_HA)
    assert (west["status"], west["reason"]) == ("green", "within_limits")
    forest = demand.loc[""]  # whole area: forest may not grow; the survey lost 3 cells of it
    assert forest["survey_ha"] == pytest.approx(forest["base_ha"] - 3 * CELL_HA)
    assert (forest["status"], forest["reason"]) == ("green", "within_limits")
    assert "落叶林" in forest["label_zh"] and "Deciduous" in forest["label_en"]


def test_a_period_plan_is_held_against_the_period_the_survey_falls_in(case):
    """Base 2020, 近期 2024, 远期 2030: a 2025 survey is held against 远期, whose targets and
    uses apply, with the share elapsed measured from the base year."""
    from data.library import save_period_plan
    from solver.periods import PeriodScenario

    toml = """
name = "phased"
base_year = 2020
[farmland]
quota_pct = 85.0
[[periods]]
name = "近期"
year = 2024
[periods.growth]
max_new_built_ha = 0.3
[[periods]]
name = "远期"
year = 2030
[periods.growth]
max_new_built_ha = 0.9
"""
    PeriodScenario.from_toml(toml)  # the text is a valid period plan
    final = case.plan().codes
    ids = load_survey(case.db, SURVEY_NAME).land_use["parcel_id"].to_numpy()
    con = connect(case.db)
    try:
        first = store.read_parcels(con)["land_use"].to_numpy()
    finally:
        con.close()
    uses = pd.concat([pd.DataFrame({"period": p, "parcel_id": ids, "land_use": codes})
                      for p, codes in ((0, first), (1, final))])
    save_period_plan(case.db, "分期规划", toml, "", {"status": "FEASIBLE"}, uses,
                     load_scenario(case.db, PLAN_NAME).indicators)
    saved = load_scenario(case.db, "分期规划")
    plan = plan_from_saved(saved, ids, SURVEY_YEAR)
    assert (plan.period, plan.base_year, plan.plan_year) == ("远期", 2020, 2030)
    np.testing.assert_array_equal(plan.codes, final)
    report = monitor(case.db, plan, load_survey(case.db, SURVEY_NAME))
    assert report.plan_period == "远期" and report.elapsed == pytest.approx(0.5)
    cap = report.progress.set_index("key").loc["growth.max_new_built_ha"]
    assert cap["hi_ha"] == pytest.approx(0.9)  # 远期's cap, not 近期's
    assert (cap["status"], cap["reason"]) == ("green", "within_limits")
    early = plan_from_saved(saved, ids, 2023)
    assert (early.period, early.plan_year) == ("近期", 2024)
    np.testing.assert_array_equal(early.codes, first)
