from __future__ import annotations

import math

import numpy as np
import pytest

from recommender.evaluation.metrics import holdout_split, intra_list_distance, jaccard, ndcg_at_k, recall_at_k


def test_recall_at_k_counts_the_share_of_relevant_items_in_the_top_k():
    assert recall_at_k([1, 2, 3, 4], {2, 5}, 1) == 0.0
    assert recall_at_k([1, 2, 3, 4], {2, 5}, 2) == 0.5
    assert recall_at_k([1, 2, 3, 4], {2, 4}, 10) == 1.0
    assert math.isnan(recall_at_k([1, 2], set(), 2))


def test_ndcg_matches_hand_computed_values():
    # Hits at ranks 2 and 3 of 3; ideal puts two hits at ranks 1 and 2.
    dcg = 1 / math.log2(3) + 1 / math.log2(4)
    ideal = 1 + 1 / math.log2(3)
    assert ndcg_at_k(["a", "b", "c"], {"b", "c"}, 3) == pytest.approx(dcg / ideal)  # 0.6934
    assert ndcg_at_k(["a", "b", "c"], {"b", "c"}, 3) == pytest.approx(0.69342, abs=1e-5)
    # k cuts the ideal too: three relevant but only two slots.
    assert ndcg_at_k(["x", "r1"], {"r1", "r2", "r3"}, 2) == pytest.approx((1 / math.log2(3)) / ideal)
    assert ndcg_at_k(["r1", "r2"], {"r1", "r2"}, 2) == 1.0
    assert ndcg_at_k(["x", "y"], {"r1"}, 2) == 0.0


def test_ndcg_counts_a_repeated_hit_once():
    assert ndcg_at_k(["r", "r"], {"r", "s"}, 2) == pytest.approx(1 / (1 + 1 / math.log2(3)))


def test_jaccard_of_two_lists():
    assert jaccard([1, 2, 3], [2, 3, 4]) == 0.5
    assert jaccard([1, 2], [3, 4]) == 0.0
    assert jaccard([], []) == 1.0


def test_intra_list_distance_is_the_mean_pairwise_cosine_distance():
    e1, e2 = [1.0, 0.0], [0.0, 2.0]  # not unit length: the metric normalises

    assert intra_list_distance(np.array([e1, e2])) == pytest.approx(1.0)
    assert intra_list_distance(np.array([e1, e1])) == pytest.approx(0.0)
    assert intra_list_distance(np.array([e1, e1, e2])) == pytest.approx(2 / 3)
    assert math.isnan(intra_list_distance(np.array([e1])))


def test_holdout_split_hides_a_seeded_fifth_and_keeps_the_order():
    items = list(range(10))

    visible, hidden = holdout_split(items, fraction=0.2, rng=np.random.default_rng(7))

    assert len(hidden) == 2 and len(visible) == 8
    assert sorted(visible + hidden) == items
    assert visible == sorted(visible) and hidden == sorted(hidden)
    assert holdout_split(items, fraction=0.2, rng=np.random.default_rng(7)) == (visible, hidden)
    assert len(holdout_split([1, 2], fraction=0.2, rng=np.random.default_rng(0))[1]) == 1
