"""Recommender figures on this machine: ranking, a whole request, recall, embeddings, pgvector.

Run: .venv/bin/python bench/recommender.py [--requests 24] [--skip-clustered]   (scratch database
personalais_bench unless EMBEDDED_DATABASE_NAME or DATABASE_URL says otherwise; loads and embeds
the demo catalog there when missing, which takes minutes the first time). Prints one table,
asserts nothing.

Rows: pure ranking (``rank.score_parts`` + ``rank.select``) on synthetic candidates;
``recommend_tracks`` end to end and recall per demo listener synced from the Spotify emulator;
``embed_texts`` throughput; pgvector top-10 at the demo catalog's size and on 100k clustered
vectors (demo embeddings plus noise) in a scratch table with the production HNSW settings,
with recall against exact search. Users and the scratch table are removed afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scratch_database import bench_catalog_prepare  # sets Django up, so it comes first

# isort: split
from django.conf import settings
from django.db import connection, transaction
from pgvector.psycopg import register_vector

from accounts.models import User
from mood.encoder import embed_text, embed_texts
from mood.mood_text import mood_query_text
from recommender import rank
from recommender.models import TrackProfile
from recommender.recall import recall_candidates_for_user
from recommender.services import recommend_tracks
from spotify.services import library_sync
from tests.emulator import CLIENT_ID, LISTENERS, consented_link, emulator_starter

Rows = list[tuple[str, str]]
MOODS = (
    ("sadness", -0.7, -0.4, "I feel so low tonight"),
    ("joy", 0.8, 0.5, "I just got the job!"),
    ("anger", -0.6, 0.7, "my boss is driving me mad"),
    ("calm", 0.0, -0.6, "something calm to unwind"),
    ("neutral", 0.0, 0.0, "something for the commute"),
    ("energize", 0.4, 0.6, "pump me up for the gym"),
)
SOURCES = ("artists", "cooccurrence", "popular", "mood")
SHARES = {"artists": 0.5, "cooccurrence": 0.3, "popular": 0.2}
SCRATCH_TABLE = "bench_clustered_vectors"
CLUSTERED_ROWS = 100_000


def percentiles_ms(call: Callable[[int], object], runs: int) -> tuple[float, float]:
    timings = []
    for index in range(runs):
        began = time.perf_counter()
        call(index)
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings), statistics.quantiles(timings, n=20)[18]


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


SAD = np.array([0.0, 0.85, 0.15, 0.0])  # a listening target, TRACK_MOODS order


# --- pure ranking -------------------------------------------------------------------------------


def synthetic_candidates(n: int, rng: np.random.Generator) -> rank.CandidateArrays:
    return rank.CandidateArrays(
        embeddings=unit_rows(rng.normal(size=(n, 384))).astype(np.float32),
        valence=rng.random(n),
        energy=rng.random(n),
        moods=rng.dirichlet(np.ones(4), n),
        popularity=rng.integers(0, 100, n).astype(float),
        artists=[(int(a),) for a in rng.integers(0, max(1, n // 4), n)],
        sources=[(SOURCES[int(s)],) for s in rng.integers(0, len(SOURCES), n)],
        preference=np.zeros(n),
        feedback=np.zeros(n),
        recall_weight=rng.random(n),
        explicit=np.zeros(n, dtype=bool),
    )


def rank_once(
    candidates: rank.CandidateArrays, vectors: np.ndarray, rng: np.random.Generator, weights: rank.Weights
) -> list[int]:
    query, recent, top = vectors
    scores, _ = rank.score_parts(candidates, query=query, recent=recent, top=top, target=SAD, weights=weights)
    return rank.select(scores, candidates, count=8, rng=rng, weights=weights, shares=SHARES)


def _rank_call(
    candidates: rank.CandidateArrays,
    vectors: np.ndarray,
    rng: np.random.Generator,
    weights: rank.Weights,
    _: int,
) -> None:
    rank_once(candidates, vectors, rng, weights)


def bench_rank(rows: Rows) -> None:
    rng = np.random.default_rng(0)
    weights = rank.Weights()
    for n in (500, 2_000, 10_000):
        candidates = synthetic_candidates(n, rng)
        vectors = unit_rows(rng.normal(size=(3, 384))).astype(np.float32)
        rank_once(candidates, vectors, rng, weights)
        p50, p95 = percentiles_ms(partial(_rank_call, candidates, vectors, rng, weights), 200)
        rows.append(
            (f"rank.score_parts + select, {n:,} candidates, 8 picks (p50 / p95)", f"{p50:.2f} / {p95:.2f} ms")
        )


# --- recall and a whole request, per demo listener ----------------------------------------------------


def bench_listeners(rows: Rows, requests: int) -> None:
    """Sync each demo listener from the emulator, recall, then time ``requests`` recommend_tracks calls."""
    with tempfile.TemporaryDirectory() as store:
        start, started = emulator_starter(Path(store) / "store.json")
        emulator = start()
        settings.SPOTIFY_API_BASE_URL = emulator.api
        settings.SPOTIFY_ACCOUNTS_BASE_URL = f"{emulator.base}/"
        settings.SPOTIFY_CLIENT_ID = CLIENT_ID
        try:
            for listener in LISTENERS:
                user, _ = User.objects.get_or_create(email=f"bench-recommender-{listener['id']}@example.com")
                try:
                    consented_link(emulator, user, listener=listener)
                    library_sync(user=user)
                    report = recall_candidates_for_user(user=user)
                    shares = ", ".join(f"{s} {n}" for s, n in report.per_source.items())
                    rows.append(
                        (
                            f"recall, {listener['display_name']}",
                            f"{report.seconds * 1000:.0f} ms, {report.spotify_calls} Spotify calls, "
                            f"{report.candidates} candidates ({shares})",
                        )
                    )
                    rng = np.random.default_rng(1)

                    def request(index: int, user: User = user, rng: np.random.Generator = rng) -> None:
                        label, valence, arousal, text = MOODS[index % len(MOODS)]
                        recommend_tracks(
                            user=user, label=label, valence=valence, arousal=arousal, text=text, rng=rng
                        )

                    request(0)
                    p50, p95 = percentiles_ms(request, requests)
                    rows.append(
                        (
                            f"recommend_tracks, {listener['display_name']}, 8 picks, recorded (p50 / p95)",
                            f"{p50:.0f} / {p95:.0f} ms",
                        )
                    )
                finally:
                    user.delete()
            cold, _ = User.objects.get_or_create(email="bench-recommender-new@example.com")
            try:
                recall_candidates_for_user(user=cold)
                rng = np.random.default_rng(2)

                def cold_request(index: int) -> None:
                    label, valence, arousal, text = MOODS[index % len(MOODS)]
                    recommend_tracks(
                        user=cold, label=label, valence=valence, arousal=arousal, text=text, rng=rng
                    )

                p50, p95 = percentiles_ms(cold_request, requests)
                rows.append(
                    ("recommend_tracks, new listener (cold start) (p50 / p95)", f"{p50:.0f} / {p95:.0f} ms")
                )
            finally:
                cold.delete()
        finally:
            for process in started:
                process.stop()


# --- embeddings ----------------------------------------------------------------------------------


def bench_embeddings(rows: Rows) -> None:
    texts = list(TrackProfile.objects.order_by("track_id").values_list("mood_text", flat=True)[:2000])
    embed_texts(texts[:64])
    began = time.perf_counter()
    embed_texts(texts)
    elapsed = time.perf_counter() - began
    rows.append((f"embed_texts, {len(texts):,} catalog mood texts", f"{len(texts) / elapsed:,.0f} texts/s"))


# --- pgvector ------------------------------------------------------------------------------------


def query_vectors() -> np.ndarray:
    return embed_texts([mood_query_text(*MOODS[i % len(MOODS)]) + f" #{i}" for i in range(100)])


def nearest(
    table: str, key: str, vector: np.ndarray, *, ef_search: int = 40, exact: bool = False
) -> list[tuple[int, float]]:
    """Top 10 (id, cosine distance) by ``<=>``, over the HNSW index unless ``exact``."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL hnsw.ef_search = %s", [ef_search])
        if exact:
            cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(
            f"SELECT {key}, embedding <=> %(q)s::vector FROM {table} WHERE embedding IS NOT NULL "
            "ORDER BY embedding <=> %(q)s::vector LIMIT 10",
            {"q": "[" + ",".join(f"{x:.8g}" for x in vector) + "]"},
        )
        return [(int(row[0]), float(row[1])) for row in cursor.fetchall()]


def recall_vs_exact(found: list[tuple[int, float]], exact: list[tuple[int, float]]) -> float:
    """Share of the index's top 10 that are as close as exact search's 10th: tie-aware, since
    tracks with equal mood texts have equal vectors and either of two equals is right."""
    if not exact:
        return float("nan")
    kth = exact[-1][1] + 1e-6
    return sum(distance <= kth for _, distance in found) / len(exact)


def bench_index(
    rows: Rows, label: str, table: str, key: str, queries: np.ndarray, ef_values: tuple[int, ...]
) -> None:
    """Latency (index and exact) and tie-aware recall@10 of the index vs exact, per ef_search."""
    nearest(table, key, queries[0])
    for ef_search in ef_values:
        p50, p95 = percentiles_ms(partial(_nearest_call, table, key, queries, ef_search), len(queries))
        rows.append((f"{label}: HNSW top-10, ef_search {ef_search} (p50 / p95)", f"{p50:.1f} / {p95:.1f} ms"))
    exact = []
    began = time.perf_counter()
    for query in queries[:30]:
        exact.append(nearest(table, key, query, exact=True))
    rows.append(
        (f"{label}: exact top-10 (mean of 30)", f"{(time.perf_counter() - began) / 30 * 1000:.1f} ms")
    )
    for ef_search in ef_values:
        found = [nearest(table, key, query, ef_search=ef_search) for query in queries[:30]]
        recall = statistics.mean(recall_vs_exact(hits, exact[i]) for i, hits in enumerate(found))
        returned = statistics.mean(len(hits) for hits in found)
        rows.append(
            (
                f"{label}: HNSW recall@10 vs exact, ef_search {ef_search}",
                f"{recall:.3f} ({returned:.1f} of 10 rows returned)",
            )
        )


def bench_pgvector_catalog(rows: Rows, queries: np.ndarray) -> None:
    """The catalog's own index as found, then after VACUUM: an HNSW scan still walks entries of
    dead row versions (left by re-embedding, or by rolled-back updates) and drops them after
    the fact, so without iterative scans a query can return fewer than its LIMIT."""
    table = TrackProfile._meta.db_table
    size = TrackProfile.objects.filter(embedding__isnull=False).count()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(DISTINCT embedding::text) FROM {table}")
        distinct = cursor.fetchone()[0]
    label = f"catalog {size:,} tracks ({distinct:,} distinct vectors), mood queries"
    bench_index(rows, f"{label}, as found", table, "track_id", queries, (40, 200))
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")
    bench_index(rows, f"{label}, after VACUUM", table, "track_id", queries, (40, 200))


def clustered_vectors(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(``count`` rows, 100 held-out queries): demo embeddings as centres, each copy moved by
    Gaussian noise of per-row scale 0.01–0.04 per dimension (cosine ≈ 0.99–0.87 to its centre)."""
    centres = np.array(
        [
            np.asarray(v, dtype=np.float32)
            for v in TrackProfile.objects.order_by("track_id").values_list("embedding", flat=True)
        ]
    )

    def around(n: int) -> np.ndarray:
        picks = centres[rng.integers(0, len(centres), n)]
        scale = rng.uniform(0.01, 0.04, size=(n, 1))
        return unit_rows(picks + scale * rng.normal(size=picks.shape)).astype(np.float32)

    return around(count), around(100)


def _nearest_call(table: str, key: str, queries: np.ndarray, ef_search: int, index: int) -> None:
    nearest(table, key, queries[index], ef_search=ef_search)


def bench_pgvector_clustered(rows: Rows, mood_queries: np.ndarray) -> None:
    vectors, held_out = clustered_vectors(CLUSTERED_ROWS, np.random.default_rng(3))
    connection.ensure_connection()
    register_vector(connection.connection)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH_TABLE}")
        cursor.execute(f"CREATE TABLE {SCRATCH_TABLE} (id integer PRIMARY KEY, embedding vector(384))")
        began = time.perf_counter()
        with cursor.cursor.copy(
            f"COPY {SCRATCH_TABLE} (id, embedding) FROM STDIN WITH (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["int4", "vector"])
            for index, vector in enumerate(vectors):
                copy.write_row([index, vector])
        loaded = time.perf_counter() - began
        cursor.execute("SET maintenance_work_mem = '1GB'")
        began = time.perf_counter()
        cursor.execute(
            f"CREATE INDEX ON {SCRATCH_TABLE} USING hnsw (embedding vector_cosine_ops) "
            "WITH (m = 16, ef_construction = 64)"
        )
        built = time.perf_counter() - began
        cursor.execute(f"ANALYZE {SCRATCH_TABLE}")
    rows.append(
        (
            f"clustered {CLUSTERED_ROWS:,} × 384: binary COPY / HNSW build (m 16, ef_construction 64)",
            f"{loaded:.1f} s / {built:.1f} s",
        )
    )

    try:
        bench_index(rows, "clustered 100k, held-out points", SCRATCH_TABLE, "id", held_out, (40, 100))
        bench_index(rows, "clustered 100k, mood queries", SCRATCH_TABLE, "id", mood_queries, (40, 100, 200))
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH_TABLE}")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests",
        type=int,
        default=24,
        help="timed recommend_tracks calls per listener (default 24; more gives a steadier p95)",
    )
    parser.add_argument(
        "--skip-clustered",
        action="store_true",
        help="leave out the 100k clustered-vector table (its HNSW build takes half a minute or more)",
    )
    return parser.parse_args()


def main() -> None:
    options = arguments()
    rows: Rows = []
    seconds, embedded = bench_catalog_prepare()
    rows.append(("set-up: demo catalog load + embed missing", f"{seconds:.1f} s ({embedded} embedded)"))
    embed_text("warm up the model")
    bench_rank(rows)
    bench_embeddings(rows)
    bench_listeners(rows, options.requests)
    mood_queries = query_vectors()
    bench_pgvector_catalog(rows, mood_queries)
    if not options.skip_clustered:
        bench_pgvector_clustered(rows, mood_queries)
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
