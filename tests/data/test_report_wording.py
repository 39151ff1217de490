"""The briefing report through the export CLI: the saved name in its title, lever labels not
TOML keys, what the solve actually did, one unit system per language, English townships."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from data import library
from data.__main__ import main
from data.exports import read_store_tables
from data.indicators import compute_indicators
from data.report import stop_reason
from tests.dashboard.test_compare import tiny_store

PRESET = Path(__file__).resolve().parents[2] / "data" / "presets" / "balanced.toml"
NAME = "耕地优先 方案B"
# stopped at 3.6 s of a 10 s limit because the proven gap met the 1 % target
SUMMARY = {"status": "FEASIBLE", "objective": 3.2, "best_bound": 3.22, "gap": 0.008,
           "wall_time_s": 3.6, "message": "time limit reached", "message_zh": "达到时间上限"}


@pytest.fixture(scope="module")
def saved_store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report_wording")
    store = tiny_store(folder)
    tables = read_store_tables(store, geometry=False, wgs84=False)
    codes = tables.parcels["land_use"].to_numpy().copy()
    codes[::17] = tables.classes["code"].iloc[4]  # some parcels change use
    indicators = compute_indicators(tables.parcels, tables.adjacency, tables.classes,
                                    tables.regions, codes)
    library.save_scenario(store, NAME, PRESET.read_text(encoding="utf-8"), "balanced", SUMMARY,
                          pd.DataFrame({"parcel_id": tables.parcel_ids, "land_use": codes}),
                          indicators)
    return store


def report(store: Path, lang: str, tmp_path: Path) -> str:
    out = tmp_path / f"brief_{lang}.html"
    assert main(["export", "--db", str(store), "--saved", NAME, "--out", str(out),
                 "--lang", lang]) == 0
    return out.read_text(encoding="utf-8")


def visible(html_text: str) -> str:
    """The text a reader sees (tags, the style sheet and SVG path data dropped)."""
    text = re.sub(r"<style>.*?</style>", "", html_text, flags=re.S)
    return re.sub(r"<[^>]+>", " ", text)


def test_chinese_report_names_the_scenario_labels_levers_and_uses_one_unit_system(
        saved_store, tmp_path):
    text = report(saved_store, "zh", tmp_path)
    title = re.search(r"<title>(.*?)</title>", text).group(1)
    assert NAME in title and "balanced" not in title
    seen = visible(text)
    assert "起始预设: 协调发展" in seen
    assert "耕地保有量（占现状 %）" in seen and "新增建设用地下限（公顷）" in seen
    assert not re.search(r"\bquota_pct\b|\bmin_new_built_ha\b|\btime_limit_s\b", seen)
    assert "达到时间上限" not in seen and "达到目标差距 1 %" in seen and "3.6 秒" in seen
    assert "亿元/年" in seen and "万元" not in seen and "yuan" not in seen
    assert "公顷" in seen and not re.search(r"\bha\b", seen)


def test_english_report_reads_in_english_with_english_townships(saved_store, tmp_path):
    text = report(saved_store, "en", tmp_path)
    seen = visible(text)
    assert NAME in re.search(r"<title>(.*?)</title>", text).group(1)
    assert "Starting preset: Balanced development" in seen
    assert "Farmland quota (% of current)" in seen and "quota_pct" not in seen
    assert "stopped at the 1 % gap target after 3.6 s (limit 10 s)" in seen
    assert "CNY 100 million/yr" in seen and "万元" not in seen and "M yuan" not in seen
    tables = read_store_tables(saved_store, geometry=False, wgs84=False)
    assert all(en in seen for en in tables.regions["name_en"])
    # Chinese left on the English page: the scenario's own name only
    assert re.findall(r"[\u4e00-\u9fff]+", seen.replace(NAME, "")) == []


@pytest.mark.parametrize(("facts", "reason"), [
    (("OPTIMAL", 0.0, 1.5, 1.0, 10.0), "optimal"),
    (("FEASIBLE", 0.008, 3.6, 1.0, 10.0), "gap_target"),
    (("FEASIBLE", 0.05, 9.9, 1.0, 10.0), "time_limit"),
    (("FEASIBLE", 0.05, 3.6, 1.0, 10.0), "stopped"),
    (("FEASIBLE", 2.04, 10.2, None, None), "stopped"),
    (("INFEASIBLE", None, 0.5, 1.0, 10.0), "INFEASIBLE"),
])
def test_stop_reason_from_the_facts(facts, reason):
    assert stop_reason(*facts) == reason


def test_an_unsaved_scenario_is_titled_by_its_preset_name_not_its_key():
    from data.report import ReportData, report_title_name

    def data(name):
        return ReportData(name=name, meta={}, classes=pd.DataFrame(), geometry=None, before=None,
                          after=None, indicators=pd.DataFrame(), transitions=pd.DataFrame(),
                          summary={}, levers=pd.DataFrame(), preset="balanced",
                          preset_names={"zh": "协调发展", "en": "Balanced development"})

    assert report_title_name(data("balanced"), "zh") == "协调发展"
    assert report_title_name(data("balanced"), "en") == "Balanced development"
    assert report_title_name(data(NAME), "en") == NAME
