"""The Spotify emulator as a client sees it: a real process spoken to over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from spotify.demo_files import listeners_file_read

REPO = Path(__file__).resolve().parents[2]
LISTENERS = listeners_file_read(REPO / "demo" / "listeners.json")["listeners"]
NORA, MALIK = LISTENERS[0], LISTENERS[1]


class Emulator:
    def __init__(self, process: subprocess.Popen[str], base: str) -> None:
        self.process = process
        self.base = base
        self.http = requests.Session()

    def get(self, path: str, user: dict | None = NORA, **kwargs) -> requests.Response:
        return self.http.get(self.url(path), headers=self.auth(user), timeout=5, **kwargs)

    def send(self, method: str, path: str, user: dict | None = NORA, **kwargs) -> requests.Response:
        return self.http.request(method, self.url(path), headers=self.auth(user), timeout=5, **kwargs)

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base}{path}"

    @staticmethod
    def auth(user: dict | None) -> dict[str, str]:
        return {"Authorization": f"Bearer demo-{user['id']}"} if user else {}

    def stop(self) -> None:
        self.http.close()
        self.process.terminate()
        self.process.wait(timeout=5)


def emulator_starter(store: Path) -> tuple[Callable[[], Emulator], list[Emulator]]:
    """Starts ``python -m spotify.emulator --port 0`` on ``store``; the port is read from its output."""
    started: list[Emulator] = []

    def start() -> Emulator:
        command = [sys.executable, "-m", "spotify.emulator", "--port", "0", "--quiet"]
        command += ["--store", str(store)]
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
        first_line = process.stdout.readline()  # "Spotify emulator on http://127.0.0.1:PORT (...)"
        base = first_line.split()[3]
        emulator = Emulator(process, base)
        started.append(emulator)
        for _ in range(50):
            try:
                if emulator.http.get(f"{base}/healthz", timeout=1).ok:
                    return emulator
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError(f"the emulator did not come up: {first_line!r}")

    return start, started


def _stop_all(started: list[Emulator]) -> None:
    for emulator in started:
        if emulator.process.poll() is None:
            emulator.stop()


@pytest.fixture
def start_emulator(tmp_path: Path) -> Iterator[Callable[[], Emulator]]:
    """For tests that change the store or restart the process."""
    start, started = emulator_starter(tmp_path / "store.json")
    yield start
    _stop_all(started)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """One process shared by the tests that only read (or change nothing another test reads)."""
    start, started = emulator_starter(tmp_path_factory.mktemp("emulator") / "store.json")
    yield start()
    _stop_all(started)


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
    from datetime import datetime

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


def test_it_injects_rate_limits_for_clients_to_handle(emulator: Emulator) -> None:
    emulator.http.post(
        f"{emulator.base}/_emulator/faults", json={"status": 429, "count": 1, "retry_after": 7}
    )

    limited = emulator.get("/v1/me")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert emulator.get("/v1/me").status_code == 200
