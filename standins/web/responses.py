"""Responses and request headers as the stand-ins' real services send and read them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

JSON_UTF8 = "application/json; charset=utf-8"


def body_response(
    status: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None
) -> Response:
    """``content_type`` goes out exactly as given: Starlette would add a charset to ``text/`` types,
    and a stand-in should send what its real service sends."""
    return Response(body, status, headers={**(headers or {}), "Content-Type": content_type})


def json_response(
    status: int, data: Any, headers: Mapping[str, str] | None = None, *, content_type: str = JSON_UTF8
) -> Response:
    """``data`` as JSON with non-ASCII text kept as is (names like "Beyoncé" stay readable)."""
    return body_response(status, json.dumps(data, ensure_ascii=False).encode(), content_type, headers)


def streaming_response(
    chunks: AsyncIterator[bytes],
    content_type: str,
    headers: Mapping[str, str] | None = None,
    *,
    status: int = 200,
) -> StreamingResponse:
    """Each of ``chunks`` is sent as it comes (chunked transfer encoding unless ``headers`` set
    ``Content-Length``); ``chunks`` may raise ``faults.ConnectionDropped`` to cut the body short."""
    return StreamingResponse(chunks, status, headers={**(headers or {}), "Content-Type": content_type})


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None when there is no such header
    (a caller may then look elsewhere, as Spotify does in ``?access_token=``)."""
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else None
