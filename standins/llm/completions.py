"""Answering one chat completion: validation, the queued fault, the reply, and how it is sent.

A streamed answer goes out as Server-Sent Events over chunked transfer encoding, each chunk
as it is made, so a delayed first token and a dropped stream look to the client exactly as
they do from a real server.
"""

from __future__ import annotations

import asyncio
import json
import sys
import traceback
from collections.abc import AsyncIterator, Iterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from standins.llm.brains import ReplyError, reply_check
from standins.llm.errors import OPENAI_JSON, RequestRefused, openai_json
from standins.llm.faults import DROP_AFTER_CHUNKS, status_fault_response
from standins.llm.protocol import answer_from_reply, completion_chunks, completion_object, usage_for
from standins.llm.state import Standin
from standins.web.faults import ConnectionDropped, cut_short
from standins.web.responses import streaming_response

EVENT_STREAM = "text/event-stream; charset=utf-8"


async def completion_answer(standin: Standin, body: dict[str, Any], model: str) -> Response:
    """The answer to a chat request for a known ``model``; faults are taken only by valid requests."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestRefused(400, "messages must be a non-empty array")
    json_mode = _json_mode(body.get("response_format"))
    fault = standin.faults.take(body) or {}
    if "status" in fault:
        return status_fault_response(fault)
    if fault.get("reject_json_schema"):
        raise RequestRefused(400, "response_format json_schema is not supported by this server")
    answer = answer_from_reply(await _reply(standin, body), json_mode=json_mode)
    usage = usage_for(messages, answer)
    delay = float(fault.get("delay_first_token", 0.0))
    drops = bool(fault.get("drop_mid_stream"))
    if body.get("stream"):
        wants_usage = (body.get("stream_options") or {}).get("include_usage")
        chunks = completion_chunks(answer, model=model, usage=usage if wants_usage else None)
        events = _events(
            chunks,
            delay_first_token=delay,
            drop_after=DROP_AFTER_CHUNKS if drops else None,
            chunk_delay=standin.chunk_delay,
        )
        return streaming_response(events, EVENT_STREAM, {"Cache-Control": "no-cache"})
    if delay:
        await asyncio.sleep(delay)
    completion = openai_json(200, completion_object(answer, model=model, usage=usage))
    if drops:
        return cut_short(200, completion.body, OPENAI_JSON, {})
    return completion


async def _events(
    chunks: Iterator[dict[str, Any]], *, delay_first_token: float, drop_after: int | None, chunk_delay: float
) -> AsyncIterator[bytes]:
    """The headers are already out when this starts, so a delay here is a slow first token."""
    if delay_first_token:
        await asyncio.sleep(delay_first_token)
    for sent, chunk in enumerate(chunks):
        if drop_after is not None and sent >= drop_after:
            raise ConnectionDropped  # no terminating chunk: the body is visibly cut short
        yield _event(json.dumps(chunk, ensure_ascii=False))
        if chunk_delay:
            await asyncio.sleep(chunk_delay)
    yield _event("[DONE]")


def _event(data: str) -> bytes:
    return f"data: {data}\n\n".encode()


async def _reply(standin: Standin, body: dict[str, Any]) -> dict[str, Any]:
    """A queued reply, else the brain's, run in a worker thread: a brain is anyone's code and
    may take its time, and other requests (a test's controls) must still be answered."""
    scripted = standin.script_next()
    if scripted is not None:
        return scripted
    try:
        return reply_check(await run_in_threadpool(standin.brain, body))
    except ReplyError as exc:
        raise RequestRefused(
            500, f"The stand-in's brain gave a reply of the wrong shape: {exc}", "server_error"
        ) from exc
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        raise RequestRefused(
            500, f"The stand-in's brain failed: {type(exc).__name__}: {exc}", "server_error"
        ) from exc


def _json_mode(response_format: object) -> bool:
    if response_format is None:
        return False
    fields = response_format if isinstance(response_format, dict) else {}
    kind = fields.get("type")
    if kind == "json_schema":
        spec = fields.get("json_schema")
        if not isinstance(spec, dict) or not spec.get("name"):
            raise RequestRefused(
                400,
                "Missing required parameter: 'response_format.json_schema.name'.",
                param="response_format",
            )
        return True
    if kind in ("json_object", "text"):
        return kind == "json_object"
    raise RequestRefused(400, f"Invalid value for response_format.type: {kind!r}", param="response_format")
