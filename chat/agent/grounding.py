"""Grounding: turn a name someone typed into a track or artist we really have — or say we can't.

Whether the name came from the listener or from an LLM, nothing is ever invented: it is
matched against our catalog first (exact, then close spellings), then against Spotify
search when the listener is connected (results are stored in our catalog). A name that
resolves to nothing comes back as None, and the caller reports it.
"""

from __future__ import annotations

import difflib
import logging
import re

from accounts.models import User
from spotify import services as spotify_services
from spotify.errors import SpotifyError
from spotify.models import Artist, Track
from spotify.tokens import SpotifyNotConnected

logger = logging.getLogger(__name__)

NAME_MATCH = 0.86  # difflib ratio for "same name, typed differently"
DURATION_SLACK_MS = 8_000
_NOISE = re.compile(r"\s*[\(\[][^)\]]*(remaster|live|version|edit|feat\.?|with )[^)\]]*[\)\]]", re.I)


def _normal(name: str) -> str:
    name = _NOISE.sub("", name).lower().replace("’", "'")
    return re.sub(r"[^\w']+", " ", name).strip()


def name_similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, _normal(a), _normal(b)).ratio()


def artist_resolve(name: str, *, user: User) -> Artist | None:
    """The artist called ``name``: catalog, then Spotify search; None when nobody matches."""
    name = name.strip()
    if not name:
        return None
    exact = Artist.objects.filter(name__iexact=name).order_by("id").first()
    if exact:
        return exact
    first_word = _normal(name).split(" ")[0] if _normal(name) else name
    close = [
        artist
        for artist in Artist.objects.filter(name__icontains=first_word[:20]).order_by("id")[:200]
        if name_similarity(artist.name, name) >= NAME_MATCH
    ]
    if close:
        return max(close, key=lambda artist: name_similarity(artist.name, name))
    found = _spotify_search(user, "artist", f"artist:{name}")
    best = max(found, key=lambda a: name_similarity(a.name, name), default=None)
    if best is None or name_similarity(best.name, name) < NAME_MATCH:
        return None
    pks = spotify_services.artists_upsert([best])
    return Artist.objects.filter(pk=pks.get(best.id)).first()


def track_resolve(
    title: str, artist: str = "", *, user: User, duration_ms: int | None = None
) -> Track | None:
    """The track ``title`` by ``artist`` (duration breaks ties): catalog, then Spotify search."""
    title = title.strip()
    if not title:
        return None
    rows = (
        Track.objects.filter(name__iexact=title)
        .prefetch_related("artists")
        .order_by("-popularity", "id")[:20]
    )
    longest_word = max(_normal(title).split(" ") or [title], key=len)
    candidates = list(rows) or [
        track
        for track in Track.objects.filter(name__icontains=longest_word[:30])
        .prefetch_related("artists")
        .order_by("-popularity", "id")[:300]
        if name_similarity(track.name, title) >= NAME_MATCH
    ]
    best = _best_track(
        candidates, title, artist, duration_ms, names=lambda t: [a.name for a in t.artists.all()]
    )
    if best is not None:
        return best
    query = f'track:"{title}"' + (f" artist:{artist}" if artist else "")
    found = _spotify_search(user, "track", query)
    info = _best_track(found, title, artist, duration_ms, names=lambda t: [a.name for a in t.artists])
    if info is None:
        return None
    pks = spotify_services.tracks_upsert([info])
    return Track.objects.filter(pk=pks.get(info.id)).first()


def _best_track(candidates, title: str, artist: str, duration_ms: int | None, *, names):
    def fit(track) -> float:
        score = name_similarity(track.name, title)
        if artist:
            score += max((name_similarity(name, artist) for name in names(track)), default=0.0)
        if duration_ms and track.duration_ms and abs(track.duration_ms - duration_ms) <= DURATION_SLACK_MS:
            score += 0.2
        return score

    threshold = NAME_MATCH * (2 if artist else 1)
    scored = [(fit(track), track) for track in candidates]
    scored = [(score, track) for score, track in scored if score >= threshold]
    return max(scored, key=lambda pair: pair[0])[1] if scored else None


class LookupUnavailable(Exception):
    """Spotify could not be asked (rate limit, expired link, outage): "not found" would be a lie.

    ``message`` says what happened in the listener's words.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _spotify_search(user: User, kind: str, query: str) -> list:
    """Spotify search for a connected listener; [] when not connected. LookupUnavailable when
    Spotify fails, so the caller says "Spotify is busy", not "there is no such track"."""
    from chat.actions import spotify_error_message  # the one wording of Spotify failures

    try:
        client = spotify_services.spotify_client_for(user=user)
    except SpotifyNotConnected:
        return []
    except SpotifyError as exc:
        raise LookupUnavailable(spotify_error_message(exc)) from exc
    try:
        with client:
            return client.search_artists(query) if kind == "artist" else client.search_tracks(query)
    except SpotifyError as exc:
        logger.info("Spotify search for %r failed: %s", query, exc)
        raise LookupUnavailable(spotify_error_message(exc)) from exc
