"""How a request reaches an emulator handler: a ``Call`` in, Spotify's JSON (or a response) out.

Handlers are plain functions of a ``Call`` (``Handler``), so each endpoint reads as what
Spotify does and nothing of HTTP plumbing; ``api_route`` makes a Starlette route of one,
checking the token and the app-wide gates first where the endpoint needs a token. Errors are
raised (``StoreError``, ``GrantError``) and answered by ``errors.ERRORS``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from standins.spotify_emulator.gates import Gates, request_token
from standins.spotify_emulator.shapes import Shapes
from standins.spotify_emulator.store import EmulatorStore, Obj, StoreError
from standins.web.responses import json_response


@dataclass
class Call:
    """What one handler sees: the request's parts, the listener (on authenticated endpoints),
    and the emulator's data and switches."""

    query: dict[str, str]
    params: dict[str, Any]
    headers: Headers
    body: bytes
    shapes: Shapes
    gates: Gates
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


Handler = Callable[[Call], "Obj | Response"]


def api_route(
    path: str,
    handler: Handler,
    methods: Sequence[str] = ("GET",),
    *,
    auth: bool = True,
    app_token_ok: bool = False,
) -> Route:
    """``handler`` at ``path`` (Starlette syntax, ``{playlist_id}``); ``auth`` endpoints get
    ``call.user`` from the token and pass the rate limit and the allow-list first. Catalog
    endpoints (``app_token_ok``) also take an app's own token, and ``call.user`` is then empty."""

    async def endpoint(request: Request) -> Response:
        gates: Gates = request.app.state.gates
        host = request.headers.get("Host") or "{}:{}".format(*request.scope["server"])
        call = Call(
            query=dict(request.query_params),
            params=request.path_params,
            headers=request.headers,
            body=await request.body(),
            shapes=Shapes(gates.store, f"http://{host}"),
            gates=gates,
        )
        if auth:
            token = request_token(request)
            call.user = gates.authenticate(token, app_token_ok=app_token_ok)
            refused = gates.admit(token, call.user)
            if refused is not None:
                return refused
        result = handler(call)
        return result if isinstance(result, Response) else json_response(200, result)

    return Route(path, endpoint, methods=list(methods), name=handler.__name__)


class TrailingSlashIgnored:
    """Routes ``/v1/me/`` as ``/v1/me``: spotipy calls ``me/``, and Spotify answers it directly
    rather than with a redirect."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/"):
            scope = {**scope, "path": scope["path"].rstrip("/") or "/"}
        await self.app(scope, receive, send)
