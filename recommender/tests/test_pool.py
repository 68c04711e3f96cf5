from __future__ import annotations

import struct

import numpy as np
import pytest

from recommender.models import Feedback, TastePreference, TrackProfile
from recommender.pool import (
    MOOD_SOURCE,
    TrackRow,
    excluded_track_ids,
    genre_or_artist_filter,
    nearest_track_ids,
    pool_gather,
    pool_rows,
    profile_vectors,
    vector_from_send,
)
from tests.factories import (
    ArtistFactory,
    CandidateFactory,
    FeedbackFactory,
    PlayFactory,
    ServedItemFactory,
    TastePreferenceFactory,
    TopTrackFactory,
    TrackArtistFactory,
)


@pytest.fixture
def by_name(small_catalog):
    return {track.name: track for track in small_catalog}


def names_of(track_ids, by_name) -> set[str]:
    return {name for name, track in by_name.items() if track.pk in track_ids}


def test_it_decodes_pgvectors_binary_form():
    vector = vector_from_send(struct.pack(">HH3f", 3, 0, 0.5, -1.0, 2.25))

    assert vector.dtype == np.float32
    assert vector.tolist() == [0.5, -1.0, 2.25]


def test_it_reads_profile_vectors_as_they_are_stored(small_catalog):
    ids = [track.pk for track in small_catalog[:3]]

    vectors = profile_vectors(ids + ids)

    stored = dict(TrackProfile.objects.filter(track_id__in=ids).values_list("track_id", "embedding"))
    assert set(vectors) == set(ids)
    for track_id in ids:
        np.testing.assert_array_equal(vectors[track_id], np.asarray(stored[track_id], dtype=np.float32))
    assert profile_vectors([]) == {}


def test_it_excludes_what_the_listener_knows_was_served_lately_or_rejected(alice, charlie, by_name):
    TopTrackFactory.create(user=alice, track=by_name["Rainy Window"])
    PlayFactory.create(user=alice, track=by_name["Quiet Harbour"])
    FeedbackFactory.create(user=alice, track=by_name["Sunburst"], kind=Feedback.Kind.DISLIKE)
    FeedbackFactory.create(user=alice, track=by_name["Happy Feet"], kind=Feedback.Kind.LIKE)
    iron_vow = by_name["Riot Engine"].artists.get()
    for kind, value, liked in (
        (TastePreference.Kind.TRACK, by_name["Fist Up"].spotify_id, False),
        (TastePreference.Kind.ARTIST, iron_vow.spotify_id, False),
        (TastePreference.Kind.GENRE, "Jazz", False),
        (TastePreference.Kind.GENRE, "lofi", True),
    ):
        TastePreferenceFactory.create(user=alice, kind=kind, value=value, liked=liked)
    for name in ("Road Trip", "Summer Crush"):  # two lists, oldest first
        ServedItemFactory.create(served__user=alice, track=by_name[name])

    excluded = excluded_track_ids(user=alice, repeat_window=1)

    assert names_of(excluded, by_name) == {
        "Rainy Window",
        "Quiet Harbour",
        "Sunburst",
        "Fist Up",
        "Riot Engine",
        "Burn It Down",
        "Blue Note Evening",
        "Summer Crush",
    }
    assert "Road Trip" in names_of(excluded_track_ids(user=alice, repeat_window=2), by_name)
    assert excluded_track_ids(user=charlie, repeat_window=5) == set()


def test_it_pools_the_listeners_candidates_and_fills_up_with_the_catalogs_nearest(
    alice, charlie, small_catalog
):
    first, second, asked = small_catalog[0], small_catalog[1], small_catalog[8]
    CandidateFactory.create(user=alice, track=first, sources=["artists", "popular"])
    CandidateFactory.create(user=alice, track=second, sources=[])
    CandidateFactory.create(user=charlie, track=small_catalog[2], sources=["popular"])
    query = profile_vectors([asked.pk])[asked.pk]

    pool = pool_gather(user=alice, query=query, excluded={asked.pk}, limit=10)

    assert pool[first.pk] == ("artists", "popular")
    assert pool[second.pk] == (MOOD_SOURCE,)
    assert pool[small_catalog[2].pk] == (MOOD_SOURCE,), "another listener's candidate is only a catalog find"
    assert asked.pk not in pool
    assert len(pool) == len(small_catalog) - 1


def test_it_finds_the_nearest_tracks_and_narrows_them_to_genres_or_artists(by_name):
    sunburst = by_name["Sunburst"]
    query = profile_vectors([sunburst.pk])[sunburst.pk]
    luma = by_name["Slow Tide"].artists.get()

    nearest = nearest_track_ids(query, excluded=set(), limit=3)
    metal = nearest_track_ids(
        query, excluded=set(), limit=5, only=genre_or_artist_filter(genres=["METAL"], artist_ids=[])
    )
    narrowed = nearest_track_ids(
        query,
        excluded={by_name["Riot Engine"].pk},
        limit=5,
        only=genre_or_artist_filter(genres=["metal"], artist_ids=[luma.pk]),
    )
    nothing = nearest_track_ids(
        query, excluded=set(), limit=5, only=genre_or_artist_filter(genres=[], artist_ids=[])
    )

    assert len(nearest) == 3 and sunburst.pk in nearest
    assert names_of(metal, by_name) == {"Riot Engine", "Burn It Down"}
    assert names_of(narrowed, by_name) == {"Burn It Down", "Slow Tide", "Empty Rooms"}
    assert nothing == []


def test_it_reads_a_pooled_track_with_its_artists_in_order_and_the_listeners_recall_weight(
    alice, small_catalog
):
    solo, duet, unembedded = small_catalog[0], small_catalog[1], small_catalog[2]
    guest = ArtistFactory.create(name="A Guest")
    TrackArtistFactory.create(track=duet, artist=guest, position=1)
    CandidateFactory.create(user=alice, track=solo, weight=0.7)
    TrackProfile.objects.filter(track=unembedded).update(embedding=None)

    rows = {row.track.id: row for row in pool_rows(user=alice, track_ids=[solo.pk, duet.pk, unembedded.pk])}

    assert set(rows) == {solo.pk, duet.pk}
    assert (rows[solo.pk].recall_weight, rows[duet.pk].recall_weight) == (0.7, None)
    assert [name for _, name in rows[duet.pk].artists] == ["Nora Vale", "A Guest"]
    assert (rows[solo.pk].track.name, rows[solo.pk].track.album_name) == ("Rainy Window", "Nora Vale LP")
    assert rows[solo.pk].embedding.shape == (384,)


def test_a_track_row_falls_back_to_the_profiles_estimate_for_missing_features():
    row = TrackRow(1, "s", "n", "a", 1, False, None, "", "", None, 0.8, None, 0.3, 0.1)

    assert (row.affect("valence"), row.affect("energy")) == (0.3, 0.8)
