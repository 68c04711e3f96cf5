"""The offline agent: intent gating and slots decide the tools, templates say what happened."""

from __future__ import annotations

import random

from . import replies
from .planner import WRITE_TOOLS, plan_turn
from .tools import TurnState, call_tool

WRITES = WRITE_TOOLS


def respond_offline(
    state: TurnState, *, offered: bool, rng: random.Random, pending: list | None = None
) -> tuple[str, dict]:
    """The reply text and the turn's meta (intent, tools, whether it offered music, writes it asks about)."""
    plan = plan_turn(state.text, offered=offered, pending=[tuple(call) for call in pending or []])
    meta: dict = {"agent": "offline", "intent": plan.intent}
    if plan.pending:
        meta["pending"] = [list(call) for call in plan.pending]
    spoken = ""
    if plan.say is not None:
        spoken = replies.spoken_reply(
            plan.say, mood=state.mood, name=state.user.greeting_name, rng=rng, clarify=plan.clarify
        )
        meta["offered"] = plan.say == "chat"
        if plan.say == "clarify":
            meta["asked"] = True
    results: list[tuple[str, bool, str, dict]] = []
    for name, arguments in plan.calls:
        if results and not results[-1][1] and name in WRITES:
            break  # a failed step never leads into a Spotify write built on it
        result = call_tool(state, name, dict(arguments))
        results.append((name, result.ok, result.summary, result.data))
        if result.data.get("asked") == "playlist":
            # "Which playlist do you mean?": the write waits for the answer (with the name put in).
            meta["pending"] = [[name, {k: v for k, v in arguments.items() if k != "playlist"}]]
    if results:
        meta["tools"] = [name for name, *_ in results]
        if any(data.get("error") == "ask" for _, _, _, data in results):
            meta["asked"] = True
    done = replies.tools_reply(results, mood=state.mood, rng=rng) if results else ""
    # Talk first, then say what was done ("…Want me to play something? Noted — more jazz.").
    return " ".join(part for part in (spoken, done) if part) or spoken, meta
