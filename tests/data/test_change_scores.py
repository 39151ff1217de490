"""Agreement scores of a simulated map against the real one: a hand-worked case, null and
perfect models, weights, the restricted-change check, the agreement map and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from data.change.scores import (
    AGREEMENT_CODES,
    AGREEMENT_NODATA,
    ChangeScores,
    agreement_map,
    change_scores,
)

# Classes: 0 farmland, 1 forest, 2 built-up.
START = np.array(
    [
        [0, 0, 0, 1],
        [0, 0, 1, 1],
        [0, 0, 1, 1],
        [2, 2, 1, 1],
    ]
)
REAL = np.array(
    [
        [0, 2, 2, 1],
        [0, 0, 1, 1],
        [2, 0, 1, 0],
        [2, 2, 1, 1],
    ]
)
SIMULATED = np.array(
    [
        [0, 2, 0, 1],
        [0, 2, 1, 1],
        [1, 0, 1, 0],
        [2, 2, 1, 0],
    ]
)
# Cell by cell (row, col): start → real, simulated:
#   (0,1) 0→2, sim 2: hit              (0,2) 0→2, sim 0: miss
#   (2,0) 0→2, sim 1: wrong hit        (2,3) 1→0, sim 0: hit
#   (1,1) 0 stays, sim 2: false alarm  (3,3) 1 stays, sim 0: false alarm
#   the other 10 cells stay and are simulated to stay: correct persistence.
# Hits B = 2, misses A = 1, wrong hits C = 1, false alarms D = 2.
# FoM = B / (A + B + C + D) = 2 / 6 = 1/3.
# Observed change = A + B + C = 4; simulated change = B + C + D = 5.
#
# Confusion matrix, rows real, columns simulated:
#             sim 0  sim 1  sim 2 | real_k
#   real 0      4      0      1   |   5
#   real 1      1      5      0   |   6
#   real 2      1      1      3   |   5
#   sim_k       6      6      4   |  16
# Agreement = 4 + 5 + 3 = 12 (= correct persistence 10 + hits 2); p_o = 12/16 = 3/4.
# p_e = Σ real_k·sim_k / 16² = (5·6 + 6·6 + 5·4) / 256 = 86/256 = 43/128.
# Kappa = (3/4 − 43/128) / (1 − 43/128) = (53/128) / (85/128) = 53/85.
# Quantity disagreement = ½ (|6−5| + |6−6| + |4−5|) / 16 = 1/16.
# Allocation disagreement = (1 − 3/4) − 1/16 = 3/16. Cross-check with Pontius & Millones'
#   per-class form, ½ Σ_k 2·min(sim_k − agree_k, real_k − agree_k) / 16
#   = ½ (2·min(2,1) + 2·min(1,1) + 2·min(1,2)) / 16 = ½ · 6 / 16 = 3/16.
# Producer's accuracy agree_k / real_k: 4/5, 5/6, 3/5.
# User's accuracy agree_k / sim_k: 4/6, 5/6, 3/4.


def test_hand_worked_four_by_four():
    scores = change_scores(START.ravel(), REAL.ravel(), SIMULATED.ravel(), n_classes=3)

    assert scores.hits == 2
    assert scores.misses == 1
    assert scores.wrong_hits == 1
    assert scores.false_alarms == 2
    assert scores.correct_persistence == 10
    assert scores.observed_change == 4
    assert scores.simulated_change == 5
    assert scores.fom == pytest.approx(1 / 3)
    assert scores.overall_agreement == pytest.approx(3 / 4)
    assert scores.kappa == pytest.approx(53 / 85)
    assert scores.quantity_disagreement == pytest.approx(1 / 16)
    assert scores.allocation_disagreement == pytest.approx(3 / 16)
    assert scores.producer_accuracy == pytest.approx((4 / 5, 5 / 6, 3 / 5))
    assert scores.user_accuracy == pytest.approx((4 / 6, 5 / 6, 3 / 4))
    assert scores.restricted_changed == 0


def test_two_dimensional_grids_score_like_their_flattened_cells():
    assert change_scores(START, REAL, SIMULATED, 3) == change_scores(
        START.ravel(), REAL.ravel(), SIMULATED.ravel(), 3
    )


def test_null_model_scores_zero_fom_and_no_hits():
    scores = change_scores(START, REAL, START, 3)

    assert scores.fom == 0
    assert scores.hits == 0
    assert scores.misses == scores.observed_change == 4
    assert scores.simulated_change == 0
    # The null model still agrees on most of the map: Kappa does not show its lack of skill.
    assert scores.overall_agreement == pytest.approx(12 / 16)


def test_perfect_simulation_scores_fom_one_and_kappa_one():
    scores = change_scores(START, REAL, REAL, 3)

    assert scores.fom == 1
    assert scores.kappa == pytest.approx(1)
    assert scores.hits == 4
    assert scores.misses == scores.wrong_hits == scores.false_alarms == 0
    assert scores.quantity_disagreement == 0
    assert scores.allocation_disagreement == 0
    assert scores.producer_accuracy == scores.user_accuracy == (1.0, 1.0, 1.0)


def test_no_change_anywhere_gives_fom_zero_and_one_class_gives_kappa_zero():
    still = change_scores(START, START, START, 3)
    assert still.fom == 0
    assert still.kappa == pytest.approx(1)

    one_class = change_scores(np.zeros(5, int), np.zeros(5, int), np.zeros(5, int), 2)
    assert one_class.kappa == 0
    assert one_class.overall_agreement == 1
    # Class 1 is in neither map: no accuracy to report for it.
    assert one_class.producer_accuracy == (1.0, None)
    assert one_class.user_accuracy == (1.0, None)


def test_a_unit_of_weight_two_counts_like_two_units_of_weight_one():
    rng = np.random.default_rng(7)
    n = 500
    start, real, simulated = (rng.integers(0, 4, n) for _ in range(3))
    restricted = rng.random(n) < 0.3
    weights = rng.integers(0, 3, n).astype(float)  # 0, 1 or 2
    repeat = weights.astype(int)

    weighted = change_scores(start, real, simulated, 4, weights=weights, restricted=restricted)
    duplicated = change_scores(
        np.repeat(start, repeat),
        np.repeat(real, repeat),
        np.repeat(simulated, repeat),
        4,
        restricted=np.repeat(restricted, repeat),
    )

    for name, value in vars(duplicated).items():
        assert getattr(weighted, name) == pytest.approx(value), name


def test_scores_are_consistent_on_a_random_map():
    rng = np.random.default_rng(3)
    start, real, simulated = (rng.integers(0, 5, 2_000) for _ in range(3))
    weights = rng.random(2_000)
    s = change_scores(start, real, simulated, 5, weights=weights)

    total = weights.sum()
    parts = s.hits + s.misses + s.wrong_hits + s.false_alarms + s.correct_persistence
    assert parts == pytest.approx(total)
    assert s.overall_agreement == pytest.approx(weights[simulated == real].sum() / total)
    assert s.quantity_disagreement + s.allocation_disagreement == pytest.approx(1 - s.overall_agreement)


def test_restricted_changed_counts_only_restricted_units_the_simulation_changed():
    start = np.array([0, 0, 1, 1, 2, 2])
    real = np.array([0, 1, 1, 2, 2, 0])
    simulated = np.array([1, 0, 1, 0, 2, 0])
    restricted = np.array([True, True, True, False, False, True])
    weights = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0])
    # Changed by the simulation: units 0, 3, 5. Restricted among them: 0 and 5 (unit 3 is not
    # restricted; restricted units 1 and 2 stayed in the simulation even where reality changed).
    scores = change_scores(start, real, simulated, 3, weights=weights, restricted=restricted)
    assert scores.restricted_changed == 1.0 + 32.0

    unweighted = change_scores(start, real, simulated, 3, restricted=restricted.astype(np.uint8))
    assert unweighted.restricted_changed == 2


def test_agreement_map_codes_each_cell():
    codes = agreement_map(START, REAL, SIMULATED)
    p, h, m, w, f = (AGREEMENT_CODES[k] for k in ("persistence", "hit", "miss", "wrong_hit", "false_alarm"))

    assert codes.dtype == np.uint8
    assert codes.shape == (4, 4)
    np.testing.assert_array_equal(
        codes,
        [
            [p, h, m, p],
            [p, f, p, p],
            [w, p, p, h],
            [p, p, p, f],
        ],
    )
    assert AGREEMENT_CODES == {"persistence": 1, "hit": 2, "miss": 3, "wrong_hit": 4, "false_alarm": 5}
    assert AGREEMENT_NODATA not in AGREEMENT_CODES.values()


def test_to_dict_is_json_ready_with_classes_keyed():
    scores = change_scores(START, REAL, SIMULATED, 3)
    out = scores.to_dict(["farmland", "forest", "built"])

    assert json.loads(json.dumps(out)) == out
    assert out["hits"] == 2 and isinstance(out["hits"], int)
    assert out["fom"] == 0.3333
    assert out["kappa"] == round(53 / 85, 4)
    assert out["producer_accuracy"] == {"farmland": 0.8, "forest": 0.8333, "built": 0.6}
    assert set(out) == set(vars(scores))

    area = change_scores(START, REAL, SIMULATED, 3, weights=np.full((4, 4), 0.09))
    assert area.to_dict(["a", "b", "c"])["hits"] == 0.18

    with pytest.raises(ValueError, match="class_keys"):
        scores.to_dict(["farmland", "forest"])


def test_scores_are_frozen():
    scores = change_scores(START, REAL, SIMULATED, 3)
    assert isinstance(scores, ChangeScores)
    with pytest.raises(AttributeError):
        scores.fom = 1.0


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"real": REAL.ravel()}, "real"),
        ({"simulated": SIMULATED[:3]}, "simulated"),
        ({"simulated": np.where(SIMULATED == 2, 3, SIMULATED)}, "simulated"),
        ({"start": START - 1}, "start"),
        ({"real": REAL.astype(float)}, "real"),
        ({"n_classes": 0}, "n_classes"),
        ({"weights": np.where(START == 2, -1.0, 1.0)}, "weights"),
        ({"weights": np.full((4, 4), np.nan)}, "weights"),
        ({"weights": np.ones(16)}, "weights"),
        ({"weights": np.zeros((4, 4))}, "weights"),
        ({"restricted": np.full((4, 4), 2)}, "restricted"),
        ({"restricted": np.ones(3, bool)}, "restricted"),
    ],
)
def test_bad_input_raises_naming_the_argument(kwargs, argument):
    arguments = {"start": START, "real": REAL, "simulated": SIMULATED, "n_classes": 3} | kwargs
    with pytest.raises(ValueError, match=rf"^{argument}:"):
        change_scores(**arguments)


def test_agreement_map_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="^simulated:"):
        agreement_map(START, REAL, SIMULATED.ravel())
