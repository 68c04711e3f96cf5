"""Track profiles: a mood text per track and its embedding, refreshed ahead of time.

Embedding is the slow part, so profiles are embedded by Celery and re-embedded only when
their mood text changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from recommender.embeddings import embed_texts
from recommender.models import TrackProfile
from recommender.mood_text import mood_text_for_track, text_hash
from spotify.models import Track

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
