"""Transition potential learned from observed change (what PLUS's LEAS does, as one model).

A gradient-boosted classifier (LightGBM, multiclass) learns, from a start and an end map, the
probability that a cell with given drivers and current class is of class k at the end:
``P[i, k]``. It is one model for all classes (the current class is a categorical driver), so
persistence and every transition are learned together and the probabilities of a cell sum to 1.

What the learner reports, per class, is each driver's contribution: the mean absolute SHAP value
of the driver in that class's raw score over a sample of cells (LightGBM's ``pred_contrib``),
as a share of the class's total — LEAS reports driver contributions per class the same way in
spirit. A held-out fifth of the sampled cells gives the model's log loss and accuracy, on all
cells and on the cells that changed.

Determinism: the sample, the split and LightGBM (``deterministic=True``, fixed thread count and
seeds) depend only on ``seed``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

# LightGBM's OpenMP threads spin while they wait by default: on a busy 2-core machine (the
# engine, the dashboard, a test run beside it) a fit then takes 5-10× longer. Passive waiting
# (read when OpenMP loads with LightGBM, so set before the import) gives the same model.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import lightgbm as lgb  # noqa: E402
import numpy as np
import pandas as pd

#: Rows learned from at most (a random sample beyond): enough for stable trees, fits in ~1 min.
MAX_TRAINING_ROWS = 1_500_000
#: Cells whose driver contributions are averaged for the importance table.
IMPORTANCE_ROWS = 1_000
THREADS = 2  # fixed, so that the same seed gives the same model on any machine
BOOSTING_ROUNDS = 400
EARLY_STOP_ROUNDS = 20
PARAMS = {"objective": "multiclass", "learning_rate": 0.05, "num_leaves": 31,
          "min_data_in_leaf": 100, "lambda_l2": 1.0, "feature_fraction": 0.8,
          "deterministic": True, "force_row_wise": True, "num_threads": THREADS, "verbose": -1}


@dataclass(frozen=True, eq=False)
class PotentialModel:
    """A fitted transition-potential model.

    Attributes
    ----------
    booster : lightgbm.Booster
    features : tuple of str
        Driver columns in the order the model reads them.
    categorical : tuple of str
        The categorical drivers (the current class, soil units …).
    class_keys : tuple of str
    importance : dict
        Class key → {driver: share of the class's mean |contribution|} (shares sum to 1).
    training : dict
        Rows, seconds, held-out log loss and accuracy (all cells and changed cells).
    """

    booster: lgb.Booster
    features: tuple[str, ...]
    categorical: tuple[str, ...]
    class_keys: tuple[str, ...]
    importance: dict[str, dict[str, float]]
    training: dict[str, float]

    def predict(self, drivers: pd.DataFrame, batch: int = 1_000_000) -> np.ndarray:
        """``P`` (n, K) float32: probability of each class at the end of a period like the
        training one, for cells described by ``drivers`` (same columns as in training)."""
        matrix = _matrix(drivers, self.features)
        out = np.empty((len(matrix), len(self.class_keys)), dtype=np.float32)
        for start in range(0, len(matrix), batch):
            out[start:start + batch] = self.booster.predict(
                matrix[start:start + batch], num_threads=THREADS,
                num_iteration=self.booster.best_iteration)
        return out


def fit_potential(drivers: pd.DataFrame, end_class: np.ndarray, class_keys: tuple[str, ...],
                  categorical: tuple[str, ...] = ("class",), seed: int = 0,
                  max_rows: int = MAX_TRAINING_ROWS, rounds: int = BOOSTING_ROUNDS,
                  params: dict | None = None) -> PotentialModel:
    """Learn ``P(end class | drivers)`` from the cells of a start map.

    Parameters
    ----------
    drivers : DataFrame
        One row per cell at the start, including the ``class`` column (start class index).
    end_class : (n,) int
        Class index of each cell at the end.
    class_keys : tuple of str
        The K classes (indices refer to them).
    categorical : tuple of str
        Driver columns that are categories.
    seed : int
        Sampling and boosting seed.
    max_rows, rounds : int
        Training sample size and boosting rounds.
    params : dict, optional
        LightGBM parameters that replace the defaults (:data:`PARAMS`), e.g. to compare models.

    Returns
    -------
    PotentialModel
    """
    started = time.perf_counter()
    features = tuple(drivers.columns)
    matrix = _matrix(drivers, features)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(matrix), min(max_rows, len(matrix)), replace=False))
    part = rng.random(len(rows))
    train, stop, test = rows[part < 0.7], rows[(part >= 0.7) & (part < 0.85)], rows[part >= 0.85]
    cat_index = [features.index(c) for c in categorical if c in features]
    data = lgb.Dataset(matrix[train], end_class[train], feature_name=list(features),
                       categorical_feature=cat_index, free_raw_data=True)
    # Boosting stops when the log loss of cells it does not learn from stops falling: change is
    # rare, and an over-fitted model is sure of itself where it should not be.
    check = lgb.Dataset(matrix[stop], end_class[stop], reference=data)
    chosen = PARAMS | (params or {}) | {"num_class": len(class_keys), "seed": seed}
    booster = lgb.train(chosen, data, num_boost_round=rounds, valid_sets=[check],
                        callbacks=[lgb.early_stopping(EARLY_STOP_ROUNDS, verbose=False)])
    seconds = time.perf_counter() - started
    probabilities = booster.predict(matrix[test], num_threads=THREADS,
                                    num_iteration=booster.best_iteration)
    start_class = drivers["class"].to_numpy()[test].astype(int)
    training = {"rows": int(len(train)), "held_out_rows": int(len(test)),
                "rounds": int(booster.best_iteration or rounds), "seconds": round(seconds, 1),
                **_held_out_scores(probabilities, end_class[test], start_class)}
    sample = rows[:IMPORTANCE_ROWS] if len(rows) <= IMPORTANCE_ROWS else np.sort(
        rng.choice(rows, IMPORTANCE_ROWS, replace=False))
    importance = _importance(booster, matrix[sample], features, class_keys)
    return PotentialModel(booster, features, tuple(c for c in categorical if c in features),
                          class_keys, importance, training)


def _matrix(drivers: pd.DataFrame, features: tuple[str, ...]) -> np.ndarray:
    missing = [f for f in features if f not in drivers.columns]
    if missing:
        raise ValueError(f"drivers {missing} the model was trained on are missing: give the "
                         "same --driver options for every map")
    return drivers.loc[:, list(features)].to_numpy(dtype=np.float32)


def _held_out_scores(p: np.ndarray, truth: np.ndarray, start: np.ndarray) -> dict[str, float]:
    """Log loss and accuracy on held-out cells, overall and on the cells that changed."""
    picked = np.clip(p[np.arange(len(truth)), truth], 1e-12, 1.0)
    changed = truth != start
    scores = {"log_loss": float(-np.log(picked).mean()),
              "accuracy": float((p.argmax(axis=1) == truth).mean()),
              "changed_share": float(changed.mean())}
    if changed.any():
        scores["log_loss_changed"] = float(-np.log(picked[changed]).mean())
        scores["accuracy_changed"] = float((p[changed].argmax(axis=1) == truth[changed]).mean())
    return {k: round(v, 4) for k, v in scores.items()}


def _importance(booster: lgb.Booster, sample: np.ndarray, features: tuple[str, ...],
                class_keys: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """Per class: each driver's share of the mean |SHAP contribution| to the class's score."""
    n_features = len(features)
    contrib = booster.predict(sample, pred_contrib=True, num_threads=THREADS,
                              num_iteration=booster.best_iteration)
    contrib = np.abs(contrib.reshape(len(sample), len(class_keys), n_features + 1))
    mean = contrib[:, :, :n_features].mean(axis=0)  # last column is the bias
    table = {}
    for k, key in enumerate(class_keys):
        total = mean[k].sum()
        shares = mean[k] / total if total > 0 else np.zeros(n_features)
        table[key] = {f: round(float(s), 4) for f, s in zip(features, shares, strict=True)}
    return table
