"""What decides the stand-in's answers: a brain, ``brain(request_body) -> reply``.

A reply is ``{"text": str | None, "tool_calls": [{"name": str, "arguments": dict}], "json":
dict | None}``. Brains are loaded by dotted path (``package.module:function``) so the agent's
own brain lives with the agent; without one, ``echo_brain`` answers, which is enough to see
text stream end to end. Scripted replies (tests) must pass the same ``reply_check``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

Brain = Callable[[dict[str, Any]], dict[str, Any]]


class ReplyError(ValueError):
    """A reply that does not have the brain shape; the message says what is wrong."""


def reply_check(reply: object) -> dict[str, Any]:
    """The reply with its defaults filled in, or ReplyError.

    A tool call's ``arguments`` may also be a string, sent as is: tests use that to serve
    arguments that are not valid JSON, as a weak model sometimes does.
    """
    if not isinstance(reply, dict):
        raise ReplyError("a reply must be a JSON object")
    unknown = set(reply) - {"text", "tool_calls", "json"}
    if unknown:
        raise ReplyError(f"unknown reply fields: {', '.join(sorted(unknown))}")
    text, calls, data = reply.get("text"), reply.get("tool_calls") or [], reply.get("json")
    if text is not None and not isinstance(text, str):
        raise ReplyError("text must be a string or null")
    if data is not None and not isinstance(data, dict):
        raise ReplyError("json must be an object or null")
    if not isinstance(calls, list):
        raise ReplyError("tool_calls must be a list")
    for call in calls:
        if not isinstance(call, dict) or not isinstance(call.get("name"), str) or not call["name"]:
            raise ReplyError("each tool call needs a name")
        if not isinstance(call.get("arguments", {}), dict | str):
            raise ReplyError("tool call arguments must be an object (or a string, sent as is)")
    return {
        "text": text,
        "tool_calls": [{"name": call["name"], "arguments": call.get("arguments", {})} for call in calls],
        "json": data,
    }


def brain_load(path: str) -> Brain:
    """``module:function`` imported; ValueError with a readable message when it is not there."""
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"--brain {path!r}: use module:function, e.g. chat.agent.standin_brain:respond")
    try:
        brain = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"--brain {path!r} cannot be loaded: {exc}") from exc
    if not callable(brain):
        raise ValueError(f"--brain {path!r} is not callable")
    return brain


def echo_brain(body: dict[str, Any]) -> dict[str, Any]:
    """Repeats the last user message; for structured requests, an object that fits the schema."""
    said = last_user_text(body.get("messages") or [])
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema") or {}
        return {"text": None, "tool_calls": [], "json": example_for(schema, said)}
    if response_format.get("type") == "json_object":
        return {"text": None, "tool_calls": [], "json": {"echo": said}}
    return {
        "text": f"You said: {said}" if said else "Hello from the LLM stand-in.",
        "tool_calls": [],
        "json": None,
    }


def last_user_text(messages: list) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):  # content parts: keep the text ones
                return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
            return str(content or "")
    return ""


def example_for(schema: dict[str, Any], text: str) -> Any:
    """A value of the schema's shape (first enum value, empty list, strings carry ``text``)."""
    if "enum" in schema:
        return schema["enum"][0] if schema["enum"] else None
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties = schema.get("properties") or {}
        return {name: example_for(part, text) for name, part in properties.items()}
    return {"string": text, "number": 0.0, "integer": 0, "boolean": False, "array": []}.get(str(kind))
