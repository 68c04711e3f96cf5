"""Grounding a typed name: our catalog first, then Spotify search for a connected listener.

A name that resolves to nothing comes back as None and the caller says so. When Spotify
cannot be asked (rate limit, expired link, outage) the answer is ``LookupUnavailable``, not
None: "not found" would be a lie. Whatever Spotify finds is stored in the catalog.
"""

from __future__ import annotations

import logging

from accounts.models import User
from catalog.grounding import NAME_MATCH, artist_in_catalog, best_track, name_similarity, track_in_catalog
from catalog.models import Artist, Track

from .errors import SpotifyError, SpotifyNotConnected, said_to_listener
from .services import artists_upsert, spotify_client_for, tracks_upsert
from .types import ArtistInfo, TrackInfo

logger = logging.getLogger(__name__)


class LookupUnavailable(Exception):
    """Spotify could not be asked; ``message`` says what happened in the listener's words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def artist_resolve(name: str, *, user: User) -> Artist | None:
    """The artist called ``name``: catalog, then Spotify search; None when nobody matches."""
    name = name.strip()
    if not name:
        return None
    known = artist_in_catalog(name)
    if known is not None:
        return known
    found: list[ArtistInfo] = _spotify_search(user, "artist", f"artist:{name}")
    best = max(found, key=lambda a: name_similarity(a.name, name), default=None)
    if best is None or name_similarity(best.name, name) < NAME_MATCH:
        return None
    return Artist.objects.filter(pk=artists_upsert([best])[best.id]).first()


def track_resolve(
    title: str, artist: str = "", *, user: User, duration_ms: int | None = None
) -> Track | None:
    """The track ``title`` by ``artist`` (duration breaks ties): catalog, then Spotify search."""
    title = title.strip()
    if not title:
        return None
    known = track_in_catalog(title, artist, duration_ms=duration_ms)
    if known is not None:
        return known
    query = f'track:"{title}"' + (f" artist:{artist}" if artist else "")
    found: list[TrackInfo] = _spotify_search(user, "track", query)
    info = best_track(found, title, artist, duration_ms, names=lambda t: [a.name for a in t.artists])
    if info is None:
        return None
    return Track.objects.filter(pk=tracks_upsert([info])[info.id]).first()


def _spotify_search(user: User, kind: str, query: str) -> list:
    """Spotify search for a connected listener; [] when not connected."""
    try:
        client = spotify_client_for(user=user)
    except SpotifyNotConnected:
        return []
    except SpotifyError as exc:
        raise LookupUnavailable(said_to_listener(exc)) from exc
    try:
        with client:
            return client.search_artists(query) if kind == "artist" else client.search_tracks(query)
    except SpotifyError as exc:
        logger.info("Spotify search for %r failed: %s", query, exc)
        raise LookupUnavailable(said_to_listener(exc)) from exc
