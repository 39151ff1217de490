"""Province scale on the scenario page: browsing a store's maps by region, and the solve by
blocks on a real Dask cluster (分区并行求解).

Real stores only: the module's demo county (60 × 75 cells of 500 m in 8 townships, drawn as
polygons) and a tiny grid store of two districts (a written GeoTIFF imported at 90 m with a
written district file), each in its own store folder. The distributed solve starts a real
local cluster once (about 4 s); the cluster error comes from a real bad scheduler address.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from data.importers.raster import import_raster
from tests.conftest import REPO_ROOT
from tests.dashboard import grid_store as gs

APP = str(REPO_ROOT / "dashboard" / "app.py")
TIMEOUT = 300  # a distributed solve starts a cluster: generous on 2 busy cores
GROWTH = {"preset": "growth"}
GRID_FEASIBLE = {"preset": "growth", "growth.min_new_built_ha": "5"}


# ---- stores ----------------------------------------------------------------------------------

def write_districts(folder) -> str:
    """Two districts splitting the tiny grid at its middle column of pixels (西区 | 东区)."""
    middle = gs.X0 + gs.COLS // 2 * gs.PIXEL
    bottom, right = gs.Y0 - gs.ROWS * gs.PIXEL, gs.X0 + gs.COLS * gs.PIXEL
    frame = gpd.GeoDataFrame({"name": ["西区", "东区"]}, crs=gs.CRS, geometry=[
        shapely.box(gs.X0, bottom, middle, gs.Y0), shapely.box(middle, bottom, right, gs.Y0)])
    path = folder / "districts.gpkg"
    frame.to_file(path)
    return str(path)


def build_district_store(folder) -> None:
    """``folder/grid.duckdb``: the tiny grid store cut into two districts (西区 | 东区)."""
    landuse = gs.write_tif(folder / "landuse.tif", gs.landuse_pixels())
    urban = gs.write_tif(folder / "urban.tif", gs.zone_pixels())
    import_raster(landuse, folder / "grid.duckdb", gs.grid_mapping(folder), gs.CELL_M,
                  drivers={"urban": urban}, regions_path=write_districts(folder), name="grid")


@pytest.fixture(scope="module")
def grid_dir(tmp_path_factory):
    """A store folder holding the tiny grid store cut into two districts."""
    folder = tmp_path_factory.mktemp("province_grid")
    build_district_store(folder)
    return folder


def start(folder, monkeypatch, page: str | None = None, **params: str) -> AppTest:
    monkeypatch.setenv("LANDALLOC_STORES", str(folder))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    return at.switch_page(page).run() if page else at


@pytest.fixture
def demo_app(store_dir, monkeypatch):
    return lambda **params: start(store_dir, monkeypatch, **({"store": "demo"} | GROWTH | params))


@pytest.fixture
def grid_app(grid_dir, monkeypatch):
    return lambda **params: start(grid_dir, monkeypatch,
                                  **({"store": "grid"} | GRID_FEASIBLE | params))


# ---- helpers ---------------------------------------------------------------------------------

def decks(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.json) for chart in at.get("deck_gl_json_chart")]


def layer(deck: dict, layer_id: str) -> dict:
    return next(lay for lay in deck["layers"] if lay["id"] == layer_id)


def bounds_span(corners: list) -> tuple[float, float]:
    lon, lat = np.array(corners).T
    return float(np.ptp(lon)), float(np.ptp(lat))


def parcels_of(folder, name: str) -> pd.DataFrame:
    from data.db import connect, query_df

    con = connect(str(folder / f"{name}.duckdb"))
    try:
        return query_df(con, "SELECT p.parcel_id, p.region_id, r.name_zh FROM parcels p "
                             "JOIN regions r USING (region_id) ORDER BY parcel_id")
    finally:
        con.close()


def captions(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption)


# ---- the region picker -----------------------------------------------------------------------

def test_region_picker_narrows_the_polygon_maps_to_one_township(demo_app, store_dir):
    at = demo_app()
    assert not at.exception
    picker = at.selectbox(key="map_region")
    assert picker.value is None and picker.options[0] == "地图范围：全域"
    assert len(picker.options) == 9  # the whole area and 8 townships
    whole_current, whole_optimized, _ = decks(at)
    whole_rows = len(layer(whole_optimized, "optimized")["data"])

    parcels = parcels_of(store_dir, "demo")
    region_id, name = 3, parcels.loc[parcels["region_id"] == 3, "name_zh"].iloc[0]
    picker.set_value(region_id).run()
    assert not at.exception
    assert at.selectbox(key="map_region").value == region_id
    current, optimized, region_map = decks(at)
    shown = layer(optimized, "optimized")["data"]
    in_region = int((parcels["region_id"] == region_id).sum())
    assert len(shown) == in_region < whole_rows  # only its parcels (one ring each here)
    assert {row["region"] for row in shown} == {name}
    # the current map is an image of the township alone, zoomed to it
    span = bounds_span(layer(current, "current")["bounds"])
    whole_span = bounds_span(layer(whole_current, "current")["bounds"])
    assert span[0] < whole_span[0] and span[1] < whole_span[1]
    assert layer(current, "current")["image"] != layer(whole_current, "current")["image"]
    assert current["initialViewState"]["zoom"] > whole_current["initialViewState"]["zoom"]
    assert [row["label"] for row in layer(current, "region-names")["data"]] == [name]
    assert f"{name}：地图只显示该区域的 {in_region:,} 个单元" in captions(at)
    assert len(region_map["layers"][0]["data"]) >= 8  # the region section keeps every region

    at.selectbox(key="map_region").set_value(None).run()  # back to the whole area
    assert decks(at)[0]["layers"][0]["image"] == whole_current["layers"][0]["image"]


def test_region_picker_crops_the_grid_image_to_the_district(grid_app, grid_dir):
    at = grid_app()
    assert not at.exception
    whole_current, whole_optimized, _ = decks(at)
    parcels = parcels_of(grid_dir, "grid")
    east = int(parcels.loc[parcels["name_zh"] == "东区", "region_id"].iloc[0])
    assert at.selectbox(key="map_region").options == ["地图范围：全域", "地图范围：西区",
                                                       "地图范围：东区"]
    at.selectbox(key="map_region").set_value(east).run()
    assert not at.exception
    current, optimized, _ = decks(at)
    for deck, whole in ((current, whole_current), (optimized, whole_optimized)):
        image = deck["layers"][0]
        assert image["@@type"] == "BitmapLayer" and image["image"] != whole["layers"][0]["image"]
        west_edge = min(lon for lon, _ in image["bounds"])
        assert west_edge > min(lon for lon, _ in whole["layers"][0]["bounds"])  # cropped
    n_east = int((parcels["name_zh"] == "东区").sum())
    assert f"东区：地图只显示该区域的 {n_east} 个单元" in captions(at)


def test_a_large_store_is_browsed_by_district_before_any_solve(grid_app, monkeypatch):
    monkeypatch.setenv("LANDALLOC_AUTO_SOLVE_MAX", "100")  # the 524 cells count as large
    at = grid_app()
    assert not at.exception and len(at.metric) == 0
    (offered,) = [e for e in at.sidebar.expander if e.label == "大规模求解"]
    assert offered.proto.expanded  # the solve by blocks is offered, open
    (whole,) = decks(at)
    at.selectbox(key="map_region").set_value(1).run()
    assert not at.exception
    (west,) = decks(at)
    east_edge = max(lon for lon, _ in west["layers"][0]["bounds"])
    assert east_edge < max(lon for lon, _ in whole["layers"][0]["bounds"])
    assert "西区：地图只显示该区域的" in captions(at)


def test_english_pages_name_the_extent_in_english(demo_app):
    at = demo_app(lang="en")
    assert not at.exception
    assert at.selectbox(key="map_region").options[0] == "Map extent: Whole area"


# ---- the solve by blocks ---------------------------------------------------------------------

def test_solve_by_blocks_runs_on_a_local_cluster_and_shows_its_blocks(demo_app):
    """A real distributed solve: 4,500 parcels in blocks of at most 1,200 (the 8 townships
    group into 5 blocks), on a local cluster of worker processes, shown like any result."""
    at = demo_app()
    assert not at.exception
    assert "集群：本机" in captions(at)
    at.number_input(key="prov_block_cells").set_value(1_200).run()
    at.button(key="prov_solve").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    summary = captions(at)
    assert "分区并行求解：5 个分区" in summary and "个工作进程" in summary
    (blocks,) = [d.value for d in at.dataframe if "分区" in d.value.columns]
    assert list(blocks.columns) == ["分区", "单元数", "用时（秒）"]
    assert len(blocks) == 5 and blocks["单元数"].sum() == 4_500
    assert (blocks["用时（秒）"] >= 0).all()
    assert len(at.metric) == 7 and len(decks(at)) == 3  # KPIs, maps: the usual result view
    assert any("求解状态" in c.value for c in at.caption)
    shown = at.session_state["shown"]
    assert shown["result"].has_solution and shown["blocks"]["workers"] >= 1
    # saving works as for any result: the save form is there
    assert any(e.label == "保存、分享与导出" for e in at.expander)


def test_a_cluster_error_is_shown_in_words(demo_app, monkeypatch):
    monkeypatch.setenv("LANDALLOC_DASK_SCHEDULER", "not-a-scheduler")
    at = demo_app(lang="en")
    assert "Cluster: the scheduler at" in captions(at)
    shown_before = at.session_state["shown"]["key"]
    at.button(key="prov_solve").click().run()
    assert not at.exception
    (error,) = at.error
    text = error.value.replace("\\", "")  # the message is escaped for Markdown
    assert text.startswith("The solve by blocks did not finish: Scheduler address "
                           "not-a-scheduler is not valid: use tcp://HOST:PORT")
    assert "Traceback" not in text
    assert at.session_state["shown"]["key"] == shown_before  # the earlier result stays


def test_a_read_only_session_cannot_start_a_solve_by_blocks(demo_app):
    at = demo_app(mode="readonly")
    assert not at.exception
    assert at.button(key="prov_solve").disabled
    assert at.number_input(key="prov_block_cells").disabled


def test_progress_lines_name_the_last_step_of_each_stage():
    from dashboard.components.province import latest_lines
    from solver.distributed import ProvinceEvent
    from wording import both

    def event(stage, key, **values):
        zh, en = both(key, **values)
        return ProvinceEvent(stage, values.get("name", ""), values.get("done", 0),
                             values.get("total", 0), 0.1, message_zh=zh, message_en=en)

    events = [event("master", "province_master", seconds=1.2, blocks=3),
              event("block", "province_block", name="城关镇", done=1, total=3, seconds=0.4,
                    cells=500),
              event("block", "province_block", name="河口镇", done=2, total=3, seconds=0.5,
                    cells=600)]
    assert latest_lines(events, "zh") == ["全域求解（不含紧凑度）：1.2 秒，3 个分区。",
                                          "分区 河口镇（2/3）完成：0.5 秒，600 个单元。"]
    events.append(event("bound", "province_bound", done=1, total=3))
    assert latest_lines(events, "en")[-1] == "Global bound: 1/3 blocks priced."
    events.append(event("repair", "province_repair", done=1, most=3, seconds=2.0,
                        before=16.139, after=16.194))
    assert latest_lines(events, "zh")[-1] == "全域修补 1/3：2.0 秒，目标值 16.139 → 16.194。"


def test_a_region_canvas_shows_its_cells_alone_on_the_cropped_grid(grid_dir):
    from dashboard.components import grid_maps
    from data.db import connect, query_df
    from data.store import read_grid

    con = connect(str(grid_dir / "grid.duckdb"))
    try:
        grid = read_grid(con)
        cells = query_df(con, "SELECT grid_row, grid_col, region_id FROM parcels "
                              "ORDER BY parcel_id")
    finally:
        con.close()
    whole = grid_maps.grid_canvas(grid, cells["grid_row"].to_numpy(), cells["grid_col"].to_numpy())
    east = cells["region_id"].to_numpy() == 2
    positions = np.flatnonzero(east)
    canvas = grid_maps.region_canvas(grid, cells["grid_row"].to_numpy()[positions],
                                     cells["grid_col"].to_numpy()[positions], positions)
    shown = np.unique(canvas.pixel_parcel)
    assert shown[0] == -1 and set(shown[1:]) == set(positions)  # every cell, and only these
    assert max(canvas.size) >= grid_maps.MIN_PX  # blown up like the whole map
    (lon0, _), (_, lat1), (lon1, _), _ = canvas.corners
    (wlon0, _), (_, wlat1), (wlon1, _), _ = whole.corners
    assert wlon0 < lon0 < lon1 <= wlon1 + 1e-9 and lat1 <= wlat1 + 1e-9
