"""The candidate pool in SQL and pgvector: which tracks a request considers, and what it reads of them.

A request's pool is the listener's recall candidates nearest the mood query plus the catalog's
nearest tracks (HNSW), minus everything they already know, were served lately or rejected.
The reads here are raw SQL where the ORM cost more than the ranking: one round trip each for
the exclusions and for everything ranking reads of the pool, vectors in pgvector's binary form.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from pgvector.django import CosineDistance

from catalog.genres import ANY, genre_scope_rows
from catalog.models import Album, Artist, Track, TrackArtist
from recommender.models import Candidate, Feedback, ServedItem, ServedList, TastePreference, TrackProfile
from spotify.models import Play, TopTrack

if TYPE_CHECKING:
    from accounts.models import User

# A pseudo-source for catalog tracks found only by their closeness to the mood.
MOOD_SOURCE = "mood"


def excluded_track_ids(*, user: User, repeat_window: int) -> set[int]:
    """Known tracks, those in the last ``repeat_window`` served lists, and everything the listener
    rejected (disliked tracks; tracks, artists and genres they said no to) — one round trip."""
    names = {
        "top": TopTrack._meta.db_table,
        "play": Play._meta.db_table,
        "served": ServedList._meta.db_table,
        "item": ServedItem._meta.db_table,
        "feedback": Feedback._meta.db_table,
        "taste": TastePreference._meta.db_table,
        "track": Track._meta.db_table,
        "link": TrackArtist._meta.db_table,
        "artist": Artist._meta.db_table,
    }
    sql = """
        WITH rejected AS (SELECT kind, value FROM {taste} WHERE user_id = %(user)s AND NOT liked)
        SELECT track_id FROM {top} WHERE user_id = %(user)s
        UNION SELECT track_id FROM {play} WHERE user_id = %(user)s
        UNION SELECT i.track_id FROM {item} i
               WHERE i.served_id IN (SELECT id FROM {served} WHERE user_id = %(user)s
                                      ORDER BY created_at DESC, id DESC LIMIT %(window)s)
        UNION SELECT track_id FROM {feedback} WHERE user_id = %(user)s AND kind = %(dislike)s
        UNION SELECT t.id FROM {track} t JOIN rejected r ON r.kind = 'track' AND r.value = t.spotify_id
        UNION SELECT ta.track_id FROM {link} ta JOIN {artist} a ON a.id = ta.artist_id
                JOIN rejected r ON r.kind = 'artist' AND r.value = a.spotify_id
        UNION SELECT t.id FROM {track} t
               WHERE EXISTS (SELECT 1 FROM rejected r WHERE r.kind = 'genre' AND (
                   (NOT lower(r.value) = ANY(%(scoped)s)
                    AND (lower(r.value) = t.genre OR lower(r.value) = t.subgenre))
                   OR EXISTS (SELECT 1 FROM unnest(%(scope_value)s::text[], %(scope_genre)s::text[],
                                                   %(scope_subgenre)s::text[]) AS s(value, genre, subgenre)
                               WHERE s.value = lower(r.value) AND s.genre IN (%(any)s, t.genre)
                                 AND s.subgenre IN (%(any)s, t.subgenre))))
    """.format(**names)
    # A rejected genre covers its family (catalog.genres.genre_scope: "hip-hop" also trap, drill…).
    scope_value, scope_genre, scope_subgenre = genre_scope_rows()
    params: dict[str, Any] = {
        "user": user.pk,
        "window": repeat_window,
        "dislike": Feedback.Kind.DISLIKE,
        "any": ANY,
        "scoped": sorted(set(scope_value)),
        "scope_value": scope_value,
        "scope_genre": scope_genre,
        "scope_subgenre": scope_subgenre,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def nearest_rows(queryset: QuerySet, limit: int) -> list:
    """The first ``limit`` rows of a distance-ordered queryset, over HNSW with an exact fallback.

    Iterative scans keep the index going when the WHERE clause (excluded tracks, another
    listener's rows) drops neighbours; when it still comes back short — dead index entries
    after many rolled-back writes, or simply fewer rows than asked — the same query runs
    exactly, which is cheap precisely when the matching set is small.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL hnsw.ef_search = %s", [min(max(limit, 40), 1000)])  # pgvector caps at 1000
        cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        rows = list(queryset[:limit])
    if len(rows) < limit:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_indexscan = off")
            rows = list(queryset[:limit])
    return rows


def pool_gather(
    *, user: User, query: np.ndarray, excluded: set[int], limit: int
) -> dict[int, tuple[str, ...]]:
    """Track id → sources: the listener's ``limit`` recall candidates nearest the mood, plus the
    catalog's nearest (half as many, at least 50), nearest first; none of them in ``excluded``."""
    pool: dict[int, tuple[str, ...]] = {}
    candidate_rows = (
        Candidate.objects.filter(user=user, track__profile__embedding__isnull=False)
        .exclude(track_id__any=list(excluded))
        .annotate(distance=CosineDistance("track__profile__embedding", query))
        .order_by("distance", "track_id")
        .values_list("track_id", "sources")
    )
    for track_id, sources in nearest_rows(candidate_rows, limit):
        pool[track_id] = tuple(sources) or (MOOD_SOURCE,)
    for track_id in nearest_track_ids(query, excluded=excluded | set(pool), limit=max(50, limit // 2)):
        pool.setdefault(track_id, (MOOD_SOURCE,))
    return pool


def nearest_track_ids(
    query: np.ndarray, *, excluded: set[int], limit: int, only: Q | None = None
) -> list[int]:
    """Catalog tracks nearest the mood, over the HNSW index (``only`` narrows them)."""
    profiles = (
        TrackProfile.objects.filter(embedding__isnull=False)
        .filter(only if only is not None else Q())
        .exclude(track_id__any=list(excluded))
        .annotate(distance=CosineDistance("embedding", query))
        .order_by("distance", "track_id")
        .values_list("track_id", flat=True)
    )
    return nearest_rows(profiles, limit)


def genre_or_artist_filter(*, genres: Sequence[str], artist_ids: Sequence[int]) -> Q:
    """Profiles of tracks in any of ``genres`` (as genre or subgenre, lower-case) or by any of
    ``artist_ids``; none when both are empty."""
    lowered = [genre.lower() for genre in genres]
    condition = Q(track__genre__in=lowered) | Q(track__subgenre__in=lowered) if lowered else Q(pk__in=[])
    if artist_ids:
        condition |= Q(track_id__in=TrackArtist.objects.filter(artist_id__in=artist_ids).values("track_id"))
    return condition


def vector_from_send(data: bytes) -> np.ndarray:
    """pgvector's binary form (``vector_send``): 2-byte dimension count, 2 unused bytes,
    big-endian float4s. Parsing the text form costs ~0.17 ms a vector; this is about 10× faster."""
    return np.frombuffer(data, dtype=">f4", count=int.from_bytes(data[:2], "big"), offset=4).astype(
        np.float32
    )


def profile_vectors(track_ids: Iterable[int]) -> dict[int, np.ndarray]:
    """Track id → its profile embedding, for the tracks that have one."""
    ids = list(set(track_ids))
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT track_id, vector_send(embedding) FROM {TrackProfile._meta.db_table} "
            "WHERE track_id = ANY(%s) AND embedding IS NOT NULL",
            [ids],
        )
        rows = cursor.fetchall()
    return {track_id: vector_from_send(data) for track_id, data in rows}


@dataclass(frozen=True)
class TrackRow:
    """What ranking and the track cards read of a candidate: plain values, no model instances.

    Building ~600 Track/Album/Profile instances per request cost more than the ranking itself.
    """

    id: int
    spotify_id: str
    name: str
    album_name: str
    duration_ms: int
    explicit: bool | None  # None: nobody knows (catalog.explicit)
    popularity: int | None
    genre: str
    subgenre: str
    valence: float | None
    energy: float | None
    acousticness: float | None
    profile_valence: float | None
    profile_energy: float | None
    album_image: str = ""  # its album's cover URL, "" until Spotify gave one

    def affect(self, name: str) -> float | None:
        """Audio feature ``name`` (valence, energy) when the catalog has it, else the profile's estimate."""
        value = getattr(self, name)
        return getattr(self, f"profile_{name}") if value is None else value


@dataclass(frozen=True)
class PoolRow:
    """One pooled track as ranking reads it: the track, its credited artists in order (id, name),
    its profile embedding, this listener's recall weight (None when recall did not find it) and
    its mood distribution (TRACK_MOODS order; None until the worker has computed it)."""

    track: TrackRow
    artists: list[tuple[int, str]]
    embedding: np.ndarray
    recall_weight: float | None
    moods: list[float] | None = None


def pool_rows(*, user: User, track_ids: Sequence[int]) -> list[PoolRow]:
    """Everything ranking reads of the pool in one round trip, in no particular order; tracks
    without an embedding are left out. (Four ORM queries took ~3× as long.)"""
    track, album, profile = Track._meta.db_table, Album._meta.db_table, TrackProfile._meta.db_table
    link, artist, candidate = TrackArtist._meta.db_table, Artist._meta.db_table, Candidate._meta.db_table
    sql = f"""
        WITH credits AS (
            SELECT ta.track_id, array_agg(ta.artist_id ORDER BY ta.position, ta.id) AS artist_ids,
                   array_agg(a.name ORDER BY ta.position, ta.id) AS names
              FROM {link} ta JOIN {artist} a ON a.id = ta.artist_id
             WHERE ta.track_id = ANY(%(ids)s)
             GROUP BY ta.track_id
        )
        SELECT t.id, t.spotify_id, t.name, COALESCE(al.name, ''), t.duration_ms, t.explicit, t.popularity,
               t.genre, t.subgenre, t.valence, t.energy, t.acousticness, p.valence, p.energy,
               COALESCE(al.image_url, ''), cr.artist_ids, cr.names, vector_send(p.embedding), c.weight, p.mood
          FROM {track} t
          JOIN {profile} p ON p.track_id = t.id AND p.embedding IS NOT NULL
          LEFT JOIN {album} al ON al.id = t.album_id
          LEFT JOIN credits cr ON cr.track_id = t.id
          LEFT JOIN {candidate} c ON c.track_id = t.id AND c.user_id = %(user)s
         WHERE t.id = ANY(%(ids)s)
    """  # table names from models, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, {"user": user.pk, "ids": list(track_ids)})
        rows = cursor.fetchall()
    return [
        PoolRow(
            track=TrackRow(*row[:15]),
            artists=list(zip(row[15] or [], row[16] or [], strict=True)),
            embedding=vector_from_send(row[17]),
            recall_weight=row[18],
            moods=row[19],
        )
        for row in rows
    ]
