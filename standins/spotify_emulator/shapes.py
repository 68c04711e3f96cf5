"""Spotify Web API JSON objects, shaped as development-mode apps receive them in 2026.

Fields Spotify removed for such apps (popularity, followers, genres, available_markets)
are absent; ``external_ids`` stays (restored in March 2026). Playlist entries carry the
track under both ``item`` (new) and ``track`` (deprecated, still sent).

A track's ``explicit`` is the demo file's flag. Where the file has none (the demo's source
data carries no explicit flags, so: every demo track) it is served as ``null``: Spotify always
knows and always says, but the emulator does not know, and ``false`` would tell the app a track
is clean when nobody checked. Clients must read null as "unknown", never as clean.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlencode

from standins.spotify_emulator.store import EmulatorStore, Obj, isrc_for

IMAGE_SIZES = (640, 300, 64)


class Shapes:
    """Builds objects whose ``href``s point at this emulator (``base`` is ``http://host:port``)."""

    def __init__(self, store: EmulatorStore, base: str) -> None:
        self.store = store
        self.base = base
        self.api = f"{base}/v1"

    def _links(self, kind: str, object_id: str, href: str | None = None) -> Obj:
        return {
            "external_urls": {"spotify": f"https://open.spotify.com/{kind}/{object_id}"},
            "href": href or f"{self.api}/{kind}s/{object_id}",
            "id": object_id,
            "type": kind,
            "uri": f"spotify:{kind}:{object_id}",
        }

    def artist_simplified(self, artist_id: str) -> Obj:
        return {**self._links("artist", artist_id), "name": self.store.artists[artist_id]["name"]}

    def artist(self, artist: Obj) -> Obj:
        return {**self.artist_simplified(artist["id"]), "images": []}

    def images(self, album_id: str) -> list[Obj]:
        return [{"url": f"{self.base}/image/{album_id}/{s}", "height": s, "width": s} for s in IMAGE_SIZES]

    def album_simplified(self, album: Obj, group: str | None = None) -> Obj:
        date = album["release_date"]
        shape = {
            **self._links("album", album["id"]),
            "album_type": self.store.album_type(album),
            "total_tracks": len(self.store.album_tracks.get(album["id"], [])),
            "images": self.images(album["id"]),
            "name": album["name"],
            "release_date": date,
            "release_date_precision": {4: "year", 7: "month"}.get(len(date), "day"),
            "artists": [self.artist_simplified(a) for a in album["artist_ids"]],
        }
        if group:
            shape["album_group"] = group
        return shape

    def album(self, album: Obj, tracks_page: Obj) -> Obj:
        return {**self.album_simplified(album), "tracks": tracks_page, "external_ids": {}, "label": ""}

    def track_simplified(self, track: Obj) -> Obj:
        album_tracks = self.store.album_tracks.get(track["album_id"] or "", [])
        return {
            **self._links("track", track["id"]),
            "artists": [self.artist_simplified(a) for a in track["artist_ids"]],
            "disc_number": 1,
            "duration_ms": track["duration_ms"],
            "explicit": track.get("explicit"),  # None → null: not known (see the module's description)
            "is_local": False,
            "is_playable": True,
            "name": track["name"],
            "preview_url": None,
            "track_number": album_tracks.index(track["id"]) + 1 if track["id"] in album_tracks else 1,
        }

    def track(self, track: Obj) -> Obj:
        album = self.store.albums.get(track["album_id"] or "")
        return {
            **self.track_simplified(track),
            "album": self.album_simplified(album) if album else None,
            "external_ids": {"isrc": isrc_for(track["id"])},
        }

    def user_public(self, user_id: str) -> Obj:
        if user_id == "spotify":
            return {**self._links("user", "spotify"), "display_name": "Spotify"}
        return {**self._links("user", user_id), "display_name": self.store.users[user_id]["display_name"]}

    def me(self, user: Obj) -> Obj:
        return {**self.user_public(user["id"]), "email": user["email"], "images": []}

    def playlist_item(self, item: Obj, owner: str) -> Obj:
        track = self.track(self.store.tracks[item["track_id"]])
        added_by = item.get("added_by", owner)
        return {
            "added_at": item["added_at"],
            "added_by": self._links("user", added_by),
            "is_local": False,
            "item": track,
            "track": track,
        }

    def playlist(self, playlist: Obj, items: Obj | None = None) -> Obj:
        """Simplified when ``items`` is None; otherwise full, with ``items`` as its first page."""
        summary = {"href": f"{self.api}/playlists/{playlist['id']}/items", "total": len(playlist["items"])}
        return {
            **self._links("playlist", playlist["id"]),
            "collaborative": playlist["collaborative"],
            "description": playlist["description"],
            "images": self._playlist_images(playlist),
            "name": playlist["name"],
            "owner": self.user_public(playlist["owner"]),
            "public": playlist["public"],
            "snapshot_id": snapshot_id(playlist),
            "items": items if items is not None else summary,
            "tracks": items if items is not None else summary,
        }

    def _playlist_images(self, playlist: Obj) -> list[Obj]:
        """Spotify shows the first track's cover (or a mosaic) for a playlist without its own."""
        first = self.store.tracks[playlist["items"][0]["track_id"]] if playlist["items"] else None
        return self.images(first["album_id"]) if first and first["album_id"] else []

    def page(
        self, path: str, query: dict[str, str], items: list[Any], offset: int, limit: int, total: int
    ) -> Obj:
        """An offset paging object whose ``next``/``previous`` are absolute URLs, as Spotify's are."""

        def url(at: int) -> str:
            return f"{self.api}{path}?{urlencode({**query, 'offset': at, 'limit': limit})}"

        return {
            "href": url(offset),
            "items": items,
            "limit": limit,
            "next": url(offset + limit) if offset + limit < total else None,
            "offset": offset,
            "previous": url(max(0, offset - limit)) if offset > 0 else None,
            "total": total,
        }

    def cursor_page(
        self,
        path: str,
        query: dict[str, str],
        items: list[Any],
        limit: int,
        cursors: Obj | None,
        next_query: Obj | None,
    ) -> Obj:
        next_url = (
            f"{self.api}{path}?{urlencode({**query, **next_query, 'limit': limit})}" if next_query else None
        )
        return {
            "href": f"{self.api}{path}?{urlencode({**query, 'limit': limit})}",
            "items": items,
            "limit": limit,
            "next": next_url,
            "cursors": cursors,
        }


def snapshot_id(playlist: Obj) -> str:
    """Opaque, and different after every change, like Spotify's."""
    return hashlib.sha256(f"{playlist['id']}:{playlist['version']}".encode()).hexdigest()[:32]
