from __future__ import annotations

from allauth.socialaccount.providers.spotify.provider import SpotifyOAuth2Provider

from .views import SpotifyOAuth2Adapter

# What the app does with Spotify: read the profile and library, write playlists, and play the
# shown list in the page (the Web Playback SDK needs "streaming"; starting it needs the other two).
SPOTIFY_SCOPES = [
    "user-read-email",
    "user-read-private",
    "user-top-read",
    "user-read-recently-played",
    "user-follow-read",
    "playlist-read-private",
    "playlist-read-collaborative",
    "playlist-modify-private",
    "playlist-modify-public",
    "streaming",
    "user-read-playback-state",
    "user-modify-playback-state",
]


class SpotifyProvider(SpotifyOAuth2Provider):
    """allauth's Spotify provider with PKCE on by default and the settings-driven adapter."""

    oauth2_adapter_class = SpotifyOAuth2Adapter
    pkce_enabled_default = True

    def get_default_scope(self) -> list[str]:
        return list(SPOTIFY_SCOPES)


provider_classes = [SpotifyProvider]
