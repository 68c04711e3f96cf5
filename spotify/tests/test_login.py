"""allauth's Spotify login and connect, driven over real HTTP through the emulator's consent page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from accounts.models import User
from spotify.models import LibrarySync, SpotifyLink
from tests.emulator import MALIK, NORA


def spotify_dance(client: Client, emulator, listener: dict, process: str = "login"):
    """Start the login in our app, consent on the emulator as ``listener``, return the callback response."""
    start = client.post(f"/accounts/spotify/login/?process={process}")
    assert start.status_code == 302
    authorize = urlsplit(start["Location"])
    assert authorize.geturl().startswith(f"{emulator.base}/authorize")
    query = {key: values[0] for key, values in parse_qs(authorize.query).items()}
    assert query["code_challenge_method"] == "S256" and query["state"], "PKCE and state are required"
    assert "user-top-read" in query["scope"] and "playlist-modify-private" in query["scope"]
    form = {**query, "user_id": listener["id"]}
    consent = emulator.http.post(f"{emulator.base}/authorize", data=form, allow_redirects=False, timeout=5)
    callback = urlsplit(consent.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}", HTTP_HOST="localhost")


@pytest.fixture
def web(spotify_at) -> Client:
    return Client(HTTP_HOST="localhost")


@pytest.mark.django_db
def test_logging_in_with_spotify_creates_the_account_and_stores_tokens_encrypted(web, spotify_at):
    response = spotify_dance(web, spotify_at, NORA)

    assert response.status_code == 302 and response["Location"] == "/chat/"
    user = User.objects.get(email=NORA["email"])
    link = SpotifyLink.objects.get(user=user)
    assert link.spotify_user_id == NORA["id"] and link.access_token and link.refresh_token
    assert link.status == SpotifyLink.Status.ACTIVE
    # The scope the listener granted is known from the first login (the player needs "streaming").
    assert {"streaming", "user-modify-playback-state", "user-top-read"} <= set(link.scope.split())
    assert LibrarySync.objects.get(user=user).state == LibrarySync.State.QUEUED
    social = user.socialaccount_set.get()
    assert not social.socialtoken_set.exists(), "allauth must not keep plain-text tokens"


@pytest.mark.django_db
def test_an_email_account_can_connect_spotify_and_reconnect_after_revocation(web, spotify_at, alice):
    web.force_login(alice)
    assert spotify_dance(web, spotify_at, MALIK, process="connect").status_code == 302
    link = SpotifyLink.objects.get(user=alice)
    assert link.spotify_user_id == MALIK["id"]

    SpotifyLink.objects.filter(pk=link.pk).update(status=SpotifyLink.Status.NEEDS_RECONSENT)
    page = web.get("/library/")
    assert "Reconnect Spotify" in page.content.decode() and "needs you to reconnect" in page.content.decode()

    spotify_dance(web, spotify_at, MALIK, process="connect")
    assert SpotifyLink.objects.get(user=alice).status == SpotifyLink.Status.ACTIVE


@pytest.mark.django_db
def test_a_listener_outside_the_development_allow_list_gets_a_clear_explanation(web, spotify_at):
    spotify_at.allowlist([NORA["id"]])

    response = spotify_dance(web, spotify_at, MALIK)

    body = response.content.decode()
    assert response.status_code == 401  # allauth's status for a failed third-party login
    assert "development mode" in body and "Developer Dashboard" in body
    assert "Log in with email instead" in body
    assert not User.objects.filter(email=MALIK["email"]).exists()
    assert not SpotifyLink.objects.exists()


@pytest.mark.django_db
def test_disconnecting_spotify_forgets_the_tokens(web, spotify_at, alice):
    web.force_login(alice)
    spotify_dance(web, spotify_at, MALIK, process="connect")
    account = alice.socialaccount_set.get(provider="spotify")

    response = web.post("/accounts/3rdparty/", {"account": account.pk})

    assert response.status_code == 302
    assert not alice.socialaccount_set.exists()
    assert not SpotifyLink.objects.filter(user=alice).exists()
