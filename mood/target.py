"""From how the listener feels to what they should hear, and where in the music that is.

Perception says where the listener *is*; a request ("play something calm", "heading to the
gym") or a mood that calls for soothing (stress) moves the listening target
(``listening_target``). The target is a mix of the track moods people label music with
(``mood.track_mood``: happy, sad, calm, energetic), and tracks are ranked by how likely each
is to carry those moods — learned from human labels, not a hand-placed region.

What is a vocabulary and what is learned: which words ask for which mood ("unwind" asks for
calm, "heartbroken" is sadness) is a word list; where each mood's tracks lie in
valence/energy, and what a catalog playlist's name says about mood ("Chill Lofi Study
Beats", "Throwback Party"), are learned from labelled tracks. ``target_region`` (the old
hand-placed valence/energy region) is kept only for the evaluation's "region share".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from .encoder import embed_recent
from .perception import EmotionEstimate
from .track_mood import TRACK_MOODS, TrackMoodModel, track_mood_model

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
    "focus",
    "study",
    "studying",
    "meditate",
    "meditation",
    "yoga",
}
ENERGY_REQUESTS = {
    "energetic",
    "energy",
    "pump",
    "pumped",
    "hype",
    "workout",
    "dance",
    "gym",
    "running",
    "training",
    "lifting",
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


# Mood words that ask for music of that mood when the message is about music ("sad songs",
# "play something happy"); on their own ("I'm sad") they are a feeling, read by perception.
MOOD_REQUEST_WORDS: dict[str, str] = {
    "happy": "happy",
    "cheerful": "happy",
    "upbeat": "happy",
    "feel-good": "happy",
    "sad": "sad",
    "melancholic": "sad",
    "melancholy": "sad",
    "depressing": "sad",
    "heartbreak": "sad",
    "breakup": "sad",
    "calm": "calm",
    "chill": "calm",
    "mellow": "calm",
    "relaxing": "calm",
    "peaceful": "calm",
    "soothing": "calm",
    "energetic": "energetic",
    "hype": "energetic",
    "intense": "energetic",
    "aggressive": "energetic",
}
_MUSIC_WORDS = re.compile(
    r"\b(songs?|music|tracks?|tunes|playlist|something|anything|stuff|vibes?|play|put on|give me)\b", re.I
)
# Which track moods an emotion asks for when the listener wants music that stays with them,
# and when they want it to lift them (names matched to names: sadness ↔ sad, stress → calm).
STAY_MOODS: dict[str, dict[str, float]] = {
    "joy": {"happy": 0.8, "energetic": 0.2},
    "sadness": {"sad": 0.85, "calm": 0.15},
    "anger": {"energetic": 0.85, "sad": 0.15},
    "fear": {"calm": 1.0},  # stress and worry: meet it gently rather than amplify it
    "disgust": {"energetic": 0.6, "sad": 0.4},
    "surprise": {"happy": 0.6, "energetic": 0.4},
    "neutral": {"happy": 0.35, "energetic": 0.25, "calm": 0.25, "sad": 0.15},
    # Listening targets the agent names directly.
    "calm": {"calm": 1.0},
    "energize": {"energetic": 1.0},
}
LIFT_MOODS: dict[str, dict[str, float]] = {
    "neutral": {"happy": 0.7, "energetic": 0.3},
    "sadness": {"happy": 0.65, "calm": 0.35},
    "anger": {"calm": 0.6, "happy": 0.4},
    "fear": {"calm": 0.7, "happy": 0.3},
    "disgust": {"happy": 0.7, "calm": 0.3},
}
REQUEST_SHARE = 0.85  # a clear request outweighs the perceived mood
PLAYLIST_MATCH = 0.45  # a catalog playlist name this close to the words counts as a request


def _distribution(weights: dict[str, float]) -> np.ndarray:
    values = np.array([weights.get(mood, 0.0) for mood in TRACK_MOODS], dtype=np.float64)
    return values / values.sum()


@dataclass(frozen=True)
class ListeningTarget:
    """``label`` names the target for the recommender's wording: an emotion, ``calm`` or ``energize``;
    ``moods`` is the mix of track moods asked for (TRACK_MOODS order), empty when unknown."""

    label: str
    valence: float
    arousal: float
    strategy: str | None = None  # "stay" | "lift" | None (use the listener's setting)
    moods: tuple[float, ...] = field(default=())

    @property
    def track_mood(self) -> str:
        """The track mood the target is mostly about ("" when ``moods`` is unknown)."""
        return TRACK_MOODS[int(np.argmax(self.moods))] if self.moods else ""


def requested_moods(text: str, *, model: TrackMoodModel | None = None) -> np.ndarray | None:
    """The track moods the words ask for, or None when they ask for none.

    Activity words (``CALM_REQUESTS``, ``ENERGY_REQUESTS``) and mood words about music are read
    from the vocabulary; otherwise a catalog playlist whose name is close to the words lends
    its learned mood mix ("party time" → "Throwback Party": mostly happy, partly energetic).
    """
    lowered = text.lower()
    words = set(_TOKEN.findall(lowered))
    asked: dict[str, float] = {}
    if words & CALM_REQUESTS:
        asked["calm"] = 1.0
    if words & ENERGY_REQUESTS:
        asked["energetic"] = asked.get("energetic", 0.0) + 1.0
    if _MUSIC_WORDS.search(lowered):
        for word in words | set(re.findall(r"[a-z]+-[a-z]+", lowered)):
            if word in MOOD_REQUEST_WORDS:
                asked[MOOD_REQUEST_WORDS[word]] = asked.get(MOOD_REQUEST_WORDS[word], 0.0) + 1.0
    if asked:
        return _distribution(asked)
    return _playlist_moods(text, model or track_mood_model())


@functools.lru_cache(maxsize=256)
def _playlist_moods(text: str, model: TrackMoodModel) -> np.ndarray | None:
    """Cached: a turn asks for its words' target more than once (perception, then the ranker)."""
    if not len(model.playlist_names) or not text.strip():
        return None
    # embed_recent: most often these are the message's own words, which the intent classifier
    # embedded a moment ago; a second pass over them would cost a chat turn ~5 ms of CPU.
    words = text[:300]
    similarity = model.playlist_embeddings @ embed_recent([words])[words]
    close = similarity >= PLAYLIST_MATCH
    if not close.any():
        return None
    weights = np.exp((similarity[close] - similarity.max()) / 0.05)
    mix = weights @ model.playlist_moods[close]
    return mix / mix.sum()


# The track mood a mood name listeners use stands for ("no more sad music" → sad).
TRACK_MOOD_OF = {"joy": "happy", "sadness": "sad", "calm": "calm", "energize": "energetic"}


def avoided_track_moods(moods: Iterable[str]) -> set[int]:
    """Indices (TRACK_MOODS order) of the track moods named, as track moods or as listeners name them."""
    named = {TRACK_MOOD_OF.get(mood, mood) for mood in moods}
    return {TRACK_MOODS.index(mood) for mood in named if mood in TRACK_MOODS}


def target_without(target: np.ndarray, avoided: set[int]) -> np.ndarray:
    """The target with the avoided moods taken out (the rest shared evenly when nothing is left)."""
    if not avoided:
        return target
    kept = np.asarray(target, dtype=np.float64).copy()
    kept[sorted(avoided)] = 0.0
    if kept.sum() <= 0:
        kept = np.array([0.0 if i in avoided else 1.0 for i in range(len(TRACK_MOODS))])
    return kept / kept.sum()


def felt_moods(label: str, *, lift: bool) -> np.ndarray:
    """The track moods a perceived emotion asks for, staying with it or lifting it."""
    table = LIFT_MOODS if lift and label in LIFT_MOODS else STAY_MOODS
    return _distribution(table.get(label, STAY_MOODS["neutral"]))


def target_moods(label: str, text: str, *, lift: bool) -> np.ndarray:
    """The full mix: a clear request mostly, the perceived emotion for the rest."""
    felt = felt_moods(label, lift=lift)
    asked = requested_moods(text) if text else None
    if asked is None:
        return felt
    return REQUEST_SHARE * asked + (1 - REQUEST_SHARE) * felt


def listening_target(mood: EmotionEstimate, text: str) -> ListeningTarget:
    words = set(_TOKEN.findall(text.lower()))
    strategy = requested_strategy(text)
    moods = tuple(float(v) for v in target_moods(mood.label, text, lift=strategy == "lift"))
    if words & CALM_REQUESTS:
        return ListeningTarget("calm", max(mood.valence, 0.0), min(mood.arousal, -0.6), strategy, moods)
    if words & ENERGY_REQUESTS:
        return ListeningTarget("energize", max(mood.valence, 0.4), max(mood.arousal, 0.6), strategy, moods)
    if mood.label == "fear":
        # Stress and worry: meet it gently rather than amplify it.
        return ListeningTarget("calm", max(mood.valence, -0.2), min(mood.arousal, -0.4), strategy, moods)
    return ListeningTarget(mood.label, mood.valence, mood.arousal, strategy, moods)


def mood_centre(
    moods: np.ndarray | tuple[float, ...], model: TrackMoodModel | None = None
) -> tuple[float, float]:
    """Where a mix of track moods lies in Spotify's valence/energy: the learned centroids, mixed."""
    centre = np.asarray(moods, dtype=np.float64) @ (model or track_mood_model()).centroids
    return float(centre[0]), float(centre[1])


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
