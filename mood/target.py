"""From how the listener feels to what they should hear, and where in the music that is.

Perception says where the listener *is*; a request ("play something calm") or a mood that
calls for soothing (stress) moves the listening target (``listening_target``, circumplex
coordinates). ``target_region`` then places a target in Spotify's valence/energy square,
where tracks are described. The recommender only sees the target.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .perception import EmotionEstimate

MoodStrategy = Literal["match", "lift"]

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
_LIFT = re.compile(
    r"\b(lift|cheer|pick) (me )?up\b|\bfeel better\b|\bhappier\b|\bbrighten\b|\buplifting\b", re.I
)
_STAY = re.compile(r"\bstay with me\b|\bmatch(es)? my mood\b|\bsit with\b|\bwallow\b|\blean into\b", re.I)


def requested_strategy(text: str) -> str | None:
    """ "lift me up" → lift, "stay with me" → stay, otherwise the listener's own setting (None)."""
    if _LIFT.search(text):
        return "lift"
    if _STAY.search(text):
        return "stay"
    return None


@dataclass(frozen=True)
class ListeningTarget:
    """``label`` names the target for the recommender's wording: an emotion, ``calm`` or ``energize``."""

    label: str
    valence: float
    arousal: float
    strategy: str | None = None  # "stay" | "lift" | None (use the listener's setting)


def listening_target(mood: EmotionEstimate, text: str) -> ListeningTarget:
    words = set(_TOKEN.findall(text.lower()))
    strategy = requested_strategy(text)
    if words & CALM_REQUESTS:
        return ListeningTarget("calm", max(mood.valence, 0.0), min(mood.arousal, -0.6), strategy)
    if words & ENERGY_REQUESTS:
        return ListeningTarget("energize", max(mood.valence, 0.4), max(mood.arousal, 0.6), strategy)
    if mood.label == "fear":
        # Stress and worry: meet it gently rather than amplify it.
        return ListeningTarget("calm", max(mood.valence, -0.2), min(mood.arousal, -0.4), strategy)
    return ListeningTarget(mood.label, mood.valence, mood.arousal, strategy)


@dataclass(frozen=True)
class TargetRegion:
    """Where in Spotify's valence/energy square a mood wants tracks, and how strictly."""

    valence: float
    energy: float
    width: float


def _clip(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def target_region(valence: float, arousal: float, *, strategy: MoodStrategy = "match") -> TargetRegion:
    """Map emotion coordinates in [-1, 1] onto Spotify's valence/energy in [0, 1].

    The centre is kept off the edges (few tracks sit at 0 or 1), and a confident, extreme
    mood gets a narrower region than a neutral one. ``lift`` aims a little brighter than
    the listener feels, for people who want music to pull them up rather than meet them.
    """
    valence = _clip(valence, -1.0, 1.0)
    arousal = _clip(arousal, -1.0, 1.0)
    target_valence = 0.5 + 0.4 * valence
    target_energy = 0.5 + 0.4 * arousal
    if strategy == "lift" and valence < 0.2:
        target_valence = min(0.6, target_valence + 0.25)
        target_energy = _clip(target_energy + 0.1, 0.1, 0.9)
    extremity = max(abs(valence), abs(arousal))
    return TargetRegion(valence=target_valence, energy=target_energy, width=0.3 - 0.1 * extremity)
