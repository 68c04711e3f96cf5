"""The emulator assembled: Spotify's Web API and accounts service, the test controls, and the
gates every /v1 call passes (see ``gates``).

Trailing slashes are ignored (spotipy calls ``me/``); a path nothing routes answers Spotify's
404, a known path with the wrong method a 405, both in the Web API's error shape.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware

from standins.spotify_emulator import controls, covers, embed, oauth, sdk, web_api
from standins.spotify_emulator.errors import ERRORS
from standins.spotify_emulator.gates import ApiGate, Gates
from standins.spotify_emulator.rate_limit import DEFAULT_RATE_LIMIT, WINDOW_SECONDS
from standins.spotify_emulator.routing import Call, TrailingSlashIgnored, api_route
from standins.spotify_emulator.store import EmulatorStore, Obj
from standins.web.app import standin_app


def health(call: Call) -> Obj:
    return {"ok": True, "tracks": len(call.store.tracks), "listeners": len(call.store.users)}


def emulator_app(
    store: EmulatorStore, *, rate_limit: int = DEFAULT_RATE_LIMIT, window: float = WINDOW_SECONDS
) -> Starlette:
    gates = Gates(store, rate_limit=rate_limit, window=window)
    routes = [
        api_route("/healthz", health, auth=False),
        *covers.ROUTES,
        *embed.ROUTES,
        *oauth.ROUTES,
        *web_api.ROUTES,
        *sdk.ROUTES,
        *controls.ROUTES,
    ]
    middleware = [Middleware(TrailingSlashIgnored), Middleware(ApiGate, gates=gates)]
    app = standin_app(routes, errors=ERRORS, middleware=middleware)
    app.state.gates = gates
    return app
