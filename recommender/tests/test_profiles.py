from __future__ import annotations

import socket
from collections.abc import Iterator

import numpy as np
import pytest
from django.core.cache import cache

from catalog.models import Track
from recommender.lyrics import LrclibClient, _down_key
from recommender.models import TrackProfile
from recommender.profiles import track_profiles_refresh
from recommender.tests.test_lyrics import SAD_SONG, LyricsStandIn, running_stand_in, unique
from tests.factories import AlbumFactory, ArtistFactory, TrackFactory


def _track(name: str, artist: str = "Ada", **features) -> Track:
    return TrackFactory.create(
        name=name,
        album=AlbumFactory.create(name=f"{artist} LP"),
        artists=[ArtistFactory.create(name=artist)],
        duration_ms=200_000,
        genre="folk",
        **features,
    )


@pytest.fixture
def lrclib(settings) -> Iterator[LyricsStandIn]:
    """LRCLIB configured as the only lyrics provider, served by the local stand-in."""
    with running_stand_in() as stand_in:
        settings.LYRICS_PROVIDERS = ["lrclib"]
        settings.LRCLIB_BASE_URL = stand_in.base_url
        yield stand_in


def test_it_marks_lyrics_missing_when_no_provider_is_configured(db):
    _track("Station", valence=0.1, energy=0.1)

    assert track_profiles_refresh() == 1

    profile = TrackProfile.objects.get()
    assert profile.lyrics_status == "missing"
    assert profile.mood_text == "folk. sad, dark, calm, quiet, lonely, sorrowful."


def test_it_adds_mood_words_from_lyrics_but_never_the_lyrics(db, lrclib):
    found, other = _track(unique("Station"), valence=0.1, energy=0.1), _track(unique("Harbour"))
    lrclib.songs[("Ada", found.name)] = {"plain": SAD_SONG}

    track_profiles_refresh()

    profile = TrackProfile.objects.get(track=found)
    assert profile.lyrics_status == "found"
    assert profile.mood_text.endswith(". Lyrics: heartbreak, lonely.")
    assert not any(line in profile.mood_text for line in SAD_SONG.splitlines())
    assert TrackProfile.objects.get(track=other).lyrics_status == "missing"


def test_a_second_refresh_embeds_nothing_and_asks_no_provider(db, lrclib):
    found, _ = _track(unique("Station"), valence=0.1, energy=0.1), _track(unique("Harbour"))
    lrclib.songs[("Ada", found.name)] = {"plain": SAD_SONG}
    first = track_profiles_refresh()
    asked = len(lrclib.requests)
    before = dict(TrackProfile.objects.values_list("track_id", "mood_text"))

    assert (first, track_profiles_refresh()) == (2, 0)
    assert len(lrclib.requests) == asked == 2
    assert dict(TrackProfile.objects.values_list("track_id", "mood_text")) == before


def test_it_marks_lyrics_error_while_the_provider_is_down_and_asks_again_later(db, settings, lrclib):
    track = _track(unique("Station"), valence=0.1, energy=0.1)
    lrclib.songs[("Ada", track.name)] = {"plain": SAD_SONG}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        settings.LRCLIB_BASE_URL = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    try:
        track_profiles_refresh()
    finally:
        cache.delete(_down_key(LrclibClient(settings.LRCLIB_BASE_URL)))
    assert TrackProfile.objects.get().lyrics_status == "error"

    settings.LRCLIB_BASE_URL = lrclib.base_url
    assert track_profiles_refresh() == 1
    assert TrackProfile.objects.get().lyrics_status == "found"


def test_it_updates_the_lyrics_status_without_embedding_when_the_text_stays_the_same(db, settings):
    track = _track(unique("Nacht"), valence=0.5, energy=0.5)
    track_profiles_refresh()
    with running_stand_in() as stand_in:
        stand_in.songs[("Ada", track.name)] = {"plain": "Wir tanzen die ganze Nacht"}  # no English cues
        settings.LYRICS_PROVIDERS, settings.LRCLIB_BASE_URL = ["lrclib"], stand_in.base_url

        assert track_profiles_refresh() == 0

    assert TrackProfile.objects.get().lyrics_status == "found"


def test_it_leaves_titles_and_artists_out_of_described_tracks(db):
    _track("Mood", artist="Happy Band", valence=0.2, energy=0.9)
    _track("Mood Two", artist="Happy Band")

    track_profiles_refresh()

    assert not any(
        "Mood" in text or "Happy" in text for text in TrackProfile.objects.values_list("mood_text", flat=True)
    )


def test_it_embeds_equal_texts_once_with_one_vector(db):
    first, second = _track("One", valence=0.3, energy=0.3), _track("Two", valence=0.31, energy=0.32)

    assert track_profiles_refresh() == 2

    one, two = (TrackProfile.objects.get(track=track) for track in (first, second))
    assert one.mood_text == two.mood_text
    np.testing.assert_array_equal(one.embedding, two.embedding)
