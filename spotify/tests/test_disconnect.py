"""Disconnect Spotify on the Library: tokens and synced rows go; imports and the listener's own data stay."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from catalog.models import Playlist
from spotify.models import (
    FollowedArtist,
    LibrarySync,
    Play,
    PlaySource,
    SpotifyLink,
    TimeRange,
    TopArtist,
    TopTrack,
)
from spotify.tests.test_login import spotify_dance
from tests.emulator import MALIK, NORA
from tests.factories import (
    FollowedArtistFactory,
    PlayFactory,
    PlaylistFactory,
    TopArtistFactory,
    TopTrackFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(spotify_at) -> Client:
    return Client(HTTP_HOST="localhost")


def synced_and_imported(user: User) -> None:
    PlayFactory.create_batch(3, user=user)  # synced (the default source)
    PlayFactory.create_batch(2, user=user, source=PlaySource.IMPORT)
    TopTrackFactory.create_batch(2, user=user, time_range=TimeRange.SHORT)  # what the Library shows
    TopArtistFactory.create(user=user)
    FollowedArtistFactory.create(user=user)
    PlaylistFactory.create(owner=user, name="late drive copy", spotify_id=f"own{user.pk:019d}")


def test_an_email_listener_disconnects_from_the_library_and_the_old_account_is_gone(
    web, spotify_at, alice, charlie
):
    web.force_login(alice)
    spotify_dance(web, spotify_at, MALIK, process="connect")
    synced_and_imported(alice)
    synced_and_imported(charlie)
    top_name = TopTrack.objects.filter(user=alice).select_related("track").first().track.name
    assert top_name in web.get("/library/").content.decode()

    response = web.post("/library/disconnect/")

    assert response.status_code == 302
    assert not SpotifyLink.objects.filter(user=alice).exists()
    assert not alice.socialaccount_set.filter(provider="spotify").exists()
    assert not LibrarySync.objects.filter(user=alice).exists()
    for model in (TopTrack, TopArtist, FollowedArtist):
        assert not model.objects.filter(user=alice).exists(), model.__name__
    assert not Playlist.objects.filter(owner=alice).exists()
    # What the listener imported from a data download is theirs, not the account's: it stays.
    assert list(Play.objects.filter(user=alice).values_list("source", flat=True)) == [PlaySource.IMPORT] * 2
    page = web.get("/library/").content.decode()
    assert top_name not in page and "Spotify is disconnected" in page and "Connect Spotify" in page
    # Charlie's rows are Charlie's.
    assert (
        Play.objects.filter(user=charlie).count() == 5 and TopTrack.objects.filter(user=charlie).count() == 2
    )


def test_a_spotify_only_listener_is_told_to_set_a_password_and_nothing_is_removed(web, spotify_at):
    spotify_dance(web, spotify_at, NORA)
    nora = User.objects.get(email=NORA["email"])
    assert not nora.has_usable_password()
    synced_and_imported(nora)

    page = web.get("/library/").content.decode()
    assert "Set a password" in page and 'id="disconnect-spotify"' not in page
    response = web.post("/library/disconnect/", follow=True)

    assert "lock you out" in response.content.decode()
    assert SpotifyLink.objects.filter(user=nora).exists()
    assert Play.objects.filter(user=nora).count() == 5 and TopTrack.objects.filter(user=nora).exists()


def test_disconnecting_without_spotify_says_there_is_nothing_to_do(alice):
    client = Client()
    client.force_login(alice)
    response = client.post("/library/disconnect/", follow=True)
    assert "nothing to disconnect" in response.content.decode()


def test_removing_it_under_account_connections_forgets_the_synced_rows_too(web, spotify_at, alice):
    web.force_login(alice)
    spotify_dance(web, spotify_at, MALIK, process="connect")
    synced_and_imported(alice)
    account = alice.socialaccount_set.get(provider="spotify")
    web.post("/accounts/3rdparty/", {"account": account.pk})
    assert not TopTrack.objects.filter(user=alice).exists()
    assert Play.objects.filter(user=alice, source=PlaySource.SPOTIFY).count() == 0
    assert Play.objects.filter(user=alice, source=PlaySource.IMPORT).count() == 2
