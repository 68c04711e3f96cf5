"""Reads for conversations, always scoped to the asking user."""

from __future__ import annotations

from accounts.models import User

from .models import Conversation, Message


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


def message_as_dict(message: Message) -> dict:
    data: dict = {"id": message.pk, "role": message.role, "text": message.text, "tracks": message.tracks}
    mood = getattr(message, "mood", None) if message.role == Message.Role.USER else None
    if mood is not None:
        data["mood"] = {
            "label": mood.label,
            "valence": mood.valence,
            "arousal": mood.arousal,
            "confidence": mood.confidence,
        }
    return data
