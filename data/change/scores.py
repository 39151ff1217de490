"""How well a simulated land-use map agrees with the real one, as land-change modellers report it.

A change model starts from the map of year 1 (``start``), simulates year 2 (``simulated``) and
is judged against the observed map of year 2 (``real``). Every unit (a cell, or a parcel) is
weighted, by default 1 (a cell count); pass cell or parcel areas to get areas instead.

Scores of change, which need all three maps (Pontius et al. 2008, "Comparing the input,
output, and validation maps for several models of land change", Annals of Regional Science
42: 11–37):

- **hits** (B): the unit really changed and the model changed it to the class it really became;
- **misses** (A): the unit really changed but the model left it as it was;
- **wrong hits** (C): the unit really changed and the model changed it, but to another class;
- **false alarms** (D): the unit really stayed as it was but the model changed it;
- **correct persistence**: neither the real map nor the model changed the unit.
- **Figure of Merit** FoM = B / (A + B + C + D): the share of all change, observed or
  simulated, that the model got right. It ignores persistence, so a model that changes
  nothing (the null model) scores 0 however much of the map stays the same — the reason FoM
  rather than Kappa shows a model's skill. It is 0 when there is no change at all.

Scores of the two year-2 maps alone (simulated against real, per class):

- **overall agreement**: the share of weight whose simulated class is the real class;
- **Kappa** (Cohen): overall agreement p_o corrected for the agreement p_e expected from the
  two maps' class shares alone, (p_o − p_e) / (1 − p_e); 0 here when p_e is 1 (one class
  fills both maps, so nothing is left to score);
- **quantity disagreement** Q (Pontius & Millones 2011, "Death to Kappa: birth of quantity
  disagreement and allocation disagreement for accuracy assessment", International Journal
  of Remote Sensing 32: 4407–4429): the disagreement that would remain however well the
  model placed its classes, because it got their amounts wrong: ½ Σ_k |sim_k − real_k| over
  the total, with sim_k and real_k each class's weight in the two maps;
- **allocation disagreement**: the rest of the disagreement, (1 − overall agreement) − Q,
  due to classes being put in the wrong places given their amounts;
- **producer's accuracy** of class k: the share of the real class k that the model placed
  correctly (errors of omission are 1 minus it); **user's accuracy**: the share of the
  simulated class k that really is k (errors of commission are 1 minus it).

``restricted_changed`` is the weight of restricted units (e.g. water, a no-change mask) that
the simulation changed anyway: a constraint check, 0 for a model that respects its mask.

Counts come from ``np.bincount`` (a class confusion matrix and a tally of agreement codes), so
scoring Wuhan's 5.3 million 30 m cells takes a fraction of a second without loops over cells.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_PERSISTENCE, _HIT, _MISS, _WRONG_HIT, _FALSE_ALARM = (np.uint8(code) for code in range(1, 6))

AGREEMENT_CODES: dict[str, int] = {
    "persistence": int(_PERSISTENCE),
    "hit": int(_HIT),
    "miss": int(_MISS),
    "wrong_hit": int(_WRONG_HIT),
    "false_alarm": int(_FALSE_ALARM),
}
AGREEMENT_NODATA = 255

# Fields that hold weights (counts or areas) rather than shares.
_COUNT_FIELDS = (
    "hits",
    "misses",
    "wrong_hits",
    "false_alarms",
    "correct_persistence",
    "observed_change",
    "simulated_change",
    "restricted_changed",
)
_SHARE_DECIMALS = 4
_AREA_DECIMALS = 4


@dataclass(frozen=True)
class ChangeScores:
    """Agreement of a simulated map with the real map; see the module docstring for definitions.

    Counts (``hits`` … ``restricted_changed``) are in the unit of the weights (cells by
    default); the other figures are shares in [0, 1] (Kappa in [-1, 1]). Per-class tuples are
    indexed by class 0..K-1 and hold ``None`` where the class is absent from the map divided by.
    """

    fom: float
    hits: float
    misses: float
    wrong_hits: float
    false_alarms: float
    correct_persistence: float
    observed_change: float
    simulated_change: float
    overall_agreement: float
    kappa: float
    quantity_disagreement: float
    allocation_disagreement: float
    producer_accuracy: tuple[float | None, ...]
    user_accuracy: tuple[float | None, ...]
    restricted_changed: float

    def to_dict(self, class_keys: Sequence[str]) -> dict:
        """The scores as a JSON-ready dict, per-class accuracies keyed by class.

        Parameters
        ----------
        class_keys : sequence of str
            One key per class, in class-index order (e.g. the store's class keys).

        Returns
        -------
        dict
            Every field by name. Shares are rounded to 4 decimals; counts are ints when all of
            them are whole numbers (unit weights, or whole-number areas), else rounded to 4
            decimals. Per-class accuracies become ``{key: value}`` with ``None`` kept.

        Raises
        ------
        ValueError
            If ``class_keys`` does not hold exactly one key per class.
        """
        keys = list(class_keys)
        if len(keys) != len(self.producer_accuracy):
            raise ValueError(f"class_keys: {len(keys)} keys for {len(self.producer_accuracy)} classes")
        whole = all(float(getattr(self, name)).is_integer() for name in _COUNT_FIELDS)
        out: dict = {}
        for name, value in vars(self).items():
            if name in ("producer_accuracy", "user_accuracy"):
                out[name] = {key: _round_share(v) for key, v in zip(keys, value, strict=True)}
            elif name in _COUNT_FIELDS:
                out[name] = int(value) if whole else round(float(value), _AREA_DECIMALS)
            else:
                out[name] = _round_share(value)
        return out


def _round_share(value: float | None) -> float | None:
    return None if value is None else round(float(value), _SHARE_DECIMALS)


def agreement_map(start, real, simulated) -> np.ndarray:
    """Code each unit by how the simulated change agrees with the observed change.

    Parameters
    ----------
    start, real, simulated : array_like
        Classes of the same units at the start, in reality at the end and as simulated at the
        end; any shape (e.g. 2-D rasters), all three the same.

    Returns
    -------
    numpy.ndarray of uint8
        Same shape as the inputs, holding :data:`AGREEMENT_CODES`: 1 persistence, 2 hit,
        3 miss, 4 wrong hit, 5 false alarm. Nodata is the caller's to mark (with
        :data:`AGREEMENT_NODATA`, 255) since only the caller knows which units have none.

    Raises
    ------
    ValueError
        If the shapes differ (the message names the argument).
    """
    start = np.asarray(start)
    real = _same_shape("real", real, start.shape)
    simulated = _same_shape("simulated", simulated, start.shape)
    return _codes(start, real, simulated)


def _codes(start: np.ndarray, real: np.ndarray, simulated: np.ndarray) -> np.ndarray:
    changed_real = real != start
    changed_sim = simulated != start
    # A unit with simulated == real that really changed was necessarily changed by the model.
    on_change = np.where(simulated == real, _HIT, np.where(changed_sim, _WRONG_HIT, _MISS))
    on_persistence = np.where(changed_sim, _FALSE_ALARM, _PERSISTENCE)
    return np.where(changed_real, on_change, on_persistence).astype(np.uint8, copy=False)


def change_scores(
    start,
    real,
    simulated,
    n_classes: int,
    weights=None,
    restricted=None,
) -> ChangeScores:
    """Score a simulated land-use map against the real map (FoM, Kappa, disagreement, accuracy).

    Parameters
    ----------
    start, real, simulated : array_like of int
        Class indices 0..n_classes-1 of the same units: the start map, the real end map and
        the simulated end map. Usually (n,); any shape is accepted if all three agree.
    n_classes : int
        Number of classes K (the length of the per-class accuracy tuples).
    weights : array_like of float, optional
        Weight of each unit (e.g. cell or parcel area), finite and >= 0; default 1 per unit.
    restricted : array_like of bool, optional
        Units the simulation was not allowed to change (0/1 integers are accepted too).

    Returns
    -------
    ChangeScores
        Counts in the unit of ``weights``, shares of the total weight; see the module
        docstring for each figure's definition.

    Raises
    ------
    ValueError
        If shapes differ, a class lies outside 0..n_classes-1, classes are not integers,
        weights are not finite or negative, restricted is not boolean, or there is no weight
        to score (no units, or all weights 0); the message names the argument.
    """
    k = _as_n_classes(n_classes)
    start = _as_classes("start", start, np.shape(start), k)
    real = _as_classes("real", real, start.shape, k)
    simulated = _as_classes("simulated", simulated, start.shape, k)
    w = _as_weights(weights, start.shape)
    mask = _as_mask(restricted, start.shape)
    if start.size == 0:
        raise ValueError("start: no units to score")

    flat_w = w.ravel() if w is not None else None
    confusion = _confusion(real.ravel(), simulated.ravel(), k, flat_w)
    total = float(confusion.sum())
    if total == 0:
        raise ValueError("weights: all weights are 0, so there is nothing to score")
    outcome = _tally(_codes(start, real, simulated).ravel(), flat_w, int(_FALSE_ALARM) + 1)
    hits, misses = float(outcome[_HIT]), float(outcome[_MISS])
    wrong_hits, false_alarms = float(outcome[_WRONG_HIT]), float(outcome[_FALSE_ALARM])
    change_total = hits + misses + wrong_hits + false_alarms

    agree = np.diag(confusion)
    real_k, sim_k = confusion.sum(axis=1), confusion.sum(axis=0)
    overall = float(agree.sum()) / total
    quantity = 0.5 * float(np.abs(sim_k - real_k).sum()) / total
    return ChangeScores(
        fom=hits / change_total if change_total > 0 else 0.0,
        hits=hits,
        misses=misses,
        wrong_hits=wrong_hits,
        false_alarms=false_alarms,
        correct_persistence=float(outcome[_PERSISTENCE]),
        observed_change=hits + misses + wrong_hits,
        simulated_change=hits + wrong_hits + false_alarms,
        overall_agreement=overall,
        kappa=_kappa(overall, real_k, sim_k, total),
        quantity_disagreement=quantity,
        # Mathematically >= 0; the clip only removes rounding noise like -1e-17.
        allocation_disagreement=max(0.0, (1.0 - overall) - quantity),
        producer_accuracy=_ratios(agree, real_k),
        user_accuracy=_ratios(agree, sim_k),
        restricted_changed=_restricted_changed(start, simulated, w, mask),
    )


def _tally(codes: np.ndarray, weights: np.ndarray | None, length: int) -> np.ndarray:
    # bincount without weights returns ints; scores are floats either way.
    return np.bincount(codes, weights=weights, minlength=length).astype(np.float64)


def _confusion(real: np.ndarray, simulated: np.ndarray, k: int, weights: np.ndarray | None) -> np.ndarray:
    """K×K weights with the real class as row and the simulated class as column."""
    pair = real.astype(np.int64) * k + simulated
    return _tally(pair, weights, k * k).reshape(k, k)


def _kappa(overall: float, real_k: np.ndarray, sim_k: np.ndarray, total: float) -> float:
    expected = float(real_k @ sim_k) / (total * total)
    # expected == 1 only when one class fills both maps; allow for rounding around it.
    if expected >= 1.0 - 1e-12:
        return 0.0
    return (overall - expected) / (1.0 - expected)


def _ratios(numerator: np.ndarray, denominator: np.ndarray) -> tuple[float | None, ...]:
    return tuple(float(n) / float(d) if d > 0 else None for n, d in zip(numerator, denominator, strict=True))


def _restricted_changed(
    start: np.ndarray, simulated: np.ndarray, weights: np.ndarray | None, mask: np.ndarray | None
) -> float:
    if mask is None:
        return 0.0
    broken = mask & (simulated != start)
    return float(weights[broken].sum()) if weights is not None else float(np.count_nonzero(broken))


def _same_shape(name: str, values, shape: tuple[int, ...]) -> np.ndarray:
    array = np.asarray(values)
    if array.shape != shape:
        raise ValueError(f"{name}: shape {array.shape} differs from start's {shape}")
    return array


def _as_n_classes(n_classes: int) -> int:
    try:
        k = operator.index(n_classes)
    except TypeError:
        raise ValueError(f"n_classes: must be an integer, got {n_classes!r}") from None
    if k < 1:
        raise ValueError(f"n_classes: must be at least 1, got {k}")
    return k


def _as_classes(name: str, values, shape: tuple[int, ...], k: int) -> np.ndarray:
    array = _same_shape(name, values, shape)
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name}: class indices must be integers, got dtype {array.dtype}")
    if array.size:
        outside = (array < 0) | (array >= k)
        if outside.any():
            bad = array[outside]
            raise ValueError(
                f"{name}: class indices must lie in 0..{k - 1} (n_classes={k}); "
                f"{bad.size} unit(s) outside, e.g. {bad[0]}"
            )
    return array


def _as_weights(weights, shape: tuple[int, ...]) -> np.ndarray | None:
    if weights is None:
        return None
    try:
        array = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("weights: must be numbers") from None
    if array.shape != shape:
        raise ValueError(f"weights: shape {array.shape} differs from start's {shape}")
    if not np.isfinite(array).all():
        raise ValueError("weights: must be finite (found NaN or infinity)")
    if (array < 0).any():
        raise ValueError(f"weights: must be >= 0, found {array.min()}")
    return array


def _as_mask(restricted, shape: tuple[int, ...]) -> np.ndarray | None:
    if restricted is None:
        return None
    array = _same_shape("restricted", restricted, shape)
    if array.dtype == bool:
        return array
    # Masks read from rasters are often 0/1 integers; anything else is a mistake.
    if np.issubdtype(array.dtype, np.integer) and np.isin(array, (0, 1)).all():
        return array.astype(bool)
    raise ValueError(f"restricted: must be boolean (or 0/1), got dtype {array.dtype}")
