from __future__ import annotations

import pytest

from recommender.listener_state import listener_state_get
from recommender.models import Feedback, TastePreference
from recommender.rank import Weights
from recommender.selectors import listener_settings_get, site_weights_get
from spotify.models import ImportedTrack
from tests.factories import (
    FeedbackFactory,
    ListenerSettingsFactory,
    PlayFactory,
    RankingWeightsFactory,
    ServedListFactory,
    TastePreferenceFactory,
)


def test_it_uses_the_default_weights_until_an_admin_saves_some(alice):
    assert site_weights_get() == Weights()
    assert listener_state_get(user=alice).weights == Weights()

    RankingWeightsFactory.create(alpha_emotion=1.5, buckets=1, candidate_pool=300)
    RankingWeightsFactory.create(alpha_emotion=0.5, buckets=2, candidate_pool=200)

    for weights in (site_weights_get(), listener_state_get(user=alice).weights):
        assert (weights.alpha, weights.buckets, weights.candidate_pool) == (0.5, 2, 200)


def test_a_listeners_overrides_replace_only_what_they_set(alice):
    RankingWeightsFactory.create(alpha_emotion=1.5, beta_recent=0.4, temperature=0.2)
    assert listener_settings_get(user=alice).pk is None
    assert listener_state_get(user=alice).settings.allow_explicit is True  # unsaved defaults
    ListenerSettingsFactory.create(user=alice, beta_recent=0.9, allow_explicit=False)

    state = listener_state_get(user=alice)

    assert (state.weights.alpha, state.weights.beta, state.weights.temperature) == (1.5, 0.9, 0.2)
    assert state.settings.allow_explicit is False and state.settings.pk is not None


def test_tastes_are_read_both_ways(alice, charlie, small_catalog):
    rainy, sunburst = small_catalog[0], small_catalog[8]
    assert listener_state_get(user=alice).tastes == ()
    nora, solar_kids = rainy.artists.get(), sunburst.artists.get()
    TastePreferenceFactory.create(user=alice, kind=TastePreference.Kind.GENRE, value="Indie", liked=True)
    TastePreferenceFactory.create(user=alice, kind=TastePreference.Kind.GENRE, value="metal", liked=False)
    TastePreferenceFactory.create(
        user=alice, kind=TastePreference.Kind.ARTIST, value=nora.spotify_id, liked=True
    )
    TastePreferenceFactory.create(user=charlie, kind=TastePreference.Kind.GENRE, value="jazz", liked=True)

    state = listener_state_get(user=alice)

    assert state.liked(TastePreference.Kind.GENRE) == {"Indie"}
    assert state.rejected(TastePreference.Kind.GENRE) == {"metal"}
    assert state.liked(TastePreference.Kind.ARTIST) == {nora.spotify_id}
    assert solar_kids.spotify_id not in state.liked(TastePreference.Kind.ARTIST)


def test_feedback_totals_add_up_per_track_and_reach_the_tracks_artists(alice, charlie, small_catalog):
    rainy, quiet, sunburst = small_catalog[0], small_catalog[1], small_catalog[8]
    empty = listener_state_get(user=alice)
    assert (empty.feedback_per_track, empty.feedback_per_artist) == ({}, {})
    FeedbackFactory.create(user=alice, track=rainy, kind=Feedback.Kind.LIKE)
    FeedbackFactory.create(user=alice, track=rainy, kind=Feedback.Kind.SKIP)
    FeedbackFactory.create(user=alice, track=quiet, kind=Feedback.Kind.SAVED)
    FeedbackFactory.create(user=alice, track=sunburst, kind=Feedback.Kind.DISLIKE)
    FeedbackFactory.create(user=charlie, track=sunburst, kind=Feedback.Kind.LIKE)

    state = listener_state_get(user=alice)

    assert state.feedback_per_track == pytest.approx({rainy.pk: 0.5, quiet.pk: 0.8, sunburst.pk: -1.0})
    assert state.feedback_per_artist == pytest.approx(
        {rainy.artists.get().pk: 1.3, sunburst.artists.get().pk: -1.0}
    )


def test_an_imported_track_skipped_more_than_played_counts_as_one_skip(alice, small_catalog):
    skipped, loved = small_catalog[0], small_catalog[1]
    ImportedTrack.objects.create(user=alice, track=skipped, plays=1, skips=3)
    ImportedTrack.objects.create(user=alice, track=loved, plays=9, skips=3)

    state = listener_state_get(user=alice)

    assert state.feedback_per_track == pytest.approx({skipped.pk: -0.5})
    assert state.has_history, "an imported library is listening history"


def test_the_last_served_bucket_is_the_newest_lists(alice, charlie):
    assert listener_state_get(user=alice).last_bucket is None
    for bucket in (2, 1):
        ServedListFactory.create(user=alice, bucket=bucket)
    ServedListFactory.create(user=charlie, bucket=0)

    assert listener_state_get(user=alice).last_bucket == 1


def test_any_listening_history_ends_the_cold_start(alice, small_catalog):
    assert not listener_state_get(user=alice).has_history
    PlayFactory.create(user=alice, track=small_catalog[0])

    assert listener_state_get(user=alice).has_history


def test_the_listener_is_read_in_one_statement(alice, small_catalog, django_assert_num_queries):
    FeedbackFactory.create(user=alice, track=small_catalog[0], kind=Feedback.Kind.LIKE)
    TastePreferenceFactory.create(user=alice, value="pop", liked=True)
    ListenerSettingsFactory.create(user=alice)
    RankingWeightsFactory.create()

    with django_assert_num_queries(1):
        listener_state_get(user=alice)
