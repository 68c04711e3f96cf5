"""A stand-in for Spotify's Web Playback SDK: the script a page loads, and the channel it talks on.

``GET /sdk/spotify-player.js`` serves ``sdk_player.js`` (``window.Spotify.Player`` for the
browser). Where the real SDK talks to Spotify over a connection of its own, the stand-in posts
to ``/sdk/devices`` (connect: a new device of the token's listener, refused 403
PREMIUM_REQUIRED for an account without Premium, which the script reports as
``account_error``) and to ``/sdk/devices/{device_id}`` (``command``: state, toggle, pause,
resume, next, previous, disconnect), the token in the form body. Those are simple cross-origin
requests, with no preflight, answered with ``Access-Control-Allow-Origin: *`` (the page is on
the app's origin, the emulator on its own). They are not Web API calls: like Spotify's own
player traffic they are neither rate limited nor counted.
"""

from __future__ import annotations

import time
from pathlib import Path

from starlette.responses import Response

from standins.spotify_emulator.routing import Call, api_route
from standins.spotify_emulator.store import Obj, StoreError
from standins.spotify_emulator.web_api.player import PlayerRefused, Players, players_for
from standins.web.responses import body_response, json_response

SCRIPT = (Path(__file__).parent / "sdk_player.js").read_bytes()
CORS = {"Access-Control-Allow-Origin": "*"}
COMMANDS = ("state", "toggle", "pause", "resume", "next", "previous", "disconnect")


def script(call: Call) -> Response:
    return body_response(200, SCRIPT, "application/javascript; charset=utf-8", {"Cache-Control": "no-cache"})


def device_connect(call: Call) -> Response:
    """``access_token``, ``name`` → ``{"device_id"}``."""
    form = call.form()
    try:
        user = call.gates.authenticate(form.get("access_token", ""))
        device = players_for(call.store).device_add(user, form.get("name", ""))
    except (StoreError, PlayerRefused) as exc:
        return _refusal(exc)
    return json_response(200, {"device_id": device.id}, CORS)


def device_command(call: Call) -> Response:
    """``access_token``, ``command`` → the device's state after it (JSON ``null``: not playing here)."""
    form = call.form()
    players, device_id, command = players_for(call.store), call.params["device_id"], form.get("command")
    try:
        user = call.gates.authenticate(form.get("access_token", ""))
        players.device(user, device_id)
        if command not in COMMANDS:
            raise StoreError(400, f"command must be one of {', '.join(COMMANDS)}")
        _run(players, user, device_id, command)
    except (StoreError, PlayerRefused) as exc:
        return _refusal(exc)
    return json_response(200, _state(call, players, user, device_id), CORS)


def _run(players: Players, user: Obj, device_id: str, command: str) -> None:
    playing = players.playback.get(user["id"])
    if command == "disconnect":
        players.device_remove(user, device_id)
    elif playing is None or command == "state":
        return  # nothing queued yet: the state answers null, as the SDK's does
    elif command == "pause" or (command == "toggle" and not playing.paused):
        players.pause(user, device_id)
    elif command in ("resume", "toggle"):
        players.resume(user, device_id)
    else:
        players.skip(user, device_id, 1 if command == "next" else -1)


def _state(call: Call, players: Players, user: Obj, device_id: str) -> Obj | None:
    """The SDK's WebPlaybackState, or None when the listener plays nothing on this device."""
    playing = players.playback.get(user["id"])
    if playing is None or playing.device_id != device_id:
        return None
    ids, at = playing.track_ids, playing.index
    return {
        "context": {"uri": None, "metadata": {}},
        "disallows": {},
        "paused": playing.paused,
        "position": playing.progress_ms(time.time()),
        "duration": playing.duration_ms,
        "repeat_mode": 0,
        "shuffle": False,
        "timestamp": int(playing.since * 1000),  # when it last changed: the script emits on a change
        "track_window": {
            "current_track": _track(call, ids[at]),
            "previous_tracks": [_track(call, t) for t in ids[max(0, at - 2) : at]],
            "next_tracks": [_track(call, t) for t in ids[at + 1 : at + 3]],
        },
    }


def _track(call: Call, track_id: str) -> Obj:
    track = call.store.tracks[track_id]
    album = call.store.albums.get(track["album_id"] or "")
    return {
        "uri": f"spotify:track:{track_id}",
        "id": track_id,
        "type": "track",
        "media_type": "audio",
        "name": track["name"],
        "is_playable": True,
        "duration_ms": track["duration_ms"],
        "album": {
            "uri": f"spotify:album:{album['id']}" if album else "",
            "name": album["name"] if album else "",
            "images": call.shapes.images(album["id"]) if album else [],
        },
        "artists": [
            {"uri": f"spotify:artist:{a}", "name": call.store.artists[a]["name"]} for a in track["artist_ids"]
        ],
    }


def _refusal(exc: StoreError | PlayerRefused) -> Response:
    if isinstance(exc, PlayerRefused):
        return exc.response(CORS)
    return json_response(exc.status, {"error": {"status": exc.status, "message": exc.message}}, CORS)


ROUTES = [
    api_route("/sdk/spotify-player.js", script, auth=False),
    api_route("/sdk/devices", device_connect, ["POST"], auth=False),
    api_route("/sdk/devices/{device_id}", device_command, ["POST"], auth=False),
]
