"""The emulator's error vocabulary: Spotify's error bodies for every refusal, Starlette's included."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ExceptionHandler

from standins.spotify_emulator.store import GrantError, StoreError
from standins.web.responses import json_response


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return json_response(status, {"error": {"status": status, "message": message}}, headers)


async def _store_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StoreError)
    return error_response(exc.status, exc.message)


async def _grant_error(request: Request, exc: Exception) -> Response:
    """OAuth's own shape, not the Web API's: ``{"error": code, "error_description": ...}``."""
    assert isinstance(exc, GrantError)
    return json_response(400, {"error": exc.code, "error_description": exc.description})


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_response(404, "Service not found")


async def _wrong_method(request: Request, exc: Exception) -> Response:
    return error_response(405, "Method not allowed")


async def _failed(request: Request, exc: Exception) -> Response:
    return error_response(500, "Server error")  # uvicorn logs the traceback on stderr


ERRORS: dict[Any, ExceptionHandler] = {
    StoreError: _store_error,
    GrantError: _grant_error,
    404: _not_found,
    405: _wrong_method,
    Exception: _failed,
}
