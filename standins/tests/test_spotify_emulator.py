"""The Spotify emulator as a client sees it: a real process spoken to over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.emulator import LISTENERS, MALIK, NORA, Emulator


def collect(emulator: Emulator, url: str, unwrap: Callable[[dict], dict] = lambda page: page) -> list[dict]:
    """Follow ``next`` links to the end, as a client does; every link must be absolute."""
    items: list[dict] = []
    while url:
        assert url.startswith(emulator.base)
        response = emulator.get(url)
        assert response.status_code == 200, response.text
        page = unwrap(response.json())
        items += page["items"]
        url = page["next"]
    return items


def test_it_answers_health_without_a_token(emulator: Emulator) -> None:
    assert emulator.get("/healthz", user=None).json()["ok"] is True


def test_it_refuses_a_missing_or_unknown_token(emulator: Emulator) -> None:
    missing = emulator.get("/v1/me", user=None)
    unknown = emulator.get("/v1/me", user={"id": "nobody"})

    assert missing.status_code == unknown.status_code == 401
    assert missing.json() == {"error": {"status": 401, "message": "No token provided"}}


def test_it_ignores_a_trailing_slash_as_spotipy_sends_one(emulator: Emulator) -> None:
    me = emulator.get("/v1/me/").json()
    assert (me["id"], me["display_name"], me["email"]) == (NORA["id"], NORA["display_name"], NORA["email"])


def test_it_pages_top_tracks_with_absolute_next_links_to_the_end(emulator: Emulator) -> None:
    first = emulator.get("/v1/me/top/tracks?time_range=long_term&limit=7").json()
    items = collect(emulator, first["href"])

    assert [t["id"] for t in items] == NORA["top_tracks"]["long_term"]
    assert first["total"] == 50 and first["previous"] is None
    track = items[0]
    assert track["album"]["images"][0]["url"].startswith(emulator.base)
    assert track["external_ids"]["isrc"] and "popularity" not in track
    assert {"id", "name", "type", "uri", "href", "external_urls"} <= set(track["artists"][0])


def test_it_pages_top_artists_per_time_range(emulator: Emulator) -> None:
    items = collect(emulator, f"{emulator.base}/v1/me/top/artists?time_range=short_term&limit=6")
    assert [a["id"] for a in items] == NORA["top_artists"]["short_term"]
    assert emulator.get("/v1/me/top/artists?time_range=forever").status_code == 400


def test_it_walks_recently_played_back_in_time_with_before_cursors(emulator: Emulator) -> None:
    items = collect(emulator, f"{emulator.base}/v1/me/player/recently-played?limit=9")
    played = [item["played_at"] for item in items]

    assert played == sorted(p["played_at"] for p in NORA["recently_played"])[::-1]
    middle = emulator.get("/v1/me/player/recently-played?limit=50").json()["items"][20]
    cursor = emulator.get("/v1/me/player/recently-played?limit=1&before=1").json()
    assert cursor["items"] == [] and cursor["next"] is None
    after_ms = _ms(middle["played_at"])
    newer = emulator.get(f"/v1/me/player/recently-played?limit=50&after={after_ms}").json()
    assert [i["played_at"] for i in newer["items"]] == played[:20]


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def test_it_pages_followed_artists_with_an_after_cursor(emulator: Emulator) -> None:
    first = emulator.get("/v1/me/following?type=artist&limit=4").json()["artists"]
    items = collect(emulator, first["href"], unwrap=lambda page: page["artists"])

    assert [a["id"] for a in items] == NORA["followed_artists"]
    assert first["cursors"]["after"] == NORA["followed_artists"][3]
    assert emulator.get("/v1/me/following").status_code == 400


def test_it_limits_search_and_artist_albums_to_ten(emulator: Emulator) -> None:
    artist_id = NORA["top_artists"]["long_term"][0]

    assert emulator.get("/v1/search?q=love&type=track&limit=11").status_code == 400
    assert emulator.get(f"/v1/artists/{artist_id}/albums?limit=11").status_code == 400
    assert len(emulator.get("/v1/search?q=love&type=track&limit=10").json()["tracks"]["items"]) == 10
    albums = emulator.get(f"/v1/artists/{artist_id}/albums?limit=10").json()
    assert albums["items"] and albums["items"][0]["album_group"] in ("album", "single", "appears_on")


def test_it_finds_tracks_by_artist_and_title(emulator: Emulator) -> None:
    found = emulator.get('/v1/search?q=track:"enter sandman" artist:metallica&type=track,artist').json()
    assert [t["name"] for t in found["tracks"]["items"]] == ["Enter Sandman"]
    assert found["artists"]["items"][0]["name"] == "Metallica"


@pytest.mark.parametrize(
    "path",
    [
        "/v1/recommendations?seed_genres=pop",
        "/v1/audio-features/2plbrEY59IikOBgBGLjaoe",
        "/v1/audio-analysis/2plbrEY59IikOBgBGLjaoe",
        "/v1/artists/{artist}/top-tracks",
        "/v1/artists/{artist}/related-artists",
        "/v1/browse/featured-playlists",
        "/v1/browse/new-releases",
        "/v1/tracks?ids=2plbrEY59IikOBgBGLjaoe",
        "/v1/artists?ids={artist}",
    ],
)
def test_it_answers_404_for_endpoints_spotify_removed(emulator: Emulator, path: str) -> None:
    response = emulator.get(path.format(artist=NORA["followed_artists"][0]))
    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404


def test_it_serves_single_tracks_artists_and_album_tracks(emulator: Emulator) -> None:
    track = emulator.get(f"/v1/tracks/{NORA['top_tracks']['short_term'][0]}").json()
    artist = emulator.get(track["artists"][0]["href"]).json()
    album_tracks = emulator.get(f"{track['album']['href']}/tracks").json()

    assert artist["id"] == track["artists"][0]["id"] and "genres" not in artist
    assert track["id"] in [t["id"] for t in album_tracks["items"]]
    assert emulator.get("/v1/tracks/0000000000000000000000").status_code == 404
    assert emulator.get("/v1/tracks/not-an-id").status_code == 400


def test_playlist_changes_persist_in_the_store_across_a_restart(start_emulator) -> None:
    emulator = start_emulator()
    created = emulator.send("POST", "/v1/me/playlists", json={"name": "For a rainy day", "public": False})
    assert created.status_code == 201
    playlist_id = created.json()["id"]
    uris = [f"spotify:track:{i}" for i in NORA["top_tracks"]["short_term"][:3]]
    added = emulator.send("POST", f"/v1/playlists/{playlist_id}/items", json={"uris": uris})
    assert added.status_code == 201 and added.json()["snapshot_id"] != created.json()["snapshot_id"]
    removed = emulator.send(
        "DELETE", f"/v1/playlists/{playlist_id}/items", json={"items": [{"uri": uris[1]}]}
    )
    assert removed.status_code == 200
    emulator.stop()

    restarted = start_emulator()
    items = restarted.get(f"/v1/playlists/{playlist_id}/items").json()["items"]
    mine = restarted.get("/v1/me/playlists").json()["items"]

    assert [item["item"]["uri"] for item in items] == [uris[0], uris[2]]
    assert items[0]["track"] == items[0]["item"]
    assert "For a rainy day" in [p["name"] for p in mine]


def test_it_keeps_other_listeners_playlists_read_only(emulator: Emulator) -> None:
    theirs = MALIK["playlists"][0]["id"]
    uris = {"uris": [f"spotify:track:{NORA['top_tracks']['short_term'][0]}"]}

    assert emulator.get(f"/v1/playlists/{theirs}/items").status_code == 403
    assert emulator.send("POST", f"/v1/playlists/{theirs}/items", json=uris).status_code == 403
    assert emulator.get(f"/v1/playlists/{theirs}").json()["name"] == MALIK["playlists"][0]["name"]
    assert emulator.get(f"/v1/playlists/{theirs}/tracks", user=MALIK).status_code == 403


def test_it_exchanges_an_authorization_code_and_refreshes_the_token(emulator: Emulator) -> None:
    verifier = "a-verifier-long-enough-for-pkce-0123456789abcdefghijk"
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {
        "client_id": "personalais-demo",
        "response_type": "code",
        "redirect_uri": "http://localhost:8000/accounts/spotify/login/callback/",
        "state": "xyz",
        "scope": "user-top-read",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = emulator.get("/authorize", user=None, params=params)
    assert page.status_code == 200 and MALIK["display_name"] in page.text

    consent = emulator.http.post(
        f"{emulator.base}/authorize", data={**params, "user_id": MALIK["id"]}, allow_redirects=False
    )
    location = urlsplit(consent.headers["Location"])
    query = parse_qs(location.query)
    assert consent.status_code == 302 and query["state"] == ["xyz"]
    assert location._replace(query="").geturl() == params["redirect_uri"]

    exchange = {
        "grant_type": "authorization_code",
        "code": query["code"][0],
        "redirect_uri": params["redirect_uri"],
        "client_id": params["client_id"],
        "code_verifier": verifier,
    }
    tokens = emulator.http.post(f"{emulator.base}/api/token", data=exchange).json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    me = emulator.http.get(
        f"{emulator.base}/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.json()["id"] == MALIK["id"]

    reused = emulator.http.post(f"{emulator.base}/api/token", data=exchange)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": "personalais-demo",
    }
    refreshed = emulator.http.post(f"{emulator.base}/api/token", data=refresh).json()
    assert refreshed["access_token"] != tokens["access_token"]
    assert emulator.http.get(f"{emulator.base}/v1/me", params={"access_token": refreshed["access_token"]}).ok

    # Single-use, as for Spotify's PKCE clients: the old refresh token is spent, the new one works.
    assert refreshed["refresh_token"] != tokens["refresh_token"]
    spent = emulator.http.post(f"{emulator.base}/api/token", data=refresh)
    assert spent.status_code == 400 and spent.json()["error"] == "invalid_grant"
    again = {**refresh, "refresh_token": refreshed["refresh_token"]}
    assert emulator.http.post(f"{emulator.base}/api/token", data=again).ok


def test_it_injects_rate_limits_for_clients_to_handle(emulator: Emulator) -> None:
    emulator.http.post(
        f"{emulator.base}/_emulator/faults", json={"status": 429, "count": 1, "retry_after": 7}
    )

    limited = emulator.get("/v1/me")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert emulator.get("/v1/me").status_code == 200


def test_it_limits_each_app_over_a_rolling_window_and_says_when_to_come_back(emulator: Emulator) -> None:
    emulator.rate_limit(3, window=1)

    answers = [emulator.get("/v1/me").status_code for _ in range(3)]
    limited = emulator.get("/v1/me")
    others = emulator.get("/v1/me", user=MALIK)  # a demo token is an app of its own

    assert answers == [200, 200, 200] and others.status_code == 200
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    time.sleep(int(limited.headers["Retry-After"]))
    assert emulator.get("/v1/me").status_code == 200


def test_it_counts_tokens_from_one_app_against_the_same_limit(emulator: Emulator) -> None:
    nora, malik = emulator.consent(NORA)["access_token"], emulator.consent(MALIK)["access_token"]
    emulator.rate_limit(2, window=30)

    def me(token: str) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        return emulator.http.get(f"{emulator.api}me", headers=headers).status_code

    assert [me(nora), me(malik), me(nora)] == [200, 200, 429]


def test_it_takes_the_rate_limit_from_its_command_line(start_emulator) -> None:
    emulator = start_emulator("--rate-limit", "2", "--rate-window", "30")

    assert [emulator.get("/v1/me").status_code for _ in range(3)] == [200, 200, 429]
    assert 28 <= int(emulator.get("/v1/me").headers["Retry-After"]) <= 30
    assert emulator.control("GET", "rate-limit") == {"limit": 2, "window": 30.0}


def test_it_fails_the_next_calls_with_an_injected_server_error(emulator: Emulator) -> None:
    emulator.fault(status=503, count=2)

    assert [emulator.get("/v1/me").status_code for _ in range(3)] == [503, 503, 200]


def test_it_answers_quota_exceeded_as_a_different_429(emulator: Emulator) -> None:
    emulator.fault(status=429, quota=True)

    response = emulator.get("/v1/me")
    assert response.status_code == 429 and "Retry-After" not in response.headers
    assert response.json()["error"]["reason"] == "QUOTA_EXCEEDED"


def test_it_adds_latency_until_cleared(emulator: Emulator) -> None:
    emulator.fault(latency_ms=300)
    started = time.monotonic()
    emulator.get("/v1/me")
    slow = time.monotonic() - started
    emulator.control("DELETE", "faults")
    started = time.monotonic()
    emulator.get("/v1/me")

    assert slow >= 0.3 and time.monotonic() - started < 0.3


def test_it_refuses_listeners_missing_from_the_allow_list_as_spotify_does(emulator: Emulator) -> None:
    emulator.allowlist([MALIK["id"]])

    refused = emulator.get("/v1/me")
    assert refused.status_code == 403
    assert refused.text == (
        "Check settings on developer.spotify.com/dashboard, the user may not be registered."
    )
    assert emulator.get(f"/v1/tracks/{NORA['top_tracks']['short_term'][0]}").status_code == 403
    assert emulator.get("/v1/me", user=MALIK).status_code == 200

    emulator.control("DELETE", "allowlist")
    assert emulator.get("/v1/me").status_code == 200


def test_it_expires_access_tokens_and_revokes_refresh_tokens_on_request(emulator: Emulator) -> None:
    tokens = emulator.consent(MALIK)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}

    emulator.fault(expire_access_tokens=MALIK["id"])
    expired = emulator.http.get(f"{emulator.api}me", headers=headers)
    emulator.fault(revoke_refresh_tokens=MALIK["id"])
    refused = emulator.http.post(f"{emulator.base}/api/token", data=refresh)

    assert expired.status_code == 401 and expired.json()["error"]["message"] == "The access token expired"
    assert refused.status_code == 400
    assert refused.json() == {"error": "invalid_grant", "error_description": "Refresh token revoked"}
    assert emulator.get("/v1/me", user=MALIK).status_code == 200  # demo tokens are not issued ones


def test_it_shows_request_counts_and_a_listeners_playlists(emulator: Emulator) -> None:
    before = emulator.state()["requests"]
    emulator.get("/v1/me", user=MALIK)
    emulator.get("/v1/me", user=None)
    state = emulator.state(MALIK["id"])

    assert state["requests"]["total"] == before["total"] + 2
    assert state["requests"]["by_user"][MALIK["id"]] == before["by_user"].get(MALIK["id"], 0) + 1
    assert [p["name"] for p in state["playlists"]] == [p["name"] for p in MALIK["playlists"]]
    assert state["playlists"][0]["track_ids"] == MALIK["playlists"][0]["track_ids"]
    assert state["allowlist"] == sorted(listener["id"] for listener in LISTENERS)


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "faults", {"status": 200}, 400),
        ("POST", "faults", {"status": 500, "count": -1}, 400),
        ("POST", "faults", {"revoke_refresh_tokens": "nobody"}, 400),
        ("POST", "allowlist", {"user_ids": ["nobody"]}, 400),
        ("POST", "rate-limit", {"limit": 5, "window": 0}, 400),
        ("PUT", "faults", None, 405),
        ("GET", "nothing-here", None, 404),
    ],
)
def test_it_refuses_nonsense_control_requests(emulator: Emulator, method, path, body, status) -> None:
    response = emulator.http.request(method, f"{emulator.base}/_emulator/{path}", json=body)
    assert response.status_code == status
