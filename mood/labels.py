"""The moods, defined once: what perception can read, where each sits, and what people call them.

Everything that names a mood — perception, the listening target, tastes ("no more sad
music"), the tools an LLM calls, the chat page's correction menu — takes it from here.
"""

from __future__ import annotations

from typing import Literal, get_args

# What perception reads from a message (MELD's seven classes).
Emotion = Literal["anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"]
LABELS: tuple[str, ...] = get_args(Emotion)

# Listening targets the agent can ask for beyond the emotions it perceives.
Target = Literal["calm", "energize"]
TARGETS: tuple[str, ...] = get_args(Target)

# Any mood a listener can ask for, like or avoid.
Mood = Literal[Emotion, Target]
MOODS: tuple[str, ...] = LABELS + TARGETS

# Russell's circumplex, roughly: where each emotion sits in valence/arousal, both in [-1, 1].
LABEL_COORDINATES: dict[str, tuple[float, float]] = {
    "anger": (-0.6, 0.7),
    "disgust": (-0.6, 0.3),
    "fear": (-0.7, 0.6),
    "joy": (0.8, 0.5),
    "neutral": (0.0, 0.0),
    "sadness": (-0.7, -0.4),
    "surprise": (0.3, 0.7),
}

# How the app names a mood to the listener (menus, tastes: "no more sad music").
MOOD_NAMES: dict[str, str] = {
    "anger": "angry",
    "disgust": "disgust",
    "fear": "dark",
    "joy": "happy",
    "neutral": "neutral",
    "sadness": "sad",
    "surprise": "surprise",
    "calm": "calm",
    "energize": "energetic",
}

# How a perceived mood is shown to the listener ("Mood: anxious / stressed"): the words they would
# use about themselves, where MOOD_NAMES names the mood of music ("no more sad music").
MOOD_DISPLAY: dict[str, str] = {
    "anger": "angry / frustrated",
    "disgust": "fed up / disgusted",
    "fear": "anxious / stressed",
    "joy": "happy / upbeat",
    "neutral": "neutral / no strong mood",
    "sadness": "down / sad",
    "surprise": "surprised / caught off guard",
    "calm": "calm / relaxed",
    "energize": "energetic / pumped",
}


def mood_display(label: str) -> str:
    """The listener's words for a mood label; an unknown label is shown as it is."""
    return MOOD_DISPLAY.get(label, label)


# Words people use for the mood of music, and the mood each one means.
MOOD_WORDS: dict[str, str] = {
    "sad": "sadness",
    "melancholic": "sadness",
    "depressing": "sadness",
    "gloomy": "sadness",
    "happy": "joy",
    "cheerful": "joy",
    "upbeat": "joy",
    "angry": "anger",
    "aggressive": "anger",
    "dark": "fear",
    "creepy": "fear",
    "calm": "calm",
    "chill": "calm",
    "mellow": "calm",
    "relaxing": "calm",
    "energetic": "energize",
    "hype": "energize",
    "loud": "energize",
}


def mood_named(word: str) -> str | None:
    """The mood a word or label means ("Sad", "sadness", "chill"), or None."""
    word = word.strip().lower()
    if word in MOODS:
        return word
    return MOOD_WORDS.get(word)
