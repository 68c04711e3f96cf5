"""A warm start stays flat: ``seed_demo`` refreshes only the profiles whose catalog rows changed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from catalog.bulk import copy_update
from catalog.demo_files import catalog_file_write
from catalog.models import Track
from recommender.models import TrackProfile
from recommender.profiles import PROFILE_RECIPE, track_profiles_refresh
from tests.factories import TrackFactory

pytestmark = pytest.mark.django_db

FEATURES = dict(
    valence=0.2, energy=0.3, danceability=0.4, tempo=90.0, acousticness=0.8, instrumentalness=0.1,
    speechiness=0.05, liveness=0.1, loudness=-12.0, mode=1, key=5,
)  # fmt: skip
NO_FEATURES = dict.fromkeys(FEATURES)


def demo_plain(untitled_name: str = "Nameless Tune") -> dict:
    """Six tracks: five described by genre and features, one only by its title and artist."""
    tracks = [
        {
            "id": f"track{i}",
            "name": f"Song {i}",
            "album_id": "album0",
            "artist_ids": ["artist0"],
            "duration_ms": 200_000,
            "popularity": 40 + i,
            "genre": "folk",
            "subgenre": "",
            **{**FEATURES, "valence": 0.1 + 0.15 * i},
        }
        for i in range(5)
    ]
    tracks.append(
        {
            "id": "untitled",
            "name": untitled_name,
            "album_id": None,
            "artist_ids": ["artist1"],
            "duration_ms": 180_000,
            "popularity": None,
            "genre": "",
            "subgenre": "",
            **NO_FEATURES,
        }
    )
    return {
        "artists": [{"id": "artist0", "name": "Ada"}, {"id": "artist1", "name": "Bea"}],
        "albums": [
            {"id": "album0", "name": "Ada LP", "release_date": "2020-01-01", "artist_ids": ["artist0"]}
        ],
        "tracks": tracks,
        "playlists": [
            {"id": "list0", "name": "Quiet Folk", "genre": "folk", "subgenre": "", "track_ids": ["track0"]}
        ],
    }


@pytest.fixture
def demo_dir(settings, tmp_path: Path) -> Path:
    settings.DEMO_DATA_DIR = tmp_path
    catalog_file_write(tmp_path / "catalog.json.gz", demo_plain(), source="test")
    return tmp_path


def seed_demo() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def stored_profiles() -> dict[int, tuple]:
    """Each profile's row version (an UPDATE moves it, even to equal values) and hashes."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT track_id, ctid::text, inputs_hash, text_hash FROM recommender_trackprofile")
        return {track_id: rest for track_id, *rest in cursor.fetchall()}


def test_a_first_seed_demo_profiles_every_track_and_records_its_inputs(demo_dir):
    assert "6 track profiles embedded" in seed_demo()

    hashes = TrackProfile.objects.values_list("inputs_hash", flat=True)
    assert len(hashes) == 6 and all(len(digest) == 32 for digest in hashes)


def test_a_warm_seed_demo_changes_nothing_and_embeds_nothing(demo_dir):
    seed_demo()
    before = stored_profiles()

    assert "0 track profiles embedded" in seed_demo()
    assert stored_profiles() == before


def test_a_warm_full_refresh_is_a_constant_handful_of_queries(demo_dir, django_assert_max_num_queries):
    seed_demo()

    with django_assert_max_num_queries(1):
        assert track_profiles_refresh() == 0


def test_renaming_one_track_in_the_demo_file_refreshes_exactly_that_one(demo_dir):
    seed_demo()
    before = stored_profiles()
    catalog_file_write(demo_dir / "catalog.json.gz", demo_plain(untitled_name="Renamed Tune"), source="test")

    assert "1 track profiles embedded" in seed_demo()

    after = stored_profiles()
    renamed = Track.objects.get(spotify_id="untitled").pk
    assert {t for t in after if after[t] != before[t]} == {renamed}
    assert after[renamed][1:] != before[renamed][1:]  # new inputs, new mood text
    assert TrackProfile.objects.get(track_id=renamed).mood_text.startswith("Renamed Tune")


def test_a_change_that_leaves_the_mood_text_alone_refreshes_without_embedding(demo_dir):
    seed_demo()
    track = Track.objects.get(spotify_id="track2")
    Track.objects.filter(pk=track.pk).update(popularity=99)  # e.g. a sync, outside the demo file
    before = TrackProfile.objects.get(track=track)

    assert track_profiles_refresh() == 0

    after = TrackProfile.objects.get(track=track)
    assert after.inputs_hash != before.inputs_hash
    assert (after.text_hash, after.embedded_at) == (before.text_hash, before.embedded_at)
    assert track_profiles_refresh() == 0 and stored_profiles()[track.pk][1] == after.inputs_hash


def test_a_new_profile_recipe_refreshes_every_profile_once(demo_dir, monkeypatch):
    seed_demo()
    before = stored_profiles()
    monkeypatch.setattr("recommender.profiles.PROFILE_RECIPE", PROFILE_RECIPE + 1)

    assert track_profiles_refresh() == 0  # mood texts are unchanged: nothing is embedded again

    after = stored_profiles()
    assert all(after[t][1] != before[t][1] for t in before)


def test_a_new_sentence_encoder_embeds_every_profile_again(demo_dir, monkeypatch):
    seed_demo()
    before = stored_profiles()
    monkeypatch.setattr("recommender.profiles.MODEL_ID", "another-encoder")

    assert track_profiles_refresh() == 6

    after = stored_profiles()
    assert all(after[t][2] != before[t][2] for t in before)  # the vector's key names the new model
    assert track_profiles_refresh() == 0


def test_copy_update_writes_profile_vectors_as_text_and_mood_arrays_by_track():
    track = TrackFactory.create()
    TrackProfile.objects.create(track=track, mood_text="folk.", text_hash="x")
    vector = [0.5, -0.25] + [0.0] * 382

    changed = copy_update(
        TrackProfile,
        "track_id",
        ["embedding", "mood", "mood_label"],
        [(track.pk, "[" + ",".join(map(str, vector)) + "]", [0.1, 0.2, 0.3, 0.4], "calm")],
    )

    profile = TrackProfile.objects.get(track=track)
    assert changed == [profile.pk]
    assert list(profile.embedding) == vector
    assert (profile.mood, profile.mood_label) == ([0.1, 0.2, 0.3, 0.4], "calm")
