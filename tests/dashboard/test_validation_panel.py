"""The data page's change validation section: its readers and formatters on a real report.

The report comes from a real ``python -m data validate-change`` run on 150 × 150 pixel crops of
the Wuhan maps (30 m cells: 22,500), written to a temporary store folder's ``validation/``; the
broken, foreign and incomplete reports are edits of that real file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window
from streamlit.testing.v1 import AppTest

from dashboard.components import validation as val
from data.__main__ import main as data_cli
from data.change.scores import AGREEMENT_CODES
from tests.conftest import REPO_ROOT, require_wuhan
from wording import translate

#: Central Wuhan, where a third of the pixels change class in both periods.
WINDOW = Window(col_off=1200, row_off=1200, width=150, height=150)
CROPPED = ("LULCs/wh2003_refy.tif", "LULCs/wh2005_refy.tif", "LULCs/wh2010_refy.tif",
           "WaterWuhan.tif", "DriveFactors/wh_df_dem.tif")
PIXEL_HA = 0.09  # 30 m × 30 m
APP = str(REPO_ROOT / "dashboard" / "app.py")


def wuhan_run(test):
    """Marks a test that reads the real run (1–3 min of learning on 2 cores, once a session)."""
    return pytest.mark.slow(pytest.mark.wuhan(test))


def zh(key: str, **values: object) -> str:
    return translate(key, "zh", **values)


def en(key: str, **values: object) -> str:
    return translate(key, "en", **values)


def crop(source: Path, target: Path, window: Window = WINDOW) -> None:
    """A window of a GeoTIFF as a GeoTIFF of its own (same CRS, shifted transform)."""
    with rasterio.open(source) as src:
        profile = {**src.profile, "width": window.width, "height": window.height,
                   "transform": src.window_transform(window), "tiled": False}
        for key in ("blockxsize", "blockysize"):
            profile.pop(key, None)
        with rasterio.open(target, "w", **profile) as dst:
            dst.write(src.read(window=window))


def run_validation(stores: Path) -> Path:
    """Crop the Wuhan maps into ``stores/maps`` and run validate-change at 30 m; the report
    goes to ``stores/validation/wuhan_crop/score.json``, its maps beside it."""
    wuhan = require_wuhan()
    maps = stores / "maps"
    maps.mkdir(parents=True, exist_ok=True)
    for name in CROPPED:
        crop(wuhan / name, maps / Path(name).name)
    out = stores / "validation" / "wuhan_crop" / "score.json"
    code = data_cli([
        "validate-change", "--train-start", str(maps / "wh2003_refy.tif"),
        "--train-end", str(maps / "wh2005_refy.tif"), "--start", str(maps / "wh2005_refy.tif"),
        "--end", str(maps / "wh2010_refy.tif"),
        "--mapping", str(REPO_ROOT / "data" / "mappings" / "wuhan.toml"),
        "--no-change", str(maps / "WaterWuhan.tif"), "--driver", f"dem={maps / 'wh_df_dem.tif'}",
        "--cell-size", "30", "--time-limit", "120", "--out", str(out),
        "--map", str(out.parent / "allocated.tif")])
    assert code == 0 and out.exists()
    return out


def shared_run(tmp_path_factory) -> Path:
    """A folder whose ``validation/`` holds the report of one validate-change run per test
    session (these tests and the browser test read it; those that break it take a copy)."""
    folder = tmp_path_factory.getbasetemp() / "validation_crop_run"
    if not (folder / "validation" / "wuhan_crop" / "score.json").exists():  # written last
        run_validation(folder)
    return folder


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> Path:
    """A folder whose ``validation/`` holds one real report."""
    return shared_run(tmp_path_factory)


@pytest.fixture(scope="module")
def report(stores) -> val.Report:
    folder = stores / "validation"
    return val.load_report(folder / "wuhan_crop" / "score.json", folder)


@pytest.fixture
def copy(stores, tmp_path):
    """A fresh copy of the real report folder, to break."""
    target = tmp_path / "validation" / "run"
    shutil.copytree(stores / "validation" / "wuhan_crop", target)
    return target


# ---- reading -------------------------------------------------------------------------------

@wuhan_run
def test_the_real_report_is_found_and_labelled_by_its_maps(stores, report):
    found, problems = val.find_reports(stores / "validation")
    assert problems == [] and [r.path for r in found] == [report.path]
    assert report.name == str(Path("wuhan_crop") / "score.json")
    assert val.report_label(report, zh) == "wh2003→wh2005 学习 · wh2005→wh2010 验证 · 30 m"
    assert val.report_label(report, en) == "learned wh2003→wh2005 · validated wh2005→wh2010 · 30 m"


def test_no_folder_means_no_reports(tmp_path):
    assert val.find_reports(tmp_path / "validation") == ([], [])


@pytest.mark.parametrize("names, short", [
    (["wh2003_refy.tif", "wh2005_refy.tif"], ["wh2003", "wh2005"]),
    (["lc2000.tif", "lc2010.tif"], ["lc2000", "lc2010"]),    # a shared "0" is no suffix
    (["a_x.tif", "b_x.tif"], ["a", "b"]),
    (["_x.tif", "b_x.tif"], ["_x", "b_x"]),                  # nothing would be left of one
])
def test_map_names_drop_a_shared_suffix_after_a_separator(names, short):
    assert val.map_names(names) == short


@wuhan_run
def test_a_broken_json_is_a_clear_message_in_both_languages(copy):
    path = copy / "score.json"
    path.write_text(path.read_text(encoding="utf-8")[:300], encoding="utf-8")  # cut short
    found, problems = val.find_reports(copy.parent)
    assert found == [] and len(problems) == 1
    error = problems[0]
    assert error.key == "val_err_json"
    message = error.message(zh)
    assert message.startswith("「run/score.json」不是有效的 JSON（第 ") and "validate-change" in message
    assert error.message(en).startswith("“run/score.json” is not valid JSON (line ")


@wuhan_run
def test_another_format_and_a_missing_field_are_named(copy):
    path = copy / "score.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**data, "format": "something-else/2"}), encoding="utf-8")
    with pytest.raises(val.ReportError) as caught:
        val.load_report(path, copy.parent)
    assert caught.value.message(en) == ("“run/score.json” is not a change validation report "
                                        "(format something-else/2, expected "
                                        "landalloc-change-validation/1).")
    del data["scores"]["nearest"]["fom"]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(val.ReportError) as caught:
        val.load_report(path, copy.parent)
    assert "scores.nearest.fom" in caught.value.message(zh)
    data["scores"]["nearest"]["fom"] = "high"  # not a number
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(val.ReportError, match="val_err_field"):
        val.load_report(path, copy.parent)
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(val.ReportError, match="val_err_format"):
        val.load_report(path, copy.parent)


@wuhan_run
def test_a_changed_file_is_read_again(copy):
    path = copy / "score.json"
    first = val.cached_report(path, copy.parent)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["grain"]["cell_m"] = 60.0
    path.write_text(json.dumps(data), encoding="utf-8")
    assert first.data["grain"]["cell_m"] == 30.0
    assert val.cached_report(path, copy.parent).data["grain"]["cell_m"] == 60.0


@wuhan_run
def test_a_missing_map_file_is_a_clear_message(copy):
    report = val.load_report(copy / "score.json", copy.parent)
    path = report.map_path("agreement")
    path.unlink()
    with pytest.raises(val.ReportError) as caught:
        val.cached_map(path)
    assert caught.value.message(zh).startswith("找不到地图文件「allocated.agreement.tif」")


# ---- numbers -------------------------------------------------------------------------------

@wuhan_run
def test_tiles_show_the_learned_fom_the_best_baseline_and_the_margin(report):
    data = report.data
    best = data["best_baseline"]
    tiles = {tile.label: tile for tile in val.kpi_tiles(report, zh)}
    assert tiles["学习模型 FoM"].value == f"{100 * data['scores']['learned']['fom']:.1f} %"
    best_label = f"最佳基线 FoM（{zh(f'val_model_{best}')}）"
    assert tiles[best_label].value == f"{100 * data['scores'][best]['fom']:.1f} %"
    assert tiles["领先最佳基线（百分点）"].value == f"{100 * data['margin_over_best_baseline']:+.1f}"
    assert tiles["Kappa（学习模型）"].value == f"{data['scores']['learned']['kappa']:.3f}"
    assert tiles["禁止转换区被改变"].value == "0 公顷"  # the water mask is respected
    assert tiles["禁止转换区被改变"].delta == "应为 0：符合"
    assert tiles["配置求解"].value in ("最优", "可行")
    assert tiles["配置求解"].delta == f"{data['allocation']['seconds']:.1f} s"
    assert [tile.label for tile in val.kpi_tiles(report, en)][0] == "FoM of the learned model"


@wuhan_run
def test_the_learned_model_beats_the_null_model_on_the_crop(report):
    scores = report.data["scores"]
    assert scores["null"]["fom"] == 0 and scores["learned"]["fom"] > 0
    assert report.data["grain"]["restricted_cells"] > 0  # the crop holds locked water


@wuhan_run
def test_the_table_has_the_four_models_with_their_scores(report):
    table = val.score_table(report, zh)
    assert table["model"].tolist() == ["学习模型", "不变（零模型）", "随机", "最近同类"]
    for row, model in zip(table.itertuples(), val.MODELS, strict=True):
        s = report.scores(model)
        assert row.fom == pytest.approx(100 * s["fom"])
        assert row.hits == round(s["hits"]) and row.false_alarms == round(s["false_alarms"])
        assert row.kappa == s["kappa"] and row.restricted == 0
        assert row.quantity == pytest.approx(100 * s["quantity_disagreement"])
    assert val.score_table(report, en)["model"].iloc[1] == "No change (null model)"
    assert set(val.score_columns(zh)) == set(table.columns)


@wuhan_run
def test_training_figures_are_labelled(report):
    table = val.training_table(report, zh)
    training = report.data["model"]["training"]
    shown = dict(zip(table["measure"], table["value"], strict=True))
    assert shown["训练单元"] == f"{training['rows']:,}"
    assert shown["准确率"] == f"{100 * training['accuracy']:.1f} %"


@wuhan_run
def test_drivers_are_named_in_words_top_eight_per_class(report):
    legend = val.class_legend(report, val.find_mapping(report))
    assert legend["name_zh"].tolist() == ["草地", "落叶林", "耕地", "城镇用地", "裸地", "水域", "常绿林"]
    names = dict(zip(legend["key"], legend["name_zh"], strict=True))
    frame = val.importance_frame(report, names, zh)
    assert frame.groupby("class_key").size().max() <= val.TOP_DRIVERS
    built = frame[frame["class_key"] == "built"]
    assert built["share"].is_monotonic_decreasing
    assert val.feature_label("dist_built_m", names, 30.0, zh) == "到城镇用地的距离"
    assert val.feature_label("share_deciduous_forest_r8", names, 30.0, zh) == "240 m 内落叶林占比"
    assert val.feature_label("share_built_r3", {"built": "Built"}, 1000.0, en) == \
        "Share of Built within 3 km"
    assert val.feature_label("dem", names, 30.0, zh) == "高程"
    assert val.feature_label("mystery", names, 30.0, zh) == "mystery"
    chart = val.importance_chart(built, {"share": "贡献占比", "driver": "驱动因子"}, "#d84315")
    assert chart.to_dict()["encoding"]["y"]["sort"] == "-x"


@wuhan_run
def test_a_report_whose_mapping_is_unknown_keeps_its_class_keys(copy):
    path = copy / "score.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["inputs"]["mapping"] = "nowhere.toml"
    path.write_text(json.dumps(data), encoding="utf-8")
    report = val.load_report(path, copy.parent)
    assert val.find_mapping(report) is None
    legend = val.class_legend(report)
    assert legend["name_en"].tolist()[:3] == ["grassland", "deciduous_forest", "cropland"]


# ---- maps ----------------------------------------------------------------------------------

@wuhan_run
def test_the_agreement_map_matches_the_scores(report):
    image = val.read_map(report.map_path("agreement"))
    assert image.stride == 1 and image.values.shape == (150, 150)
    indices = val.agreement_indices(image.values)
    counts = np.bincount(indices.ravel(), minlength=6)
    learned = report.scores("learned")
    for name, field in (("hit", "hits"), ("miss", "misses"), ("wrong_hit", "wrong_hits"),
                        ("false_alarm", "false_alarms"), ("persistence", "correct_persistence")):
        assert counts[AGREEMENT_CODES[name]] * PIXEL_HA == pytest.approx(learned[field], abs=0.01)
    lon, lat = np.array(image.corners).T
    assert 113.5 < lon.min() < lon.max() < 115 and 29.5 < lat.min() < lat.max() < 31
    palette = val.agreement_palette()
    assert palette[0][3] == 0 and len(set(palette[1:])) == 5  # five distinct colours


@wuhan_run
def test_a_large_map_is_read_with_a_stride(report):
    image = val.read_map(report.map_path("agreement"), max_px=40)
    assert image.stride == 4 and image.values.shape == (38, 38)
    full = val.read_map(report.map_path("agreement"))
    assert np.array_equal(image.values, full.values[::4, ::4])
    # the image spans its 38 × 4 = 152 source pixels: a little beyond the 150 of the raster
    assert image.corners[2][0] > full.corners[2][0]


@wuhan_run
def test_the_allocated_map_is_drawn_in_class_colours(report):
    mapping = val.find_mapping(report)
    legend = val.class_legend(report, mapping)
    image = val.read_map(report.map_path("allocated"))
    keys = val.raster_code_keys(report, mapping, image.values)
    values, palette = val.class_indices(image, legend, keys)
    assert values.max() <= len(legend) and len(palette) == len(legend) + 2
    built = legend.index[legend["key"] == "built"][0] + 1
    assert palette[built][:3] == (0xd8, 0x43, 0x15)
    assert (values == built).any()
    legend_rows = val.agreement_legend(report, zh)
    assert legend_rows["name_zh"].iloc[1].startswith("命中 ")
    html = val.legend_html(legend_rows, "zh")
    assert html.count("white-space:nowrap") == 5 and "#2e9e44" in html
    hostile = legend.assign(name_en=["<b>x</b>", *legend["name_en"][1:]], color="red;x")
    html = val.legend_html(hostile, "en")
    assert "<b>" not in html and "&lt;b&gt;" in html and "red;x" not in html


# ---- the page ------------------------------------------------------------------------------

def open_data_page(stores: Path, monkeypatch, lang: str = "zh") -> AppTest:
    monkeypatch.setenv("LANDALLOC_STORES", str(stores))
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["lang"] = lang
    at.query_params["preset"] = "growth"
    at.run()
    return at.switch_page("views/data.py").run()


@pytest.fixture(scope="module")
def page_stores(stores, tmp_path_factory) -> Path:
    """The report folder beside a small demo store, and a broken report next to it."""
    from data.demo import build_demo

    folder = tmp_path_factory.mktemp("validation_page")
    build_demo(folder / "demo.duckdb", rows=30, cols=40, cell_m=500.0)
    shutil.copytree(stores / "validation", folder / "validation")
    broken = folder / "validation" / "broken" / "score.json"
    broken.parent.mkdir()
    broken.write_text('{"format": "landalloc-change-validation/1", "scores": {', encoding="utf-8")
    return folder


@wuhan_run
def test_the_data_page_shows_the_section_and_words_the_broken_report(page_stores, monkeypatch):
    at = open_data_page(page_stores, monkeypatch)
    assert not at.exception
    assert "变化验证" in [h.value for h in at.subheader]
    assert at.selectbox(key="val_report").value == 0
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["学习模型 FoM"].endswith(" %") and metrics["禁止转换区被改变"] == "0 公顷"
    warning = "\n".join(w.value for w in at.warning)
    assert "「broken/score.json」不是有效的 JSON" in warning
    charts = at.get("deck_gl_json_chart")
    assert len(charts) >= 3  # the store map, the agreement map and the allocated map


@wuhan_run
def test_the_data_page_in_english(page_stores, monkeypatch):
    at = open_data_page(page_stores, monkeypatch, lang="en")
    assert not at.exception
    assert "Change validation" in [h.value for h in at.subheader]
    assert "FoM of the learned model" in [m.label for m in at.metric]
    assert "is not valid JSON" in "\n".join(w.value for w in at.warning)


def test_without_reports_the_page_shows_the_command(tmp_path, monkeypatch):
    from data.demo import build_demo

    build_demo(tmp_path / "demo.duckdb", rows=30, cols=40, cell_m=500.0)
    at = open_data_page(tmp_path, monkeypatch)
    assert not at.exception
    assert any(str(tmp_path / "validation") in i.value for i in at.info)
    assert any("validate-change" in c.value for c in at.code)
