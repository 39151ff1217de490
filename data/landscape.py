"""Turn a parcel store into the solver's :class:`solver.landscape.Landscape`."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from data import store
from data.classes import class_roles
from data.db import connect
from solver.landscape import ROLES, Landscape


def _coefficients(coefficients=None):
    # Imported lazily: the coefficient tables belong to the indicator module.
    from data.coefficients import load_coefficients

    return coefficients if coefficients is not None else load_coefficients()


def _edge_indices(parcel_ids: np.ndarray, adjacency: pd.DataFrame) -> np.ndarray:
    position = pd.Series(np.arange(len(parcel_ids)), index=parcel_ids)
    a = position.reindex(adjacency["parcel_a"].to_numpy()).to_numpy()
    b = position.reindex(adjacency["parcel_b"].to_numpy()).to_numpy()
    return np.column_stack([np.minimum(a, b), np.maximum(a, b)]).astype(np.int64)


def landscape_from_tables(parcels: pd.DataFrame, classes: pd.DataFrame, regions: pd.DataFrame,
                          adjacency: pd.DataFrame, suitability: np.ndarray,
                          coefficients=None,
                          learned_suitability: np.ndarray | None = None) -> Landscape:
    """Assemble a :class:`Landscape` from store tables (parcels ordered as ``suitability`` rows;
    ``learned_suitability``, when the store has it, in the same order)."""
    roles = class_roles(classes)
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"class roles {sorted(unknown)} are not solver roles {ROLES}")
    coefficients = _coefficients(coefficients)
    keys = tuple(classes["key"])
    code_index = pd.Series(np.arange(len(classes)), index=classes["code"].to_numpy())
    region_index = pd.Series(np.arange(len(regions)), index=regions["region_id"].to_numpy())
    grade = parcels["farmland_grade"].fillna(0).astype(int).to_numpy()
    return Landscape(
        parcel_id=parcels["parcel_id"].to_numpy(dtype=np.int64),
        region=region_index.reindex(parcels["region_id"]).to_numpy(dtype=np.int32),
        region_names=tuple(regions["name_zh"]),
        region_names_en=tuple(str(n) if isinstance(n, str) else "" for n in regions["name_en"]),
        class_keys=keys,
        class_codes=tuple(int(c) for c in classes["code"]),
        class_roles=tuple(str(r) for r in roles),
        class_names_zh=tuple(str(n) for n in classes["name_zh"]),
        class_names_en=tuple(str(n) for n in classes["name_en"]),
        current=code_index.reindex(parcels["land_use"]).to_numpy(dtype=np.int32),
        area_ha=parcels["area_ha"].to_numpy(dtype=float),
        **{flag: parcels[column].fillna(False).to_numpy(dtype=bool) for flag, column in (
            ("basic_farmland", "is_basic_farmland"), ("red_line", "is_red_line"),
            ("urban_boundary", "in_urban_boundary"), ("no_conversion", "no_conversion"))},
        farmland_grade=grade.astype(np.int32),
        suitability=suitability,
        learned_suitability=learned_suitability,
        edges=_edge_indices(parcels["parcel_id"].to_numpy(), adjacency),
        edge_length_m=adjacency["shared_m"].to_numpy(dtype=float),
        # per-class coefficients default from the class's role
        esv_yuan_per_ha=np.asarray(coefficients.esv_per_ha(tuple(roles)), dtype=float),
        carbon_t_per_ha=np.asarray(coefficients.carbon_per_ha(tuple(roles)), dtype=float),
        grain_t_per_ha=np.asarray(coefficients.grain_t_per_ha(grade), dtype=float),
        region_population=regions["population"].to_numpy(dtype=float),
    )


def read_landscape(con: duckdb.DuckDBPyConnection, coefficients=None) -> Landscape:
    """Read a :class:`Landscape` through an open connection (with the learned suitability
    when the store has one)."""
    parcels = store.read_parcels(con)
    classes = store.read_classes(con)
    ids, codes = parcels["parcel_id"].to_numpy(), classes["code"].tolist()
    return landscape_from_tables(parcels, classes, store.read_regions(con),
                                 store.read_adjacency(con),
                                 store.read_suitability_matrix(con, ids, codes), coefficients,
                                 store.read_learned_suitability_matrix(con, ids, codes))


def load_landscape(db_path: str | Path, coefficients=None) -> Landscape:
    """Load the solver input of a parcel store.

    Parameters
    ----------
    db_path : str or Path
        The ``.duckdb`` parcel store.
    coefficients : data.coefficients.Coefficients, optional
        ESV, carbon and grain coefficients (the shipped tables by default).
    """
    con = connect(db_path)
    try:
        return read_landscape(con, coefficients)
    finally:
        con.close()
