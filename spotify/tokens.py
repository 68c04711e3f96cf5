"""Spotify access tokens: saved encrypted, refreshed before expiry, safe under concurrency.

Two workers may find the same token expiring at once. The refresh runs under a row lock
(``SELECT … FOR UPDATE``): the second waits, re-reads, and finds a fresh token instead of
spending the refresh token again — Spotify may rotate it, and a lost one means re-consent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .errors import SpotifyAuthExpired, SpotifyError, SpotifyNotConnected
from .models import SpotifyLink

logger = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(seconds=60)
TOKEN_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    refresh_token: str | None
    expires_in: int
    scope: str = ""


def link_save(*, user: User, spotify_user_id: str, grant: TokenGrant) -> SpotifyLink:
    """Store (or replace) the listener's tokens after a login or connect; marks the link active.

    One Spotify account belongs to one listener here: a link to the same Spotify account held
    by another local user is removed, so their syncs stop reading someone else's library.
    """
    SpotifyLink.objects.filter(spotify_user_id=spotify_user_id).exclude(user=user).delete()
    defaults: dict[str, object] = {
        "spotify_user_id": spotify_user_id,
        "access_token": grant.access_token,
        "expires_at": timezone.now() + timedelta(seconds=grant.expires_in),
        "scope": grant.scope,
        "status": SpotifyLink.Status.ACTIVE,
        "status_detail": "",
    }
    if grant.refresh_token:  # never replace a stored refresh token with nothing
        defaults["refresh_token"] = grant.refresh_token
    link, _ = SpotifyLink.objects.update_or_create(user=user, defaults=defaults)
    return link


def token_distrust(*, user: User) -> None:
    """Spotify rejected a token we thought valid (401): make the next use refresh it first."""
    SpotifyLink.objects.filter(user=user).update(expires_at=timezone.now())


def link_mark(*, user: User, status: str, detail: str) -> None:
    SpotifyLink.objects.filter(user=user).update(status=status, status_detail=detail[:300])


def access_token_for(*, user: User) -> str:
    """A valid access token for ``user``, refreshed first when it is about to expire.

    Raises SpotifyNotConnected without a link, and SpotifyAuthExpired when the link needs
    re-consent (the refresh token was revoked or expired): send the listener to reconnect.
    """
    link = SpotifyLink.objects.filter(user=user).first()
    if link is None:
        raise SpotifyNotConnected()
    if link.status == SpotifyLink.Status.NEEDS_RECONSENT:
        raise SpotifyAuthExpired(link.status_detail or "Reconnect Spotify to continue.")
    if link.expires_at - REFRESH_MARGIN > timezone.now():
        return link.access_token
    return _refresh(link.pk)


def _refresh(link_pk: int) -> str:
    dead_detail = ""
    with transaction.atomic():
        link = SpotifyLink.objects.select_for_update().get(pk=link_pk)
        if link.expires_at - REFRESH_MARGIN > timezone.now():
            return link.access_token  # another process refreshed while we waited for the lock
        try:
            grant = _refresh_grant(link.refresh_token)
        except SpotifyAuthExpired as exc:
            link.status = SpotifyLink.Status.NEEDS_RECONSENT
            link.status_detail = str(exc)[:300]
            link.save(update_fields=["status", "status_detail", "updated_at"])
            dead_detail = str(exc)
        else:
            link.access_token = grant.access_token
            if grant.refresh_token:  # Spotify may or may not rotate it; never drop the one we have
                link.refresh_token = grant.refresh_token
            link.expires_at = timezone.now() + timedelta(seconds=grant.expires_in)
            link.scope = grant.scope or link.scope
            link.save(update_fields=["access_token", "refresh_token", "expires_at", "scope", "updated_at"])
            return link.access_token
    # Raised outside the transaction so the "needs re-consent" mark is committed.
    raise SpotifyAuthExpired(dead_detail)


def _refresh_grant(refresh_token: str) -> TokenGrant:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    auth: tuple[str, str] | None = None
    if settings.SPOTIFY_CLIENT_SECRET:
        auth = (settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET)
    else:  # PKCE public client
        data["client_id"] = settings.SPOTIFY_CLIENT_ID
    url = urljoin(settings.SPOTIFY_ACCOUNTS_BASE_URL, "api/token")
    try:
        response = requests.post(url, data=data, auth=auth, timeout=TOKEN_TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise SpotifyError(
            f"Spotify's token service is unreachable ({type(exc).__name__}).", permanent=False
        ) from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code == 400 and body.get("error") == "invalid_grant":
        raise SpotifyAuthExpired(
            "Spotify no longer accepts this app's authorization (it was revoked or is older than six "
            "months). Reconnect Spotify to continue."
        )
    if response.status_code != 200 or "access_token" not in body:
        permanent = 400 <= response.status_code < 500 and response.status_code != 429
        raise SpotifyError(
            f"Spotify's token service answered {response.status_code}.",
            status=response.status_code,
            permanent=permanent,
        )
    return TokenGrant(
        access_token=body["access_token"],
        refresh_token=body.get("refresh_token"),
        expires_in=int(body.get("expires_in", 3600)),
        scope=body.get("scope", ""),
    )


def expires_at_from(expires_at: datetime | None) -> int:
    """Seconds until ``expires_at`` (allauth's token expiry), at least one."""
    if expires_at is None:
        return 3600
    return max(1, int((expires_at - timezone.now()).total_seconds()))
