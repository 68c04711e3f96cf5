"""From how the listener feels to what they should hear.

Perception says where the listener *is*; a request ("play something calm") or a mood that
calls for soothing (stress) moves the listening target. The recommender only sees the target.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .emotion import EmotionEstimate

CALM_REQUESTS = {
    "calm",
    "chill",
    "relax",
    "relaxing",
    "soothing",
    "peaceful",
    "quiet",
    "mellow",
    "sleep",
    "unwind",
}
ENERGY_REQUESTS = {
    "energetic",
    "energy",
    "pump",
    "pumped",
    "hype",
    "party",
    "workout",
    "dance",
    "upbeat",
    "gym",
}
_TOKEN = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class ListeningTarget:
    """``label`` names the target for the recommender's wording: an emotion, ``calm`` or ``energize``."""

    label: str
    valence: float
    arousal: float


def listening_target(mood: EmotionEstimate, text: str) -> ListeningTarget:
    words = set(_TOKEN.findall(text.lower()))
    if words & CALM_REQUESTS:
        return ListeningTarget("calm", max(mood.valence, 0.0), min(mood.arousal, -0.6))
    if words & ENERGY_REQUESTS:
        return ListeningTarget("energize", max(mood.valence, 0.4), max(mood.arousal, 0.6))
    if mood.label == "fear":
        # Stress and worry: meet it gently rather than amplify it.
        return ListeningTarget("calm", max(mood.valence, -0.2), min(mood.arousal, -0.4))
    return ListeningTarget(mood.label, mood.valence, mood.arousal)
