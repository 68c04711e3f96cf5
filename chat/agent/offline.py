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
    spoken = ""
    if plan.say is not None:
        spoken = replies.spoken_reply(
            plan.say, mood=state.mood, name=state.user.greeting_name, rng=rng, clarify=plan.clarify
        )
        meta["offered"] = plan.say == "chat"
    results: list[tuple[str, bool, str, dict]] = []
    for name, arguments in plan.calls:
        if results and not results[-1][1] and name in WRITES:
            break  # a failed step never leads into a Spotify write built on it
        result = call_tool(state, name, dict(arguments))
        results.append((name, result.ok, result.summary, result.data))
    if results:
        meta["tools"] = [name for name, *_ in results]
    done = replies.tools_reply(results, mood=state.mood, rng=rng) if results else ""
    # Talk first, then say what was done ("…Want me to play something? Noted — more jazz.").
    return " ".join(part for part in (spoken, done) if part) or spoken, meta
