"""Calling typed Python functions as LLM tools: JSON schemas from signatures, checked arguments.

A tool is a plain function ``tool(state, **arguments)`` with type hints and a docstring whose
first paragraph describes it and whose ``Args:`` section describes each argument. From that
this module writes the OpenAI ``tools`` entry, and checks the JSON arguments a model sends
(untrusted: wrong types, huge lists, unknown names) before the function ever runs.
"""

from __future__ import annotations

import functools
import inspect
import re
import types
import typing
from collections.abc import Callable
from typing import Literal, get_args, get_origin

MAX_LIST = 20  # names or positions in one argument
MAX_TEXT = 300


class BadArguments(ValueError):
    """What is wrong with a tool call's arguments, in words the model (and a log reader) can use."""


def checked_value(value: object, annotation: object, name: str) -> object:
    """``value`` as the annotation wants it (JSON from an LLM is untrusted), or BadArguments."""
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        annotation = next(arg for arg in get_args(annotation) if arg is not type(None))
        origin = get_origin(annotation)
    if origin is Literal:
        if value not in get_args(annotation):
            raise BadArguments(f"{name} must be one of {', '.join(map(str, get_args(annotation)))}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise BadArguments(f"{name} must be a list")
        if len(value) > MAX_LIST:
            raise BadArguments(f"{name} can hold at most {MAX_LIST} items")
        items = [checked_value(item, get_args(annotation)[0], name) for item in value]
        return list(dict.fromkeys(items))  # a repeated position or name means it once
    if annotation is bool:
        if not isinstance(value, bool):
            raise BadArguments(f"{name} must be true or false")
        return value
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise BadArguments(f"{name} must be a whole number")
        try:
            number = int(value)
        except ValueError:
            raise BadArguments(f"{name} must be a whole number") from None
        if abs(number) > 1000:
            raise BadArguments(f"{name} is out of range")
        return number
    if annotation is str:
        if not isinstance(value, str):
            raise BadArguments(f"{name} must be text")
        return value.strip()[:MAX_TEXT]
    raise BadArguments(f"{name} has an unsupported type")


@functools.cache
def _parameters(tool: Callable) -> dict[str, object]:
    """Argument name → type hint, read once per tool (the first parameter is the turn's state)."""
    hints = typing.get_type_hints(tool)
    return {name: hints[name] for name in list(inspect.signature(tool).parameters)[1:]}


def arguments_checked(tool: Callable, arguments: object) -> dict:
    """``arguments`` as the tool's signature wants them, or BadArguments saying what is wrong."""
    if not isinstance(arguments, dict):
        raise BadArguments("arguments must be an object")
    hints = _parameters(tool)
    unknown = set(arguments) - set(hints)
    if unknown:
        raise BadArguments(f"it does not take {', '.join(sorted(unknown))}")
    return {key: checked_value(value, hints[key], key) for key, value in arguments.items()}


def _json_type(annotation: object) -> dict:
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [arg for arg in get_args(annotation) if arg is not type(None)]
        return _json_type(inner[0])
    if origin is Literal:
        return {"type": "string", "enum": list(get_args(annotation))}
    if origin is list:
        return {"type": "array", "items": _json_type(get_args(annotation)[0])}
    return {
        str: {"type": "string"},
        int: {"type": "integer"},
        float: {"type": "number"},
        bool: {"type": "boolean"},
    }[
        annotation  # type: ignore[index]
    ]


def _doc_parts(tool: Callable) -> tuple[str, dict[str, str]]:
    doc = inspect.getdoc(tool) or ""
    head, _, args = doc.partition("Args:")
    described: dict[str, str] = {}
    current = None
    for line in args.splitlines():
        match = re.match(r"^\s{4}(\w+):\s*(.*)$", line)
        if match:
            current = match[1]
            described[current] = match[2]
        elif current and line.strip():
            described[current] += " " + line.strip()
    return " ".join(head.split()), described


@functools.cache
def function_schema(tool: Callable) -> dict:
    """The OpenAI ``tools`` entry for one tool, from its signature and docstring (built once)."""
    description, described = _doc_parts(tool)
    hints = typing.get_type_hints(tool)
    properties, required = {}, []
    for param in list(inspect.signature(tool).parameters.values())[1:]:  # the first is the turn's state
        prop = _json_type(hints[param.name])
        if param.name in described:
            prop["description"] = described[param.name]
        properties[param.name] = prop
        if param.default is inspect.Parameter.empty:
            required.append(param.name)
    return {
        "type": "function",
        "function": {
            "name": tool.__name__,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }
