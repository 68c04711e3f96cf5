"""The stand-in assembled: ``/healthz``, ``/v1`` (``api``) and the test controls (``controls``)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from standins.llm import api, controls
from standins.llm.brains import Brain
from standins.llm.errors import ERRORS, openai_json
from standins.llm.state import Standin
from standins.web.app import ANY_METHOD, standin_app


async def health(request: Request) -> Response:
    return openai_json(200, {"ok": True})


def llm_app(
    brain: Brain, *, models: list[str], api_key: str | None = None, chunk_delay: float = 0.0
) -> Starlette:
    app = standin_app(
        [Route("/healthz", health, methods=ANY_METHOD), *api.ROUTES, *controls.ROUTES], errors=ERRORS
    )
    app.state.standin = Standin(brain, models=models, api_key=api_key, chunk_delay=chunk_delay)
    return app
