"""The candidate pool in one statement: which tracks a request considers, scored by pgvector.

A request's pool is the listener's recall candidates nearest the mood query plus the catalog's
nearest tracks (HNSW), minus everything they already know, were served lately or rejected, each
with its cosine similarity to the mood and to the listener's recent and top listening. One round
trip; no vector leaves PostgreSQL, and the client reads the result by column (``ScoredPool``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from django.db import connection
from psycopg.types.numeric import Int8

from catalog.genres import ANY, genre_scope_rows
from catalog.models import Album, Artist, Track, TrackArtist
from catalog.sql import server_bound_cursor
from recommender.models import Candidate, Feedback, ServedItem, ServedList, TastePreference, TrackProfile
from spotify.models import ImportedTrack, Play, TopTrack

if TYPE_CHECKING:
    from accounts.models import User

# A pseudo-source for catalog tracks found only by their closeness to the mood.
MOOD_SOURCE = "mood"


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


class TrackRow(NamedTuple):
    """What ranking and the track cards read of a candidate: plain values, no model instances.

    Building ~600 Track/Album/Profile instances per request cost more than the ranking itself (and
    a tuple builds several times faster than a frozen dataclass).
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


# --- the whole pool in one statement ---------------------------------------------------------------

# Tracks a listener is never offered: what they know, what they were served lately, what they
# voted down, and the tracks and artists they said no to (a rejected genre is checked per row
# by GENRE_BLOCKED, so nothing scans the catalog when nobody rejects one).
EXCLUDED_CTE = """
    rejected AS (SELECT kind, value FROM {taste} WHERE user_id = %(user)s AND NOT liked),
    excluded AS (
        SELECT track_id FROM {top} WHERE user_id = %(user)s
        UNION SELECT track_id FROM {play} WHERE user_id = %(user)s
        UNION SELECT i.track_id FROM {item} i
               WHERE i.served_id IN (SELECT id FROM {served} WHERE user_id = %(user)s
                                      ORDER BY created_at DESC, id DESC LIMIT %(window)s)
        UNION SELECT track_id FROM {feedback} WHERE user_id = %(user)s AND kind = %(dislike)s
        UNION SELECT t.id FROM {track} t JOIN rejected r ON r.kind = 'track' AND r.value = t.spotify_id
        UNION SELECT ta.track_id FROM {link} ta JOIN {artist} a ON a.id = ta.artist_id
                JOIN rejected r ON r.kind = 'artist' AND r.value = a.spotify_id
        UNION SELECT unnest(%(also)s::bigint[])
    ),
    -- (genre, subgenre) patterns a rejected genre covers; '*' matches any.
    blocked AS (
        SELECT s.genre, s.subgenre
          FROM rejected r
          JOIN unnest(%(scope_value)s::text[], %(scope_genre)s::text[], %(scope_subgenre)s::text[])
               AS s(value, genre, subgenre) ON s.value = lower(r.value)
         WHERE r.kind = 'genre'
        UNION SELECT lower(r.value), %(any)s FROM rejected r
         WHERE r.kind = 'genre' AND NOT lower(r.value) = ANY(%(scoped)s::text[])
        UNION SELECT %(any)s, lower(r.value) FROM rejected r
         WHERE r.kind = 'genre' AND NOT lower(r.value) = ANY(%(scoped)s::text[])
    )
"""
# Per pooled row: its genre is one the listener said no to. The first EXISTS runs once, so a
# listener who rejected no genre costs nothing per row (and no track row is read for it).
GENRE_BLOCKED = """(EXISTS (SELECT 1 FROM blocked)
          AND EXISTS (SELECT 1 FROM {track} t JOIN blocked b ON b.genre IN (%(any)s::text, t.genre)
                                                          AND b.subgenre IN (%(any)s::text, t.subgenre)
                       WHERE t.id = {alias}.track_id))"""


def _table_names() -> dict[str, str]:
    return {
        "top": TopTrack._meta.db_table,
        "play": Play._meta.db_table,
        "served": ServedList._meta.db_table,
        "item": ServedItem._meta.db_table,
        "feedback": Feedback._meta.db_table,
        "taste": TastePreference._meta.db_table,
        "track": Track._meta.db_table,
        "link": TrackArtist._meta.db_table,
        "artist": Artist._meta.db_table,
        "album": Album._meta.db_table,
        "profile": TrackProfile._meta.db_table,
        "candidate": Candidate._meta.db_table,
        "imported": ImportedTrack._meta.db_table,
    }


def _exclusion_params(*, user: User, repeat_window: int, also: Iterable[int]) -> dict[str, Any]:
    scope_value, scope_genre, scope_subgenre = genre_scope_rows()
    return {
        "user": Int8(user.pk),  # as the column is: a small id sent as int2 steers the planner off its index
        "window": repeat_window,
        "dislike": Feedback.Kind.DISLIKE,
        "also": sorted(set(also)),
        "any": ANY,
        "scoped": sorted(set(scope_value)),
        "scope_value": scope_value,
        "scope_genre": scope_genre,
        "scope_subgenre": scope_subgenre,
    }


class ScoredPool:
    """The pooled tracks as the statement returned them, read by column.

    Ranking needs a few numbers per track for ~600 tracks, the cards the full row of the ~8 it
    picks (``pick_rows``): names, album and cover travel for those only, and the columns go into
    arrays without a Python object per track.
    """

    # Column positions in ``pool_scored``'s SELECT.
    ID, DURATION, EXPLICIT, POPULARITY, GENRE, SUBGENRE = 0, 1, 2, 3, 4, 5
    VALENCE, ENERGY, PROFILE_VALENCE, PROFILE_ENERGY = 6, 7, 8, 9
    ARTIST_IDS, LIKED_ARTIST_IDS, SOURCES, RECALL_WEIGHT, MOODS = 10, 11, 12, 13, 14
    SIMILARITY = slice(15, 18)

    def __init__(self, rows: list[tuple]) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, index: int) -> list:
        return [row[index] for row in self.rows]

    def floats(self, index: int) -> np.ndarray:
        """A numeric column as float64, NaN where NULL."""
        return np.array(self.column(index), dtype=np.float64).reshape(len(self.rows))

    def affect(self, name: str) -> np.ndarray:
        """Audio feature ``name`` (valence, energy) where the catalog has it, else the profile's estimate."""
        own = self.floats(getattr(self, name.upper()))
        return np.where(np.isnan(own), self.floats(getattr(self, f"PROFILE_{name.upper()}")), own)

    def artist_ids(self) -> list[tuple[int, ...]]:
        return [tuple(ids) if ids else () for ids in self.column(self.ARTIST_IDS)]

    def liked_artist_ids(self) -> set[int]:
        """The pooled tracks' credited artists the listener likes."""
        return {artist_id for ids in self.column(self.LIKED_ARTIST_IDS) if ids for artist_id in ids}

    def sources(self) -> list[tuple[str, ...]]:
        return [tuple(text.split(",")) if text else (MOOD_SOURCE,) for text in self.column(self.SOURCES)]

    def similarity(self) -> np.ndarray:
        """(n, 3): cosine similarity to the mood query, recent and top listening (NaN: none)."""
        return np.array([row[self.SIMILARITY] for row in self.rows], dtype=np.float64).reshape(-1, 3)


RECENT_PLAYS = 50  # the newest plays that make up "recent" listening
IMPORTED_TOP = 50  # an imported download's most streamed tracks stand in for top tracks


# The catalog's tracks nearest the mood query, beyond the listener's candidates: ordered by the
# HNSW index (@ORDER@ = the bare distance) or exactly (the distance "+ 0"), when the index comes
# back short.
NEAR_SELECT = (
    """
            SELECT p.track_id, p.embedding <=> %(query)s::vector AS distance,
                   p.valence, p.energy, p.mood, p.embedding,
                   -- recall's weight, for a candidate beyond the nearest ones
                   (SELECT c.weight FROM {candidate} c
                     WHERE c.user_id = %(user)s AND c.track_id = p.track_id) AS weight
              FROM {profile} p
             WHERE p.embedding IS NOT NULL
               AND p.track_id NOT IN (SELECT track_id FROM excluded)
               AND p.track_id NOT IN (SELECT track_id FROM cand)
               AND NOT """
    + GENRE_BLOCKED.format(alias="p", track="{track}")
    + """
             ORDER BY @ORDER@ LIMIT %(near)s"""
)


# At most this many tracks of the named genres (the most popular) are measured for a focus.
FOCUSED_SCAN = 2000


def pool_scored(
    *,
    user: User,
    query: np.ndarray,
    repeat_window: int,
    limit: int,
    also_excluded: Iterable[int] = (),
    liked_artists: Iterable[str] = (),
    genres: Sequence[str] = (),
    artist_ids: Sequence[int] = (),
    focused: int = 200,
) -> ScoredPool:
    """The request's pool, scored against the mood and the listener's listening, in one statement.

    The listener's ``limit`` recall candidates nearest the mood, then the catalog's nearest (half as
    many, at least 50) over HNSW — or exactly, when the index comes back short (a small catalog,
    dead entries) — none of them excluded; with ``genres`` or ``artist_ids``, also the ``focused``
    nearest tracks of those genres (as genre or subgenre) or by those artists. Similarities are
    computed by pgvector, so no vectors travel; the recent and top centroids are the mean of the
    newest plays (skips left out) and of the short- and medium-term top tracks (without those, an
    import's most streamed tracks).
    """
    sql = (
        "WITH "
        + EXCLUDED_CTE
        + """,
        cand AS (
            SELECT c.track_id, c.sources, 0 AS branch, p.embedding <=> %(query)s::vector AS distance,
                   p.valence, p.energy, p.mood, p.embedding, c.weight
              FROM {candidate} c
              JOIN {profile} p ON p.track_id = c.track_id AND p.embedding IS NOT NULL
             WHERE c.user_id = %(user)s AND c.track_id NOT IN (SELECT track_id FROM excluded)
               AND NOT """
        + GENRE_BLOCKED.format(alias="p", track="{track}")
        + """
             -- exact ("+ 0"): a generic plan must never walk the HNSW index for these rows
             ORDER BY (p.embedding <=> %(query)s::vector) + 0, c.track_id LIMIT %(limit)s
        ),
        near_index AS ("""
        + NEAR_SELECT.replace("@ORDER@", "p.embedding <=> %(query)s::vector")
        + """
        ),
        near_exact AS ("""
        + NEAR_SELECT.replace("@ORDER@", "(p.embedding <=> %(query)s::vector) + 0, p.track_id")
        + """
        ),
        near AS (
            SELECT * FROM near_index WHERE (SELECT count(*) FROM near_index) >= %(near)s
            UNION ALL
            SELECT * FROM near_exact WHERE (SELECT count(*) FROM near_index) < %(near)s
        ),
        -- A request that names genres or artists also gets their nearest tracks: the set comes
        -- from the indexes (genre, subgenre, artist), then exactly by distance. A big genre in a
        -- big catalog (thousands of tracks) lends its most popular ones only, so the cost stays
        -- that of a few thousand rows whatever the catalog's size (bench/catalog_scale.py).
        focused_ids AS (
            (SELECT id AS track_id FROM {track}
              WHERE %(narrows)s AND (genre = ANY(%(genres)s::text[]) OR subgenre = ANY(%(genres)s::text[]))
              ORDER BY popularity DESC, id LIMIT %(focused_scan)s)
            UNION
            SELECT track_id FROM {link} WHERE %(narrows)s AND artist_id = ANY(%(artist_ids)s::bigint[])
        ),
        focused AS (
            SELECT p.track_id, p.embedding <=> %(query)s::vector AS distance,
                   p.valence, p.energy, p.mood, p.embedding,
                   (SELECT c.weight FROM {candidate} c
                     WHERE c.user_id = %(user)s AND c.track_id = p.track_id) AS weight
              FROM focused_ids f JOIN {profile} p ON p.track_id = f.track_id
             WHERE p.embedding IS NOT NULL
               AND p.track_id NOT IN (SELECT track_id FROM excluded)
               AND p.track_id NOT IN (SELECT track_id FROM cand)
               AND p.track_id NOT IN (SELECT track_id FROM near)
               AND NOT """
        + GENRE_BLOCKED.format(alias="p", track="{track}")
        + """
             ORDER BY (p.embedding <=> %(query)s::vector) + 0, p.track_id LIMIT %(focused)s
        ),
        pool AS (
            SELECT * FROM cand
            UNION ALL
            SELECT track_id, NULL, 1, distance, valence, energy, mood, embedding, weight FROM near
            UNION ALL
            SELECT track_id, NULL, 2, distance, valence, energy, mood, embedding, weight FROM focused
        ),
        recent AS (
            SELECT avg(p.embedding) AS v
              FROM (SELECT track_id FROM {play} WHERE user_id = %(user)s AND skipped IS NOT TRUE
                     ORDER BY played_at DESC LIMIT %(recent)s) r
              JOIN {profile} p ON p.track_id = r.track_id AND p.embedding IS NOT NULL
        ),
        top_ids AS (
            SELECT track_id FROM {top}
             WHERE user_id = %(user)s AND time_range IN ('short_term', 'medium_term')
        ),
        top_all AS (
            SELECT track_id FROM top_ids
            UNION ALL
            (SELECT track_id FROM {imported}
              WHERE user_id = %(user)s AND plays > 0 AND NOT banned AND NOT EXISTS (SELECT 1 FROM top_ids)
              ORDER BY plays DESC, track_id LIMIT %(imported_top)s)
        ),
        top AS (
            SELECT avg(p.embedding) AS v
              FROM top_all x JOIN {profile} p ON p.track_id = x.track_id AND p.embedding IS NOT NULL
        )
        SELECT t.id, t.duration_ms, t.explicit, t.popularity, t.genre, t.subgenre,
               t.valence, t.energy, pool.valence, pool.energy,
               ARRAY(SELECT ta.artist_id FROM {link} ta WHERE ta.track_id = t.id ORDER BY ta.position, ta.id),
               -- The credited artists the listener likes (tastes hold Spotify ids); none asked: NULL.
               CASE WHEN cardinality(%(liked_artists)s::text[]) > 0 THEN ARRAY(
                   SELECT ta.artist_id FROM {link} ta JOIN {artist} a ON a.id = ta.artist_id
                    WHERE ta.track_id = t.id AND a.spotify_id = ANY(%(liked_artists)s::text[])) END,
               array_to_string(ARRAY(SELECT jsonb_array_elements_text(pool.sources)), ','),
               pool.weight,
               pool.mood,
               1 - pool.distance,
               1 - (pool.embedding <=> (SELECT v FROM recent)),
               1 - (pool.embedding <=> (SELECT v FROM top))
          FROM pool
          -- Row by row over the primary key (OFFSET 0 keeps the planner from hashing the catalog):
          -- the cost follows the pool, not the catalog's size. The profile's columns came along
          -- with the pool, which read them to measure distances.
          CROSS JOIN LATERAL (SELECT * FROM {track} t WHERE t.id = pool.track_id OFFSET 0) t
         ORDER BY pool.branch, pool.distance, pool.track_id
    """
    ).format(**_table_names())  # table names from the models, values as parameters
    params = _exclusion_params(user=user, repeat_window=repeat_window, also=also_excluded)
    params.update(
        query=vector_text(query),
        limit=limit,
        near=max(50, limit // 2),
        recent=RECENT_PLAYS,
        imported_top=IMPORTED_TOP,
        narrows=bool(genres or artist_ids),
        genres=[genre.lower() for genre in genres],
        artist_ids=list(artist_ids),
        focused=focused,
        focused_scan=FOCUSED_SCAN,
        liked_artists=sorted(liked_artists),
    )
    with server_bound_cursor(binary=True) as cursor:
        cursor.execute(sql, params)
        return ScoredPool(cursor.fetchall())


def vector_text(vector: np.ndarray) -> str:
    """pgvector's text form; ``repr`` of a float32 round-trips exactly."""
    return "[" + ",".join(map(repr, np.asarray(vector, dtype=np.float32).tolist())) + "]"


def pick_rows(track_ids: Sequence[int]) -> dict[int, tuple[TrackRow, list[tuple[int, str]]]]:
    """Track id → the picked track as its card shows it and its credited artists (id, name) in
    order; a track deleted meanwhile is missing. One statement for the few tracks a list keeps."""
    if not track_ids:
        return {}
    tables = _table_names()
    sql = """
        SELECT t.id, t.spotify_id, t.name, COALESCE(al.name, ''), t.duration_ms, t.explicit,
               t.popularity, t.genre, t.subgenre, t.valence, t.energy, t.acousticness, p.valence,
               p.energy, COALESCE(al.image_url, ''),
               ARRAY(SELECT ta.artist_id FROM {link} ta WHERE ta.track_id = t.id ORDER BY ta.position, ta.id),
               ARRAY(SELECT a.name FROM {link} ta JOIN {artist} a ON a.id = ta.artist_id
                      WHERE ta.track_id = t.id ORDER BY ta.position, ta.id)
          FROM {track} t
          JOIN {profile} p ON p.track_id = t.id
          LEFT JOIN {album} al ON al.id = t.album_id
         WHERE t.id = ANY(%(ids)s::bigint[])
    """.format(**tables)  # table names from the models, values as parameters
    with server_bound_cursor(binary=True) as cursor:
        cursor.execute(sql, {"ids": list(track_ids)})
        rows = cursor.fetchall()
    return {row[0]: (TrackRow(*row[:15]), list(zip(row[15], row[16], strict=True))) for row in rows}
