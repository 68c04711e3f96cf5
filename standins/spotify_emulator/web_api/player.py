"""The player: Premium listeners' playback on a device (here only the stand-in SDK's, see ``sdk``).

Kept in memory per emulator process, as Spotify forgets a closed page's player: the devices
SDK stand-ins registered, each listener's queue and place in it, and product switches. Demo
listeners are Premium unless their file entry says otherwise (``"product"``) or a test switches
them (``POST /_emulator/product``; ``DELETE /_emulator/player`` forgets it all). GET /v1/me
does not tell the product: development-mode apps stopped seeing it in 2026, so an app learns
it from a refusal, as it does from Spotify.

Nothing plays: a playing track's position moves with the clock and stops at its end.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from starlette.responses import Response

from standins.spotify_emulator.routing import Call, api_route
from standins.spotify_emulator.store import EmulatorStore, Obj, StoreError
from standins.web.responses import json_response

DEFAULT_PRODUCT = "premium"
PRODUCTS = ("premium", "free", "open")
TRACK_URI_PREFIX = "spotify:track:"


class PlayerRefused(Exception):
    """A player command Spotify refuses with a ``reason`` in its error body."""

    def __init__(self, status: int, message: str, reason: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason

    def response(self, headers: dict[str, str] | None = None) -> Response:
        error = {"status": self.status, "message": self.message, "reason": self.reason}
        return json_response(self.status, {"error": error}, headers)


def premium_required() -> PlayerRefused:
    return PlayerRefused(403, "Player command failed: Premium required", "PREMIUM_REQUIRED")


def no_active_device() -> PlayerRefused:
    return PlayerRefused(404, "Player command failed: No active device found", "NO_ACTIVE_DEVICE")


@dataclass
class Device:
    id: str
    user_id: str
    name: str


@dataclass
class Playback:
    """One listener's queue (track ids) on one device; ``position_ms`` as of ``since``."""

    device_id: str
    track_ids: list[str]
    index: int
    paused: bool
    position_ms: int
    since: float  # time.time() of the last change
    duration_ms: int

    def progress_ms(self, now: float) -> int:
        if self.paused:
            return self.position_ms
        return min(self.duration_ms, self.position_ms + int((now - self.since) * 1000))


class Players:
    def __init__(self, store: EmulatorStore) -> None:
        self.store = store
        self.devices: dict[str, Device] = {}
        self.playback: dict[str, Playback] = {}  # by listener id
        self.products: dict[str, str] = {}  # test switches, over the demo file
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.devices.clear()
            self.playback.clear()
            self.products.clear()

    def product(self, user: Obj) -> str:
        return self.products.get(user["id"]) or user.get("product") or DEFAULT_PRODUCT

    def premium_check(self, user: Obj) -> None:
        if self.product(user) != "premium":
            raise premium_required()

    def device_add(self, user: Obj, name: str) -> Device:
        self.premium_check(user)
        device = Device(id=secrets.token_hex(20), user_id=user["id"], name=name[:100] or "Web Player")
        with self._lock:
            self.devices[device.id] = device
        return device

    def device_remove(self, user: Obj, device_id: str) -> None:
        with self._lock:
            device = self.devices.get(device_id)
            if device is not None and device.user_id == user["id"]:
                del self.devices[device_id]
                playing = self.playback.get(user["id"])
                if playing is not None and playing.device_id == device_id:
                    del self.playback[user["id"]]

    def device(self, user: Obj, device_id: str | None) -> Device:
        """The listener's device ``device_id``, else the one they play on; 404 when there is none."""
        if device_id is None:
            playing = self.playback.get(user["id"])
            device_id = playing.device_id if playing else None
        device = self.devices.get(device_id or "")
        if device is None or device.user_id != user["id"]:
            raise no_active_device()
        return device

    def start(self, user: Obj, device_id: str | None, track_ids: list[str], offset: int) -> None:
        self.premium_check(user)
        device = self.device(user, device_id)
        with self._lock:
            self.playback[user["id"]] = self._at(device.id, track_ids, offset)

    def resume(self, user: Obj, device_id: str | None) -> None:
        device, playing = self._queued(user, device_id)
        now = time.time()
        playing.position_ms, playing.since = playing.progress_ms(now), now
        playing.device_id, playing.paused = device.id, False

    def pause(self, user: Obj, device_id: str | None) -> None:
        _, playing = self._queued(user, device_id)
        now = time.time()
        playing.position_ms, playing.since, playing.paused = playing.progress_ms(now), now, True

    def skip(self, user: Obj, device_id: str | None, step: int) -> None:
        """``step`` +1: the next track (past the last one, playback stops); -1: the one before."""
        _, playing = self._queued(user, device_id)
        index = playing.index + step
        if index >= len(playing.track_ids):
            playing.position_ms, playing.since, playing.paused = playing.duration_ms, time.time(), True
            return
        moved = self._at(playing.device_id, playing.track_ids, max(0, index))
        moved.paused = playing.paused
        with self._lock:
            self.playback[user["id"]] = moved

    def _queued(self, user: Obj, device_id: str | None) -> tuple[Device, Playback]:
        """The device and what is queued on it, for a command; else Spotify's refusal."""
        self.premium_check(user)
        device = self.device(user, device_id)
        playing = self.playback.get(user["id"])
        if playing is None:
            raise no_active_device()
        return device, playing

    def _at(self, device_id: str, track_ids: list[str], index: int) -> Playback:
        duration = int(self.store.tracks[track_ids[index]]["duration_ms"] or 0)
        return Playback(device_id, track_ids, index, False, 0, time.time(), duration)


_players: WeakKeyDictionary[EmulatorStore, Players] = WeakKeyDictionary()
_players_lock = threading.Lock()


def players_for(store: EmulatorStore) -> Players:
    """The player state of the emulator serving ``store`` (one per app, made on first use)."""
    with _players_lock:
        if store not in _players:
            _players[store] = Players(store)
        return _players[store]


# --- the Web API ------------------------------------------------------------------------------------


def player_state(call: Call) -> Obj | Response:
    """``GET /me/player``: 204 when nothing is playing anywhere."""
    playing = players_for(call.store).playback.get(call.user["id"])
    if playing is None:
        return Response(status_code=204)
    device = players_for(call.store).devices[playing.device_id]
    now = time.time()
    return {
        "device": {
            "id": device.id,
            "is_active": True,
            "is_private_session": False,
            "is_restricted": False,
            "name": device.name,
            "type": "Computer",
            "volume_percent": 100,
            "supports_volume": True,
        },
        "repeat_state": "off",
        "shuffle_state": False,
        "context": None,
        "timestamp": int(playing.since * 1000),
        "progress_ms": playing.progress_ms(now),
        "is_playing": not playing.paused,
        "item": call.shapes.track(call.store.tracks[playing.track_ids[playing.index]]),
        "currently_playing_type": "track",
        "actions": {"disallows": {}},
    }


def play(call: Call) -> Response:
    """``PUT /me/player/play``: ``{"uris": [...], "offset": {"position": n}}`` starts a queue;
    no body resumes. Context URIs (albums, playlists) are not emulated."""
    players, user, device_id = players_for(call.store), call.user, call.query.get("device_id")
    body = call.json() if call.body.strip() else {}
    if not isinstance(body, dict):
        raise StoreError(400, "Expected a JSON object")
    try:
        if "context_uri" in body:
            raise StoreError(400, "context_uri is not supported by the emulator; send uris")
        if "uris" not in body:
            players.resume(user, device_id)
        else:
            track_ids = _track_ids(call, body["uris"])
            players.start(user, device_id, track_ids, _offset(body.get("offset"), len(track_ids)))
    except PlayerRefused as refused:
        return refused.response()
    return Response(status_code=204)


def pause(call: Call) -> Response:
    return _command(call, lambda players: players.pause(call.user, call.query.get("device_id")))


def skip_next(call: Call) -> Response:
    return _command(call, lambda players: players.skip(call.user, call.query.get("device_id"), 1))


def skip_previous(call: Call) -> Response:
    return _command(call, lambda players: players.skip(call.user, call.query.get("device_id"), -1))


def _command(call: Call, action: Callable[[Players], None]) -> Response:
    try:
        action(players_for(call.store))
    except PlayerRefused as refused:
        return refused.response()
    return Response(status_code=204)


def _track_ids(call: Call, uris: object) -> list[str]:
    if not isinstance(uris, list) or not uris:
        raise StoreError(400, "uris must be a non-empty list of track URIs")
    if len(uris) > 100:
        raise StoreError(400, "Too many ids requested")
    track_ids = []
    for uri in uris:
        if not isinstance(uri, str) or not uri.startswith(TRACK_URI_PREFIX):
            raise StoreError(400, f"Unsupported URL / URI: {uri}")
        track_ids.append(call.store.track(uri[len(TRACK_URI_PREFIX) :])["id"])
    return track_ids


def _offset(offset: object, count: int) -> int:
    if offset is None:
        return 0
    position = offset.get("position") if isinstance(offset, dict) else None
    if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position < count:
        raise StoreError(400, "Invalid offset")
    return position


# --- what tests switch and read (never authenticated) -----------------------------------------------


def product_set(call: Call) -> Response:
    """``{"user_id": "malik", "product": "free"}``: that listener's account from now on."""
    body = call.json()
    user_id = body.get("user_id") if isinstance(body, dict) else None
    product = body.get("product") if isinstance(body, dict) else None
    if user_id not in call.store.users:
        raise StoreError(400, f"Unknown listener: {user_id}")
    if product not in PRODUCTS:
        raise StoreError(400, f"product must be one of {', '.join(PRODUCTS)}")
    players_for(call.store).products[str(user_id)] = str(product)
    return json_response(200, {"user_id": user_id, "product": product})


def players_reset(call: Call) -> Response:
    """Forgets every device, queue and product switch."""
    players_for(call.store).reset()
    return json_response(200, {"ok": True})


def player_inspect(call: Call) -> Response:
    """``?user_id=``: the listener's product, devices and queue."""
    user = call.store.users.get(call.query.get("user_id", ""))
    if user is None:
        raise StoreError(400, "user_id must name a demo listener")
    players = players_for(call.store)
    playing = players.playback.get(user["id"])
    devices = [{"id": d.id, "name": d.name} for d in players.devices.values() if d.user_id == user["id"]]
    playback = None
    if playing is not None:
        playback = {
            "device_id": playing.device_id,
            "uris": [TRACK_URI_PREFIX + t for t in playing.track_ids],
            "index": playing.index,
            "is_playing": not playing.paused,
            "progress_ms": playing.progress_ms(time.time()),
        }
    body = {"product": players.product(user), "devices": devices, "playback": playback}
    return json_response(200, body)


ROUTES = [
    api_route("/v1/me/player", player_state),
    api_route("/v1/me/player/play", play, ["PUT"]),
    api_route("/v1/me/player/pause", pause, ["PUT"]),
    api_route("/v1/me/player/next", skip_next, ["POST"]),
    api_route("/v1/me/player/previous", skip_previous, ["POST"]),
    api_route("/_emulator/product", product_set, ["POST"], auth=False),
    api_route("/_emulator/player", player_inspect, auth=False),
    api_route("/_emulator/player", players_reset, ["DELETE"], auth=False),
]
