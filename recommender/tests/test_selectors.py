from __future__ import annotations

import numpy as np
import pytest

from recommender.models import Feedback, TastePreference
from recommender.pool import profile_vectors
from recommender.rank import Weights
from recommender.selectors import (
    effective_weights_get,
    feedback_totals_get,
    history_centroids_get,
    last_served_bucket_get,
    liked_tastes_get,
    listener_settings_get,
    site_weights_get,
)
from spotify.models import TimeRange
from tests.factories import (
    FeedbackFactory,
    ListenerSettingsFactory,
    PlayFactory,
    RankingWeightsFactory,
    ServedListFactory,
    TastePreferenceFactory,
    TopTrackFactory,
)


def test_it_uses_the_default_weights_until_an_admin_saves_some(db):
    assert site_weights_get() == Weights()

    RankingWeightsFactory.create(alpha_emotion=1.5, buckets=1, candidate_pool=300)
    RankingWeightsFactory.create(alpha_emotion=0.5, buckets=2, candidate_pool=200)

    weights = site_weights_get()
    assert (weights.alpha, weights.buckets, weights.candidate_pool) == (0.5, 2, 200)


def test_a_listeners_overrides_replace_only_what_they_set(alice):
    RankingWeightsFactory.create(alpha_emotion=1.5, beta_recent=0.4, temperature=0.2)
    assert listener_settings_get(user=alice).pk is None
    ListenerSettingsFactory.create(user=alice, beta_recent=0.9)

    weights = effective_weights_get(user=alice)

    assert (weights.alpha, weights.beta, weights.temperature) == (1.5, 0.9, 0.2)


def test_history_centroids_follow_recent_plays_and_short_and_medium_term_favourites(alice, small_catalog):
    assert history_centroids_get(user=alice) == (None, None)
    played, favourite, old_favourite = small_catalog[0], small_catalog[8], small_catalog[14]
    PlayFactory.create(user=alice, track=played)
    TopTrackFactory.create(user=alice, track=favourite, time_range=TimeRange.SHORT)
    TopTrackFactory.create(user=alice, track=old_favourite, time_range=TimeRange.LONG)

    recent, top = history_centroids_get(user=alice)

    vectors = profile_vectors([played.pk, favourite.pk])
    assert recent == pytest.approx(vectors[played.pk] / np.linalg.norm(vectors[played.pk]), abs=1e-6)
    assert top == pytest.approx(vectors[favourite.pk] / np.linalg.norm(vectors[favourite.pk]), abs=1e-6)


def test_liked_tastes_are_lower_case_genres_and_the_pools_artists_the_listener_likes(alice, small_catalog):
    rainy, sunburst = small_catalog[0], small_catalog[8]
    assert liked_tastes_get(user=alice, track_ids=[rainy.pk]) == (set(), set())
    nora, solar_kids = rainy.artists.get(), sunburst.artists.get()
    TastePreferenceFactory.create(user=alice, kind=TastePreference.Kind.GENRE, value="Indie", liked=True)
    TastePreferenceFactory.create(user=alice, kind=TastePreference.Kind.GENRE, value="metal", liked=False)
    TastePreferenceFactory.create(
        user=alice, kind=TastePreference.Kind.ARTIST, value=nora.spotify_id, liked=True
    )
    TastePreferenceFactory.create(
        user=alice, kind=TastePreference.Kind.ARTIST, value=solar_kids.spotify_id, liked=True
    )

    genres, artists = liked_tastes_get(user=alice, track_ids=[rainy.pk])

    assert genres == {"indie"}
    assert artists == {nora.pk}, "only artists credited on the given tracks are looked up"


def test_feedback_totals_add_up_per_track_and_reach_the_tracks_artists(alice, charlie, small_catalog):
    rainy, quiet, sunburst = small_catalog[0], small_catalog[1], small_catalog[8]
    assert feedback_totals_get(user=alice) == ({}, {})
    FeedbackFactory.create(user=alice, track=rainy, kind=Feedback.Kind.LIKE)
    FeedbackFactory.create(user=alice, track=rainy, kind=Feedback.Kind.SKIP)
    FeedbackFactory.create(user=alice, track=quiet, kind=Feedback.Kind.SAVED)
    FeedbackFactory.create(user=alice, track=sunburst, kind=Feedback.Kind.DISLIKE)
    FeedbackFactory.create(user=charlie, track=sunburst, kind=Feedback.Kind.LIKE)

    per_track, per_artist = feedback_totals_get(user=alice)

    assert per_track == pytest.approx({rainy.pk: 0.5, quiet.pk: 0.8, sunburst.pk: -1.0})
    assert per_artist == pytest.approx({rainy.artists.get().pk: 1.3, sunburst.artists.get().pk: -1.0})


def test_the_last_served_bucket_is_the_newest_lists(alice, charlie):
    assert last_served_bucket_get(user=alice) is None
    for bucket in (2, 1):
        ServedListFactory.create(user=alice, bucket=bucket)
    ServedListFactory.create(user=charlie, bucket=0)

    assert last_served_bucket_get(user=alice) == 1
