"""The LLM agent: the same tools, chosen by an OpenAI-compatible model, its words streamed as tokens.

The model sees who the listener is, the mood perceived, their standing tastes, the list on
screen (numbered, so "the second one" means something) and the last few messages. It may
talk, ask, recommend or act, through at most ``MAX_ROUNDS`` rounds of tool calls. Tracks only
ever come from tools, so the model cannot invent one; what it names is grounded by the tools.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from chat.events import TokenEvent
from mood.labels import LABELS
from mood.perception import EmotionEstimate
from recommender.models import TastePreference

from .llm import LLMClient
from .tools import ToolResult, TurnState, call_tool, tool_schemas

MAX_ROUNDS = 4
MAX_TOOL_CALLS = 6  # per turn: a runaway model must not burn the app's shared Spotify rate limit
SYSTEM_PROMPT = """You are PersonalAIs, a warm, concise music companion.
Each turn, decide: just talk, ask one clarifying question, recommend music, or act on the listener's \
Spotify — using the tools. Don't force a recommendation into every reply: if the listener only shares \
how they feel, answer them and offer music. Never name a track or artist as a pick unless a tool \
returned it. Positions (1, 2, …; -1 = last) refer to the numbered list on screen. If something is \
beyond your tools (playback devices, general questions), say so plainly. Reply in 1-3 sentences.

Listener: {name}
Perceived mood: {mood}
Standing preferences: {tastes}
Playlist in play: {playlist}
List on screen:
{shown}"""

MOOD_SCHEMA = {
    "type": "object",
    "properties": {
        "label": {"type": "string", "enum": list(LABELS)},
        "valence": {"type": "number", "minimum": -1, "maximum": 1},
        "arousal": {"type": "number", "minimum": -1, "maximum": 1},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
    },
    "required": ["label", "valence", "arousal", "confidence"],
    "additionalProperties": False,
}
MOOD_PROMPT = (
    "Read the emotion of the listener's LAST message, using the earlier ones only as context. "
    "Negations count ('not happy at all' is not joy). Everyday requests are neutral. "
    "Answer as JSON: label, valence and arousal in [-1, 1], confidence in [0, 1]."
)


def mood_from_llm(client: LLMClient, text: str, context: list[str]) -> EmotionEstimate:
    """Structured-output emotion reading; raises LLMError (the caller falls back to the offline model)."""
    lines = [f"earlier: {line}" for line in context] + [f"LAST: {text}"]
    data = client.complete_json(
        [{"role": "system", "content": MOOD_PROMPT}, {"role": "user", "content": "\n".join(lines)}],
        schema=MOOD_SCHEMA,
        name="mood",
    )
    label = str(data["label"]) if data.get("label") in LABELS else "neutral"

    def unit(key: str, low: float) -> float:
        value = data.get(key)
        return max(low, min(1.0, float(value))) if isinstance(value, int | float) else 0.0

    return EmotionEstimate(
        label, unit("valence", -1.0), unit("arousal", -1.0), unit("confidence", 0.0) or 0.5
    )


def _system_prompt(state: TurnState) -> str:
    tastes = TastePreference.objects.filter(user=state.user).order_by("-created_at")[:20]
    taste_text = "; ".join(
        f"{'likes' if t.liked else 'no more'} {t.kind} {t.label or t.value}" for t in tastes
    )
    shown = "\n".join(
        f"{i + 1}. {t.name} — {', '.join(t.artists)} ({t.genre or 'unknown genre'})"
        for i, t in enumerate(state.shown)
    )
    mood = state.mood
    return SYSTEM_PROMPT.format(
        name=state.user.greeting_name,
        mood=(
            f"{mood.label} (valence {mood.valence:+.1f}, arousal {mood.arousal:+.1f}, "
            f"confidence {mood.confidence:.2f})"
        ),
        tastes=taste_text or "none yet",
        playlist=state.playlist["name"] if state.playlist else "none",
        shown=shown or "(nothing yet)",
    )


def respond_llm(
    state: TurnState, *, history: list[dict], emit: Callable[[TokenEvent], None], client: LLMClient
) -> tuple[str, dict, float]:
    """Reply text, the turn's meta, and seconds spent waiting on the model. Raises LLMError."""
    messages: list[dict] = [{"role": "system", "content": _system_prompt(state)}]
    messages += [{"role": turn["role"], "content": turn["content"]} for turn in history[-8:]]
    messages.append({"role": "user", "content": state.text})
    schemas = tool_schemas()
    waited = 0.0
    streamed: list[str] = []

    def on_text(delta: str) -> None:
        streamed.append(delta)
        emit(TokenEvent(text=delta))

    for _ in range(MAX_ROUNDS):
        started = time.perf_counter()
        completion = client.stream(messages, tools=schemas, on_text=on_text)
        waited += time.perf_counter() - started
        if not completion.tool_calls:
            # What streamed is what the listener saw (all rounds); the tools' results if nothing did.
            text = "".join(streamed).strip() or " ".join(state.summaries) or "…"
            return text, _meta(state, completion.text), waited
        messages.append(
            {
                "role": "assistant",
                "content": completion.text or None,
                "tool_calls": [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
                    }
                    for call in completion.tool_calls
                ],
            }
        )
        for call in completion.tool_calls:
            if len(state.tools_called) >= MAX_TOOL_CALLS:
                result = ToolResult(
                    False, f"Tool limit reached ({MAX_TOOL_CALLS} a turn); not run.", {"error": "limit"}
                )
            else:
                result = call_tool(state, call.name, call.arguments)  # adds its summary to state.summaries
            messages.append(
                {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result.for_llm())}
            )
    return " ".join(state.summaries) or "".join(streamed) or "…", _meta(state, ""), waited


def _meta(state: TurnState, text: str) -> dict:
    return {
        "agent": "llm",
        "tools": list(state.tools_called),
        "offered": "?" in text and not state.tools_called,
    }
