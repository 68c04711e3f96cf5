"""Mood fit as a place: where tracks sit in Spotify's valence/energy square relative to a target region."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from mood.target import TargetRegion


def region_distance(valence: np.ndarray, energy: np.ndarray, region: TargetRegion) -> np.ndarray:
    """Euclidean distance in Spotify's valence/energy square from the region's centre (NaN stays NaN)."""
    return np.hypot(
        np.asarray(valence, dtype=float) - region.valence, np.asarray(energy, dtype=float) - region.energy
    )


def in_region(valence: np.ndarray, energy: np.ndarray, region: TargetRegion) -> np.ndarray:
    """Whether each track lies within ``region.width`` of the region's centre.

    This is the disc where the ranker's fit term (a Gaussian of that width) is above
    e^-0.5 ≈ 0.61. A track without features is outside: it did not demonstrably fit.
    """
    distance = region_distance(valence, energy, region)
    return np.where(np.isnan(distance), False, distance <= region.width + 1e-12)


def region_share(valence: np.ndarray, energy: np.ndarray, region: TargetRegion) -> float:
    """Share of the tracks inside the region (see ``in_region``); NaN for an empty list."""
    inside = in_region(valence, energy, region)
    return float(inside.mean()) if len(inside) else math.nan


def mood_for_tracks(
    valence: Sequence[float | None] | np.ndarray, energy: Sequence[float | None] | np.ndarray
) -> tuple[float, float]:
    """Emotion coordinates (in [-1, 1]) whose target region is centred on the tracks' mean sound.

    The inverse of ``target_region``'s centre (0.5 + 0.4·x), clipped; tracks without
    features are ignored and none at all give the neutral (0, 0).
    """
    pairs = np.array(
        [
            [np.nan if v is None else v, np.nan if e is None else e]
            for v, e in zip(valence, energy, strict=True)
        ],
        dtype=float,
    ).reshape(-1, 2)
    known = pairs[~np.isnan(pairs).any(axis=1)]
    if not len(known):
        return 0.0, 0.0
    mean_valence, mean_energy = known.mean(axis=0)
    return (
        float(np.clip((mean_valence - 0.5) / 0.4, -1, 1)),
        float(np.clip((mean_energy - 0.5) / 0.4, -1, 1)),
    )
