"""Reply wording for the offline agent: varied, short, and honest about what it did."""

from __future__ import annotations

import random

from .emotion import EmotionEstimate

_MOOD_OPENERS: dict[str, tuple[str, ...]] = {
    "sadness": (
        "I'm sorry you're feeling low.",
        "That sounds like a heavy day.",
        "Sending you something gentle.",
    ),
    "joy": ("Love that energy!", "Great to hear you're in a good mood.", "Let's keep the good vibes going."),
    "anger": ("That sounds frustrating.", "Sounds like you need to let some steam out.", "Ugh, I hear you."),
    "fear": ("That sounds stressful.", "Let's slow things down a little.", "Take a breath with me."),
    "disgust": ("That sounds unpleasant.", "Let's wash that away with some music."),
    "surprise": ("Whoa, didn't see that coming!", "What a twist."),
    "neutral": ("Here's a mix for right now.", "Got it.", "Here's something to listen to."),
}
_PICK_LINES = (
    "Here are {n} tracks that fit.",
    "I picked {n} tracks for this mood.",
    "These {n} should fit how you feel.",
)
_SMALL_TALK = (
    "Hi {name}! Tell me how you're feeling, or ask me for music — I'll pick tracks to match.",
    "Hey {name}, good to see you. How's your day going? I can find music for any mood.",
    "Hello {name}! What are you in the mood for today?",
)
_THANKS = ("You're welcome! Ask any time.", "Glad it helps. Want more?", "Anytime — enjoy the music.")


_LIFT_OPENERS = (
    "Let's lift you up a little.",
    "Here's something brighter to pull you up.",
    "Let's nudge the mood upward.",
)


def recommendation_reply(mood: EmotionEstimate, count: int, rng: random.Random, *, lift: bool = False) -> str:
    if count == 0:
        return (
            "I couldn't find tracks for that yet — the catalog may still be loading. Try again in a minute."
        )
    if lift:
        return f"{rng.choice(_LIFT_OPENERS)} {rng.choice(_PICK_LINES).format(n=count)}"
    opener = rng.choice(_MOOD_OPENERS.get(mood.label, _MOOD_OPENERS["neutral"]))
    return f"{opener} {rng.choice(_PICK_LINES).format(n=count)}"


def small_talk_reply(name: str, rng: random.Random) -> str:
    return rng.choice(_SMALL_TALK).format(name=name)


def thanks_reply(rng: random.Random) -> str:
    return rng.choice(_THANKS)
