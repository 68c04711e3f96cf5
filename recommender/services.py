"""The recommendation: (mood, preferences, prefetched candidates) in, a ranked, explained list out.

Slow work happened ahead of time (recall and profiles, in Celery); a request embeds one
mood query, gathers the listener's candidates plus the catalog tracks nearest the mood
(HNSW), and ranks them with the pure functions in ``rank.py``. Every served list is stored
with its weights and score parts, so feedback can point at it and the admin can show why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from pgvector.django import CosineDistance

from catalog.models import Album, Artist, Track, TrackArtist
from mood.encoder import DIMENSIONS, embed_text
from mood.mood_text import mood_query_text, reason_for_track
from mood.perception import EmotionEstimate
from mood.target import listening_target, target_region
from recommender.models import (
    Candidate,
    Feedback,
    ListenerSettings,
    MoodStrategy,
    RankingWeights,
    ServedItem,
    ServedList,
    TastePreference,
    TrackProfile,
)
from recommender.rank import (
    CandidateArrays,
    Weights,
    artist_buckets,
    centroid,
    choose_bucket,
    mood_path_order,
    score_parts,
    select,
)
from recommender.recall import has_listening_history
from recommender.types import RecommendedTrack
from spotify.models import Play, TopTrack

if TYPE_CHECKING:
    from accounts.models import User

# A pseudo-source for catalog tracks found only by their closeness to the mood.
MOOD_SOURCE = "mood"
FEEDBACK_VALUE = {Feedback.Kind.LIKE: 1.0, Feedback.Kind.SAVED: 0.8, Feedback.Kind.SKIP: -0.5}


@dataclass(frozen=True)
class MoodPath:
    """An optional journey across the list: from one mood to another (both in [-1, 1])."""

    start_valence: float
    start_arousal: float
    end_valence: float
    end_arousal: float


# --- weights --------------------------------------------------------------------------------


def site_weights() -> Weights:
    """The newest RankingWeights row (edited in the admin), or the defaults before any edit."""
    row = RankingWeights.objects.first()
    if row is None:
        return Weights()
    return Weights(
        alpha=row.alpha_emotion,
        beta=row.beta_recent,
        gamma=row.gamma_top,
        fit=row.fit,
        popularity=row.popularity,
        preference=row.preference,
        feedback=row.feedback,
        temperature=row.temperature,
        buckets=row.buckets,
        repeat_window=row.repeat_window,
        max_per_artist=row.max_per_artist,
        candidate_pool=row.candidate_pool,
    )


def listener_settings(*, user: User) -> ListenerSettings:
    """The listener's settings, unsaved defaults when they never changed them."""
    return ListenerSettings.objects.filter(user=user).first() or ListenerSettings(user=user)


def effective_weights(*, user: User, settings: ListenerSettings | None = None) -> Weights:
    settings = settings or listener_settings(user=user)
    weights = site_weights()
    overrides = {
        "alpha": settings.alpha_emotion,
        "beta": settings.beta_recent,
        "gamma": settings.gamma_top,
        "temperature": settings.temperature,
    }
    return replace(weights, **{name: value for name, value in overrides.items() if value is not None})


# --- the request ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Focus:
    """What a request asks for beyond a mood: genres, artists, tracks to sound like, a length cap.

    Genres and artists narrow the list when the pool has any such track (the reply can then say
    so honestly when it has none); seed tracks pull the query toward how those tracks sound.
    """

    genres: tuple[str, ...] = ()
    artist_ids: tuple[int, ...] = ()
    seed_track_ids: tuple[int, ...] = ()
    max_duration_ms: int | None = None

    @property
    def narrows(self) -> bool:
        return bool(self.genres or self.artist_ids)


SEED_PULL = 0.65  # how far seed tracks pull the mood query toward themselves


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
    strategy: str | None = None,
    mood_path: MoodPath | None = None,
    exclude_artist_ids: Iterable[int] = (),
    allow_explicit: bool | None = None,
    target_duration_ms: int | None = None,
    record: bool = True,
    focus: Focus | None = None,
) -> list[RecommendedTrack]:
    """Up to ``count`` tracks new to ``user`` that fit the mood, each with its reasons.

    Sampled, not cut, inside a randomly chosen diversity bucket, and never repeating what
    the listener was served in the last ``repeat_window`` lists: the same mood twice gives
    two different lists that both fit. Empty when nothing is embedded yet.
    """
    rng = rng if rng is not None else np.random.default_rng()
    settings = listener_settings(user=user)
    weights = effective_weights(user=user, settings=settings)
    strategy = strategy or settings.mood_strategy
    allow_explicit = settings.allow_explicit if allow_explicit is None else allow_explicit
    lift = strategy == MoodStrategy.LIFT and valence < 0.2
    if lift:
        # Aim where the listener wants to go — gently positive, a little more energy — not
        # where they are; the index is asked for that place too.
        lifted_valence, lifted_arousal = min(valence + 0.9, 0.4), max(arousal + 0.3, -0.1)
        region = target_region(lifted_valence, lifted_arousal)
        query = embed_text(mood_query_text("joy", lifted_valence, lifted_arousal, text))
    else:
        region = target_region(valence, arousal)
        query = embed_text(mood_query_text(label, valence, arousal, text))

    focus = focus or Focus()
    excluded = (
        _excluded_track_ids(user=user, weights=weights) | set(exclude_track_ids) | set(focus.seed_track_ids)
    )
    query = _seeded_query(query, focus.seed_track_ids)
    pool = _gather_pool(user=user, query=query, excluded=excluded, limit=weights.candidate_pool)
    if focus.narrows:
        focused = _nearest_track_ids(
            query, excluded=excluded | set(pool), limit=200, only=_focus_filter(focus)
        )
        for track_id in focused:
            pool.setdefault(track_id, (MOOD_SOURCE,))
    if not pool:
        return []
    cold_start = not has_listening_history(user=user)
    arrays, tracks, artist_names = _candidate_arrays(user=user, pool=pool)
    recent, top = _history_centroids(user=user)
    scores, parts = score_parts(arrays, query=query, recent=recent, top=top, region=region, weights=weights)

    allowed = _allowed(
        arrays, tracks, exclude_artist_ids=set(exclude_artist_ids), allow_explicit=allow_explicit
    )
    allowed &= _focus_mask(arrays, tracks, focus, allowed)
    bucket, bucket_bonus = _bucket_choice(user=user, arrays=arrays, weights=weights, rng=rng)
    shares = None if cold_start else settings.source_shares
    if cold_start:
        weights = replace(weights, temperature=max(weights.temperature, 0.15))  # variety over a thin signal
    chosen = select(
        scores + bucket_bonus,
        arrays,
        count=count,
        rng=rng,
        weights=weights,
        allowed=allowed,
        shares=shares,
        target_duration_ms=target_duration_ms,
    )
    if mood_path is not None:
        start = target_region(mood_path.start_valence, mood_path.start_arousal)
        end = target_region(mood_path.end_valence, mood_path.end_arousal)
        chosen = mood_path_order(chosen, arrays, start=start, end=end)
    else:
        chosen.sort(key=lambda index: -scores[index])

    picks = [
        _recommended(
            tracks[index],
            artist_names[tracks[index].id],
            score=float(scores[index]),
            parts={name: float(values[index]) for name, values in parts.items()},
            sources=list(pool[tracks[index].id]),
            label=label,
            valence=arrays.valence[index],
            energy=arrays.energy[index],
            lift=lift,
        )
        for index in chosen
    ]
    if record:
        picks = _record(
            user=user,
            picks=picks,
            text=text,
            label=label,
            valence=valence,
            arousal=arousal,
            strategy=strategy,
            bucket=bucket or 0,
            weights=weights,
            cold_start=cold_start,
        )
    return picks


def recommend_for_mood(*, user: User, mood: EmotionEstimate, text: str, count: int) -> list[RecommendedTrack]:
    """What the agent picks for this mood and these words; ``manage.py recommend`` prints the same."""
    target = listening_target(mood, text)
    return recommend_tracks(
        user=user,
        label=target.label,
        valence=target.valence,
        arousal=target.arousal,
        text=text,
        count=count,
        strategy=target.strategy,
    )


# --- pool and arrays --------------------------------------------------------------------------


def _excluded_track_ids(*, user: User, weights: Weights) -> set[int]:
    """Known tracks, recently served ones, and everything the listener rejected — one round trip."""
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
               WHERE EXISTS (SELECT 1 FROM rejected r WHERE r.kind = 'genre'
                              AND (lower(r.value) = t.genre OR lower(r.value) = t.subgenre))
    """.format(**names)
    params = {"user": user.pk, "window": weights.repeat_window, "dislike": Feedback.Kind.DISLIKE}
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


def _gather_pool(
    *, user: User, query: np.ndarray, excluded: set[int], limit: int
) -> dict[int, tuple[str, ...]]:
    """Track id → sources: the listener's recall candidates nearest the mood, plus the catalog's."""
    pool: dict[int, tuple[str, ...]] = {}
    candidate_rows = (
        Candidate.objects.filter(user=user, track__profile__embedding__isnull=False)
        .exclude(track_id__any=list(excluded))
        .annotate(distance=CosineDistance("track__profile__embedding", query))
        .order_by("distance", "track_id")
        .values_list("track_id", "sources")
    )
    rows = nearest_rows(candidate_rows, limit)
    for track_id, sources in rows:
        pool[track_id] = tuple(sources) or (MOOD_SOURCE,)
    for track_id in _nearest_track_ids(query, excluded=excluded | set(pool), limit=max(50, limit // 2)):
        pool.setdefault(track_id, (MOOD_SOURCE,))
    return pool


def profile_vectors(track_ids: Iterable[int]) -> dict[int, np.ndarray]:
    """Track id → its profile embedding, read as pgvector's binary form.

    Parsing the text form of 384 floats costs ~0.17 ms a vector in Python; a turn reads
    hundreds, so this reads ``vector_send`` bytes (2-byte dim, 2 unused, big-endian float4)
    straight into numpy: about 10× faster.
    """
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
    return {
        track_id: np.frombuffer(data, dtype=">f4", count=int.from_bytes(data[:2], "big"), offset=4).astype(
            np.float32
        )
        for track_id, data in rows
    }


def _seeded_query(query: np.ndarray, seed_track_ids: Sequence[int]) -> np.ndarray:
    if not seed_track_ids:
        return query
    seeds = list(profile_vectors(seed_track_ids).values())
    if not seeds:
        return query
    mixed = (1 - SEED_PULL) * query + SEED_PULL * np.mean(seeds, axis=0)
    return (mixed / (np.linalg.norm(mixed) or 1.0)).astype(np.float32)


def _focus_filter(focus: Focus) -> Q:
    genres = [genre.lower() for genre in focus.genres]
    condition = Q(track__genre__in=genres) | Q(track__subgenre__in=genres) if genres else Q(pk__in=[])
    if focus.artist_ids:
        condition |= Q(
            track_id__in=TrackArtist.objects.filter(artist_id__in=focus.artist_ids).values("track_id")
        )
    return condition


def _focus_mask(
    arrays: CandidateArrays, tracks: Sequence[TrackRow], focus: Focus, allowed: np.ndarray
) -> np.ndarray:
    """Tracks the focus asks for; everything when the pool holds none of them (the caller says so)."""
    mask = np.ones(len(tracks), dtype=bool)
    if focus.max_duration_ms:
        mask &= np.array([0 < track.duration_ms <= focus.max_duration_ms for track in tracks])
    if not focus.narrows:
        return mask
    genres = {genre.lower() for genre in focus.genres}
    artist_ids = set(focus.artist_ids)
    wanted = np.array(
        [
            track.genre.lower() in genres or track.subgenre.lower() in genres or bool(set(names) & artist_ids)
            for track, names in zip(tracks, arrays.artists, strict=True)
        ]
    )
    return mask & wanted if (mask & wanted & allowed).any() else mask


def _nearest_track_ids(
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


def _candidate_arrays(
    *, user: User, pool: dict[int, tuple[str, ...]]
) -> tuple[CandidateArrays, list[TrackRow], dict[int, list[tuple[int, str]]]]:
    ids = list(pool)
    by_id: dict[int, TrackRow] = {}
    artist_names: dict[int, list[tuple[int, str]]] = defaultdict(list)
    vectors: dict[int, np.ndarray] = {}
    recall: dict[int, float] = {}
    for row, artist_ids, names, vector, weight in _candidate_rows(user, ids):
        by_id[row.id] = row
        artist_names[row.id] = list(zip(artist_ids or [], names or [], strict=True))
        vectors[row.id] = _vector_from_send(vector)
        if weight is not None:
            recall[row.id] = weight
    tracks = [by_id[track_id] for track_id in ids if track_id in by_id]
    preference = _preference_scores(user=user, tracks=tracks, artist_names=artist_names)
    feedback = _feedback_scores(user=user, tracks=tracks, artist_names=artist_names)
    embeddings = np.array([vectors[track.id] for track in tracks], dtype=np.float32).reshape(-1, DIMENSIONS)
    norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
    arrays = CandidateArrays(
        embeddings=embeddings / np.where(norms == 0, 1, norms),
        valence=_floats(_affect(track, "valence") for track in tracks),
        energy=_floats(_affect(track, "energy") for track in tracks),
        popularity=_floats(track.popularity for track in tracks),
        artists=[tuple(artist_id for artist_id, _ in artist_names[track.id]) for track in tracks],
        sources=[pool[track.id] for track in tracks],
        preference=preference,
        feedback=feedback,
        recall_weight=_floats(recall.get(track.id, 0.0) for track in tracks),
        explicit=np.array([track.explicit for track in tracks], dtype=bool),
        duration_ms=np.array([track.duration_ms for track in tracks], dtype=np.int64),
    )
    return arrays, tracks, artist_names


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
    explicit: bool
    popularity: int | None
    genre: str
    subgenre: str
    valence: float | None
    energy: float | None
    acousticness: float | None
    profile_valence: float | None
    profile_energy: float | None


def _candidate_rows(user: User, ids: Sequence[int]) -> list[tuple[TrackRow, list, list, bytes, float | None]]:
    """Everything ranking reads of the pool in one round trip: the track, its profile and vector,
    its artists in order, and this listener's recall weight. (Four ORM queries took ~3× as long.)"""
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
               cr.artist_ids, cr.names, vector_send(p.embedding), c.weight
          FROM {track} t
          JOIN {profile} p ON p.track_id = t.id AND p.embedding IS NOT NULL
          LEFT JOIN {album} al ON al.id = t.album_id
          LEFT JOIN credits cr ON cr.track_id = t.id
          LEFT JOIN {candidate} c ON c.track_id = t.id AND c.user_id = %(user)s
         WHERE t.id = ANY(%(ids)s)
    """  # table names from models, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, {"user": user.pk, "ids": list(ids)})
        rows = cursor.fetchall()
    return [(TrackRow(*row[:14]), row[14], row[15], row[16], row[17]) for row in rows]


def _vector_from_send(data: bytes) -> np.ndarray:
    """pgvector's binary form: 2-byte dimension count, 2 unused bytes, big-endian float4s."""
    return np.frombuffer(data, dtype=">f4", count=int.from_bytes(data[:2], "big"), offset=4).astype(
        np.float32
    )


def _affect(track: TrackRow, name: str) -> float | None:
    """Audio features when the catalog has them, else the profile's estimate."""
    value = getattr(track, name)
    return getattr(track, f"profile_{name}") if value is None else value


def _preference_scores(
    *, user: User, tracks: Sequence[TrackRow], artist_names: dict[int, list[tuple[int, str]]]
) -> np.ndarray:
    liked = TastePreference.objects.filter(user=user, liked=True)
    liked_genres = {p.value.lower() for p in liked if p.kind == TastePreference.Kind.GENRE}
    liked_artists = {p.value for p in liked if p.kind == TastePreference.Kind.ARTIST}
    if not liked_genres and not liked_artists:
        return np.zeros(len(tracks))
    artist_spotify = dict(
        TrackArtist.objects.filter(track_id__any=[t.id for t in tracks]).values_list(
            "artist_id", "artist__spotify_id"
        )
    )
    scores = []
    for track in tracks:
        score = 0.5 if track.genre.lower() in liked_genres else 0.0
        if any(artist_spotify.get(artist_id) in liked_artists for artist_id, _ in artist_names[track.id]):
            score += 1.0
        scores.append(min(score, 1.0))
    return np.array(scores)


def _feedback_scores(
    *, user: User, tracks: Sequence[TrackRow], artist_names: dict[int, list[tuple[int, str]]]
) -> np.ndarray:
    """Per track: its own feedback, plus a lighter echo of the feedback on its artists."""
    rows = list(Feedback.objects.filter(user=user).values_list("track_id", "kind"))
    if not rows:
        return np.zeros(len(tracks))
    per_track: dict[int, float] = defaultdict(float)
    for track_id, kind in rows:
        per_track[track_id] += FEEDBACK_VALUE.get(kind, -1.0)
    per_artist: dict[int, float] = defaultdict(float)
    for track_id, artist_id in TrackArtist.objects.filter(track_id__in=list(per_track)).values_list(
        "track_id", "artist_id"
    ):
        per_artist[artist_id] += per_track[track_id]
    scores = []
    for track in tracks:
        artist_echo = sum(per_artist.get(artist_id, 0.0) for artist_id, _ in artist_names[track.id])
        scores.append(np.clip(per_track.get(track.id, 0.0) + 0.3 * artist_echo, -1.0, 1.0))
    return np.array(scores)


def _history_centroids(*, user: User) -> tuple[np.ndarray | None, np.ndarray | None]:
    recent_ids = list(Play.objects.filter(user=user).values_list("track_id", flat=True)[:50])
    top_ids = list(
        TopTrack.objects.filter(user=user, time_range__in=("short_term", "medium_term")).values_list(
            "track_id", flat=True
        )
    )
    vectors = profile_vectors(set(recent_ids) | set(top_ids))

    def mean_of(ids: list[int]) -> np.ndarray | None:
        rows = [np.asarray(vectors[i], dtype=np.float32) for i in ids if i in vectors]
        return centroid(np.array(rows)) if rows else None

    return mean_of(recent_ids), mean_of(top_ids)


def _allowed(
    arrays: CandidateArrays, tracks: Sequence[TrackRow], *, exclude_artist_ids: set[int], allow_explicit: bool
) -> np.ndarray:
    allowed = np.ones(len(tracks), dtype=bool)
    if not allow_explicit:
        allowed &= ~arrays.explicit
    if exclude_artist_ids:
        allowed &= np.array([not (set(names) & exclude_artist_ids) for names in arrays.artists])
    return allowed


def _bucket_choice(
    *, user: User, arrays: CandidateArrays, weights: Weights, rng: np.random.Generator
) -> tuple[int | None, np.ndarray]:
    """A diversity bucket for this request and the sampling bonus it gives its tracks.

    Buckets slice candidates by artist; the chosen slice (never the one served last) gets a
    bonus of one temperature unit, so a request leans toward a different slice each time
    (about e≈2.7× the odds) without ever trading away mood fit as a hard cut would.
    """
    if weights.buckets <= 1:
        return None, np.zeros(len(arrays))
    last = ServedList.objects.filter(user=user).values_list("bucket", flat=True).first()
    bucket = choose_bucket(rng, weights.buckets, avoid=last)
    in_bucket = artist_buckets(arrays.artists, weights.buckets) == bucket
    return bucket, np.where(in_bucket, max(weights.temperature, 0.02), 0.0)


def _floats(values: Iterable[float | int | None]) -> np.ndarray:
    return np.array([np.nan if value is None else float(value) for value in values], dtype=np.float64)


# --- explanation and record -----------------------------------------------------------------------

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


def _recommended(
    track: TrackRow,
    artists: list[tuple[int, str]],
    *,
    score: float,
    parts: dict[str, float],
    sources: list[str],
    label: str,
    valence: float,
    energy: float,
    lift: bool = False,
) -> RecommendedTrack:
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


@transaction.atomic
def _record(
    *,
    user: User,
    picks: list[RecommendedTrack],
    text: str,
    label: str,
    valence: float,
    arousal: float,
    strategy: str,
    bucket: int,
    weights: Weights,
    cold_start: bool,
) -> list[RecommendedTrack]:
    served = ServedList.objects.create(
        user=user,
        request_text=text[:2000],
        mood_label=label,
        valence=valence,
        arousal=arousal,
        strategy=strategy,
        bucket=bucket,
        weights=vars(weights),
        cold_start=cold_start,
    )
    items = ServedItem.objects.bulk_create(
        [
            ServedItem(
                served=served,
                track_id=pick.track_id,
                position=position,
                score=pick.score,
                parts=pick.parts,
                sources=pick.sources,
                explanation=pick.reason[:300],
            )
            for position, pick in enumerate(picks)
        ]
    )
    return [replace(pick, served_item_id=item.pk) for pick, item in zip(picks, items, strict=True)]


# --- feedback -----------------------------------------------------------------------------------


def feedback_record(*, user: User, track_id: int, kind: str, served_item_id: int | None = None) -> Feedback:
    """Store 👍/👎/skip/saved for one of the listener's tracks; the next ranking reads it."""
    if kind not in Feedback.Kind.values:
        raise ValueError(f"unknown feedback {kind!r}")
    item = None
    if served_item_id is not None:
        item = ServedItem.objects.filter(pk=served_item_id, served__user=user, track_id=track_id).first()
    return Feedback.objects.create(user=user, track_id=track_id, kind=kind, item=item)
