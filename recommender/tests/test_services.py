from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import numpy as np
import pytest

from catalog.models import Track
from recommender.models import ServedList, TrackProfile
from recommender.profiles import track_profiles_embed_missing, track_profiles_refresh
from recommender.services import recommend_tracks
from spotify.models import TimeRange
from tests.factories import (
    AlbumFactory,
    ArtistFactory,
    PlayFactory,
    RankingWeightsFactory,
    TopTrackFactory,
    TrackFactory,
)

# (mood, genre, artists, valence range, energy range, tempo, acousticness, danceability, mode)
MOODS = [
    ("sad", "folk", (0.04, 0.25), (0.08, 0.3), 70, 0.85, 0.3, 0),
    ("joy", "pop", (0.75, 0.96), (0.6, 0.9), 124, 0.1, 0.8, 1),
    ("anger", "metal", (0.05, 0.3), (0.82, 0.98), 168, 0.02, 0.4, 0),
    ("calm", "jazz", (0.6, 0.8), (0.1, 0.3), 82, 0.7, 0.5, 1),
]
# Which of a mood's six artists sings each track: the first has four, so the two-per-artist
# cap has work to do, and ten tracks per mood survive it.
ARTIST_OF_TRACK = (0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 5)
PER_MOOD = len(ARTIST_OF_TRACK)
TRACKS = 4 * PER_MOOD


def _make_catalog() -> dict[str, list[Track]]:
    catalog: dict[str, list[Track]] = {}
    for mood, genre, (v_low, v_high), (e_low, e_high), tempo, acoustic, dance, mode in MOODS:
        artists = [ArtistFactory.create(name=f"{mood.title()} Singer {index}") for index in range(6)]
        album = AlbumFactory.create(name=f"{mood.title()} Songs")
        catalog[mood] = []
        for index in range(PER_MOOD):
            step = index / (PER_MOOD - 1)
            track = TrackFactory.create(
                name=f"{mood.title()} Song {index}",
                album=album,
                artists=[artists[ARTIST_OF_TRACK[index]]],
                popularity=40 + index,
                genre=genre,
                valence=v_low + step * (v_high - v_low),
                energy=e_high - step * (e_high - e_low),
                tempo=tempo,
                acousticness=acoustic,
                danceability=dance,
                mode=mode,
            )
            catalog[mood].append(track)
    return catalog


@pytest.fixture
def catalog(db) -> dict[str, list[Track]]:
    catalog = _make_catalog()
    track_profiles_refresh()
    return catalog


def _recommend(user, label: str, valence: float, arousal: float, seed: int = 0, **kwargs):
    return recommend_tracks(
        user=user, label=label, valence=valence, arousal=arousal, rng=np.random.default_rng(seed), **kwargs
    )


def test_it_embeds_each_track_once_and_again_only_when_its_text_changes(db):
    catalog = _make_catalog()

    assert track_profiles_refresh(batch_size=16) == TRACKS
    assert track_profiles_refresh() == 0

    Track.objects.filter(pk=catalog["sad"][0].pk).update(valence=0.95)
    assert track_profiles_refresh() == 1
    profile = TrackProfile.objects.get(track=catalog["sad"][0])
    assert "happy" in profile.mood_text and len(profile.embedding) == 384


def test_it_refreshes_only_the_tracks_it_is_given(db):
    catalog = _make_catalog()

    assert track_profiles_refresh(track_ids=[catalog["joy"][0].pk, catalog["joy"][1].pk]) == 2
    assert TrackProfile.objects.count() == 2


def test_it_embeds_tracks_without_a_vector_when_sweeping(catalog):
    TrackProfile.objects.filter(track=catalog["calm"][3]).update(embedding=None)
    TrackProfile.objects.filter(track=catalog["calm"][4]).delete()

    assert track_profiles_embed_missing() == 2
    assert track_profiles_embed_missing() == 0


def test_it_ranks_low_valence_tracks_higher_for_a_sad_mood_than_a_joyful_one(alice, catalog):
    sad = _recommend(alice, "sadness", -0.7, -0.4, text="I feel so sad and lonely")
    joyful = _recommend(alice, "joy", 0.8, 0.5, text="I got the job, I am so happy")

    sad_valence = np.mean([track.valence for track in sad])
    joyful_valence = np.mean([track.valence for track in joyful])
    assert len(sad) == len(joyful) == 8
    assert sad_valence < 0.35 < 0.6 < joyful_valence
    assert Counter(track.genre for track in sad).most_common(1)[0][0] == "folk"
    assert Counter(track.genre for track in joyful).most_common(1)[0][0] == "pop"


def test_it_leaves_out_tracks_the_listener_already_knows(alice, charlie, catalog):
    top, played, excluded = catalog["sad"][0], catalog["sad"][4], catalog["sad"][6]
    TopTrackFactory.create(user=alice, track=top, time_range=TimeRange.SHORT, rank=1)
    PlayFactory.create(user=alice, track=played, played_at=datetime(2026, 1, 1, tzinfo=UTC))

    for seed in range(5):
        ids = {
            t.track_id
            for t in _recommend(alice, "sadness", -0.7, -0.4, seed, exclude_track_ids=[excluded.pk])
        }
        assert ids.isdisjoint({top.pk, played.pk, excluded.pk})
    RankingWeightsFactory.create(max_per_artist=PER_MOOD, buckets=1)  # let everything through
    charlie_ids = {t.track_id for t in _recommend(charlie, "sadness", -0.7, -0.4, count=TRACKS)}
    assert len(charlie_ids) == TRACKS
    assert {top.pk, played.pk} <= charlie_ids


def test_it_gives_two_different_lists_that_both_fit_the_mood(alice, catalog):
    first = _recommend(alice, "sadness", -0.7, -0.4, seed=1, count=4)
    second = _recommend(alice, "sadness", -0.7, -0.4, seed=2, count=4)

    assert {t.track_id for t in first}.isdisjoint({t.track_id for t in second}), "served tracks repeat"
    assert all(t.valence is not None and t.valence < 0.5 for t in first + second)


def test_it_recommends_at_most_two_tracks_per_artist(alice, catalog):
    tracks = _recommend(alice, "anger", -0.6, 0.7, count=TRACKS)

    counts = Counter(name for track in tracks for name in track.artists)
    assert max(counts.values()) == 2
    assert len(tracks) == 4 * 10


def test_it_explains_each_track_in_json_safe_form(alice, catalog):
    track = _recommend(alice, "sadness", -0.7, -0.4, count=1)[0]

    data = json.loads(json.dumps(track.as_dict()))
    assert data["artists"] and data["album"] == "Sad Songs"
    assert "— to stay with a low mood" in data["reason"]
    assert data["mood"] in ("happy", "sad", "calm", "energetic") and 0 < data["mood_confidence"] <= 1
    assert set(data) >= {
        "track_id",
        "spotify_id",
        "name",
        "duration_ms",
        "genre",
        "valence",
        "energy",
        "score",
    }


def test_it_recommends_nothing_before_any_profile_is_embedded(alice):
    assert _recommend(alice, "joy", 0.8, 0.5) == []


def test_no_more_sad_music_holds_over_ten_lists_in_a_row(alice, small_catalog):
    sad = set(TrackProfile.objects.filter(mood_label="sad").values_list("track_id", flat=True))
    assert sad, "the small catalog has tracks that most likely feel sad"

    served = []
    for seed in range(10):
        picks = _recommend(alice, "sadness", -0.7, -0.4, seed=seed, count=5, avoid_moods=["sadness"])
        served += [pick.track_id for pick in picks]

    assert served and not (set(served) & sad)
    assert all(pick.mood != "sad" for pick in picks)


def test_a_calm_request_picks_tracks_people_would_call_calm(alice, small_catalog):
    picks = _recommend(alice, "calm", 0.0, -0.6, text="help me unwind", count=3)

    assert [pick.mood for pick in picks] == ["calm"] * 3
    assert all("to help you unwind" in pick.reason for pick in picks)
    assert ServedList.objects.get(user=alice).track_mood == "calm"
