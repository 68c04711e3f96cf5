"""One chat turn: perceive the mood, let the agent talk or act, stream typed events as they happen.

The listener's message (with its mood) is stored *before* anything that can fail, so a failure
later in the turn never loses what they wrote. With an LLM configured the LLM agent answers,
streaming ``token`` events; without one — or when the LLM fails before saying anything — the
offline agent does, and the listener is told plainly that the model was unavailable.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

from accounts.models import User
from chat import selectors, services
from chat.events import ErrorEvent, Event, MessageEvent, MoodEvent, MoodShown, TokenEvent, TracksEvent
from chat.models import Conversation, MoodReading
from mood.perception import EmotionEstimate, mood_from_text
from spotify import playlist_writes

from .intents import classify_intent
from .llm import LLMClient, LLMError, llm_settings
from .llm_agent import mood_from_llm, respond_llm
from .offline import respond_offline
from .planner import mood_is_noise, playlist_needed, turn_action, write_requested
from .tools import TurnState

logger = logging.getLogger(__name__)

Emit = Callable[[dict], None]  # receives each event as its wire frame
Send = Callable[[Event], None]
SAVED = "What it said and did so far is saved."
CORRECTION_CARRY = 0.6  # below this confidence, a mood the listener corrected last turn still holds


class MessageNotSaved(Exception):
    """The listener's message could not be stored (the database is away); nothing of the turn happened."""

    message = (
        "I couldn't save your message — nothing was stored or done. "
        "It's still in the box: send it again in a moment."
    )


class TurnError(Exception):
    """A turn could not finish; ``message`` is safe to show the listener."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class TurnResult:
    events: list[dict] = field(default_factory=list)  # the wire frames sent, in order
    llm_seconds: float = 0.0
    meta: dict = field(default_factory=dict)  # what the agent did (intent, tools, asked, action)
    writes: list[dict] = field(default_factory=list)  # dry run: the Spotify writes it would have made


def run_turn(
    *,
    user: User,
    text: str,
    emit: Emit | None = None,
    rng: random.Random | None = None,
    dry_run: bool = False,
) -> TurnResult:
    """Handle one listener message; events go to ``emit`` as they happen and into the result.

    ``dry_run`` (evaluation): Spotify writes are recorded in ``result.writes``, not sent.
    """
    rng = rng or random.Random()
    result = TurnResult()

    def send(event: Event) -> None:
        frame = event.wire()
        result.events.append(frame)
        if emit is not None:
            emit(frame)

    try:
        context = selectors.turn_context(user=user)
        conversation: Conversation = context.conversation or services.conversation_get_or_create(user=user)
        memory = context.memory
        client = LLMClient() if llm_settings() is not None else None
        mood, result.llm_seconds = _perceive(context, text, client)
        guess = classify_intent(text)
        quiet = mood_is_noise(text, guess)
        message = services.listener_message_create(
            conversation=conversation, text=text, mood=mood, meta={"quiet_mood": True} if quiet else None
        )
    except Exception as exc:
        # Nothing of this turn is stored yet: say exactly that (the page keeps the text to resend).
        logger.exception("storing a message failed for user %s", user.pk)
        raise MessageNotSaved() from exc
    send(MoodEvent(message_id=message.pk, mood=MoodShown.of(mood, quiet=quiet)))

    state = TurnState(
        user=user,
        conversation=conversation,
        text=text,
        mood=mood,
        shown=memory.shown,
        picked=memory.picked,
        playlist=memory.playlist,
        writes_allowed=write_requested(text, guess, asked=memory.asked or bool(memory.pending))
        or playlist_needed([tuple(call) for call in memory.pending]),
        dry_run=dry_run,
    )
    settled = playlist_writes.settled_untold(user=user) if context.settled_waiting else []
    reply: str | None = None
    meta: dict = {}
    late_error: ErrorEvent | None = None
    if client is not None:
        reply, meta, late_error = _respond_with_llm(state, memory.history, client, send, result)
    if reply is None:
        reply, meta = respond_offline(state, offered=memory.offered, rng=rng, pending=memory.pending)
    if settled:
        # A create Spotify did not answer earlier was checked since: say how it ended, once.
        reply = " ".join([*(playlist_writes.settled_sentence(w) for w in settled), reply])
        playlist_writes.settled_told(settled)
    if state.playlist:
        meta["playlist"] = state.playlist
    meta["action"] = turn_action(meta, state)
    result.meta, result.writes = meta, state.writes
    assistant = services.assistant_message_create(
        conversation=conversation, text=reply, tracks=state.new_tracks, meta=meta
    )
    for action in state.actions:
        send(action)
    send(MessageEvent(id=assistant.pk, text=reply))
    if state.new_tracks:
        send(TracksEvent(message_id=assistant.pk, tracks=state.new_tracks))
    if late_error is not None:
        send(late_error)
    return result


def _respond_with_llm(
    state: TurnState, history: list[dict], client: LLMClient, send: Send, result: TurnResult
) -> tuple[str | None, dict, ErrorEvent | None]:
    """The LLM's reply and meta, plus an error to send after the reply; (None, {}, None) means
    "answer offline" — only when the model failed before saying or doing anything."""
    said: list[str] = []

    def stream(event: TokenEvent) -> None:
        said.append(event.text)
        send(event)

    try:
        reply, meta, answering = respond_llm(state, history=history, emit=stream, client=client)
    except LLMError as exc:
        if not said and not state.tools_called:
            send(ErrorEvent(code="llm_unavailable", message=f"{exc.message} Answering without it."))
            return None, {}, None
        # The model got partway: what it said and what its tools did stand (a fallback would
        # repeat the actions). Keep both, then say it stopped.
        reply = " ".join(["".join(said).strip(), *state.summaries]).strip() or exc.message
        meta = {"agent": "llm", "tools": list(state.tools_called), "interrupted": exc.kind}
        return reply, meta, ErrorEvent(code="llm_interrupted", message=f"{exc.message} {SAVED}")
    result.llm_seconds += answering
    return reply, meta, None


def _perceive(
    turn: selectors.TurnContext, text: str, client: LLMClient | None
) -> tuple[EmotionEstimate, float]:
    """The mood of ``text`` and the seconds spent waiting on the LLM for it (0 offline)."""
    context = list(turn.recent_texts)
    previous = turn.previous_mood
    if previous is not None and previous.corrected_at is not None and context:
        # The listener told us what that message meant: its words no longer colour this reading.
        context = context[:-1]
    mood, waited = None, 0.0
    if client is not None and settings.LLM_MOOD_READING:
        started = time.perf_counter()
        try:
            mood = mood_from_llm(client, text, context)
        except LLMError as exc:
            logger.info("LLM mood reading failed (%s); using the offline model", exc.kind)
        waited = time.perf_counter() - started
    mood = mood or mood_from_text(text, context)
    return with_correction(mood, previous), waited


def with_correction(mood: EmotionEstimate, previous: MoodReading | None) -> EmotionEstimate:
    """A mood the listener corrected on their last message holds while the new one is unsure."""
    if previous is None or previous.corrected_at is None or mood.confidence >= CORRECTION_CARRY:
        return mood
    if mood.label not in ("neutral", previous.label):
        return mood
    return EmotionEstimate(
        previous.label, previous.valence, previous.arousal, round(max(mood.confidence, 0.6), 2)
    )
