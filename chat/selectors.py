"""Reads for conversations, always scoped to the asking user."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db.models import JSONField
from django.db.models.expressions import RawSQL
from django.urls import reverse

from accounts.models import User
from catalog.models import Album, Track
from catalog.sql import server_bound_cursor
from spotify.models import PlaylistWrite
from spotify.selectors import spotify_status

from .cards import TrackCard, cards_read, from_history
from .events import MoodShown, NoticeEvent, ShownMessage
from .models import Conversation, Message, MoodReading


def conversation_messages(*, user: User, limit: int = 50) -> list[ShownMessage]:
    """The latest messages of the user's current conversation, oldest first, as the history shows them.

    Cards stored without a cover show their album's current one (the worker looks covers up after
    a list was sent), read in the same query as the messages.
    """
    conversation = Conversation.objects.filter(user=user).order_by("-updated_at").first()
    if conversation is None:
        return []
    messages = list(
        Message.objects.filter(conversation=conversation)
        .select_related("mood")
        .annotate(covers=card_covers())
        .order_by("-created_at", "-id")[:limit]
    )
    return [message_shown(message) for message in reversed(messages)]


def card_covers() -> RawSQL:
    """Per message, {Spotify track id: its album's cover} for its cards stored without a cover
    whose album has one now (null when none): annotate messages with it as ``covers`` and
    ``message_shown`` puts the covers on the cards, at no extra query."""
    track, album, message = Track._meta.db_table, Album._meta.db_table, Message._meta.db_table
    return RawSQL(
        f"""
        SELECT jsonb_object_agg(t.spotify_id, al.image_url)
          FROM {track} t JOIN {album} al ON al.id = t.album_id
         WHERE al.image_url <> ''
           AND t.spotify_id IN (
               SELECT card ->> 'spotify_id'
                 FROM jsonb_array_elements(
                          CASE jsonb_typeof({message}.tracks) WHEN 'array' THEN {message}.tracks ELSE '[]' END
                      ) AS card
                WHERE jsonb_typeof(card) = 'object' AND COALESCE(card ->> 'image', '') = '')
        """,  # table names from the models, no values
        (),
        output_field=JSONField(),
    )


def spotify_notice(*, user: User) -> NoticeEvent | None:
    """What the listener must do about their Spotify link (e.g. consent again), if anything."""
    status = spotify_status(user=user)
    if not status.needs_action:
        return None
    return NoticeEvent(text=status.message, url=reverse("spotify:library"))


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

    shown: list[TrackCard]
    picked: list[TrackCard]  # the latest list the agent *recommended* (shown may be the listener's history)
    playlist: dict | None
    offered: bool
    history: list[dict]  # the last few messages as {"role", "content"}, oldest first
    pending: list = None  # type: ignore[assignment]  # writes the last reply asked to confirm
    asked: bool = False  # the last reply asked the listener a question


def agent_memory(*, conversation: Conversation, history: int = 10) -> AgentMemory:
    recent = list(Message.objects.filter(conversation=conversation).order_by("-created_at", "-id")[:history])
    return memory_of(recent)


def memory_of(recent: list[Message]) -> AgentMemory:
    """What the agent carries, from the conversation's latest messages (newest first)."""
    shown: list[TrackCard] = []
    picked: list[TrackCard] = []
    for message in recent:  # newest first; cards are parsed only until both lists are found
        if message.role != Message.Role.ASSISTANT or not message.tracks:
            continue
        cards = cards_read(message.tracks)
        shown = shown or cards
        if cards and not from_history(cards):
            picked = cards
            break
    playlist = next((m.meta["playlist"] for m in recent if m.meta.get("playlist")), None)
    last_assistant = next((m for m in recent if m.role == Message.Role.ASSISTANT), None)
    offered = bool(last_assistant and last_assistant.meta.get("offered"))
    pending = list(last_assistant.meta.get("pending") or []) if last_assistant else []
    asked = bool(
        last_assistant and (last_assistant.meta.get("asked") or last_assistant.text.rstrip().endswith("?"))
    )
    turns = [{"role": m.role, "content": m.text} for m in reversed(recent)]
    return AgentMemory(
        shown=shown,
        picked=picked,
        playlist=playlist,
        offered=offered,
        history=turns,
        pending=pending,
        asked=asked,
    )


def message_shown(message: Message) -> ShownMessage:
    """``message`` as the history shows it; its cards take the covers a ``card_covers()``
    annotation found for them."""
    mood = getattr(message, "mood", None) if message.role == Message.Role.USER else None
    covers = getattr(message, "covers", None) or {}
    return ShownMessage(
        id=message.pk,
        role=message.role,  # type: ignore[arg-type]  # a TextChoices value: "user" or "assistant"
        text=message.text,
        tracks=[_covered(card, covers) for card in cards_read(message.tracks)],
        mood=mood_shown(mood, quiet=bool(message.meta.get("quiet_mood"))) if mood is not None else None,
    )


def _covered(card: TrackCard, covers: dict[str, str]) -> TrackCard:
    if card.image or not covers.get(card.spotify_id):
        return card
    return TrackCard.model_validate({**dict(card), "image": covers[card.spotify_id]})


def mood_shown(reading: MoodReading, *, quiet: bool = False) -> MoodShown:
    return MoodShown(
        quiet=quiet or None,
        label=reading.label,
        valence=reading.valence,
        arousal=reading.arousal,
        confidence=reading.confidence,
        corrected=reading.corrected_at is not None,
    )


HISTORY = 10  # the messages the agent remembers
MOOD_CONTEXT = 3  # the listener's previous messages that colour the next mood reading


@dataclass(frozen=True)
class TurnContext:
    """What a turn reads before it starts: the listener's current conversation (None before their
    first message), the agent's memory, the context for mood perception, and whether a playlist
    write settled since they were last told."""

    conversation: Conversation | None
    memory: AgentMemory
    recent_texts: list[str]  # the listener's previous messages, oldest first
    previous_mood: MoodReading | None  # the mood read (or corrected) on their previous message
    settled_waiting: bool


def turn_context(*, user: User) -> TurnContext:
    """Everything ``run_turn`` reads before it answers, in one statement (it used to take five)."""
    tables = {
        "conversation": Conversation._meta.db_table,
        "message": Message._meta.db_table,
        "mood": MoodReading._meta.db_table,
        "write": PlaylistWrite._meta.db_table,
    }
    sql = """
        WITH conv AS (
            SELECT id, created_at, updated_at FROM {conversation}
             WHERE user_id = %(user)s ORDER BY updated_at DESC, id DESC LIMIT 1
        ),
        picked AS (
            (SELECT m.id FROM {message} m JOIN conv ON m.conversation_id = conv.id
              ORDER BY m.created_at DESC, m.id DESC LIMIT %(history)s)
            UNION
            (SELECT m.id FROM {message} m JOIN conv ON m.conversation_id = conv.id
              WHERE m.role = %(listener)s ORDER BY m.created_at DESC, m.id DESC LIMIT %(texts)s)
        )
        SELECT settled.waiting, conv.id, conv.created_at, conv.updated_at,
               m.id, m.role, m.text, m.tracks, m.meta, m.created_at,
               r.id, r.label, r.valence, r.arousal, r.confidence, r.perceived_label, r.corrected_at,
               r.created_at
          FROM (SELECT EXISTS (
                    SELECT 1 FROM {write} w
                     WHERE w.user_id = %(user)s AND w.action = %(created)s AND w.was_uncertain
                       AND w.told_at IS NULL AND w.state IN (%(done)s, %(not_done)s)) AS waiting) settled
          LEFT JOIN conv ON true
          LEFT JOIN {message} m ON m.id IN (SELECT id FROM picked)
          LEFT JOIN {mood} r ON r.message_id = m.id
         ORDER BY m.created_at DESC, m.id DESC
    """.format(**tables)  # table names from the models, values as parameters
    params: dict[str, Any] = {
        "user": user.pk,
        "history": HISTORY,
        "texts": MOOD_CONTEXT,
        "listener": Message.Role.USER,
        "created": PlaylistWrite.Action.CREATED,
        "done": PlaylistWrite.State.DONE,
        "not_done": PlaylistWrite.State.NOT_DONE,
    }
    with server_bound_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    waiting, conversation_id, created_at, updated_at = rows[0][:4]
    conversation = (
        Conversation(id=conversation_id, user=user, created_at=created_at, updated_at=updated_at)
        if conversation_id is not None
        else None
    )
    messages: list[Message] = []
    moods: dict[int, MoodReading] = {}
    for row in rows:
        if row[4] is None:
            continue
        message = Message(
            id=row[4],
            conversation_id=conversation_id,
            role=row[5],
            text=row[6],
            tracks=_json(row[7]),
            meta=_json(row[8]),
            created_at=row[9],
        )
        if row[10] is not None:
            moods[message.id] = message.mood = MoodReading(
                id=row[10],
                message=message,
                label=row[11],
                valence=row[12],
                arousal=row[13],
                confidence=row[14],
                perceived_label=row[15],
                corrected_at=row[16],
                created_at=row[17],
            )
        messages.append(message)
    listener = [m for m in messages if m.role == Message.Role.USER]
    return TurnContext(
        conversation=conversation,
        memory=memory_of(messages[:HISTORY]),
        recent_texts=[m.text for m in reversed(listener[:MOOD_CONTEXT])],
        previous_mood=next((moods[m.id] for m in listener if m.id in moods), None),
        settled_waiting=bool(waiting),
    )


def _json(value: object) -> object:
    """json/jsonb from a raw cursor: Django's psycopg setup leaves them as text."""
    return json.loads(value) if isinstance(value, str) else value
