"""Pure pydeck map builders: frames in, ``pdk.Deck`` out; no Streamlit, no database.

The maps must look right with no basemap (no tiles load offline), so every deck is built
with ``map_provider=None`` and a plain background; land-use colours come from the class table.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely
from pydeck.bindings.json_tools import default_serialize

OVERLAY_COLORS: dict[str, list[int]] = {
    "is_red_line": [200, 0, 0, 255],          # 生态保护红线
    "is_basic_farmland": [121, 85, 0, 255],   # 永久基本农田
    "in_urban_boundary": [123, 31, 162, 255],  # 城镇开发边界
}
CHANGE_OUTLINE = [20, 20, 20, 255]
COORD_DECIMALS = 5  # ≈ 1 m: enough for a map; every extra digit costs ~0.15 MB per 18k parcels


class CompactDeck(pdk.Deck):
    """A deck whose JSON has no whitespace.

    pydeck indents its JSON by two spaces per level; with one coordinate per line, 18,000
    parcels make 14 MB and a second of serialising on every rerun. Without whitespace the
    same map is about a third of that. (Metre offsets would be smaller still, but Streamlit's
    deck.gl JSON converter has no COORDINATE_SYSTEM enumeration to name them.)
    """

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


def hex_to_rgba(color: str, alpha: int = 255) -> list[int]:
    """``'#rrggbb'`` → ``[r, g, b, alpha]``."""
    color = color.lstrip("#")
    return [int(color[i:i + 2], 16) for i in (0, 2, 4)] + [alpha]


def polygon_rings(geometries: np.ndarray) -> tuple[list[list[list[float]]], np.ndarray]:
    """Exterior rings of every polygon part as ``[lon, lat]`` lists, without the closing point.

    Parameters
    ----------
    geometries : ndarray of shapely geometries
        WGS 84 polygons or multipolygons.

    Returns
    -------
    rings : list
        One ring per polygon part.
    owner : ndarray
        Index of the input geometry each ring belongs to (multi-part parcels give several).
    """
    parts, owner = shapely.get_parts(geometries, return_index=True)
    coords, ring_index = shapely.get_coordinates(shapely.get_exterior_ring(parts), return_index=True)
    coords = np.round(coords, COORD_DECIMALS)
    splits = np.flatnonzero(np.diff(ring_index)) + 1
    return [ring[:-1].tolist() for ring in np.split(coords, splits)], owner


def parcel_frame(parcels: pd.DataFrame, wkb_column: str = "geom_wgs84_wkb") -> pd.DataFrame:
    """One row per polygon part with its ring and the parcel's attributes (geometry dropped)."""
    geometries = shapely.from_wkb(parcels[wkb_column].map(bytes).to_numpy())
    rings, owner = polygon_rings(geometries)
    frame = parcels.drop(columns=[c for c in parcels.columns if c.endswith("wkb")])
    frame = frame.iloc[owner].reset_index(drop=True)
    frame["polygon"] = rings
    return frame


def zone_rings(geometries: np.ndarray) -> list[list[list[float]]]:
    """Dissolve flagged parcels into zone outlines (rings of the union)."""
    if len(geometries) == 0:
        return []
    union = shapely.union_all(geometries, grid_size=1e-7)
    rings, _ = polygon_rings(np.array([union]))
    return rings


def color_column(codes: np.ndarray, class_colors: dict[int, list[int]]) -> list[list[int]]:
    """Fill colour per row from its class code (grey for codes the class table lacks)."""
    fallback = [128, 128, 128, 255]
    return [class_colors.get(int(code), fallback) for code in codes]


TOOLTIP_COLUMNS = ("parcel_id", "region", "area_ha", "slope_deg", "farmland_grade")


def landuse_layer(frame: pd.DataFrame, colors: list[list[int]], layer_id: str,
                  extra: dict[str, list] | None = None, tooltips: bool = True) -> pdk.Layer:
    """Parcels filled with their class colour, pickable for tooltips.

    Only the ring, the colour and the tooltip fields are sent to the browser (the payload
    dominates render time); ``extra`` adds per-row tooltip fields such as before/after use.
    """
    columns = ["polygon", *(c for c in TOOLTIP_COLUMNS if c in frame and tooltips)]
    data = frame[columns].assign(fill=colors, **(extra if tooltips and extra else {}))
    return pdk.Layer("PolygonLayer", data=data, id=layer_id, get_polygon="polygon",
                     get_fill_color="fill", stroked=False, filled=True, pickable=tooltips,
                     auto_highlight=tooltips)


def outline_layer(rings: list, color: list[int], layer_id: str, width_m: float = 60.0) -> pdk.Layer:
    """Unfilled outlines (zones or changed parcels) drawn over the land-use layer."""
    data = pd.DataFrame({"polygon": rings})
    return pdk.Layer("PolygonLayer", data=data, id=layer_id, get_polygon="polygon",
                     filled=False, stroked=True, get_line_color=color,
                     get_line_width=width_m, line_width_min_pixels=1, pickable=False)


def view_state(lon: np.ndarray, lat: np.ndarray, width_px: int = 380,
               height_px: int = 460) -> pdk.ViewState:
    """A view that fits the parcels' centroids into a map of the given pixel size."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    lon_span = max(float(np.ptp(lon)), 1e-4)
    # Web Mercator stretches latitude by 1/cos(lat): a degree of latitude takes more pixels.
    lat_span = max(float(np.ptp(lat)) / np.cos(np.radians(float(np.mean(lat)))), 1e-4)
    fit = min(width_px / lon_span, height_px / lat_span)  # pixels per degree of longitude
    zoom = float(np.clip(np.log2(fit * 360 / 512) - 0.05, 1, 18))
    return pdk.ViewState(longitude=float(np.mean([lon.min(), lon.max()])),
                         latitude=float(np.mean([lat.min(), lat.max()])), zoom=zoom)


def fitted_view(lon: np.ndarray, lat: np.ndarray, width_px: int, max_height_px: int,
                min_height_px: int = 220) -> tuple[pdk.ViewState, int]:
    """A view that shows the whole extent in a map ``width_px`` wide, and the map height
    that fits the extent's shape (no empty band above and below the land).

    A fixed height with a wide extent leaves bands of background above and below; here the
    height follows the extent (Web Mercator aspect), within ``[min_height_px, max_height_px]``
    (a taller extent is fitted to the height instead, leaving margins at the sides).
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    lon_span = max(float(np.ptp(lon)), 1e-4)
    lat_span = max(float(np.ptp(lat)) / np.cos(np.radians(float(np.mean(lat)))), 1e-4)
    height = int(np.clip(round(width_px * lat_span / lon_span) + 8, min_height_px, max_height_px))
    return view_state(lon, lat, width_px, height), height


def region_labels(frame: pd.DataFrame, name_column: str) -> pd.DataFrame:
    """A label point (``lon``, ``lat``) and text per region from its rings: a point inside the
    largest part of each region (a centroid can fall outside a crescent-shaped region)."""
    rings = [shapely.Polygon(ring) if len(ring) >= 3 else None for ring in frame["polygon"]]
    area = np.array([0.0 if r is None else r.area for r in rings])
    largest = pd.Series(area).groupby(frame[name_column].to_numpy()).idxmax()
    points = [rings[i].representative_point() for i in largest.to_numpy()]
    return pd.DataFrame({"lon": [round(p.x, 5) for p in points],
                         "lat": [round(p.y, 5) for p in points],
                         "label": largest.index.astype(str)})


def text_layer(frame: pd.DataFrame, layer_id: str, size_px: int = 13) -> pdk.Layer:
    """Names on the map (columns ``lon``, ``lat``, ``label``), with a white halo.

    deck.gl's font atlas holds ASCII unless told otherwise: the characters of the labels are
    passed as ``characterSet`` so Chinese names draw (``"auto"`` would also work, but spells
    out nothing about what is sent).
    """
    # pydeck sends a bare string as an expression: text constants go quoted (as in
    # bitmap_layer), and quotes inside a name must not end the constant early.
    characters = "".join(sorted(set("".join(frame["label"].astype(str))) - {"'", "\\"}))
    return pdk.Layer("TextLayer", data=frame[["lon", "lat", "label"]], id=layer_id,
                     get_position=["lon", "lat"], get_text="label", get_size=size_px,
                     get_color=[33, 33, 33, 255], character_set=f"'{characters}'",
                     font_family="'Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif'",
                     font_settings={"sdf": True}, outline_width=3,
                     outline_color=[255, 255, 255, 230], get_text_anchor="'middle'",
                     get_alignment_baseline="'center'", pickable=False)


def build_deck(layers: list[pdk.Layer], view: pdk.ViewState, tooltip_html: str | None,
               height: int = 520) -> pdk.Deck:
    """A deck with no basemap (nothing is requested from the network)."""
    tooltip = ({"html": tooltip_html, "style": {"fontSize": "13px", "backgroundColor": "#263238"}}
               if tooltip_html else False)
    return CompactDeck(layers=layers, initial_view_state=view, map_provider=None,
                    tooltip=tooltip, height=height,
                    parameters={"clearColor": [0.96, 0.96, 0.94, 1]})
