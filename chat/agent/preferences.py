"""Preference identification: what the listener likes or wants no more of, remembered per listener.

``preference_changes`` reads them from one message (genres, moods, artists, standing
constraints such as "nothing explicit"); ``preference_remember`` grounds and stores one, with
where it came from. The recommender reads the stored tastes on every request, and the
preferences page shows and edits them. Extraction needs no database (the local LLM stand-in
uses it too); storing does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .slots import GENRE_ALIASES, MOOD_WORDS, Slots

if TYPE_CHECKING:
    from accounts.models import User

MOODS = {"anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise", "calm", "energize"}
MOOD_NAMES = {
    "sadness": "sad",
    "joy": "happy",
    "anger": "angry",
    "fear": "dark",
    "calm": "calm",
    "energize": "energetic",
}
CONSTRAINTS = {"no_explicit": "no explicit lyrics", "short_tracks": "shorter tracks"}
CONSTRAINT_ALIASES = {
    "no explicit": "no_explicit",
    "explicit": "no_explicit",
    "clean": "no_explicit",
    "nothing explicit": "no_explicit",
    "short tracks": "short_tracks",
    "short": "short_tracks",
    "shorter tracks": "short_tracks",
}


@dataclass(frozen=True)
class PreferenceChange:
    kind: str
    value: str
    liked: bool


def preference_changes(slots: Slots) -> list[PreferenceChange]:
    """The likes, dislikes and constraints one message states."""
    changes = [PreferenceChange(kind, value, True) for kind, value in slots.liked]
    changes += [PreferenceChange(kind, value, False) for kind, value in slots.disliked]
    if slots.no_explicit:
        changes.append(PreferenceChange("constraint", "no_explicit", True))
    if slots.short_tracks:
        changes.append(PreferenceChange("constraint", "short_tracks", True))
    return changes


def preference_remember(user: User, kind: str, value: str, liked: bool, *, source: str):
    """Ground and store one preference; a ToolResult saying what was remembered (or why not)."""
    # Imported here: extraction above stays free of Django, for the LLM stand-in's brain.
    from recommender import services as recommender_services

    from . import grounding
    from .tools import ToolResult

    value = value.strip()
    if kind == "artist":
        try:
            artist = grounding.artist_resolve(value, user=user)
        except grounding.LookupUnavailable as exc:
            return ToolResult(False, exc.message, {"error": "spotify"})
        if artist is None:
            return ToolResult(
                False, f"I couldn't find an artist called {value}.", {"error": "unknown_artist"}
            )
        stored, label = artist.spotify_id, artist.name
    elif kind == "genre":
        stored = GENRE_ALIASES.get(value.lower(), value.lower())
        label = value.lower() if value.lower() in GENRE_ALIASES else stored
    elif kind == "mood":
        stored = MOOD_WORDS.get(value.lower(), value.lower())
        if stored not in MOODS:
            return ToolResult(False, f"I don't know the mood “{value}”.", {"error": "unknown_mood"})
        label = MOOD_NAMES.get(stored, stored)
    elif kind == "constraint":
        stored = CONSTRAINT_ALIASES.get(value.lower().replace("_", " ").strip(), value.lower())
        if stored not in CONSTRAINTS:
            return ToolResult(False, f"I can't apply “{value}” as a rule.", {"error": "unknown_constraint"})
        label = CONSTRAINTS[stored]
    else:
        return ToolResult(False, f"I can't remember a preference of kind {kind}.", {"error": "invalid"})
    recommender_services.taste_set(
        user=user, kind=kind, value=stored, label=label, liked=liked, source=source
    )
    return ToolResult(True, _confirmation(kind, label, liked), {"kind": kind, "value": label, "liked": liked})


def _confirmation(kind: str, label: str, liked: bool) -> str:
    if kind == "constraint":
        return f"From now on: {label}."
    if kind == "mood":
        return f"Noted — {'more' if liked else 'no more'} {label} music."
    noun = "" if kind == "artist" else " music" if kind == "genre" else ""
    return f"Noted — {'more' if liked else 'no more'} {label}{noun}."
