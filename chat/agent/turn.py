"""One chat turn: perceive the mood, decide what to do, produce typed events.

The turn stores the listener's message (with its mood) *before* doing anything that
can fail, so a failure later in the turn never loses what the listener wrote.
"""

from __future__ import annotations

import logging
import random
import re
from dataclasses import dataclass, field

from django.conf import settings

from accounts.models import User
from chat import selectors, services
from chat.models import Conversation
from recommender import services as recommender_services
from recommender.types import RecommendedTrack

from . import replies
from .emotion import EmotionEstimate, mood_from_text
from .target import listening_target

logger = logging.getLogger(__name__)

_GREETING = re.compile(r"^\s*(hi|hello|hey|yo|good (morning|afternoon|evening)|howdy)\b[\s!.,]*$", re.I)
_THANKS = re.compile(r"^\s*(thanks|thank you|thx|cheers)\b", re.I)
_COUNT = re.compile(r"\b(\d{1,2})\s+(songs|tracks)\b", re.I)


class TurnError(Exception):
    """A turn could not finish; ``message`` is safe to show the listener."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class TurnResult:
    events: list[dict] = field(default_factory=list)


def decide_intent(text: str, mood: EmotionEstimate) -> str:
    """``recommend``, ``small_talk`` or ``thanks``: a recommendation is not forced into every reply."""
    if _GREETING.match(text):
        return "small_talk"
    if _THANKS.match(text):
        return "thanks"
    return "recommend"


def requested_count(text: str) -> int:
    match = _COUNT.search(text)
    default = settings.RECOMMEND_DEFAULT_COUNT
    return max(1, min(20, int(match.group(1)))) if match else default


def run_turn(*, user: User, text: str, rng: random.Random | None = None) -> TurnResult:
    """Handle one listener message; raises TurnError after the message is safely stored."""
    rng = rng or random.Random()
    conversation: Conversation = services.conversation_get_or_create(user=user)
    context = selectors.recent_listener_texts(conversation=conversation)
    mood = mood_from_text(text, context)
    services.listener_message_create(conversation=conversation, text=text, mood=mood)
    result = TurnResult(events=[{"type": "mood", "mood": mood.as_dict()}])

    intent = decide_intent(text, mood)
    tracks: list[dict] = []
    if intent == "small_talk":
        reply = replies.small_talk_reply(user.greeting_name, rng)
    elif intent == "thanks":
        reply = replies.thanks_reply(rng)
    else:
        tracks = _recommend_or_explain(user=user, mood=mood, text=text, count=requested_count(text))
        lifted = bool(tracks) and tracks[0]["lifted"]
        reply = replies.recommendation_reply(mood, len(tracks), rng, lift=lifted)
    message = services.assistant_message_create(conversation=conversation, text=reply, tracks=tracks)
    result.events.append({"type": "message", "id": message.pk, "role": "assistant", "text": reply})
    if tracks:
        result.events.append({"type": "tracks", "message_id": message.pk, "tracks": tracks})
    return result


def recommend_for_mood(*, user: User, mood: EmotionEstimate, text: str, count: int) -> list[RecommendedTrack]:
    """What the agent picks for this mood and these words; ``manage.py recommend`` prints the same."""
    target = listening_target(mood, text)
    return recommender_services.recommend_tracks(
        user=user,
        label=target.label,
        valence=target.valence,
        arousal=target.arousal,
        text=text,
        count=count,
        strategy=target.strategy,
    )


def _recommend_or_explain(*, user: User, mood: EmotionEstimate, text: str, count: int) -> list[dict]:
    try:
        picks = recommend_for_mood(user=user, mood=mood, text=text, count=count)
    except Exception as exc:
        logger.exception("recommendation failed for user %s", user.pk)
        raise TurnError("I couldn't pick tracks just now — your message is saved; please try again.") from exc
    return [pick.as_dict() for pick in picks]
