from __future__ import annotations

from collections import Counter

import numpy as np

from recommender.mood_text import TargetRegion
from recommender.rank import UNKNOWN_FIT, RankWeights, region_fit, sample_diverse, score_candidates

REGION = TargetRegion(valence=0.2, energy=0.3, width=0.2)


def test_it_fits_tracks_at_the_region_centre_best():
    fit = region_fit(np.array([0.2, 0.4, 0.9]), np.array([0.3, 0.3, 0.9]), REGION)

    assert fit[0] == 1.0
    assert fit[0] > fit[1] > fit[2]


def test_it_gives_tracks_without_features_a_middling_fit():
    fit = region_fit(np.array([np.nan, 0.2]), np.array([0.5, np.nan]), REGION)

    assert list(fit) == [UNKNOWN_FIT, UNKNOWN_FIT]


def test_it_lets_mood_fit_outweigh_a_small_similarity_edge():
    scores = score_candidates(
        similarity=np.array([0.50, 0.55]),
        valence=np.array([0.2, 0.9]),
        energy=np.array([0.3, 0.9]),
        popularity=np.array([50.0, 50.0]),
        region=REGION,
    )

    assert scores[0] > scores[1]


def test_it_breaks_ties_with_popularity_and_treats_unknown_as_middling():
    scores = score_candidates(
        similarity=np.full(3, 0.5),
        valence=np.full(3, 0.2),
        energy=np.full(3, 0.3),
        popularity=np.array([90.0, np.nan, 10.0]),
        region=REGION,
    )

    assert scores[0] > scores[1] > scores[2]


def test_it_takes_the_plain_top_k_at_zero_temperature():
    scores = np.array([0.1, 0.9, 0.5, 0.7])

    chosen = sample_diverse(
        scores, [[1], [2], [3], [4]], count=3, rng=np.random.default_rng(0), temperature=0
    )

    assert chosen == [1, 3, 2]


def test_it_allows_at_most_two_tracks_per_artist():
    scores = np.linspace(1.0, 0.0, 10)
    artists = [["a"]] * 5 + [["b"]] * 3 + [["c"], ["d"]]

    chosen = sample_diverse(scores, artists, count=10, rng=np.random.default_rng(0))

    counts = Counter(name for index in chosen for name in artists[index])
    assert max(counts.values()) == 2
    assert len(chosen) == 6


def test_it_counts_a_collaboration_for_every_artist_on_it():
    artists = [["a", "b"], ["a"], ["b"], ["a"]]

    chosen = sample_diverse(
        np.array([4.0, 3.0, 2.0, 1.0]), artists, count=4, rng=np.random.default_rng(0), temperature=0
    )

    assert chosen == [0, 1, 2]


def test_it_draws_different_lists_from_different_seeds_but_the_same_from_one_seed():
    scores = np.random.default_rng(7).random(200)
    artists = [[index] for index in range(200)]

    def draw(seed: int) -> list[int]:
        return sample_diverse(scores, artists, count=8, rng=np.random.default_rng(seed))

    assert draw(1) == draw(1)
    assert draw(1) != draw(2)


def test_it_favours_higher_scores_when_sampling():
    scores = np.array([1.0, 0.8, 0.2, 0.0])
    rng = np.random.default_rng(3)

    firsts = Counter(
        sample_diverse(scores, [[0], [1], [2], [3]], count=1, rng=rng, temperature=RankWeights().temperature)[
            0
        ]
        for _ in range(500)
    )

    assert firsts[0] > firsts[1] > firsts[2] >= firsts[3]
