"""Exports: every file is re-opened with geopandas/pandas/openpyxl and holds the allocation."""

from __future__ import annotations

import shutil
import time
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely

from data import exports, library
from data.__main__ import main
from data.demo import build_demo
from data.exports import ExportBundle, ExportError, export, read_store_tables
from data.indicators import GROUPS, compute_indicators
from data.report import render_report, report_data

PRESET = Path(__file__).resolve().parents[2] / "data" / "presets" / "balanced.toml"
NAME = '方案<b>A</b> & "co"'
HOSTILE_TOML = ('name = "x"\n[farmland]\nquota_pct = 95.0\n'
                'region_quota_pct = { "<script>alert(1)</script>" = 90.0 }\n')
SUMMARY = {"status": "FEASIBLE", "objective": 3.2, "best_bound": 3.5, "gap": 0.0857,
           "wall_time_s": 12.3, "message": "stopped at <time> limit",
           "message_zh": "达到时间上限"}


@pytest.fixture
def store(small_demo_store: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(small_demo_store, tmp_path / "county.duckdb"))


@pytest.fixture
def tables(store: Path) -> exports.StoreTables:
    return read_store_tables(store)


def changed_codes(tables: exports.StoreTables, every: int = 37) -> np.ndarray:
    """Current land use with every ``every``-th parcel moved to another class."""
    codes = tables.parcels["land_use"].to_numpy().copy()
    codes[::every] = codes[::every] % 6 + 1
    return codes


@pytest.fixture
def bundle(store: Path, tables: exports.StoreTables) -> ExportBundle:
    codes = changed_codes(tables)
    return ExportBundle(store_path=store, name=NAME,
                        assignment=pd.DataFrame({"parcel_id": tables.parcel_ids,
                                                 "land_use": codes}),
                        scenario_toml=PRESET.read_text(encoding="utf-8"), preset="balanced",
                        summary=SUMMARY)


def check_allocation(frame: pd.DataFrame, tables: exports.StoreTables, bundle: ExportBundle
                     ) -> None:
    """The exported rows hold the bundle's allocation, the store's flags, areas and classes."""
    frame = frame.sort_values("parcel_id").reset_index(drop=True)
    parcels = tables.parcels
    expected = bundle.assignment.sort_values("parcel_id")["land_use"].to_numpy()
    assert len(frame) == len(parcels)
    np.testing.assert_array_equal(frame["parcel_id"], parcels["parcel_id"])
    np.testing.assert_array_equal(frame["use_after"], expected)
    np.testing.assert_array_equal(frame["use_before"], parcels["land_use"])
    np.testing.assert_array_equal(frame["changed"].astype(bool), expected != parcels["land_use"])
    for column in exports.FLAG_COLUMNS:
        np.testing.assert_array_equal(frame[column].astype(bool), parcels[column].astype(bool))
    np.testing.assert_allclose(frame["area_ha"], parcels["area_ha"])
    keys = tables.classes.set_index("code")
    assert list(frame["use_after_key"]) == list(keys.loc[expected, "key"])
    assert list(frame["use_after_zh"]) == list(keys.loc[expected, "name_zh"])
    assert list(frame["use_before_en"]) == list(keys.loc[parcels["land_use"], "name_en"])
    regions = tables.regions.set_index("region_id")["name_zh"]
    assert list(frame["region_zh"]) == list(regions.loc[parcels["region_id"]])


# -- allocation -------------------------------------------------------------------------------
def test_geopackage_round_trip(bundle, tables, tmp_path):
    path = export(bundle, tmp_path / "out.gpkg", tables=tables)
    frame = gpd.read_file(path, layer="allocation")
    check_allocation(frame, tables, bundle)
    assert frame.crs == tables.crs
    np.testing.assert_allclose(frame.geometry.area / 10_000, frame["area_ha"], rtol=1e-6)
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary files left behind


def test_geoparquet_round_trip(bundle, tables, tmp_path):
    path = export(bundle, tmp_path / "out.parquet", tables=tables)
    assert b"geo" in pq.read_schema(path).metadata  # GeoParquet metadata
    frame = gpd.read_parquet(path)
    check_allocation(frame, tables, bundle)
    assert frame.crs == tables.crs
    np.testing.assert_allclose(frame.geometry.area / 10_000, frame["area_ha"], rtol=1e-6)


def test_csv_round_trip_with_and_without_wkt(bundle, tables, tmp_path):
    plain = pd.read_csv(export(bundle, tmp_path / "plain.csv", tables=tables))
    assert "geometry" not in plain.columns and "geometry_wkt" not in plain.columns
    check_allocation(plain, tables, bundle)
    with_wkt = pd.read_csv(export(bundle, tmp_path / "wkt.csv", tables=tables, wkt=True))
    check_allocation(with_wkt, tables, bundle)
    areas = shapely.area(shapely.from_wkt(with_wkt["geometry_wkt"].to_numpy())) / 10_000
    np.testing.assert_allclose(areas, with_wkt["area_ha"], rtol=1e-6)


def test_allocation_from_a_solver_result_file(store, tables, tmp_path):
    codes = changed_codes(tables, every=11)
    result = tmp_path / "result.csv"
    pd.DataFrame({"parcel_id": tables.parcel_ids[::-1], "use_after": codes[::-1],
                  "use_before": tables.parcels["land_use"][::-1]}).to_csv(result, index=False)
    bundle = ExportBundle.from_files(store, result, PRESET)
    assert bundle.name == "协调发展" and bundle.preset == "balanced"
    frame = gpd.read_file(export(bundle, tmp_path / "out.gpkg", tables=tables))
    check_allocation(frame, tables, bundle)


def test_assignment_that_does_not_fit_the_store_is_refused(bundle, tables, tmp_path):
    partial = ExportBundle(store_path=bundle.store_path, name="x",
                           assignment=bundle.assignment.iloc[10:])
    with pytest.raises(ExportError, match="10 of its parcels have no land use"):
        export(partial, tmp_path / "x.gpkg", tables=tables)
    unknown = ExportBundle(store_path=bundle.store_path, name="x",
                           assignment=bundle.assignment.assign(land_use=42))
    with pytest.raises(ExportError, match="class codes"):
        export(unknown, tmp_path / "x.gpkg", tables=tables)
    with pytest.raises(ExportError, match="cannot export to '.pdf'"):
        export(bundle, tmp_path / "x.pdf", tables=tables)
    with pytest.raises(ExportError, match="indicators cannot be written as .gpkg"):
        export(bundle, tmp_path / "x.gpkg", kind="indicators", tables=tables)
    assert not list(tmp_path.glob("x*")) and not list(tmp_path.glob(".x*"))


# -- indicators -------------------------------------------------------------------------------
def expected_indicators(tables: exports.StoreTables, bundle: ExportBundle) -> pd.DataFrame:
    codes = exports.aligned_codes(tables, bundle.assignment)
    return compute_indicators(tables.parcels, tables.adjacency, tables.classes, tables.regions,
                              codes)


def test_indicator_csv_round_trip(bundle, tables, tmp_path):
    path = export(bundle, tmp_path / "ind.csv", kind="indicators", tables=tables)
    back = pd.read_csv(path, keep_default_na=False, na_values=[""])
    expected = expected_indicators(tables, bundle)
    assert list(back.columns) == list(expected.columns)
    assert list(back["indicator"]) == list(expected["indicator"])
    assert list(back["label_zh"]) == list(expected["label_zh"])  # Chinese survives the BOM
    for column in ("value", "baseline", "change"):
        np.testing.assert_allclose(back[column], expected[column], rtol=1e-9, equal_nan=True)


def test_excel_has_a_sheet_per_group_and_the_levers(bundle, tables, tmp_path):
    path = export(bundle, tmp_path / "ind.xlsx", tables=tables)
    expected = expected_indicators(tables, bundle)
    names = openpyxl.load_workbook(path, read_only=True).sheetnames
    assert names == ["summary", "levers", *GROUPS, "transitions"]
    sheets = pd.read_excel(path, sheet_name=None)
    for group in GROUPS:
        part = expected[expected["group"] == group]
        got = sheets[group]
        assert list(got["indicator"]) == list(part["indicator"])
        np.testing.assert_allclose(got["value"], part["value"], rtol=1e-9, equal_nan=True)
    levers = sheets["levers"]
    quota = levers[(levers["section"] == "farmland") & (levers["key"] == "quota_pct")]
    assert float(quota["value"].iloc[0]) == 100.0  # balanced.toml
    summary = dict(zip(sheets["summary"]["key"], sheets["summary"]["value"], strict=True))
    assert summary["scenario"] == NAME and summary["status"] == "FEASIBLE"
    transitions = sheets["transitions"].set_index("from")
    assert transitions.to_numpy().sum() == pytest.approx(tables.parcels["area_ha"].sum())


def test_levers_table_flattens_sections_and_region_tables():
    table = exports.levers_table(HOSTILE_TOML + '[conversion]\nforbidden = [["forest", "built"]]\n')
    rows = {(r.section, r.key): r.value for r in table.itertuples()}
    assert rows[("farmland", "quota_pct")] == 95.0
    assert rows[("farmland", "region_quota_pct.<script>alert(1)</script>")] == 90.0
    assert rows[("conversion", "forbidden")] == '[["forest", "built"]]'
    with pytest.raises(ExportError, match="cannot be parsed"):
        exports.levers_table("this is = = not toml")


# -- briefing report --------------------------------------------------------------------------
class _Tags(HTMLParser):
    """Counts tags and collects text and external references of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, int] = {}
        self.refs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.refs += [v for k, v in attrs if k in ("src", "href") and v]

    def handle_data(self, data):
        self.text.append(data)


def parse(html_text: str) -> _Tags:
    parser = _Tags()
    parser.feed(html_text)
    return parser


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_is_self_contained_escaped_and_complete(bundle, tables, tmp_path, lang):
    hostile = ExportBundle(**{**bundle.__dict__, "scenario_toml": HOSTILE_TOML})
    path = export(hostile, tmp_path / f"brief_{lang}.html", lang=lang, tables=tables)
    text = path.read_text(encoding="utf-8")
    tags = parse(text)
    assert tags.tags.get("script", 0) == 0 and tags.refs == []  # nothing to fetch or run
    assert "<b>A</b>" not in text and "方案&lt;b&gt;A&lt;/b&gt;" in text
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)" in text
    assert tags.tags["svg"] >= 5  # two maps and three charts
    body = "".join(tags.text)
    for color in tables.classes["color"]:
        assert f'fill="{color}"' in text  # every class drawn with its colour
    if lang == "zh":
        assert "合成数据" in body and "耕地面积" in body and "最优性差距" in body
    else:
        assert "synthetic" in body and "Cropland" in body and "Optimality gap" in body
    assert "8.57 %" in body  # the solver's gap
    if lang == "zh":  # what happened, from the facts; levers by their labels, not TOML keys
        assert "可行解（未证明最优）：用时 12.3 秒停止" in body and "耕地保有量（占现状 %）" in body
    else:
        assert "stopped after 12.3 s" in body and "Farmland quota (% of current)" in body
    assert "quota_pct" not in body and "达到时间上限" not in body


def test_report_maps_show_every_parcel_once(bundle, tables):
    codes = exports.aligned_codes(tables, bundle.assignment)
    indicators = expected_indicators(tables, bundle)
    transitions = exports.transition_matrix(tables.parcels, tables.classes, codes)
    data = report_data(bundle, tables, codes, indicators, transitions)
    html_text = render_report(data, "en")
    # Each parcel is one closed ring per map (grid cells have no holes), plus the outlines.
    n_changed = int((codes != tables.parcels["land_use"].to_numpy()).sum())
    assert html_text.count("Z") >= 2 * len(codes) + n_changed


def test_report_of_the_full_demo_is_small(demo_store, tmp_path):
    store = Path(shutil.copy(demo_store, tmp_path / "demo.duckdb"))
    tables = read_store_tables(store)
    codes = changed_codes(tables, every=23)
    bundle = ExportBundle(store_path=store, name="full demo",
                          assignment=pd.DataFrame({"parcel_id": tables.parcel_ids,
                                                   "land_use": codes}), summary=SUMMARY)
    started = time.perf_counter()
    path = export(bundle, tmp_path / "full.html", tables=tables)
    elapsed = time.perf_counter() - started
    assert len(tables.parcels) == 18_000
    assert path.stat().st_size < 5_000_000
    print(f"briefing report of 18,000 parcels in {elapsed:.1f} s")  # speed: a benchmark's job


def test_report_of_a_stale_saved_scenario_warns(store, tables, tmp_path):
    codes = changed_codes(tables)
    indicators = compute_indicators(tables.parcels, tables.adjacency, tables.classes,
                                    tables.regions, codes)
    library.save_scenario(store, "old", PRESET.read_text(encoding="utf-8"), "balanced", SUMMARY,
                          pd.DataFrame({"parcel_id": tables.parcel_ids, "land_use": codes}),
                          indicators)
    build_demo(store, rows=30, cols=40, cell_m=500.0, seed=5)  # the store changes under it
    saved = library.load_scenario(store, name="old")
    assert saved.stale
    bundle = ExportBundle.from_saved(store, saved)
    text = export(bundle, tmp_path / "stale.html", lang="en").read_text(encoding="utf-8")
    assert "changed after this scenario was saved" in text and saved.store_version in text
    frame = gpd.read_parquet(export(bundle, tmp_path / "stale.parquet"))
    np.testing.assert_array_equal(frame.sort_values("parcel_id")["use_after"], codes)


def test_export_bytes_for_download_buttons(bundle, tables):
    data = exports.export_bytes(bundle, ".xlsx", tables=tables)
    assert data[:2] == b"PK"  # a zip container
    assert exports.export_bytes(bundle, ".html", tables=tables).startswith(b"<!DOCTYPE html>")


# -- command line -----------------------------------------------------------------------------
def test_cli_exports_a_result_file_and_a_saved_scenario(store, tables, tmp_path, capsys):
    codes = changed_codes(tables, every=13)
    result = tmp_path / "result.parquet"
    pd.DataFrame({"parcel_id": tables.parcel_ids, "use_after": codes}).to_parquet(result)
    for suffix in (".gpkg", ".parquet", ".csv", ".xlsx", ".html"):
        out = tmp_path / f"cli{suffix}"
        assert main(["export", "--db", str(store), "--assignment", str(result), "--scenario",
                     str(PRESET), "--out", str(out), "--lang", "en"]) == 0
        assert out.stat().st_size > 0
    frame = gpd.read_file(tmp_path / "cli.gpkg")
    np.testing.assert_array_equal(frame.sort_values("parcel_id")["use_after"], codes)

    indicators = compute_indicators(tables.parcels, tables.adjacency, tables.classes,
                                    tables.regions, codes)
    library.save_scenario(store, "方案B", "", "", SUMMARY,
                          pd.DataFrame({"parcel_id": tables.parcel_ids, "land_use": codes}),
                          indicators)
    out = tmp_path / "saved.csv"
    assert main(["export", "--db", str(store), "--saved", "方案B", "--out", str(out)]) == 0
    np.testing.assert_array_equal(pd.read_csv(out)["use_after"], codes)
    assert main(["scenarios", "list", "--db", str(store)]) == 0
    assert "方案B" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "message"), [
    (["--saved", "nope", "--out", "x.gpkg"], "no saved scenario named 'nope'"),
    (["--assignment", "missing.parquet", "--out", "x.gpkg"], "does not exist"),
    (["--assignment", "RESULT", "--out", "x.pdf"], "cannot export to '.pdf'"),
    (["--assignment", "PARTIAL", "--out", "x.gpkg"], "have no land use"),
    (["--assignment", "RESULT", "--out", "x.html", "--scenario", "BADTOML"], "cannot be parsed"),
])
def test_cli_errors_exit_1_with_a_message(store, tables, tmp_path, capsys, monkeypatch, args,
                                          message):
    monkeypatch.chdir(tmp_path)
    full = pd.DataFrame({"parcel_id": tables.parcel_ids,
                         "use_after": tables.parcels["land_use"]})
    full.to_parquet("result.parquet")
    full.iloc[5:].to_parquet("partial.parquet")
    Path("bad.toml").write_text("this = = not toml", encoding="utf-8")
    files = {"RESULT": "result.parquet", "PARTIAL": "partial.parquet", "BADTOML": "bad.toml"}
    args = [files.get(a, a) for a in args]
    assert main(["export", "--db", str(store), *args]) == 1
    assert message in capsys.readouterr().err
    assert not list(tmp_path.glob("x.*"))
