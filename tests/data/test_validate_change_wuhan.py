"""``python -m data validate-change`` end to end on a small real crop of Wuhan (issue 13).

A 100 × 100-pixel window (3 km × 3 km) near the centre of the Wuhan rasters — cropland, open
water and the urban edge, whose built land grows from 11 % (2003) to 15 % (2005) to 34 %
(2010) — is written to a temporary folder with its window transform (the data itself is never
copied into the repository). The command learns 2003 → 2005, allocates 2005 → 2010 with the
water mask locked and scores it, at 30 m (every pixel a cell) and at 90 m.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window
from rasterio.windows import transform as window_transform

from data.__main__ import main
from tests.conftest import REPO_ROOT, require_wuhan

WINDOW = Window(col_off=1450, row_off=1150, width=100, height=100)
RASTERS = {"wh2003": "LULCs/wh2003_refy.tif", "wh2005": "LULCs/wh2005_refy.tif",
           "wh2010": "LULCs/wh2010_refy.tif", "water": "WaterWuhan.tif",
           "dem": "DriveFactors/wh_df_dem.tif"}
MAPPING = REPO_ROOT / "data" / "mappings" / "wuhan.toml"
MODELS = ("null", "learned", "random", "nearest")
WUHAN_CODES = set(range(1, 8))

pytestmark = pytest.mark.wuhan


@pytest.fixture(scope="module")
def crop(tmp_path_factory) -> dict[str, Path]:
    """The window of every raster, on the window's own grid, in a temporary folder."""
    wuhan = require_wuhan()
    folder = tmp_path_factory.mktemp("wuhan_crop")
    paths = {}
    for name, relative in RASTERS.items():
        with rasterio.open(wuhan / relative) as src, warnings.catch_warnings():
            # rasterio's own window transform still multiplies Affines with `*`
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            values = src.read(1, window=WINDOW)
            profile = {"driver": "GTiff", "height": WINDOW.height, "width": WINDOW.width,
                       "count": 1, "dtype": values.dtype, "crs": src.crs,
                       "transform": window_transform(WINDOW, src.transform),
                       "nodata": src.nodata}
        paths[name] = folder / f"{name}.tif"
        with rasterio.open(paths[name], "w", **profile) as dst:
            dst.write(values, 1)
    return paths


@pytest.mark.parametrize("cell_m", [pytest.param(30, marks=pytest.mark.slow), 90])
def test_validate_change_on_a_wuhan_crop(crop: dict[str, Path], tmp_path: Path, capsys,
                                         cell_m: int) -> None:
    out, map_path = tmp_path / "scores.json", tmp_path / "allocated.tif"
    code = main(["validate-change", "--train-start", str(crop["wh2003"]),
                 "--train-end", str(crop["wh2005"]), "--start", str(crop["wh2005"]),
                 "--end", str(crop["wh2010"]), "--mapping", str(MAPPING),
                 "--no-change", str(crop["water"]), "--driver", f"dem={crop['dem']}",
                 "--cell-size", str(cell_m), "--out", str(out), "--map", str(map_path)])
    captured = capsys.readouterr()
    assert code == 0, captured.err

    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["format"] == "landalloc-change-validation/1"
    cells_per_side = -(-WINDOW.width // (cell_m // 30))
    assert result["grain"]["cell_m"] == cell_m
    assert result["grain"]["cells"] == cells_per_side ** 2
    assert result["grain"]["restricted_cells"] > 0.1 * result["grain"]["cells"]  # open water
    scores = result["scores"]
    assert set(scores) == set(MODELS)
    assert scores["learned"]["fom"] > scores["random"]["fom"], scores
    assert scores["learned"]["fom"] > 0.1, scores
    for name in MODELS:
        assert scores[name]["restricted_changed"] == 0, name
    allocation = result["allocation"]
    assert allocation["status"] in ("OPTIMAL", "FEASIBLE")
    assert allocation["gap"] is not None and 0 <= allocation["gap"] <= 0.02
    if allocation["status"] == "OPTIMAL":
        assert allocation["gap"] <= 1e-5
    assert "dem" in result["model"]["features"] and "slope_deg" in result["model"]["features"]
    assert set(result["model"]["importance"]) == {c["key"] for c in result["classes"]}

    # Progress lines, then the table: a header and one row per model, then the allocation.
    lines = captured.out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["model", "FoM"])
    rows = [line.split() for line in lines[header + 1:header + 5]]
    assert [row[0] for row in rows] == list(MODELS), captured.out
    for row in rows:
        assert float(row[1]) == pytest.approx(scores[row[0]]["fom"], abs=1e-4)
    assert lines[header + 5].startswith(f"allocation {allocation['status']}")

    with rasterio.open(map_path) as allocated, rasterio.open(crop["wh2010"]) as end:
        assert allocated.shape == end.shape
        assert allocated.transform == end.transform and allocated.crs == end.crs
        codes = set(np.unique(allocated.read(1)).tolist())
        assert codes <= WUHAN_CODES | {allocated.nodata}
    assert map_path.with_name("allocated.agreement.tif").exists()
