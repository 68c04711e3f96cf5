"""Tokens: encrypted at rest, refreshed before expiry, once under concurrency, re-consent on invalid_grant."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import requests
from django.db import connection
from django.utils import timezone

from spotify.errors import SpotifyAuthExpired, SpotifyNotConnected
from spotify.models import SpotifyLink
from spotify.services import spotify_client_for
from spotify.tokens import TokenGrant, access_token_for, link_save
from tests.emulator import MALIK, consented_link


def token_works(emulator, token: str) -> bool:
    return requests.get(f"{emulator.api}me", headers={"Authorization": f"Bearer {token}"}, timeout=5).ok


def test_tokens_are_stored_encrypted_and_read_back_in_plain(alice):
    link_save(
        user=alice,
        spotify_user_id="alice-sp",
        grant=TokenGrant("BQ-access-secret", "AQ-refresh-secret", 3600),
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM spotify_spotifylink")
        raw_access, raw_refresh = cursor.fetchone()
    assert "BQ-access-secret" not in raw_access and "AQ-refresh-secret" not in raw_refresh
    link = SpotifyLink.objects.get(user=alice)
    assert (link.access_token, link.refresh_token) == ("BQ-access-secret", "AQ-refresh-secret")


def test_a_listener_without_spotify_is_told_to_connect(alice):
    with pytest.raises(SpotifyNotConnected, match="Connect your Spotify"):
        access_token_for(user=alice)


@pytest.mark.django_db
def test_a_valid_token_is_used_without_asking_spotify(spotify_at, alice):
    link = consented_link(spotify_at, alice)
    before = spotify_at.requests_made()
    assert access_token_for(user=alice) == link.access_token
    assert spotify_at.requests_made() == before


@pytest.mark.django_db
def test_an_expired_token_is_refreshed_and_the_rotated_refresh_token_kept(spotify_at, alice):
    link = consented_link(spotify_at, alice, expired=True)

    token = access_token_for(user=alice)

    stored = SpotifyLink.objects.get(pk=link.pk)
    assert token != link.access_token and token_works(spotify_at, token)
    assert stored.refresh_token != link.refresh_token  # the emulator rotates, like Spotify for PKCE
    assert stored.expires_at > timezone.now() + timedelta(minutes=50)
    SpotifyLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    assert token_works(spotify_at, access_token_for(user=alice)), "the kept refresh token must still work"


@pytest.mark.django_db(transaction=True)
def test_two_workers_refreshing_at_once_spend_the_refresh_token_only_once(spotify_at, alice):
    consented_link(spotify_at, alice, expired=True)
    spotify_at.fault(latency_ms=300, count=4)  # widen the race window
    tokens: list[str] = []
    errors: list[Exception] = []

    def worker() -> None:
        try:
            tokens.append(access_token_for(user=alice))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(tokens) == 2 and tokens[0] == tokens[1]
    assert SpotifyLink.objects.get(user=alice).status == SpotifyLink.Status.ACTIVE
    SpotifyLink.objects.filter(user=alice).update(expires_at=timezone.now())
    assert token_works(spotify_at, access_token_for(user=alice)), (
        "the stored refresh token must be the live one"
    )


@pytest.mark.django_db
def test_a_revoked_refresh_token_marks_the_link_for_reconsent(spotify_at, alice):
    consented_link(spotify_at, alice, expired=True)
    spotify_at.fault(revoke_refresh_tokens=MALIK["id"])

    with pytest.raises(SpotifyAuthExpired, match="Reconnect Spotify"):
        access_token_for(user=alice)

    link = SpotifyLink.objects.get(user=alice)
    assert link.status == SpotifyLink.Status.NEEDS_RECONSENT
    before = spotify_at.requests_made()
    with pytest.raises(SpotifyAuthExpired):
        access_token_for(user=alice)
    assert spotify_at.requests_made() == before, "a dead link must not keep hammering the token endpoint"


def test_one_spotify_account_belongs_to_one_listener(alice, charlie):
    link_save(user=alice, spotify_user_id="shared-sp", grant=TokenGrant("a1", "r1", 3600))
    link_save(user=charlie, spotify_user_id="shared-sp", grant=TokenGrant("a2", "r2", 3600))
    assert list(SpotifyLink.objects.values_list("user__email", flat=True)) == ["charlie@example.com"]


def test_a_grant_without_a_refresh_token_keeps_the_stored_one(alice):
    link_save(user=alice, spotify_user_id="alice-sp", grant=TokenGrant("a1", "r1", 3600))
    link_save(user=alice, spotify_user_id="alice-sp", grant=TokenGrant("a2", None, 3600))
    link = SpotifyLink.objects.get(user=alice)
    assert (link.access_token, link.refresh_token) == ("a2", "r1")


@pytest.mark.django_db
def test_a_401_on_a_token_we_trusted_refreshes_once_and_carries_on(spotify_at, alice):
    consented_link(spotify_at, alice, listener=MALIK)
    spotify_at.control("POST", "faults", {"expire_access_tokens": MALIK["id"]})
    assert spotify_client_for(user=alice).my_playlists()  # refreshed behind the 401, then answered
    assert SpotifyLink.objects.get(user=alice).status == SpotifyLink.Status.ACTIVE


@pytest.mark.django_db
def test_invalid_grant_met_in_the_chat_path_shows_on_the_library_page_too(spotify_at, alice, client):
    """The chat and the Library page tell the same story: reconnect, with the button there."""
    consented_link(spotify_at, alice, listener=MALIK)
    spotify_at.control("POST", "faults", {"revoke_refresh_tokens": MALIK["id"]})
    spotify_at.control("POST", "faults", {"expire_access_tokens": MALIK["id"]})
    with pytest.raises(SpotifyAuthExpired):
        spotify_client_for(user=alice).my_playlists()
    assert SpotifyLink.objects.get(user=alice).status == SpotifyLink.Status.NEEDS_RECONSENT
    client.force_login(alice)
    page = client.get("/library/").content.decode()
    assert "Reconnect Spotify" in page and "needs you to reconnect" in page
