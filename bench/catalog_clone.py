"""A bigger catalog for benches: the scratch catalog's embedded tracks cloned in SQL up to a size.

Each clone is a new Track (a fresh 22-character Spotify-like id, every other column copied) on
the same album with the same artist credits, and a copy of the original's TrackProfile whose
embedding is nudged by a little seeded noise and re-normalised, so the HNSW index holds distinct
points about as far from their originals as the demo's nearest neighbours are from each other.
Playlists, plays and candidates are not cloned: a clone is a catalog track nobody knows yet.

Everything happens in one transaction (a Ctrl-C leaves the catalog as it was); the HNSW index is
dropped and rebuilt around the bulk insert, which is several times faster than growing it row by
row. Needs Django set up against a scratch database (``bench.scratch_database``): never run this
against a database someone uses.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import connection, transaction

from catalog.models import Track, TrackArtist
from recommender.models import TrackProfile

# Per-dimension uniform noise before re-normalising: a clone lands ~0.025 cosine distance from its
# original, where the demo's 90th-percentile nearest neighbour is (~0.05; the median is a duplicate).
CLONE_NOISE = 0.02
INDEX_NAME = "trackprofile_embedding_hnsw"
INDEX_MEMORY = "1GB"  # the whole graph in memory while it is built (50k tracks need ~150 MB)


@dataclass(frozen=True)
class Growth:
    """What ``catalog_grow`` did: track counts before and after, and where the time went."""

    before: int
    after: int
    seconds: float = 0.0
    index_seconds: float = 0.0
    analyze_seconds: float = 0.0

    @property
    def grown(self) -> bool:
        return self.after > self.before


def _columns(model: type, *, leave_out: set[str]) -> list[str]:
    """The model's concrete columns, quoted, less ``leave_out`` (column names)."""
    return [
        connection.ops.quote_name(field.column)
        for field in model._meta.concrete_fields
        if field.column not in leave_out
    ]


def catalog_grow(target: int, *, noise: float = CLONE_NOISE, seed: float = 0.25) -> Growth:
    """Clone embedded tracks (in id order, round and round) until the catalog holds ``target``.

    Idempotent: a catalog already that size is left alone. Clone ids continue from the current
    count, so growing again later (to a bigger target) never reuses one. Ends with VACUUM ANALYZE
    of the grown tables, so the planner sees the new sizes.
    """
    track, link, profile = Track._meta.db_table, TrackArtist._meta.db_table, TrackProfile._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {track}")
        before = cursor.fetchone()[0]
    if before >= target:
        return Growth(before, before)
    began = time.perf_counter()
    track_columns = _columns(Track, leave_out={"id", "spotify_id"})
    profile_columns = _columns(TrackProfile, leave_out={"id", "track_id", "embedding"})
    with transaction.atomic(), connection.cursor() as cursor:
        # Django's foreign keys are deferred: checked now, or CREATE INDEX refuses (pending triggers).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute(f"SELECT count(*) FROM {profile} WHERE embedding IS NOT NULL")
        originals_count = cursor.fetchone()[0]
        if not originals_count:
            raise RuntimeError("No embedded track to clone: prepare the scratch catalog first.")
        # Clone k copies the ((k - 1) mod n)-th embedded track; its id is md5-derived, base64 without
        # + / =, 22 characters like Spotify's, numbered from the current count so never reused.
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE clone_map ON COMMIT DROP AS
            SELECT g.k, o.id AS original_id, NULL::bigint AS track_id,
                   substr(translate(encode(decode(md5('personalais-clone-' || (%(before)s + g.k)), 'hex'),
                                           'base64'), '+/=', 'ab'), 1, 22) AS spotify_id
              FROM generate_series(1, %(needed)s) AS g(k)
              JOIN (SELECT t.id, row_number() OVER (ORDER BY t.id) - 1 AS position
                      FROM {track} t JOIN {profile} p ON p.track_id = t.id AND p.embedding IS NOT NULL
                   ) o ON o.position = (g.k - 1) %% %(originals)s
            """,
            {"before": before, "needed": target - before, "originals": originals_count},
        )
        columns = ", ".join(track_columns)
        originals = ", ".join(f"t.{column}" for column in track_columns)
        cursor.execute(
            f"""
            WITH inserted AS (
                INSERT INTO {track} (spotify_id, {columns})
                SELECT m.spotify_id, {originals} FROM clone_map m JOIN {track} t ON t.id = m.original_id
                 ORDER BY m.k
                RETURNING id, spotify_id
            )
            UPDATE clone_map m SET track_id = i.id FROM inserted i WHERE i.spotify_id = m.spotify_id
            """
        )
        cursor.execute(
            f"""
            INSERT INTO {link} (track_id, artist_id, position)
            SELECT m.track_id, ta.artist_id, ta.position
              FROM clone_map m JOIN {link} ta ON ta.track_id = m.original_id
             ORDER BY m.k, ta.position, ta.id
            """
        )
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [INDEX_NAME])
        row = cursor.fetchone()
        if row:
            cursor.execute(f"DROP INDEX {INDEX_NAME}")
        columns = ", ".join(profile_columns)
        originals = ", ".join(f"p.{column}" for column in profile_columns)
        cursor.execute(
            f"""
            INSERT INTO {profile} (track_id, embedding, {columns})
            SELECT m.track_id,
                   l2_normalize((SELECT array_agg(x + %(noise)s * (2 * random() - 1) ORDER BY i)
                                   FROM unnest(p.embedding::real[]) WITH ORDINALITY AS u(x, i))::vector),
                   {originals}
              FROM clone_map m JOIN {profile} p ON p.track_id = m.original_id
             ORDER BY m.k
            """,
            {"noise": noise},
        )
        index_began = time.perf_counter()
        if row:
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_MEMORY}'")
            cursor.execute(row[0])
        index_seconds = time.perf_counter() - index_began
    analyze_began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {track}, {link}, {profile}")
        cursor.execute(f"SELECT count(*) FROM {track}")
        after = cursor.fetchone()[0]
    now = time.perf_counter()
    return Growth(before, after, now - began, index_seconds, now - analyze_began)
