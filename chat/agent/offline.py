"""The offline agent: intent gating and slots decide the tools, templates say what happened."""

from __future__ import annotations

import random

from . import replies
from .planner import plan_turn
from .tools import TurnState, call_tool

WRITES = {"create_playlist", "add_to_playlist", "remove_from_playlist"}


def respond_offline(state: TurnState, *, offered: bool, rng: random.Random) -> tuple[str, dict]:
    """The reply text and the turn's meta (intent, tools, whether it offered music)."""
    plan = plan_turn(state.text, offered=offered)
    meta: dict = {"agent": "offline", "intent": plan.intent}
    if not plan.calls:
        reply = replies.spoken_reply(
            plan.say or "chat", mood=state.mood, name=state.user.greeting_name, rng=rng, clarify=plan.clarify
        )
        meta["offered"] = plan.say in ("chat",)
        return reply, meta
    results = []
    for name, arguments in plan.calls:
        if results and not results[-1][1] and name in WRITES:
            break  # a failed step never leads into a Spotify write built on it
        result = call_tool(state, name, dict(arguments))
        results.append((name, result.ok, result.summary, result.data))
    meta["tools"] = [name for name, *_ in results]
    return replies.tools_reply(results, mood=state.mood, rng=rng), meta
