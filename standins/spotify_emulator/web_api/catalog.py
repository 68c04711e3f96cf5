"""The catalog: single tracks, artists and albums, an artist's albums, and search (tracks and
artists only, at most 10 a page, as in 2026)."""

from __future__ import annotations

import re

from standins.spotify_emulator.routing import Call, api_route
from standins.spotify_emulator.store import Obj, StoreError, normalize

SEARCH_FIELDS = ("track", "artist", "album", "year", "isrc")
_FIELD = re.compile(r'(\w+):(?:"([^"]*)"|(\S+))')


def track(call: Call) -> Obj:
    return call.shapes.track(call.store.track(call.params["track_id"]))


def artist(call: Call) -> Obj:
    return call.shapes.artist(call.store.artist(call.params["artist_id"]))


def artist_albums(call: Call) -> Obj:
    limit, offset = call.number("limit", 5, 10), call.number("offset", 0, 100_000)
    groups_text = call.query.get("include_groups", "album,single,appears_on,compilation")
    groups = {g.strip() for g in groups_text.split(",") if g.strip()}
    pairs = call.store.artist_albums(call.params["artist_id"], groups)
    items = [call.shapes.album_simplified(album, group) for album, group in pairs[offset : offset + limit]]
    path = f"/artists/{call.params['artist_id']}/albums"
    return call.shapes.page(path, {"include_groups": groups_text}, items, offset, limit, len(pairs))


def album(call: Call) -> Obj:
    found = call.store.album(call.params["album_id"])
    return call.shapes.album(found, _album_tracks_page(call, found, 0, 50))


def album_tracks(call: Call) -> Obj:
    limit, offset = call.number("limit", 20, 50), call.number("offset", 0, 100_000)
    return _album_tracks_page(call, call.store.album(call.params["album_id"]), offset, limit)


def _album_tracks_page(call: Call, found: Obj, offset: int, limit: int) -> Obj:
    track_ids = call.store.album_tracks.get(found["id"], [])
    items = [call.shapes.track_simplified(call.store.tracks[i]) for i in track_ids[offset : offset + limit]]
    return call.shapes.page(f"/albums/{found['id']}/tracks", {}, items, offset, limit, len(track_ids))


def search(call: Call) -> Obj:
    """Tracks and artists only; ``limit`` at most 10 (2026). Field filters: track, artist,
    album, year (``2020`` or ``2010-2020``), isrc."""
    q = call.query.get("q", "").strip()
    if not q:
        raise StoreError(400, "No search query")
    types = [t.strip() for t in call.query.get("type", "").split(",") if t.strip()]
    if not types or any(t not in ("track", "artist") for t in types):
        raise StoreError(400, "Bad search type field")
    limit, offset = call.number("limit", 5, 10), call.number("offset", 0, 1000)
    fields = {}
    for match in _FIELD.finditer(q):
        if match.group(1).lower() in SEARCH_FIELDS:
            fields[match.group(1).lower()] = normalize(match.group(2) or match.group(3))
    free_text = _FIELD.sub(lambda m: "" if m.group(1).lower() in SEARCH_FIELDS else m.group(0), q)
    free = normalize(free_text).split()
    query = {"q": q, "type": ",".join(types)}
    result = {}
    if "track" in types:
        found = call.store.search_tracks(free, fields)
        items = [call.shapes.track(t) for t in found[offset : offset + limit]]
        result["tracks"] = call.shapes.page("/search", query, items, offset, limit, len(found))
    if "artist" in types:
        artists = call.store.search_artists(free, fields)
        items = [call.shapes.artist(a) for a in artists[offset : offset + limit]]
        result["artists"] = call.shapes.page("/search", query, items, offset, limit, len(artists))
    return result


# An app's own token (client credentials) reads the catalog, as on Spotify.
ROUTES = [
    api_route("/v1/tracks/{track_id}", track, app_token_ok=True),
    api_route("/v1/artists/{artist_id}", artist, app_token_ok=True),
    api_route("/v1/artists/{artist_id}/albums", artist_albums, app_token_ok=True),
    api_route("/v1/albums/{album_id}", album, app_token_ok=True),
    api_route("/v1/albums/{album_id}/tracks", album_tracks, app_token_ok=True),
    api_route("/v1/search", search, app_token_ok=True),
]
