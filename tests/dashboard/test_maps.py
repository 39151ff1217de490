"""Pure map builders: rings, colours, layers and a deck that requests no basemap."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely

from dashboard.components import maps


def test_hex_to_rgba():
    assert maps.hex_to_rgba("#f2d16b") == [242, 209, 107, 255]
    assert maps.hex_to_rgba("1e88e5", 128) == [30, 136, 229, 128]


def test_polygon_rings_split_multipolygons_and_keep_owner():
    square = shapely.box(0, 0, 1, 1)
    two = shapely.MultiPolygon([shapely.box(2, 0, 3, 1), shapely.box(4, 0, 5, 1)])
    rings, owner = maps.polygon_rings(np.array([square, two]))
    assert owner.tolist() == [0, 1, 1]
    assert len(rings) == 3 and all(len(r) == 4 for r in rings)  # closing point dropped


def test_parcel_frame_drops_wkb_and_adds_polygon():
    box = shapely.box(114, 30, 114.0123456, 30.01)
    parcels = pd.DataFrame({"parcel_id": [7], "land_use": [1], "geom_wgs84_wkb": [shapely.to_wkb(box)]})
    frame = maps.parcel_frame(parcels)
    assert list(frame.columns) == ["parcel_id", "land_use", "polygon"]
    assert frame.loc[0, "polygon"][0] == [114.01235, 30.0]  # rounded to ≈ 1 m


def test_color_column_uses_class_colours_and_grey_for_unknown():
    colors = maps.color_column(np.array([1, 5, 99]), {1: [1, 1, 1, 255], 5: [5, 5, 5, 255]})
    assert colors == [[1, 1, 1, 255], [5, 5, 5, 255], [128, 128, 128, 255]]


def test_zone_rings_dissolve_adjacent_cells():
    cells = np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])
    rings = maps.zone_rings(cells)
    assert len(rings) == 1 and shapely.Polygon(rings[0]).area == pytest.approx(2.0)
    assert maps.zone_rings(np.array([])) == []


def test_deck_has_no_basemap_and_sends_only_needed_columns():
    frame = pd.DataFrame({"polygon": [[[0, 0], [1, 0], [1, 1], [0, 0]]], "parcel_id": [3],
                          "region": ["甲"], "area_ha": [6.25], "lon": [0.5], "lat": [0.5],
                          "secret_column": ["not sent"]})
    layer = maps.landuse_layer(frame, [[1, 2, 3, 255]], "landuse", {"after": ["耕地"]})
    deck = maps.build_deck([layer], maps.view_state(frame["lon"], frame["lat"]), "{parcel_id}")
    assert "\n" not in deck.to_json()  # compact: pydeck's indentation would triple the payload
    spec = json.loads(deck.to_json())
    # No provider and no style URL: Streamlit drops the pydeck sentinel and loads no tiles.
    assert spec.get("mapProvider") is None and spec.get("mapStyle") in (None, "__MAP_STYLE__")
    assert "carto" not in deck.to_json() and "mapbox" not in deck.to_json()
    payload = json.dumps(spec["layers"][0])
    assert "secret_column" not in payload and "after" in payload
    assert spec["layers"][0]["@@type"] == "PolygonLayer"


def test_view_state_centres_on_the_parcels():
    view = maps.view_state(pd.Series([114.0, 114.4]), pd.Series([30.0, 30.3]))
    assert view.longitude == pytest.approx(114.2) and view.latitude == pytest.approx(30.15)
    assert 8 <= view.zoom <= 12


def test_layer_without_tooltips_sends_only_rings_and_colours():
    frame = pd.DataFrame({"polygon": [[[0, 0], [1, 0], [1, 1]]], "parcel_id": [3], "region": ["甲"]})
    layer = maps.landuse_layer(frame, [[1, 2, 3, 255]], "current", {"after": ["耕地"]},
                               tooltips=False)
    spec = json.loads(maps.build_deck([layer], maps.view_state([0.0], [0.0]), None).to_json())
    assert set(spec["layers"][0]["data"][0]) == {"polygon", "fill"}
    assert spec["layers"][0]["pickable"] is False
