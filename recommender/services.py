"""Recommender writes and the mood recommendation: profiles in, ranked explained tracks out.

Embedding is the slow part (about 2 ms a text), so profiles are embedded ahead of time by
Celery and re-embedded only when their mood text changes; a recommendation embeds one
query, asks the HNSW index for a few hundred neighbours and ranks those in numpy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
from django.db import connection, transaction
from pgvector.django import CosineDistance

from recommender.embeddings import embed_text
from recommender.models import TrackProfile
from recommender.mood_text import (
    mood_query_text,
    reason_for_track,
    target_region,
)
from recommender.rank import RankWeights, sample_diverse, score_candidates
from recommender.types import RecommendedTrack
from spotify.models import Play, TopTrack, Track, TrackArtist

if TYPE_CHECKING:
    from accounts.models import User

# Neighbours fetched from the index before re-ranking; also the HNSW ef_search, which must
# be at least the LIMIT for the index to return that many rows.
CANDIDATE_POOL = 200
EMBED_BATCH = 64


def _nearest_track_ids(
    query: np.ndarray, *, user: User, exclude_track_ids: Iterable[int], limit: int
) -> tuple[list[int], np.ndarray]:
    """Nearest profiles by cosine distance over the HNSW index, skipping tracks the user knows."""
    profiles = (
        TrackProfile.objects.filter(embedding__isnull=False)
        .exclude(track_id__in=TopTrack.objects.filter(user=user).values("track_id"))
        .exclude(track_id__in=Play.objects.filter(user=user).values("track_id"))
        .exclude(track_id__in=list(exclude_track_ids))
        .annotate(distance=CosineDistance("embedding", query))
        .order_by("distance")
        .values_list("track_id", "distance")
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # Iterative scans keep the index filling the LIMIT when exclusions drop rows;
        # relaxed order is fine because the candidates are re-ranked anyway.
        cursor.execute("SET LOCAL hnsw.ef_search = %s", [max(limit, 40)])
        cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        rows = list(profiles[:limit])
    return [track_id for track_id, _ in rows], np.array([1.0 - distance for _, distance in rows])


def _as_float(values: Iterable[float | int | None]) -> np.ndarray:
    return np.array([np.nan if value is None else float(value) for value in values], dtype=np.float64)


def recommend_tracks(
    *,
    user: User,
    label: str,
    valence: float,
    arousal: float,
    text: str = "",
    count: int = 8,
    exclude_track_ids: Iterable[int] = (),
    rng: np.random.Generator | None = None,
    weights: RankWeights | None = None,
) -> list[RecommendedTrack]:
    """Up to ``count`` tracks new to ``user`` that fit the mood, each with a one-line reason.

    Sampled rather than cut, so asking twice for the same mood gives a different list;
    pass a seeded ``rng`` for a repeatable one. Empty when no profile is embedded yet.
    """
    weights = weights or RankWeights()
    rng = rng if rng is not None else np.random.default_rng()
    query = embed_text(mood_query_text(label, valence, arousal, text))
    track_ids, similarity = _nearest_track_ids(
        query, user=user, exclude_track_ids=exclude_track_ids, limit=CANDIDATE_POOL
    )
    if not track_ids:
        return []
    by_id = Track.objects.select_related("album").in_bulk(track_ids)
    present = [index for index, track_id in enumerate(track_ids) if track_id in by_id]
    track_ids, similarity = [track_ids[index] for index in present], similarity[present]
    artists: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for track_id, artist_id, artist_name in (
        TrackArtist.objects.filter(track_id__in=track_ids)
        .order_by("track_id", "position")
        .values_list("track_id", "artist_id", "artist__name")
    ):
        artists[track_id].append((artist_id, artist_name))
    tracks = [by_id[track_id] for track_id in track_ids]
    scores = score_candidates(
        similarity=similarity,
        valence=_as_float(track.valence for track in tracks),
        energy=_as_float(track.energy for track in tracks),
        popularity=_as_float(track.popularity for track in tracks),
        region=target_region(valence, arousal),
        weights=weights,
    )
    chosen = sample_diverse(
        scores,
        [[artist_id for artist_id, _ in artists[track.id]] for track in tracks],
        count=count,
        rng=rng,
        temperature=weights.temperature,
        max_per_artist=weights.max_per_artist,
    )
    return [
        _recommended(tracks[index], artists[tracks[index].id], float(scores[index]), label)
        for index in chosen
    ]


def _recommended(track: Track, artists: list[tuple[int, str]], score: float, label: str) -> RecommendedTrack:
    return RecommendedTrack(
        track_id=track.id,
        spotify_id=track.spotify_id,
        name=track.name,
        artists=[name for _, name in artists],
        album=track.album.name if track.album else "",
        duration_ms=track.duration_ms,
        genre=track.genre,
        valence=track.valence,
        energy=track.energy,
        score=score,
        reason=reason_for_track(
            label=label,
            genre=track.genre,
            valence=track.valence,
            energy=track.energy,
            acousticness=track.acousticness,
        ),
    )
