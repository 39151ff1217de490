"""The parcel store: schema, atomic writes, adjacency and the reads the solver needs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from data.db import StoreError, connect, query, query_df
from data.grid import grid_adjacency
from data.landscape import load_landscape
from data.store import (
    StoreContent,
    polygon_adjacency,
    read_parcels_gdf,
    write_store,
)


def three_parcels() -> StoreContent:
    """An L of three 100 m squares: a-b share an edge, b-c share an edge, a-c touch a corner only."""
    boxes = [shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100), shapely.box(100, 100, 200, 200)]
    parcels = gpd.GeoDataFrame({"parcel_id": [10, 20, 30], "region_id": [1, 1, 2],
                                "land_use": [1, 5, 2], "is_red_line": [False, False, True]},
                               geometry=boxes, crs="EPSG:32650")
    regions = pd.DataFrame({"region_id": [1, 2], "name_zh": ["甲", "乙"], "name_en": ["A", "B"]})
    return StoreContent(parcels=parcels, regions=regions, meta={"name_en": "tiny"})


def test_polygon_adjacency_shared_lengths_and_no_corner_pairs():
    pairs = polygon_adjacency(three_parcels().parcels).sort_values("parcel_a")
    assert pairs[["parcel_a", "parcel_b"]].values.tolist() == [[10, 20], [20, 30]]
    assert pairs["shared_m"].tolist() == pytest.approx([100.0, 100.0])


def test_grid_adjacency_counts_rook_neighbours():
    rows, cols = np.divmod(np.arange(6), 3)  # a 2 × 3 grid
    pairs = grid_adjacency(np.arange(1, 7), rows, cols, 250.0)
    assert len(pairs) == 7  # 2 rows × 2 horizontal + 3 vertical
    assert (pairs["parcel_a"] < pairs["parcel_b"]).all()
    assert set(pairs["shared_m"]) == {250.0}


def test_write_store_round_trip(tmp_path):
    path = write_store(tmp_path / "tiny.duckdb", three_parcels())
    con = connect(path)
    parcels = query_df(con, "SELECT parcel_id, area_ha, lon, lat, is_red_line FROM parcels ORDER BY 1")
    assert parcels["area_ha"].tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert parcels["is_red_line"].tolist() == [False, False, True]
    assert parcels["lon"].between(110, 120).all() and parcels["lat"].between(0, 2).all()
    assert query(con, "SELECT count(*) FROM suitability") == [(18,)]  # 3 parcels × 6 classes
    assert query(con, "SELECT count(*) FROM adjacency") == [(2,)]
    con.close()
    gdf = read_parcels_gdf(path)
    assert gdf.crs.to_epsg() == 32650 and gdf.geometry.area.sum() == pytest.approx(30_000)


def test_failed_write_leaves_existing_store_untouched(tmp_path):
    path = write_store(tmp_path / "tiny.duckdb", three_parcels())
    before = path.read_bytes()
    broken = three_parcels()
    broken.parcels.loc[0, "land_use"] = 1
    broken.parcels["area_ha"] = [-1.0, 1.0, 1.0]  # violates CHECK (area_ha > 0)
    with pytest.raises(Exception, match="area_ha"):
        write_store(path, broken)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["tiny.duckdb"]  # no temp file left


def test_geographic_crs_is_refused(tmp_path):
    content = three_parcels()
    content.parcels = content.parcels.set_crs(4326, allow_override=True)
    with pytest.raises(ValueError, match="projected"):
        write_store(tmp_path / "x.duckdb", content)


def test_missing_store_message_names_the_fix(tmp_path):
    with pytest.raises(StoreError, match="build-demo"):
        connect(tmp_path / "absent.duckdb")


def test_landscape_matches_store(small_demo_store):
    landscape = load_landscape(small_demo_store)
    landscape.check_shapes()
    con = connect(small_demo_store)
    n, area = query(con, "SELECT count(*), sum(area_ha) FROM parcels")[0]
    n_edges = query(con, "SELECT count(*) FROM adjacency")[0][0]
    con.close()
    assert landscape.n_parcels == n and landscape.area_ha.sum() == pytest.approx(area)
    assert landscape.edges.shape == (n_edges, 2) and (landscape.edges[:, 0] < landscape.edges[:, 1]).all()
    assert landscape.class_keys == ("cropland", "forest", "grassland", "water", "built", "unused")
    assert landscape.n_regions == 8


def test_store_list_leaves_out_scenario_libraries_and_surveys(tmp_path, monkeypatch):
    from data.paths import list_stores

    monkeypatch.setenv("LANDALLOC_STORES", str(tmp_path))
    for name in ("demo.duckdb", "a.duckdb", "demo.library.duckdb", "a.surveys.duckdb"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in list_stores()] == ["demo.duckdb", "a.duckdb"]
