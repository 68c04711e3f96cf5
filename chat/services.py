"""Writes for conversations. Every function acts for one given user only."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User

from .agent.emotion import EmotionEstimate
from .models import Conversation, Message, MoodReading


def conversation_get_or_create(*, user: User) -> Conversation:
    """The listener's current conversation (the most recent), created on first use."""
    conversation = Conversation.objects.filter(user=user).order_by("-updated_at").first()
    return conversation or Conversation.objects.create(user=user)


@transaction.atomic
def listener_message_create(*, conversation: Conversation, text: str, mood: EmotionEstimate) -> Message:
    """Store the listener's words and the mood read from them together: both or neither."""
    message = Message.objects.create(conversation=conversation, role=Message.Role.USER, text=text)
    MoodReading.objects.create(
        message=message,
        label=mood.label,
        valence=mood.valence,
        arousal=mood.arousal,
        confidence=mood.confidence,
    )
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=message.created_at)
    return message


def assistant_message_create(*, conversation: Conversation, text: str, tracks: list[dict]) -> Message:
    return Message.objects.create(
        conversation=conversation, role=Message.Role.ASSISTANT, text=text, tracks=tracks
    )
