"""``/v1`` as an OpenAI-compatible server answers it: bearer auth, the model list, chat completions.

The order of checks is the real one: a POST body that is not a JSON object is refused before
the key is looked at, and a chat request is recorded before it is authenticated (tests read
back what a client sent, refused or not); an unknown ``/v1`` path is a 404 only after auth.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from standins.llm.completions import completion_answer
from standins.llm.errors import RequestRefused, openai_json, request_object
from standins.llm.state import Standin, standin_of
from standins.web.app import ANY_METHOD
from standins.web.responses import bearer_token


def authenticate(standin: Standin, request: Request) -> None:
    """No key configured: anyone may call (as Ollama or llama.cpp by default)."""
    if standin.api_key is None:
        return
    token = bearer_token(request) or ""
    if not token:
        raise RequestRefused(401, "You didn't provide an API key.", code="missing_api_key")
    if token != standin.api_key:
        raise RequestRefused(401, "Incorrect API key provided.", code="invalid_api_key")


def known_model(standin: Standin, name: object) -> str:
    if not isinstance(name, str) or not name:
        raise RequestRefused(400, "you must provide a model parameter", param="model")
    if name not in standin.models:
        raise RequestRefused(
            404, f"The model `{name}` does not exist or you do not have access to it.", code="model_not_found"
        )
    return name


def _model(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 0, "owned_by": "personalais-standin"}


async def chat_completions(request: Request) -> Response:
    standin = standin_of(request)
    body = await request_object(request)
    standin.record(body)
    authenticate(standin, request)
    model = known_model(standin, body.get("model"))
    return await completion_answer(standin, body, model)


async def models_list(request: Request) -> Response:
    standin = standin_of(request)
    authenticate(standin, request)
    return openai_json(200, {"object": "list", "data": [_model(name) for name in standin.models]})


async def model_get(request: Request) -> Response:
    standin = standin_of(request)
    authenticate(standin, request)
    return openai_json(200, _model(known_model(standin, request.path_params["name"])))


async def unknown(request: Request) -> Response:
    if request.method == "POST":
        await request_object(request)
    authenticate(standin_of(request), request)
    raise RequestRefused(404, f"Invalid URL ({request.method} {request.url.path})", code="unknown_url")


ROUTES = [
    Route("/v1/chat/completions", chat_completions, methods=["POST"]),
    Route("/v1/models", models_list, methods=["GET"]),
    Route("/v1/models/{name:path}", model_get, methods=["GET"]),
    Route("/v1/{rest:path}", unknown, methods=ANY_METHOD),  # a wrong method for a known path lands here too
]
