"""Recommender writes and the mood recommendation: profiles in, ranked explained tracks out.

Embedding is the slow part (about 2 ms a text), so profiles are embedded ahead of time by
Celery and re-embedded only when their mood text changes; a recommendation embeds one
query, asks the HNSW index for a few hundred neighbours and ranks those in numpy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone
from pgvector.django import CosineDistance

from recommender.embeddings import embed_text, embed_texts
from recommender.models import TrackProfile
from recommender.mood_text import (
    mood_query_text,
    mood_text_for_track,
    reason_for_track,
    target_region,
    text_hash,
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


def mood_text_of(track: Track) -> str:
    """The mood text of a track whose ``artist_links__artist`` are prefetched."""
    return mood_text_for_track(
        name=track.name,
        artists=[link.artist.name for link in track.artist_links.all()],
        genre=track.genre,
        subgenre=track.subgenre,
        valence=track.valence,
        energy=track.energy,
        tempo=track.tempo,
        danceability=track.danceability,
        acousticness=track.acousticness,
        instrumentalness=track.instrumentalness,
        speechiness=track.speechiness,
        liveness=track.liveness,
        mode=track.mode,
    )


def _refresh_chunk(track_ids: Sequence[int]) -> int:
    tracks = Track.objects.filter(id__in=track_ids).prefetch_related("artist_links__artist")
    current = {
        track_id: (stored_hash, missing)
        for track_id, stored_hash, missing in TrackProfile.objects.filter(track_id__in=track_ids)
        .annotate(missing=ExpressionWrapper(Q(embedding__isnull=True), output_field=BooleanField()))
        .values_list("track_id", "text_hash", "missing")
    }
    stale: list[tuple[int, str, str]] = []
    for track in tracks:
        text = mood_text_of(track)
        digest = text_hash(text)
        if current.get(track.id) != (digest, False):
            stale.append((track.id, text, digest))
    if not stale:
        return 0
    vectors = embed_texts([text for _, text, _ in stale], batch_size=EMBED_BATCH)
    now = timezone.now()
    profiles = [
        TrackProfile(track_id=track_id, mood_text=text, text_hash=digest, embedding=vector, embedded_at=now)
        for (track_id, text, digest), vector in zip(stale, vectors, strict=True)
    ]
    # An upsert, so two workers refreshing the same tracks cannot trip the one-to-one.
    TrackProfile.objects.bulk_create(
        profiles,
        update_conflicts=True,
        unique_fields=["track"],
        update_fields=["mood_text", "text_hash", "embedding", "embedded_at"],
    )
    return len(profiles)


def track_profiles_refresh(*, track_ids: Iterable[int] | None = None, batch_size: int = 256) -> int:
    """Build mood texts and embed the tracks whose text changed or that have no vector yet.

    ``track_ids`` None means the whole catalog. Returns how many profiles were embedded;
    a second run over unchanged tracks returns 0.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if track_ids is None:
        ids = list(Track.objects.order_by("id").values_list("id", flat=True))
    else:
        ids = sorted(set(track_ids))
    return sum(_refresh_chunk(ids[start : start + batch_size]) for start in range(0, len(ids), batch_size))


def track_profiles_embed_missing(*, batch_size: int = 256) -> int:
    """Embed tracks that have no profile or no vector; cheap when there are none (beat runs it)."""
    ids = Track.objects.filter(Q(profile__isnull=True) | Q(profile__embedding__isnull=True)).values_list(
        "id", flat=True
    )
    return track_profiles_refresh(track_ids=list(ids), batch_size=batch_size)


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
