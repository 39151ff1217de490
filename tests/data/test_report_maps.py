"""Briefing maps of grid stores and of large polygon stores are pictures that show every class.

Simplifying hundreds of thousands of sub-pixel parcels used to leave both maps empty (the Wuhan
briefing at 300 m and 30 m had no map at all); a grid store's maps now come from its grid, a
large polygon store's parcels are burnt into an image, changed parcels darkened."""

from __future__ import annotations

import base64
import io
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from data.exports import ExportBundle, export, read_store_tables
from data.report import RASTER_MAP_MIN
from tests.dashboard.grid_store import build_grid_store

PICTURE = re.compile(r'aria-label="([^"]*)"><title>[^<]*</title><image href="data:image/png;'
                     r'base64,([A-Za-z0-9+/=]+)"')


def pictures(html_text: str) -> list[np.ndarray]:
    """RGBA arrays of the map pictures in a briefing, in page order."""
    found = PICTURE.findall(html_text)
    return [np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGBA"))
            for _, data in found]


def colours(image: np.ndarray) -> set[str]:
    opaque = image[image[..., 3] > 0][:, :3]
    return {"#" + "".join(f"{int(v):02x}" for v in c) for c in np.unique(opaque, axis=0)}


def darker(hex_colour: str) -> str:
    rgb = [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{int(v * 0.45):02x}" for v in rgb)


def changed_bundle(store: Path, every: int) -> tuple[ExportBundle, np.ndarray]:
    tables = read_store_tables(store, geometry=False)
    codes = tables.parcels["land_use"].to_numpy().copy()
    built = int(tables.classes.loc[tables.classes["role"] == "built", "code"].iloc[0])
    codes[::every] = built
    assignment = pd.DataFrame({"parcel_id": tables.parcel_ids, "land_use": codes})
    return ExportBundle(store_path=store, name="maps", assignment=assignment,
                        summary={"status": "FEASIBLE"}), codes


def test_a_grid_store_briefing_draws_its_grid(tmp_path):
    store = build_grid_store(tmp_path)
    bundle, codes = changed_bundle(store, every=7)
    html_text = export(bundle, tmp_path / "brief.html", lang="en").read_text(encoding="utf-8")
    before, after = pictures(html_text)
    classes = read_store_tables(store, geometry=False).classes
    palette = dict(zip(classes["code"], classes["color"].str.lower(), strict=True))
    assert colours(before) == set(palette.values())  # every class, nothing else
    built = palette[int(classes.loc[classes["role"] == "built", "code"].iloc[0])]
    assert darker(built) in colours(after)  # changed cells are marked
    assert darker(built) not in colours(before)
    # one picture pixel per cell (20 × 27 cells), nodata corner transparent
    assert before.shape[:2] == (20, 27)
    assert (before[:4, -4:, 3] == 0).all()


def test_a_large_polygon_store_is_burnt_into_a_picture(tmp_path):
    """The demo county at 150 × 150 parcels is over the vector limit; its maps still show every
    class (the 18,000-parcel demo keeps its vector maps: tests/data/test_exports.py)."""
    from data.demo import build_demo

    store = build_demo(tmp_path / "big.duckdb", rows=150, cols=150, cell_m=200.0)
    assert 150 * 150 > RASTER_MAP_MIN
    bundle, _ = changed_bundle(store, every=11)
    html_text = export(bundle, tmp_path / "big.html").read_text(encoding="utf-8")
    before, after = pictures(html_text)
    tables = read_store_tables(store, geometry=False)
    present = set(tables.classes.set_index("code").loc[
        np.unique(tables.parcels["land_use"]), "color"].str.lower())
    assert present <= colours(before)
    assert (before[..., 3] > 0).mean() > 0.5  # the county fills the frame, not a few specks
    assert len(colours(after) - colours(before)) >= 1  # darkened changed parcels


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_vector_maps_stay_for_small_polygon_stores(small_demo_store, tmp_path, lang):
    store = Path(shutil.copy(small_demo_store, tmp_path / "small.duckdb"))
    bundle, _ = changed_bundle(store, every=5)
    html_text = export(bundle, tmp_path / "small.html", lang=lang).read_text(encoding="utf-8")
    assert not pictures(html_text)
    assert html_text.count("<path fill=") >= 2
