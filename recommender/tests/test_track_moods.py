"""Track moods in the database: computed with the profiles, blended with what is around a track."""

from __future__ import annotations

import pytest

from catalog.models import Track
from recommender.models import Feedback, TrackProfile
from recommender.profiles import track_profiles_refresh
from recommender.tasks import refresh_track_moods
from recommender.track_moods import ALL_SIGNALS, track_mood_refresh
from tests.factories import (
    ArtistFactory,
    FeedbackFactory,
    PlaylistFactory,
    ServedItemFactory,
    ServedListFactory,
    TrackFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PIANO = dict(
    danceability=0.35, acousticness=0.97, energy=0.05, instrumentalness=0.92, liveness=0.1,
    valence=0.12, loudness=-26.0, speechiness=0.04, tempo=72.0,
)  # fmt: skip
FESTIVAL = dict(
    danceability=0.6, acousticness=0.01, energy=0.95, instrumentalness=0.3, liveness=0.3,
    valence=0.4, loudness=-3.5, speechiness=0.07, tempo=128.0,
)  # fmt: skip


def profile(track: Track) -> TrackProfile:
    return TrackProfile.objects.get(track=track)


def test_profiling_a_track_gives_it_a_mood_with_a_confidence_and_its_signals():
    piano = TrackFactory.create(name="Still Water", **PIANO)
    festival = TrackFactory.create(name="Main Stage", **FESTIVAL)

    track_profiles_refresh(track_ids=[piano.id, festival.id])

    calm, loud = profile(piano), profile(festival)
    assert (calm.mood_label, loud.mood_label) == ("calm", "energetic")
    assert calm.mood_confidence > 0.7 and sum(calm.mood) == pytest.approx(1.0, abs=1e-3)
    assert calm.mood_signals.startswith("features")
    assert track_mood_refresh(track_ids=[piano.id, festival.id]) == 0  # inputs unchanged: nothing redone


def test_a_track_without_audio_features_gets_its_mood_from_what_is_known():
    track = TrackFactory.create(name="Deep Sleep Piano", genre="ambient", subgenre="meditation")
    PlaylistFactory.create(name="Yoga & Meditation", tracks=[track])

    track_profiles_refresh(track_ids=[track.id])

    stored = profile(track)
    assert stored.mood_label == "calm"
    assert stored.mood_signals.startswith("text")
    assert stored.mood_confidence < 0.95  # words are never as sure as measured features


def test_an_artists_other_tracks_pull_a_track_known_only_by_name():
    artist = ArtistFactory.create(name="Quiet Hands")
    others = [TrackFactory.create(name=f"Etude {n}", artists=[artist], **PIANO) for n in range(4)]
    unknown = TrackFactory.create(name="Untitled 7", artists=[artist])
    ids = [t.id for t in [*others, unknown]]

    track_profiles_refresh(track_ids=ids)
    with_artist = profile(unknown).mood
    track_mood_refresh(track_ids=ids, signals=ALL_SIGNALS - {"artist"}, force=True)
    without_artist = profile(unknown).mood

    assert with_artist[2] > without_artist[2]  # calm, in TRACK_MOODS order
    assert "artist" not in profile(unknown).mood_signals


def test_listeners_votes_on_lists_served_for_a_mood_count_toward_the_track():
    track = TrackFactory.create(name="Ambiguous", genre="pop")
    track_profiles_refresh(track_ids=[track.id])
    before = profile(track).mood[2]
    for _ in range(6):
        listener = UserFactory.create()
        served = ServedListFactory.create(user=listener, track_mood="calm")
        item = ServedItemFactory.create(served=served, track=track)
        FeedbackFactory.create(user=listener, track=track, item=item, kind=Feedback.Kind.LIKE)

    refresh_track_moods()  # beat's hourly task

    after = profile(track)
    assert after.mood[2] > before + 0.2
    assert "listeners" in after.mood_signals


def test_a_listeners_own_playlist_name_does_not_change_what_others_are_told():
    track = TrackFactory.create(name="Some Song", genre="pop")
    track_profiles_refresh(track_ids=[track.id])
    before = list(profile(track).mood)

    PlaylistFactory.create(name="sleepy calm meditation", owner=UserFactory.create(), tracks=[track])
    track_mood_refresh(track_ids=[track.id])

    assert profile(track).mood == pytest.approx(before)
