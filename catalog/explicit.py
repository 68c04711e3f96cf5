"""Whether a track is explicit: what we know, what we estimate, what a no-explicit listener may get (pure).

A track's ``explicit`` is tri-state and ``explicit_source`` says who said it:

- ``spotify``: the Web API's own flag (sync, search); it outranks everything else;
- ``import``: an imported file's ``explicit`` column (Spotify's flag, exported);
- ``estimate``: our estimate, which only ever says True (``explicit_estimates``);
- ``""``: nobody knows — ``explicit`` is None. Unknown is never taken as clean.

**The estimate** marks a track explicit when nobody has said otherwise and either its title
carries a word that only explicit tracks put in a title (``EXPLICIT_TITLE``: "Fuck Love",
"Type Shit", "… (Explicit)"; masked spellings such as "F**k" too — English words that no
other language in the catalog uses for something else: "slut" is Swedish for "the end"), or
one of its credited
artists is explicit-leaning: at least ``LEANING_MIN_KNOWN`` of the artist's tracks are known
(by a flag, or by such a title) and at least ``LEANING_SHARE`` of those are explicit. It never
says a track is clean: a clean title proves nothing.

**The policy** for a listener who wants nothing explicit: ``explicit`` tracks (said or
estimated) are never offered; ``unknown`` ones are not offered as clean — only to fill a list
that known-clean tracks cannot, each saying ``UNKNOWN_NOTE``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

ExplicitState = Literal["explicit", "clean", "unknown"]

SPOTIFY = "spotify"
IMPORT = "import"
ESTIMATE = "estimate"
UNKNOWN = ""
SOURCE_RANK = {UNKNOWN: 0, ESTIMATE: 1, IMPORT: 2, SPOTIFY: 3}  # a source never overwrites a higher one

UNKNOWN_NOTE = "explicitness unknown"
LEANING_MIN_KNOWN = 3
LEANING_SHARE = 0.75

EXPLICIT_TITLE = re.compile(
    r"\w*fuck\w*|\bf(?:\*ck|\*\*k|\*\*\*)\w*|\bmotherf\w+"
    r"|\b(?:bull)?shit\w*|\bsh\*t\w*"
    r"|\bbitch\w*|\bb\*tch\w*"
    r"|\bnigg(?:a|as|az|er|ers)\b|\bn\*gg\w*"
    r"|\bpussy\b|\bp\*ssy\b|\bcunts?\b|\bwhores?\b|\bhoes\b"
    r"|[\(\[][^\)\]]*\bexplicit\b[^\)\]]*[\)\]]|\bexplicit version\b",
    re.IGNORECASE,
)


class HasExplicit(Protocol):
    """A track as any layer holds it: the model, the recommender's rows, a card."""

    @property
    def explicit(self) -> bool | None: ...


Explicitness = HasExplicit | bool | None


def explicit_state(track: Explicitness) -> ExplicitState:
    """ "explicit" (said or estimated), "clean" (said by Spotify or a file) or "unknown".

    Takes a track-like object with ``explicit`` or the stored value itself.
    """
    value = track if track is None or isinstance(track, bool) else track.explicit
    if value is None:
        return "unknown"
    return "explicit" if value else "clean"


@dataclass(frozen=True)
class ExplicitMasks:
    """Aligned boolean arrays over some tracks; exactly one is True for each track."""

    explicit: np.ndarray  # never offered to a listener who wants nothing explicit
    clean: np.ndarray  # offered to anyone
    unknown: np.ndarray  # not offered as clean: only to fill, saying UNKNOWN_NOTE

    def allowed(self, *, allow_explicit: bool) -> np.ndarray:
        """Tracks that may be offered at all; for a no-explicit listener, clean or unknown."""
        return np.ones(len(self.explicit), dtype=bool) if allow_explicit else ~self.explicit


def explicit_masks(tracks: Sequence[Explicitness]) -> ExplicitMasks:
    values = [track if track is None or isinstance(track, bool) else track.explicit for track in tracks]
    known = np.array([value is not None for value in values], dtype=bool)
    flagged = np.array([value is True for value in values], dtype=bool)
    return ExplicitMasks(explicit=flagged, clean=known & ~flagged, unknown=~known)


def title_is_explicit(title: str) -> bool:
    return bool(EXPLICIT_TITLE.search(title))


@dataclass(frozen=True)
class ExplicitEvidence:
    """One track for the estimate: its title, what a source said (None: nobody, or only our
    estimate), and its credited artists."""

    track: int
    title: str
    said: bool | None
    artists: tuple[int, ...]


def explicit_leaning_artists(evidence: Iterable[ExplicitEvidence]) -> set[int]:
    """Artists whose known tracks are mostly explicit (see the module's description)."""
    known: dict[int, int] = defaultdict(int)
    explicit: dict[int, int] = defaultdict(int)
    for item in evidence:
        leaning = item.said if item.said is not None else (True if title_is_explicit(item.title) else None)
        if leaning is None:
            continue
        for artist in set(item.artists):
            known[artist] += 1
            explicit[artist] += int(leaning)
    return {
        artist
        for artist, count in known.items()
        if count >= LEANING_MIN_KNOWN and explicit[artist] >= LEANING_SHARE * count
    }


def explicit_estimates(
    evidence: Iterable[ExplicitEvidence], *, only: Iterable[int] | None = None
) -> set[int]:
    """The tracks nobody has said anything about that we estimate explicit (``only``: among these)."""
    items = list(evidence)
    leaning = explicit_leaning_artists(items)
    wanted = None if only is None else set(only)
    return {
        item.track
        for item in items
        if item.said is None
        and (wanted is None or item.track in wanted)
        and (title_is_explicit(item.title) or any(artist in leaning for artist in item.artists))
    }
