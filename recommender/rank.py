"""Ranking math: plain numpy in, scores and chosen indices out, no database.

A candidate's score blends how close its mood text is to the mood query (cosine
similarity), how well its valence/energy sit in the mood's target region, and a small
popularity prior. The final list is sampled, not cut: softmax sampling without
replacement (the Gumbel top-k trick) gives a different list each time that still favours
the best fits, and no artist appears more than a set number of times.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from recommender.mood_text import TargetRegion

# A track without audio features neither wins nor loses on fit.
UNKNOWN_FIT = 0.5


@dataclass(frozen=True)
class RankWeights:
    similarity: float = 2.0
    fit: float = 1.0
    popularity: float = 0.15
    temperature: float = 0.08
    max_per_artist: int = 2


def region_fit(valence: np.ndarray, energy: np.ndarray, region: TargetRegion) -> np.ndarray:
    """A Gaussian bump in [0, 1] around the region's centre; NaN (unknown) features get UNKNOWN_FIT."""
    distance_sq = (valence - region.valence) ** 2 + (energy - region.energy) ** 2
    fit = np.exp(-distance_sq / (2 * region.width**2))
    return np.where(np.isnan(fit), UNKNOWN_FIT, fit)


def score_candidates(
    *,
    similarity: np.ndarray,
    valence: np.ndarray,
    energy: np.ndarray,
    popularity: np.ndarray,
    region: TargetRegion,
    weights: RankWeights | None = None,
) -> np.ndarray:
    """One score per candidate; popularity is 0-100 with NaN for unknown (treated as middling)."""
    weights = weights or RankWeights()
    prior = np.where(np.isnan(popularity), 0.5, np.clip(popularity, 0, 100) / 100)
    return (
        weights.similarity * similarity
        + weights.fit * region_fit(valence, energy, region)
        + weights.popularity * prior
    )


def sample_diverse(
    scores: np.ndarray,
    artists: Sequence[Sequence[Hashable]],
    *,
    count: int,
    rng: np.random.Generator,
    temperature: float = RankWeights.temperature,
    max_per_artist: int = RankWeights.max_per_artist,
) -> list[int]:
    """Indices of up to ``count`` candidates, drawn by softmax(scores / temperature).

    Adding Gumbel noise and sorting is equivalent to drawing one by one without
    replacement; skipping a candidate whose artist is already full is the same draw
    restricted to the allowed ones. ``temperature`` 0 is a plain greedy top-k.
    """
    if temperature > 0:
        keys = scores / temperature + rng.gumbel(size=len(scores))
    else:
        keys = np.asarray(scores, dtype=np.float64)
    chosen: list[int] = []
    per_artist: dict[Hashable, int] = {}
    for index in np.argsort(-keys, kind="stable"):
        if len(chosen) == count:
            break
        names = artists[index]
        if any(per_artist.get(name, 0) >= max_per_artist for name in names):
            continue
        for name in names:
            per_artist[name] = per_artist.get(name, 0) + 1
        chosen.append(int(index))
    return chosen
