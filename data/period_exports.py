"""Exports of a period plan (开发时序): the phased allocation as CSV or GeoPackage.

One row per parcel: the columns of :func:`data.exports.allocation_frame` for the land use at
the end of the last period (``use_after*``), then for each period ``t`` of the plan its
end-year use ``use_<year>`` (code) with ``use_<year>_key/_zh/_en``, and
``period_of_change`` — the end year of the first period in which the parcel's use differs
from the base year (0 when it never does). Period names are user text: they travel as data
in ``period_names`` of the caller, never as column names.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from data.exports import (
    ExportError,
    StoreTables,
    _atomic,
    _class_columns,
    aligned_codes,
    allocation_frame,
    read_store_tables,
)

PERIOD_SUFFIXES = (".csv", ".gpkg")


def codes_by_period(tables: StoreTables, uses: pd.DataFrame) -> np.ndarray:
    """(n, T) class codes in the store's parcel order from ``period, parcel_id, land_use``.

    Raises
    ------
    ExportError
        A period does not cover the store's parcels or uses unknown codes.
    """
    periods = sorted(set(uses["period"].astype(int).tolist()))
    if not periods:
        raise ExportError("the period plan has no periods to export")
    return np.column_stack([aligned_codes(tables, uses[uses["period"] == p]) for p in periods])


def period_allocation(tables: StoreTables, codes: np.ndarray, years: Sequence[int]
                      ) -> gpd.GeoDataFrame:
    """The phased allocation frame (module docstring) of (n, T) codes ending in ``years``."""
    if codes.ndim != 2 or codes.shape[1] != len(years):
        raise ExportError(f"{codes.shape[1] if codes.ndim == 2 else 0} periods of land use "
                          f"but {len(years)} end years")
    frame = allocation_frame(tables, codes[:, -1])
    geometry = frame.pop(frame.geometry.name)
    parts = [pd.DataFrame(frame)]
    parts += [_class_columns(tables.classes, f"use_{year}", codes[:, t]).set_index(frame.index)
              for t, year in enumerate(years)]
    table = pd.concat(parts, axis=1)
    before = tables.parcels["land_use"].to_numpy(dtype=np.int64)
    differs = codes != before[:, None]
    first = np.argmax(differs, axis=1)
    table["period_of_change"] = np.where(differs.any(axis=1), np.asarray(years)[first], 0)
    return gpd.GeoDataFrame(table, geometry=geometry.to_numpy(), crs=tables.crs)


def write_period_allocation(frame: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write the phased allocation as ``.gpkg`` (layer ``periods``) or ``.csv`` (no geometry,
    UTF-8 with BOM for Excel)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        return _atomic(path, lambda tmp: frame.to_file(tmp, layer="periods", driver="GPKG"))
    if suffix == ".csv":
        table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        return _atomic(path, lambda tmp: table.to_csv(tmp, index=False, encoding="utf-8-sig"))
    raise ExportError(f"{path.name}: a phased allocation is exported as "
                      f"{' or '.join(PERIOD_SUFFIXES)}")


def period_export_bytes(store_path: str | Path, uses: pd.DataFrame, years: Sequence[int],
                        suffix: str) -> bytes:
    """The bytes of a phased-allocation export (for a download button).

    Parameters
    ----------
    store_path : str or Path
        The parcel store the plan was solved on.
    uses : DataFrame
        ``period, parcel_id, land_use`` (code), periods 0..T-1.
    years : sequence of int
        End year of each period.
    suffix : {'.csv', '.gpkg'}
    """
    if suffix not in PERIOD_SUFFIXES:
        raise ExportError(f"cannot export a phased allocation to '{suffix}'")
    tables = read_store_tables(store_path, geometry=True, wgs84=False)
    frame = period_allocation(tables, codes_by_period(tables, uses), years)
    with tempfile.TemporaryDirectory(prefix="landalloc-periods-") as folder:
        return write_period_allocation(frame, Path(folder) / f"periods{suffix}").read_bytes()
