"""Reply wording for the offline agent: varied, short, and honest about what it did."""

from __future__ import annotations

import random

from mood.perception import EmotionEstimate

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
_SMALL_TALK = (
    "Hi {name}! Tell me how you're feeling, or ask me for music — I'll pick tracks to match.",
    "Hey {name}, good to see you. How's your day going? I can find music for any mood.",
    "Hello {name}! What are you in the mood for today?",
)
_THANKS = ("You're welcome! Ask any time.", "Glad it helps. Want more?", "Anytime — enjoy the music.")


# What the listener asked to hear decides the tone when they asked for it ("something calm").
_TARGET_OPENERS: dict[str, tuple[str, ...]] = {
    "calm": ("Let's slow things down a little.", "Something gentle, then.", "Easy does it."),
    "energize": ("Let's get you moving!", "Energy coming up.", "Time to turn it up."),
}

_LIFT_OPENERS = (
    "Let's lift you up a little.",
    "Here's something brighter to pull you up.",
    "Let's nudge the mood upward.",
)


def small_talk_reply(name: str, rng: random.Random) -> str:
    return rng.choice(_SMALL_TALK).format(name=name)


def thanks_reply(rng: random.Random) -> str:
    return rng.choice(_THANKS)


_GOODBYE = ("Bye for now — enjoy the music!", "See you soon. I'll be here when you need a soundtrack.")
_CAPABILITIES = (
    "I pick music for how you feel and what you like. Tell me your mood or ask for something "
    "(“something calm”, “5 jazz tracks”, “more like the second one”); I can save a list as a playlist "
    "on your Spotify, add or remove tracks, show your top tracks and artists and what you played "
    "lately, explain a pick, and remember what you want no more of (“no more rap”)."
)
_UNSUPPORTED = (
    "That's outside what I can do — I can't control devices or playback, or answer general questions. "
    "I can pick music for your mood, make and edit Spotify playlists, and show your listening.",
    "Sorry, I can't do that one. I'm a music companion: recommendations, playlists on your Spotify, "
    "and a look at what you've been playing.",
)
_DECLINED = ("No problem — I'm here whenever you want music.", "Sure, just say when.")
_OFFERS: dict[str, tuple[str, ...]] = {
    "sadness": ("Want me to put on something gentle?", "Shall I find something soft to keep you company?"),
    "fear": ("Want me to play something calming?", "Shall I put on something to help you unwind?"),
    "anger": ("Want me to play something to let off steam — or to cool down?",),
    "joy": ("Want me to play something to match the mood?", "Shall I put on something upbeat?"),
    "disgust": ("Want me to put on something to clear your head?",),
    "surprise": ("Want me to find a soundtrack for that?",),
    "neutral": ("Want me to put on something for right now?", "Shall I pick a few tracks for you?"),
}
_CHAT_OPENERS: dict[str, tuple[str, ...]] = {
    "sadness": ("I'm sorry — that sounds hard.", "That sounds heavy. I'm here."),
    "fear": ("That sounds stressful.", "That's a lot to carry."),
    "anger": ("That sounds really frustrating.", "Ugh, I'd be annoyed too."),
    "joy": ("That's great to hear!", "Love that!"),
    "disgust": ("Yuck, that sounds unpleasant.",),
    "surprise": ("Whoa, really?", "No way!"),
    "neutral": ("I hear you.", "Tell me more about it.", "Got it."),
}


def offer_reply(mood: EmotionEstimate, rng: random.Random) -> str:
    """Meet the listener where they are and *ask* before playing: a list is not forced on anyone."""
    label = mood.label if mood.confidence >= 0.5 else "neutral"
    opener = rng.choice(_CHAT_OPENERS.get(label, _CHAT_OPENERS["neutral"]))
    return f"{opener} {rng.choice(_OFFERS.get(label, _OFFERS['neutral']))}"


def spoken_reply(
    kind: str, *, mood: EmotionEstimate, name: str, rng: random.Random, clarify: str | None = None
) -> str:
    """The reply for a turn that calls no tool."""
    if kind == "greet":
        return small_talk_reply(name, rng)
    if kind == "thanks":
        return thanks_reply(rng)
    if kind == "goodbye":
        return rng.choice(_GOODBYE)
    if kind == "capabilities":
        return _CAPABILITIES
    if kind == "unsupported":
        return rng.choice(_UNSUPPORTED)
    if kind == "declined":
        return rng.choice(_DECLINED)
    if kind == "clarify" and clarify:
        return clarify
    return offer_reply(mood, rng)


def tools_reply(
    results: list[tuple[str, bool, str, dict]], *, mood: EmotionEstimate, rng: random.Random
) -> str:
    """One reply from what the tools did: (tool, ok, summary, data) in call order."""
    parts: list[str] = []
    for tool, ok, summary, data in results:
        if tool == "recommend_tracks" and ok:
            if data.get("explicit_withheld"):
                parts.append(summary)  # it opens with why the named track is not among them
            elif data.get("like"):
                parts.append(f"{rng.choice(('Here you go.', 'Sure.', 'Good pick.'))} {summary}")
            elif data.get("lifted"):
                parts.append(f"{rng.choice(_LIFT_OPENERS)} {summary}")
            else:
                target = (data.get("target") or {}).get("label", mood.label)
                openers = _TARGET_OPENERS.get(target) or _MOOD_OPENERS.get(
                    mood.label, _MOOD_OPENERS["neutral"]
                )
                parts.append(f"{rng.choice(openers)} {summary}")
        else:
            parts.append(summary)
    return " ".join(parts)
