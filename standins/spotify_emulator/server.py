"""HTTP and routing for the emulator: Spotify's paths, parameters, limits and errors.

``EmulatorApp.handle`` maps a parsed request to a response and knows nothing of sockets,
so the routing rules read top to bottom in one place. Paths not listed answer 404 like the
endpoints Spotify removed (recommendations, audio features, artist top tracks, related
artists, browse, batch ``?ids=``); the old playlist ``/tracks`` paths answer 403 as they do
now. Trailing slashes are ignored (spotipy calls ``me/``).

Every /v1 call passes the app-wide gates Spotify has: a rolling-window rate limit (429 with
``Retry-After``) and the development-mode allow-list (403 for a listener not on it). Tests
switch failures, limits and the allow-list, and read request counts and playlists, under
``/_emulator/`` (see ``CONTROLS``).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import re
import sys
import threading
import time
import traceback
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from standins.spotify_emulator.shapes import Shapes, snapshot_id
from standins.spotify_emulator.store import EmulatorStore, GrantError, Obj, StoreError, normalize

RANGES = ("short_term", "medium_term", "long_term")
SEARCH_FIELDS = ("track", "artist", "album", "year", "isrc")
_FIELD = re.compile(r'(\w+):(?:"([^"]*)"|(\S+))')
WINDOW_SECONDS = 30.0  # Spotify counts an app's calls over a rolling 30-second window
DEFAULT_RATE_LIMIT = 600  # generous: only tests that lower it ever meet it
# What Spotify answers (403, plain text) when a development-mode app's user is not on its allow-list.
NOT_REGISTERED_MESSAGE = "Check settings on developer.spotify.com/dashboard, the user may not be registered."
QUOTA_MESSAGE = "QUOTA_EXCEEDED: the app's request quota is used up"


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(data, ensure_ascii=False).encode(), headers=headers or {})


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return json_response(status, {"error": {"status": status, "message": message}}, headers)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Message
    body: bytes
    shapes: Shapes
    params: dict[str, str] = field(default_factory=dict)
    user: Obj = field(default_factory=dict)

    @property
    def store(self) -> EmulatorStore:
        return self.shapes.store

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            raise StoreError(400, "Error parsing JSON.") from None

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    def number(self, name: str, default: int, maximum: int) -> int:
        """An integer query parameter within 0..maximum; else 400 "Invalid <name>", as Spotify says."""
        text = self.query.get(name, "")
        if text == "":
            return default
        if not text.isdigit() or int(text) > maximum or (name == "limit" and int(text) < 1):
            raise StoreError(400, f"Invalid {name}")
        return int(text)


Handler = Callable[[Request], "Obj | Response"]
ROUTES: list[tuple[str, re.Pattern[str], Handler, bool]] = []


def route(method: str, pattern: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ROUTES.append((method, re.compile(pattern), handler, auth))
        return handler

    return register


class Faults:
    """Injected failures for tests, all on /v1 paths under ``path`` (default every /v1 call).

    ``{"status": 503, "count": 2}`` answers the next two calls with that status (429 carries
    ``Retry-After: retry_after``; ``"quota": true`` makes it the QUOTA_EXCEEDED kind without one);
    ``{"latency_ms": 1500}`` delays every call until cleared (or the next ``count`` calls).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Obj] = []
        self._delays: list[Obj] = []

    def add(self, rule: Obj) -> Obj:
        path = str(rule.get("path", "/v1/"))
        if "latency_ms" in rule:
            entry = {"latency_ms": _whole(rule, "latency_ms", 0), "count": rule.get("count"), "path": path}
            if entry["count"] is not None:
                entry["count"] = _whole(rule, "count", 1)
            with self._lock:
                self._delays.append(entry)
            return entry
        status = rule.get("status")
        if not isinstance(status, int) or not 400 <= status <= 599:
            raise StoreError(400, "status must be an HTTP error status")
        entry = {
            "status": status,
            "count": _whole(rule, "count", 1),
            "retry_after": _whole(rule, "retry_after", 1),
            "quota": bool(rule.get("quota", False)),
            "path": path,
        }
        with self._lock:
            self._rules.append(entry)
        return entry

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._delays.clear()

    def listed(self) -> list[Obj]:
        with self._lock:
            return [dict(rule) for rule in [*self._rules, *self._delays]]

    def delay(self, path: str) -> float:
        """Seconds to wait before answering, from the first latency rule that matches."""
        with self._lock:
            for rule in self._delays:
                if path.startswith(rule["path"]) and (rule["count"] is None or rule["count"] > 0):
                    if rule["count"] is not None:
                        rule["count"] -= 1
                    return rule["latency_ms"] / 1000
        return 0.0

    def take(self, path: str) -> Response | None:
        with self._lock:
            for rule in self._rules:
                if path.startswith(rule["path"]) and rule["count"] > 0:
                    rule["count"] -= 1
                    status = rule["status"]
                    if status == 429 and rule["quota"]:
                        error = {"status": 429, "message": QUOTA_MESSAGE, "reason": "QUOTA_EXCEEDED"}
                        return json_response(429, {"error": error})
                    if status == 429:
                        headers = {"Retry-After": str(rule["retry_after"])}
                        return error_response(429, "API rate limit exceeded", headers)
                    return error_response(status, "Injected failure")
        return None


def _whole(rule: Obj, name: str, default: int) -> int:
    value = rule.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StoreError(400, f"{name} must be a whole number")
    return value


class RateLimiter:
    """Spotify's limit: at most ``limit`` calls per app in any rolling ``window`` seconds.

    Over the limit a call answers 429 with ``Retry-After`` = the seconds until the oldest call
    in the window leaves it. Refused calls are not counted, so waiting that long always works.
    ``limit`` 0 turns it off.
    """

    def __init__(self, limit: int, window: float = WINDOW_SECONDS) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, deque[float]] = defaultdict(deque)
        self.limit = limit
        self.window = window

    def configure(self, limit: int, window: float) -> None:
        with self._lock:
            self.limit, self.window = limit, window
            self._calls.clear()

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()

    def admit(self, key: str) -> int | None:
        """None when the call may go ahead (and is counted); else the Retry-After in seconds."""
        if self.limit <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            calls = self._calls[key]
            while calls and calls[0] <= now - self.window:
                calls.popleft()
            if len(calls) >= self.limit:
                return max(1, math.ceil(calls[0] + self.window - now))
            calls.append(now)
        return None


class EmulatorApp:
    def __init__(
        self, store: EmulatorStore, *, rate_limit: int = DEFAULT_RATE_LIMIT, window: float = WINDOW_SECONDS
    ) -> None:
        self.store = store
        self.faults = Faults()
        self.rate_limiter = RateLimiter(rate_limit, window)
        self.default_rate = (rate_limit, window)
        self.allowlist: set[str] | None = None  # None: every demo listener may use the app
        self._counts_lock = threading.Lock()
        self.request_counts: Counter[str] = Counter()

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/_emulator/"):
            return self._control(request)
        if request.path.startswith("/v1/"):
            self._count(request)
            pause = self.faults.delay(request.path)
            if pause:
                time.sleep(pause)
            injected = self.faults.take(request.path)
            if injected is not None:
                return injected
        path_known = False
        for method, pattern, handler, auth in ROUTES:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            path_known = True
            if method not in (request.method, "*"):
                continue
            try:
                if auth:
                    request.user = self._authenticate(request)
                    refused = self._admit(request)
                    if refused is not None:
                        return refused
                request.params = match.groupdict()
                result = handler(request)
            except StoreError as exc:
                return error_response(exc.status, exc.message)
            except GrantError as exc:
                return json_response(400, {"error": exc.code, "error_description": exc.description})
            return result if isinstance(result, Response) else json_response(200, result)
        if path_known:
            return error_response(405, "Method not allowed")
        return error_response(404, "Service not found")

    @staticmethod
    def _token(request: Request) -> str:
        header = request.headers.get("Authorization", "")
        return header[7:].strip() if header.startswith("Bearer ") else request.query.get("access_token", "")

    def _authenticate(self, request: Request) -> Obj:
        token = self._token(request)
        if not token:
            raise StoreError(401, "No token provided")
        return self.store.user_for_token(token)

    def _admit(self, request: Request) -> Response | None:
        """The app-wide gates after a valid token: the rate limit, then the development-mode allow-list."""
        token = self._token(request)
        retry_after = self.rate_limiter.admit(self.store.app_for_token(token))
        if retry_after is not None:
            return error_response(429, "API rate limit exceeded", {"Retry-After": str(retry_after)})
        if self.allowlist is not None and request.user["id"] not in self.allowlist:
            return Response(403, NOT_REGISTERED_MESSAGE.encode(), "text/plain; charset=utf-8")
        return None

    def _count(self, request: Request) -> None:
        try:
            user_id = self.store.user_for_token(self._token(request))["id"]
        except StoreError:
            user_id = "anonymous"
        with self._counts_lock:
            self.request_counts["total"] += 1
            self.request_counts[user_id] += 1

    # --- control: what tests switch and inspect ---------------------------------------------------

    def _control(self, request: Request) -> Response:
        handler = CONTROLS.get((request.method, request.path.rstrip("/")))
        if handler is None:
            if any(path == request.path.rstrip("/") for _, path in CONTROLS):
                return error_response(405, "Method not allowed")
            return error_response(404, "Service not found")
        try:
            return handler(self, request)
        except StoreError as exc:
            return error_response(exc.status, exc.message)

    def faults_add(self, request: Request) -> Response:
        """POST /_emulator/faults: a response fault or latency (see Faults), or a token switch:
        ``{"revoke_refresh_tokens": "<listener id>"}`` makes their refresh fail with invalid_grant;
        ``{"expire_access_tokens": "<listener id>" | true}`` expires issued access tokens now."""
        rule = request.json()
        if not isinstance(rule, dict):
            raise StoreError(400, "Expected a JSON object")
        if "revoke_refresh_tokens" in rule:
            user_id = str(rule["revoke_refresh_tokens"])
            self._known_listener(user_id)
            return json_response(201, {"revoked": self.store.refresh_revoke(user_id)})
        if "expire_access_tokens" in rule:
            target = rule["expire_access_tokens"]
            if target is True:
                return json_response(201, {"expired": self.store.access_expire(None)})
            self._known_listener(str(target))
            return json_response(201, {"expired": self.store.access_expire(str(target))})
        return json_response(201, self.faults.add(rule))

    def faults_clear(self, request: Request) -> Response:
        """DELETE /_emulator/faults: drop injected failures and latency, empty the rate windows."""
        self.faults.clear()
        self.rate_limiter.reset()
        return json_response(200, {"ok": True})

    def allowlist_set(self, request: Request) -> Response:
        """POST /_emulator/allowlist ``{"user_ids": [...]}``: only these listeners may call the Web API."""
        body = request.json()
        user_ids = body.get("user_ids") if isinstance(body, dict) else None
        if not isinstance(user_ids, list):
            raise StoreError(400, "user_ids must be a list of listener ids")
        for user_id in user_ids:
            self._known_listener(str(user_id))
        self.allowlist = {str(u) for u in user_ids}
        return json_response(200, {"user_ids": sorted(self.allowlist)})

    def allowlist_reset(self, request: Request) -> Response:
        self.allowlist = None
        return self.allowlist_get(request)

    def allowlist_get(self, request: Request) -> Response:
        allowed = self.store.users if self.allowlist is None else self.allowlist
        return json_response(200, {"user_ids": sorted(allowed)})

    def rate_limit_set(self, request: Request) -> Response:
        """POST /_emulator/rate-limit ``{"limit": N, "window": seconds}``; DELETE restores the first."""
        body = request.json()
        if not isinstance(body, dict):
            raise StoreError(400, "Expected a JSON object")
        window = body.get("window", self.rate_limiter.window)
        if not isinstance(window, int | float) or window <= 0:
            raise StoreError(400, "window must be a positive number of seconds")
        self.rate_limiter.configure(_whole(body, "limit", self.rate_limiter.limit), float(window))
        return self.rate_limit_get(request)

    def rate_limit_reset(self, request: Request) -> Response:
        self.rate_limiter.configure(*self.default_rate)
        return self.rate_limit_get(request)

    def rate_limit_get(self, request: Request) -> Response:
        return json_response(200, {"limit": self.rate_limiter.limit, "window": self.rate_limiter.window})

    def state(self, request: Request) -> Response:
        """GET /_emulator/state[?user_id=]: request counts, switches, playlists (a listener's or all)."""
        user_id = request.query.get("user_id")
        if user_id is not None:
            self._known_listener(user_id)
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
            for p in list(self.store.playlists.values())
            if user_id is None or p["owner"] == user_id
        ]
        with self._counts_lock:
            counts = dict(self.request_counts)
        body = {
            "requests": {"total": counts.pop("total", 0), "by_user": counts},
            "faults": self.faults.listed(),
            "rate_limit": {"limit": self.rate_limiter.limit, "window": self.rate_limiter.window},
            "allowlist": sorted(self.store.users if self.allowlist is None else self.allowlist),
            "playlists": playlists,
        }
        return json_response(200, body)

    def _known_listener(self, user_id: str) -> None:
        if user_id not in self.store.users:
            raise StoreError(400, f"Unknown listener: {user_id}")


CONTROLS: dict[tuple[str, str], Callable[[EmulatorApp, Request], Response]] = {
    ("POST", "/_emulator/faults"): EmulatorApp.faults_add,
    ("DELETE", "/_emulator/faults"): EmulatorApp.faults_clear,
    ("GET", "/_emulator/allowlist"): EmulatorApp.allowlist_get,
    ("POST", "/_emulator/allowlist"): EmulatorApp.allowlist_set,
    ("DELETE", "/_emulator/allowlist"): EmulatorApp.allowlist_reset,
    ("GET", "/_emulator/rate-limit"): EmulatorApp.rate_limit_get,
    ("POST", "/_emulator/rate-limit"): EmulatorApp.rate_limit_set,
    ("DELETE", "/_emulator/rate-limit"): EmulatorApp.rate_limit_reset,
    ("GET", "/_emulator/state"): EmulatorApp.state,
}


# --- Service -----------------------------------------------------------------------------------------


@route("GET", r"/healthz", auth=False)
def health(request: Request) -> Obj:
    return {"ok": True, "tracks": len(request.store.tracks), "listeners": len(request.store.users)}


@route("GET", r"/image/(?P<album_id>[^/]+)/(?P<size>\d+)", auth=False)
def cover_image(request: Request) -> Response:
    """A generated cover (the demo data has no artwork): a colour from the id and initials."""
    album = request.store.album(request.params["album_id"])
    digest = hashlib.sha256(album["id"].encode()).digest()
    hue, size = digest[0] * 360 // 256, int(request.params["size"])
    initials = html.escape("".join(w[0] for w in album["name"].split()[:2]).upper() or "♪")
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 100 100">'
        f'<rect width="100" height="100" fill="hsl({hue},45%,38%)"/>'
        f'<text x="50" y="62" font-size="34" text-anchor="middle" fill="white" font-family="sans-serif">'
        f"{initials}</text></svg>"
    )
    return Response(200, svg.encode(), "image/svg+xml", {"Cache-Control": "max-age=86400"})


# --- OAuth (accounts service) -----------------------------------------------------------------------


@route("GET", r"/authorize", auth=False)
def authorize_page(request: Request) -> Response:
    """The consent page: one button per demo listener, standing in for Spotify's login."""
    query = request.query
    if not query.get("client_id") or not query.get("redirect_uri") or query.get("response_type") != "code":
        message = "INVALID_CLIENT: client_id, redirect_uri and response_type=code are required"
        return Response(400, message.encode(), "text/plain; charset=utf-8")
    keep = ("client_id", "redirect_uri", "state", "scope", "code_challenge", "code_challenge_method")
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(query.get(name, ""))}">' for name in keep
    )
    buttons = "".join(
        f'<button name="user_id" value="{html.escape(user["id"])}">{html.escape(user["display_name"])}'
        f"<small>{html.escape(user['taste'])}</small></button>"
        for user in request.store.users.values()
    )
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Spotify emulator: log in</title><style>
body{{font-family:sans-serif;max-width:32rem;margin:3rem auto;background:#121212;color:#eee}}
button{{display:block;width:100%;margin:.5rem 0;padding:.8rem;border:0;border-radius:2rem;
background:#1db954;font-size:1rem;cursor:pointer}} small{{display:block;opacity:.7}}
button.deny{{background:#444;color:#eee}}</style></head><body>
<h1>Spotify emulator</h1><p>{html.escape(query["client_id"])} asks to see your listening.
Choose a demo listener:</p><form method="post" action="/authorize">{hidden}{buttons}
<button class="deny" name="deny" value="1">Cancel</button></form></body></html>"""
    return Response(200, page.encode(), "text/html; charset=utf-8")


@route("POST", r"/authorize", auth=False)
def authorize_decide(request: Request) -> Response:
    form = request.form()
    redirect_uri = form.get("redirect_uri", "")
    if not redirect_uri:
        return Response(400, b"redirect_uri is required", "text/plain; charset=utf-8")
    if form.get("deny"):
        params = {"error": "access_denied"}
    else:
        if form.get("user_id") not in request.store.users:
            return Response(400, b"unknown listener", "text/plain; charset=utf-8")
        code = request.store.code_issue(
            form["user_id"],
            form.get("client_id", ""),
            redirect_uri,
            form.get("scope", ""),
            form.get("code_challenge", ""),
            form.get("code_challenge_method", ""),
        )
        params = {"code": code}
    if form.get("state"):
        params["state"] = form["state"]
    separator = "&" if "?" in redirect_uri else "?"
    return Response(302, b"", "text/plain", {"Location": f"{redirect_uri}{separator}{urlencode(params)}"})


@route("POST", r"/api/token", auth=False)
def token(request: Request) -> Response:
    form = request.form()
    client_id = form.get("client_id", "")
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            client_id = base64.b64decode(header[6:]).decode().partition(":")[0]
        except ValueError:
            raise GrantError("invalid_client", "Invalid client") from None
    grant_type = form.get("grant_type", "")
    if grant_type == "authorization_code":
        body = request.store.code_exchange(
            form.get("code", ""), client_id, form.get("redirect_uri", ""), form.get("code_verifier", "")
        )
    elif grant_type == "refresh_token":
        body = request.store.refresh(form.get("refresh_token", ""), client_id)
    else:
        raise GrantError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")
    return json_response(200, body, {"Cache-Control": "no-store"})


# --- Web API: the listener ---------------------------------------------------------------------------


@route("GET", r"/v1/me")
def me(request: Request) -> Obj:
    return request.shapes.me(request.user)


@route("GET", r"/v1/me/top/(?P<kind>tracks|artists)")
def top_items(request: Request) -> Obj:
    time_range = request.query.get("time_range", "medium_term")
    if time_range not in RANGES:
        raise StoreError(400, "Invalid time_range")
    limit, offset = request.number("limit", 20, 50), request.number("offset", 0, 100_000)
    kind = request.params["kind"]
    ids = request.user[f"top_{kind}"][time_range]
    if kind == "tracks":
        items = [request.shapes.track(request.store.tracks[i]) for i in ids[offset : offset + limit]]
    else:
        items = [request.shapes.artist(request.store.artists[i]) for i in ids[offset : offset + limit]]
    page = request.shapes.page
    return page(f"/me/top/{kind}", {"time_range": time_range}, items, offset, limit, len(ids))


@route("GET", r"/v1/me/player/recently-played")
def recently_played(request: Request) -> Obj:
    """Newest first. ``before``/``after`` are Unix ms cursors; ``next`` keeps going back in time."""
    limit = request.number("limit", 20, 50)
    before, after = request.query.get("before"), request.query.get("after")
    if before and after:
        raise StoreError(400, "Only one of before and after may be given")
    for cursor in (before, after):
        if cursor is not None and not cursor.isdigit():
            raise StoreError(400, "Invalid cursor")
    plays = sorted(
        ((_ms(p["played_at"]), p) for p in request.user["recently_played"]), key=lambda x: x[0], reverse=True
    )
    if after:
        newer = [p for p in plays if p[0] > int(after)]
        page = newer[-limit:]  # the plays right after the cursor, still newest first
        next_query = {"after": str(page[0][0])} if len(newer) > limit else None
    else:
        older = [p for p in plays if before is None or p[0] < int(before)]
        page = older[:limit]
        next_query = {"before": str(page[-1][0])} if len(older) > limit else None
    items = [
        {
            "track": request.shapes.track(request.store.tracks[p["track_id"]]),
            "played_at": p["played_at"],
            "context": None,
        }
        for _, p in page
    ]
    cursors = {"after": str(page[0][0]), "before": str(page[-1][0])} if page else None
    return request.shapes.cursor_page("/me/player/recently-played", {}, items, limit, cursors, next_query)


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


@route("GET", r"/v1/me/following")
def following(request: Request) -> Obj:
    if request.query.get("type") != "artist":
        raise StoreError(400, "Only valid type is artist")
    limit = request.number("limit", 20, 50)
    followed = request.user["followed_artists"]
    after = request.query.get("after")
    start = followed.index(after) + 1 if after in followed else 0
    ids = followed[start : start + limit]
    more = start + limit < len(followed)
    cursors = {"after": ids[-1] if ids and more else None}
    items = [request.shapes.artist(request.store.artists[i]) for i in ids]
    next_query = {"after": ids[-1]} if ids and more else None
    page = request.shapes.cursor_page("/me/following", {"type": "artist"}, items, limit, cursors, next_query)
    return {"artists": {**page, "total": len(followed)}}


# --- Web API: playlists ------------------------------------------------------------------------------


@route("GET", r"/v1/me/playlists")
def my_playlists(request: Request) -> Obj:
    limit, offset = request.number("limit", 20, 50), request.number("offset", 0, 100_000)
    playlists = request.store.user_playlists(request.user["id"])
    items = [request.shapes.playlist(p) for p in playlists[offset : offset + limit]]
    return request.shapes.page("/me/playlists", {}, items, offset, limit, len(playlists))


@route("POST", r"/v1/me/playlists")
def playlist_create(request: Request) -> Response:
    body = request.json()
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise StoreError(400, "Missing required field: name")
    playlist = request.store.playlist_create(
        request.user["id"],
        name.strip(),
        str(body.get("description") or ""),
        bool(body.get("public", True)),
        bool(body.get("collaborative", False)),
    )
    return json_response(201, request.shapes.playlist(playlist, _items_page(request, playlist, 0, 100)))


@route("GET", r"/v1/playlists/(?P<playlist_id>[^/]+)")
def playlist_get(request: Request) -> Obj:
    """Full for the owner; others see metadata only (development mode, 2026)."""
    playlist = request.store.playlist(request.params["playlist_id"])
    if playlist["owner"] != request.user["id"]:
        return request.shapes.playlist(playlist)
    return request.shapes.playlist(playlist, _items_page(request, playlist, 0, 100))


def _items_page(request: Request, playlist: Obj, offset: int, limit: int) -> Obj:
    entries = playlist["items"][offset : offset + limit]
    items = [request.shapes.playlist_item(entry, playlist["owner"]) for entry in entries]
    path = f"/playlists/{playlist['id']}/items"
    return request.shapes.page(path, {}, items, offset, limit, len(playlist["items"]))


@route("GET", r"/v1/playlists/(?P<playlist_id>[^/]+)/items")
def playlist_items(request: Request) -> Obj:
    playlist = request.store.owned_playlist(request.params["playlist_id"], request.user["id"])
    limit, offset = request.number("limit", 20, 50), request.number("offset", 0, 100_000)
    return _items_page(request, playlist, offset, limit)


@route("POST", r"/v1/playlists/(?P<playlist_id>[^/]+)/items")
def playlist_items_add(request: Request) -> Response:
    body = request.json() if request.body else {}
    if isinstance(body, list):  # spotipy posts the bare list of URIs, position in the query
        body = {"uris": body}
    if not isinstance(body, dict):
        raise StoreError(400, "Invalid request body")
    uris = request.query["uris"].split(",") if request.query.get("uris") else body.get("uris")
    if not isinstance(uris, list) or not uris:
        raise StoreError(400, "No uris provided")
    position = body.get("position", request.query.get("position"))
    if position is not None and not str(position).isdigit():
        raise StoreError(400, "Invalid position")
    playlist = request.store.playlist_add(
        request.params["playlist_id"], request.user["id"], uris, None if position is None else int(position)
    )
    return json_response(201, {"snapshot_id": snapshot_id(playlist)})


@route("DELETE", r"/v1/playlists/(?P<playlist_id>[^/]+)/items")
def playlist_items_remove(request: Request) -> Obj:
    body = request.json()
    entries = body.get("items", body.get("tracks")) if isinstance(body, dict) else None
    if not isinstance(entries, list) or not entries:
        raise StoreError(400, "No items provided")
    uris = [e.get("uri", "") if isinstance(e, dict) else "" for e in entries]
    playlist = request.store.playlist_remove(request.params["playlist_id"], request.user["id"], uris)
    return {"snapshot_id": snapshot_id(playlist)}


@route("PUT", r"/v1/playlists/(?P<playlist_id>[^/]+)/items")
def playlist_items_replace(request: Request) -> Obj:
    body = request.json() if request.body else {}
    if not isinstance(body, dict):
        raise StoreError(400, "Invalid request body")
    if "range_start" in body:
        raise StoreError(400, "Reordering is not supported by the emulator")
    uris = request.query["uris"].split(",") if request.query.get("uris") else body.get("uris", [])
    if not isinstance(uris, list):
        raise StoreError(400, "Invalid uris")
    playlist = request.store.playlist_replace(request.params["playlist_id"], request.user["id"], uris)
    return {"snapshot_id": snapshot_id(playlist)}


@route("*", r"/v1/playlists/(?P<playlist_id>[^/]+)/tracks")
@route("*", r"/v1/users/(?P<user_id>[^/]+)/playlists")
def forbidden(request: Request) -> Obj:
    raise StoreError(403, "Forbidden")


# --- Web API: catalog --------------------------------------------------------------------------------


@route("GET", r"/v1/tracks/(?P<track_id>[^/]+)")
def track(request: Request) -> Obj:
    return request.shapes.track(request.store.track(request.params["track_id"]))


@route("GET", r"/v1/artists/(?P<artist_id>[^/]+)")
def artist(request: Request) -> Obj:
    return request.shapes.artist(request.store.artist(request.params["artist_id"]))


@route("GET", r"/v1/artists/(?P<artist_id>[^/]+)/albums")
def artist_albums(request: Request) -> Obj:
    limit, offset = request.number("limit", 5, 10), request.number("offset", 0, 100_000)
    groups_text = request.query.get("include_groups", "album,single,appears_on,compilation")
    groups = {g.strip() for g in groups_text.split(",") if g.strip()}
    pairs = request.store.artist_albums(request.params["artist_id"], groups)
    items = [request.shapes.album_simplified(album, group) for album, group in pairs[offset : offset + limit]]
    path = f"/artists/{request.params['artist_id']}/albums"
    return request.shapes.page(path, {"include_groups": groups_text}, items, offset, limit, len(pairs))


@route("GET", r"/v1/albums/(?P<album_id>[^/]+)")
def album(request: Request) -> Obj:
    found = request.store.album(request.params["album_id"])
    return request.shapes.album(found, _album_tracks_page(request, found, 0, 50))


@route("GET", r"/v1/albums/(?P<album_id>[^/]+)/tracks")
def album_tracks(request: Request) -> Obj:
    limit, offset = request.number("limit", 20, 50), request.number("offset", 0, 100_000)
    return _album_tracks_page(request, request.store.album(request.params["album_id"]), offset, limit)


def _album_tracks_page(request: Request, found: Obj, offset: int, limit: int) -> Obj:
    track_ids = request.store.album_tracks.get(found["id"], [])
    items = [
        request.shapes.track_simplified(request.store.tracks[i]) for i in track_ids[offset : offset + limit]
    ]
    return request.shapes.page(f"/albums/{found['id']}/tracks", {}, items, offset, limit, len(track_ids))


@route("GET", r"/v1/search")
def search(request: Request) -> Obj:
    """Tracks and artists only; ``limit`` at most 10 (2026). Field filters: track, artist,
    album, year (``2020`` or ``2010-2020``), isrc."""
    q = request.query.get("q", "").strip()
    if not q:
        raise StoreError(400, "No search query")
    types = [t.strip() for t in request.query.get("type", "").split(",") if t.strip()]
    if not types or any(t not in ("track", "artist") for t in types):
        raise StoreError(400, "Bad search type field")
    limit, offset = request.number("limit", 5, 10), request.number("offset", 0, 1000)
    fields = {}
    for match in _FIELD.finditer(q):
        if match.group(1).lower() in SEARCH_FIELDS:
            fields[match.group(1).lower()] = normalize(match.group(2) or match.group(3))
    free_text = _FIELD.sub(lambda m: "" if m.group(1).lower() in SEARCH_FIELDS else m.group(0), q)
    free = normalize(free_text).split()
    query = {"q": q, "type": ",".join(types)}
    result = {}
    if "track" in types:
        found = request.store.search_tracks(free, fields)
        items = [request.shapes.track(t) for t in found[offset : offset + limit]]
        result["tracks"] = request.shapes.page("/search", query, items, offset, limit, len(found))
    if "artist" in types:
        artists = request.store.search_artists(free, fields)
        items = [request.shapes.artist(a) for a in artists[offset : offset + limit]]
        result["artists"] = request.shapes.page("/search", query, items, offset, limit, len(artists))
    return result


# --- HTTP ---------------------------------------------------------------------------------------------


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: EmulatorApp, *, quiet: bool = False) -> None:
        super().__init__(address, EmulatorHandler)
        self.app = app
        self.quiet = quiet


class EmulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so clients with a Session reuse connections
    server: EmulatorServer

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        request = Request(
            method=self.command,
            path=parts.path.rstrip("/") or "/",
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers=self.headers,
            body=body,
            shapes=Shapes(self.server.app.store, f"http://{host}"),
        )
        try:
            response = self.server.app.handle(request)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            response = error_response(500, "Server error")
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up first (a latency fault longer than its timeout): nothing to tell it.
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)
