"""The stand-in's error vocabulary: OpenAI-shaped error bodies, for /v1 and the test controls alike,
and request bodies that are refused in it when they are not JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ExceptionHandler

from standins.llm.protocol import error_body
from standins.web.responses import json_response

OPENAI_JSON = "application/json"  # as api.openai.com sends it, without a charset


def openai_json(status: int, data: Any, headers: Mapping[str, str] | None = None) -> Response:
    return json_response(status, data, headers, content_type=OPENAI_JSON)


class RequestRefused(Exception):
    """A request the stand-in refuses; raised anywhere in a handler, answered as OpenAI would."""

    def __init__(
        self,
        status: int,
        message: str,
        kind: str = "invalid_request_error",
        *,
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.code, self.param = status, message, kind, code, param

    def response(self) -> Response:
        return openai_json(self.status, error_body(self.message, self.kind, code=self.code, param=self.param))


async def request_json(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        raise RequestRefused(400, "We could not parse the JSON body of your request.") from None


async def request_object(request: Request) -> dict[str, Any]:
    data = await request_json(request)
    if not isinstance(data, dict):
        raise RequestRefused(400, "The request body must be a JSON object.")
    return data


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestRefused)
    return exc.response()


async def _unknown_path(request: Request, exc: Exception) -> Response:
    return RequestRefused(404, f"Unknown path {request.url.path}", code="unknown_url").response()


async def _failed(request: Request, exc: Exception) -> Response:
    return openai_json(500, error_body("The stand-in failed.", "server_error"))


ERRORS: dict[Any, ExceptionHandler] = {
    RequestRefused: _refused,
    404: _unknown_path,  # Starlette's miss: a path outside /v1, /_standin and /healthz
    Exception: _failed,  # uvicorn logs the traceback on stderr
}
