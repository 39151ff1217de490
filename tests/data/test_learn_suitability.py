"""learn-suitability on a grid store imported from the planted end map (issue 13)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from data import store
from data.__main__ import main
from data.db import connect
from data.importers.raster import import_raster
from tests.data.test_change_learning import BUILT, CROP, frontier, planted  # noqa: F401


def _learned(db: Path) -> tuple[np.ndarray, np.ndarray, list[int], dict]:
    con = connect(db)
    try:
        parcels = store.read_parcels(con)
        codes = store.read_classes(con)["code"].astype(int).tolist()
        matrix = store.read_learned_suitability_matrix(con, parcels["parcel_id"].to_numpy(), codes)
        description = store.read_learned_description(con)
    finally:
        con.close()
    cells = (parcels["grid_row"].to_numpy(), parcels["grid_col"].to_numpy())
    return matrix, parcels["land_use"].to_numpy(), codes, description | {"cells": cells}


def test_learned_scores_favour_built_land_on_the_frontier(planted: dict, tmp_path: Path,  # noqa: F811
                                                          capsys) -> None:
    p = planted["paths"]
    db = tmp_path / "planted_B.duckdb"
    import_raster(p["B"], db, p["mapping"], 30.0)
    assert main(["learn-suitability", "--db", str(db), "--start", str(p["A"]),
                 "--end", str(p["B"]), "--mapping", str(p["mapping"])]) == 0
    assert "stored learned suitability" in capsys.readouterr().out
    matrix, land_use, codes, description = _learned(db)
    rows, cols = description["cells"]
    built = matrix[:, codes.index(BUILT)]
    on_frontier = frontier(planted["B"])[rows, cols]
    crop = land_use == CROP
    assert built[crop & on_frontier].mean() > 5 * built[crop & ~on_frontier].mean()
    # keeping a class scores the inertia (0.1 → 10) everywhere
    kept = matrix[np.arange(len(land_use)), [codes.index(c) for c in land_use]]
    assert np.allclose(kept, 10.0)
    assert description["inertia"] == 0.1 and "importance" in description


def test_an_end_map_the_store_was_not_imported_from_is_refused(planted: dict, tmp_path: Path, capsys) -> None:  # noqa: F811
    p = planted["paths"]
    db = tmp_path / "planted_B.duckdb"
    import_raster(p["B"], db, p["mapping"], 60.0)  # the store holds B; C is given as the end
    assert main(["learn-suitability", "--db", str(db), "--start", str(p["A"]),
                 "--end", str(p["C"]), "--mapping", str(p["mapping"])]) == 1
    err = capsys.readouterr().err
    assert "error: only" in err and "have the class the end map gives them" in err
    con = connect(db)
    try:
        assert store.read_learned_description(con) is None  # nothing written
    finally:
        con.close()
