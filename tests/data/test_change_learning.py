"""Change learning and validation on hand-made rasters with a PLANTED change process (issue 13).

Three 80 × 80 maps of 30 m pixels (EPSG:32649): cropland everywhere, a forest block, a lake, two
straight roads of built land crossing and a round town. From one year to the next, every
cropland pixel touching built land (8 neighbours, so mostly along the roads) becomes built with
probability ½; elsewhere a little noise (cropland → built or forest, forest → cropland). The
maps A → B and B → C follow the same rule, so a model learned on A → B should place the change
of B → C along the built edge. A no-change mask locks a block across the west end of the road
(where the real process does change cells) and the top-left corner is nodata in every map.

Everything is real: GeoTIFFs written with rasterio, LightGBM, the engine's solves, the
``python -m data validate-change`` command line.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from scipy import ndimage

from data.__main__ import main
from data.change import maps
from data.change.potential import fit_potential
from data.change.scores import AGREEMENT_CODES, AGREEMENT_NODATA, change_scores
from data.change.validate import FORMAT, ValidationInputs, validate_change

N = 80                                      # pixels per side
PIXEL = 30.0
CRS = "EPSG:32649"
TRANSFORM = Affine(PIXEL, 0.0, 500_000.0, 0.0, -PIXEL, 3_400_020.0)
FOREST, CROP, BUILT, WATER, NODATA = 2, 3, 4, 6, 255
CODES = (FOREST, CROP, BUILT, WATER)        # class-table order: index k ↔ CODES[k]
KEYS = ("forest", "cropland", "built", "water")
LOCK = np.s_[30:50, 0:15]                   # the no-change block (300 pixels, across the road)
GROW_P, NOISE = 0.5, 0.004
MODELS = ("null", "learned", "random", "nearest")
SCORE_KEYS = ("fom", "hits", "misses", "wrong_hits", "false_alarms", "kappa")
CLASS_TABLE = """code,key,role,name_zh,name_en,color
2,forest,forest,林地,Forest,#43a047
3,cropland,cropland,耕地,Cropland,#f2d16b
4,built,built,建设用地,Built-up,#d84315
6,water,water,水域,Water,#1e88e5
"""
MAPPING = """name_en = "Planted change"
class_table = "planted_classes.csv"

[drivers.elev]
column = "elevation_m"
aggregation = "mean"
slope_column = "slope_deg"

[no_change]
restricted = [0]
rule = "any"
"""


# ---- the planted maps -----------------------------------------------------------------------

def write_tif(path: Path, values: np.ndarray, nodata: float, dtype: str = "uint8",
              transform: Affine = TRANSFORM) -> Path:
    with rasterio.open(path, "w", driver="GTiff", height=values.shape[0], width=values.shape[1],
                       count=1, dtype=dtype, crs=CRS, transform=transform, nodata=nodata) as dst:
        dst.write(values.astype(dtype), 1)
    return path


def read_tif(path: Path) -> tuple[np.ndarray, dict]:
    with rasterio.open(path) as src:
        return src.read(1), {"shape": src.shape, "transform": src.transform, "crs": src.crs,
                             "nodata": src.nodata}


def year_a() -> np.ndarray:
    """Cropland, a forest block, a lake, two crossing roads and a round town."""
    land = np.full((N, N), CROP, dtype=np.uint8)
    land[0:15, 60:80] = FOREST
    land[60:75, 5:20] = WATER
    land[40, :] = BUILT
    land[:, 50] = BUILT
    rows, cols = np.ogrid[:N, :N]
    land[(rows - 20) ** 2 + (cols - 25) ** 2 <= 25] = BUILT
    land[0:3, 0:3] = NODATA
    return land


def frontier(land: np.ndarray) -> np.ndarray:
    """Cropland pixels touching built land (8 neighbours)."""
    return (land == CROP) & ndimage.binary_dilation(land == BUILT, structure=np.ones((3, 3)))


def grow(land: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One period of the planted process."""
    out, draw = land.copy(), rng.random(land.shape)
    edge = frontier(land)
    far = (land == CROP) & ~edge
    out[edge & (draw < GROW_P)] = BUILT
    out[far & (draw < NOISE)] = BUILT
    out[far & (draw >= NOISE) & (draw < 2 * NOISE)] = FOREST
    out[(land == FOREST) & (draw < 2.5 * NOISE)] = CROP
    return out


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("planted")
    rng = np.random.default_rng(7)
    a = year_a()
    b = grow(a, rng)
    c = grow(b, rng)
    mask = np.ones((N, N), dtype=np.uint8)
    mask[LOCK] = 0
    rows, cols = np.mgrid[:N, :N]
    elevation = 20.0 + 0.1 * rows + 3.0 * np.sin(cols / 7.0)  # unrelated to the change
    (folder / "planted_classes.csv").write_text(CLASS_TABLE, encoding="utf-8")
    (folder / "planted.toml").write_text(MAPPING, encoding="utf-8")
    paths = {name: write_tif(folder / f"{name}.tif", land, NODATA)
             for name, land in (("A", a), ("B", b), ("C", c))}
    paths["mask"] = write_tif(folder / "mask.tif", mask, 255)
    paths["elev"] = write_tif(folder / "elev.tif", elevation, -9999.0, "float32")
    paths["mapping"] = folder / "planted.toml"
    # The planted process really did what the tests rely on.
    assert (frontier(b) & (c == BUILT)).sum() > 0.4 * frontier(b).sum() > 100
    assert ((b != c) & (mask == 0)).sum() > 10  # real change inside the locked block
    return {"folder": folder, "paths": paths, "A": a, "B": b, "C": c, "mask": mask}


def inputs(planted: dict, **kwargs) -> ValidationInputs:
    p = planted["paths"]
    return ValidationInputs(train_start=p["A"], train_end=p["B"], start=p["B"], end=p["C"],
                            mapping=p["mapping"], no_change=p["mask"],
                            drivers=(("elev", p["elev"]),), cell_size_m=30.0,
                            time_limit_s=60.0, seed=0, **kwargs)


@pytest.fixture(scope="module")
def validation(planted: dict, tmp_path_factory) -> tuple[dict, Path, Path]:
    out = tmp_path_factory.mktemp("validation")
    result = validate_change(inputs(planted), out / "scores.json", out / "allocated.tif",
                             progress=lambda line: None)
    return result, out / "scores.json", out / "allocated.tif"


# ---- the learned potential ------------------------------------------------------------------

def test_potential_learns_that_built_land_grows_next_to_built_land(planted: dict) -> None:
    p = planted["paths"]
    mapping = maps.load(p["mapping"])
    cells, per_pixel = maps.open_grid([p["A"], p["B"]], mapping, 30.0)
    assert cells.class_keys == KEYS and cells.cell_m == 30.0
    assert len(cells.cells) == N * N - 9                       # the nodata corner is left out
    start, end = (maps.class_map(cells, index, path)
                  for index, path in zip(per_pixel, (p["A"], p["B"]), strict=True))
    drivers = maps.map_drivers(cells, start)
    model = fit_potential(drivers, end.cls.astype(int), cells.class_keys, seed=0)
    potential = model.predict(drivers)

    assert potential.shape == (len(cells.cells), 4)
    np.testing.assert_allclose(potential.sum(axis=1), 1.0, atol=1e-5)
    built = KEYS.index("built")
    cropland = start.cls == KEYS.index("cropland")
    distance = drivers["dist_built_m"].to_numpy()
    near = cropland & (distance <= 1.5 * PIXEL)               # touching built land
    far = cropland & (distance >= 10 * PIXEL)
    assert near.sum() > 200 and far.sum() > 1000
    p_near, p_far = potential[near, built].mean(), potential[far, built].mean()
    # Planted: ½ next to built land, 0.4 % far from it.
    assert p_near > 0.3
    assert p_far < 0.05
    assert p_near > 10 * p_far

    importance = model.importance["built"]
    assert set(model.importance) == set(KEYS)
    assert sum(importance.values()) == pytest.approx(1.0, abs=1e-3)
    top = sorted(importance, key=importance.get, reverse=True)[:3]
    assert any(name == "dist_built_m" or name.startswith("share_built_") for name in top), top
    assert model.training["rows"] > 0.6 * len(cells.cells)


def test_share_radii_and_model_parameters_can_be_chosen(planted: dict) -> None:
    """The variants benchmark compares other radii and LightGBM parameters through these."""
    p = planted["paths"]
    cells, per_pixel = maps.open_grid([p["A"], p["B"]], maps.load(p["mapping"]), 30.0)
    start, end = (maps.class_map(cells, index, path)
                  for index, path in zip(per_pixel, (p["A"], p["B"]), strict=True))
    drivers = maps.map_drivers(cells, start, radii=(2, 5))
    shares = sorted(c for c in drivers.columns if c.startswith("share_built_"))
    assert shares == ["share_built_r2", "share_built_r5"]
    wide, narrow = drivers["share_built_r5"], drivers["share_built_r2"]
    assert wide.std() < narrow.std()                      # a wider disk averages more

    small = fit_potential(drivers, end.cls.astype(int), cells.class_keys, seed=0, rounds=20,
                          params={"num_leaves": 3})
    trees = small.booster.dump_model()["tree_info"]
    assert max(tree["num_leaves"] for tree in trees) <= 3
    default = fit_potential(drivers, end.cls.astype(int), cells.class_keys, seed=0, rounds=20)
    assert max(tree["num_leaves"] for tree in default.booster.dump_model()["tree_info"]) > 3


# ---- validation of B → C --------------------------------------------------------------------

def test_learned_allocation_beats_random_and_null(validation) -> None:
    result, _, _ = validation
    scores = result["scores"]
    assert set(scores) == set(MODELS)
    assert scores["null"]["fom"] == 0.0 and scores["null"]["hits"] == 0
    learned = scores["learned"]["fom"]
    assert learned >= scores["null"]["fom"]
    assert learned > scores["random"]["fom"] + 0.15, scores
    assert learned > 0.2, scores
    for name in MODELS:
        assert 0.0 <= scores[name]["fom"] <= 1.0
    # Every model is scored on the same observed change (the real B → C map).
    observed = {round(s["hits"] + s["misses"] + s["wrong_hits"], 4) for s in scores.values()}
    assert len(observed) == 1
    assert result["margin_over_best_baseline"] == pytest.approx(
        learned - scores[result["best_baseline"]]["fom"], abs=1e-4)


def test_locked_cells_do_not_change_and_the_demand_is_met(validation, planted: dict) -> None:
    result, _, map_path = validation
    assert result["grain"]["restricted_cells"] == planted["mask"][LOCK].size
    for name in MODELS:
        assert result["scores"][name]["restricted_changed"] == 0
    allocated, _ = read_tif(map_path)
    b, c, locked = planted["B"], planted["C"], planted["mask"] == 0
    np.testing.assert_array_equal(allocated[locked], b[locked])
    # The demand: the end map's class areas, the locked cells counted in their start class
    # (their real change can be reached by no model). At 30 m a cell is a pixel, so it is met
    # pixel for pixel.
    demand = np.where(locked, b, c)
    for code in (*CODES, NODATA):
        assert (allocated == code).sum() == (demand == code).sum(), code
    assert (allocated != b).sum() > 100


def test_allocated_and_agreement_maps_are_on_the_end_grid(validation, planted: dict) -> None:
    result, out_json, map_path = validation
    c = planted["C"]
    allocated, grid = read_tif(map_path)
    _, end_grid = read_tif(planted["paths"]["C"])
    assert grid == end_grid                                   # shape, transform, CRS, nodata
    assert set(np.unique(allocated).tolist()) <= {*CODES, NODATA}
    np.testing.assert_array_equal(allocated == NODATA, c == NODATA)

    agreement_path = map_path.with_name("allocated.agreement.tif")
    assert result["maps"] == {"allocated": "allocated.tif",
                              "agreement": "allocated.agreement.tif"}
    assert (out_json.parent / result["maps"]["agreement"]) == agreement_path
    agreement, agreement_grid = read_tif(agreement_path)
    assert {k: agreement_grid[k] for k in ("shape", "transform", "crs")} == \
        {k: end_grid[k] for k in ("shape", "transform", "crs")}
    assert agreement_grid["nodata"] == AGREEMENT_NODATA
    assert set(np.unique(agreement).tolist()) <= {1, 2, 3, 4, 5, AGREEMENT_NODATA}
    np.testing.assert_array_equal(agreement == AGREEMENT_NODATA, c == NODATA)

    # The maps written are the map scored: rescoring the rasters gives the JSON's scores.
    valid = c != NODATA
    index = np.full(256, -1)
    index[list(CODES)] = np.arange(len(CODES))
    pixel_ha = PIXEL ** 2 / 10_000
    rescored = change_scores(index[planted["B"][valid]], index[c[valid]],
                             index[allocated[valid]], len(CODES),
                             weights=np.full(valid.sum(), pixel_ha),
                             restricted=(planted["mask"] == 0)[valid]).to_dict(KEYS)
    learned = result["scores"]["learned"]
    for key in SCORE_KEYS:
        assert rescored[key] == pytest.approx(learned[key], abs=1e-3), key
    for name in ("hit", "miss", "wrong_hit", "false_alarm"):
        counted = (agreement == AGREEMENT_CODES[name]).sum() * pixel_ha
        assert counted == pytest.approx(learned[f"{name}s" if name != "miss" else "misses"],
                                        abs=1e-3), name


def test_the_json_holds_what_the_command_promises(validation) -> None:
    result, out_json, _ = validation
    written = json.loads(out_json.read_text(encoding="utf-8"))
    assert written == result
    assert written["format"] == FORMAT
    for name in MODELS:
        for key in SCORE_KEYS:
            assert isinstance(written["scores"][name][key], int | float), (name, key)
    importance = written["model"]["importance"]
    assert set(importance) == set(KEYS)
    assert {"elev", "slope_deg", "class", "dist_built_m", "share_built_r1"} <= \
        set(importance["built"])
    assert written["allocation"]["status"] in ("OPTIMAL", "FEASIBLE")
    assert written["allocation"]["gap"] is not None and 0 <= written["allocation"]["gap"] < 0.01
    assert written["grain"]["cells"] == N * N - 9
    assert written["classes"] == [{"key": key, "role": role, "code": code} for key, role, code
                                  in zip(KEYS, ("forest", "cropland", "built", "water"), CODES,
                                         strict=True)]
    assert written["inputs"]["drivers"] == {"elev": "elev.tif"}


# ---- the command line -----------------------------------------------------------------------

def command(planted: dict, out: Path, end: Path | None = None, driver: str = "elev",
            driver_path: Path | None = None) -> list[str]:
    p = planted["paths"]
    return ["validate-change", "--train-start", str(p["A"]), "--train-end", str(p["B"]),
            "--start", str(p["B"]), "--end", str(end or p["C"]), "--mapping", str(p["mapping"]),
            "--no-change", str(p["mask"]),
            "--driver", f"{driver}={driver_path or p['elev']}", "--cell-size", "30",
            "--time-limit", "60", "--out", str(out / "scores.json"),
            "--map", str(out / "allocated.tif")]


def test_the_command_repeats_the_run_exactly_and_prints_the_four_models(
        validation, planted: dict, tmp_path: Path, capsys) -> None:
    """The same inputs and seed through ``python -m data validate-change``: the same scores,
    model and maps as the direct run, and the printed table lists the four models."""
    first, _, first_map = validation
    assert main(command(planted, tmp_path)) == 0
    printed = capsys.readouterr().out
    rows = [line.split()[0] for line in printed.splitlines() if line.strip()]
    assert all(name in rows for name in MODELS), printed
    assert "restricted changed" in printed and "allocation " in printed

    second = json.loads((tmp_path / "scores.json").read_text(encoding="utf-8"))
    assert second["format"] == FORMAT
    assert second["scores"] == first["scores"]
    assert second["model"]["importance"] == first["model"]["importance"]
    assert second["model"]["training"]["rounds"] == first["model"]["training"]["rounds"]
    assert second["allocation"]["objective"] == first["allocation"]["objective"]
    np.testing.assert_array_equal(read_tif(tmp_path / "allocated.tif")[0],
                                  read_tif(first_map)[0])
    np.testing.assert_array_equal(read_tif(tmp_path / "allocated.agreement.tif")[0],
                                  read_tif(first_map.with_name("allocated.agreement.tif"))[0])


def shifted_end(planted: dict, folder: Path) -> Path:
    """The end map one pixel east: same size and CRS, another grid."""
    return write_tif(folder / "C_shifted.tif", planted["C"], NODATA,
                     transform=TRANSFORM @ Affine.translation(1, 0))


def unknown_code_end(planted: dict, folder: Path) -> Path:
    c = planted["C"].copy()
    c[70:72, 70:72] = 5                                      # not in the class table
    return write_tif(folder / "C_code5.tif", c, NODATA)


@pytest.mark.parametrize(("case", "expected"), [
    ("shifted grid", ("C_shifted.tif", "different grid", "gdalwarp")),
    ("unknown class code", ("C_code5.tif", "class codes the mapping does not cover",
                            "5 (4 pixels)")),
    ("unknown driver", ("'slope'", "not described in the mapping", "[drivers.NAME]")),
    ("missing map", ("C_missing.tif", "does not exist")),
])
def test_bad_input_exits_1_naming_the_problem(planted: dict, tmp_path: Path, capsys,
                                               case: str, expected: tuple[str, ...]) -> None:
    if case == "shifted grid":
        argv = command(planted, tmp_path, end=shifted_end(planted, tmp_path))
    elif case == "unknown class code":
        argv = command(planted, tmp_path, end=unknown_code_end(planted, tmp_path))
    elif case == "unknown driver":
        argv = command(planted, tmp_path, driver="slope")
    else:
        argv = command(planted, tmp_path, end=tmp_path / "C_missing.tif")

    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ")
    for text in expected:
        assert text in captured.err, captured.err
    assert "Traceback" not in captured.err
    assert not (tmp_path / "scores.json").exists()
    assert not (tmp_path / "allocated.tif").exists()
