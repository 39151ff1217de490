"""Pure parts of the projector layout: progress text, fitted map views, legends, labels."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import shapely

from dashboard import i18n
from dashboard.components import charts, grid_maps, maps, results, solving
from solver import ProgressEvent


def t(key: str, **values: object) -> str:
    return i18n.translate(key, "zh", **values)


def event(phase: str, incumbent: float | None, bound: float | None) -> ProgressEvent:
    return ProgressEvent(phase, 1.0, incumbent, bound, None, 10.0)


def test_progress_keeps_the_best_incumbent_after_a_bound_only_event():
    events = [event("flow", 8.0, 9.0), event("compact", 8.4, 8.6), event("lp", None, 8.5)]
    text = solving.progress_text(events, 3.0, 10.0, t)
    assert "当前最优 8.4" in text and "≤ 1.20 %" in text and "3.0 / 10 秒" in text


def test_progress_says_when_the_limit_is_passed_and_before_any_incumbent():
    assert "时限 10 秒已到" in solving.progress_text([], 12.5, 10.0, t)
    text = solving.progress_text([event("lp", None, 9.0)], 1.0, 10.0, t)
    assert "正在寻找第一个可行方案" in text and "9.0" in text


def test_fitted_view_height_follows_the_extent_without_a_band():
    _, wide = maps.fitted_view([114.0, 114.4], [30.0, 30.2], 420, 340)
    _, square = maps.fitted_view([114.0, 114.4], [30.0, 30.35], 420, 340)
    assert 220 < wide < 300 < square == 340  # a flat county gets a flat map; a tall one the cap


def test_text_layer_sends_the_names_characters_as_text():
    frame = pd.DataFrame({"lon": [114.0], "lat": [30.0], "label": ["城关镇"]})
    spec = json.loads(maps.build_deck([maps.text_layer(frame, "names")],
                                      maps.view_state([114.0], [30.0]), None).to_json())
    layer = spec["layers"][0]
    assert set(layer["characterSet"]) == set("城关镇")  # not an "@@=" expression
    assert not layer["fontFamily"].startswith("@@")


def test_region_labels_sit_inside_the_largest_part():
    ring = [[0, 0], [4, 0], [4, 4], [0, 4]]
    frame = pd.DataFrame({"polygon": [ring, [[10, 10], [10.1, 10], [10.1, 10.1]]],
                          "name_zh": ["甲", "甲"]})
    labels = maps.region_labels(frame, "name_zh")
    assert len(labels) == 1 and 0 < labels["lon"][0] < 4 and 0 < labels["lat"][0] < 4


def test_map_legend_explains_the_lines_and_escapes_names():
    classes = pd.DataFrame({"code": [1], "name_zh": ["<b>耕地</b>"], "name_en": ["c"],
                            "color": ["#ffcc00"]})
    html = results.map_legend_html(classes, "zh", [("红线 <i>", [200, 0, 0, 255])])
    assert "&lt;b&gt;耕地" in html and "rgb(200,0,0)" in html and "<i>" not in html


def test_category_axes_keep_every_label():
    frame = results.change_frame(pd.DataFrame({
        "indicator": ["shdi"], "scope_type": ["total"], "value": [1.0], "baseline": [2.0],
        "change": [-1.0], "unit": ["-"], "label_zh": ["香农多样性指数 SHDI"],
        "label_en": ["SHDI"]}), "zh")
    axis = charts.change_chart(frame, {"change_pct": "%"}).to_dict()["encoding"]["y"]["axis"]
    assert axis["labelOverlap"] is False and axis["labelLimit"] == 0


def test_polygon_canvas_paints_each_parcel_where_it_lies():
    boxes = np.array([shapely.box(114.0, 30.0, 114.01, 30.01),
                      shapely.box(114.01, 30.0, 114.02, 30.01)])
    canvas = grid_maps.polygon_canvas(boxes, max_px=200)
    assert canvas.size[0] == 200
    left, right = canvas.pixel_parcel[:, :90], canvas.pixel_parcel[:, 110:]
    assert (left == 0).all() and (right == 1).all()
