from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from recommender.rank import (
    CandidateArrays,
    Weights,
    carries_mood,
    feedback_scores,
    mood_fit,
    preference_scores,
    score_parts,
    select,
)

CALM = np.array([0.0, 0.0, 1.0, 0.0])  # the target: calm (TRACK_MOODS order happy, sad, calm, energetic)
CALM_TRACK = [0.05, 0.1, 0.8, 0.05]
HAPPY_TRACK = [0.8, 0.05, 0.05, 0.1]


def test_it_fits_the_tracks_likeliest_to_carry_the_asked_mood_best():
    fit = mood_fit(np.array([CALM_TRACK, HAPPY_TRACK, [0.25, 0.25, 0.3, 0.2]]), CALM)

    assert fit[0] == pytest.approx(0.8)
    assert fit[0] > fit[2] > fit[1]


def test_a_mixed_target_rewards_either_mood():
    fit = mood_fit(np.array([CALM_TRACK, HAPPY_TRACK]), np.array([0.5, 0.0, 0.5, 0.0]))

    assert fit[0] == pytest.approx(fit[1], abs=0.01)


def arrays(
    n: int, *, artists=None, valence=None, energy=None, popularity=None, embeddings=None, moods=None
) -> CandidateArrays:
    """Candidates with neutral defaults for whatever a test does not care about."""
    return CandidateArrays(
        embeddings=np.zeros((n, 2)) if embeddings is None else embeddings,
        valence=np.full(n, np.nan) if valence is None else valence,
        energy=np.full(n, np.nan) if energy is None else energy,
        moods=np.full((n, 4), np.nan) if moods is None else np.asarray(moods, dtype=float),
        popularity=np.full(n, np.nan) if popularity is None else popularity,
        artists=[(i,) for i in range(n)] if artists is None else [tuple(a) for a in artists],
        sources=[("mood",)] * n,
        preference=np.zeros(n),
        feedback=np.zeros(n),
        recall_weight=np.zeros(n),
        explicit=np.zeros(n, dtype=bool),
    )


def similarity_embeddings(similarities: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Unit rows whose cosine with the returned query equals each given similarity."""
    rows = np.array([[value, np.sqrt(1 - value**2)] for value in similarities])
    return rows, np.array([1.0, 0.0])


def scores_of(candidates: CandidateArrays, query: np.ndarray) -> np.ndarray:
    total, _ = score_parts(candidates, query=query, recent=None, top=None, target=CALM, weights=Weights())
    return total


def draw(scores, artists, *, count, seed=0, temperature=Weights.temperature, max_per_artist=2) -> list[int]:
    weights = Weights(temperature=temperature, max_per_artist=max_per_artist)
    return select(
        np.asarray(scores, dtype=float), arrays(len(scores), artists=artists), count=count,
        rng=np.random.default_rng(seed), weights=weights,
    )  # fmt: skip


def test_it_gives_tracks_of_unknown_mood_a_middling_fit():
    fit = mood_fit(np.array([[np.nan] * 4, CALM_TRACK]), CALM)

    assert fit[0] == pytest.approx(0.25)


def test_it_lets_mood_fit_outweigh_a_small_similarity_edge():
    embeddings, query = similarity_embeddings([0.50, 0.55])
    candidates = arrays(
        2, embeddings=embeddings, moods=[CALM_TRACK, HAPPY_TRACK], popularity=np.array([50.0, 50.0]),
    )  # fmt: skip
    scores = scores_of(candidates, query)

    assert scores[0] > scores[1]


def test_it_breaks_ties_with_popularity_and_treats_unknown_as_middling():
    embeddings, query = similarity_embeddings([0.5, 0.5, 0.5])
    candidates = arrays(
        3, embeddings=embeddings, moods=[CALM_TRACK] * 3, popularity=np.array([90.0, np.nan, 10.0]),
    )  # fmt: skip
    scores = scores_of(candidates, query)

    assert scores[0] > scores[1] > scores[2]


def test_it_takes_the_plain_top_k_at_zero_temperature():
    scores = np.array([0.1, 0.9, 0.5, 0.7])

    chosen = draw(scores, [[1], [2], [3], [4]], count=3, temperature=0)

    assert chosen == [1, 3, 2]


def test_it_allows_at_most_two_tracks_per_artist():
    scores = np.linspace(1.0, 0.0, 10)
    artists = [["a"]] * 5 + [["b"]] * 3 + [["c"], ["d"]]

    chosen = draw(scores, artists, count=10)

    counts = Counter(name for index in chosen for name in artists[index])
    assert max(counts.values()) == 2
    assert len(chosen) == 6


def test_it_counts_a_collaboration_for_every_artist_on_it():
    artists = [["a", "b"], ["a"], ["b"], ["a"]]

    chosen = draw([4.0, 3.0, 2.0, 1.0], artists, count=4, temperature=0)

    assert chosen == [0, 1, 2]


def test_it_draws_different_lists_from_different_seeds_but_the_same_from_one_seed():
    scores = np.random.default_rng(7).random(200)
    artists = [[index] for index in range(200)]

    assert draw(scores, artists, count=8, seed=1) == draw(scores, artists, count=8, seed=1)
    assert draw(scores, artists, count=8, seed=1) != draw(scores, artists, count=8, seed=2)


def test_it_favours_higher_scores_when_sampling():
    scores = np.array([1.0, 0.8, 0.2, 0.0])
    firsts = Counter(draw(scores, [[0], [1], [2], [3]], count=1, seed=seed)[0] for seed in range(500))

    assert firsts[0] > firsts[1] > firsts[2] >= firsts[3]


def test_it_scores_a_liked_artist_above_a_liked_genre_and_caps_both_at_one():
    scores = preference_scores(
        ["Pop", "rock", "pop", "jazz"],
        [(1,), (7,), (7, 2), ()],
        liked_genres={"pop"},
        liked_artists={7},
    )

    assert list(scores) == [0.5, 1.0, 1.0, 0.0]


def test_it_gives_no_preference_when_the_listener_likes_nothing():
    scores = preference_scores(["pop"], [(1,)], liked_genres=set(), liked_artists=set())

    assert list(scores) == [0.0]


def test_it_echoes_feedback_on_a_tracks_artists_and_clips_to_one():
    scores = feedback_scores(
        [10, 11, 12, 13],
        [(1,), (1, 2), (3,), (2,)],
        per_track={10: 1.0, 13: -1.0},
        per_artist={1: 1.0, 2: -0.5},
    )

    assert scores == pytest.approx([1.0, 0.15, 0.0, -1.0])


def test_it_gives_no_feedback_score_without_feedback():
    assert list(feedback_scores([10], [(1,)], per_track={}, per_artist={1: 1.0})) == [0.0]


def test_only_tracks_that_most_likely_carry_an_avoided_mood_are_left_out():
    moods = np.array([CALM_TRACK, HAPPY_TRACK, [0.3, 0.4, 0.2, 0.1], [np.nan] * 4])

    assert list(carries_mood(moods, {1})) == [False, False, True, False]  # sad is its likeliest mood
    assert list(carries_mood(moods, {0})) == [False, True, False, False]
    assert list(carries_mood(moods, set())) == [False] * 4
