"""Why a track was picked, in the listener's words: the card a ranked candidate becomes.

Plain functions over a pooled row and its score parts; no database.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mood.mood_text import reason_for_track
from recommender.pool import MOOD_SOURCE, TrackRow
from recommender.types import RecommendedTrack

SOURCE_WORDS = {
    "artists": "from artists you listen to",
    "cooccurrence": "often played alongside your tracks",
    "popular": "popular right now",
    MOOD_SOURCE: "a catalog find for this mood",
}


def explanation(*, reason: str, sources: Sequence[str], parts: dict[str, float]) -> str:
    """The mood reason, where the track came from, and its strongest personal tie, in plain words."""
    bits = [reason]
    where = next((SOURCE_WORDS[s] for s in sources if s in SOURCE_WORDS), "")
    if where:
        bits.append(where)
    if parts.get("recent", 0) > 0.8 * max(parts.get("top", 0), 0.01) and parts.get("recent", 0) > 0.3:
        bits.append("close to what you've played lately")
    elif parts.get("top", 0) > 0.3:
        bits.append("close to your favourites")
    if parts.get("preference", 0) > 0:
        bits.append("matches what you asked for")
    if parts.get("feedback", 0) > 0:
        bits.append("you liked similar tracks")
    return " · ".join(bits)


def recommended_track(
    track: TrackRow,
    artists: list[tuple[int, str]],
    *,
    score: float,
    parts: dict[str, float],
    sources: list[str],
    label: str,
    valence: float,
    energy: float,
    lift: bool,
) -> RecommendedTrack:
    """The card for one pick: ``valence``/``energy`` as ranked (NaN when unknown), the reason in
    words, and, when ``lift``, the reason says the track is there to lift the listener's mood."""
    known_valence = None if np.isnan(valence) else float(valence)
    known_energy = None if np.isnan(energy) else float(energy)
    reason = reason_for_track(
        label=label,
        genre=track.genre,
        valence=known_valence,
        energy=known_energy,
        acousticness=track.acousticness,
    )
    if lift:
        reason = f"{reason.rsplit(' — ', 1)[0]} — to lift your mood"
    return RecommendedTrack(
        track_id=track.id,
        spotify_id=track.spotify_id,
        name=track.name,
        artists=[name for _, name in artists],
        album=track.album_name,
        duration_ms=track.duration_ms,
        genre=track.genre,
        valence=known_valence,
        energy=known_energy,
        score=score,
        reason=explanation(reason=reason, sources=sources, parts=parts),
        sources=sources,
        parts={name: round(value, 4) for name, value in parts.items()},
        lifted=lift,
    )
