"""Bad files through the data page's upload section (the person's path, via AppTest).

The importer tests call ``data.importers`` directly; this shows the page around them: a bad
upload ends in an error box that names the fix, the page keeps working (no exception), and
no store in the folder is created, replaced or touched. A good upload still imports.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from tests.parcel_files import grid_parcels, write
from tests.reliability.apptest import open_app, store_files


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def bad_uploads(tmp: Path) -> dict[str, tuple[str, bytes]]:
    """File name and bytes of each bad upload."""
    good = write(grid_parcels(), tmp / "good.gpkg").read_bytes()
    points = grid_parcels()
    points["geometry"] = points.centroid
    return {
        "empty": ("parcels.gpkg", b""),
        "truncated_gpkg": ("parcels.gpkg", good[:1500]),
        "zip_without_shp": ("parcels.zip", zipped({"readme.txt": b"hello"})),
        "not_a_zip": ("parcels.zip", b"PK\x03\x04 broken"),
        "points": ("points.gpkg", write(points, tmp / "points.gpkg").read_bytes()),
        "tif_noise": ("landuse.tif", b"II*\x00" + bytes(200)),
    }


def upload(at, name: str, data: bytes):
    at.file_uploader[0].set_value((name, data, "application/octet-stream"))
    return at.run()


def import_button(at):
    return next((b for b in at.button if b.label == "导入"), None)


def check_bad_upload(app_stores: Path, tmp_path: Path, case: str) -> None:
    """Upload, press Import if the page offers it, then expect an error naming the fix."""
    name, data = bad_uploads(tmp_path)[case]
    before = store_files(app_stores)
    at = upload(open_app({"preset": "growth"}, page="views/data.py"), name, data)
    if not at.exception and import_button(at) is not None:
        import_button(at).click().run()  # e.g. points are only refused by the import itself
    assert not at.exception, [e.value for e in at.exception][:1]
    errors = " ".join(e.value for e in at.error)
    assert "Fix:" in errors or "解决办法" in errors, errors  # the fix, in the UI language
    assert store_files(app_stores) == before


@pytest.mark.parametrize("case", ["empty", "truncated_gpkg", "zip_without_shp", "not_a_zip",
                                  "points"])
def test_bad_upload_shows_the_fix_and_touches_no_store(app_stores: Path, tmp_path: Path,
                                                       case: str) -> None:
    check_bad_upload(app_stores, tmp_path, case)


def test_corrupt_raster_upload_shows_the_fix(app_stores: Path, tmp_path: Path) -> None:
    check_bad_upload(app_stores, tmp_path, "tif_noise")


def test_good_upload_imports_into_a_new_store(app_stores: Path, tmp_path: Path) -> None:
    """The same page imports a good GeoPackage into a new store next to the demo."""
    data = write(grid_parcels(4, 5), tmp_path / "good.gpkg").read_bytes()
    at = upload(open_app({"preset": "growth"}, page="views/data.py"), "乡镇 parcels.gpkg", data)
    assert not at.exception
    next(b for b in at.button if b.label == "导入").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert (app_stores / "parcels.duckdb").exists()
    (app_stores / "parcels.duckdb").unlink()
