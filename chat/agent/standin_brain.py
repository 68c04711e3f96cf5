"""The local LLM stand-in's brain: the offline planner, answering as a tool-calling model would.

``python -m standins.llm --brain chat.agent.standin_brain:respond`` serves it over the
OpenAI protocol, so the LLM agent — system prompt, tool schemas, streaming, tool rounds — runs
end to end with no model and no network. It reads only the request, like a real model: the
listener's words, the previous reply (was music offered?), the system prompt (name, mood) and
the tool results. It runs outside Django: nothing here touches the database.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

from mood.labels import LABEL_COORDINATES
from mood.perception import EmotionEstimate, mood_from_text

from .planner import OFFER_MARK, plan_turn
from .replies import spoken_reply, tools_reply

_MOOD_LINE = re.compile(
    r"Perceived mood: (\w+) \(valence ([-+]?[\d.]+), arousal ([-+]?[\d.]+), confidence ([\d.]+)\)"
)
_NAME_LINE = re.compile(r"^Listener: (.+)$", re.M)


def respond(body: dict[str, Any]) -> dict[str, Any]:
    messages = body.get("messages") or []
    if body.get("response_format"):
        return {"json": _mood_json(messages)}
    last = messages[-1] if messages else {"role": "user", "content": ""}
    if last.get("role") == "tool":
        system = next((_content(m) for m in messages if m.get("role") == "system"), "")
        return {"text": _after_tools(messages, _mood_in(system))}
    text = _content(last)
    previous = next((m for m in reversed(messages[:-1]) if m.get("role") == "assistant"), None)
    offered = bool(previous and OFFER_MARK.search(_content(previous)))
    plan = plan_turn(text, offered=offered)
    if plan.calls:
        return {"tool_calls": [{"name": name, "arguments": arguments} for name, arguments in plan.calls]}
    system = next((_content(m) for m in messages if m.get("role") == "system"), "")
    reply = spoken_reply(
        plan.say or "chat",
        mood=_mood_in(system),
        name=_name_in(system),
        rng=random.Random(),
        clarify=plan.clarify,
    )
    return {"text": reply}


def _content(message: dict) -> str:
    content = message.get("content") or ""
    if isinstance(content, list):  # content parts
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def _after_tools(messages: list[dict], mood: EmotionEstimate) -> str:
    """Say what the tools of the last round did, in order, in the offline agent's words."""
    names = {
        call.get("id"): call.get("function", {}).get("name", "")
        for message in messages
        if message.get("role") == "assistant"
        for call in message.get("tool_calls") or []
    }
    results: list[tuple[str, bool, str, dict]] = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        try:
            data = json.loads(_content(message))
        except ValueError:
            data = {}
        if isinstance(data, dict) and data.get("summary"):
            name = names.get(message.get("tool_call_id"), "")
            results.append((name, bool(data.get("ok")), data["summary"], data))
    return tools_reply(list(reversed(results)), mood=mood, rng=random.Random()) or "Done."


def _mood_json(messages: list[dict]) -> dict:
    lines = _content(messages[-1]).splitlines() if messages else []
    last = next((line.removeprefix("LAST: ") for line in lines if line.startswith("LAST: ")), "")
    context = [line.removeprefix("earlier: ") for line in lines if line.startswith("earlier: ")]
    return mood_from_text(last, context).as_dict()


def _mood_in(system: str) -> EmotionEstimate:
    match = _MOOD_LINE.search(system)
    if not match or match[1] not in LABEL_COORDINATES:
        return EmotionEstimate("neutral", 0.0, 0.0, 0.3)
    return EmotionEstimate(match[1], float(match[2]), float(match[3]), float(match[4]))


def _name_in(system: str) -> str:
    match = _NAME_LINE.search(system)
    return match[1].strip() if match else "there"
