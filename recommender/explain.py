"""Why a track was picked, in the listener's words: the card a ranked candidate becomes.

Plain functions over a pooled row and its score parts; no database.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mood.track_mood import TRACK_MOODS, mood_of
from recommender.pool import MOOD_SOURCE, TrackRow
from recommender.types import RecommendedTrack

SOURCE_WORDS = {
    "artists": "from artists you listen to",
    "cooccurrence": "often played alongside your tracks",
    "popular": "popular right now",
    MOOD_SOURCE: "a catalog find for this mood",
}


def history_tie(parts: dict[str, float]) -> str | None:
    """Which of the listener's histories a track is close to, as the card says it: "recent", "top" or None."""
    recent, top = parts.get("recent", 0), parts.get("top", 0)
    if recent > 0.8 * max(top, 0.01) and recent > 0.3:
        return "recent"
    return "top" if top > 0.3 else None


def explanation(*, reason: str, sources: Sequence[str], parts: dict[str, float]) -> str:
    """The mood reason, where the track came from, and its strongest personal tie, in plain words."""
    bits = [reason]
    where = next((SOURCE_WORDS[s] for s in sources if s in SOURCE_WORDS), "")
    if where:
        bits.append(where)
    tie = history_tie(parts)
    if tie:
        bits.append({"recent": "close to what you've played lately", "top": "close to your favourites"}[tie])
    if parts.get("preference", 0) > 0:
        bits.append("matches what you asked for")
    if parts.get("feedback", 0) > 0:
        bits.append("you liked similar tracks")
    return " · ".join(bits)


# Score parts a person would name, strongest first, as the second half of a spoken reason.
PART_SAYINGS = {
    "recent": "it's close to what you've been playing lately",
    "top": "it's close to your all-time favourites",
    "feedback": "you liked tracks like it",
    "preference": "it matches what you asked me for",
    "popularity": "lots of people are playing it",
}
PERSONAL_PARTS = ("recent", "top", "feedback", "preference", "popularity")


def spoken_reason(*, described: str, reason: str, mood: str, parts: dict[str, float]) -> str:
    """ "Why that one?" in one or two sentences, from the track's real score parts.

    The first sentence is the mood fit (the card's reason); the second names the strongest of
    the listener's own ties, when one carried real weight, with its share of the score.
    """
    fit = reason.split(" · ")[0].strip() if reason else ""
    first = (
        f"I picked {described} because it's {fit[0].lower()}{fit[1:]}." if fit else f"I picked {described}."
    )
    if mood and not fit:
        first = f"I picked {described} because it sounds {mood}."
    positive = {name: value for name, value in parts.items() if value > 0}
    total = sum(positive.values())
    ties = sorted(
        ((positive.get(name, 0.0), name) for name in PERSONAL_PARTS if positive.get(name, 0.0) > 0),
        reverse=True,
    )
    if not ties or total <= 0 or ties[0][0] / total < 0.1:
        return first
    value, name = ties[0]
    if name in ("recent", "top") and history_tie(parts) not in (None, name):
        name = history_tie(parts) or name  # say what the card says when close to both histories
        value = positive[name]
    return (
        f"{first} Beyond the mood, {PART_SAYINGS[name]} (about {round(100 * value / total)}% of its score)."
    )


# The track's mood, as the card's reason opens with it, and what the target was for.
MOOD_WORDS = {"happy": "happy", "sad": "sad", "calm": "calm", "energetic": "energetic"}
TARGET_WORDS = {
    "happy": "for a happy mood",
    "sad": "to stay with a low mood",
    "calm": "to help you unwind",
    "energetic": "to lift your energy",
}
SURE = 0.6  # below this the reason says "leaning calm" rather than "calm"


def mood_reason(
    *, moods: np.ndarray | None, target: np.ndarray, genre: str, acousticness: float | None, lift: bool
) -> str:
    """ "Calm acoustic ambient — to help you unwind": the track's learned mood, what it is, and
    what the list is for, in words a listener uses."""
    kind = " ".join(word for word in ("acoustic" if (acousticness or 0) >= 0.6 else "", genre) if word)
    aim = "to lift your mood" if lift else TARGET_WORDS[TRACK_MOODS[int(np.argmax(target))]]
    if moods is None or np.isnan(moods).any():
        described = kind or "track"
        return f"{described[0].upper()}{described[1:]} close to your words — {aim}"
    mood, confidence = mood_of(moods)
    adjective = MOOD_WORDS[mood] if confidence >= SURE else f"leaning {MOOD_WORDS[mood]}"
    described = f"{adjective} {kind or 'track'}"
    return f"{described[0].upper()}{described[1:]} — {aim}"


def recommended_track(
    track: TrackRow,
    artists: list[tuple[int, str]],
    *,
    score: float,
    parts: dict[str, float],
    sources: list[str],
    valence: float,
    energy: float,
    moods: np.ndarray,
    target: np.ndarray,
    lift: bool,
) -> RecommendedTrack:
    """The card for one pick: ``valence``/``energy`` as ranked (NaN when unknown), its learned
    mood, and the reason in words; when ``lift``, the reason says it is there to lift the mood."""
    known_valence = None if np.isnan(valence) else float(valence)
    known_energy = None if np.isnan(energy) else float(energy)
    known_moods = None if np.isnan(moods).any() else moods
    reason = mood_reason(
        moods=known_moods, target=target, genre=track.genre, acousticness=track.acousticness, lift=lift
    )
    mood, confidence = mood_of(known_moods) if known_moods is not None else ("", None)
    return RecommendedTrack(
        track_id=track.id,
        spotify_id=track.spotify_id,
        name=track.name,
        artists=[name for _, name in artists],
        album=track.album_name,
        image=track.album_image,
        duration_ms=track.duration_ms,
        genre=track.genre,
        valence=known_valence,
        energy=known_energy,
        score=score,
        reason=explanation(reason=reason, sources=sources, parts=parts),
        sources=sources,
        parts={name: round(value, 4) for name, value in parts.items()},
        lifted=lift,
        mood=mood,
        mood_confidence=None if confidence is None else round(confidence, 2),
    )
