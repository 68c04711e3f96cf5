"""What tests switch and inspect under ``/_emulator/`` (never authenticated, never counted).

``faults`` (POST adds a fault or a token switch, DELETE clears faults and the rate windows),
``allowlist`` (GET, POST ``{"user_ids": [...]}``, DELETE: everyone again), ``rate-limit``
(GET, POST ``{"limit": N, "window": s}``, DELETE: the start-up limit), ``state`` (GET).
"""

from __future__ import annotations

from starlette.responses import Response

from standins.spotify_emulator.faults import whole_number
from standins.spotify_emulator.routing import Call, api_route
from standins.spotify_emulator.shapes import snapshot_id
from standins.spotify_emulator.store import StoreError
from standins.web.responses import json_response


def faults_add(call: Call) -> Response:
    """A response fault or latency (see ``Faults``), or a token switch:
    ``{"revoke_refresh_tokens": "<listener id>"}`` makes their refresh fail with invalid_grant;
    ``{"expire_access_tokens": "<listener id>" | true}`` expires issued access tokens now."""
    rule = call.json()
    if not isinstance(rule, dict):
        raise StoreError(400, "Expected a JSON object")
    if "revoke_refresh_tokens" in rule:
        user_id = str(rule["revoke_refresh_tokens"])
        _known_listener(call, user_id)
        return json_response(201, {"revoked": call.store.refresh_revoke(user_id)})
    if "expire_access_tokens" in rule:
        target = rule["expire_access_tokens"]
        if target is True:
            return json_response(201, {"expired": call.store.access_expire(None)})
        _known_listener(call, str(target))
        return json_response(201, {"expired": call.store.access_expire(str(target))})
    return json_response(201, call.gates.faults.add(rule))


def faults_clear(call: Call) -> Response:
    """Drops injected failures and latency, and empties the rate windows."""
    call.gates.faults.clear()
    call.gates.rate_limiter.reset()
    return json_response(200, {"ok": True})


def allowlist_set(call: Call) -> Response:
    """Only these listeners may call the Web API."""
    body = call.json()
    user_ids = body.get("user_ids") if isinstance(body, dict) else None
    if not isinstance(user_ids, list):
        raise StoreError(400, "user_ids must be a list of listener ids")
    for user_id in user_ids:
        _known_listener(call, str(user_id))
    call.gates.allowlist = {str(u) for u in user_ids}
    return json_response(200, {"user_ids": sorted(call.gates.allowlist)})


def allowlist_reset(call: Call) -> Response:
    call.gates.allowlist = None
    return allowlist_get(call)


def allowlist_get(call: Call) -> Response:
    return json_response(200, {"user_ids": call.gates.listed_allowlist()})


def rate_limit_set(call: Call) -> Response:
    body = call.json()
    if not isinstance(body, dict):
        raise StoreError(400, "Expected a JSON object")
    limiter = call.gates.rate_limiter
    window = body.get("window", limiter.window)
    if not isinstance(window, int | float) or window <= 0:
        raise StoreError(400, "window must be a positive number of seconds")
    limiter.configure(whole_number(body, "limit", limiter.limit), float(window))
    return rate_limit_get(call)


def rate_limit_reset(call: Call) -> Response:
    call.gates.rate_limiter.configure(*call.gates.default_rate)
    return rate_limit_get(call)


def rate_limit_get(call: Call) -> Response:
    limiter = call.gates.rate_limiter
    return json_response(200, {"limit": limiter.limit, "window": limiter.window})


def state(call: Call) -> Response:
    """Request counts, switches, and playlists (``?user_id=``: one listener's, else all)."""
    user_id = call.query.get("user_id")
    if user_id is not None:
        _known_listener(call, user_id)
    playlists = [
        {
            "id": p["id"],
            "name": p["name"],
            "description": p["description"],
            "owner": p["owner"],
            "public": p["public"],
            "snapshot_id": snapshot_id(p),
            "track_ids": [item["track_id"] for item in p["items"]],
        }
        for p in list(call.store.playlists.values())
        if user_id is None or p["owner"] == user_id
    ]
    counts = call.gates.counts()
    limiter = call.gates.rate_limiter
    body = {
        "requests": {"total": counts.pop("total", 0), "by_user": counts},
        "faults": call.gates.faults.listed(),
        "rate_limit": {"limit": limiter.limit, "window": limiter.window},
        "allowlist": call.gates.listed_allowlist(),
        "playlists": playlists,
    }
    return json_response(200, body)


def _known_listener(call: Call, user_id: str) -> None:
    if user_id not in call.store.users:
        raise StoreError(400, f"Unknown listener: {user_id}")


ROUTES = [
    api_route("/_emulator/faults", faults_add, ["POST"], auth=False),
    api_route("/_emulator/faults", faults_clear, ["DELETE"], auth=False),
    api_route("/_emulator/allowlist", allowlist_get, auth=False),
    api_route("/_emulator/allowlist", allowlist_set, ["POST"], auth=False),
    api_route("/_emulator/allowlist", allowlist_reset, ["DELETE"], auth=False),
    api_route("/_emulator/rate-limit", rate_limit_get, auth=False),
    api_route("/_emulator/rate-limit", rate_limit_set, ["POST"], auth=False),
    api_route("/_emulator/rate-limit", rate_limit_reset, ["DELETE"], auth=False),
    api_route("/_emulator/state", state, auth=False),
]
