"""allauth's Spotify login with its URLs read from settings, so it can talk to the emulator.

allauth hard-codes accounts.spotify.com and api.spotify.com as class attributes; these
properties read ``SPOTIFY_ACCOUNTS_BASE_URL`` / ``SPOTIFY_API_BASE_URL`` instead.
"""

from __future__ import annotations

from urllib.parse import urljoin

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.base import ProviderException
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.spotify.views import SpotifyOAuth2Adapter as BaseAdapter
from django.conf import settings
from django.http import HttpRequest

NOT_ALLOWLISTED_EXPLANATION = (
    "Spotify refused to share your profile with PersonalAIs. While the app is in Spotify's "
    "development mode, only the listeners its owner has added in the Spotify Developer Dashboard "
    "(at most five) can connect. Ask the owner to add your Spotify email — meanwhile your "
    "PersonalAIs account works without Spotify."
)


GRANTED_SCOPE = "granted_scope"  # the key under which the token response's scope rides in extra_data


class SpotifyLoginRefused(ProviderException):
    """Spotify answered 403 for the profile: in development mode, a user outside the allow-list."""

    def __init__(self, detail: str) -> None:
        super().__init__(NOT_ALLOWLISTED_EXPLANATION)
        self.detail = detail
        self.explanation = NOT_ALLOWLISTED_EXPLANATION


class SpotifyOAuth2Adapter(BaseAdapter):
    @property
    def access_token_url(self) -> str:
        return urljoin(settings.SPOTIFY_ACCOUNTS_BASE_URL, "api/token")

    @property
    def authorize_url(self) -> str:
        return urljoin(settings.SPOTIFY_ACCOUNTS_BASE_URL, "authorize")

    @property
    def profile_url(self) -> str:
        return urljoin(settings.SPOTIFY_API_BASE_URL, "me")

    def complete_login(self, request: HttpRequest, app, token, **kwargs):
        with get_adapter().get_requests_session() as session:
            # The token goes in the header (allauth's default puts it in the URL, where logs keep it).
            headers = {"Authorization": f"Bearer {token.token}"}
            response = session.get(self.profile_url, headers=headers, timeout=10)
        if response.status_code == 403:
            raise SpotifyLoginRefused(response.text[:300])
        response.raise_for_status()  # allauth turns a RequestException into its error page
        try:
            profile = response.json()
        except ValueError as exc:
            raise ProviderException("Spotify sent an unreadable profile.") from exc
        # What the listener granted (they may untick scopes): kept with the account so the saved link
        # knows it, e.g. whether the page may start the Web Playback SDK. A scope is not a secret.
        granted = (kwargs.get("response") or {}).get("scope")
        if isinstance(granted, str):
            profile = {**profile, GRANTED_SCOPE: granted}
        return self.get_provider().sociallogin_from_response(request, profile)


oauth2_login = OAuth2LoginView.adapter_view(SpotifyOAuth2Adapter)
oauth2_callback = OAuth2CallbackView.adapter_view(SpotifyOAuth2Adapter)
