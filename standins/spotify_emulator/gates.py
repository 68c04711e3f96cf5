"""What every /v1 call passes, in Spotify's order.

Before routing (so an unknown path too): the call is counted, then delayed or failed by an
injected fault. After a valid token, on the endpoints that need one: the app's rolling-window
rate limit (429 with ``Retry-After``), then the development-mode allow-list (403 for a
listener not on it, in Spotify's plain-text words).
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from standins.spotify_emulator.errors import error_response
from standins.spotify_emulator.faults import Faults
from standins.spotify_emulator.rate_limit import RateLimiter
from standins.spotify_emulator.store import EmulatorStore, Obj, StoreError
from standins.web.faults import retry_after_headers
from standins.web.responses import bearer_token, body_response

NOT_REGISTERED_MESSAGE = "Check settings on developer.spotify.com/dashboard, the user may not be registered."


def request_token(request: Request) -> str:
    """The bearer token, else ``?access_token=`` (which Spotify still accepts)."""
    token = bearer_token(request)
    return token if token is not None else request.query_params.get("access_token", "")


class Gates:
    """The emulator's switches besides its data: faults, the rate limit, the allow-list, and
    the request counts tests read back."""

    def __init__(self, store: EmulatorStore, *, rate_limit: int, window: float) -> None:
        self.store = store
        self.faults = Faults()
        self.rate_limiter = RateLimiter(rate_limit, window)
        self.default_rate = (rate_limit, window)
        self.allowlist: set[str] | None = None  # None: every demo listener may use the app
        self._counts_lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def count(self, token: str) -> None:
        try:
            user_id = self.store.user_for_token(token)["id"]
        except StoreError:
            user_id = "anonymous"
        with self._counts_lock:
            self._counts["total"] += 1
            self._counts[user_id] += 1

    def counts(self) -> dict[str, int]:
        with self._counts_lock:
            return dict(self._counts)

    def authenticate(self, token: str, *, app_token_ok: bool = False) -> Obj:
        """The listener the token belongs to, or ``{}`` for an app's own token where ``app_token_ok``;
        StoreError 401 when there is none or it expired, 403 for an app's token elsewhere."""
        if not token:
            raise StoreError(401, "No token provided")
        if app_token_ok and self.store.is_app_token(token):
            return {}
        return self.store.user_for_token(token)

    def admit(self, token: str, user: Obj) -> Response | None:
        """None when the call may go ahead; else the refusal, from the rate limit or the allow-list
        (which is about listeners: an app's own token, ``user`` empty, passes it)."""
        retry_after = self.rate_limiter.admit(self.store.app_for_token(token))
        if retry_after is not None:
            return error_response(429, "API rate limit exceeded", retry_after_headers(retry_after))
        if self.allowlist is not None and user and user["id"] not in self.allowlist:
            return body_response(403, NOT_REGISTERED_MESSAGE.encode(), "text/plain; charset=utf-8")
        return None

    def listed_allowlist(self) -> list[str]:
        return sorted(self.store.users if self.allowlist is None else self.allowlist)


class ApiGate:
    """The before-routing gates as ASGI middleware around the router."""

    def __init__(self, app: ASGIApp, gates: Gates) -> None:
        self.app = app
        self.gates = gates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/"):
            path = scope["path"]
            self.gates.count(request_token(Request(scope)))
            pause = self.gates.faults.delay(path)
            if pause:
                # Like Spotify, a slow call that was received is carried out even when the client
                # stops waiting: read the request first, then wait, then answer from what was read.
                receive = await _buffered(receive)
                await asyncio.sleep(pause)
            injected = self.gates.faults.take(path)
            if injected is not None:
                await injected(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _buffered(receive: Receive) -> Receive:
    """The whole request body read now, handed out again by the returned ``receive``."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body, sent = b"".join(chunks), False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
