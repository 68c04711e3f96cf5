"""A database from before the catalog moved out of ``spotify`` migrates forward with every row intact.

The test database is taken back to the migrations of that commit (the models then lived in
``spotify``, tables ``spotify_*``), filled through the historical models, and migrated forward
to today: the same rows must be read through ``catalog``'s models, with their links, and the
rows of other apps that point at them must still point at the same tracks.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from catalog.models import Album, Artist, Playlist, PlaylistItem, Track, TrackArtist
from recommender.models import Candidate, TrackProfile
from spotify.models import Play, TopTrack

pytestmark = pytest.mark.django_db(transaction=True)

# The leaf migrations of the commit before the move.
BEFORE_THE_MOVE = [
    ("accounts", "0001_initial"),
    ("spotify", "0002_spotify_link_and_sync"),
    ("recommender", "0003_taste_mood_constraint"),
    ("chat", "0002_message_meta_mood_correction"),
]


def _migrate(targets: list[tuple[str, str]]):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def _rows_written_before_the_move(old_apps) -> dict[str, int]:
    user_model = old_apps.get_model("accounts", "User")
    artist_model = old_apps.get_model("spotify", "Artist")
    album_model = old_apps.get_model("spotify", "Album")
    track_model = old_apps.get_model("spotify", "Track")
    link_model = old_apps.get_model("spotify", "TrackArtist")
    playlist_model = old_apps.get_model("spotify", "Playlist")
    item_model = old_apps.get_model("spotify", "PlaylistItem")

    nora = user_model.objects.create(email="nora@example.com", password="!")
    vale = artist_model.objects.create(spotify_id="a" * 22, name="Nora Vale", genres=["indie"])
    ash = artist_model.objects.create(spotify_id="b" * 22, name="Elm & Ash")
    album = album_model.objects.create(spotify_id="c" * 22, name="Harbour", release_date="2024-01-02")
    album.artists.add(vale)
    rainy = track_model.objects.create(
        spotify_id="d" * 22,
        name="Rainy Window",
        album=album,
        duration_ms=200_000,
        valence=0.12,
        genre="indie",
    )
    morning = track_model.objects.create(spotify_id="e" * 22, name="Grey Morning", duration_ms=180_000)
    link_model.objects.create(track=rainy, artist=vale, position=0)
    link_model.objects.create(track=rainy, artist=ash, position=1)
    link_model.objects.create(track=morning, artist=ash, position=0)
    playlist = playlist_model.objects.create(spotify_id="f" * 22, name="Rain", owner=nora, snapshot_id="s1")
    item_model.objects.create(playlist=playlist, track=morning, position=0)
    item_model.objects.create(playlist=playlist, track=rainy, position=1)
    old_apps.get_model("spotify", "TopTrack").objects.create(
        user=nora, track=rainy, time_range="short_term", rank=1
    )
    old_apps.get_model("spotify", "Play").objects.create(
        user=nora, track=morning, played_at=datetime(2026, 11, 1, tzinfo=UTC)
    )
    old_apps.get_model("recommender", "TrackProfile").objects.create(
        track=rainy, mood_text="indie. sad, dark.", text_hash="h" * 64
    )
    old_apps.get_model("recommender", "Candidate").objects.create(
        user=nora,
        track=morning,
        sources=["artists"],
        weight=0.5,
        fetched_at=datetime(2026, 11, 2, tzinfo=UTC),
    )
    # An admin log entry's content type, as the admin would have made it before the move.
    content_types = old_apps.get_model("contenttypes", "ContentType")
    content_types.objects.get_or_create(app_label="spotify", model="track")
    return {"user": nora.pk, "rainy": rainy.pk, "morning": morning.pk, "playlist": playlist.pk}


def test_a_database_from_before_the_move_keeps_every_row():
    latest = _latest()
    try:
        old_apps = _migrate(BEFORE_THE_MOVE)
        assert {"spotify_track", "spotify_album_artists"} <= _tables()
        assert "catalog_track" not in _tables()
        pks = _rows_written_before_the_move(old_apps)
        old_track_content_type = ContentType.objects.get(app_label="spotify", model="track").pk

        _migrate(latest)
    finally:
        _migrate(latest)  # whatever happened, leave the schema as the other tests expect it

    assert {"catalog_track", "catalog_album_artists", "catalog_playlistitem"} <= _tables()
    assert not _tables() & {
        "spotify_track",
        "spotify_artist",
        "spotify_album",
        "spotify_album_artists",
        "spotify_trackartist",
        "spotify_playlist",
        "spotify_playlistitem",
    }
    rainy = Track.objects.get(pk=pks["rainy"])
    assert rainy.album is not None and rainy.album.name == "Harbour"
    assert (rainy.name, rainy.valence, rainy.genre) == ("Rainy Window", 0.12, "indie")
    assert rainy.artist_names == "Nora Vale, Elm & Ash"
    assert list(Album.objects.get(name="Harbour").artists.values_list("name", flat=True)) == ["Nora Vale"]
    assert Artist.objects.get(name="Nora Vale").genres == ["indie"]
    assert TrackArtist.objects.count() == 3
    playlist = Playlist.objects.get(pk=pks["playlist"])
    assert (playlist.owner_id, playlist.snapshot_id) == (pks["user"], "s1")
    assert list(PlaylistItem.objects.filter(playlist=playlist).values_list("track__name", flat=True)) == [
        "Grey Morning",
        "Rainy Window",
    ]
    assert TopTrack.objects.get(user_id=pks["user"]).track_id == pks["rainy"]
    assert Play.objects.get(user_id=pks["user"]).track_id == pks["morning"]
    assert TrackProfile.objects.get().track_id == pks["rainy"]
    assert Candidate.objects.get().track_id == pks["morning"]
    # The content type moved with the model, so what pointed at it (admin history) still does.
    ContentType.objects.clear_cache()
    assert ContentType.objects.get_for_model(Track).pk == old_track_content_type
    # New rows still get ids after the old ones: the sequences came along with the tables.
    assert Track.objects.create(spotify_id="g" * 22, name="New").pk > pks["rainy"]
