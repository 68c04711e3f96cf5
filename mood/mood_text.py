"""Words for moods: track descriptions, mood queries and reasons share one vocabulary.

Tracks are embedded from a short English description of how they feel, and a listener's
mood is embedded from a description written with the same words, so "sad and calm" on
the query side lands near tracks described as "sad, calm". Audio features use Spotify's
[0, 1] scales; emotion coordinates use the circumplex's [-1, 1].

Descriptions are deliberately terse: embedding time is linear in tokens. On the demo
catalog (``bench/embeddings.py --retrieval``), dropping the track title and artists, the
"Genre:"-style labels, the key and one synonym per band cut texts from ~46 to ~24 tokens,
while the mood queries' top 50 moved closer to their valence/energy target and their genre
precision rose. Titles hurt most: a track called "Mood" matched every mood query. Words are
single WordPiece tokens where a synonym allows.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence

# (upper bound, words): the first band whose bound exceeds the value wins.
VALENCE_BANDS: tuple[tuple[float, str], ...] = (
    (0.2, "sad, dark"),
    (0.4, "melancholy, somber"),
    (0.6, "reflective, bittersweet"),
    (0.8, "warm, cheerful"),
    (1.01, "happy, joyful"),
)
ENERGY_BANDS: tuple[tuple[float, str], ...] = (
    (0.2, "calm, quiet"),
    (0.4, "soft, relaxed"),
    (0.6, "steady, moderate"),
    (0.8, "lively, upbeat"),
    (1.01, "intense, energetic"),
)
# Reasons use one adjective per axis, in the same order as the bands above.
VALENCE_ADJECTIVES = ("heartbroken", "melancholic", "bittersweet", "warm", "joyful")
ENERGY_ADJECTIVES = ("gentle", "mellow", "steady", "upbeat", "intense")

# The circumplex quadrant names the feeling both axes make together (sad-calm vs angry-loud).
QUADRANT_WORDS = {
    ("low", "low"): "lonely, sorrowful",
    ("low", "high"): "angry, aggressive, tense",
    ("high", "low"): "peaceful, content",
    ("high", "high"): "euphoric, party",
}

LABEL_WORDS = {
    "anger": "angry, furious",
    "disgust": "fed up, bitter",
    "fear": "anxious, tense",
    "joy": "happy, joyful",
    "neutral": "easygoing",
    "sadness": "sad, melancholy",
    "surprise": "surprised, excited",
    # Listening targets the agent asks for, beyond the emotions it perceives.
    "calm": "calm, peaceful, soothing",
    "energize": "energetic, upbeat, driving",
}
LABEL_FIT = {
    "anger": "fits an angry mood",
    "disgust": "fits a fed-up mood",
    "fear": "fits an anxious mood",
    "joy": "fits a happy mood",
    "neutral": "an easy pick for right now",
    "sadness": "fits a low mood",
    "surprise": "fits an excited mood",
    "calm": "to help you unwind",
    "energize": "to lift your energy",
}
MAX_USER_TEXT_CHARS = 300

# Lyrics become at most a few mood words, never quoted text: each word below is scored by
# how often its cue words occur. English only; other languages simply yield no words.
LYRICS_LEXICON: dict[str, tuple[str, ...]] = {
    "love": ("love", "loved", "loving", "lover", "darling", "kiss", "kissed", "romance", "sweetheart"),
    "heartbreak": (
        "heartbreak",
        "heartbroken",
        "broken",
        "goodbye",
        "tears",
        "cry",
        "crying",
        "cried",
        "apart",
        "miss",
        "missing",
        "leaving",
    ),
    "lonely": ("alone", "lonely", "loneliness", "lonesome", "empty", "emptiness", "nobody"),
    "sad": ("sad", "sadness", "sorrow", "pain", "hurt", "hurts", "grief", "misery", "mourn", "dying"),
    "happy": ("happy", "happiness", "smile", "smiling", "laugh", "laughing", "sunshine", "joy"),
    "party": ("party", "dance", "dancing", "club", "drink", "drinking", "shots", "weekend", "celebrate"),
    "angry": ("hate", "hatred", "rage", "angry", "fight", "fighting", "kill", "enemy", "revenge", "fury"),
    "hopeful": ("hope", "hoping", "believe", "rise", "tomorrow", "dreams", "wings", "freedom"),
    "nostalgia": ("remember", "memories", "memory", "yesterday", "childhood", "nostalgia"),
    "desire": ("desire", "body", "touch", "lips", "skin", "sexy", "naked", "tease"),
    "calm": ("peace", "peaceful", "calm", "breathe", "gently", "slowly", "rest", "serene", "stillness"),
    "anxious": ("afraid", "fear", "scared", "nightmare", "demons", "haunted", "panic", "terror"),
    "faith": ("god", "lord", "pray", "prayer", "praying", "heaven", "jesus", "grace", "holy", "amen"),
    "defiant": ("rebel", "riot", "proud", "unstoppable", "fighter", "warrior", "survive", "survivor"),
}
LYRICS_WORD_LIMIT = 3
LYRICS_MIN_HITS = 2
LYRICS_PREFIX = "Lyrics: "
_CUE_TO_MOOD = {cue: mood for mood, cues in LYRICS_LEXICON.items() for cue in cues}
_LRC_TAG = re.compile(r"\[[^\]]*\]")
_WORD = re.compile(r"[a-z]+")


def _band(value: float, bands: Sequence[tuple[float, str]]) -> str:
    for bound, words in bands:
        if value < bound:
            return words
    return bands[-1][1]


def _band_index(value: float) -> int:
    return min(4, max(0, int(value * 5)))


def _clip(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _unique_words(phrases: Sequence[str]) -> str:
    words = (word.strip() for phrase in phrases for word in phrase.split(","))
    return ", ".join(dict.fromkeys(word for word in words if word))


def valence_words(valence: float) -> str:
    return _band(valence, VALENCE_BANDS)


def energy_words(energy: float) -> str:
    return _band(energy, ENERGY_BANDS)


def tempo_word(bpm: float) -> str:
    """Empty for mid-tempo: the common case says nothing about mood."""
    if bpm < 90:
        return "slow"
    return "" if bpm < 120 else "fast"


def quadrant_words(valence: float, energy: float) -> str:
    """Empty near the centre: a middling track is no particular feeling."""
    if abs(valence - 0.5) < 0.15 or abs(energy - 0.5) < 0.15:
        return ""
    return QUADRANT_WORDS[("low" if valence < 0.5 else "high", "low" if energy < 0.5 else "high")]


def lyrics_mood_words(lyrics: str, *, limit: int = LYRICS_WORD_LIMIT) -> list[str]:
    """Up to ``limit`` mood words for a song's lyrics (plain or LRC), most frequent first.

    A mood needs at least two cue words in the song, so a single "love" in a party song
    does not make it a love song.
    """
    words = _WORD.findall(_LRC_TAG.sub(" ", lyrics.lower()))
    counts = Counter(_CUE_TO_MOOD[word] for word in words if word in _CUE_TO_MOOD)
    ranked = sorted(counts.items(), key=lambda item: -item[1])  # stable: ties keep lexicon order
    return [mood for mood, hits in ranked if hits >= LYRICS_MIN_HITS][:limit]


def lyrics_words_in(mood_text: str) -> list[str]:
    """The lyrics mood words a stored mood text carries, so a refresh need not fetch lyrics again."""
    head, separator, tail = mood_text.rpartition(LYRICS_PREFIX)
    if not separator or (head and not head.endswith(". ")):
        return []
    words = [word.strip() for word in tail.rstrip(".").split(",")]
    return words if words and all(word in LYRICS_LEXICON for word in words) else []


def _sound_cues(
    *,
    tempo: float | None,
    danceability: float | None,
    acousticness: float | None,
    instrumentalness: float | None,
    speechiness: float | None,
    liveness: float | None,
) -> list[str]:
    cues = [tempo_word(tempo)] if tempo else []
    if acousticness is not None and acousticness >= 0.6:
        cues.append("acoustic")
    if instrumentalness is not None and instrumentalness >= 0.5:
        cues.append("instrumental")
    if danceability is not None and danceability >= 0.7:
        cues.append("danceable")
    if speechiness is not None and speechiness >= 0.33:
        cues.append("rap")
    if liveness is not None and liveness >= 0.7:
        cues.append("live")
    return [cue for cue in cues if cue]


def mood_text_for_track(
    *,
    name: str = "",
    artists: Sequence[str] = (),
    genre: str = "",
    subgenre: str = "",
    valence: float | None = None,
    energy: float | None = None,
    tempo: float | None = None,
    danceability: float | None = None,
    acousticness: float | None = None,
    instrumentalness: float | None = None,
    speechiness: float | None = None,
    liveness: float | None = None,
    lyrics_words: Sequence[str] = (),
) -> str:
    """A terse description, e.g. "folk, indie folk. sad, dark, calm, quiet. slow, acoustic."

    The title and artists appear only when nothing else describes the track (a Web-API-only
    track without lyrics): then they are the only signal there is.
    """
    parts = []
    genres = ", ".join(dict.fromkeys(word for word in (genre, subgenre) if word))
    if genres:
        parts.append(genres)
    mood = []
    if valence is not None:
        mood.append(valence_words(valence))
    if energy is not None:
        mood.append(energy_words(energy))
    if valence is not None and energy is not None:
        mood.append(quadrant_words(valence, energy))
    if mood:
        parts.append(_unique_words(mood))
    cues = _sound_cues(
        tempo=tempo,
        danceability=danceability,
        acousticness=acousticness,
        instrumentalness=instrumentalness,
        speechiness=speechiness,
        liveness=liveness,
    )
    if cues:
        parts.append(", ".join(cues))
    if lyrics_words:
        parts.append(LYRICS_PREFIX + ", ".join(lyrics_words))
    if not parts and name:
        parts.append(f"{name} by {', '.join(artists)}" if artists else name)
    return ". ".join(parts) + "." if parts else ""


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def mood_query_text(label: str, valence: float, arousal: float, user_text: str = "") -> str:
    """The mood as a track description would put it, followed by the listener's own words."""
    # Words come from the full-range mapping, so a strong feeling reads as strongly as the
    # tracks at the edge of the scale are described; target_region stays off the edges.
    track_valence = (_clip(valence, -1.0, 1.0) + 1) / 2
    track_energy = (_clip(arousal, -1.0, 1.0) + 1) / 2
    mood = [
        LABEL_WORDS.get(label, ""),
        valence_words(track_valence),
        energy_words(track_energy),
        quadrant_words(track_valence, track_energy),
    ]
    parts = [_unique_words(mood)]
    if abs(arousal) > 0.3:
        parts.append("slow" if arousal < 0 else "fast")
    text = ". ".join(parts) + "."
    said = listener_words(user_text)
    return f"{text} {said}" if said else text


def listener_words(text: str) -> str:
    """A listener's words as a mood query carries them: whitespace folded, at most 300 characters."""
    return " ".join(text.split())[:MAX_USER_TEXT_CHARS]


def reason_for_track(
    *,
    label: str,
    genre: str = "",
    valence: float | None = None,
    energy: float | None = None,
    acousticness: float | None = None,
) -> str:
    """One line a listener understands, e.g. "Gentle and melancholic acoustic pop — fits a low mood"."""
    adjectives = []
    if energy is not None:
        adjectives.append(ENERGY_ADJECTIVES[_band_index(energy)])
    if valence is not None:
        adjectives.append(VALENCE_ADJECTIVES[_band_index(valence)])
    kind = " ".join(word for word in ("acoustic" if (acousticness or 0) >= 0.6 else "", genre) if word)
    kind = kind or "track"
    fit = LABEL_FIT.get(label, "close to what you asked for")
    if not adjectives:
        return f"{kind[0].upper()}{kind[1:]} close to your words — {fit}"
    described = " and ".join(dict.fromkeys(adjectives))
    return f"{described[0].upper()}{described[1:]} {kind} — {fit}"
