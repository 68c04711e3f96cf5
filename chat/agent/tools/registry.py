"""The tools by name: how the agent calls one, and the schemas an LLM is shown.

A tool is ``tool(state, args) -> ToolResult`` whose ``args`` annotation is its ``ToolArguments``
model; the registry reads the model from the signature, so a tool and its arguments can't drift.
"""

from __future__ import annotations

import logging
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from spotify.lookup import LookupUnavailable

from ..planner import WRITE_TOOLS
from .account import account_help
from .arguments import BadArguments, ToolArguments, arguments_read, function_schema
from .library import recently_played, top_artists, top_tracks
from .playlists import (
    add_to_playlist,
    create_playlist,
    list_playlists,
    remove_from_playlist,
    undo_last_change,
)
from .recommending import explain_track, recommend_tracks
from .state import ToolResult, TurnState
from .tastes import give_feedback, set_preference

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tool:
    run: Callable[[TurnState, Any], ToolResult]
    arguments: type[ToolArguments]

    @classmethod
    def of(cls, run: Callable[[TurnState, Any], ToolResult]) -> Tool:
        return cls(run, typing.get_type_hints(run)["args"])

    @property
    def name(self) -> str:
        return self.run.__name__

    def schema(self) -> dict:
        return function_schema(self.name, self.arguments)


TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        Tool.of(recommend_tracks),
        Tool.of(explain_track),
        Tool.of(create_playlist),
        Tool.of(add_to_playlist),
        Tool.of(remove_from_playlist),
        Tool.of(list_playlists),
        Tool.of(top_tracks),
        Tool.of(top_artists),
        Tool.of(recently_played),
        Tool.of(set_preference),
        Tool.of(give_feedback),
        Tool.of(undo_last_change),
        Tool.of(account_help),
    )
}


def call_tool(state: TurnState, name: str, arguments: object) -> ToolResult:
    """Run one tool by name with JSON arguments; whatever goes wrong comes back as a clear result.

    Arguments are validated against the tool's model first, since an LLM's are untrusted; a
    failure inside a tool is logged and reported, never raised at the turn.
    """
    tool = TOOLS.get(name)
    if tool is None:
        return ToolResult(False, f"There is no tool called {name}.", {"error": "unknown_tool"})
    try:
        args = arguments_read(tool.arguments, arguments)
    except BadArguments as exc:
        return ToolResult(False, f"{name} was called wrongly: {exc}.", {"error": "arguments"})
    if name in WRITE_TOOLS and not state.writes_allowed:
        result = ToolResult(
            False,
            "The listener has not asked for a change to their Spotify in this message. Ask them first, "
            "naming the playlist and the tracks; write only after they say yes.",
            {"error": "needs_confirmation"},
        )
        state.summaries.append(result.summary)
        return result
    state.tools_called.append(name)
    try:
        result = tool.run(state, args)
    except LookupUnavailable as exc:
        result = ToolResult(False, exc.message, {"error": "spotify"})
    except Exception:
        logger.exception("tool %s failed for user %s", name, state.user.pk)
        result = ToolResult(
            False,
            "Something went wrong on our side with that; nothing more was changed.",
            {"error": "internal"},
        )
    state.summaries.append(result.summary)
    return result


def tool_schemas() -> list[dict]:
    """OpenAI ``tools`` entries for every tool."""
    return [tool.schema() for tool in TOOLS.values()]
