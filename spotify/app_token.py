"""The app's own Spotify token (Client Credentials flow), for catalog reads done for no listener.

Album covers of imported tracks are nobody's library, so they are read with a token the app gets
for itself from its client id and secret. Such a token opens the catalog (``tracks/{id}``) but
none of a listener's endpoints. It is kept in Django's cache until shortly before it expires, so
workers share one instead of asking the accounts service for each task.
"""

from __future__ import annotations

import hashlib
import logging
from urllib.parse import urljoin

import requests
from django.conf import settings
from django.core.cache import cache

from .client import SpotifyClient
from .errors import SpotifyError

logger = logging.getLogger(__name__)

EXPIRY_MARGIN_SECONDS = 60
TOKEN_TIMEOUT_SECONDS = 10


class AppCredentialsMissing(SpotifyError):
    """No client secret is configured (a PKCE-only setup): the app cannot get a token of its own."""

    def __init__(self) -> None:
        super().__init__("SPOTIFY_CLIENT_SECRET is not set; the app has no token of its own.", permanent=True)


def app_client() -> SpotifyClient:
    """A client holding the app's token; a token Spotify refuses (401) is fetched anew once.

    Raises AppCredentialsMissing without a client secret, and SpotifyError when the accounts
    service refuses the credentials (permanent) or does not answer (not permanent).
    """

    def reauthorize() -> str:
        app_token_forget()
        return app_access_token()

    return SpotifyClient(
        app_access_token(), timeout=settings.SPOTIFY_TIMEOUT_SECONDS, reauthorize=reauthorize
    )


def app_access_token() -> str:
    """The app's access token: the cached one, else a fresh one from the accounts service."""
    if not settings.SPOTIFY_CLIENT_ID or not settings.SPOTIFY_CLIENT_SECRET:
        raise AppCredentialsMissing()
    token = cache.get(_cache_key())
    if token:
        return str(token)
    token, expires_in = _client_credentials_grant()
    cache.set(_cache_key(), token, timeout=max(1, expires_in - EXPIRY_MARGIN_SECONDS))
    return token


def app_token_forget() -> None:
    cache.delete(_cache_key())


def _cache_key() -> str:
    """Per accounts service and credentials: a token from one app (or emulator) is never used for another."""
    credentials = "\n".join(
        (settings.SPOTIFY_ACCOUNTS_BASE_URL, settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET)
    )
    return f"spotify:app-token:{hashlib.sha256(credentials.encode()).hexdigest()[:24]}"


def _client_credentials_grant() -> tuple[str, int]:
    url = urljoin(settings.SPOTIFY_ACCOUNTS_BASE_URL, "api/token")
    auth = (settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET)
    try:
        response = requests.post(
            url, data={"grant_type": "client_credentials"}, auth=auth, timeout=TOKEN_TIMEOUT_SECONDS
        )
    except requests.RequestException as exc:
        raise SpotifyError(
            f"Spotify's token service is unreachable ({type(exc).__name__}).", permanent=False
        ) from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
        error = body.get("error") if isinstance(body, dict) else None
        permanent = 400 <= response.status_code < 500 and response.status_code != 429
        raise SpotifyError(
            f"Spotify's token service answered {response.status_code}"
            + (f" ({error}) to the app's credentials." if error else "."),
            status=response.status_code,
            permanent=permanent,
        )
    return str(body["access_token"]), int(body.get("expires_in") or 3600)
