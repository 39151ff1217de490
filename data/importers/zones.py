"""Planning zones from separate layers: 永久基本农田, 生态保护红线, 城镇开发边界.

A zone comes either as a yes/no column of the parcel file (mapped in ``[columns]``) or as its own
layer: polygons for a parcel file (:func:`zone_overlay`), a mask raster or polygons for a land-use
raster (``data.importers.raster.zone_flags``). A parcel is in a zone when the zone covers its
representative point (vector) or most of its valid pixels (raster).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np

from data.importers.errors import DataImportError

#: Parcel flag column → (Chinese, English) zone name, for messages.
ZONES: dict[str, tuple[str, str]] = {
    "is_basic_farmland": ("永久基本农田", "basic farmland"),
    "is_red_line": ("生态保护红线", "ecological red line"),
    "in_urban_boundary": ("城镇开发边界", "urban development boundary"),
}


def check_zone_columns(columns: object) -> None:
    """Zone layers may only fill the three zone flags."""
    unknown = sorted(set(columns) - set(ZONES))
    if unknown:
        raise DataImportError(f"zone layers were given for {unknown}, which are not zone flags",
                              f"use one of {', '.join(ZONES)}")


def zone_overlay(parcels: gpd.GeoDataFrame, layer: str | Path, column: str) -> np.ndarray:
    """Whether each parcel's representative point lies in a polygon of ``layer``.

    Parameters
    ----------
    parcels : GeoDataFrame
        Parcels in their (metric) CRS.
    layer : str or Path
        Zone polygons in any vector format :func:`data.importers.vector.read_vector` reads,
        with a CRS; reprojected to the parcels' CRS.
    column : str
        The flag the layer fills (for messages).

    Returns
    -------
    numpy.ndarray
        Boolean per parcel.

    Raises
    ------
    DataImportError
        The layer is unreadable, has no CRS, no polygons, or covers no parcel.
    """
    from data.importers.vector import read_vector

    path = Path(layer)
    zone = read_vector(path)
    name = ZONES.get(column, (column, column))[1]
    if zone.crs is None:
        raise DataImportError(f"{name} layer {path.name} has no CRS",
                              f"assign it in your GIS (e.g. `ogr2ogr -a_srs EPSG:4490 fixed.gpkg "
                              f"{path.name}`)")
    polygons = zone[zone.geometry.geom_type.isin(("Polygon", "MultiPolygon"))].to_crs(parcels.crs)
    if polygons.empty:
        raise DataImportError(f"{name} layer {path.name} has no polygons",
                              "upload the zone as a polygon layer")
    points = gpd.GeoDataFrame(geometry=parcels.geometry.representative_point(), crs=parcels.crs)
    hits = gpd.sjoin(points, polygons[["geometry"]].make_valid().to_frame("geometry"),
                     predicate="within", how="inner")
    inside = np.zeros(len(parcels), dtype=bool)
    inside[np.unique(points.index.get_indexer(hits.index))] = True
    if not inside.any():
        raise DataImportError(f"{name} layer {path.name} covers none of the parcels",
                              "check that the layer belongs to this area and that its CRS is the "
                              "one its coordinates are in")
    return inside
