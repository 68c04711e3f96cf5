"""The Web API endpoints Spotify still serves development-mode apps in 2026.

Paths not routed here answer 404 like the endpoints Spotify removed (recommendations, audio
features, artist top tracks, related artists, browse, batch ``?ids=``); the old playlist
``/tracks`` paths answer 403 as they do now.
"""

from __future__ import annotations

from standins.spotify_emulator.web_api import catalog, listener, player, playlists

ROUTES = [*listener.ROUTES, *player.ROUTES, *playlists.ROUTES, *catalog.ROUTES]
