"""Where the page's player loads Spotify's embed from: Spotify itself, or the emulator offline.

The embed needs no token and plays for everyone (whole tracks for a browser logged in to
Spotify). When the app talks to the emulator, open.spotify.com may be unreachable and would
not know the emulator's tracks anyway, so the emulator's stand-in page is used instead.
"""

from __future__ import annotations

from django.conf import settings

SPOTIFY_API_ORIGIN = "https://api.spotify.com"
SPOTIFY_EMBED_ORIGIN = "https://open.spotify.com"


def origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/')[0]}"


def embed_origin() -> str:
    """The origin the embed iframe loads from (read per request: tests move the emulator)."""
    configured = getattr(settings, "SPOTIFY_EMBED_BASE_URL", "")
    if configured:
        return origin(configured)
    api = origin(settings.SPOTIFY_API_BASE_URL)
    return SPOTIFY_EMBED_ORIGIN if api == SPOTIFY_API_ORIGIN else api


def embed_track_url(spotify_id: str) -> str:
    return f"{embed_origin()}/embed/track/{spotify_id}"
