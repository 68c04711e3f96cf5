"""Tool arguments as typed models: what a tool accepts, how it is described to a model, what it says back.

Each tool takes one ``ToolArguments`` model. The model's docstring is the tool's description and
each field's ``Field(description=...)`` the argument's; ``function_schema`` writes the OpenAI
``tools`` entry from them. An LLM's arguments are untrusted (wrong types, huge lists, unknown
names), so ``arguments_read`` validates them against the model before the tool runs and
``BadArguments`` says what is wrong in words the model (and a log reader) can act on.

The schema carries types, choices, defaults and descriptions. Limits — list sizes, text length,
number ranges — are enforced here on validation and stated in the descriptions where a model
needs them, so the schema stays the plain shape every OpenAI-compatible server reads.
"""

from __future__ import annotations

import functools
import inspect
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

MAX_LIST = 20  # names or positions in one argument
MAX_TEXT = 300
MAX_NUMBER = 1000  # no position, count or limit is anywhere near this: beyond it is a confused model
MAX_COUNT = 20  # tracks in one list


class BadArguments(ValueError):
    """What is wrong with a tool call's arguments, in words the model (and a log reader) can use."""


class ToolArguments(BaseModel):
    """Base of every tool's arguments: a name the tool doesn't take is an error, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _not_a_bool(value: object) -> object:
    if isinstance(value, bool):  # JSON true is no number, though Python's int would take it
        raise PydanticCustomError("int_type", "not a whole number")
    return value


def _trimmed(text: str) -> str:
    return text.strip()[:MAX_TEXT]


def _once_each(items: list) -> list:
    return list(dict.fromkeys(items))  # a repeated position or name means it once


def _counted(number: int) -> int:
    return max(1, min(MAX_COUNT, number))


WholeNumber = Annotated[int, BeforeValidator(_not_a_bool), Field(ge=-MAX_NUMBER, le=MAX_NUMBER)]
Count = Annotated[WholeNumber, AfterValidator(_counted)]  # asking for 50 gets the most there is, 20
Text = Annotated[str, AfterValidator(_trimmed)]  # stripped and cut to MAX_TEXT, never refused for length
Flag = Annotated[bool, Strict()]  # "yes" is not true
Positions = Annotated[list[WholeNumber], Field(max_length=MAX_LIST), AfterValidator(_once_each)]
Names = Annotated[list[Text], Field(max_length=MAX_LIST), AfterValidator(_once_each)]


def arguments_read(model: type[ToolArguments], arguments: object) -> ToolArguments:
    """``arguments`` as the tool's model, or BadArguments saying everything that is wrong with them."""
    try:
        return model.model_validate(arguments)
    except ValidationError as exc:
        raise BadArguments(_problems_said(exc.errors())) from None


_SAID = {
    "missing": "is required",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "greater_than_equal": "is out of range",
    "less_than_equal": "is out of range",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "list_type": "must be a list",
    "too_long": "can hold at most {max_length} items",
    "model_type": "must be an object",
}


def _problems_said(errors: list[ErrorDetails]) -> str:
    unknown = sorted(str(error["loc"][0]) for error in errors if error["type"] == "extra_forbidden")
    said = [f"it does not take {', '.join(unknown)}"] if unknown else []
    said += [_said(error) for error in errors if error["type"] != "extra_forbidden"]
    return "; ".join(dict.fromkeys(said))  # three bad items of one list are one problem


def _said(error: ErrorDetails) -> str:
    name = str(error["loc"][0]) if error["loc"] else "arguments"
    if error["type"] == "literal_error":
        text = "" if isinstance(error["input"], str) else "text, "
        return f"{name} must be {text}one of {error.get('ctx', {}).get('expected', '')}"
    words = _SAID.get(error["type"])
    if words is None:
        return f"{name}: {error['msg']}"
    return f"{name} {words.format(**error.get('ctx', {}))}"


@functools.cache
def function_schema(name: str, model: type[ToolArguments]) -> dict:
    """The OpenAI ``tools`` entry for one tool (built once)."""
    schema = model.model_json_schema()
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": " ".join((inspect.getdoc(model) or "").split()),
            "parameters": {
                "type": "object",
                "properties": {key: _plain(value) for key, value in schema.get("properties", {}).items()},
                "required": [key for key, field in model.model_fields.items() if field.is_required()],
            },
        },
    }


_SHOWN = ("type", "enum", "items", "description", "default")


def _plain(node: dict[str, Any]) -> dict[str, Any]:
    """One property as a model sees it. ``X | None`` is shown as X: leaving an argument out is how a
    model says "none"; pydantic's titles and null defaults say nothing a model can use."""
    branches = [branch for branch in node.get("anyOf", ()) if branch.get("type") != "null"]
    if len(branches) == 1:
        node = {**branches[0], **{key: value for key, value in node.items() if key != "anyOf"}}
    plain = {key: node[key] for key in _SHOWN if node.get(key) is not None}
    if "items" in plain:
        plain["items"] = _plain(plain["items"])
    return plain
