"""A stand-in's Starlette app: its routes and its own error vocabulary, never Starlette's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute
from starlette.types import ExceptionHandler

# "Any method" for a route: Starlette's function routes take only GET (and HEAD) unless told.
ANY_METHOD = ("GET", "POST", "PUT", "PATCH", "DELETE")


def standin_app(
    routes: Sequence[BaseRoute],
    *,
    errors: Mapping[Any, ExceptionHandler],
    middleware: Sequence[Middleware] = (),
) -> Starlette:
    """``errors`` maps exceptions and the statuses 404 and 405 (Starlette's route misses) to the
    service's own error bodies; ``Exception`` is the catch-all 500.

    Starlette's redirect for a path with or without a trailing slash is off: a real service
    answers the path it is given, and a client that follows a redirect makes a second call the
    real service never asked for.
    """
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=errors)
    app.router.redirect_slashes = False
    return app
