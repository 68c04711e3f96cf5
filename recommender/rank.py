"""Ranking math: plain numpy in, scores and chosen indices out, no database.

A candidate's score blends how close its mood text is to the mood query (cosine
similarity), how likely it is to carry the track moods the target asks for (its learned
mood distribution, ``mood.track_mood``), and a small popularity prior. The final list is
sampled, not cut: softmax sampling without replacement (the Gumbel top-k trick) gives a
different list each time that still favours the best fits, and no artist appears more than
a set number of times.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mood.track_mood import UNIFORM

# A track this likely to carry an avoided mood is left out ("no more sad music"), as is one
# whose likeliest mood it is.
AVOID_ABOVE = 0.4


def carries_mood(moods: np.ndarray, avoided: Collection[int]) -> np.ndarray:
    """Per candidate: it may well carry one of the ``avoided`` moods (indices); unknown never does."""
    if not avoided:
        return np.zeros(len(moods), dtype=bool)
    known = ~np.isnan(moods).any(axis=1)
    values = np.nan_to_num(moods, nan=0.0)
    likeliest = np.isin(values.argmax(axis=1), sorted(avoided))
    return known & (likeliest | (values[:, sorted(avoided)].max(axis=1) >= AVOID_ABOVE))


def mood_fit(moods: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per candidate, in [0, 1]: the probability that it carries a mood the target asks for
    (Σ target·p). A track whose mood is unknown (a NaN row) counts as uniform: neither wins."""
    known = np.where(np.isnan(moods).any(axis=1, keepdims=True), UNIFORM, moods)
    return known @ np.asarray(target, dtype=np.float64)


# --- The full ranker (issue 4): α·emotion + β·recent + γ·top + fit, preferences, feedback ---------


@dataclass(frozen=True)
class Weights:
    """Everything the ranker is tuned by; built from RankingWeights plus a listener's overrides."""

    alpha: float = 2.0
    beta: float = 0.6
    gamma: float = 0.6
    fit: float = 3.0
    popularity: float = 0.15
    preference: float = 1.0
    feedback: float = 1.0
    recall: float = 0.3
    temperature: float = 0.08
    buckets: int = 3
    repeat_window: int = 5
    max_per_artist: int = 2
    candidate_pool: int = 400


@dataclass
class CandidateArrays:
    """Candidates as aligned arrays; embeddings are L2-normalised rows."""

    embeddings: np.ndarray
    valence: np.ndarray
    energy: np.ndarray
    moods: np.ndarray  # (n, TRACK_MOODS): each track's mood distribution, NaN rows when unknown
    popularity: np.ndarray
    artists: list[tuple[int, ...]]
    sources: list[tuple[str, ...]]
    preference: np.ndarray  # in [0, 1]: liked genre/artist up (rejected ones never reach the pool)
    feedback: np.ndarray  # in [-1, 1]: 👍/saved up, 👎/skip down
    recall_weight: np.ndarray  # in [0, 1]: how strongly recall tied the track to the listener
    explicit: np.ndarray
    # (n, 3) cosine similarity to the mood query, recent and top listening, when PostgreSQL scored
    # the pool (NaN columns: no such listening); ``embeddings`` may then be empty.
    similarity: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.artists)


def centroid(embeddings: np.ndarray) -> np.ndarray | None:
    """The normalised mean direction of some tracks, or None when there are none."""
    if len(embeddings) == 0:
        return None
    mean = embeddings.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else None


# How much the feedback on a track's artists counts toward the track, next to its own.
ARTIST_ECHO = 0.3


def preference_scores(
    genres: Sequence[str],
    artists: Sequence[Sequence[int]],
    *,
    liked_genres: Collection[str],
    liked_artists: Collection[int],
) -> np.ndarray:
    """Per candidate, in [0, 1]: 0.5 for a genre the listener likes (``liked_genres`` lower-case),
    1 for a track by an artist they like. Rejected genres and artists never reach the pool."""
    if not liked_genres and not liked_artists:
        return np.zeros(len(genres))
    scores = []
    for genre, names in zip(genres, artists, strict=True):
        score = 0.5 if genre.lower() in liked_genres else 0.0
        if any(artist_id in liked_artists for artist_id in names):
            score += 1.0
        scores.append(min(score, 1.0))
    return np.array(scores)


def feedback_scores(
    track_ids: Sequence[int],
    artists: Sequence[Sequence[int]],
    *,
    per_track: Mapping[int, float],
    per_artist: Mapping[int, float],
) -> np.ndarray:
    """Per candidate, in [-1, 1]: the feedback total on the track itself plus a lighter echo
    (``ARTIST_ECHO``) of the totals on its artists."""
    if not per_track:
        return np.zeros(len(track_ids))
    scores = []
    for track_id, names in zip(track_ids, artists, strict=True):
        artist_echo = sum(per_artist.get(artist_id, 0.0) for artist_id in names)
        scores.append(np.clip(per_track.get(track_id, 0.0) + ARTIST_ECHO * artist_echo, -1.0, 1.0))
    return np.array(scores)


def score_parts(
    candidates: CandidateArrays,
    *,
    query: np.ndarray | None = None,
    recent: np.ndarray | None = None,
    top: np.ndarray | None = None,
    target: np.ndarray,
    weights: Weights,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Total score and its weighted parts (kept for explanations and the served-list record)."""
    n = len(candidates)
    zeros = np.zeros(n)
    if candidates.similarity is not None:
        emotion, near_recent, near_top = (np.nan_to_num(column) for column in candidates.similarity.T)
    else:
        emb = candidates.embeddings
        emotion = emb @ query if query is not None else zeros
        near_recent = emb @ recent if recent is not None else zeros
        near_top = emb @ top if top is not None else zeros
    parts = {
        "emotion": weights.alpha * emotion,
        "recent": weights.beta * near_recent,
        "top": weights.gamma * near_top,
        "fit": weights.fit * mood_fit(candidates.moods, target),
        "popularity": weights.popularity
        * np.where(np.isnan(candidates.popularity), 0.5, np.clip(candidates.popularity, 0, 100) / 100),
        "preference": weights.preference * candidates.preference,
        "feedback": weights.feedback * candidates.feedback,
        "recall": weights.recall * candidates.recall_weight,
    }
    return sum(parts.values(), zeros.copy()), parts


def artist_buckets(artists: Sequence[Sequence[int]], buckets: int) -> np.ndarray:
    """A stable bucket per candidate from its first artist, so one request draws from one slice."""
    return np.array([(names[0] if names else 0) % max(1, buckets) for names in artists])


def choose_bucket(rng: np.random.Generator, buckets: int, *, avoid: int | None = None) -> int:
    """A random bucket, not the one the listener was served last time when there is a choice."""
    options = [b for b in range(max(1, buckets)) if b != avoid] or [0]
    return int(rng.choice(options))


def select(
    scores: np.ndarray,
    candidates: CandidateArrays,
    *,
    count: int,
    rng: np.random.Generator,
    weights: Weights,
    allowed: np.ndarray | None = None,
    shares: dict[str, float] | None = None,
) -> list[int]:
    """Softmax-sample up to ``count``, honouring source shares.

    A candidate counts toward the first of its sources whose quota is still open; when no
    open source is left to fill, the remaining slots go to the best of the rest, so a thin
    source never leaves the list short.
    """
    keys = scores / weights.temperature + rng.gumbel(size=len(scores)) if weights.temperature > 0 else scores
    order = [int(i) for i in np.argsort(-np.asarray(keys, dtype=np.float64), kind="stable")]
    if allowed is not None:
        order = [i for i in order if allowed[i]]
    quotas = {source: round(share * count) for source, share in (shares or {}).items()}
    chosen: list[int] = []
    per_artist: dict[int, int] = {}

    def take(index: int) -> None:
        chosen.append(index)
        for artist in candidates.artists[index]:
            per_artist[artist] = per_artist.get(artist, 0) + 1

    def artist_ok(index: int) -> bool:
        return all(per_artist.get(a, 0) < weights.max_per_artist for a in candidates.artists[index])

    if quotas:
        for index in order:
            if len(chosen) >= count:
                break
            open_source = next((s for s in candidates.sources[index] if quotas.get(s, 0) > 0), None)
            if open_source is None or not artist_ok(index):
                continue
            quotas[open_source] -= 1
            take(index)
    for index in order:
        if len(chosen) >= count:
            break
        if index not in chosen and artist_ok(index):
            take(index)
    return chosen
