"""Reads for conversations, always scoped to the asking user."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import User

from .models import Conversation, Message, MoodReading


def conversation_messages(*, user: User, limit: int = 50) -> list[dict]:
    """The latest messages of the user's current conversation, oldest first, as UI-ready dicts."""
    conversation = Conversation.objects.filter(user=user).order_by("-updated_at").first()
    if conversation is None:
        return []
    messages = list(
        Message.objects.filter(conversation=conversation)
        .select_related("mood")
        .order_by("-created_at", "-id")[:limit]
    )
    return [message_as_dict(message) for message in reversed(messages)]


def recent_listener_texts(*, conversation: Conversation, limit: int = 2) -> list[str]:
    """The listener's previous turns, oldest first: context for mood perception."""
    texts = Message.objects.filter(conversation=conversation, role=Message.Role.USER).order_by(
        "-created_at", "-id"
    )
    return list(reversed(list(texts.values_list("text", flat=True)[:limit])))


def latest_mood(*, conversation: Conversation) -> MoodReading | None:
    """The mood read (or corrected) on the listener's previous message."""
    return (
        MoodReading.objects.filter(message__conversation=conversation)
        .order_by("-message__created_at", "-message_id")
        .first()
    )


@dataclass(frozen=True)
class AgentMemory:
    """What the agent carries from earlier turns: the list on screen, the playlist in play, an open offer."""

    shown: list[dict]
    picked: list[dict]  # the latest list the agent *recommended* (shown may be the listener's history)
    playlist: dict | None
    offered: bool
    history: list[dict]  # the last few messages as {"role", "content"}, oldest first


def agent_memory(*, conversation: Conversation, history: int = 10) -> AgentMemory:
    recent = list(Message.objects.filter(conversation=conversation).order_by("-created_at", "-id")[:history])
    shown = next((m.tracks for m in recent if m.role == Message.Role.ASSISTANT and m.tracks), [])
    picked = next((m.tracks for m in recent if any("score" in track for track in m.tracks)), [])
    playlist = next((m.meta["playlist"] for m in recent if m.meta.get("playlist")), None)
    last_assistant = next((m for m in recent if m.role == Message.Role.ASSISTANT), None)
    offered = bool(last_assistant and last_assistant.meta.get("offered"))
    turns = [{"role": m.role, "content": m.text} for m in reversed(recent)]
    return AgentMemory(shown=shown, picked=picked, playlist=playlist, offered=offered, history=turns)


def message_as_dict(message: Message) -> dict:
    data: dict = {"id": message.pk, "role": message.role, "text": message.text, "tracks": message.tracks}
    mood = getattr(message, "mood", None) if message.role == Message.Role.USER else None
    if mood is not None:
        data["mood"] = {
            "label": mood.label,
            "valence": mood.valence,
            "arousal": mood.arousal,
            "confidence": mood.confidence,
            "corrected": mood.corrected_at is not None,
        }
    return data
