"""Test controls under ``/_standin/`` (never authenticated): what tests queue and read back.

``POST /_standin/script`` queue replies (a reply or a list; FIFO, before the brain),
``POST /_standin/faults`` queue faults (see ``Faults``), ``GET /_standin/requests`` the chat
request bodies received (in order, faulted and refused ones too), ``POST /_standin/reset``.
Anything else under ``/_standin/`` is a 404, a wrong method included; a trailing slash is ignored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from standins.llm.brains import ReplyError, reply_check
from standins.llm.errors import RequestRefused, openai_json, request_json
from standins.llm.state import Standin, standin_of
from standins.web.app import ANY_METHOD


async def requests_received(standin: Standin, request: Request) -> Response:
    return openai_json(200, {"requests": standin.received()})


async def script_add(standin: Standin, request: Request) -> Response:
    try:
        replies = [reply_check(reply) for reply in _one_or_many(await request_json(request))]
    except ReplyError as exc:
        raise RequestRefused(400, str(exc)) from exc
    return openai_json(201, {"queued": standin.script_extend(replies)})


async def faults_add(standin: Standin, request: Request) -> Response:
    rules = _one_or_many(await request_json(request))
    return openai_json(201, {"faults": [standin.faults.add(rule) for rule in rules]})


async def reset(standin: Standin, request: Request) -> Response:
    standin.reset()
    return openai_json(200, {"reset": True})


CONTROLS: dict[tuple[str, str], Callable[[Standin, Request], Awaitable[Response]]] = {
    ("GET", "requests"): requests_received,
    ("POST", "script"): script_add,
    ("POST", "faults"): faults_add,
    ("POST", "reset"): reset,
}


async def control(request: Request) -> Response:
    handler = CONTROLS.get((request.method, request.path_params["name"].rstrip("/")))
    if handler is None:
        raise RequestRefused(404, f"Unknown control {request.method} {request.url.path}")
    return await handler(standin_of(request), request)


ROUTES = [Route("/_standin/{name:path}", control, methods=ANY_METHOD)]


def _one_or_many(data: object) -> list:
    return data if isinstance(data, list) else [data]
