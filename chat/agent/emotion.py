"""Emotion perception: a mood label with valence/arousal from what the listener writes.

This first detector is a lexicon with negation handling and a little context from the
previous turns; it is deliberately simple and honest about its confidence. The trained
MiniLM head (``train_emotion``) replaces the scoring, not this interface.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

LABELS = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")

# Russell's circumplex, roughly: where each label sits in valence/arousal, both in [-1, 1].
LABEL_COORDINATES: dict[str, tuple[float, float]] = {
    "anger": (-0.6, 0.7),
    "disgust": (-0.6, 0.3),
    "fear": (-0.7, 0.6),
    "joy": (0.8, 0.5),
    "neutral": (0.0, 0.0),
    "sadness": (-0.7, -0.4),
    "surprise": (0.3, 0.7),
}

# A few words with a calm or excited tone move arousal without changing the label.
CALM_WORDS = {
    "calm",
    "chill",
    "relax",
    "relaxed",
    "relaxing",
    "peaceful",
    "sleepy",
    "tired",
    "quiet",
    "mellow",
}
ENERGY_WORDS = {"energetic", "pumped", "hyped", "party", "workout", "dance", "excited", "wild"}

LEXICON: dict[str, set[str]] = {
    "sadness": {
        "sad",
        "down",
        "blue",
        "depressed",
        "unhappy",
        "lonely",
        "miserable",
        "heartbroken",
        "cry",
        "crying",
        "gloomy",
        "low",
        "hurt",
        "grief",
        "grieving",
        "melancholy",
        "melancholic",
        "upset",
        "lost",
        "empty",
        "broken",
        "miss",
        "missing",
        "sorrow",
        "tearful",
        "disappointed",
        "hopeless",
    },
    "joy": {
        "happy",
        "glad",
        "great",
        "good",
        "joy",
        "joyful",
        "cheerful",
        "excited",
        "amazing",
        "awesome",
        "wonderful",
        "fantastic",
        "love",
        "loving",
        "delighted",
        "thrilled",
        "content",
        "elated",
        "fun",
        "celebrate",
        "celebrating",
        "grateful",
        "proud",
        "blessed",
        "ecstatic",
        "upbeat",
    },
    "anger": {
        "angry",
        "mad",
        "furious",
        "annoyed",
        "irritated",
        "pissed",
        "rage",
        "hate",
        "frustrated",
        "frustrating",
        "livid",
        "outraged",
        "resent",
        "fuming",
    },
    "fear": {
        "scared",
        "afraid",
        "anxious",
        "anxiety",
        "nervous",
        "worried",
        "worry",
        "stressed",
        "stress",
        "terrified",
        "panic",
        "panicking",
        "fear",
        "uneasy",
        "overwhelmed",
        "tense",
        "dread",
    },
    "disgust": {"disgusted", "gross", "sick", "revolting", "disgusting", "nauseous", "yuck", "awful"},
    "surprise": {"surprised", "shocked", "wow", "unexpected", "astonished", "amazed", "whoa", "stunned"},
}
_WORD_TO_LABEL = {word: label for label, words in LEXICON.items() for word in words}
NEGATIONS = {
    "not",
    "no",
    "never",
    "isn't",
    "isnt",
    "don't",
    "dont",
    "didn't",
    "didnt",
    "hardly",
    "nothing",
    "aren't",
}
INTENSIFIERS = {"very", "so", "really", "extremely", "super", "totally", "too"}
_OPPOSITE = {
    "joy": "sadness",
    "sadness": "joy",
    "anger": "neutral",
    "fear": "neutral",
    "disgust": "neutral",
    "surprise": "neutral",
}
_TOKEN = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class EmotionEstimate:
    label: str
    valence: float
    arousal: float
    confidence: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


NEUTRAL = EmotionEstimate("neutral", 0.0, 0.0, 0.3)


def _score_text(text: str) -> dict[str, float]:
    tokens = _TOKEN.findall(text.lower())
    scores: dict[str, float] = {}
    for index, token in enumerate(tokens):
        label = _WORD_TO_LABEL.get(token)
        if label is None:
            continue
        window = tokens[max(0, index - 3) : index]
        weight = 1.5 if any(word in INTENSIFIERS for word in window) else 1.0
        if any(word in NEGATIONS for word in window):
            label = _OPPOSITE[label]
            weight *= 0.7
        scores[label] = scores.get(label, 0.0) + weight
    return scores


def _arousal_shift(text: str) -> float:
    tokens = set(_TOKEN.findall(text.lower()))
    return 0.3 * len(tokens & ENERGY_WORDS) - 0.3 * len(tokens & CALM_WORDS)


def mood_from_text(text: str, context: Sequence[str] = ()) -> EmotionEstimate:
    """The mood in ``text``; earlier listener turns (oldest first) count at half weight.

    Returns neutral with low confidence when nothing in the words signals a mood.
    """
    scores = _score_text(text)
    for previous in context[-2:]:
        for label, value in _score_text(previous).items():
            scores[label] = scores.get(label, 0.0) + 0.5 * value
    shift = _arousal_shift(text)
    if not scores:
        return EmotionEstimate("neutral", 0.0, max(-1.0, min(1.0, shift)), 0.3)
    label = max(scores, key=lambda key: scores[key])
    total = sum(scores.values())
    confidence = round(min(0.95, 0.45 + 0.5 * scores[label] / total * min(1.0, total / 1.5)), 2)
    valence, arousal = LABEL_COORDINATES[label]
    return EmotionEstimate(label, valence, max(-1.0, min(1.0, arousal + shift)), confidence)
