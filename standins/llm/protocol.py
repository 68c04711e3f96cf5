"""The Chat Completions wire shapes the stand-in answers with, as the openai SDK parses them.

A brain's reply (``{"text", "tool_calls", "json"}``) becomes an ``Answer``; the answer becomes
either one ``chat.completion`` object or a sequence of ``chat.completion.chunk`` objects in
which text arrives word by word and each tool call's name and arguments arrive split over
several chunks, the way real servers stream them (and the way clients must reassemble them).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_WORDISH = re.compile(r"\s*\S+|\s+$")


@dataclass(frozen=True)
class ToolCallOut:
    id: str
    name: str
    arguments: str  # JSON text, or whatever a scripted reply put there (to test bad arguments)


@dataclass(frozen=True)
class Answer:
    content: str | None
    tool_calls: list[ToolCallOut]

    @property
    def finish_reason(self) -> str:
        return "tool_calls" if self.tool_calls else "stop"


def answer_from_reply(reply: dict[str, Any], *, json_mode: bool) -> Answer:
    """A checked brain reply as an answer; ``json`` is the content when the request asked for JSON
    (or when there is no text), so a brain can serve structured and free-text requests alike."""
    content = reply.get("text")
    if reply.get("json") is not None and (json_mode or content is None):
        content = json.dumps(reply["json"], ensure_ascii=False)
    calls = [
        ToolCallOut(
            id=f"call_{uuid.uuid4().hex[:24]}",
            name=call["name"],
            arguments=call["arguments"]
            if isinstance(call["arguments"], str)
            else json.dumps(call["arguments"], ensure_ascii=False),
        )
        for call in reply.get("tool_calls") or []
    ]
    if content is None and not calls:
        content = ""
    return Answer(content, calls)


def text_deltas(text: str) -> list[str]:
    """Word-ish pieces (each keeps its leading spaces) that join back to exactly ``text``."""
    return _WORDISH.findall(text)


def split_in(text: str, pieces: int) -> list[str]:
    """``text`` cut into up to ``pieces`` non-empty parts of similar length (at least one part)."""
    if len(text) < 2:
        return [text]
    size = max(1, -(-len(text) // pieces))
    return [text[i : i + size] for i in range(0, len(text), size)]


def error_body(message: str, kind: str, *, code: str | None = None, param: str | None = None) -> dict:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def usage_for(messages: list, answer: Answer) -> dict[str, int]:
    """Rough token counts (words), enough for clients that read ``usage``."""
    prompt = sum(
        len(str(message.get("content") or "").split()) for message in messages if isinstance(message, dict)
    )
    completion = len((answer.content or "").split()) + sum(
        len(call.arguments.split()) + 1 for call in answer.tool_calls
    )
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def completion_object(answer: Answer, *, model: str, usage: dict[str, int]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": answer.content, "refusal": None}
    if answer.tool_calls:
        message["tool_calls"] = [
            {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
            for call in answer.tool_calls
        ]
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": None,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": answer.finish_reason}
        ],
        "usage": usage,
    }


def completion_chunks(
    answer: Answer, *, model: str, usage: dict[str, int] | None
) -> Iterator[dict[str, Any]]:
    """The streamed form: a role chunk, text deltas, tool-call pieces, the finish chunk, and a
    usage chunk (empty ``choices``) when the request asked for ``stream_options.include_usage``."""
    ident, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        shape = {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": None,
            "choices": [choice],
        }
        if usage is not None:
            shape["usage"] = None
        return shape

    yield chunk({"role": "assistant", "content": "" if answer.content is not None else None})
    for piece in text_deltas(answer.content or ""):
        yield chunk({"content": piece})
    for index, call in enumerate(answer.tool_calls):
        name_head, *name_rest = split_in(call.name, 2)
        opening = {"index": index, "id": call.id, "type": "function"}
        yield chunk({"tool_calls": [{**opening, "function": {"name": name_head, "arguments": ""}}]})
        for piece in name_rest:
            yield chunk({"tool_calls": [{"index": index, "function": {"name": piece}}]})
        for piece in split_in(call.arguments, 3):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield chunk({}, answer.finish_reason)
    if usage is not None:
        final = chunk({})
        final["choices"], final["usage"] = [], usage
        yield final
