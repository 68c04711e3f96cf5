from __future__ import annotations

import math

import numpy as np
import pytest

from mood.target import TargetRegion, target_region
from recommender.evaluation.regions import in_region, mood_for_tracks, region_share


def test_region_share_counts_tracks_within_the_width_of_the_centre_and_unknown_as_outside():
    region = TargetRegion(valence=0.5, energy=0.5, width=0.2)
    valence = np.array([0.5, 0.7, 0.9, np.nan])
    energy = np.array([0.5, 0.5, 0.9, 0.5])

    assert list(in_region(valence, energy, region)) == [True, True, False, False]
    assert region_share(valence, energy, region) == 0.5
    assert math.isnan(region_share(np.array([]), np.array([]), region))


def test_mood_for_tracks_centres_the_target_region_on_the_tracks_mean_sound():
    valence, arousal = mood_for_tracks([0.6, 0.8, None], [0.2, 0.4, 0.9])

    region = target_region(valence, arousal)
    assert (region.valence, region.energy) == pytest.approx((0.7, 0.3))
    assert mood_for_tracks([], []) == (0.0, 0.0)
