"""Playback in the page: who gets the Web Playback SDK, the token it plays with, and starting the
shown list on its device — over real HTTP against the emulator and its stand-in SDK channel."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client

from spotify import playback
from spotify.client import SpotifyClient, premium_required
from spotify.errors import SpotifyPermissionDenied
from spotify.models import SpotifyLink
from spotify.types import SpotifyUser
from tests.emulator import LISTENERS, MALIK, NORA, Emulator, consented_link

PLAYER_GRANT = "user-read-private user-top-read streaming user-read-playback-state user-modify-playback-state"
OLD_GRANT = "user-read-private user-top-read playlist-modify-private"


def track_uris(listener: dict, count: int) -> list[str]:
    return [f"spotify:track:{t}" for t in listener["top_tracks"]["long_term"][:count]]


@pytest.fixture
def emulator_players(spotify_at: Emulator):
    """The emulator with its devices, queues and product switches forgotten after each test (its
    own reset leaves them)."""
    yield spotify_at
    spotify_at.control("DELETE", "player")


def link(emulator: Emulator, user, listener: dict = MALIK, scope: str = PLAYER_GRANT) -> SpotifyLink:
    linked = consented_link(emulator, user, listener=listener)
    SpotifyLink.objects.filter(pk=linked.pk).update(scope=scope)
    cache.delete(playback._product_key(linked))  # a reused test database may meet an old entry
    return SpotifyLink.objects.get(pk=linked.pk)


def page_for(user, *, csrf_checks: bool = False) -> Client:
    client = Client(HTTP_HOST="localhost", enforce_csrf_checks=csrf_checks)
    client.force_login(user)
    return client


def sdk_device(emulator: Emulator, linked: SpotifyLink) -> str:
    """What the stand-in SDK does on connect: a device of the token's listener."""
    answer = emulator.http.post(
        f"{emulator.base}/sdk/devices", data={"access_token": linked.access_token, "name": "PersonalAIs"}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["device_id"]


def play(client: Client, body: object) -> tuple[int, dict]:
    """POSTs like playback.js: JSON with the csrftoken cookie's value as X-CSRFToken."""
    client.get("/library/player/")  # sets the cookie, as the page's init() does first
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/library/player/play/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    return response.status_code, response.json()


def playing(emulator: Emulator, listener: dict = MALIK) -> dict:
    return emulator.control("GET", f"player?user_id={listener['id']}")


# --- who gets the SDK ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_offers_the_sdk_from_the_emulator_to_a_listener_who_granted_the_player_scopes(
    emulator_players, alice
):
    link(emulator_players, alice)

    response = page_for(alice).get("/library/player/")

    assert response.json() == {"sdk": True, "sdk_url": f"{emulator_players.base}/sdk/spotify-player.js"}
    assert "csrftoken" in response.cookies, "the page's play request needs the CSRF cookie"


@pytest.mark.django_db
def test_it_sends_a_listener_without_spotify_to_the_embed_with_the_reason(emulator_players, charlie):
    status = page_for(charlie).get("/library/player/").json()

    assert status["sdk"] is False and "sdk_url" not in status
    assert "Premium" in status["reason"] and "Library page" in status["reason"]


@pytest.mark.django_db
def test_it_asks_a_listener_whose_grant_predates_playback_to_reconnect(emulator_players, alice):
    link(emulator_players, alice, scope=OLD_GRANT)

    status = page_for(alice).get("/library/player/").json()

    assert status == {"sdk": False, "reason": playback.NEEDS_CONSENT}
    assert "reconnect Spotify on the Library page" in status["reason"]


@pytest.mark.django_db
def test_it_asks_a_listener_whose_authorization_died_to_reconnect(emulator_players, alice):
    linked = link(emulator_players, alice)
    SpotifyLink.objects.filter(pk=linked.pk).update(status=SpotifyLink.Status.NEEDS_RECONSENT)

    assert page_for(alice).get("/library/player/").json() == {"sdk": False, "reason": playback.RECONNECT}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("product", "sdk"), [("premium", True), ("free", False), ("open", False), (None, True)]
)
def test_it_offers_the_sdk_only_when_spotify_does_not_say_the_account_lacks_premium(
    emulator_players, alice, monkeypatch, product, sdk
):
    """Extended-quota apps still see ``product`` in GET /me; development-mode ones (the emulator)
    do not, and then the SDK finds out by itself. /me is asked once, then remembered."""
    link(emulator_players, alice)
    asked = []

    def current_user(client: SpotifyClient) -> SpotifyUser:
        asked.append(client)
        return SpotifyUser(id=MALIK["id"], display_name="Malik", email=None, country=None, product=product)

    monkeypatch.setattr(SpotifyClient, "current_user", current_user)
    page = page_for(alice)

    first, second = page.get("/library/player/").json(), page.get("/library/player/").json()

    assert first == second and first["sdk"] is sdk
    if not sdk:
        assert first["reason"] == "Full playback in the page needs Spotify Premium."
    assert len(asked) == 1, "the product is remembered, not asked on every page"


@pytest.mark.django_db
def test_the_sdk_reporting_no_premium_sends_the_next_page_to_the_embed(emulator_players, alice):
    link(emulator_players, alice)
    page = page_for(alice, csrf_checks=True)
    page.get("/library/player/")

    refused = page.post("/library/player/no-premium/")
    assert refused.status_code == 403, "without the CSRF token nobody can mark an account"
    told = page.post("/library/player/no-premium/", HTTP_X_CSRFTOKEN=page.cookies["csrftoken"].value)

    assert told.json() == {"sdk": False, "reason": playback.NOT_PREMIUM}
    assert page.get("/library/player/").json()["sdk"] is False


def test_the_login_asks_for_the_player_scopes(emulator_players, db):
    start = Client(HTTP_HOST="localhost").post("/accounts/spotify/login/?process=login")

    scopes = parse_qs(urlsplit(start["Location"]).query)["scope"][0].split()
    assert {"streaming", "user-read-playback-state", "user-modify-playback-state"} <= set(scopes)
    assert "user-top-read" in scopes, "the library scopes stay"


# --- the token ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_listener_gets_their_own_token_and_nobody_else_one(
    emulator_players, alice, charlie, django_user_model
):
    alice_link = link(emulator_players, alice, MALIK)
    charlie_link = link(emulator_players, charlie, NORA)
    bob = django_user_model.objects.create_user(email="bob@example.com", password="a third good password")

    for user, own, listener in ((alice, alice_link, MALIK), (charlie, charlie_link, NORA)):
        response = page_for(user).get("/library/player/token/")
        body = response.json()
        assert body["access_token"] == own.access_token and 0 < body["expires_in"] <= 3600
        assert "no-store" in response["Cache-Control"]
        me = emulator_players.http.get(
            emulator_players.api + "me", headers={"Authorization": f"Bearer {body['access_token']}"}
        )
        assert me.json()["id"] == listener["id"]
    stranger = page_for(bob).get("/library/player/token/")
    assert stranger.status_code == 403 and "access_token" not in stranger.json()
    signed_out = Client(HTTP_HOST="localhost").get("/library/player/token/")
    assert signed_out.status_code == 302, "signed out: to the login page"


@pytest.mark.django_db
def test_no_token_is_handed_out_for_a_grant_without_streaming(emulator_players, alice):
    link(emulator_players, alice, scope=OLD_GRANT)

    response = page_for(alice).get("/library/player/token/")

    assert response.status_code == 403
    assert response.json() == {"ok": False, "error": playback.NEEDS_CONSENT}


# --- playing --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_play_starts_the_shown_list_as_a_queue_on_the_page_device(emulator_players, alice):
    linked = link(emulator_players, alice)
    device_id = sdk_device(emulator_players, linked)
    uris = track_uris(MALIK, 5)

    status, body = play(
        page_for(alice, csrf_checks=True), {"device_id": device_id, "uris": uris, "offset": 2}
    )

    assert (status, body) == (200, {"ok": True})
    queue = playing(emulator_players)["playback"]
    assert queue["device_id"] == device_id and queue["uris"] == uris
    assert queue["index"] == 2 and queue["is_playing"] is True
    state = emulator_players.get("/v1/me/player", user=MALIK).json()
    assert state["item"]["uri"] == uris[2] and state["device"]["id"] == device_id


@pytest.mark.django_db
def test_play_needs_the_csrf_token(emulator_players, alice):
    linked = link(emulator_players, alice)
    device_id = sdk_device(emulator_players, linked)
    page = page_for(alice, csrf_checks=True)
    page.get("/library/player/")

    body = {"device_id": device_id, "uris": track_uris(MALIK, 2), "offset": 0}
    response = page.post("/library/player/play/", body, content_type="application/json")

    assert response.status_code == 403
    assert playing(emulator_players)["playback"] is None, "nothing reached Spotify"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"uris": ["spotify:album:4aawyAB9vmqN3uQ7FjRGTy"], "offset": 0}, "Only Spotify tracks"),
        ({"uris": ["spotify:track:short"], "offset": 0}, "Only Spotify tracks"),
        ({"uris": ["spotify:track:4uLU6hMCjMI75M1A2tKUQC?x=1"], "offset": 0}, "Only Spotify tracks"),
        ({"uris": [], "offset": 0}, "between 1 and 50"),
        ({"uris": ["spotify:track:4uLU6hMCjMI75M1A2tKUQC"] * 51, "offset": 0}, "between 1 and 50"),
        ({"uris": ["spotify:track:4uLU6hMCjMI75M1A2tKUQC"], "offset": 1}, "not in the list"),
        ({"uris": ["spotify:track:4uLU6hMCjMI75M1A2tKUQC"], "offset": True}, "not in the list"),
        ({"uris": ["spotify:track:4uLU6hMCjMI75M1A2tKUQC"], "offset": 0, "device_id": "a&b=c"}, "device id"),
        ("not an object", "JSON object"),
    ],
)
def test_play_checks_what_the_page_sends_before_calling_spotify(emulator_players, alice, body, words):
    linked = link(emulator_players, alice)
    if isinstance(body, dict):
        body = {"device_id": sdk_device(emulator_players, linked), **body}
    page = page_for(alice, csrf_checks=True)
    page.get("/library/player/")  # the page's init(), which may ask Spotify about the account
    before = emulator_players.requests_made()

    status, answer = play(page, body)

    assert status == 400 and answer["ok"] is False and words in answer["error"]
    assert emulator_players.requests_made() == before, "nothing was sent to Spotify"


@pytest.mark.django_db
def test_play_without_premium_is_refused_in_plain_words_and_remembered(emulator_players, alice):
    linked = link(emulator_players, alice)
    device_id = sdk_device(emulator_players, linked)
    emulator_players.control("POST", "product", {"user_id": MALIK["id"], "product": "free"})
    page = page_for(alice, csrf_checks=True)

    status, body = play(page, {"device_id": device_id, "uris": track_uris(MALIK, 3), "offset": 0})

    assert (status, body) == (403, {"ok": False, "error": "Full playback in the page needs Spotify Premium."})
    assert playing(emulator_players)["playback"] is None
    assert page.get("/library/player/").json() == {"sdk": False, "reason": playback.NOT_PREMIUM}


@pytest.mark.django_db
def test_play_on_a_device_spotify_does_not_know_says_the_player_is_not_connected(emulator_players, alice):
    link(emulator_players, alice)
    unknown = "0" * 40

    status, body = play(
        page_for(alice, csrf_checks=True), {"device_id": unknown, "uris": track_uris(MALIK, 2)}
    )

    assert status == 404 and body["ok"] is False
    assert "the player in this page is not connected" in body["error"].lower()


@pytest.mark.django_db
def test_play_on_another_listeners_device_is_refused(emulator_players, alice, charlie):
    link(emulator_players, alice, MALIK)
    nora_device = sdk_device(emulator_players, link(emulator_players, charlie, NORA))

    status, _ = play(
        page_for(alice, csrf_checks=True), {"device_id": nora_device, "uris": track_uris(MALIK, 1)}
    )

    assert status == 404
    assert playing(emulator_players, NORA)["playback"] is None


@pytest.mark.django_db
def test_play_when_spotify_is_busy_says_to_try_again_shortly(emulator_players, alice):
    linked = link(emulator_players, alice)
    device_id = sdk_device(emulator_players, linked)
    emulator_players.fault(status=429, retry_after=3, path="/v1/me/player/play")

    status, body = play(
        page_for(alice, csrf_checks=True), {"device_id": device_id, "uris": track_uris(MALIK, 2)}
    )

    assert (status, body) == (429, {"ok": False, "error": "Spotify is busy, try again in a few seconds."})


def test_the_client_starts_and_pauses_a_queue_and_names_a_premium_refusal(emulator_players):
    hana = LISTENERS[4]
    device = emulator_players.http.post(
        f"{emulator_players.base}/sdk/devices", data={"access_token": f"demo-{hana['id']}"}
    )
    uris = track_uris(hana, 3)

    with SpotifyClient(f"demo-{hana['id']}", base_url=emulator_players.api) as client:
        client.start_playback(device.json()["device_id"], uris, 2)
        assert playing(emulator_players, hana)["playback"]["index"] == 2
        client.pause_playback()
        assert playing(emulator_players, hana)["playback"]["is_playing"] is False
        emulator_players.control("POST", "product", {"user_id": hana["id"], "product": "free"})
        with pytest.raises(SpotifyPermissionDenied) as refused:
            client.start_playback(device.json()["device_id"], uris, 0)
        assert client.calls == 3

    assert premium_required(refused.value) and "PREMIUM_REQUIRED" in refused.value.message


# --- the emulator's player and stand-in SDK ---------------------------------------------------------


def test_the_stand_in_sdk_script_is_served_as_javascript(emulator_players):
    script = emulator_players.http.get(f"{emulator_players.base}/sdk/spotify-player.js")

    assert script.status_code == 200 and script.headers["Content-Type"].startswith("application/javascript")
    assert "window.Spotify = { Player }" in script.text and "onSpotifyWebPlaybackSDKReady" in script.text


def test_the_stand_in_sdk_refuses_an_account_without_premium_as_the_sdk_does(emulator_players):
    emulator_players.control("POST", "product", {"user_id": NORA["id"], "product": "free"})

    answer = emulator_players.http.post(
        f"{emulator_players.base}/sdk/devices", data={"access_token": f"demo-{NORA['id']}", "name": "x"}
    )

    assert answer.status_code == 403 and answer.json()["error"]["reason"] == "PREMIUM_REQUIRED"
    assert answer.headers["Access-Control-Allow-Origin"] == "*", "the page reads it across origins"


def test_the_stand_in_sdk_controls_and_reports_the_queue(emulator_players):
    zoe = LISTENERS[2]
    token = f"demo-{zoe['id']}"
    device = emulator_players.http.post(f"{emulator_players.base}/sdk/devices", data={"access_token": token})
    device_id = device.json()["device_id"]
    uris = track_uris(zoe, 3)
    started = emulator_players.send(
        "PUT",
        f"/v1/me/player/play?device_id={device_id}",
        user=zoe,
        json={"uris": uris, "offset": {"position": 1}},
    )
    assert started.status_code == 204

    def command(name: str) -> dict:
        answer = emulator_players.http.post(
            f"{emulator_players.base}/sdk/devices/{device_id}", data={"access_token": token, "command": name}
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    assert command("state")["track_window"]["current_track"]["uri"] == uris[1]
    assert command("toggle")["paused"] is True
    assert command("toggle")["paused"] is False
    assert command("next")["track_window"]["current_track"]["uri"] == uris[2]
    assert command("previous")["track_window"]["current_track"]["uri"] == uris[1]
    assert command("disconnect") is None
    assert emulator_players.get("/v1/me/player", user=zoe).status_code == 204
