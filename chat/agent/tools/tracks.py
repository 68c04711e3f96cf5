"""The tracks a tool is told about: positions in the list on screen, or names grounded in the catalog.

Nothing a model names is assumed to exist: a name becomes a card only when ``track_resolve``
finds it in the catalog or on Spotify; the names that matched nothing are handed back so the
tool can say so.
"""

from __future__ import annotations

import re

from catalog.explicit import explicit_state
from catalog.models import Track
from chat.cards import CardKind, TrackCard
from spotify.lookup import track_resolve

from .state import TurnState


def track_card(track: Track, *, kind: CardKind, reason: str = "") -> TrackCard:
    """A card for a catalog track that the recommender did not pick (so it has no score)."""
    artists = [link.artist.name for link in track.artist_links.select_related("artist").order_by("position")]
    return TrackCard(
        track_id=track.pk,
        spotify_id=track.spotify_id,
        name=track.name,
        artists=artists,
        album=track.album.name if track.album_id and track.album else "",
        duration_ms=track.duration_ms,
        genre=track.genre,
        valence=track.valence,
        energy=track.energy,
        reason=reason,
        kind=kind,
    )


def at_positions(state: TurnState, positions: list[int] | None) -> tuple[list[TrackCard], str | None]:
    """Tracks of the latest list at these positions (-1 = last); an error sentence when out of range."""
    if not state.shown:
        return [], "There's no list on screen yet — ask me for some music first."
    if not positions:
        return list(state.shown), None
    picked: list[TrackCard] = []
    for position in positions:
        index = len(state.shown) + position if position < 0 else position - 1
        if not 0 <= index < len(state.shown):
            return [], f"There's no track {position} — the last list has {len(state.shown)}."
        picked.append(state.shown[index])
    return picked, None


def grounded(state: TurnState, names: list[str] | None) -> tuple[list[TrackCard], list[str]]:
    """Cards for "Title - Artist" / "Title by Artist" names; the names that matched nothing."""
    cards, missing = [], []
    for name in names or []:
        title, artist, duration_ms = split_name(name)
        track = track_resolve(title, artist, user=state.user, duration_ms=duration_ms)
        if track is None:
            missing.append(name)
        else:
            cards.append(track_card(track, kind="named"))
    return cards, missing


def explicit_sorted(cards: list[TrackCard]) -> tuple[list[TrackCard], list[TrackCard], list[TrackCard]]:
    """Named tracks, for a listener who wants nothing explicit: (those that may play, those that
    are explicit — said so by Spotify or a file, or estimated — and, among those that may play,
    the ones whose explicitness nobody knows, which must say so)."""
    ids = [card.track_id for card in cards if card.track_id]
    states = {
        pk: explicit_state(flag)
        for pk, flag in Track.objects.filter(pk__in=ids).values_list("pk", "explicit")
    }
    explicit = [card for card in cards if card.track_id and states.get(card.track_id) == "explicit"]
    playable = [card for card in cards if card not in explicit]
    unknown = [card for card in playable if states.get(card.track_id or 0, "unknown") == "unknown"]
    return playable, explicit, unknown


_DURATION = re.compile(r"\s*[\(\[]?(?P<m>\d{1,2}):(?P<s>[0-5]\d)[\)\]]?\s*$")


def split_name(name: str) -> tuple[str, str, int | None]:
    """ "Title by Artist (3:45)" / "Artist - Title" → (title, artist, duration in ms or None)."""
    duration_ms = None
    timed = _DURATION.search(name)
    if timed:
        duration_ms = (int(timed["m"]) * 60 + int(timed["s"])) * 1000
        name = name[: timed.start()]
    match = re.match(r"^(?P<title>.+?)\s+by\s+(?P<artist>.+)$", name, re.I)
    if match:
        return match["title"].strip(' "“”'), match["artist"].strip(), duration_ms
    if " - " in name:
        left, right = name.split(" - ", 1)
        return right.strip(' "“”'), left.strip(), duration_ms  # "Artist - Title", as Spotify writes it
    return name.strip(' "“”'), "", duration_ms
