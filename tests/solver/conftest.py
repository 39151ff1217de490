"""Tiny hand-built landscapes for solver tests (no data package, no store)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from solver.landscape import CLASS_KEYS, Landscape
from solver.scenario import Scenario

K = {key: i for i, key in enumerate(CLASS_KEYS)}


def make_landscape(current: Sequence[str], *, area: Sequence[float] | None = None,
                   suit: dict[str, Sequence[float]] | None = None,
                   red: Sequence[int] = (), basic: Sequence[int] = (),
                   boundary: Sequence[int] | None = None, no_conv: Sequence[int] = (),
                   regions: Sequence[int] | None = None, edges: Sequence[tuple] = (),
                   grain: float = 6.0) -> Landscape:
    """A landscape of len(current) parcels with all six classes; index lists set the masks."""
    n = len(current)
    mask = np.zeros(n, bool)
    suitability = np.full((n, len(CLASS_KEYS)), 50.0)
    for key, values in (suit or {}).items():
        suitability[:, K[key]] = values
    region = np.zeros(n, np.int32) if regions is None else np.asarray(regions, np.int32)
    e = np.asarray(edges, np.int64).reshape(-1, 2)
    return Landscape(
        parcel_id=np.arange(1, n + 1), region=region,
        region_names=tuple(f"R{r}" for r in range(int(region.max()) + 1)),
        class_keys=CLASS_KEYS, class_codes=tuple(range(1, 7)),
        current=np.array([K[c] for c in current], np.int32),
        area_ha=np.ones(n) if area is None else np.asarray(area, float),
        basic_farmland=_mask(mask, basic), red_line=_mask(mask, red),
        urban_boundary=np.ones(n, bool) if boundary is None else _mask(mask, boundary),
        no_conversion=_mask(mask, no_conv), farmland_grade=np.full(n, 5, np.int32),
        suitability=suitability, edges=e, edge_length_m=np.full(e.shape[0], 100.0),
        esv_yuan_per_ha=np.array([6000.0, 33000, 16000, 188000, 0, 300]),
        carbon_t_per_ha=np.array([95.0, 160, 110, 30, 20, 40]),
        grain_t_per_ha=np.full(n, grain), region_population=np.full(int(region.max()) + 1, 1e4),
    )


def with_town(current: Sequence[str], **kwargs) -> Landscape:
    """``make_landscape`` plus a locked 1 ha built parcel at the end (so growth caps > 0)."""
    if "area" in kwargs:
        kwargs["area"] = [*kwargs["area"], 1.0]
    kwargs["no_conv"] = [*kwargs.get("no_conv", ()), len(current)]
    return make_landscape([*current, "built"], **kwargs)


def _mask(template: np.ndarray, idx: Sequence[int]) -> np.ndarray:
    m = template.copy()
    m[list(idx)] = True
    return m


def scenario(**sections: dict) -> Scenario:
    """Scenario with balance/budget off unless given, short time limit, plus overrides."""
    data: dict = {"farmland": {"balance": False, "quota_pct": 0.0},
                  "conversion": {"max_changed_pct": 100.0},
                  "growth": {"expansion_cap": 5.0}, "solver": {"time_limit_s": 2.0}}
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return Scenario.from_dict(data)


@pytest.fixture
def small_grid() -> Landscape:
    from solver.synthetic import grid_landscape

    return grid_landscape(12, 15, seed=3)
