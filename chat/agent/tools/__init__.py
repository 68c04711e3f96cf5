"""The agent's tools: typed functions an LLM (through JSON schemas) and the offline agent both call.

Each acts only for ``state.user``, calls services (never the ORM for writes, never Spotify
directly), grounds every track or artist it is given by name, and returns a ``ToolResult``: a
plain sentence that can be said as is, plus JSON for an LLM. Failures come back as results with
``ok=False`` and a clear sentence — a tool never raises at the agent.

By topic: ``recommending`` (pick and explain), ``playlists``, ``library`` (the listener's
history), ``tastes`` (preferences and feedback); ``tracks`` turns positions and names into
cards, ``arguments`` holds the argument types and their schemas, ``registry`` calls tools by name.
"""

from __future__ import annotations

from .registry import TOOLS, Tool, call_tool, tool_schemas
from .state import ToolResult, TurnState

__all__ = ["TOOLS", "Tool", "ToolResult", "TurnState", "call_tool", "tool_schemas"]
