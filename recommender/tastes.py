"""Tastes: what a listener asked for or rejected (artists, genres, tracks, moods, standing rules).

One path stores a taste, whoever states it — the chat (said or by an LLM's tool call) or the
Preferences page: ``taste_remember`` grounds the value (a real artist, a genre or mood we know,
a rule we can apply) and stores it with where it came from. The ranking reads them on every
request (``taste_constraints``, and the preference scores).

A genre is stored as the catalog's name for it ("rap" → "hip-hop") and covers what
``catalog.genres.genre_scope`` says ("no more rap" also leaves out trap and drill filed under
other genres). "No explicit lyrics" is both a standing rule and the listener's setting
(``ListenerSettings.allow_explicit``): stating the rule turns the setting off, lifting it turns
the setting on, so every path that recommends — the chat's tool, ``manage.py recommend``,
anything calling ``recommender.services`` — honours it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accounts.models import User
from catalog.genres import GENRE_ALIASES, genre_named
from mood.labels import MOOD_NAMES, mood_named
from recommender.listener_state import ListenerState, listener_state_get
from recommender.models import ListenerSettings, TastePreference
from spotify.lookup import LookupUnavailable, artist_resolve

CONSTRAINTS = {"no_explicit": "no explicit lyrics", "short_tracks": "shorter tracks"}
CONSTRAINT_ALIASES = {
    "no explicit": "no_explicit",
    "explicit": "no_explicit",
    "clean": "no_explicit",
    "nothing explicit": "no_explicit",
    "no explicit lyrics": "no_explicit",
    "no explicit songs": "no_explicit",
    "explicit lyrics": "no_explicit",
    "clean versions": "no_explicit",
    "no swearing": "no_explicit",
    "no profanity": "no_explicit",
    "kid friendly": "no_explicit",
    "family friendly": "no_explicit",
    "short tracks": "short_tracks",
    "short": "short_tracks",
    "shorter tracks": "short_tracks",
}


@dataclass(frozen=True)
class TasteOutcome:
    """Whether a taste was stored; ``message`` says what was remembered, or why not, to the listener."""

    ok: bool
    message: str
    data: dict = field(default_factory=dict)


def taste_remember(*, user: User, kind: str, value: str, liked: bool, source: str) -> TasteOutcome:
    """Ground and store one taste for ``user``; a failure is an outcome with its reason, not an error."""
    value = value.strip()
    if kind == "artist":
        try:
            artist = artist_resolve(value, user=user)
        except LookupUnavailable as exc:
            return TasteOutcome(False, exc.message, {"error": "spotify"})
        if artist is None:
            return TasteOutcome(
                False, f"I couldn't find an artist called {value}.", {"error": "unknown_artist"}
            )
        stored, label = artist.spotify_id, artist.name
    elif kind == "genre":
        stored = genre_named(value)
        label = value.lower() if value.lower() in GENRE_ALIASES else stored
    elif kind == "mood":
        mood = mood_named(value)
        if mood is None:
            return TasteOutcome(False, f"I don't know the mood “{value}”.", {"error": "unknown_mood"})
        stored, label = mood, MOOD_NAMES[mood]
    elif kind == "constraint":
        stored = CONSTRAINT_ALIASES.get(value.lower().replace("_", " ").strip(), value.lower())
        if stored not in CONSTRAINTS:
            return TasteOutcome(False, f"I can't apply “{value}” as a rule.", {"error": "unknown_constraint"})
        label = CONSTRAINTS[stored]
    else:
        return TasteOutcome(False, f"I can't remember a preference of kind {kind}.", {"error": "invalid"})
    taste_set(user=user, kind=kind, value=stored, label=label, liked=liked, source=source)
    return TasteOutcome(
        True, _confirmation(kind, label, liked), {"kind": kind, "value": label, "liked": liked}
    )


def _confirmation(kind: str, label: str, liked: bool) -> str:
    if kind == "constraint":
        return f"From now on: {label}."
    if kind == "mood":
        return f"Noted — {'more' if liked else 'no more'} {label} music."
    noun = " music" if kind == "genre" else ""
    return f"Noted — {'more' if liked else 'no more'} {label}{noun}."


def taste_set(*, user: User, kind: str, value: str, label: str, liked: bool, source: str) -> TastePreference:
    """Remember (or flip) one liked/disliked artist, genre, track, mood or constraint for ``user``."""
    if kind not in TastePreference.Kind.values:
        raise ValueError(f"unknown preference kind {kind!r}")
    taste, _ = TastePreference.objects.update_or_create(
        user=user,
        kind=kind,
        value=value[:300],
        defaults={"label": label[:300], "liked": liked, "source": source[:40]},
    )
    if kind == TastePreference.Kind.CONSTRAINT and value == "no_explicit":
        ListenerSettings.objects.update_or_create(user=user, defaults={"allow_explicit": not liked})
    return taste


@dataclass(frozen=True)
class TasteConstraints:
    """The standing rules a listener set: no explicit lyrics (the rule, or the setting off), short
    tracks, moods to steer away from."""

    no_explicit: bool = False
    short_tracks: bool = False
    avoided_moods: frozenset[str] = frozenset()
    liked_moods: frozenset[str] = frozenset()


SHORT_TRACK_MS = 210_000


def taste_constraints(*, user: User, state: ListenerState | None = None) -> TasteConstraints:
    """The listener's standing rules, from ``state`` when the turn already read it."""
    state = state or listener_state_get(user=user)
    kinds = (TastePreference.Kind.CONSTRAINT, TastePreference.Kind.MOOD)
    rows = [(taste.kind, taste.value, taste.liked) for taste in state.tastes if taste.kind in kinds]
    constraints = {value for kind, value, liked in rows if kind == TastePreference.Kind.CONSTRAINT and liked}
    return TasteConstraints(
        no_explicit="no_explicit" in constraints or not state.settings.allow_explicit,
        short_tracks="short_tracks" in constraints,
        avoided_moods=frozenset(v for k, v, liked in rows if k == TastePreference.Kind.MOOD and not liked),
        liked_moods=frozenset(v for k, v, liked in rows if k == TastePreference.Kind.MOOD and liked),
    )
