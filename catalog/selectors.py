"""Reads of the catalog that other apps and commands share."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from catalog.models import Album, Playlist, PlaylistItem, Track, TrackArtist
from catalog.types import TRACK_FEATURES, Catalog, CatalogPlaylist


def catalog_matches_database(catalog: Catalog) -> bool:
    """True when every track, its artists and album, and every catalog playlist with its
    ordered items are stored exactly as in ``catalog``: the cheap check (a few reads, no
    writes) that lets a loader skip an import that would change nothing."""
    track_ids = [t.spotify_id for t in catalog.tracks]
    columns = ["name", "album__spotify_id", "duration_ms", "popularity", "genre", "subgenre", *TRACK_FEATURES]
    stored = {
        row[0]: row[1:]
        for row in Track.objects.filter(spotify_id__in=track_ids).values_list("spotify_id", *columns)
    }
    expected = {
        t.spotify_id: (
            t.name,
            t.album.spotify_id if t.album else None,
            t.duration_ms,
            t.popularity,
            t.genre,
            t.subgenre,
            *(t.features.get(f) for f in TRACK_FEATURES),
        )
        for t in catalog.tracks
    }
    if stored != expected:
        return False
    links: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for track_id, artist_id, name in (
        TrackArtist.objects.filter(track__spotify_id__in=track_ids)
        .order_by("track_id", "position")
        .values_list("track__spotify_id", "artist__spotify_id", "artist__name")
    ):
        links[track_id].append((artist_id, name))
    if links != {t.spotify_id: [(a.spotify_id, a.name) for a in t.artists] for t in catalog.tracks}:
        return False
    albums = {t.album.spotify_id: (t.album.name, t.album.release_date) for t in catalog.tracks if t.album}
    stored_albums = Album.objects.filter(spotify_id__in=albums).values_list(
        "spotify_id", "name", "release_date"
    )
    if {row[0]: row[1:] for row in stored_albums} != albums:
        return False
    return _catalog_playlists_stored(catalog.playlists)


def _catalog_playlists_stored(playlists: Sequence[CatalogPlaylist]) -> bool:
    expected = {p.spotify_id: (p.name, p.description, p.genre, None) for p in playlists}
    rows = Playlist.objects.filter(spotify_id__in=expected).values_list(
        "spotify_id", "name", "description", "genre", "owner_id"
    )
    if {row[0]: row[1:] for row in rows} != expected:
        return False
    items: dict[str, list[str]] = defaultdict(list)
    for playlist_id, track_id in (
        PlaylistItem.objects.filter(playlist__spotify_id__in=expected)
        .order_by("playlist_id", "position")
        .values_list("playlist__spotify_id", "track__spotify_id")
    ):
        items[playlist_id].append(track_id)
    return items == {p.spotify_id: list(p.track_ids) for p in playlists if p.track_ids}
