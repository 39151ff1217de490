"""The class a grid cell takes: majority, or the area-preserving transport rule."""

from __future__ import annotations

import numpy as np
import pytest

from data.importers.aggregation import cell_classes, class_quotas

# 4 cells of 4 pixels: class B holds a quarter of the area but is nowhere the majority
COUNTS = np.array([[3, 1], [3, 1], [2, 2], [4, 0]])


def test_majority_loses_a_scattered_class() -> None:
    assert cell_classes(COUNTS, "majority").tolist() == [0, 0, 0, 0]  # the 2–2 tie goes to A


def test_preserve_area_gives_the_scattered_class_its_area_where_it_is_densest() -> None:
    # B's 4 pixels are one cell's worth; the cell losing fewest pixels to it is cell 2
    assert cell_classes(COUNTS, "preserve_area").tolist() == [0, 0, 1, 0]


def test_small_cut_cells_are_not_favoured() -> None:
    """A two-pixel cell cut by the raster's edge would lose fewest pixels to B (1 against 3),
    but half its share: B (6 of 26 pixels ≈ one cell) goes to the cell it is 5/8 of."""
    counts = np.array([[1, 1], [3, 5], [8, 0], [8, 0]])
    assert cell_classes(counts, "preserve_area").tolist() == [0, 1, 0, 0]


def test_quotas_add_up_to_the_cells() -> None:
    quotas = class_quotas(np.array([10.0, 10.0, 10.0]), 4)
    assert quotas.sum() == 4 and sorted(quotas.tolist()) == [1, 1, 2]


def test_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="preserve_area"):
        cell_classes(COUNTS, "mode")
