"""Album covers: stored by every sync, and looked up lazily with the app's own token (client
credentials) for catalog tracks no sync brought; end to end against the emulator over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Album, Track
from spotify import services
from spotify.app_token import app_access_token, app_token_forget
from spotify.models import TimeRange
from spotify.tasks import album_art_fill
from spotify.types import AlbumInfo, TrackInfo, album_from_json
from tests.emulator import CLIENT_ID, MALIK, NORA, Emulator, consented_link, emulator_starter
from tests.factories import AlbumFactory, PlayFactory, TopTrackFactory, TrackFactory

pytestmark = pytest.mark.django_db

SECRET = "the-app-secret-0123"


@pytest.fixture(scope="module")
def app_emulator_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """An emulator that knows this app's client secret (so the client-credentials grant works)."""
    start, started = emulator_starter(tmp_path_factory.mktemp("app-emulator") / "store.json")
    yield start("--app", f"{CLIENT_ID}:{SECRET}")
    for emulator in started:
        emulator.stop()


@pytest.fixture
def app_spotify(app_emulator_process: Emulator, settings) -> Iterator[Emulator]:
    settings.SPOTIFY_API_BASE_URL = app_emulator_process.api
    settings.SPOTIFY_ACCOUNTS_BASE_URL = f"{app_emulator_process.base}/"
    settings.SPOTIFY_CLIENT_ID = CLIENT_ID
    settings.SPOTIFY_CLIENT_SECRET = SECRET
    app_token_forget()
    yield app_emulator_process
    app_token_forget()
    app_emulator_process.reset()


def app_token_request(emulator: Emulator, client_id: str, secret: str):
    return emulator.http.post(
        f"{emulator.base}/api/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )


def imported(emulator: Emulator, track_ids: list[str]) -> list[Track]:
    """Catalog tracks as a CSV import leaves them: Spotify's ids, no cover."""
    tracks = []
    for track_id in track_ids:
        album_id = emulator.get(f"/v1/tracks/{track_id}").json()["album"]["id"]
        album = AlbumFactory.create(spotify_id=album_id, name=f"album {album_id}")
        tracks.append(TrackFactory.create(spotify_id=track_id, album=album))
    return tracks


def distinct_album_tracks(emulator: Emulator, count: int) -> list[str]:
    """``count`` of Nora's tracks, each from a different album."""
    by_album: dict[str, str] = {}
    for track_id in dict.fromkeys(NORA["top_tracks"]["long_term"] + NORA["top_tracks"]["short_term"]):
        album_id = emulator.get(f"/v1/tracks/{track_id}").json()["album"]["id"]
        by_album.setdefault(album_id, track_id)
        if len(by_album) == count:
            break
    assert len(by_album) == count, "the demo listener has tracks from enough albums"
    return list(by_album.values())


# --- the emulator's accounts service ---------------------------------------------------------------


def test_the_emulator_gives_a_registered_app_a_token_that_reads_the_catalog_but_no_listener(app_spotify):
    grant = app_token_request(app_spotify, CLIENT_ID, SECRET)
    assert grant.status_code == 200, grant.text
    body = grant.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0 and "refresh_token" not in body
    bearer = {"Authorization": f"Bearer {body['access_token']}"}

    track = app_spotify.http.get(
        f"{app_spotify.api}tracks/{NORA['top_tracks']['short_term'][0]}", headers=bearer
    )
    assert track.status_code == 200
    assert [image["width"] for image in track.json()["album"]["images"]] == [640, 300, 64]
    for path in ("me", "me/top/tracks", "me/playlists"):
        refused = app_spotify.http.get(f"{app_spotify.api}{path}", headers=bearer)
        assert refused.status_code == 403, path
        assert refused.json()["error"]["message"] == "Insufficient client scope"


def test_the_emulator_takes_the_apps_credentials_in_the_form_too(app_spotify):
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET}
    assert app_spotify.http.post(f"{app_spotify.base}/api/token", data=form).json()["access_token"]


def test_the_emulator_refuses_a_wrong_secret_or_an_unknown_app_as_spotify_does(app_spotify, emulator):
    wrong = app_token_request(app_spotify, CLIENT_ID, "not-the-secret")
    unknown = app_token_request(app_spotify, "someone-else", SECRET)
    unregistered = app_token_request(emulator, CLIENT_ID, SECRET)  # started without --app

    for refused in (wrong, unknown, unregistered):
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_client"


# --- covers from a sync ----------------------------------------------------------------------------------


def test_a_sync_stores_covers_for_new_and_already_imported_tracks(spotify_at, alice):
    consented_link(spotify_at, alice)
    known_id = MALIK["top_tracks"]["short_term"][0]
    (known,) = imported(spotify_at, [known_id])

    services.library_sync(user=alice)

    known_album = Album.objects.get(pk=known.album_id)
    assert known_album.image_url == f"{spotify_at.base}/image/{known_album.spotify_id}/300"
    synced = Album.objects.filter(tracks__spotify_id__in=MALIK["top_tracks"]["short_term"]).distinct()
    assert synced.count() > 1 and not synced.filter(image_url="").exists()


def test_an_answer_without_images_never_blanks_a_known_cover():
    album = AlbumFactory.create(image_url="https://i.scdn.co/image/abc")
    track = TrackFactory.create(album=album)
    bare = AlbumInfo(album.spotify_id, album.name, None, None, ())
    services.tracks_upsert([TrackInfo(track.spotify_id, track.name, (), bare, 1000, None, "", "")])

    album.refresh_from_db()
    assert album.image_url == "https://i.scdn.co/image/abc"


def test_the_card_sized_cover_is_the_smallest_at_least_300_px_wide():
    sizes = [{"url": f"u{w}", "width": w} for w in (64, 640, 300)]
    assert album_from_json({"id": "a", "images": sizes}).cover_url == "u300"
    assert album_from_json({"id": "a", "images": sizes[:1]}).cover_url == "u64"
    assert album_from_json({"id": "a", "images": [{"url": "x", "width": None}]}).cover_url == "x"
    assert album_from_json({"id": "a"}).cover_url == ""


# --- covers looked up lazily for imported tracks -----------------------------------------------------------


def test_album_art_fill_stores_covers_of_imported_tracks_with_the_apps_token(app_spotify):
    tracks = imported(app_spotify, distinct_album_tracks(app_spotify, 3))
    unknown = TrackFactory.create()  # an id Spotify does not know
    before = app_spotify.requests_made()

    stored = album_art_fill.apply(args=[[t.pk for t in [*tracks, unknown]]]).get()

    assert stored == 3 and app_spotify.requests_made() - before == 4  # one tracks/{id} per album
    for track in tracks:
        album = Album.objects.get(pk=track.album_id)
        assert album.image_url == f"{app_spotify.base}/image/{album.spotify_id}/300"
        assert album.image_checked_at is not None
    nothing = Album.objects.get(pk=unknown.album_id)
    assert nothing.image_url == "" and nothing.image_checked_at is not None

    again = app_spotify.requests_made()
    assert album_art_fill.apply(args=[[t.pk for t in [*tracks, unknown]]]).get() == 0
    assert app_spotify.requests_made() == again  # covered, or checked lately: nothing to ask


def test_an_album_checked_over_a_week_ago_is_asked_about_again(app_spotify):
    (track,) = imported(app_spotify, distinct_album_tracks(app_spotify, 1))
    Album.objects.filter(pk=track.album_id).update(image_checked_at=timezone.now() - timedelta(days=8))

    assert services.album_covers_fill(track_ids=[track.pk]) == 1


def test_one_fill_makes_at_most_ten_calls(app_spotify):
    tracks = imported(app_spotify, distinct_album_tracks(app_spotify, 12))
    before = app_spotify.requests_made()

    assert services.album_covers_fill(track_ids=[t.pk for t in tracks]) == 10

    assert app_spotify.requests_made() - before == 10
    left = Album.objects.filter(tracks__in=tracks[10:])
    assert list(left.values_list("image_url", "image_checked_at")) == [("", None), ("", None)]


def test_a_wrong_client_secret_leaves_albums_untouched(app_spotify, settings):
    settings.SPOTIFY_CLIENT_SECRET = "not-the-secret"
    tracks = imported(app_spotify, distinct_album_tracks(app_spotify, 2))
    before = app_spotify.requests_made()

    assert album_art_fill.apply(args=[[t.pk for t in tracks]]).get() == 0

    assert app_spotify.requests_made() == before
    albums = Album.objects.filter(tracks__in=tracks)
    assert list(albums.values_list("image_url", "image_checked_at")) == [("", None), ("", None)]


def test_without_a_client_secret_the_fill_asks_nobody(app_spotify, settings):
    settings.SPOTIFY_CLIENT_SECRET = ""
    tracks = imported(app_spotify, distinct_album_tracks(app_spotify, 1))
    before = app_spotify.requests_made()

    assert services.album_covers_fill(track_ids=[t.pk for t in tracks]) == 0
    assert app_spotify.requests_made() == before


def test_a_rate_limit_stops_the_fill_and_leaves_the_albums_for_the_next_one(app_spotify):
    tracks = imported(app_spotify, distinct_album_tracks(app_spotify, 3))
    app_spotify.fault(status=429, count=1, retry_after=30)

    assert services.album_covers_fill(track_ids=[t.pk for t in tracks]) == 0
    assert not Album.objects.filter(tracks__in=tracks, image_checked_at__isnull=False).exists()

    assert services.album_covers_fill(track_ids=[t.pk for t in tracks]) == 3  # the next fill finds them


def test_an_app_token_the_emulator_stopped_accepting_is_replaced_once(app_spotify):
    (track,) = imported(app_spotify, distinct_album_tracks(app_spotify, 1))
    cached = app_access_token()
    app_spotify.fault(expire_access_tokens=True)

    assert services.album_covers_fill(track_ids=[track.pk]) == 1
    assert app_access_token() != cached


# --- the Library page ------------------------------------------------------------------------------------


def test_the_library_shows_a_small_cover_beside_tracks_whose_album_has_one(client, alice):
    covered = TrackFactory.create(
        name="Covered", album=AlbumFactory.create(image_url="https://i.scdn.co/image/c")
    )
    bare = TrackFactory.create(name="Bare")
    TopTrackFactory.create(user=alice, track=covered, rank=1, time_range=TimeRange.SHORT)
    TopTrackFactory.create(user=alice, track=bare, rank=2, time_range=TimeRange.SHORT)
    PlayFactory.create(user=alice, track=covered)
    client.force_login(alice)

    page = client.get(reverse("spotify:library")).content.decode()

    cover = '<img class="thumb" src="https://i.scdn.co/image/c" alt="" width="48" height="48" loading="lazy"'
    assert page.count(cover) == 2  # top tracks and recently played
    assert page.count('class="thumb"') == 2  # none for the album without a cover
