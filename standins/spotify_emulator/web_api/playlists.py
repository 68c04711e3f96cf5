"""Playlists: the listener's, created and edited by them; others' are metadata only (2026)."""

from __future__ import annotations

from starlette.responses import Response

from standins.spotify_emulator.routing import Call, api_route
from standins.spotify_emulator.shapes import snapshot_id
from standins.spotify_emulator.store import Obj, StoreError
from standins.web.app import ANY_METHOD
from standins.web.responses import json_response


def my_playlists(call: Call) -> Obj:
    limit, offset = call.number("limit", 20, 50), call.number("offset", 0, 100_000)
    playlists = call.store.user_playlists(call.user["id"])
    items = [call.shapes.playlist(p) for p in playlists[offset : offset + limit]]
    return call.shapes.page("/me/playlists", {}, items, offset, limit, len(playlists))


def playlist_create(call: Call) -> Response:
    body = call.json()
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise StoreError(400, "Missing required field: name")
    playlist = call.store.playlist_create(
        call.user["id"],
        name.strip(),
        str(body.get("description") or ""),
        bool(body.get("public", True)),
        bool(body.get("collaborative", False)),
    )
    return json_response(201, call.shapes.playlist(playlist, _items_page(call, playlist, 0, 100)))


def playlist_get(call: Call) -> Obj:
    """Full for the owner; others see metadata only (development mode, 2026)."""
    playlist = call.store.playlist(call.params["playlist_id"])
    if playlist["owner"] != call.user["id"]:
        return call.shapes.playlist(playlist)
    return call.shapes.playlist(playlist, _items_page(call, playlist, 0, 100))


def _items_page(call: Call, playlist: Obj, offset: int, limit: int) -> Obj:
    entries = playlist["items"][offset : offset + limit]
    items = [call.shapes.playlist_item(entry, playlist["owner"]) for entry in entries]
    path = f"/playlists/{playlist['id']}/items"
    return call.shapes.page(path, {}, items, offset, limit, len(playlist["items"]))


def playlist_items(call: Call) -> Obj:
    playlist = call.store.owned_playlist(call.params["playlist_id"], call.user["id"])
    limit, offset = call.number("limit", 20, 50), call.number("offset", 0, 100_000)
    return _items_page(call, playlist, offset, limit)


def playlist_items_add(call: Call) -> Response:
    body = call.json() if call.body else {}
    if isinstance(body, list):  # spotipy posts the bare list of URIs, position in the query
        body = {"uris": body}
    if not isinstance(body, dict):
        raise StoreError(400, "Invalid request body")
    uris = call.query["uris"].split(",") if call.query.get("uris") else body.get("uris")
    if not isinstance(uris, list) or not uris:
        raise StoreError(400, "No uris provided")
    position = body.get("position", call.query.get("position"))
    if position is not None and not str(position).isdigit():
        raise StoreError(400, "Invalid position")
    playlist = call.store.playlist_add(
        call.params["playlist_id"], call.user["id"], uris, None if position is None else int(position)
    )
    return json_response(201, {"snapshot_id": snapshot_id(playlist)})


def playlist_items_remove(call: Call) -> Obj:
    body = call.json()
    entries = body.get("items", body.get("tracks")) if isinstance(body, dict) else None
    if not isinstance(entries, list) or not entries:
        raise StoreError(400, "No items provided")
    uris = [e.get("uri", "") if isinstance(e, dict) else "" for e in entries]
    playlist = call.store.playlist_remove(call.params["playlist_id"], call.user["id"], uris)
    return {"snapshot_id": snapshot_id(playlist)}


def playlist_items_replace(call: Call) -> Obj:
    body = call.json() if call.body else {}
    if not isinstance(body, dict):
        raise StoreError(400, "Invalid request body")
    if "range_start" in body:
        raise StoreError(400, "Reordering is not supported by the emulator")
    uris = call.query["uris"].split(",") if call.query.get("uris") else body.get("uris", [])
    if not isinstance(uris, list):
        raise StoreError(400, "Invalid uris")
    playlist = call.store.playlist_replace(call.params["playlist_id"], call.user["id"], uris)
    return {"snapshot_id": snapshot_id(playlist)}


def library_remove(call: Call) -> Response:
    """``DELETE /me/library?uris=spotify:playlist:…``: the 2026 way to unfollow (for the owner,
    delete) a playlist; other kinds of URI are refused here (the emulator keeps no saved items)."""
    uris = [uri for uri in (call.query.get("uris") or "").split(",") if uri]
    if not uris or len(uris) > 40:
        raise StoreError(400, "Provide 1 to 40 uris")
    prefix = "spotify:playlist:"
    if not all(uri.startswith(prefix) for uri in uris):
        raise StoreError(400, "Only playlist URIs are supported by the emulator")
    for uri in uris:
        call.store.playlist_unfollow(uri[len(prefix) :], call.user["id"])
    return Response(status_code=200)


def forbidden(call: Call) -> Obj:
    raise StoreError(403, "Forbidden")


ROUTES = [
    api_route("/v1/me/playlists", my_playlists),
    api_route("/v1/me/playlists", playlist_create, ["POST"]),
    api_route("/v1/playlists/{playlist_id}", playlist_get),
    api_route("/v1/playlists/{playlist_id}/items", playlist_items),
    api_route("/v1/playlists/{playlist_id}/items", playlist_items_add, ["POST"]),
    api_route("/v1/playlists/{playlist_id}/items", playlist_items_remove, ["DELETE"]),
    api_route("/v1/playlists/{playlist_id}/items", playlist_items_replace, ["PUT"]),
    api_route("/v1/me/library", library_remove, ["DELETE"]),
    api_route("/v1/playlists/{playlist_id}/tracks", forbidden, ANY_METHOD),
    api_route("/v1/users/{user_id}/playlists", forbidden, ANY_METHOD),
]
