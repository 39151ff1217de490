"""双评价-style suitability of each parcel for each land use, from editable weights.

The weights and factor breakpoints live in ``data/coefficients/suitability.toml`` (documented
there). The result is a tidy table (parcel_id, land_use, score) on 0..100.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from data.classes import class_roles

DEFAULT_WEIGHTS = Path(__file__).parent / "coefficients" / "suitability.toml"


def load_weights(path: str | Path | None = None) -> dict:
    """Read and check a suitability weights file (factors and per-use weights)."""
    path = Path(path or DEFAULT_WEIGHTS)
    config = tomllib.loads(path.read_text(encoding="utf-8"))
    factors, weights = config.get("factors", {}), config.get("weights", {})
    for use, per_factor in weights.items():
        unknown = set(per_factor) - set(factors)
        if unknown:
            raise ValueError(f"{path}: weights.{use} names unknown factors {sorted(unknown)}")
        if any(w < 0 for w in per_factor.values()) or sum(per_factor.values()) <= 0:
            raise ValueError(f"{path}: weights.{use} must be non-negative with a positive sum")
    return {"factors": factors, "weights": weights}


def factor_score(values: pd.Series, best: float, worst: float) -> np.ndarray:
    """Linear 0..1 score: 1 at ``best``, 0 at ``worst``, clipped; missing values score 0.5."""
    raw = (values.to_numpy(dtype=float) - worst) / (best - worst)
    return np.where(np.isnan(raw), 0.5, np.clip(raw, 0.0, 1.0))


def suitability_scores(parcels: pd.DataFrame, classes: pd.DataFrame, config: dict) -> pd.DataFrame:
    """Score every parcel for every class in ``classes`` (by the class's role).

    Parameters
    ----------
    parcels : DataFrame
        Needs ``parcel_id`` and the attributes the factors name (missing columns score 0.5).
    classes : DataFrame
        The class table (``code``, ``key``); a class without weights scores 50 everywhere.
    config : dict
        From :func:`load_weights`.

    Returns
    -------
    DataFrame
        Columns parcel_id, land_use (class code), score (0..100).
    """
    factor_values = {
        name: factor_score(parcels.get(spec["attribute"], pd.Series(np.nan, index=parcels.index)),
                           spec["best"], spec["worst"])
        for name, spec in config["factors"].items()
    }
    frames = []
    for code, role in zip(classes["code"], class_roles(classes), strict=True):
        weights = config["weights"].get(role, {})
        total = sum(weights.values())
        score = (sum(w * factor_values[f] for f, w in weights.items()) / total
                 if total else np.full(len(parcels), 0.5))
        frames.append(pd.DataFrame({"parcel_id": parcels["parcel_id"].to_numpy(),
                                    "land_use": int(code), "score": np.round(100 * score, 2)}))
    return pd.concat(frames, ignore_index=True)


def weights_json(config: dict) -> str:
    """The weights as stored in the store's meta table (so a store records how it was scored)."""
    return json.dumps(config, ensure_ascii=False, sort_keys=True)
