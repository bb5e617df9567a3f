"""The matcher's neighbour vote (coach.matcher.neighbour_vote), without models."""

import numpy as np
import pytest

from coach.matcher import neighbour_vote

CLASSES = ["__neutral__", "cash_flow", "too_busy"]
LABELS = np.array(["too_busy", "too_busy", "__neutral__", "cash_flow", "__neutral__"])


def test_each_row_is_a_distribution_led_by_the_nearest_examples():
    sims = np.array(
        [
            [0.90, 0.88, 0.80, 0.10, 0.75],  # two close too_busy examples, a farther neutral one
            [0.10, 0.20, 0.30, 0.95, 0.20],  # one clear cash_flow neighbour
        ]
    )
    vote = neighbour_vote(sims, LABELS, CLASSES, k=3, temperature=0.05)
    assert vote.shape == (2, 3)
    assert np.allclose(vote.sum(1), 1.0)
    assert vote[0].argmax() == CLASSES.index("too_busy") and vote[0, 2] > 0.8
    assert vote[1].argmax() == CLASSES.index("cash_flow")


def test_only_the_k_nearest_vote_and_k_is_capped_by_the_examples():
    sims = np.array([[0.9, 0.1, 0.8, 0.2, 0.85]])
    one = neighbour_vote(sims, LABELS, CLASSES, k=1, temperature=0.05)
    assert one[0].tolist() == [0.0, 0.0, 1.0]  # the single nearest is too_busy
    everyone = neighbour_vote(sims, LABELS, CLASSES, k=50, temperature=10.0)
    assert np.allclose(everyone.sum(1), 1.0)
    assert everyone[0, 1] == pytest.approx(0.2, abs=0.02)  # near-uniform: 1 of 5 is cash_flow


def test_labels_may_come_as_column_numbers():
    sims = np.array([[0.9, 0.1, 0.8, 0.2, 0.85], [0.1, 0.2, 0.3, 0.95, 0.2]])
    columns = np.array([CLASSES.index(label) for label in LABELS])
    by_name = neighbour_vote(sims, LABELS, CLASSES, k=3, temperature=0.05)
    assert np.array_equal(neighbour_vote(sims, columns, CLASSES, k=3, temperature=0.05), by_name)
