"""spotify.client over real HTTP against the emulator process: paging, writes, and every failure
Spotify can hand us, mapped into our errors with the retry policy we mean."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from datetime import UTC

import pytest

from spotify.client import SpotifyClient
from spotify.errors import (
    SpotifyAuthExpired,
    SpotifyError,
    SpotifyNotFound,
    SpotifyPermissionDenied,
    SpotifyRateLimited,
)
from spotify.types import (
    playlist_entry_track,
    playlist_from_json,
    track_from_json,
    tracks_from_json,
    unix_ms,
    user_from_json,
)
from tests.emulator import LISTENERS, MALIK, NORA, Emulator

ZOE = LISTENERS[2]  # the listener whose playlists the write tests change
MISSING_TRACK = "0000000000000000000000"

ClientFor = Callable[..., SpotifyClient]


@pytest.fixture
def client_for(emulator: Emulator) -> ClientFor:
    """Clients with a tiny backoff, so retry tests stay fast."""

    def make(user: dict | None = NORA, *, token: str | None = None, **options) -> SpotifyClient:
        options = {"base_url": emulator.api, "timeout": 2.0, "backoff_factor": 0.01, **options}
        return SpotifyClient(token or f"demo-{user['id'] if user else 'nobody'}", **options)

    return make


@pytest.fixture
def client(client_for: ClientFor) -> SpotifyClient:
    return client_for(NORA)


# --- the listener --------------------------------------------------------------------------------


def test_it_reads_the_current_listener(client: SpotifyClient) -> None:
    user = client.current_user()

    assert (user.id, user.display_name, user.email) == (NORA["id"], NORA["display_name"], NORA["email"])
    assert user.country is None and user.product is None  # not sent to this app: tolerated
    assert client.calls == 1


def test_it_follows_top_tracks_pages_to_the_end(client: SpotifyClient) -> None:
    tracks = client.top_tracks("long_term", limit=7)

    assert [t.id for t in tracks] == NORA["top_tracks"]["long_term"]
    assert client.calls == 8  # 50 tracks, 7 a page
    track = tracks[0]
    assert track.uri == f"spotify:track:{track.id}" and track.isrc and track.duration_ms > 0
    assert track.artists[0].name and track.album is not None and track.album.image_url


def test_it_follows_top_artists_pages_to_the_end(client: SpotifyClient) -> None:
    artists = client.top_artists("short_term", limit=6)

    assert [a.id for a in artists] == NORA["top_artists"]["short_term"]
    assert client.calls == 4


def test_it_refuses_an_unknown_time_range_without_asking_spotify(client: SpotifyClient) -> None:
    with pytest.raises(ValueError, match="time_range"):
        client.top_tracks("forever")
    assert client.calls == 0


def test_it_follows_followed_artists_cursors_to_the_end(client: SpotifyClient) -> None:
    artists = client.followed_artists(limit=4)

    assert [a.id for a in artists] == NORA["followed_artists"]
    assert client.calls == 6  # 21 artists, 4 a page


def test_it_returns_recent_plays_newest_first_with_a_cursor_to_store(client: SpotifyClient) -> None:
    played = client.recently_played()

    expected = sorted((p["played_at"] for p in NORA["recently_played"]), reverse=True)
    assert [item.played_at.strftime("%Y-%m-%dT%H:%M:%S") for item in played.items] == [
        p[:19] for p in expected
    ]
    assert played.items[0].played_at.tzinfo == UTC
    assert played.after_cursor == unix_ms(played.items[0].played_at)


def test_it_returns_only_plays_newer_than_the_cursor_across_pages(client: SpotifyClient) -> None:
    everything = client.recently_played().items
    cursor = unix_ms(everything[19].played_at)

    newer = client_calls_for(client, lambda: client.recently_played(after=cursor, limit=5))
    nothing_new = client.recently_played(after=newer.after_cursor)

    assert [i.played_at for i in newer.items] == [i.played_at for i in everything[:19]]
    assert newer.after_cursor == unix_ms(everything[0].played_at)
    assert nothing_new.items == [] and nothing_new.after_cursor == newer.after_cursor


def client_calls_for(client: SpotifyClient, action: Callable):
    before = client.calls
    result = action()
    assert client.calls - before == 4  # 19 newer plays, 5 a page
    return result


# --- playlists -----------------------------------------------------------------------------------


def test_it_lists_the_listeners_playlists_with_their_sizes(client_for: ClientFor) -> None:
    client = client_for(MALIK)
    playlists = client.my_playlists(limit=2)

    assert [(p.name, p.total_items, p.owner_id) for p in playlists] == [
        (p["name"], len(p["track_ids"]), MALIK["id"]) for p in MALIK["playlists"]
    ]
    assert all(p.snapshot_id for p in playlists) and client.calls == 2


def test_it_reads_a_playlist_and_all_its_items(client: SpotifyClient) -> None:
    wanted = NORA["playlists"][1]
    summary = client.playlist(wanted["id"])
    tracks = client.playlist_items(wanted["id"], limit=5)

    assert (summary.name, summary.total_items) == (wanted["name"], len(wanted["track_ids"]))
    assert [t.id for t in tracks] == wanted["track_ids"]
    assert client.calls == 1 + 4  # 18 items, 5 a page


def test_it_creates_fills_and_trims_a_playlist_that_the_emulator_keeps(
    client_for: ClientFor, emulator: Emulator
) -> None:
    client = client_for(ZOE)
    track_ids = _distinct_tracks(230)

    created = client.playlist_create("Rainy evening", description="for the drive home")
    added = client.playlist_add_items(created.id, track_ids)
    assert client.calls == 1 + 3  # adds go in batches of 100
    removed = client.playlist_remove_items(created.id, [f"spotify:track:{t}" for t in track_ids[:120]])
    kept = client.playlist_items(created.id)

    stored = next(p for p in emulator.state(ZOE["id"])["playlists"] if p["id"] == created.id)
    assert stored["track_ids"] == track_ids[120:] == [t.id for t in kept]
    assert (stored["name"], stored["description"], stored["public"]) == (
        "Rainy evening",
        "for the drive home",
        False,
    )
    assert len({created.snapshot_id, added, removed}) == 3 and removed == stored["snapshot_id"]
    assert created.id in [p.id for p in client.my_playlists()]


def test_it_adds_nothing_without_calling_spotify(client_for: ClientFor) -> None:
    client = client_for(ZOE)
    assert client.playlist_add_items(ZOE["playlists"][0]["id"], []) is None
    assert client.calls == 0


def test_it_never_repeats_an_add_that_failed_on_the_server(client_for: ClientFor, emulator: Emulator) -> None:
    client = client_for(ZOE)
    playlist_id = ZOE["playlists"][0]["id"]
    emulator.fault(status=503, count=1, path="/v1/playlists/")

    with pytest.raises(SpotifyError) as caught:
        client.playlist_add_items(playlist_id, NORA["top_tracks"]["short_term"][:2])

    assert (caught.value.status, caught.value.permanent) == (503, False)
    assert client.calls == 1
    stored = next(p for p in emulator.state(ZOE["id"])["playlists"] if p["id"] == playlist_id)
    assert stored["track_ids"] == ZOE["playlists"][0]["track_ids"]


def test_it_is_refused_another_listeners_playlist_items(client: SpotifyClient) -> None:
    with pytest.raises(SpotifyPermissionDenied) as caught:
        client.playlist_items(MALIK["playlists"][0]["id"])
    assert caught.value.permanent and not caught.value.not_allowlisted


def _distinct_tracks(count: int) -> list[str]:
    seen: dict[str, None] = {}
    for listener in LISTENERS:
        for ids in listener["top_tracks"].values():
            seen.update(dict.fromkeys(ids))
    assert len(seen) >= count
    return list(seen)[:count]


# --- catalog -------------------------------------------------------------------------------------


def test_it_caps_search_at_ten_results(client: SpotifyClient) -> None:
    assert len(client.search_tracks("love", limit=25)) == 10
    assert len(client.search_artists("the", limit=25)) == 10


def test_it_finds_a_track_by_artist_and_title(client: SpotifyClient) -> None:
    found = client.search_tracks('track:"enter sandman" artist:metallica')
    artists = client.search_artists("metallica", limit=1)

    assert [t.name for t in found] == ["Enter Sandman"] and found[0].artists[0].name == "Metallica"
    assert [a.name for a in artists] == ["Metallica"]


def test_it_pages_an_artists_albums_ten_at_most_and_stops_at_max_items(
    client: SpotifyClient, emulator: Emulator
) -> None:
    artist = client.search_artists("lil baby", limit=1)[0]
    expected = [a["id"] for a in _raw_albums(emulator, artist.id)]
    before = client.calls

    albums = client.artist_albums(artist.id, limit=25, max_items=12)
    few = client.artist_albums(artist.id, limit=3, max_items=7)

    assert len(expected) > 12
    assert [a.id for a in albums] == expected[:12] and [a.id for a in few] == expected[:7]
    assert client.calls - before == 2 + 3
    assert albums[0].release_date and albums[0].image_url and albums[0].artists


def _raw_albums(emulator: Emulator, artist_id: str) -> list[dict]:
    url = f"/v1/artists/{artist_id}/albums?include_groups=album,single&limit=10"
    items: list[dict] = []
    while url:
        page = emulator.get(url).json()
        items, url = items + page["items"], page["next"]
    return items


def test_it_fills_the_album_into_an_albums_tracks(client: SpotifyClient) -> None:
    album = client.search_tracks('album:"un verano sin ti"', limit=1)[0].album
    assert album is not None

    tracks = client.album_tracks(album.id)

    assert len(tracks) > 10 and all(t.album == album for t in tracks)
    assert client.calls == 2


def test_it_reads_single_tracks_and_artists(client: SpotifyClient) -> None:
    track = client.track(NORA["top_tracks"]["short_term"][0])
    artist = client.artist(track.artists[0].id)

    assert track.id == NORA["top_tracks"]["short_term"][0] and artist == track.artists[0]


def test_it_refuses_a_malformed_id_before_it_reaches_a_url(client: SpotifyClient) -> None:
    with pytest.raises(ValueError):
        client.track("../me")
    assert client.calls == 0


# --- errors --------------------------------------------------------------------------------------


def test_it_maps_404_to_not_found(client: SpotifyClient) -> None:
    with pytest.raises(SpotifyNotFound) as caught:
        client.track(MISSING_TRACK)
    assert caught.value.permanent and caught.value.status == 404


def test_it_maps_a_bad_request_to_a_permanent_error(client: SpotifyClient) -> None:
    with pytest.raises(SpotifyError) as caught:
        client.search_tracks("")
    assert (caught.value.status, caught.value.permanent) == (400, True)
    assert "No search query" in caught.value.message


def test_it_maps_an_unknown_token_to_auth_expired(client_for: ClientFor) -> None:
    with pytest.raises(SpotifyAuthExpired) as caught:
        client_for(token="not-a-token").current_user()
    assert caught.value.status == 401 and caught.value.permanent


def test_it_maps_an_expired_token_to_auth_expired(client_for: ClientFor, emulator: Emulator) -> None:
    client = client_for(token=emulator.consent(MALIK)["access_token"])
    assert client.current_user().id == MALIK["id"]
    emulator.fault(expire_access_tokens=MALIK["id"])

    with pytest.raises(SpotifyAuthExpired, match="expired"):
        client.current_user()


def test_it_tells_a_listener_missing_from_the_allow_list_apart(
    client: SpotifyClient, emulator: Emulator
) -> None:
    emulator.allowlist([MALIK["id"]])

    with pytest.raises(SpotifyPermissionDenied) as caught:
        client.current_user()

    assert caught.value.not_allowlisted and caught.value.permanent and caught.value.status == 403
    assert "may not be registered" in caught.value.message


def test_it_raises_a_long_rate_limit_at_once_instead_of_sleeping(
    client: SpotifyClient, emulator: Emulator
) -> None:
    emulator.fault(status=429, retry_after=3600)
    started = time.monotonic()

    with pytest.raises(SpotifyRateLimited) as caught:
        client.top_tracks("short_term")

    assert time.monotonic() - started < 2
    assert caught.value.retry_after == 3600 and not caught.value.permanent
    assert client.calls == 1


def test_it_reports_the_emulators_rolling_window_with_its_retry_after(
    client: SpotifyClient, emulator: Emulator
) -> None:
    emulator.rate_limit(2, window=30)
    client.current_user()
    client.current_user()

    with pytest.raises(SpotifyRateLimited) as caught:
        client.current_user()
    assert 28 <= caught.value.retry_after <= 30


def test_it_treats_quota_exceeded_as_permanent_not_as_a_rate_limit(
    client: SpotifyClient, emulator: Emulator
) -> None:
    emulator.fault(status=429, quota=True)

    with pytest.raises(SpotifyError) as caught:
        client.current_user()

    assert not isinstance(caught.value, SpotifyRateLimited)
    assert caught.value.permanent and "QUOTA_EXCEEDED" in caught.value.message


def test_it_retries_server_errors_with_backoff_and_succeeds(
    client: SpotifyClient, emulator: Emulator
) -> None:
    emulator.fault(status=502, count=2)
    before = emulator.requests_made()

    user = client.current_user()

    assert user.id == NORA["id"]
    assert client.calls == 3 and emulator.requests_made() - before == 3


def test_it_gives_up_on_lasting_server_errors_as_not_permanent(
    client_for: ClientFor, emulator: Emulator
) -> None:
    client = client_for(NORA, max_retries=2)
    emulator.fault(status=500, count=100)

    with pytest.raises(SpotifyError) as caught:
        client.current_user()

    assert not isinstance(caught.value, SpotifyRateLimited)
    assert (caught.value.status, caught.value.permanent) == (500, False)
    assert client.calls == 3


def test_it_times_out_as_not_permanent(client_for: ClientFor, emulator: Emulator) -> None:
    client = client_for(NORA, timeout=0.3)
    emulator.fault(latency_ms=1000)
    started = time.monotonic()

    with pytest.raises(SpotifyError) as caught:
        client.current_user()

    assert not caught.value.permanent and caught.value.status is None
    assert "0.3 s" in caught.value.message and time.monotonic() - started < 0.9


def test_it_reports_an_unreachable_server_as_not_permanent() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = SpotifyClient("demo-nora", base_url=f"http://127.0.0.1:{port}/v1", backoff_factor=0.01)

    with pytest.raises(SpotifyError) as caught:
        client.current_user()
    assert not caught.value.permanent and client.calls == 0


def test_it_takes_its_base_url_from_settings(settings, emulator: Emulator) -> None:
    settings.SPOTIFY_API_BASE_URL = emulator.api
    assert SpotifyClient("demo-nora").current_user().id == NORA["id"]


# --- parsing what Spotify sends ------------------------------------------------------------------


def test_it_skips_local_files_null_tracks_and_episodes() -> None:
    entries = [
        None,
        {"is_local": True, "track": {"id": None, "name": "home recording", "is_local": True}},
        {"item": None, "track": None},
        {"item": {"id": "ep1", "type": "episode", "name": "a podcast"}},
        {"item": {"id": "t1", "name": "Kept", "artists": [{"id": "a1", "name": "A"}, {"id": None}]}},
    ]

    tracks = [t for t in map(playlist_entry_track, entries) if t]

    assert [(t.id, t.name, t.isrc, t.album) for t in tracks] == [("t1", "Kept", "", None)]
    assert [a.name for a in tracks[0].artists] == ["A"] and tracks[0].uri == "spotify:track:t1"
    assert tracks_from_json([None, {"id": "t2"}])[0].duration_ms == 0


def test_it_tolerates_missing_optional_fields() -> None:
    user = user_from_json({"id": "u1", "display_name": None})
    playlist = playlist_from_json({"id": "p1", "public": None, "tracks": {"total": 3}})
    track = track_from_json(
        {
            "id": "t1",
            "album": {"id": "al1", "images": [{"url": "small", "width": 64}, {"url": "big", "width": 640}]},
        }
    )

    assert (user.display_name, user.email) == ("u1", None)
    assert (playlist.total_items, playlist.public, playlist.owner_id) == (3, None, "")
    assert track is not None and track.album is not None
    assert (track.album.image_url, track.album.release_date, track.explicit) == ("big", None, None)


def test_it_reads_spotifys_explicit_flag_and_never_takes_a_missing_one_for_clean() -> None:
    def parsed(**fields: object) -> bool | None:
        track = track_from_json({"id": "t1", "name": "Song", **fields})
        assert track is not None
        return track.explicit

    assert [parsed(explicit=True), parsed(explicit=False)] == [True, False]
    assert [parsed(), parsed(explicit=None), parsed(explicit="yes")] == [None, None, None]


def test_the_emulator_says_it_does_not_know_whether_a_demo_track_is_explicit(client: SpotifyClient) -> None:
    track = client.track(NORA["top_tracks"]["short_term"][0])

    assert track.explicit is None  # the demo data has no flags: served as null, not as false
