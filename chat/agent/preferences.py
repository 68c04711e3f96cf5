"""Preference identification: what the listener likes or wants no more of, read from one message.

``preference_changes`` finds genres, moods, artists and standing constraints ("nothing
explicit") in the message's slots; ``recommender.tastes.taste_remember`` grounds and stores
each one. Extraction needs no database (the LLM stand-in's brain uses it too).
"""

from __future__ import annotations

from dataclasses import dataclass

from .slots import Slots


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
