"""Writes for conversations. Every function acts for one given user only."""

from __future__ import annotations

import json
from typing import Any

from django.utils import timezone

from accounts.models import User
from catalog.sql import server_bound_cursor
from mood.labels import LABEL_COORDINATES
from mood.perception import EmotionEstimate

from .cards import TrackCard, cards_stored
from .models import Conversation, Message, MoodReading


def conversation_get_or_create(*, user: User) -> Conversation:
    """The listener's current conversation (the most recent), created on first use."""
    conversation = Conversation.objects.filter(user=user).order_by("-updated_at").first()
    return conversation or Conversation.objects.create(user=user)


def listener_message_create(
    *, conversation: Conversation, text: str, mood: EmotionEstimate, meta: dict | None = None
) -> Message:
    """Store the listener's words and the mood read from them together: both or neither.

    One statement (message, mood reading, the conversation's ``updated_at``), so it is atomic by
    itself and costs one round trip.
    """
    now = timezone.now()
    tables = {
        "message": Message._meta.db_table,
        "mood": MoodReading._meta.db_table,
        "conversation": Conversation._meta.db_table,
    }
    sql = """
        WITH message AS (
            INSERT INTO {message} (conversation_id, role, text, tracks, meta, created_at)
            VALUES (%(conversation)s, %(role)s, %(text)s, '[]'::jsonb, %(meta)s::jsonb, %(now)s)
            RETURNING id
        ),
        reading AS (
            INSERT INTO {mood} (message_id, label, valence, arousal, confidence, perceived_label,
                                corrected_at, created_at)
            SELECT id, %(label)s, %(valence)s, %(arousal)s, %(confidence)s, '', NULL, %(now)s FROM message
        ),
        touched AS (UPDATE {conversation} SET updated_at = %(now)s WHERE id = %(conversation)s)
        SELECT id FROM message
    """.format(**tables)  # table names from the models, values as parameters
    params: dict[str, Any] = {
        "conversation": conversation.pk,
        "role": Message.Role.USER,
        "text": text,
        "meta": json.dumps(meta or {}),
        "now": now,
        "label": mood.label,
        "valence": mood.valence,
        "arousal": mood.arousal,
        "confidence": mood.confidence,
    }
    with server_bound_cursor() as cursor:
        cursor.execute(sql, params)
        (message_id,) = cursor.fetchone()
    conversation.updated_at = now
    return Message(
        id=message_id,
        conversation=conversation,
        role=Message.Role.USER,
        text=text,
        tracks=[],
        meta=meta or {},
        created_at=now,
    )


def assistant_message_create(
    *, conversation: Conversation, text: str, tracks: list[TrackCard], meta: dict | None = None
) -> Message:
    """Store the agent's reply with its track cards.

    Bound by the server (``server_bound_cursor``): the cards' JSON, several KB, travels as it is
    instead of being escaped into the statement's text (about 1 ms of a turn's CPU).
    """
    now = timezone.now()
    stored, meta = cards_stored(tracks), meta or {}
    sql = f"""
        INSERT INTO {Message._meta.db_table} (conversation_id, role, text, tracks, meta, created_at)
        VALUES (%(conversation)s, %(role)s, %(text)s, %(tracks)s::jsonb, %(meta)s::jsonb, %(now)s)
        RETURNING id
    """  # the table name from the model, values as parameters
    params: dict[str, Any] = {
        "conversation": conversation.pk,
        "role": Message.Role.ASSISTANT,
        "text": text,
        "tracks": json.dumps(stored),
        "meta": json.dumps(meta),
        "now": now,
    }
    with server_bound_cursor() as cursor:
        cursor.execute(sql, params)
        (message_id,) = cursor.fetchone()
    return Message(
        id=message_id,
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        text=text,
        tracks=stored,
        meta=meta,
        created_at=now,
    )


class MoodCorrectionError(ValueError):
    """The correction names no mood of one of this listener's messages."""


def mood_correct(*, user: User, message_id: int, label: str) -> MoodReading:
    """The listener says how they really feel about one of *their* messages; the original is kept.

    The corrected reading carries full confidence, so the next turns' smoothing leans on it.
    """
    if label not in LABEL_COORDINATES:
        raise MoodCorrectionError(f"“{label}” isn't one of the moods I know.")
    reading = MoodReading.objects.filter(
        message_id=message_id, message__conversation__user=user, message__role=Message.Role.USER
    ).first()
    if reading is None:
        raise MoodCorrectionError("I can't find that message.")
    valence, arousal = LABEL_COORDINATES[label]
    reading.perceived_label = reading.perceived_label or reading.label
    reading.label, reading.valence, reading.arousal, reading.confidence = label, valence, arousal, 1.0
    reading.corrected_at = timezone.now()
    reading.save(
        update_fields=["perceived_label", "label", "valence", "arousal", "confidence", "corrected_at"]
    )
    return reading
