"""Grounding in the catalog: which track or artist a typed name means, among those we hold.

Whether the name came from the listener or from an LLM, nothing is invented: a name matches
exactly (ignoring case), else by close spelling (``name_similarity``), else not at all. What
the catalog lacks can still be found on Spotify (``spotify.lookup``), which stores it here.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, TypeVar

from catalog.models import Artist, Track

NAME_MATCH = 0.86  # difflib ratio for "same name, typed differently"
DURATION_SLACK_MS = 8_000
_NOISE = re.compile(r"\s*[\(\[][^)\]]*(remaster|live|version|edit|feat\.?|with )[^)\]]*[\)\]]", re.I)


def _normal(name: str) -> str:
    name = _NOISE.sub("", name).lower().replace("’", "'")
    return re.sub(r"[^\w']+", " ", name).strip()


def name_similarity(a: str, b: str) -> float:
    """0..1: how alike two names are once case, punctuation and "(Remastered)"-style notes go."""
    return difflib.SequenceMatcher(None, _normal(a), _normal(b)).ratio()


def artist_in_catalog(name: str) -> Artist | None:
    """The artist called ``name``: an exact match, else the closest spelling above NAME_MATCH."""
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
    return max(close, key=lambda artist: name_similarity(artist.name, name), default=None)


def track_in_catalog(title: str, artist: str = "", *, duration_ms: int | None = None) -> Track | None:
    """The track ``title`` by ``artist`` (its length breaks ties between versions)."""
    title = title.strip()
    if not title:
        return None
    rows = Track.objects.filter(name__iexact=title).prefetch_related("artists").order_by("-popularity", "id")
    longest_word = max(_normal(title).split(" ") or [title], key=len)
    candidates = list(rows[:20]) or [
        track
        for track in Track.objects.filter(name__icontains=longest_word[:30])
        .prefetch_related("artists")
        .order_by("-popularity", "id")[:300]
        if name_similarity(track.name, title) >= NAME_MATCH
    ]
    return best_track(
        candidates, title, artist, duration_ms, names=lambda t: [a.name for a in t.artists.all()]
    )


class Named(Protocol):
    """Our tracks and Spotify's search results alike."""

    @property
    def name(self) -> str: ...

    @property
    def duration_ms(self) -> int: ...


T = TypeVar("T", bound=Named)


def best_track(
    candidates: Iterable[T],
    title: str,
    artist: str,
    duration_ms: int | None,
    *,
    names: Callable[[T], Sequence[str]],
) -> T | None:
    """The candidate whose title (and artist, when given) match best, or None below NAME_MATCH.

    Works on our tracks and on Spotify's search results alike; ``names`` reads a candidate's
    artist names. A length within a few seconds of ``duration_ms`` wins a tie.
    """

    def fit(track: T) -> float:
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
