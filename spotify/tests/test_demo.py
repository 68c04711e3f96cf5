from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command

from accounts.models import User
from catalog.demo import demo_catalog_load
from catalog.demo_files import catalog_file_read, listeners_file_read
from catalog.models import Playlist, Track
from spotify.demo_listeners import DEMO_PASSWORD, demo_listeners_load
from spotify.models import FollowedArtist, Play, TopArtist, TopTrack

DEMO = Path(settings.DEMO_DATA_DIR)


@pytest.fixture(scope="module")
def listeners() -> list[dict]:
    return listeners_file_read(DEMO / "listeners.json")["listeners"]


def test_the_demo_listeners_only_name_tracks_and_artists_of_the_demo_catalog(listeners) -> None:
    catalog = catalog_file_read(DEMO / "catalog.json.gz")
    track_ids = {t["id"] for t in catalog["tracks"]}
    artist_ids = {a["id"] for a in catalog["artists"]}
    assert len(track_ids) == 4495 and len(catalog["playlists"]) == 115
    for listener in listeners:
        named = [i for ids in listener["top_tracks"].values() for i in ids]
        named += [p["track_id"] for p in listener["recently_played"]]
        named += [i for p in listener["playlists"] for i in p["track_ids"]]
        assert set(named) <= track_ids
        assert (
            set(listener["followed_artists"]) | {i for ids in listener["top_artists"].values() for i in ids}
            <= artist_ids
        )
        assert listener["top_tracks"]["short_term"] != listener["top_tracks"]["long_term"]
        assert 10 <= len(listener["followed_artists"]) <= 30 and 1 <= len(listener["playlists"]) <= 3


def test_the_demo_listeners_have_distinct_tastes(listeners) -> None:
    favourites = [set(listener["top_tracks"]["medium_term"]) for listener in listeners]
    for i, mine in enumerate(favourites):
        for theirs in favourites[i + 1 :]:
            assert len(mine & theirs) <= 5


@pytest.mark.django_db
def test_it_uses_a_demo_password_the_validators_accept(listeners) -> None:
    for listener in listeners:
        validate_password(DEMO_PASSWORD, User(email=listener["email"], display_name=listener["display_name"]))


@pytest.mark.django_db
def test_it_loads_the_demo_and_a_second_load_changes_nothing(listeners) -> None:
    first_catalog = demo_catalog_load()
    first_listeners = demo_listeners_load()

    assert first_catalog.imported is not None and first_catalog.imported.tracks == 4495
    assert [load.created for load in first_listeners.listeners] == [True] * len(listeners)
    nora = User.objects.get(email=listeners[0]["email"])
    assert authenticate(email=nora.email, password=DEMO_PASSWORD) == nora
    assert TopTrack.objects.filter(user=nora).count() == 150
    assert TopArtist.objects.filter(user=nora, time_range="short_term").count() == 20
    assert Play.objects.filter(user=nora).count() == len(listeners[0]["recently_played"])
    assert FollowedArtist.objects.filter(user=nora).count() == len(listeners[0]["followed_artists"])
    first_top = TopTrack.objects.filter(user=nora, time_range="long_term", rank=1).get()
    assert first_top.track.spotify_id == listeners[0]["top_tracks"]["long_term"][0]
    own = Playlist.objects.get(owner=nora, name=listeners[0]["playlists"][0]["name"])
    assert (
        list(own.items.values_list("track__spotify_id", flat=True))
        == listeners[0]["playlists"][0]["track_ids"]
    )

    second_catalog = demo_catalog_load()
    second_listeners = demo_listeners_load()

    assert second_catalog.imported is None
    assert not second_listeners.changed
    assert Track.objects.count() == 4495


@pytest.mark.django_db
def test_it_puts_back_what_changed_since_the_last_load(listeners) -> None:
    demo_catalog_load()
    demo_listeners_load()
    nora = User.objects.get(email=listeners[0]["email"])
    nora.set_password("something-else-entirely")
    nora.save()
    Play.objects.filter(pk=Play.objects.filter(user=nora).values("pk")[:1]).delete()
    Track.objects.filter(spotify_id=listeners[0]["top_tracks"]["short_term"][0]).update(popularity=1)

    reloaded = demo_catalog_load().imported
    assert reloaded is not None and reloaded.tracks_changed == 1
    reload = demo_listeners_load()

    assert reload.listeners[0].changed == ["account", "plays"]
    assert authenticate(email=nora.email, password=DEMO_PASSWORD) == nora


@pytest.mark.django_db
def test_seed_demo_prints_the_demo_logins(listeners) -> None:
    out = io.StringIO()

    call_command("seed_demo", "--skip-profiles", "--with-listeners", stdout=out)

    assert "4495 tracks" in out.getvalue()
    for listener in listeners:
        assert listener["email"] in out.getvalue()
